"""The hierarchical scoring regression module of the paper's section 4.

Input: the backbone's ``Z (N, C_T, T', V)`` and its temporal attention ``a (N, T')``.

Choices where the paper is vague:

* Eq. 9 divides by ``K·L'`` while ``α`` (the temporal attention) already sums to one over
  frames; we use the attention-weighted mean ``f_global = Σ_n a_n · mean_i Z[:, n, i]`` so the
  feature does not shrink with the window.
* Stage detection (eq. 13's ``s_p, e_p``): a light TCN classifies each backbone frame into one
  of ``P`` stages; the mean of its per-frame softmax gives each stage's share of the window,
  the cumulative sum places the ``P`` ordered, contiguous boundaries, and each stage's soft
  membership of frame ``n`` is ``σ((u_n - s_p)/τ) - σ((u_n - e_p)/τ)``. Everything is
  differentiable; the last TCN layer starts at zero so the initial split is uniform (the
  paper's "uniformly divided" starting point). Bounds are returned as fractions of the window.
* Eq. 14's per-stage regressors are ``P`` unshared linear layers, stored as one (P, C) weight.
  Their biases start at 50 (mid-scale); the trainer resets them to the training mean.
* The contrastive loss uses ``f_joint`` before dropout; dropout (0.5) is applied before the
  final layers (score, Δ, grade and fault layers and the stage regressors).
* Eq. 12's activation is ReLU; ``joint_activation="leaky_relu"`` (slope 0.1) is an option
  because with ReLU every FC1 unit of the first starter model died in training, leaving
  ``f_joint`` (and the grade, fault and Δ outputs) one constant per movement.
* Eq. 17 fuses the stage scores by their mean (1/P). ``stage_weights`` (one row of P per
  movement, ``ModelConfig.stage_fusion="rubric"``) fuses them with each movement's rubric
  weights instead, the weights the labelled total is made of; with the mean, a model whose
  stage scores equal the labelled stage scores misses the labelled total by 1-2.3 points
  (simulated data, ``resources/models/README.md``). Without a movement input the mean is used.
* Eq. 17's clip stops gradients outside [0, 100]; the loss uses the unclipped ``score_raw``,
  reported scores are clipped.
* Without the stage head (Model-D) the score layer gets a bias (the mean stage score was the
  intercept) and ``stage_scores`` repeat the score, ``stage_bounds`` are the uniform split.
* ``joint_contribution``: attention-based and exportable: for joint ``i`` in region ``r``,
  ``Σ_n a_n ‖Z[:, n, i]‖ · R·β_r`` (temporal attention × activation energy × the region's
  cross-attention weight), normalised to sum to 1 over joints.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class StageDetector(nn.Module):
    """Light temporal conv net placing ``P`` soft, ordered stage boundaries (see module doc)."""

    def __init__(self, channels: int, num_stages: int = 4, hidden: int = 64,
                 temperature: float = 0.5):
        super().__init__()
        self.temperature = temperature
        self.tcn = nn.Sequential(
            nn.Conv1d(channels, hidden, 3, padding=1), nn.BatchNorm1d(hidden), nn.ReLU(),
            nn.Conv1d(hidden, hidden, 3, padding=2, dilation=2), nn.BatchNorm1d(hidden), nn.ReLU(),
            nn.Conv1d(hidden, num_stages, 1),
        )
        nn.init.zeros_(self.tcn[-1].weight)
        nn.init.zeros_(self.tcn[-1].bias)

    def forward(self, zt: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """zt (N, C, T') -> bounds (N, P, 2) in window fractions, membership (N, P, T')."""
        share = torch.softmax(self.tcn(zt), dim=1).mean(dim=-1)  # (N, P), sums to 1
        ends = torch.cumsum(share, dim=-1)
        starts = ends - share
        t = zt.shape[-1]
        u = (torch.ones_like(zt[:1, 0]).cumsum(-1) - 0.5) / t  # frame centres (1, T')
        tau = self.temperature / t
        member = (torch.sigmoid((u.unsqueeze(1) - starts.unsqueeze(-1)) / tau)
                  - torch.sigmoid((u.unsqueeze(1) - ends.unsqueeze(-1)) / tau))
        return torch.stack([starts, ends], dim=-1), member


#: Output scale of the final linear layers: ``y = SCORE_SCALE · (w·f) + b`` is the same linear
#: map as eq. 14/17 with ``w`` reparametrized, so that a 0-100 score is reached with weights of
#: the size the optimizer's steps suit (an optimization detail, not a change of the model).
SCORE_SCALE = 10.0


class StageScorer(nn.Module):
    """Eqs. 13-14: stage pooling of ``Z`` over the soft stage, one linear regressor per stage."""

    def __init__(self, channels: int, num_stages: int, dropout: float):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.weight = nn.Parameter(torch.randn(num_stages, channels) * 0.01)
        self.bias = nn.Parameter(torch.full((num_stages,), 50.0))

    def forward(self, zt: torch.Tensor, member: torch.Tensor) -> torch.Tensor:
        pooled = torch.matmul(member, zt.transpose(1, 2))  # (N, P, C)
        pooled = pooled / member.sum(dim=-1, keepdim=True).clamp_min(1e-6)
        return SCORE_SCALE * (self.dropout(pooled) * self.weight).sum(dim=-1) + self.bias  # (N, P)


class GlobalLocalEncoder(nn.Module):
    """Eqs. 9-12: attention-weighted global feature, 5 region features, cross-attention, f_joint."""

    def __init__(self, channels: int, regions: tuple[tuple[int, ...], ...], local_dim: int = 64,
                 joint_dim: int = 128, num_joints: int = 17, activation: str = "relu"):
        super().__init__()
        self.local_dim = local_dim
        self.negative_slope = 0.1 if activation == "leaky_relu" else 0.0
        self.region_fc = nn.ModuleList(nn.Linear(len(r) * channels, local_dim) for r in regions)
        for i, r in enumerate(regions):
            self.register_buffer(f"region_{i}", torch.tensor(r, dtype=torch.long), persistent=False)
        # region weight of each joint, to spread the cross-attention back onto joints
        owner = torch.zeros(num_joints, len(regions))
        for i, r in enumerate(regions):
            owner[list(r), i] = 1.0
        self.register_buffer("joint_region", owner, persistent=False)
        self.q = nn.Linear(channels, local_dim, bias=False)
        self.k = nn.Linear(local_dim, local_dim, bias=False)
        self.v = nn.Linear(local_dim, local_dim, bias=False)
        self.fc1 = nn.Linear(channels + local_dim, joint_dim)
        self.fc2 = nn.Linear(joint_dim, joint_dim)

    def forward(self, z: torch.Tensor, a: torch.Tensor):
        """z (N, C, T', V), a (N, T') -> f_joint (N, C_J), region weights β (N, R)."""
        f_global = (z.mean(dim=-1) * a.unsqueeze(1)).sum(dim=-1)  # eq. 9, (N, C)
        per_joint = z.mean(dim=2)  # (N, C, V): temporal mean of each joint
        locs = [fc(per_joint.index_select(2, getattr(self, f"region_{i}")).flatten(1))
                for i, fc in enumerate(self.region_fc)]  # eq. 10
        local = torch.stack(locs, dim=1)  # (N, R, C_L)
        q = self.q(f_global).unsqueeze(-1)  # (N, C_L, 1)
        beta = torch.softmax(torch.matmul(self.k(local), q).squeeze(-1)
                             / math.sqrt(self.local_dim), dim=-1)  # eq. 11, (N, R)
        attended = (beta.unsqueeze(-1) * self.v(local)).sum(dim=1)
        pre = self.fc1(torch.cat([f_global, attended], dim=1))
        act = (torch.nn.functional.leaky_relu(pre, self.negative_slope) if self.negative_slope
               else torch.relu(pre))
        f_joint = self.fc2(act)  # eq. 12
        return f_joint, beta


class ScoringHead(nn.Module):
    """Section 4 end to end: encoder, stage head, bias branch, dual output (+ fault head)."""

    def __init__(self, channels: int, regions, *, local_dim=64, joint_dim=128, num_stages=4,
                 num_grades=5, num_movements=0, num_faults=0, dropout=0.5, stage_head=True,
                 bias_branch=True, stage_hidden=64, stage_temperature=0.5, num_joints=17,
                 joint_activation="relu", stage_weights=()):
        super().__init__()
        self.num_stages = num_stages
        self.encoder = GlobalLocalEncoder(channels, regions, local_dim, joint_dim, num_joints,
                                          joint_activation)
        if stage_weights:  # (M, P) rubric weights of eq. 17's fusion (see module doc)
            w = torch.tensor([list(r) for r in stage_weights], dtype=torch.float32)
            if w.shape != (num_movements, num_stages):
                raise ValueError(f"stage_weights must be {num_movements} rows of {num_stages} "
                                 f"weights (one per movement), got {tuple(w.shape)}")
            self.register_buffer("stage_weights", w, persistent=False)
        else:
            self.stage_weights = None
        self.movement_embed = nn.Embedding(num_movements, joint_dim) if num_movements else None
        self.dropout = nn.Dropout(dropout)
        if stage_head:
            self.stage_detector = StageDetector(channels, num_stages, stage_hidden, stage_temperature)
            self.stage_scorer = StageScorer(channels, num_stages, dropout)
        else:
            self.stage_detector = None
            self.stage_scorer = None
        self.bias_fc = nn.Linear(joint_dim, 1) if bias_branch else None  # eq. 16
        self.score_fc = nn.Linear(joint_dim, 1, bias=not stage_head)  # w_cont of eq. 17
        if not stage_head:
            nn.init.constant_(self.score_fc.bias, 50.0)
        self.grade_fc = nn.Linear(joint_dim, num_grades)  # eq. 18
        self.fault_fc = nn.Linear(joint_dim, num_faults) if num_faults else None

    def set_score_prior(self, mean: float) -> None:
        """Start the score at ``mean`` (the training set's mean score)."""
        with torch.no_grad():
            if self.stage_scorer is not None:
                self.stage_scorer.bias.fill_(mean)
            else:
                self.score_fc.bias.fill_(mean)

    def forward(self, z: torch.Tensor, a: torch.Tensor, movement: torch.Tensor | None = None):
        f_joint, beta = self.encoder(z, a)
        if self.movement_embed is not None and movement is not None:
            f_joint = f_joint + self.movement_embed(movement)
        h = self.dropout(f_joint)
        raw = self.score_fc(h).squeeze(-1) * SCORE_SCALE
        if self.score_fc.bias is not None:  # keep the bias itself on the 0-100 scale
            raw = raw - (SCORE_SCALE - 1.0) * self.score_fc.bias
        if self.bias_fc is not None:
            raw = raw + 10.0 * torch.tanh(self.bias_fc(h).squeeze(-1))  # eq. 16
        zt = z.mean(dim=-1)  # (N, C, T')
        if self.stage_scorer is not None:
            bounds, member = self.stage_detector(zt)
            stage_scores = self.stage_scorer(zt, member)
            if self.stage_weights is not None and movement is not None:
                raw = raw + (stage_scores * self.stage_weights[movement]).sum(dim=-1)
            else:
                raw = raw + stage_scores.mean(dim=-1)  # eq. 17
        else:
            share = torch.ones_like(zt[:, :self.num_stages, 0]) / self.num_stages
            ends = torch.cumsum(share, dim=-1)
            bounds = torch.stack([ends - share, ends], dim=-1)
            stage_scores = raw.unsqueeze(-1).expand(-1, self.num_stages)
        energy = (z.pow(2).sum(dim=1) + 1e-12).sqrt()  # (N, T', V)
        contrib = (energy * a.unsqueeze(-1)).sum(dim=1)  # (N, V)
        contrib = contrib * torch.matmul(beta, self.encoder.joint_region.t()) * beta.shape[-1]
        contrib = contrib / contrib.sum(dim=-1, keepdim=True).clamp_min(1e-12)
        faults = self.fault_fc(h) if self.fault_fc is not None else raw.new_zeros((raw.shape[0], 0))
        return {
            "score": raw.clamp(0.0, 100.0),
            "score_raw": raw,
            "stage_scores": stage_scores,
            "stage_bounds": bounds,
            "grade_logits": self.grade_fc(h),
            "fault_logits": faults,
            "joint_contribution": contrib,
            "f_joint": f_joint,
            "region_attention": beta,
        }
