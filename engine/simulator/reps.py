"""Counting sit-up repetitions from the skeleton, for recordings and for the live scorer.

The trunk elevation is the angle between the pelvis->thorax vector and the floor plane
(the plane normal to ``up``; canonical frame: y up, which holds for a level sensor). A
repetition is counted when the elevation rises above ``up_deg`` (45) after having been
below ``down_deg`` (25) since the last count: the gap between the two thresholds
(hysteresis) keeps noise from counting twice. The elevation is smoothed with an
exponential moving average (``alpha`` 0.5 at 30 fps) and frames whose pelvis or thorax
confidence is below ``min_conf`` keep the previous value.

Why these thresholds: a correct sit-up goes from about 0 (lying) to 65-90 degrees (at the
top, the back rounds over the knees, so the pelvis->thorax line leans forward past
vertical); the simulator's worst "shoulders not touching" still comes down to about 15 and
its worst "incomplete curl" still rises to about 60, and the counter counts those cycles
too: whether a repetition is *valid* is the scorer's business, the counter counts attempts
at one. A sequence that starts in the middle of a repetition (above ``down_deg``) counts it
only after the student has been down once.
"""

from __future__ import annotations

import numpy as np

from engine.skeleton import JOINT_INDEX

PELVIS = JOINT_INDEX["pelvis"]
THORAX = JOINT_INDEX["thorax"]


class SitupRepCounter:
    """Streaming counter: feed frames with :meth:`update`, read :attr:`count`."""

    def __init__(self, up_deg: float = 45.0, down_deg: float = 25.0, alpha: float = 0.5,
                 min_conf: float = 0.3, up=(0.0, 1.0, 0.0)):  # fmt: skip
        if not down_deg < up_deg:
            raise ValueError("down_deg must be below up_deg")
        self.up_deg, self.down_deg, self.alpha, self.min_conf = up_deg, down_deg, alpha, min_conf
        self.up = np.asarray(up, float) / np.linalg.norm(up)
        self.count = 0
        self.elevation: float | None = None
        self._armed = False  # True after the trunk was down since the last count

    def reset(self) -> None:
        self.count, self.elevation, self._armed = 0, None, False

    def update(self, joints: np.ndarray, confidence: np.ndarray | None = None) -> int:
        """One frame of (17, 3) canonical joints (and (17,) confidence); returns the count."""
        ok = confidence is None or (confidence[PELVIS] >= self.min_conf and confidence[THORAX] >= self.min_conf)
        v = np.asarray(joints[THORAX], float) - np.asarray(joints[PELVIS], float)
        if ok and np.isfinite(v).all() and np.linalg.norm(v) > 1e-6:
            e = float(np.degrees(np.arcsin(np.clip(v @ self.up / np.linalg.norm(v), -1, 1))))
            self.elevation = e if self.elevation is None else self.alpha * e + (1 - self.alpha) * self.elevation
        if self.elevation is None:
            return self.count
        if self.elevation < self.down_deg:
            self._armed = True
        elif self.elevation > self.up_deg and self._armed:
            self.count += 1
            self._armed = False
        return self.count


def trunk_elevation(joints: np.ndarray, up=(0.0, 1.0, 0.0)) -> np.ndarray:
    """(T,) elevation in degrees of pelvis->thorax above the floor plane."""
    v = joints[:, THORAX] - joints[:, PELVIS]
    u = np.asarray(up, float) / np.linalg.norm(up)
    return np.degrees(np.arcsin(np.clip(v @ u / np.linalg.norm(v, axis=-1), -1, 1)))


def count_situp_reps(joints: np.ndarray, confidence: np.ndarray | None = None, **kwargs) -> int:
    """Number of sit-up repetitions in a (T, 17, 3) canonical sequence (see module doc)."""
    counter = SitupRepCounter(**kwargs)
    for i in range(len(joints)):
        counter.update(joints[i], None if confidence is None else confidence[i])
    return counter.count
