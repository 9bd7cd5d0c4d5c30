"""Seed ensembles (engine.model.ensemble): how outputs are averaged, checkpoints that hold an
ensemble, the scorer and ONNX path with one, and the clear refusal to prune one."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.model.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from engine.model.ensemble import KineScoreEnsemble
from engine.model.network import KineScoreNet
from engine.runtime import load_scorer
from engine.runtime.export import compare_with_torch, export_checkpoint
from engine.runtime.prune import channel_importance
from engine.train import resolve_config
from tests.model_helpers import quick_config, small_model_config, synthetic_samples
from tests.test_runtime import _assert_same_result, _perturb

torch.set_num_threads(1)
MOVES = ["free_throw", "sit_ups"]


def _members(n: int, cfg=None):
    cfg = cfg or small_model_config(num_movements=2, num_faults=3)
    nets = []
    for seed in range(n):
        torch.manual_seed(seed)
        nets.append(_perturb(KineScoreNet(cfg), seed))
    return nets


def test_ensemble_averages_scores_and_probabilities_of_its_members():
    nets = _members(3)
    ens = KineScoreEnsemble.of(nets)
    x, mv = torch.randn(4, 3, 24, 17), torch.tensor([0, 1, 1, 0])
    with torch.no_grad():
        outs = [n(x, mv) for n in nets]
        got = ens(x, mv)
    for name in ("score", "score_raw", "stage_scores", "stage_bounds", "temporal_attention",
                 "joint_contribution"):
        expected = torch.stack([getattr(o, name) for o in outs]).mean(0)
        torch.testing.assert_close(getattr(got, name), expected, msg=name)
    grade = torch.stack([o.grade_logits.softmax(-1) for o in outs]).mean(0)
    torch.testing.assert_close(got.grade_logits.softmax(-1), grade)
    fault = torch.stack([torch.sigmoid(o.fault_logits) for o in outs]).mean(0)
    torch.testing.assert_close(torch.sigmoid(got.fault_logits), fault)
    # the members really differ, so the mean is not any one member's output
    assert not torch.allclose(outs[0].score_raw, outs[1].score_raw)
    torch.testing.assert_close(got.temporal_attention.sum(-1), torch.ones(4))


def test_ensemble_gets_gradients_in_every_member():
    ens = KineScoreEnsemble(small_model_config(num_movements=2), 2).train()
    ens(torch.randn(3, 3, 24, 17), torch.tensor([0, 1, 0])).score_raw.sum().backward()
    for i, m in enumerate(ens.members):
        assert m.head.score_fc.weight.grad.abs().sum() > 0, f"member {i} got no gradient"


def test_ensemble_members_must_share_one_config():
    a = KineScoreNet(small_model_config())
    b = KineScoreNet(small_model_config(joint_dim=24))
    with pytest.raises(ValueError, match="member 1 has another model config"):
        KineScoreEnsemble.of([a, b])
    with pytest.raises(ValueError, match="at least 2"):
        KineScoreEnsemble.of([a])


@pytest.fixture(scope="module")
def ens_ckpt(tmp_path_factory):
    cfg = resolve_config(quick_config(), MOVES, ["shallow"])
    ens = KineScoreEnsemble.of(_members(2, cfg.model))
    return save_checkpoint(tmp_path_factory.mktemp("ens") / "ens.pt", ens, cfg, movements=MOVES,
                           faults=["shallow"])


def test_ensemble_checkpoint_round_trip_gives_identical_outputs(ens_ckpt):
    ck = load_checkpoint(ens_ckpt)
    assert isinstance(ck.model, KineScoreEnsemble) and len(ck.model.members) == 2
    x, mv = torch.randn(2, 3, ck.window.window, 17), torch.tensor([0, 1])
    again = load_checkpoint(ens_ckpt).model
    with torch.no_grad():
        torch.testing.assert_close(ck.model(x, mv).score, again(x, mv).score)


def test_checkpoint_with_a_bad_member_count_is_refused(ens_ckpt, tmp_path):
    raw = torch.load(ens_ckpt, weights_only=True)
    for bad, why in ((0, "positive integer"), (3, "do not match"), ("2", "positive integer")):
        raw["members"] = bad
        torch.save(raw, tmp_path / "bad.pt")
        with pytest.raises(CheckpointError, match=why):
            load_checkpoint(tmp_path / "bad.pt")


def test_ensemble_scores_the_same_in_torch_and_onnxruntime(ens_ckpt, tmp_path):
    s = synthetic_samples(4, seed=3)[1]
    ref = load_scorer(ens_ckpt, "torch").score(s.joints, s.movement)
    ort = load_scorer(ens_ckpt, "onnxruntime").score(s.joints, s.movement)
    _assert_same_result(ref, ort)
    path = export_checkpoint(ens_ckpt, tmp_path / "ens.onnx", window=32)
    worst = compare_with_torch(load_checkpoint(ens_ckpt).model, path, 32, batches=(1, 3))
    assert max(worst.values()) <= 1e-4, worst


def test_pruning_an_ensemble_is_refused_with_a_clear_error():
    ens = KineScoreEnsemble(small_model_config(), 2)
    with pytest.raises(TypeError, match="ensemble checkpoint cannot be pruned"):
        channel_importance(ens, np.zeros((2, 3, 24, 17), np.float32))
