"""Small synthetic data and configs for the model tests (no ../shared needed)."""

from __future__ import annotations

import numpy as np

from engine.config import ModelConfig, from_dict
from engine.datasets import Sample

SMALL = dict(channels=(8, 8, 16, 16, 32, 32), attention_dim=8, local_dim=8, joint_dim=16,
             stage_hidden=8)


def small_model_config(**kw) -> ModelConfig:
    return ModelConfig(**{**SMALL, **kw})


def synthetic_samples(n: int = 32, seed: int = 0, movements=("sit_ups", "free_throw"),
                      faults: bool = True) -> list[Sample]:
    """Skeletons whose motion amplitude sets the score (a learnable rule), 8 subjects."""
    rng = np.random.default_rng(seed)
    pattern = np.random.default_rng(123).normal(0, 1, (1, 17, 3))  # how each joint moves
    out = []
    for i in range(n):
        t_len = int(50 + rng.integers(0, 30))
        q = float(rng.uniform(0, 1))
        base = rng.normal(0, 0.15, (17, 3))
        base[:, 1] += np.linspace(0, 1.7, 17)
        phase = np.sin(np.linspace(0, 2 * np.pi, t_len))[:, None, None]
        joints = base[None] + (0.05 + 0.4 * q) * phase * pattern
        edges = np.linspace(0, t_len, 5)
        out.append(Sample(
            joints=joints.astype(np.float32), score=20.0 + 70.0 * q, subject=f"s{i % 8}",
            movement=movements[i % len(movements)],
            stage_scores=np.full(4, 20.0 + 70.0 * q, np.float32),
            stage_bounds=np.stack([edges[:-1], edges[1:] - 1], axis=1),
            meta={"faults": ["shallow"] if (faults and q < 0.4) else []},
        ))
    return out


def quick_config(**train):
    data = {
        "name": "test_quick",
        "model": {**{k: list(v) if isinstance(v, tuple) else v for k, v in SMALL.items()},
                  "num_movements": -1, "num_faults": -1},
        "train": {"epochs": 8, "batch_size": 16, "lr": 0.003, "progress": False, "num_threads": 1,
                  "curriculum": {"enabled": False}, **train},
        "data": {"dataset": "simulator", "window": 24, "fps": 15.0},
    }
    return from_dict(data, "test config")
