"""Shape, gradient, ablation and ONNX contracts of the network (random input, CPU)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine import skeleton
from engine.config import ABLATIONS, ConfigError, ModelConfig, from_dict, with_ablation
from engine.model import KineScoreNet, count_parameters
from engine.model.backbone import (
    AdaptiveGraphConv,
    SpatialAttention,
    STBlock,
    TemporalAttention,
    TemporalMultiScale,
    output_frames,
)
from engine.model.head import StageDetector
from tests.model_helpers import SMALL, small_model_config

torch.set_num_threads(1)
A = torch.from_numpy(skeleton.adjacency(self_loops=True))


def _grad_ok(module, *inputs):
    for p in module.parameters():
        p.grad = None
    out = module(*inputs)
    out = out[0] if isinstance(out, tuple) else out
    out.float().pow(2).mean().backward()
    return [n for n, p in module.named_parameters() if p.requires_grad and p.grad is None]


def test_spatial_attention_shape_range_and_gradients():
    m = SpatialAttention(8)
    x = torch.randn(3, 8, 10, 17)
    out = m(x)
    assert out.shape == (3, 17, 17)
    assert float(out.detach().min()) > 0 and float(out.detach().max()) < 1
    assert _grad_ok(m, x) == []


def test_adaptive_graph_conv_is_one_joint_matmul_and_B_starts_at_zero():
    m = AdaptiveGraphConv(4, 6, A, adaptive=True, attention=False)
    assert torch.count_nonzero(m.B) == 0
    x = torch.randn(2, 4, 5, 17)
    adj = m.adjacency(x)[0]
    # at init: D^-1/2 A D^-1/2 of the physical graph with self-loops
    np.testing.assert_allclose(adj.detach().numpy(), skeleton.normalized_adjacency(), atol=1e-6)
    manual = m.weight(torch.einsum("nctj,ij->ncti", x, adj))
    torch.testing.assert_close(m(x), manual, atol=1e-5, rtol=1e-5)
    assert _grad_ok(m, x) == []
    assert m.B.grad is not None and float(m.B.grad.abs().sum()) > 0


def test_graph_conv_degree_never_nan_when_B_is_negative():
    m = AdaptiveGraphConv(4, 4, A, adaptive=True, attention=True)
    with torch.no_grad():
        m.B.fill_(-1.0)
    assert torch.isfinite(m(torch.randn(2, 4, 5, 17))).all()


def test_multiscale_branches_and_single_scale_variant():
    full = TemporalMultiScale(8, ((3, 1), (5, 2), (9, 4), (1, 1)))
    single = TemporalMultiScale(8, ((3, 1),))
    z = torch.randn(2, 8, 20)
    assert full(z).shape == single(z).shape == (2, 8, 20)
    assert len(full.branches) == 4 and full.fuse is not None and single.fuse is None
    assert [b.dilation[0] for b in full.branches] == [1, 2, 4, 1]
    assert count_parameters(single) < count_parameters(full)
    assert _grad_ok(full, z) == []


def test_temporal_attention_sums_to_one():
    m = TemporalAttention(8, 16)
    a = m(torch.randn(4, 8, 12))
    assert a.shape == (4, 12)
    torch.testing.assert_close(a.sum(-1), torch.ones(4))


def test_block_stride_and_attention_output():
    b = STBlock(8, 16, 2, A, tcn_kernel=3, attention_dim=8)
    y, a = b(torch.randn(2, 8, 21, 17))
    assert y.shape == (2, 16, 11, 17) and a.shape == (2, 11)
    assert _grad_ok(b, torch.randn(2, 8, 21, 17)) == []


def test_stage_detector_bounds_are_ordered_and_uniform_at_init():
    d = StageDetector(8, 4, 8)
    bounds, member = d(torch.randn(3, 8, 16))
    assert bounds.shape == (3, 4, 2) and member.shape == (3, 4, 16)
    np.testing.assert_allclose(bounds[0].detach().numpy(), [[0, .25], [.25, .5], [.5, .75], [.75, 1]],
                               atol=1e-6)
    assert (bounds[..., 1] >= bounds[..., 0]).all()
    assert (bounds[:, 1:, 0] - bounds[:, :-1, 1]).abs().max() < 1e-6  # contiguous


def test_full_network_output_contract():
    cfg = small_model_config(num_movements=4, num_faults=3)
    m = KineScoreNet(cfg)
    x = torch.randn(3, 3, 40, 17)
    out = m(x, torch.tensor([0, 1, 3]))
    t_out = output_frames(40, cfg.channels)
    assert t_out == 10
    assert out.score.shape == (3,) and out.stage_scores.shape == (3, 4)
    assert out.stage_bounds.shape == (3, 4, 2) and out.grade_logits.shape == (3, 5)
    assert out.temporal_attention.shape == (3, t_out)
    assert out.joint_contribution.shape == (3, 17) and out.fault_logits.shape == (3, 3)
    torch.testing.assert_close(out.joint_contribution.sum(-1), torch.ones(3))
    torch.testing.assert_close(out.temporal_attention.sum(-1), torch.ones(3))
    assert 0 <= float(out.score.detach().min()) and float(out.score.detach().max()) <= 100
    missing = _grad_ok(m, x, torch.tensor([0, 1, 3]))
    # every parameter takes part in the score or a loss head: the score path reaches all
    # but the grade/fault layers
    assert all(n.startswith(("head.grade_fc", "head.fault_fc")) for n in missing), missing


def test_movement_embedding_changes_the_output():
    m = KineScoreNet(small_model_config(num_movements=2)).eval()
    x = torch.randn(1, 3, 24, 17).repeat(2, 1, 1, 1)
    out = m(x, torch.tensor([0, 1]))
    assert not torch.allclose(out.f_joint[0], out.f_joint[1])


def test_full_width_matches_the_paper_scale():
    m = KineScoreNet(ModelConfig())
    n = count_parameters(m)
    assert 2.5e6 < n < 4.0e6  # paper: 3.72 M
    assert sum(p.numel() for name, p in m.named_parameters() if name.endswith(".B")) == 6 * 289


@pytest.mark.parametrize("variant", sorted(ABLATIONS))
def test_each_ablation_removes_its_module(variant):
    base = from_dict({"model": {**{k: list(v) for k, v in SMALL.items() if isinstance(v, tuple)},
                                **{k: v for k, v in SMALL.items() if not isinstance(v, tuple)}}})
    abl = with_ablation(base, variant)
    torch.manual_seed(0)
    full = KineScoreNet(base.model).eval()
    torch.manual_seed(0)
    var = KineScoreNet(abl.model).eval()
    if variant == "F":  # a loss switch: same network, lambda1 = 0
        assert abl.train.lambda_rank == 0 and base.train.lambda_rank > 0
        assert count_parameters(var) == count_parameters(full)
        return
    assert count_parameters(var) < count_parameters(full)
    with torch.no_grad():  # a learned B (it starts at zero, where removing it changes nothing)
        for name, p in full.named_parameters():
            if name.endswith(".B"):
                p.normal_(0, 0.3)
    x = torch.randn(2, 3, 24, 17)
    var.load_state_dict(full.state_dict(), strict=False)
    with torch.no_grad():
        a, b = var(x), full(x)
    change = max(float((a.f_joint - b.f_joint).abs().max()),
                 float((a.score_raw - b.score_raw).abs().max()))
    assert change > 1e-5
    names = {n for n, _ in var.named_parameters()}
    expect_gone = {"A": ".B", "B": "tms.fuse", "C": "attention.query", "D": "stage_scorer",
                   "E": "bias_fc"}[variant]
    assert not any(expect_gone in n for n in names)
    if variant == "E":
        assert abl.train.lambda_contrast == 0


def test_config_errors_are_clear(tmp_path):
    with pytest.raises(ConfigError, match="unknown key"):
        from_dict({"model": {"chanels": [8]}})
    with pytest.raises(ConfigError, match="model.dropout"):
        from_dict({"model": {"dropout": 1.5}})
    with pytest.raises(ConfigError, match="expected an integer"):
        from_dict({"train": {"epochs": "ten"}})
    with pytest.raises(ConfigError, match="ablation"):
        from_dict({"ablation": "Z"})
    from engine.config import load_config

    bad = tmp_path / "bad.yaml"
    bad.write_text("model: [1, 2\n")
    with pytest.raises(ConfigError, match="bad.yaml"):
        load_config(bad)


def test_onnx_round_trip_matches_torch(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    from engine.model.export import export_onnx
    from engine.model.network import EXPORT_OUTPUTS

    torch.manual_seed(0)
    m = KineScoreNet(small_model_config(num_movements=3, num_faults=2)).eval()
    with torch.no_grad():  # non-trivial B and BN statistics
        for name, p in m.named_parameters():
            if name.endswith(".B"):
                p.normal_(0, 0.1)
        for mod in m.modules():
            if isinstance(mod, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
                mod.running_mean.normal_(0, 0.1)
                mod.running_var.uniform_(0.5, 1.5)
    path = export_onnx(m, tmp_path / "m.onnx", window=32)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    import onnx

    assert onnx.load(str(path)).opset_import[0].version == 17
    for batch in (1, 5):  # dynamic batch
        x = torch.randn(batch, 3, 32, 17)
        mv = torch.arange(batch) % 3
        got = sess.run(None, {"joints": x.numpy(), "movement": mv.numpy()})
        with torch.no_grad():
            ref = m(x, mv)
        for name, g in zip(EXPORT_OUTPUTS, got):
            np.testing.assert_allclose(g, getattr(ref, name).numpy(), atol=1e-4, rtol=1e-4,
                                       err_msg=name)


def test_complexity_table_accounts_for_everything():
    from engine.model.complexity import COMPONENTS, flop_table, parameter_table

    m = KineScoreNet(small_model_config(num_movements=2, num_faults=2))
    params = parameter_table(m)
    assert sum(params.values()) == count_parameters(m)
    assert set(params) == set(COMPONENTS)
    assert all(v > 0 for k, v in params.items() if k != "joint contribution (feedback)")
    flops = flop_table(m, window=32)
    assert sum(v for k, v in flops.items() if k != "total") == flops["total"] > 0
    assert flops.get("other", 0) == 0
    assert flops["adaptive graph convolution"] > flops["temporal multi-scale aggregation"]


def test_motion_input_adds_displacement_channels_that_carry_the_signal():
    torch.manual_seed(0)
    model = KineScoreNet(small_model_config(input_motion=True)).eval()
    assert model.backbone.embed.in_channels == 6
    assert KineScoreNet(small_model_config()).backbone.embed.in_channels == 3
    x = torch.randn(2, 3, 24, 17, requires_grad=True)
    model(x).score_raw.sum().backward()
    assert x.grad.abs().sum() > 0
    with torch.no_grad():  # positions switched off: the output still follows the motion
        model.backbone.embed.weight[:, :3] = 0
        y = x.detach().clone()
        y[:, :, 12:] += 0.5  # a jump in the middle of the window
        assert not torch.allclose(model(x.detach()).f_joint, model(y).f_joint)
        z = x.detach() + 0.5  # the same motion everywhere shifted: displacements unchanged
        model.backbone.data_bn.eval()
        torch.testing.assert_close(model(x.detach()).f_joint, model(z).f_joint)


def test_bone_input_adds_parent_offsets_that_carry_the_signal():
    from engine import skeleton

    torch.manual_seed(0)
    model = KineScoreNet(small_model_config(input_bones=True)).eval()
    assert model.backbone.embed.in_channels == 6
    assert "backbone.to_bone" in model.state_dict()  # a buffer: moves with .to(), saved
    x = torch.randn(2, 3, 24, 17)
    bone = x @ model.backbone.to_bone
    for j, parent in enumerate(skeleton.PARENTS):
        want = torch.zeros_like(x[..., j]) if parent < 0 else x[..., j] - x[..., parent]
        torch.testing.assert_close(bone[..., j], want)
    xg = x.clone().requires_grad_(True)
    model(xg).score_raw.sum().backward()
    assert xg.grad.abs().sum() > 0
    with torch.no_grad():  # positions switched off: only the bones speak
        model.backbone.embed.weight[:, :3] = 0
        shifted = x + torch.tensor([0.3, -0.2, 0.5]).view(1, 3, 1, 1)  # same body elsewhere
        torch.testing.assert_close(model(x).f_joint, model(shifted).f_joint)
        bent = x.clone()
        bent[:, 1, :, skeleton.JOINT_INDEX["left_ankle"]] += 0.4  # one limb changes shape
        assert not torch.allclose(model(x).f_joint, model(bent).f_joint)


@pytest.mark.parametrize("extra", ["input_motion", "input_bones"])
def test_extra_input_channels_export_to_onnx(tmp_path, extra):
    ort = pytest.importorskip("onnxruntime")
    from engine.model.export import export_onnx

    torch.manual_seed(0)
    m = KineScoreNet(small_model_config(**{extra: True})).eval()
    path = export_onnx(m, tmp_path / "m.onnx", window=24)
    x = torch.randn(3, 3, 24, 17)
    got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(
        None, {"joints": x.numpy()})[0]
    with torch.no_grad():
        np.testing.assert_allclose(got, m(x).score.numpy(), atol=1e-4)
