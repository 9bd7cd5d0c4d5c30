"""Loaders for labelled skeleton datasets in the ``../shared/data`` npz format.

Every loader returns a list of :class:`Sample`: one variable-length sequence of canonical
joints ``(T, 17, 3)`` (metres, ``engine.skeleton`` frame, *not yet* normalized) with its labels.
File paths are arguments, so any file in the documented format loads, also ones holding other
subjects than the copy in ``../shared``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.skeleton import KINECT_V2, NUM_JOINTS, UIPRMD_KINECT


class DatasetError(ValueError):
    pass


@dataclass
class Sample:
    joints: np.ndarray  # (T, 17, 3) canonical frame, metres
    score: float | None  # 0-100 quality score, None where unlabelled
    subject: str
    movement: str  # movement or exercise name
    confidence: np.ndarray | None = None  # (T, 17) in [0, 1]
    timestamps: np.ndarray | None = None  # (T,) seconds
    sub_scores: dict[str, float] = field(default_factory=dict)
    group: str = ""
    stage_bounds: np.ndarray | None = None  # (4, 2) frames, where known
    stage_scores: np.ndarray | None = None  # (4,) 0-100, where known
    correct: int | None = None  # UI-PRMD binary label
    meta: dict = field(default_factory=dict)


def _open(path: str | Path, required: tuple[str, ...]) -> dict[str, np.ndarray]:
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path}: file not found")
    try:
        with np.load(path, allow_pickle=False) as npz:
            data = {k: npz[k] for k in npz.files}
    except Exception as exc:  # zipfile/ValueError/OSError: all mean "not a readable npz"
        raise DatasetError(f"{path}: not a readable npz file ({exc})") from exc
    missing = [k for k in required if k not in data]
    if missing:
        raise DatasetError(f"{path}: missing field(s) {missing}")
    offsets = data["offsets"]
    n = len(offsets) - 1
    if offsets[0] != 0 or offsets[-1] != len(data["positions"]) or (np.diff(offsets) <= 0).any():
        raise DatasetError(f"{path}: field 'offsets' does not partition 'positions'")
    for k in required:
        if k not in ("positions", "offsets", "joint_names", "tracking", "time_s",
                     "exercise_names", "movement_names") and len(data[k]) != n:
            raise DatasetError(f"{path}: field {k!r} has {len(data[k])} entries, expected {n}")
    return data


def _check_joint_names(path, data, expected: tuple[str, ...]) -> None:
    names = tuple(str(x) for x in data["joint_names"])
    if names != expected:
        raise DatasetError(f"{path}: joint_names {names} do not match the expected layout")


def load_kimore(path: str | Path) -> list[Sample]:
    """KIMORE (Kinect v2): score = 2·TS (0-100); PO and CF kept as sub-scores (also ×2)."""
    req = ("positions", "offsets", "joint_names", "exercise", "subject", "ts", "po", "cf",
           "group", "tracking", "time_s")
    data = _open(path, req)
    _check_joint_names(path, data, KINECT_V2.joint_names)
    names = data.get("exercise_names")
    out = []
    for i in range(len(data["offsets"]) - 1):
        a, b = data["offsets"][i], data["offsets"][i + 1]
        joints = KINECT_V2.to_canonical_joints(data["positions"][a:b])
        tracking = data["tracking"][a:b].astype(np.float32) / 2.0
        ex = int(data["exercise"][i])
        out.append(Sample(
            joints=joints,
            score=2.0 * float(data["ts"][i]),
            subject=str(data["subject"][i]),
            movement=str(names[ex - 1]) if names is not None else f"exercise {ex}",
            confidence=KINECT_V2.map_confidence(tracking),
            timestamps=data["time_s"][a:b].astype(np.float64),
            sub_scores={"po": 2.0 * float(data["po"][i]), "cf": 2.0 * float(data["cf"][i])},
            group=str(data["group"][i]),
            meta={"exercise": ex, "take": int(data["take"][i]) if "take" in data else 0},
        ))
    return out


def load_uiprmd(path: str | Path, fps: float = 30.0) -> list[Sample]:
    """UI-PRMD (Kinect v1): binary ``correct`` label; score is None."""
    req = ("positions", "offsets", "joint_names", "subject", "movement", "correct")
    data = _open(path, req)
    _check_joint_names(path, data, UIPRMD_KINECT.joint_names)
    names = data.get("movement_names")
    out = []
    for i in range(len(data["offsets"]) - 1):
        a, b = data["offsets"][i], data["offsets"][i + 1]
        mv = int(data["movement"][i])
        t = b - a
        out.append(Sample(
            joints=UIPRMD_KINECT.to_canonical_joints(data["positions"][a:b]),
            score=None,
            subject=str(data["subject"][i]),
            movement=str(names[mv - 1]) if names is not None else f"movement {mv}",
            confidence=np.ones((t, NUM_JOINTS), np.float32),
            timestamps=np.arange(t) / fps,
            correct=int(data["correct"][i]),
            meta={"movement_id": mv, "episode": int(data["episode"][i]) if "episode" in data else 0},
        ))
    return out
