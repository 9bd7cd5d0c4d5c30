"""Builders shared by the records tests (real store, real files; only inputs are synthetic)."""

from __future__ import annotations

import numpy as np

from engine.grading import default_grading
from engine.recording import Recording, RecordingMeta
from engine.scoring import ScoreResult


def make_result(score: float, stages=None, feedback=("keep_back_straight",), version="test-1"):
    stages = np.full(4, score) if stages is None else np.asarray(stages, float)
    return ScoreResult(
        score=float(score), grade=default_grading().grade(score), grade_probs=np.full(5, 0.2),
        stage_scores=stages, stage_bounds=np.zeros((4, 2)), temporal_attention=np.ones(1),
        joint_contribution=np.full(17, 1 / 17), feedback=list(feedback), model_version=version,
    )  # fmt: skip


def make_frames(t: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    joints = rng.normal(0, 0.3, (t, 17, 3)).astype(np.float32)
    conf = np.full((t, 17), 0.9, np.float32)
    ts = np.arange(t) / 30.0
    return joints, conf, ts


def make_recording(t: int = 20, movement: str = "sit_ups", seed: int = 0) -> Recording:
    j, c, ts = make_frames(t, seed)
    return Recording(j, c, ts, RecordingMeta(movement=movement))
