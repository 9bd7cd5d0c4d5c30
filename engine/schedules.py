"""Training schedules of the paper's section 5: loss weights, hard-example mining, curriculum.

Epochs are counted from 1 (the paper's "epochs 1-10").

* ``λ1(t) = λ1⁽⁰⁾ · min(1, t / T_warm)`` and ``λ2(t) = λ2⁽⁰⁾ · 0.9^⌊t/10⌋`` (section 5).
* Hard-example mining (eq. 24): ``h_i = δ_i · exp(-η |y_i - 50| / 50)``; the ``⌈N ρ⌉``
  hardest samples of a batch get gradients, the rest are computed but detached.
  ``ρ`` falls linearly from ``rho_start`` at epoch 1 to ``rho_end`` at the last epoch.
  (Eq. 24's text says extreme scores should rank *higher*, but ``exp(-η|y-50|/50)`` lowers
  them; we implement the equation as written and note the contradiction here.)
  Easy (skipped) samples enter a memory buffer for ``buffer_epochs`` epochs; each epoch a
  ``replay_fraction`` of the buffer is replayed with gradients for every sample.
* Curriculum (eq. 25): motion intensity ``d_i`` = RMS inter-frame displacement of the
  normalized joints, min-max normalized over the training set; levels easy ``< 0.3``,
  medium ``< 0.6``, hard. Epochs ``1..easy_until``: easy only; then medium samples are drawn
  with probability rising linearly from 0 (epoch ``easy_until + 1``) to 1 (epoch
  ``ramp_until``); hard samples join after ``ramp_until``. (The paper does not say when hard
  samples join before epoch 26; we keep them out until then, as its text reads.)
"""

from __future__ import annotations

import math

import numpy as np

from engine.config import TrainConfig
from engine.model.losses import LossWeights


def lambda_rank(epoch: int, base: float = 0.5, warmup: int = 5) -> float:
    return base * min(1.0, epoch / warmup) if warmup > 0 else base


def lambda_local(epoch: int, base: float = 0.2, decay: float = 0.9, every: int = 10) -> float:
    return base * decay ** (epoch // every) if every > 0 else base


def loss_weights(epoch: int, cfg: TrainConfig) -> LossWeights:
    return LossWeights(
        rank=lambda_rank(epoch, cfg.lambda_rank, cfg.rank_warmup),
        local=lambda_local(epoch, cfg.lambda_local, cfg.lambda_local_decay, cfg.lambda_local_every),
        contrast=cfg.lambda_contrast, grade=cfg.lambda_grade, stage=cfg.lambda_stage,
        bounds=cfg.lambda_bounds, fault=cfg.lambda_fault, rank_margin=cfg.rank_margin,
        contrast_delta=cfg.contrast_delta, contrast_margin=cfg.contrast_margin,
        rank_within_groups=cfg.rank_within_movement,
    )


# --------------------------------------------------------------------------- mining (eq. 24)
def mining_rho(epoch: int, epochs: int, start: float = 0.6, end: float = 0.3) -> float:
    if epochs <= 1:
        return start
    frac = min(max((epoch - 1) / (epochs - 1), 0.0), 1.0)
    return start + (end - start) * frac


def difficulty(abs_error: np.ndarray, target: np.ndarray, eta: float = 0.5) -> np.ndarray:
    """Eq. 24: ``h_i = δ_i · exp(-η |y_i - 50| / 50)``."""
    return np.asarray(abs_error, float) * np.exp(-eta * np.abs(np.asarray(target, float) - 50) / 50)


def hard_mask(h: np.ndarray, rho: float) -> np.ndarray:
    """True for the ``⌈N ρ⌉`` samples with the largest difficulty (ties: first index)."""
    h = np.asarray(h, float)
    m = min(len(h), int(math.ceil(len(h) * rho - 1e-9)))
    mask = np.zeros(len(h), bool)
    mask[np.argsort(-h, kind="stable")[:m]] = True
    return mask


class EasyBuffer:
    """Memory of the easy samples skipped in the last ``epochs`` epochs (eq. 24's buffer)."""

    def __init__(self, epochs: int = 10, fraction: float = 0.2):
        self.epochs = epochs
        self.fraction = fraction
        self.last_skipped: dict[int, int] = {}

    def add(self, ids, epoch: int) -> None:
        for i in ids:
            self.last_skipped[int(i)] = epoch

    def expire(self, epoch: int) -> None:
        self.last_skipped = {i: e for i, e in self.last_skipped.items() if epoch - e < self.epochs}

    def __len__(self) -> int:
        return len(self.last_skipped)

    def replay(self, epoch: int, rng: np.random.Generator) -> list[int]:
        """Expire old entries, then draw ``fraction`` of the buffer (without replacement)."""
        self.expire(epoch)
        ids = sorted(self.last_skipped)
        k = int(round(len(ids) * self.fraction))
        if k == 0:
            return []
        return sorted(int(i) for i in rng.choice(ids, size=k, replace=False))


# --------------------------------------------------------------------------- curriculum (eq. 25)
def motion_intensity(joints: np.ndarray) -> float:
    """Eq. 25 on one normalized (L, K, 3) sequence: RMS inter-frame joint displacement."""
    j = np.asarray(joints, float)
    if len(j) < 2:
        return 0.0
    return float(np.sqrt(np.mean(np.sum(np.diff(j, axis=0) ** 2, axis=-1))))


def intensity_levels(d: np.ndarray, thresholds=(0.3, 0.6)) -> np.ndarray:
    """Min-max normalize intensities to [0, 1]; 0 easy, 1 medium, 2 hard."""
    d = np.asarray(d, float)
    span = d.max() - d.min() if len(d) else 0.0
    u = (d - d.min()) / span if span > 0 else np.zeros_like(d)
    return np.where(u < thresholds[0], 0, np.where(u < thresholds[1], 1, 2))


def curriculum_probability(levels: np.ndarray, epoch: int, easy_until: int = 10,
                           ramp_until: int = 25) -> np.ndarray:
    """Probability that each sample is used at ``epoch``."""
    levels = np.asarray(levels)
    if epoch > ramp_until:
        return np.ones(len(levels))
    p_medium = 0.0
    if epoch > easy_until:
        span = ramp_until - (easy_until + 1)
        p_medium = 1.0 if span <= 0 else (epoch - (easy_until + 1)) / span
    return np.select([levels == 0, levels == 1], [1.0, p_medium], 0.0)
