"""The model's fixed window: variable-length attempts (1-10 s at 30 Hz) -> ``length`` frames.

The paper trains on fixed-length sequences but does not say how an attempt of any duration
becomes one. KineScore's rule (``rule="resample"``, the default, 90 frames): **uniform linear
resampling of the whole attempt** to ``length`` frames, i.e. frame ``k`` of the window is the
attempt at relative time ``k / (length - 1)``. Every attempt then shows all four stages at the
same relative position, short attempts are stretched and long ones compressed; the speed
information lost this way is in ``duration`` (kept by :func:`engine.preprocess.pipeline.prepare`).

The alternative ``rule="center"`` keeps the 30 Hz timing: the middle ``length`` frames of a
longer attempt, or a shorter attempt padded at the end by holding its last frame.
:func:`sliding_windows` cuts long recordings (KIMORE's 20-60 s exercises) into overlapping
windows instead.
"""

from __future__ import annotations

import numpy as np

from engine.preprocess.errors import PreprocessError

WINDOW_RULES = ("resample", "center")
DEFAULT_LENGTH = 90


def sample_at(x: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Linear interpolation of ``x`` (T, ...) at fractional frame positions ``pos`` (clipped
    to ``[0, T-1]``)."""
    x = np.asarray(x)
    t = len(x)
    if t == 1:
        return np.repeat(x, len(pos), axis=0).astype(np.float64)
    pos = np.clip(np.asarray(pos, np.float64), 0, t - 1)
    i0 = np.clip(np.floor(pos).astype(int), 0, t - 2)
    w = (pos - i0).reshape((-1,) + (1,) * (x.ndim - 1))
    return x[i0] * (1 - w) + x[i0 + 1] * w


def resample_frames(x: np.ndarray, length: int) -> np.ndarray:
    """Linear resampling of ``x`` (T, ...) along axis 0 to ``length`` frames (ends kept)."""
    x = np.asarray(x)
    if len(x) == 0:
        raise PreprocessError("cannot resample an empty sequence")
    if length < 1:
        raise PreprocessError(f"window length must be >= 1, got {length}")
    out = sample_at(x, np.linspace(0.0, len(x) - 1, length))
    return out.astype(x.dtype if x.dtype.kind == "f" else np.float64)


def to_window(joints, length: int = DEFAULT_LENGTH, rule: str = "resample") -> np.ndarray:
    """``(T, ...)`` -> ``(length, ...)`` by ``rule`` (``"resample"`` or ``"center"``)."""
    x = np.asarray(joints)
    if len(x) == 0:
        raise PreprocessError("cannot window an empty sequence")
    if rule == "resample":
        return resample_frames(x, length)
    if rule == "center":
        t = len(x)
        if t >= length:
            a = (t - length) // 2
            return x[a:a + length].copy()
        pad = np.repeat(x[-1:], length - t, axis=0)
        return np.concatenate([x, pad], axis=0)
    raise PreprocessError(f"unknown window rule {rule!r}; use one of {WINDOW_RULES}")


def map_frames(frames, num_frames: int, length: int = DEFAULT_LENGTH,
               rule: str = "resample") -> np.ndarray:
    """Map frame indices of a ``num_frames`` sequence to indices in its window (float, clipped
    to ``[0, length - 1]``); used to carry stage boundaries into the window."""
    f = np.asarray(frames, dtype=np.float64)
    if rule == "resample":
        if num_frames <= 1:
            return np.zeros_like(f)
        return np.clip(f * (length - 1) / (num_frames - 1), 0, length - 1)
    if rule == "center":
        a = max(0, (num_frames - length) // 2)
        return np.clip(f - a, 0, length - 1)
    raise PreprocessError(f"unknown window rule {rule!r}; use one of {WINDOW_RULES}")


def sliding_windows(x, length: int = DEFAULT_LENGTH, stride: int | None = None) -> np.ndarray:
    """``(T, ...)`` -> ``(N, length, ...)`` overlapping windows (``stride`` default
    ``length // 2``); the last window is aligned to the end so no frame is dropped. A sequence
    shorter than ``length`` gives one window padded by holding its last frame."""
    x = np.asarray(x)
    if len(x) == 0:
        raise PreprocessError("cannot window an empty sequence")
    stride = stride or max(1, length // 2)
    t = len(x)
    if t <= length:
        return to_window(x, length, "center")[None]
    starts = list(range(0, t - length + 1, stride))
    if starts[-1] != t - length:
        starts.append(t - length)
    return np.stack([x[s:s + length] for s in starts])
