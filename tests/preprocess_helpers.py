"""Crafted skeletons with known answers for the preprocessing tests."""

from __future__ import annotations

import numpy as np

from engine.skeleton import JOINT_INDEX, NUM_JOINTS

# A standing T-pose-ish skeleton in metres (canonical frame: x right, y up, z to camera).
_REST = {
    "pelvis": (0.0, 1.0, 0.0), "right_hip": (-0.12, 0.95, 0.0), "right_knee": (-0.13, 0.52, 0.02),
    "right_ankle": (-0.14, 0.08, 0.0), "left_hip": (0.12, 0.95, 0.0),
    "left_knee": (0.13, 0.52, 0.02), "left_ankle": (0.14, 0.08, 0.0), "spine": (0.0, 1.22, 0.0),
    "thorax": (0.0, 1.45, 0.0), "neck": (0.0, 1.55, 0.0), "head": (0.0, 1.70, 0.02),
    "left_shoulder": (0.2, 1.45, 0.0), "left_elbow": (0.25, 1.18, 0.05),
    "left_wrist": (0.28, 0.95, 0.12), "right_shoulder": (-0.2, 1.45, 0.0),
    "right_elbow": (-0.25, 1.18, 0.05), "right_wrist": (-0.28, 0.95, 0.12),
}  # fmt: skip
REST = np.array([_REST[n] for n in sorted(_REST, key=JOINT_INDEX.get)], dtype=np.float64)


def moving_skeleton(t_len: int = 60, seed: int = 0, fps: float = 30.0) -> np.ndarray:
    """(T, 17, 3) skeleton that walks sideways, bobs and swings its arms smoothly."""
    rng = np.random.default_rng(seed)
    t = np.arange(t_len) / fps
    out = np.repeat(REST[None], t_len, axis=0)
    out[:, :, 0] += 0.3 * t[:, None]  # walks right
    out[:, :, 1] += 0.05 * np.sin(2 * np.pi * 0.7 * t)[:, None]
    for j in ("left_wrist", "right_wrist", "left_elbow", "right_elbow"):
        k = JOINT_INDEX[j]
        out[:, k, 2] += 0.2 * np.sin(2 * np.pi * 0.5 * t + rng.uniform(0, 1))
    out[:, :, 2] -= 3.0  # 3 m in front of the camera
    return out


def confidence_ones(t_len: int) -> np.ndarray:
    return np.ones((t_len, NUM_JOINTS), dtype=np.float32)
