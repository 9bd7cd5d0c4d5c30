"""What a scorer returns, shared by the torch model, the runtime backends and the live scorer.

A scorer takes one attempt as canonical joints ``(T, 17, 3)`` in metres (see
``engine.skeleton``) plus the movement name, and returns a :class:`ScoreResult`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from engine.grading import GRADES


@dataclass
class ScoreResult:
    score: float  # 0-100
    grade: str  # one of engine.grading.GRADES (from the score and the thresholds in resources/)
    grade_probs: np.ndarray  # (5,) softmax of the grade classifier, GRADES order
    stage_scores: np.ndarray  # (4,) 0-100, one per movement stage
    stage_bounds: np.ndarray  # (4, 2) [start, end) frame of each stage in the scored input
    temporal_attention: np.ndarray  # (T,) over the scored input's frames, sums to 1
    joint_contribution: np.ndarray  # (17,) share of each joint in the score, sums to 1
    feedback: list[str] = field(default_factory=list)  # feedback keys, most important first
    model_version: str = ""

    @property
    def predicted_class(self) -> str:
        return GRADES[int(np.argmax(self.grade_probs))]


class Scorer(Protocol):
    """Anything that scores attempts (torch, ONNX Runtime, TensorRT)."""

    model_version: str

    def score(self, joints: np.ndarray, movement: str) -> ScoreResult: ...
