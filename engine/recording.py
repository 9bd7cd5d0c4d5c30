"""The attempt recording format: one file per attempt (``*.ksr``).

A recording is a NumPy ``.npz`` archive (no pickles) holding:

========================  ===============  ==================================================
``joints``                (T, 17, 3) f32   canonical joints in metres (``engine.skeleton``)
``confidence``            (T, 17) f32      per-joint confidence in [0, 1]
``timestamps``            (T,) f64         seconds, strictly increasing
``imu`` (optional)        (N, 7) f64       t, ax, ay, az (m/s²), gx, gy, gz (rad/s)
``keypoints_2d`` (opt.)   (T, 17, 2) f32   colour-image pixels, NaN where not detected
``meta``                  JSON string      see :class:`RecordingMeta`
========================  ===============  ==================================================

Saving is atomic: the archive is written to a temporary file in the target folder, flushed
and fsync'ed, then renamed over the target, so a crash never leaves half a recording under
the final name. Loading validates every field and raises :class:`RecordingError` naming the
file and the problem; it never fills in a silent default.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from engine import __version__
from engine.skeleton import NUM_JOINTS

FORMAT_VERSION = 1
SUFFIX = ".ksr"


class RecordingError(ValueError):
    """A recording file that cannot be read or is not valid; the message names file and problem."""

    def __init__(self, path: str | os.PathLike | None, problem: str):
        self.path = None if path is None else Path(path)
        self.problem = problem
        where = f"{self.path}: " if self.path is not None else ""
        super().__init__(f"{where}{problem}")


@dataclass
class RecordingMeta:
    movement: str
    student_id: str = ""
    device_name: str = ""
    device_serial: str = ""
    frame_rate: float = 30.0
    calibration: dict[str, Any] | None = None
    created_at: str = field(
        default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds")
    )
    app_version: str = __version__
    video: str | None = None  # path of a video file, relative to the recording's folder
    format_version: int = FORMAT_VERSION
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. simulator labels

    REQUIRED = (
        "format_version", "movement", "student_id", "device_name", "device_serial",
        "frame_rate", "calibration", "created_at", "app_version", "video",
    )  # fmt: skip


@dataclass
class Recording:
    joints: np.ndarray
    confidence: np.ndarray
    timestamps: np.ndarray
    meta: RecordingMeta
    imu: np.ndarray | None = None
    keypoints_2d: np.ndarray | None = None

    @property
    def num_frames(self) -> int:
        return int(self.joints.shape[0])

    @property
    def duration(self) -> float:
        return float(self.timestamps[-1] - self.timestamps[0]) if self.num_frames > 1 else 0.0

    def validate(self, path: str | os.PathLike | None = None) -> None:
        """Raise :class:`RecordingError` if any field is malformed."""
        _validate_arrays(
            path,
            {
                "joints": self.joints,
                "confidence": self.confidence,
                "timestamps": self.timestamps,
                "imu": self.imu,
                "keypoints_2d": self.keypoints_2d,
            },
        )


def _validate_arrays(path, arrays: dict[str, np.ndarray | None]) -> None:
    joints, conf, ts = arrays["joints"], arrays["confidence"], arrays["timestamps"]
    if joints.ndim != 3 or joints.shape[1:] != (NUM_JOINTS, 3):
        raise RecordingError(path, f"field 'joints' has shape {joints.shape}, expected (T, 17, 3)")
    t = joints.shape[0]
    if t == 0:
        raise RecordingError(path, "the recording holds no frames")
    if conf.shape != (t, NUM_JOINTS):
        raise RecordingError(
            path, f"field 'confidence' has shape {conf.shape}, expected ({t}, {NUM_JOINTS})"
        )
    if ts.shape != (t,):
        raise RecordingError(path, f"field 'timestamps' has shape {ts.shape}, expected ({t},)")
    # Joints may be NaN where a joint was not seen (confidence 0); never inf.
    if np.isinf(joints).any():
        raise RecordingError(path, "field 'joints' holds inf values")
    nan_joint = np.isnan(joints).any(axis=-1)
    if (nan_joint & (conf > 0)).any():
        f, j = np.argwhere(nan_joint & (conf > 0))[0]
        raise RecordingError(
            path, f"field 'joints' is NaN at frame {f}, joint {j} whose confidence is not 0"
        )
    if not np.isfinite(conf).all() or (conf < 0).any() or (conf > 1).any():
        raise RecordingError(path, "field 'confidence' must be finite and within [0, 1]")
    if not np.isfinite(ts).all():
        raise RecordingError(path, "field 'timestamps' holds NaN or inf")
    if t > 1 and not (np.diff(ts) > 0).all():
        k = int(np.argmin(np.diff(ts) > 0))
        raise RecordingError(
            path,
            f"field 'timestamps' is not strictly increasing (frame {k + 1}: "
            f"{ts[k + 1]:.4f} s after {ts[k]:.4f} s)",
        )
    imu = arrays.get("imu")
    if imu is not None:
        if imu.ndim != 2 or imu.shape[1] != 7:
            raise RecordingError(path, f"field 'imu' has shape {imu.shape}, expected (N, 7)")
        if not np.isfinite(imu).all():
            raise RecordingError(path, "field 'imu' holds NaN or inf")
    kp = arrays.get("keypoints_2d")
    if kp is not None and kp.shape != (t, NUM_JOINTS, 2):
        raise RecordingError(
            path, f"field 'keypoints_2d' has shape {kp.shape}, expected ({t}, {NUM_JOINTS}, 2)"
        )


def save_recording(rec: Recording, path: str | os.PathLike) -> Path:
    """Validate and write ``rec`` atomically to ``path`` (suffix ``.ksr`` is added if absent)."""
    path = Path(path)
    if path.suffix != SUFFIX:
        path = path.with_name(path.name + SUFFIX)
    rec.validate(path)
    arrays: dict[str, np.ndarray] = {
        "joints": np.asarray(rec.joints, dtype=np.float32),
        "confidence": np.asarray(rec.confidence, dtype=np.float32),
        "timestamps": np.asarray(rec.timestamps, dtype=np.float64),
        "meta": np.array(json.dumps(asdict(rec.meta), ensure_ascii=False)),
    }
    if rec.imu is not None:
        arrays["imu"] = np.asarray(rec.imu, dtype=np.float64)
    if rec.keypoints_2d is not None:
        arrays["keypoints_2d"] = np.asarray(rec.keypoints_2d, dtype=np.float32)
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(buf.getvalue())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:  # make the rename itself durable
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass  # not supported on every platform/file system (e.g. Windows)
    return path


def load_recording(path: str | os.PathLike) -> Recording:
    """Read and validate a recording; any problem raises :class:`RecordingError`."""
    path = Path(path)
    if not path.exists():
        raise RecordingError(path, "file not found")
    try:
        with np.load(path, allow_pickle=False) as npz:
            data = {k: npz[k] for k in npz.files}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise RecordingError(
            path, f"truncated or corrupt recording ({type(exc).__name__}: {exc})"
        ) from exc
    for name in ("meta", "joints", "confidence", "timestamps"):
        if name not in data:
            raise RecordingError(path, f"missing field '{name}'")
    try:
        meta_dict = json.loads(str(data["meta"]))
    except json.JSONDecodeError as exc:
        raise RecordingError(path, f"field 'meta' is not valid JSON ({exc})") from exc
    if not isinstance(meta_dict, dict):
        raise RecordingError(path, "field 'meta' must be a JSON object")
    version = meta_dict.get("format_version")
    if version is None:
        raise RecordingError(path, "missing field 'meta.format_version'")
    if version != FORMAT_VERSION:
        raise RecordingError(
            path,
            f"unknown format version {version!r} (this KineScore reads version "
            f"{FORMAT_VERSION}); update KineScore to open it",
        )
    for key in RecordingMeta.REQUIRED:
        if key not in meta_dict:
            raise RecordingError(path, f"missing field 'meta.{key}'")
    known = set(RecordingMeta.__dataclass_fields__)
    meta = RecordingMeta(**{k: v for k, v in meta_dict.items() if k in known})
    if not isinstance(meta.movement, str) or not meta.movement:
        raise RecordingError(path, "field 'meta.movement' must be a non-empty string")
    try:
        meta.frame_rate = float(meta.frame_rate)
    except (TypeError, ValueError):
        raise RecordingError(path, "field 'meta.frame_rate' must be a number") from None
    if not np.isfinite(meta.frame_rate) or meta.frame_rate <= 0:
        raise RecordingError(path, "field 'meta.frame_rate' must be positive")
    arrays = {
        "joints": data["joints"],
        "confidence": data["confidence"],
        "timestamps": data["timestamps"],
        "imu": data.get("imu"),
        "keypoints_2d": data.get("keypoints_2d"),
    }
    for name, arr in arrays.items():
        if arr is not None and arr.dtype.kind not in "fiu":
            raise RecordingError(path, f"field '{name}' has non-numeric dtype {arr.dtype}")
    _validate_arrays(path, arrays)
    return Recording(
        joints=arrays["joints"].astype(np.float32),
        confidence=arrays["confidence"].astype(np.float32),
        timestamps=arrays["timestamps"].astype(np.float64),
        meta=meta,
        imu=None if arrays["imu"] is None else arrays["imu"].astype(np.float64),
        keypoints_2d=None if arrays["keypoints_2d"] is None else arrays["keypoints_2d"],
    )


def summarize(rec: Recording, path: str | os.PathLike | None = None) -> str:
    """A human-readable summary, as printed by ``kinescore-engine inspect``."""
    m = rec.meta
    conf = rec.confidence
    lines = []
    if path is not None:
        lines.append(f"file:          {path}")
    fps = (rec.num_frames - 1) / rec.duration if rec.duration > 0 else float("nan")
    lines += [
        f"format:        KineScore recording v{m.format_version} (app {m.app_version})",
        f"movement:      {m.movement}",
        f"student:       {m.student_id or '-'}",
        f"device:        {m.device_name or '-'} (serial {m.device_serial or '-'})",
        f"created:       {m.created_at}",
        f"frames:        {rec.num_frames} over {rec.duration:.2f} s "
        f"(nominal {m.frame_rate:g} fps, measured {fps:.1f} fps)",
        f"confidence:    mean {conf.mean():.2f}; "
        f"{(conf < 0.5).mean() * 100:.1f}% of joint samples below 0.5",
        f"imu samples:   {0 if rec.imu is None else len(rec.imu)}",
        f"2D keypoints:  {'yes' if rec.keypoints_2d is not None else 'no'}",
        f"video:         {m.video or 'none (skeleton only)'}",
        f"calibration:   {'yes' if m.calibration else 'none'}",
    ]
    finite = rec.joints[np.isfinite(rec.joints).all(axis=-1)]
    if len(finite):
        lo, hi = finite.min(axis=0), finite.max(axis=0)
        lines.append(
            f"extent (m):    x {lo[0]:.2f}..{hi[0]:.2f}  y {lo[1]:.2f}..{hi[1]:.2f}  z {lo[2]:.2f}..{hi[2]:.2f}"
        )
    for k, v in sorted(m.extra.items()):
        lines.append(f"extra.{k}: {json.dumps(v, ensure_ascii=False)[:120]}")
    return "\n".join(lines)
