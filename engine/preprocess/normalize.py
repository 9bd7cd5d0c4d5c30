"""Position and size normalization (paper eq. 2).

    p_norm[i, n] = (p[i, n] - c_n) / s_n,   c_n = mean of the 17 joints of frame n,
    s_n = mean length of the four trunk edges (engine.skeleton.TORSO_EDGES)

The result does not depend on where the person stands (any per-frame translation cancels) nor
on their size. It *does* keep the facing direction: the paper does not rotate skeletons into a
body frame (the rotation augmentation, eq. 4, teaches the model that instead).

Degenerate frames (real data has them: one KIMORE frame collapses the whole skeleton to a
point) are never divided by. A frame is degenerate when its trunk length is not finite, below
``min_trunk`` (metres, 5 cm by default: no human trunk is that small), or further than a factor
``outlier_ratio`` (3) from the sequence's median trunk length (a skeleton glitch: the trunk of
one person does not shrink or grow threefold between frames; real foreshortening in a deep squat reaches about 2x in KIMORE, so 2 would be too strict). Degenerate frames are treated as missing:
all their joints are refilled by :func:`engine.preprocess.missing.fill_missing` (cubic spline
over the good frames) and their scale ``s_n`` is interpolated over time from the good frames.
A sequence without any usable frame raises :class:`PreprocessError`.

:class:`NormInfo` keeps what normalization removes - the centre trajectory ``c_n`` (metres,
canonical frame) and the trunk length ``s_n`` (metres) per frame - for models or feedback that
need absolute displacement (a standing long jump's distance) or speed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.preprocess.errors import PreprocessError, check_joints
from engine.preprocess.missing import FillReport, fill_missing
from engine.skeleton import NUM_JOINTS, trunk_length

MIN_TRUNK = 0.05  # metres
OUTLIER_RATIO = 3.0


@dataclass
class NormInfo:
    centre: np.ndarray  # (T, 3) c_n, metres, canonical frame
    trunk: np.ndarray  # (T,) s_n, metres (interpolated on degenerate frames)
    degenerate: np.ndarray  # (T,) bool: frames that were refilled
    fill: FillReport | None = None  # the missing-joint fill done inside normalize(), if any

    @property
    def scale(self) -> float:
        """The sequence's median trunk length in metres (one number per person)."""
        return float(np.median(self.trunk))

    def root_trajectory(self) -> np.ndarray:
        """(T, 3) centre displacement from the first frame, in trunk lengths: the global motion
        that eq. 2 removes (jump distance, sit-up travel), size-free and position-free."""
        return ((self.centre - self.centre[0]) / self.scale).astype(np.float32)


def degenerate_frames(joints: np.ndarray, min_trunk: float = MIN_TRUNK,
                      outlier_ratio: float = OUTLIER_RATIO) -> tuple[np.ndarray, np.ndarray]:
    """``(bad (T,) bool, trunk (T,))`` for a filled (T, 17, 3) sequence; see module docs."""
    trunk = trunk_length(joints)
    bad = ~np.isfinite(trunk) | (trunk < min_trunk)
    if bad.all():
        return bad, trunk
    med = float(np.median(trunk[~bad]))
    if outlier_ratio and outlier_ratio > 1:
        bad |= (trunk > med * outlier_ratio) | (trunk < med / outlier_ratio)
    return bad, trunk


def repair(
    joints,
    confidence=None,
    *,
    min_trunk: float = MIN_TRUNK,
    outlier_ratio: float = OUTLIER_RATIO,
    threshold: float = 0.5,
    timestamps=None,
    max_gap: int = 30,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, FillReport | None]:
    """Fill missing samples, then refill degenerate frames (module docstring).

    Returns ``(joints (T, 17, 3) float64 metres, degenerate (T,) bool, trunk (T,) metres,
    FillReport or None)``; ``trunk`` is interpolated over time on degenerate frames. Raises
    :class:`PreprocessError` when no frame is usable."""
    j = check_joints(joints)
    fill_report = None
    if confidence is not None or np.isnan(j).any():
        j, fill_report = fill_missing(j, confidence, threshold=threshold, max_gap=max_gap,
                                      timestamps=timestamps)
    bad, trunk = degenerate_frames(j, min_trunk, outlier_ratio)
    if bad.all():
        raise PreprocessError(
            f"no usable frame: in all {len(j)} frames the trunk (shoulders and hips) is "
            f"degenerate (shorter than {min_trunk} m or not finite); is the person in view?"
        )
    if bad.any():
        mask = np.repeat(bad[:, None], NUM_JOINTS, axis=1)
        if fill_report is not None:
            mask |= fill_report.missing
        j, fill_report = fill_missing(j, None, max_gap=max_gap, timestamps=timestamps, mask=mask)
        x = np.arange(len(j), dtype=np.float64) if timestamps is None else np.asarray(
            timestamps, np.float64)
        trunk = trunk.copy()
        trunk[bad] = np.interp(x[bad], x[~bad], trunk[~bad])
    return j, bad, trunk, fill_report


def normalize(
    joints,
    confidence=None,
    *,
    min_trunk: float = MIN_TRUNK,
    outlier_ratio: float = OUTLIER_RATIO,
    threshold: float = 0.5,
    timestamps=None,
    max_gap: int = 30,
) -> tuple[np.ndarray, NormInfo]:
    """Eq. 2 on a ``(T, 17, 3)`` sequence -> ``(normalized (T, 17, 3) float32, NormInfo)``.

    Missing samples (NaN, or ``confidence < threshold``) are filled first with
    :func:`fill_missing` (``timestamps``/``max_gap`` are passed on); degenerate frames are
    refilled as described in the module docstring (:func:`repair`). After this the trunk
    length of every non-degenerate frame is exactly 1 and the mean of its joints is 0.
    """
    j, bad, trunk, fill_report = repair(
        joints, confidence, min_trunk=min_trunk, outlier_ratio=outlier_ratio,
        threshold=threshold, timestamps=timestamps, max_gap=max_gap)
    centre = j.mean(axis=1)
    norm = (j - centre[:, None, :]) / trunk[:, None, None]
    return norm.astype(np.float32), NormInfo(centre, trunk, bad, fill_report)


def denormalize(norm: np.ndarray, info: NormInfo) -> np.ndarray:
    """Inverse of :func:`normalize` (for overlays): metres in the canonical frame."""
    return (np.asarray(norm, np.float64) * info.trunk[:, None, None]
            + info.centre[:, None, :]).astype(np.float32)
