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


# --------------------------------------------------------------------------- recordings
#: ``RecordingMeta.extra`` keys read as labels (the movement simulator writes them):
#: ``score`` (0-100), ``stage_scores`` (4 numbers, 0-100), ``stage_bounds`` (4 x [start, stop)
#: frame pairs), ``faults`` (list of fault keys), ``group`` (optional string), ``sub_scores``
#: (optional {name: number}).
LABEL_KEYS = ("score", "stage_scores", "stage_bounds", "faults", "group", "sub_scores")


def _label_error(path, key: str, problem: str) -> DatasetError:
    return DatasetError(f"{path}: meta.extra[{key!r}] {problem}")


def _recording_labels(path, extra: dict, num_frames: int) -> dict:
    out: dict = {}
    if extra.get("score") is not None:
        try:
            score = float(extra["score"])
        except (TypeError, ValueError):
            raise _label_error(path, "score", "must be a number") from None
        if not 0.0 <= score <= 100.0:
            raise _label_error(path, "score", f"= {score} is outside 0..100")
        out["score"] = score
    if extra.get("stage_scores") is not None:
        try:
            ss = np.asarray(extra["stage_scores"], dtype=np.float32)
        except (TypeError, ValueError):
            raise _label_error(path, "stage_scores", "must be numbers") from None
        if ss.ndim != 1 or not np.isfinite(ss).all() or (ss < 0).any() or (ss > 100).any():
            raise _label_error(path, "stage_scores", "must be a list of numbers in 0..100")
        out["stage_scores"] = ss
    if extra.get("stage_bounds") is not None:
        try:
            sb = np.asarray(extra["stage_bounds"], dtype=np.float64)
        except (TypeError, ValueError):
            raise _label_error(path, "stage_bounds", "must be [start, stop] frame pairs") from None
        if sb.ndim != 2 or sb.shape[1] != 2 or not np.isfinite(sb).all():
            raise _label_error(path, "stage_bounds", f"has shape {sb.shape}, expected (S, 2)")
        if (sb < 0).any() or (sb > num_frames).any() or (sb[:, 1] < sb[:, 0]).any():
            raise _label_error(path, "stage_bounds",
                               f"must be increasing frame pairs within 0..{num_frames}")
        out["stage_bounds"] = sb.astype(np.int64)
    faults = extra.get("faults")
    if faults is not None:
        if not isinstance(faults, (list, tuple)) or not all(isinstance(f, str) for f in faults):
            raise _label_error(path, "faults", "must be a list of strings")
        out["faults"] = list(faults)
    if extra.get("sub_scores") is not None:
        if not isinstance(extra["sub_scores"], dict):
            raise _label_error(path, "sub_scores", "must be an object {name: number}")
        out["sub_scores"] = {str(k): float(v) for k, v in extra["sub_scores"].items()}
    if extra.get("group") is not None:
        out["group"] = str(extra["group"])
    return out


def load_recording_sample(path: str | Path) -> Sample:
    """One KineScore recording (``.ksr``) as a :class:`Sample`.

    ``subject`` is ``meta.student_id``, ``movement`` is ``meta.movement``; labels come from
    ``meta.extra`` (:data:`LABEL_KEYS`; absent ones stay ``None``/empty). ``Sample.meta`` holds
    ``path``, ``faults`` (list, empty if unknown), ``calibration``, ``device_name`` and, when the
    recording has them, ``imu`` (N, 7) and ``keypoints_2d`` (T, 17, 2). A bad file or label
    raises :class:`DatasetError` naming the file and the field."""
    from engine.recording import RecordingError, load_recording

    try:
        rec = load_recording(path)
    except RecordingError as exc:
        raise DatasetError(str(exc)) from exc
    labels = _recording_labels(path, rec.meta.extra or {}, rec.num_frames)
    meta = {"path": str(path), "faults": labels.get("faults", []),
            "calibration": rec.meta.calibration, "device_name": rec.meta.device_name}
    if rec.imu is not None:
        meta["imu"] = rec.imu
    if rec.keypoints_2d is not None:
        meta["keypoints_2d"] = rec.keypoints_2d
    return Sample(
        joints=rec.joints,
        score=labels.get("score"),
        subject=rec.meta.student_id,
        movement=rec.meta.movement,
        confidence=rec.confidence,
        timestamps=rec.timestamps,
        sub_scores=labels.get("sub_scores", {}),
        group=labels.get("group", ""),
        stage_bounds=labels.get("stage_bounds"),
        stage_scores=labels.get("stage_scores"),
        meta=meta,
    )


