"""The one error type of the preprocessing pipeline, and the input checks every step shares."""

from __future__ import annotations

import numpy as np

from engine.skeleton import JOINTS, NUM_JOINTS


class PreprocessError(ValueError):
    """Input that preprocessing cannot turn into model input; the message says what and why."""


def check_joints(joints, name: str = "joints") -> np.ndarray:
    """Validate a ``(T, 17, 3)`` joint sequence and return it as a float64 copy.

    NaN is allowed (a joint not seen); inf, an empty sequence or a wrong shape raise
    :class:`PreprocessError`.
    """
    arr = np.asarray(joints)
    if arr.dtype.kind not in "fiu":
        raise PreprocessError(f"{name}: expected numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=True)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise PreprocessError(f"{name}: expected shape (T, 17, 3), got {arr.shape}")
    if arr.shape[1] != NUM_JOINTS:
        raise PreprocessError(
            f"{name}: expected {NUM_JOINTS} joints (canonical layout, engine.skeleton.JOINTS), "
            f"got {arr.shape[1]}; map sensor joints with engine.skeleton.SensorLayout first"
        )
    if arr.shape[0] == 0:
        raise PreprocessError(f"{name}: the sequence is empty (0 frames)")
    if np.isinf(arr).any():
        raise PreprocessError(f"{name}: holds inf values")
    return arr


def check_confidence(confidence, num_frames: int, name: str = "confidence") -> np.ndarray:
    conf = np.asarray(confidence, dtype=np.float64)
    if conf.shape != (num_frames, NUM_JOINTS):
        raise PreprocessError(
            f"{name}: expected shape ({num_frames}, {NUM_JOINTS}), got {conf.shape}"
        )
    return conf


def check_timestamps(timestamps, num_frames: int | None = None,
                     name: str = "timestamps") -> np.ndarray:
    """Finite, non-decreasing 1-D seconds; raise naming the first frame that goes backwards.

    Repeated equal timestamps are allowed here (callers drop the duplicates)."""
    t = np.asarray(timestamps, dtype=np.float64)
    if t.ndim != 1:
        raise PreprocessError(f"{name}: expected a 1-D array, got shape {t.shape}")
    if num_frames is not None and len(t) != num_frames:
        raise PreprocessError(f"{name}: {len(t)} timestamps for {num_frames} frames")
    if len(t) == 0:
        raise PreprocessError(f"{name}: empty")
    if not np.isfinite(t).all():
        raise PreprocessError(f"{name}: holds NaN or inf")
    d = np.diff(t)
    if (d < 0).any():
        k = int(np.argmax(d < 0))
        raise PreprocessError(
            f"{name}: time goes backwards at frame {k + 1} ({t[k + 1]:.4f} s after "
            f"{t[k]:.4f} s); timestamps must be non-decreasing seconds"
        )
    return t


def joint_names(indices) -> list[str]:
    return [JOINTS[int(i)] for i in indices]
