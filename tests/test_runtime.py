"""Runtime backends (torch, ONNX Runtime, TensorRT), ONNX export, FP16/INT8 variants,
structured pruning and the bench function (engine.runtime)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.model.checkpoint import load_checkpoint, save_checkpoint
from engine.model.network import KineScoreNet
from engine.runtime import BackendError, load_scorer, read_onnx_meta
from engine.runtime.export import (
    cached_onnx,
    compare_with_torch,
    export_checkpoint,
    to_fp16,
    to_int8,
)
from engine.runtime.prune import channel_importance, hidden_widths, prune_model
from engine.runtime.trt import tensorrt_status
from engine.train import resolve_config
from tests.model_helpers import quick_config, synthetic_samples

MOVES = ["free_throw", "sit_ups"]


def _perturb(model: KineScoreNet, seed: int = 0) -> KineScoreNet:
    """Non-trivial learned graph, BN statistics and head weights, as after training."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith(".B") or "stage_scorer.weight" in name or "tcn.3" in name:
                p.add_(torch.randn(p.shape, generator=g) * 0.1)
        for mod in model.modules():
            if isinstance(mod, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
                mod.running_mean.normal_(0, 0.1, generator=g)
                mod.running_var.uniform_(0.5, 1.5, generator=g)
                mod.weight.uniform_(0.2, 1.5, generator=g)
    return model.eval()


def _save(path, seed=0, faults=("shallow",), face_align=False):
    cfg = resolve_config(quick_config(), MOVES, list(faults))
    cfg.data.face_align = face_align
    torch.manual_seed(seed)
    model = _perturb(KineScoreNet(cfg.model), seed)
    return save_checkpoint(path, model, cfg, movements=MOVES, faults=list(faults))


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    return _save(tmp_path_factory.mktemp("rt") / "model.pt")


@pytest.fixture(scope="module")
def attempt():
    s = synthetic_samples(4, seed=3)[1]
    return s.joints, s.movement


def _assert_same_result(a, b, atol=1e-3):
    assert a.grade == b.grade and a.feedback == b.feedback and a.model_version == b.model_version
    assert a.score == pytest.approx(b.score, abs=atol)
    for f in ("grade_probs", "stage_scores", "stage_bounds", "temporal_attention",
              "joint_contribution"):
        np.testing.assert_allclose(getattr(a, f), getattr(b, f), atol=atol, err_msg=f)


def test_torch_and_onnxruntime_give_the_same_score_result(ckpt, attempt):
    ref = load_scorer(ckpt, "torch")
    ort = load_scorer(ckpt, "onnxruntime")
    assert (ref.backend, ort.backend) == ("torch", "onnxruntime")
    r1, r2 = ref.score(*attempt), ort.score(*attempt)
    _assert_same_result(r1, r2)
    assert r2.temporal_attention.shape == (len(attempt[0]),)
    assert r2.temporal_attention.sum() == pytest.approx(1.0)
    assert r2.joint_contribution.sum() == pytest.approx(1.0)
    assert r2.grade_probs.sum() == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("window", [30, 60, 90, 120])
def test_export_fixed_window_dynamic_batch_matches_torch(ckpt, tmp_path, window):
    import onnx

    path = export_checkpoint(ckpt, tmp_path / f"m{window}.onnx", window=window)
    graph = onnx.load(str(path)).graph
    dims = graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and [d.dim_value for d in dims[1:]] == [3, window, 17]
    worst = compare_with_torch(load_checkpoint(ckpt).model, path, window, batches=(1, 4))
    assert max(worst.values()) <= 1e-4, worst
    meta = read_onnx_meta(path)
    assert meta.window.window == window and meta.movements == MOVES and meta.uses_movement
    assert meta.faults == ["shallow"] and meta.variant == "fp32"


def test_exported_model_keeps_the_checkpoints_preprocessing(tmp_path, attempt):
    """An export at another window length still applies the checkpoint's other choices
    (here the facing alignment): ONNX Runtime scores a turned attempt as torch scores it."""
    from engine.preprocess.augment import rotate_y

    path = _save(tmp_path / "aligned.pt", seed=1, face_align=True)
    onnx_path = export_checkpoint(path, tmp_path / "aligned32.onnx", window=32)
    meta = read_onnx_meta(onnx_path)
    assert meta.window.window == 32 and meta.window.face_align and meta.window.keep_root
    joints, movement = attempt
    turned = rotate_y(joints, np.radians(120.0)).astype(np.float32)
    ort = load_scorer(onnx_path, "onnxruntime")
    a, b = ort.score(joints, movement), ort.score(turned, movement)
    _assert_same_result(a, b, atol=1e-4)


def test_onnx_metadata_errors_are_clear(tmp_path, ckpt):
    from engine.model.export import export_onnx

    plain = export_onnx(load_checkpoint(ckpt).model, tmp_path / "plain.onnx", 24)
    with pytest.raises(BackendError, match="kinescore-engine export"):
        read_onnx_meta(plain)
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a protobuf at all" * 10)
    with pytest.raises(BackendError, match="bad.onnx"):
        load_scorer(bad, "onnxruntime")
    with pytest.raises(BackendError, match="not found"):
        load_scorer(tmp_path / "missing.pt")
    with pytest.raises(BackendError, match="needs the checkpoint"):
        load_scorer(cached_onnx(ckpt), "torch")
    with pytest.raises(BackendError, match="unknown backend"):
        load_scorer(ckpt, "openvino")


def test_onnx_cache_lives_beside_the_model_and_follows_its_hash(tmp_path):
    ck = _save(tmp_path / "m.pt", seed=1)
    first = cached_onnx(ck)
    assert first.parent == tmp_path and first.name.startswith("m.") and ".w24.fp32." in first.name
    stamp = first.stat().st_mtime_ns
    assert cached_onnx(ck) == first and first.stat().st_mtime_ns == stamp  # reused
    _save(ck, seed=2)  # the model changes -> a new export
    second = cached_onnx(ck)
    assert second != first and second.exists()


def test_auto_backend_env_override_and_fallback(ckpt, attempt, monkeypatch):
    import engine.runtime as rt
    import engine.runtime.trt as trt_mod

    auto = load_scorer(ckpt)
    expected = "tensorrt" if tensorrt_status()[0] else "onnxruntime"
    assert auto.backend == expected
    monkeypatch.setenv("KINESCORE_BACKEND", "torch")
    assert load_scorer(ckpt).backend == "torch"
    monkeypatch.delenv("KINESCORE_BACKEND")

    # a machine claiming TensorRT whose engine fails to build: auto falls back, says why
    real = rt.backend_status

    def fake_status():
        s = real()
        s["tensorrt"] = (True, "pretend")
        return s

    class Broken:
        def __init__(self, *a, **k):
            raise BackendError("parser failed on node X")

    monkeypatch.setattr(rt, "backend_status", fake_status)
    monkeypatch.setattr(trt_mod, "TensorRTScorer", Broken)
    with pytest.warns(UserWarning, match="tensorrt unavailable"):
        s = load_scorer(ckpt)
    assert s.backend == "onnxruntime" and "parser failed on node X" in s.fallback_reason
    with pytest.raises(BackendError, match="parser failed"):
        load_scorer(ckpt, "tensorrt")


def test_fp16_and_int8_variants_score_close_to_fp32(ckpt, attempt, tmp_path):
    from engine.runtime.prune import calibration_windows
    from engine.train import prepare_items

    ck = load_checkpoint(ckpt)
    fp32 = cached_onnx(ckpt)
    f16 = to_fp16(fp32, tmp_path / "m.fp16.onnx")
    items = prepare_items(synthetic_samples(16, seed=5), ck.window, MOVES)
    x, mv = calibration_windows(items, ck.window, limit=32)
    i8 = to_int8(fp32, tmp_path / "m.int8.onnx", x, mv)
    assert read_onnx_meta(f16).variant == "fp16" and read_onnx_meta(i8).variant == "int8"
    import onnx

    kinds = [t.data_type for t in onnx.load(str(f16)).graph.initializer
             if t.data_type in (onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16)]
    assert kinds.count(onnx.TensorProto.FLOAT16) > 0.9 * len(kinds)  # weights are half
    ref = load_scorer(fp32, "onnxruntime").score(*attempt)
    half = load_scorer(f16, "onnxruntime").score(*attempt)
    q = load_scorer(i8, "onnxruntime").score(*attempt)
    assert half.score == pytest.approx(ref.score, abs=0.1)
    assert q.score == pytest.approx(ref.score, abs=3.0)
    assert q.score != ref.score  # really quantized
    with pytest.raises(Exception, match="calibration windows"):
        to_int8(fp32, tmp_path / "bad.onnx", x[:, :, :10], mv)


def test_pruning_copies_kept_weights_exactly_and_removes_the_weakest(ckpt, tmp_path):
    ck = load_checkpoint(ckpt)
    model = ck.model
    x = torch.randn(3, 3, 24, 17)
    mv = torch.tensor([0, 1, 0])
    widths = hidden_widths(model)
    # ratio 0 keeps everything: the copy must reproduce the network exactly
    same, rep0 = prune_model(model, [np.arange(w, dtype=float) for w in widths], 0.0)
    with torch.no_grad():
        np.testing.assert_allclose(same(x, mv).score.numpy(), model(x, mv).score.numpy(), atol=1e-5)
    assert rep0.removed_fraction == 0
    # importance = channel index: the lowest-numbered channels must go
    pruned, rep = prune_model(model, [np.arange(w, dtype=float) for w in widths], 0.15)
    assert 0.12 <= rep.removed_fraction <= 0.18 and rep.params_after < rep.params_before
    b0 = model.backbone.blocks[4]
    kept = widths[4] - hidden_widths(pruned)[4]
    np.testing.assert_array_equal(pruned.backbone.blocks[4].tcn[0].weight.detach().numpy(),
                                  b0.tcn[0].weight.detach().numpy()[:, kept:])
    # data-driven importance: one value per hidden channel, non-negative
    imp = channel_importance(model, x.numpy(), mv.numpy())
    assert [len(i) for i in imp] == list(widths) and all((i >= 0).all() for i in imp)
    # a pruned checkpoint loads, scores and exports like any other
    path = save_checkpoint(tmp_path / "pruned.pt", pruned,
                           ck.config.__class__(**{**ck.config.__dict__, "model": pruned.config}),
                           movements=ck.movements, faults=ck.faults)
    again = load_checkpoint(path)
    assert again.config.model.block_hidden == hidden_widths(pruned)
    onnx_path = export_checkpoint(again, tmp_path / "pruned.onnx")
    assert read_onnx_meta(onnx_path).window.window == ck.window.window


def test_bench_smoke(ckpt):
    from engine.runtime.bench import format_table, run_bench

    model = load_checkpoint(ckpt).model
    rows = run_bench(model, windows=(30,), batches=(1, 2), variants=("torch", "ort", "ort-pruned"),
                     runs=2, warmup=1, progress=False, rounds=2)
    got = {(r.variant, r.batch) for r in rows}
    assert got == {(v, b) for v in ("torch", "ort", "ort-pruned", "stgcn") for b in (1, 2)}
    assert all(r.median_ms > 0 and r.p95_ms >= r.median_ms * 0.999 and r.cpu_ms > 0 for r in rows)
    assert all(r.ratio_stgcn == pytest.approx(1.0) for r in rows if r.variant == "stgcn")
    table = format_table(rows)
    assert "fixed-graph ST-GCN" in table and "| 30 | 1 | 2 |" in table


@pytest.mark.tensorrt
@pytest.mark.skipif(not tensorrt_status()[0], reason=f"TensorRT: {tensorrt_status()[1]}")
def test_tensorrt_engine_is_built_cached_and_matches_onnxruntime(tmp_path, attempt):
    ck = _save(tmp_path / "m.pt", seed=4)
    trt_scorer = load_scorer(ck, "tensorrt")
    assert trt_scorer.engine_path.exists() and trt_scorer.engine_path.parent == tmp_path
    stamp = trt_scorer.engine_path.stat().st_mtime_ns
    ref = load_scorer(ck, "onnxruntime").score(*attempt)
    got = trt_scorer.score(*attempt)
    assert got.score == pytest.approx(ref.score, abs=0.5)  # FP16 engine
    np.testing.assert_allclose(got.stage_scores, ref.stage_scores, atol=0.5)
    np.testing.assert_allclose(got.joint_contribution, ref.joint_contribution, atol=0.01)
    assert got.feedback == ref.feedback or abs(got.score - ref.score) > 0
    again = load_scorer(ck, "tensorrt")
    assert again.engine_path == trt_scorer.engine_path
    assert again.engine_path.stat().st_mtime_ns == stamp  # cached, not rebuilt
    big = np.repeat(np.stack([attempt[0][:24]] * 3).transpose(0, 3, 1, 2)[:, None], 1, axis=1)[:, 0]
    outs = again.run_windows(big.transpose(0, 2, 3, 1).astype(np.float32), 0)  # batch 3
    assert outs["score"].shape == (3,)


def test_export_command_writes_verified_files_and_explains_failures(ckpt, tmp_path, capsys):
    from engine.cli import main

    out = tmp_path / "m.fp16.onnx"
    assert main(["export", "--checkpoint", str(ckpt), "--format", "onnx-fp16", "--window", "30",
                 "--out", str(out)]) == 0
    meta = read_onnx_meta(out)
    assert meta.variant == "fp16" and meta.window.window == 30
    assert main(["export", "--checkpoint", str(tmp_path / "nope.pt")]) == 2
    assert "nope.pt" in capsys.readouterr().err
    if not tensorrt_status()[0]:
        assert main(["export", "--checkpoint", str(ckpt), "--format", "tensorrt"]) == 2
        assert "TensorRT backend unavailable" in capsys.readouterr().err


def test_exported_scorer_keeps_the_checkpoints_fault_threshold(tmp_path):
    cfg = resolve_config(quick_config(), MOVES, ["shallow"])
    torch.manual_seed(0)
    path = save_checkpoint(tmp_path / "t.pt", KineScoreNet(cfg.model).eval(), cfg,
                           movements=MOVES, faults=["shallow"], metrics={"fault_threshold": 0.2})
    assert load_scorer(path, "torch").fault_threshold == pytest.approx(0.2)
    assert load_scorer(path, "onnxruntime").fault_threshold == pytest.approx(0.2)
