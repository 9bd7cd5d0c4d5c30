"""The mixed loss of the paper's section 5 (eq. 23) and its terms (eqs. 15, 19-22).

All scores are on the 0-100 scale. Choices where the paper is vague:

* Eq. 20 literally adds the constant ``γ`` for every pair with ``y_i <= y_j`` (the indicator
  is 0 there). That constant carries no gradient; we leave it out, so a batch ranked
  correctly with margins ``>= γ`` has loss 0. Normalization stays ``1 / (N (N - 1))``.
  With ``groups`` (the movement of each sample) only pairs of the same movement are ranked.
* Eq. 22's frame-level score interpolates the stage scores linearly between the stage
  centres (constant before the first and after the last centre) on ``L'`` frames.
* Eq. 15 averages over *all* valid triplets of the batch (anchor, positive with
  ``|y_a - y_p| < δ``, negative with ``|y_a - y_n| > δ``, same movement where ``groups`` are
  given) instead of a random subset: the same expectation with less variance.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


def mse_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Eq. 19."""
    return F.mse_loss(pred, target)


def _pair_mask(groups: torch.Tensor | None, n: int, device) -> torch.Tensor:
    if groups is None:
        return torch.ones(n, n, dtype=torch.bool, device=device)
    return groups.unsqueeze(0) == groups.unsqueeze(1)


def rank_loss(pred: torch.Tensor, target: torch.Tensor, margin: float = 1.0,
              groups: torch.Tensor | None = None) -> torch.Tensor:
    """Eq. 20: ``1/(N(N-1)) Σ_{i≠j, y_i>y_j} max(0, γ - (ŷ_i - ŷ_j))``."""
    n = pred.shape[0]
    if n < 2:
        return pred.sum() * 0.0
    better = (target.unsqueeze(1) > target.unsqueeze(0)) & _pair_mask(groups, n, pred.device)
    diff = pred.unsqueeze(1) - pred.unsqueeze(0)  # ŷ_i - ŷ_j
    hinge = torch.relu(margin - diff) * better
    return hinge.sum() / (n * (n - 1))


def local_loss(stage_scores: torch.Tensor) -> torch.Tensor:
    """Eq. 21: mean squared difference of adjacent stage scores."""
    if stage_scores.shape[1] < 2:
        return stage_scores.sum() * 0.0
    return (stage_scores[:, 1:] - stage_scores[:, :-1]).pow(2).mean()


def frame_scores(stage_scores: torch.Tensor, stage_bounds: torch.Tensor, frames: int) -> torch.Tensor:
    """Stage scores (N, P) linearly interpolated between stage centres onto ``frames`` frames.

    ``stage_bounds`` (N, P, 2) are window fractions. Piecewise-linear, differentiable in both
    the scores and the bounds: ``s(u) = y_1 + Σ_p (y_{p+1} - y_p) clamp((u - c_p)/(c_{p+1} - c_p), 0, 1)``.
    """
    centres = stage_bounds.mean(dim=-1)  # (N, P)
    u = (torch.arange(frames, dtype=stage_scores.dtype, device=stage_scores.device) + 0.5) / frames
    s = stage_scores[:, :1].expand(-1, frames)
    if stage_scores.shape[1] > 1:
        gap = (centres[:, 1:] - centres[:, :-1]).clamp_min(1e-4)  # (N, P-1)
        t = ((u.view(1, 1, -1) - centres[:, :-1].unsqueeze(-1)) / gap.unsqueeze(-1)).clamp(0, 1)
        s = s + ((stage_scores[:, 1:] - stage_scores[:, :-1]).unsqueeze(-1) * t).sum(dim=1)
    return s


def smooth_loss(stage_scores: torch.Tensor, stage_bounds: torch.Tensor, frames: int) -> torch.Tensor:
    """Eq. 22: mean squared difference of adjacent frame-level scores."""
    s = frame_scores(stage_scores, stage_bounds, frames)
    if frames < 2:
        return s.sum() * 0.0
    return (s[:, 1:] - s[:, :-1]).pow(2).mean()


