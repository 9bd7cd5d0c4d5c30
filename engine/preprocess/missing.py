"""Missing-joint filling (paper section 2: "confidence below 0.5 is missing, filled using cubic
spline interpolation").

Choices where the paper is vague:

* A joint sample is *missing* when its confidence is below ``threshold`` (0.5) **or** any of its
  coordinates is NaN, or the caller marks it in ``mask`` (normalization marks degenerate frames).
* Each joint is interpolated over time on its own with :class:`scipy.interpolate.CubicSpline`
  (not-a-knot ends) through all of its valid samples; the abscissa is the frame timestamps when
  given (so unevenly spaced frames interpolate correctly), else the frame index. With fewer than
  4 valid samples the interpolation is linear; with one it is held constant.
* Gaps at the ends of the sequence are *held* at the first/last valid value (a spline would
  extrapolate wildly).
* A joint missing in every frame cannot be filled: :class:`PreprocessError` names it.
* Gaps longer than ``max_gap`` frames are still filled but listed in the report (``long_gaps``),
  so callers can warn ("left wrist lost for 1.2 s") or reject the attempt.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.interpolate import CubicSpline

from engine.preprocess.errors import (
    PreprocessError,
    check_confidence,
    check_joints,
    check_timestamps,
    joint_names,
)
from engine.skeleton import JOINTS, NUM_JOINTS


@dataclass
class Gap:
    joint: str
    start: int  # first missing frame
    stop: int  # one past the last missing frame

    @property
    def length(self) -> int:
        return self.stop - self.start


@dataclass
class FillReport:
    """What :func:`fill_missing` did."""

    num_frames: int
    missing: np.ndarray  # (T, 17) bool: the samples that were filled
    long_gaps: list[Gap] = field(default_factory=list)

    @property
    def missing_fraction(self) -> float:
        return float(self.missing.mean()) if self.missing.size else 0.0

    @property
    def filled_per_joint(self) -> dict[str, int]:
        counts = self.missing.sum(axis=0)
        return {JOINTS[k]: int(c) for k, c in enumerate(counts) if c}

    def to_dict(self) -> dict:
        return {
            "num_frames": self.num_frames,
            "missing_fraction": self.missing_fraction,
            "filled_per_joint": self.filled_per_joint,
            "long_gaps": [(g.joint, g.start, g.stop) for g in self.long_gaps],
        }


def missing_mask(joints: np.ndarray, confidence=None, threshold: float = 0.5) -> np.ndarray:
    """(T, 17) bool: NaN coordinates or confidence below ``threshold``."""
    miss = ~np.isfinite(joints).all(axis=-1)
    if confidence is not None:
        conf = check_confidence(confidence, len(joints))
        miss |= ~(conf >= threshold)  # NaN confidence counts as missing
    return miss


def _runs(mask_1d: np.ndarray) -> list[tuple[int, int]]:
    padded = np.concatenate([[False], mask_1d, [False]]).astype(np.int8)
    d = np.diff(padded)
    return list(zip(np.nonzero(d == 1)[0].tolist(), np.nonzero(d == -1)[0].tolist()))


def fill_missing(
    joints,
    confidence=None,
    threshold: float = 0.5,
    max_gap: int = 30,
    timestamps=None,
    mask=None,
) -> tuple[np.ndarray, FillReport]:
    """Fill missing joint samples of a ``(T, 17, 3)`` sequence by cubic spline over time.

    Parameters
    ----------
    joints: (T, 17, 3) canonical joints; NaN where unseen.
    confidence: optional (T, 17) in [0, 1]; samples below ``threshold`` are missing.
    max_gap: gaps longer than this many frames are reported in ``FillReport.long_gaps``.
    timestamps: optional (T,) seconds used as the spline abscissa (uneven frames).
    mask: optional (T, 17) bool of extra samples to treat as missing.

    Returns ``(filled (T, 17, 3) float64, FillReport)``. Valid samples are returned unchanged.
    """
    j = check_joints(joints)
    t_len = len(j)
    miss = missing_mask(j, confidence, threshold)
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != miss.shape:
            raise PreprocessError(f"mask: expected shape {miss.shape}, got {mask.shape}")
        miss |= mask
    dead = np.nonzero(miss.all(axis=0))[0]
    if len(dead):
        raise PreprocessError(
            f"joint(s) {joint_names(dead)} missing in every one of the {t_len} frames "
            f"(confidence below {threshold} or NaN); the sequence cannot be filled - check the "
            "sensor mapping or re-record with the whole body in view"
        )
    if timestamps is not None:
        x = check_timestamps(timestamps, t_len)
        if (np.diff(x) == 0).any():  # equal times would break the spline: fall back to index
            x = np.arange(t_len, dtype=np.float64)
    else:
        x = np.arange(t_len, dtype=np.float64)

    out = j
    cols = np.nonzero(miss.any(axis=0))[0]
    # Joints sharing one missing pattern (typically: whole frames lost) are fitted together.
    groups: dict[bytes, list[int]] = {}
    for k in cols:
        groups.setdefault(np.packbits(miss[:, k]).tobytes(), []).append(int(k))
    for ks in groups.values():
        m = miss[:, ks[0]]
        valid = ~m
        xv = x[valid]
        yv = j[valid][:, ks, :].reshape(len(xv), -1)
        xq = x[m]
        if len(xv) >= 4:
            yq = CubicSpline(xv, yv, axis=0)(xq)
        elif len(xv) >= 2:
            yq = np.stack([np.interp(xq, xv, yv[:, c]) for c in range(yv.shape[1])], axis=1)
        else:
            yq = np.repeat(yv[:1], len(xq), axis=0)
        # hold the ends instead of extrapolating
        yq[xq < xv[0]] = yv[0]
        yq[xq > xv[-1]] = yv[-1]
        out[np.ix_(np.nonzero(m)[0], ks)] = yq.reshape(len(xq), len(ks), 3)

    long_gaps = []
    for k in cols:
        for a, b in _runs(miss[:, k]):
            if b - a > max_gap:
                long_gaps.append(Gap(JOINTS[k], a, b))
    assert out.shape == (t_len, NUM_JOINTS, 3)
    return out, FillReport(t_len, miss, long_gaps)