def load_recordings(paths) -> list[Sample]:
    """:func:`load_recording_sample` on each path."""
    return [load_recording_sample(p) for p in paths]


_FILE_COLUMNS = ("file", "path", "recording")


def load_simulated(directory: str | Path, labels_csv: str | Path | None = None) -> list[Sample]:
    """Every ``*.ksr`` under ``directory`` (recursively, sorted) as :class:`Sample`s.

    The movement simulator writes one recording per attempt, labels in each recording's
    ``meta.extra`` (``score``, ``stage_scores``, ``stage_bounds``, ``faults``), plus a labels
    table CSV. ``meta.extra`` is the source of truth; the CSV (``labels_csv``, default
    ``directory/labels.csv`` when it exists) only fills labels a recording lacks, matched by
    its ``file``/``path``/``recording`` column (the file name relative to ``directory``, or
    its base name): columns ``score``, ``subject`` (or ``student_id``) and ``group``."""
    import csv

    directory = Path(directory)
    if not directory.is_dir():
        raise DatasetError(f"{directory}: not a directory of simulated recordings")
    files = sorted(directory.rglob("*.ksr"))
    if not files:
        raise DatasetError(f"{directory}: holds no .ksr recordings")
    rows: dict[str, dict] = {}
    csv_path = Path(labels_csv) if labels_csv is not None else directory / "labels.csv"
    if labels_csv is not None and not csv_path.exists():
        raise DatasetError(f"{csv_path}: labels table not found")
    if csv_path.exists():
        with open(csv_path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            col = next((c for c in _FILE_COLUMNS if c in (reader.fieldnames or [])), None)
            if col is None:
                raise DatasetError(f"{csv_path}: needs a column naming the recording, one of "
                                   f"{_FILE_COLUMNS}; has {reader.fieldnames}")
            for row in reader:
                rows[row[col]] = row
    out = []
    for f in files:
        s = load_recording_sample(f)
        row = rows.get(str(f.relative_to(directory))) or rows.get(f.name)
        if row:
            if s.score is None and row.get("score") not in (None, ""):
                s.score = float(row["score"])
            if not s.subject:
                s.subject = row.get("subject") or row.get("student_id") or ""
            if not s.group and row.get("group"):
                s.group = row["group"]
        out.append(s)
    return out


def load_any(path: str | Path) -> list[Sample]:
    """Pick the loader by what ``path`` is: a directory (simulator output), a ``.ksr``
    recording, or a ``.npz`` in the KIMORE or UI-PRMD format (told apart by their fields)."""
    path = Path(path)
    if path.is_dir():
        return load_simulated(path)
    if path.suffix == ".ksr":
        return [load_recording_sample(path)]
    if path.suffix == ".npz":
        if not path.exists():
            raise DatasetError(f"{path}: file not found")
        try:
            with np.load(path, allow_pickle=False) as npz:
                fields = set(npz.files)
        except Exception as exc:
            raise DatasetError(f"{path}: not a readable npz file ({exc})") from exc
        if "ts" in fields:
            return load_kimore(path)
        if "correct" in fields:
            return load_uiprmd(path)
        raise DatasetError(f"{path}: neither KIMORE (field 'ts') nor UI-PRMD (field 'correct')")
    raise DatasetError(f"{path}: unknown data source (expected a directory, .ksr or .npz)")