def contrastive_loss(features: torch.Tensor, target: torch.Tensor, delta: float = 5.0,
                     margin: float = 1.0, groups: torch.Tensor | None = None) -> torch.Tensor:
    """Eq. 15 over all valid triplets of the batch (0 when there is none)."""
    n = features.shape[0]
    d2 = torch.cdist(features, features).pow(2)  # (N, N) squared distances
    gap = (target.unsqueeze(1) - target.unsqueeze(0)).abs()
    same = _pair_mask(groups, n, features.device)
    eye = torch.eye(n, dtype=torch.bool, device=features.device)
    pos = (gap < delta) & same & ~eye  # (a, p)
    neg = (gap > delta) & same  # (a, n)
    valid = pos.unsqueeze(2) & neg.unsqueeze(1)  # (a, p, n)
    count = valid.sum()
    if int(count) == 0:
        return features.sum() * 0.0
    hinge = torch.relu(d2.unsqueeze(2) - d2.unsqueeze(1) + margin)  # d(a,p) - d(a,n) + τ
    return (hinge * valid).sum() / count


@dataclass
class LossWeights:
    """Weights of eq. 23 at one epoch (see :func:`engine.schedules.loss_weights`)."""

    rank: float = 0.5
    local: float = 0.2
    contrast: float = 0.1
    grade: float = 1.0
    stage: float = 1.0
    bounds: float = 100.0
    fault: float = 1.0
    rank_margin: float = 1.0
    contrast_delta: float = 5.0
    contrast_margin: float = 1.0
    rank_within_groups: bool = True


def total_loss(out, target: dict, w: LossWeights) -> tuple[torch.Tensor, dict[str, float]]:
    """Eq. 23 plus the supervised extras, on a model output and a batch's targets.

    ``target``: ``score`` (N,), ``grade`` (N,) long, ``movement`` (N,) long; optional
    ``stage_scores`` (N, P) with ``stage_mask`` (N,) bool, ``stage_bounds`` (N, P, 2) window
    fractions with ``bounds_mask`` (N,), ``faults`` (N, F) with ``fault_mask`` (N,).
    Returns the total and each term's value (for logs and curves).
    """
    y = target["score"]
    groups = target.get("movement") if w.rank_within_groups else None
    terms: dict[str, torch.Tensor] = {"mse": mse_loss(out.score_raw, y)}
    total = terms["mse"]
    if w.rank > 0:
        terms["rank"] = rank_loss(out.score_raw, y, w.rank_margin, groups)
        total = total + w.rank * terms["rank"]
    if w.local > 0:
        frames = out.temporal_attention.shape[-1]
        terms["local"] = local_loss(out.stage_scores)
        terms["smooth"] = smooth_loss(out.stage_scores, out.stage_bounds, frames)
        total = total + w.local * (terms["local"] + terms["smooth"])
    if w.contrast > 0:
        terms["contrast"] = contrastive_loss(out.f_joint, y, w.contrast_delta, w.contrast_margin,
                                             target.get("movement"))
        total = total + w.contrast * terms["contrast"]
    if w.grade > 0 and "grade" in target:
        terms["grade"] = F.cross_entropy(out.grade_logits, target["grade"])
        total = total + w.grade * terms["grade"]
    mask = target.get("stage_mask")
    if w.stage > 0 and mask is not None and bool(mask.any()):
        terms["stage"] = F.mse_loss(out.stage_scores[mask], target["stage_scores"][mask])
        total = total + w.stage * terms["stage"]
    mask = target.get("bounds_mask")
    if w.bounds > 0 and mask is not None and bool(mask.any()):
        terms["bounds"] = F.l1_loss(out.stage_bounds[mask], target["stage_bounds"][mask])
        total = total + w.bounds * terms["bounds"]
    mask = target.get("fault_mask")
    if (w.fault > 0 and mask is not None and bool(mask.any())
            and out.fault_logits.shape[1] == target["faults"].shape[1]):
        terms["fault"] = F.binary_cross_entropy_with_logits(out.fault_logits[mask],
                                                            target["faults"][mask])
        total = total + w.fault * terms["fault"]
    return total, {k: float(v.detach()) for k, v in terms.items()}
