"""A seed ensemble: several :class:`KineScoreNet` whose outputs are averaged.

Why: the bundled starter model is trained on 1,440 simulated attempts; networks trained
from different random seeds make partly independent errors, and averaging them lowers the
score error without any change to the network of the paper (the model card gives the
measured gain, ``resources/models/README.md``). The ensemble is one ``nn.Module`` with the
network's call signature and :class:`~engine.model.network.ModelOutput`, so the scorer, the
ONNX export (one graph holding every member) and TensorRT need no special case.

Members share one architecture; they may differ only in the input fields of
:data:`MEMBER_FIELDS` (a two-stream ensemble: joint-input and bone-input networks,
``bundle.two_stream``), which change nothing but the input channels of the first layer.

How each output is combined (``K`` members):

* ``score`` / ``score_raw`` / ``stage_scores`` / ``stage_bounds`` / ``f_joint``: the mean;
* ``grade_logits``: the log of the mean grade probability (softmax of the result = the mean
  of the members' probabilities);
* ``fault_logits``: the logit of the mean fault probability;
* ``temporal_attention`` / ``joint_contribution`` / ``region_attention``: the mean (rows
  still sum to 1).
"""

from __future__ import annotations

from dataclasses import replace

import torch
from torch import nn

from engine.config import ModelConfig
from engine.model.network import KineScoreNet, ModelOutput

_EPS = 1e-6
#: Model config fields in which the members of one ensemble may differ (the input streams).
MEMBER_FIELDS = ("input_bones",)


def member_overrides(configs: list[ModelConfig]) -> list[dict]:
    """Each member's :data:`MEMBER_FIELDS` values (what a checkpoint stores for them)."""
    return [{f: getattr(c, f) for f in MEMBER_FIELDS} for c in configs]


class KineScoreEnsemble(nn.Module):
    def __init__(self, config: ModelConfig, members: int, overrides: list[dict] | None = None):
        """``members`` networks of ``config``; ``overrides`` (one dict per member, keys from
        :data:`MEMBER_FIELDS`) gives each member its own input stream."""
        super().__init__()
        if members < 2:
            raise ValueError(f"an ensemble needs at least 2 members, got {members}")
        overrides = overrides or [{}] * members
        if len(overrides) != members:
            raise ValueError(f"{len(overrides)} member overrides for {members} members")
        for ov in overrides:
            if set(ov) - set(MEMBER_FIELDS):
                raise ValueError(f"members may differ only in {MEMBER_FIELDS}, not in "
                                 f"{sorted(set(ov) - set(MEMBER_FIELDS))}")
        self.config = config
        self.members = nn.ModuleList(KineScoreNet(replace(config, **ov)) for ov in overrides)

    @property
    def member_configs(self) -> list[ModelConfig]:
        return [m.config for m in self.members]

    @classmethod
    def of(cls, models: list[KineScoreNet]) -> KineScoreEnsemble:
        """An ensemble holding copies of the weights of ``models`` (one architecture; they may
        differ in :data:`MEMBER_FIELDS`)."""
        if len(models) < 2:
            raise ValueError(f"an ensemble needs at least 2 members, got {len(models)}")
        first = models[0].config
        for i, m in enumerate(models[1:], start=1):
            if replace(m.config, **{f: getattr(first, f) for f in MEMBER_FIELDS}) != first:
                raise ValueError(f"ensemble member {i} has another model config than member 0; "
                                 f"members must share one architecture (they may differ only "
                                 f"in {MEMBER_FIELDS})")
        overrides = member_overrides([m.config for m in models])
        ens = cls(first, len(models), overrides if any(o != overrides[0] for o in overrides)
                  else None)
        for slot, m in zip(ens.members, models):
            slot.load_state_dict(m.state_dict())
        return ens.eval()

    def output_frames(self, window: int) -> int:
        return self.members[0].output_frames(window)

    def forward(self, x: torch.Tensor, movement: torch.Tensor | None = None) -> ModelOutput:
        outs = [m(x, movement) for m in self.members]

        def mean(name: str) -> torch.Tensor:
            return torch.stack([getattr(o, name) for o in outs]).mean(dim=0)

        grade = torch.stack([o.grade_logits.softmax(dim=-1) for o in outs]).mean(dim=0)
        fault = torch.stack([torch.sigmoid(o.fault_logits) for o in outs]).mean(dim=0)
        fault = fault.clamp(_EPS, 1 - _EPS)
        return ModelOutput(
            score=mean("score"), score_raw=mean("score_raw"), stage_scores=mean("stage_scores"),
            stage_bounds=mean("stage_bounds"), grade_logits=grade.clamp_min(_EPS).log(),
            temporal_attention=mean("temporal_attention"),
            joint_contribution=mean("joint_contribution"),
            fault_logits=torch.log(fault) - torch.log1p(-fault), f_joint=mean("f_joint"),
            region_attention=mean("region_attention"),
        )
