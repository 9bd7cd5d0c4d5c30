"""Faults -> labels: which faults an attempt shows, the rubric scores and three raters.

Fault sampling (:func:`sample_faults`)
    An attempt's ability is the student's ``skill`` plus N(0, 0.1) (students have good and
    bad days). Each fault of the movement shows with probability
    ``0.2 + 0.8 (1 - ability)`` and then has magnitude ``Beta(2, 2) * (0.6 + 0.8 (1 - ability))``
    clipped to [0.05, 1]. Weak students make more
    and bigger faults, so total scores spread over all five grades (see docs/simulator.md).

Rubric (``engine.movements.Movement.stage_scores``)
    stage score = 100 * prod_f (1 - severity_f * magnitude_f), total = sum_p w_p stage_p.

Raters (:func:`rate`)
    Three simulated raters score each stage as ``true + b_r + c + e`` clipped to [0, 100]:
    ``b_r`` a fixed leniency per rater (N(0, 1.5), the same for every attempt of one rater
    panel), ``c`` N(0, 4) the rater's overall impression of this attempt (shared by its
    four stages) and ``e`` N(0, 4.5) per stage. A rater's total is the rubric's weighted sum
    of their stage scores; the label is the mean of the three raters (stage scores and
    total). With the score spread the sampler produces, ICC(2,1) of the raters' totals is
    about 0.9 (measured in docs/simulator.md), like the paper's 0.92.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.grading import default_grading
from engine.movements import Movement

P0, P1, PE, M0, M1 = 0.2, 0.8, 1.0, 0.6, 0.8  # see sample_faults
N_RATERS = 3
RATER_BIAS_SD = 1.5
RATER_IMPRESSION_SD = 4.0
RATER_STAGE_SD = 4.5


def sample_faults(movement: Movement, skill: float, rng: np.random.Generator) -> dict[str, float]:
    """Fault magnitudes ``{key: m}`` (only the faults that show) for one attempt."""
    ability = float(np.clip(skill + rng.normal(0.0, 0.1), 0.0, 1.0))
    weak = 1.0 - ability
    out: dict[str, float] = {}
    for f in movement.faults:
        # draw both numbers for every fault so that the stream does not depend on outcomes
        shows = rng.random() < P0 + P1 * weak**PE
        m = float(np.clip(rng.beta(2.0, 2.0) * (M0 + M1 * weak), 0.05, 1.0))
        if shows:
            out[f.key] = round(m, 4)
    return out


def validate_faults(movement: Movement, faults: dict[str, float]) -> dict[str, float]:
    """Check keys and magnitudes of user-given faults; returns a clean copy."""
    out = {}
    for key, m in faults.items():
        if key not in movement.fault_keys:
            raise ValueError(f"{movement.key}: unknown fault {key!r}; known: {movement.fault_keys}")
        m = float(m)
        if not 0.0 <= m <= 1.0:
            raise ValueError(f"{movement.key}: magnitude of {key!r} must be in [0, 1], got {m}")
        if m > 0:
            out[key] = m
    return out


def rater_biases(panel_seed: int = 0) -> np.ndarray:
    """The fixed leniency of each of the three raters of a panel."""
    return np.random.default_rng([int(panel_seed), 0x4A7E5]).normal(0.0, RATER_BIAS_SD, N_RATERS)


@dataclass
class Labels:
    true_stage_scores: np.ndarray  # (4,) rubric, before rater noise
    true_score: float
    rater_stage_scores: np.ndarray  # (3, 4)
    rater_scores: np.ndarray  # (3,)
    stage_scores: np.ndarray  # (4,) mean of the raters: the label
    score: float  # mean of the raters' totals: the label
    grade: str

    def as_dict(self) -> dict:
        return {
            "score": round(self.score, 3),
            "stage_scores": [round(float(x), 3) for x in self.stage_scores],
            "grade": self.grade,
            "raters": [round(float(x), 3) for x in self.rater_scores],
            "rater_stage_scores": [
                [round(float(x), 3) for x in r] for r in self.rater_stage_scores
            ],
            "true_score": round(self.true_score, 3),
            "true_stage_scores": [round(float(x), 3) for x in self.true_stage_scores],
        }


def rate(
    movement: Movement,
    faults: dict[str, float],
    rng: np.random.Generator,
    biases: np.ndarray | None = None,
) -> Labels:
    """Rubric scores of an attempt with these faults, as scored by three noisy raters."""
    true_stage = movement.stage_scores(faults)
    true_total = movement.total_score(true_stage)
    b = rater_biases() if biases is None else np.asarray(biases, float)
    impression = rng.normal(0.0, RATER_IMPRESSION_SD, (N_RATERS, 1))
    per_stage = rng.normal(0.0, RATER_STAGE_SD, (N_RATERS, 4))
    raters = np.clip(true_stage[None, :] + b[:, None] + impression + per_stage, 0.0, 100.0)
    totals = raters @ np.asarray(movement.stage_weights)
    score = float(totals.mean())
    return Labels(true_stage, true_total, raters, totals, raters.mean(axis=0), score,
                  default_grading().grade(score))  # fmt: skip


def icc(ratings: np.ndarray) -> dict[str, float]:
    """Intraclass correlation of an (n targets, k raters) table (Shrout & Fleiss 1979):
    ICC(1,1) one-way random, ICC(2,1) two-way random absolute agreement, ICC(2,k) for the
    mean of the k raters."""
    x = np.asarray(ratings, dtype=np.float64)
    n, k = x.shape
    grand = x.mean()
    ss_rows = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ss_cols = n * ((x.mean(axis=0) - grand) ** 2).sum()
    ss_total = ((x - grand) ** 2).sum()
    ss_err = ss_total - ss_rows - ss_cols
    msr = ss_rows / (n - 1)
    msc = ss_cols / (k - 1)
    mse = ss_err / ((n - 1) * (k - 1))
    msw = (ss_cols + ss_err) / (n * (k - 1))
    return {
        "ICC(1,1)": float((msr - msw) / (msr + (k - 1) * msw)),
        "ICC(2,1)": float((msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)),
        "ICC(2,k)": float((msr - mse) / (msr + (msc - mse) / n)),
    }
