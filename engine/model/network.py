"""KineScoreNet: the paper's full network (backbone of section 3 + scoring head of section 4).

Input ``x (N, 3, T, 17)``: preprocessed joints (eq. 2 normalization, fixed window),
channels-first; optional ``movement (N,)`` long indices (needs ``num_movements > 0``).

Output :class:`ModelOutput` (a NamedTuple, so ``out.score`` and ``out[0]`` both work):

========================  ==============  =================================================
field                     shape           meaning
========================  ==============  =================================================
score                     (N,)            eq. 17, clipped to [0, 100]
score_raw                 (N,)            the same before the clip (what the loss sees)
stage_scores              (N, P)          eq. 14, one per movement stage
stage_bounds              (N, P, 2)       [start, end) of each stage, fractions of the window
grade_logits              (N, G)          eq. 18 before the softmax, GRADES order
temporal_attention        (N, T')         eq. 8 of the last block, rows sum to 1
joint_contribution        (N, 17)         share of each joint, rows sum to 1
fault_logits              (N, F)          auxiliary multi-label fault head (F may be 0)
f_joint                   (N, C_J)        joint encoding (eq. 12), used by the contrastive loss
region_attention          (N, 5)          β of eq. 11
========================  ==============  =================================================
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from engine import skeleton
from engine.config import ModelConfig
from engine.model.backbone import Backbone, output_frames
from engine.model.head import ScoringHead


class ModelOutput(NamedTuple):
    score: torch.Tensor
    score_raw: torch.Tensor
    stage_scores: torch.Tensor
    stage_bounds: torch.Tensor
    grade_logits: torch.Tensor
    temporal_attention: torch.Tensor
    joint_contribution: torch.Tensor
    fault_logits: torch.Tensor
    f_joint: torch.Tensor
    region_attention: torch.Tensor


#: The outputs an exported (ONNX) model provides, in this order.
EXPORT_OUTPUTS = ("score", "stage_scores", "stage_bounds", "grade_logits", "temporal_attention",
                  "joint_contribution", "fault_logits")


class KineScoreNet(nn.Module):
    def __init__(self, config: ModelConfig | None = None):
        super().__init__()
        cfg = config or ModelConfig()
        self.config = cfg
        adjacency = torch.from_numpy(skeleton.adjacency(self_loops=True))
        self.backbone = Backbone(
            adjacency, tuple(cfg.channels), in_channels=3, num_movements=cfg.num_movements,
            tcn_kernel=cfg.tcn_kernel, tms_branches=tuple(cfg.tms_branches) if cfg.multiscale
            else ((3, 1),), attention_dim=cfg.attention_dim, adaptive=cfg.adaptive_graph,
            attention=cfg.attention, residual=cfg.residual, hidden=tuple(cfg.block_hidden),
            motion=cfg.input_motion, bones=skeleton.PARENTS if cfg.input_bones else None,
        )
        self.head = ScoringHead(
            cfg.channels[-1], tuple(skeleton.REGIONS.values()), local_dim=cfg.local_dim,
            joint_dim=cfg.joint_dim, num_stages=cfg.num_stages, num_grades=cfg.num_grades,
            num_movements=cfg.num_movements, num_faults=cfg.num_faults, dropout=cfg.dropout,
            stage_head=cfg.stage_head, bias_branch=cfg.bias_branch, stage_hidden=cfg.stage_hidden,
            stage_temperature=cfg.stage_temperature, num_joints=skeleton.NUM_JOINTS,
            joint_activation=cfg.joint_activation, stage_weights=cfg.stage_weights,
        )

    def output_frames(self, window: int) -> int:
        return output_frames(window, tuple(self.config.channels))

    def forward(self, x: torch.Tensor, movement: torch.Tensor | None = None) -> ModelOutput:
        z, a = self.backbone(x, movement)
        h = self.head(z, a, movement)
        return ModelOutput(
            score=h["score"], score_raw=h["score_raw"], stage_scores=h["stage_scores"],
            stage_bounds=h["stage_bounds"], grade_logits=h["grade_logits"],
            temporal_attention=a, joint_contribution=h["joint_contribution"],
            fault_logits=h["fault_logits"], f_joint=h["f_joint"],
            region_attention=h["region_attention"],
        )


class ExportWrapper(nn.Module):
    """The network with a fixed positional signature and the :data:`EXPORT_OUTPUTS` outputs."""

    def __init__(self, model: KineScoreNet):
        super().__init__()
        self.model = model
        self.with_movement = model.config.num_movements > 0

    def forward(self, x: torch.Tensor, movement: torch.Tensor | None = None):
        out = self.model(x, movement if self.with_movement else None)
        return tuple(getattr(out, name) for name in EXPORT_OUTPUTS)


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
