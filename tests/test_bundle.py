"""Bundles (``bundle`` config section): several networks, a second input stream and a fused
handcrafted model trained into one checkpoint, scored the same way by ``eval``, the torch
scorer, the exported ONNX model and ``cv``."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from engine.baselines import AngleRidge, CombinedRidge, ControlRidge, SelectedRidge
from engine.config import ConfigError, from_dict, member_configs, to_dict
from engine.evaluate import predict_items
from engine.model.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from engine.model.ensemble import KineScoreEnsemble
from engine.model.handcrafted import HandcraftedError, HandcraftedModel, fuse
from engine.model.network import KineScoreNet
from engine.model.windowing import WindowSpec, prepare_sequence
from engine.runtime import load_scorer
from engine.train import fault_names, prepare_items, train_bundle
from tests.model_helpers import quick_config, small_model_config, synthetic_samples

torch.set_num_threads(1)


def _bundle_config(members=1, two_stream=True, fuse_kind="angles", **train):
    cfg = quick_config(**{"epochs": 2, **train})
    return replace(cfg, bundle=replace(cfg.bundle, members=members, two_stream=two_stream,
                                       fuse=fuse_kind))


def _items(samples, cfg):
    movements = sorted({s.movement for s in samples})
    return prepare_items(samples, WindowSpec.from_config(cfg.data), movements,
                         fault_names(samples))


# --------------------------------------------------------------------------- config
def test_member_configs_are_seeds_of_each_input_stream():
    plain = quick_config()
    assert member_configs(plain) == [plain]
    cfg = _bundle_config(members=2, seed=7)
    got = [(c.model.input_bones, c.train.seed) for c in member_configs(cfg)]
    assert got == [(False, 7), (False, 8), (True, 7), (True, 8)]
    assert len({c.name for c in member_configs(cfg)}) == 4
    # everything but the stream and the seed is the bundle's own config
    assert all(c.model.channels == cfg.model.channels for c in member_configs(cfg))


def test_bundle_section_is_validated_with_the_field_named():
    base = to_dict(quick_config())
    for bundle, field in (({"members": 0}, "bundle.members"), ({"fuse": "lasso"}, "bundle.fuse")):
        with pytest.raises(ConfigError, match=field):
            from_dict({**base, "bundle": bundle}, "x.yaml")
    with pytest.raises(ConfigError, match="unknown key"):
        from_dict({**base, "bundle": {"seeds": 3}}, "x.yaml")


# --------------------------------------------------------------------------- two-stream ensemble
def test_two_stream_ensemble_round_trips_through_a_checkpoint(tmp_path):
    cfg = quick_config()
    torch.manual_seed(0)
    joints = KineScoreNet(small_model_config(num_movements=2))
    bones = KineScoreNet(small_model_config(num_movements=2, input_bones=True))
    ens = KineScoreEnsemble.of([joints, bones])
    assert [m.config.input_bones for m in ens.members] == [False, True]
    cfg = replace(cfg, model=small_model_config(num_movements=2))
    path = save_checkpoint(tmp_path / "m.pt", ens, cfg, movements=["a", "b"])
    ck = load_checkpoint(path)
    assert [m.config.input_bones for m in ck.model.members] == [False, True]
    x, mv = torch.randn(3, 3, 24, 17), torch.tensor([0, 1, 0])
    with torch.no_grad():
        torch.testing.assert_close(ck.model(x, mv).score_raw, ens(x, mv).score_raw)
        # the bone member really sees other inputs: its own output differs from the mean
        assert not torch.allclose(ens.members[1](x, mv).score_raw, ens(x, mv).score_raw)
    # members may differ in the input stream only
    with pytest.raises(ValueError, match="share one architecture"):
        KineScoreEnsemble.of([joints, KineScoreNet(small_model_config(num_movements=2,
                                                                      local_dim=12))])
    raw = torch.load(path, weights_only=True)
    raw["member_overrides"] = [{"channels": [8]}, {"input_bones": True}]
    torch.save(raw, tmp_path / "bad.pt")
    with pytest.raises(CheckpointError, match="member_overrides"):
        load_checkpoint(tmp_path / "bad.pt")


# --------------------------------------------------------------------------- handcrafted model
@pytest.mark.parametrize("binary", [False, True])
def test_handcrafted_model_scores_as_the_fitted_baseline(binary):
    samples = synthetic_samples(48, seed=1)
    if binary:  # UI-PRMD style labels: 0 / 100
        for s in samples:
            s.score = 100.0 if s.score > 55 else 0.0
    items = _items(samples, quick_config())
    train, test = items[:32], items[32:]
    for base, kind in ((AngleRidge(binary), "angles"), (ControlRidge(binary), "control"),
                       (CombinedRidge(binary), "combined"), (SelectedRidge(binary), "select")):
        base.fit(train)
        hand = HandcraftedModel.from_baseline(base, kind)
        want = base.predict(test)
        got = [hand.score(it.joints, it.movement_name) for it in test]
        np.testing.assert_allclose(got, want, atol=1e-6)
        assert np.ptp(want) > 1  # not a constant
        again = HandcraftedModel.from_dict(hand.to_dict(), "test")
        np.testing.assert_allclose([again.score(it.joints, it.movement_name) for it in test],
                                   want, atol=1e-9)
    assert {u.features for u in hand.units.values()} <= set(base.chosen.values())
    with pytest.raises(HandcraftedError, match="cartwheel"):
        hand.score(test[0].joints, "cartwheel")


def test_every_handcrafted_kind_is_a_valid_bundle_fuse_and_back():
    from engine.config import FUSE_KINDS
    from engine.model.handcrafted import KINDS

    assert set(FUSE_KINDS) == {"none", *KINDS}
    with pytest.raises(ConfigError, match="bundle.fuse"):
        from_dict({"bundle": {"fuse": "forest"}})


def test_a_damaged_handcrafted_model_is_refused_naming_the_movement():
    items = _items(synthetic_samples(32), quick_config())
    good = HandcraftedModel.fit("angles", items, False, 15.0).to_dict()
    move = next(iter(good["units"]))
    for key, value, msg in (("features", "elbows", "unknown feature set"),
                            ("coef", [1.0, 2.0], "one length"),
                            ("scale", [0.0] * len(good["units"][move]["scale"]), "scale <= 0"),
                            ("intercept", "abc", "intercept"),
                            ("mean", [np.nan] * len(good["units"][move]["mean"]), "non-finite")):
        bad = {**good, "units": {**good["units"], move: {**good["units"][move], key: value}}}
        with pytest.raises(HandcraftedError, match=f"{move}.*{msg}|{msg}"):
            HandcraftedModel.from_dict(bad, "m.pt")
    with pytest.raises(HandcraftedError, match="unknown kind"):
        HandcraftedModel.from_dict({**good, "kind": "forest"}, "m.pt")


# --------------------------------------------------------------------------- train + score
@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("bundle")
    samples = synthetic_samples(32)
    cfg = _bundle_config(members=1, two_stream=True, fuse_kind="angles")
    res = train_bundle(samples, cfg, out_dir=out, log=lambda *a: None)
    return res, out, samples, cfg


def test_train_bundle_writes_one_checkpoint_with_every_part(bundle):
    res, out, _, cfg = bundle
    ck = load_checkpoint(out / "model.pt")
    assert isinstance(ck.model, KineScoreEnsemble) and len(ck.model.members) == 2
    assert [m.config.input_bones for m in ck.model.members] == [False, True]
    assert ck.handcrafted is not None and ck.handcrafted.kind == "angles"
    assert set(ck.handcrafted.units) == {"sit_ups", "free_throw"}
    assert ck.config.bundle == cfg.bundle and ck.config.name == cfg.name
    for k in (0, 1):
        assert (out / f"member_{k}_curves.png").stat().st_size > 1000
        assert (out / f"member_{k}_history.json").exists()
    # the two members were trained (different streams): their weights differ from init
    a, b = ck.model.members
    assert not torch.equal(a.head.score_fc.weight, b.head.score_fc.weight)


def test_bundle_scores_are_the_mean_of_networks_and_handcrafted_model(bundle):
    _, out, samples, cfg = bundle
    ck = load_checkpoint(out / "model.pt")
    items = _items(samples[:8], cfg)
    fused = predict_items(ck.model, items, ck.window, handcrafted=ck.handcrafted)
    nets = predict_items(ck.model, items, ck.window)
    hand = np.array([ck.handcrafted.score(it.joints, it.movement_name) for it in items])
    order = np.argsort([it.key for it in items])
    np.testing.assert_allclose(fused["pred"], (nets["pred"] + hand[order]) / 2, atol=1e-9)
    assert not np.allclose(fused["pred"], nets["pred"])
    # the scorer the app uses gives the same fused score, and keeps the networks' own
    scorer = load_scorer(out / "model.pt", "torch")
    s = samples[0]
    p = scorer.predict(s.joints, s.movement)
    prep = prepare_sequence(s.joints, None, None, ck.window)
    expected = fuse(p["score_network"], ck.handcrafted.score(prep.joints, s.movement))
    assert p["score"] == pytest.approx(float(np.clip(expected, 0, 100)))
    assert scorer.score(s.joints, s.movement).score == pytest.approx(p["score"])


def test_exported_bundle_carries_its_handcrafted_model(bundle):
    _, out, samples, _ = bundle
    ref = load_scorer(out / "model.pt", "torch")
    ort = load_scorer(out / "model.pt", "onnxruntime")
    assert ort.handcrafted is not None
    for s in samples[:3]:
        assert ort.score(s.joints, s.movement).score == pytest.approx(
            ref.score(s.joints, s.movement).score, abs=1e-3)


def test_a_plain_config_trains_one_network_as_before(tmp_path):
    res = train_bundle(synthetic_samples(16), quick_config(epochs=1), out_dir=tmp_path,
                       log=lambda *a: None)
    ck = load_checkpoint(tmp_path / "model.pt")
    assert isinstance(ck.model, KineScoreNet) and ck.handcrafted is None
    assert (tmp_path / "curves.png").exists() and res.checkpoint == tmp_path / "model.pt"


def test_cv_of_a_bundle_is_the_average_of_its_networks_runs_plus_its_fusion(tmp_path):
    """cv trains the bundle per fold: its network row is the mean of the single-seed runs,
    and its fused row is added without asking for the baseline."""
    from engine.datasets import load_kimore
    from engine.evaluate import FUSED_ANGLES, prediction_file, run_cv
    from tests.test_train import _fake_kimore

    path = _fake_kimore(tmp_path / "k.npz")
    cfg = quick_config(epochs=1)
    cfg = replace(cfg, data=replace(cfg.data, dataset="kimore", path=str(path), window=16),
                  eval=replace(cfg.eval, folds=3))
    samples = load_kimore(path)
    quiet = dict(log=lambda *a: None)
    single = []
    for seed in (0, 1):
        run_cv(replace(cfg, train=replace(cfg.train, seed=seed)), samples,
               out=tmp_path / f"s{seed}", **quiet)
        single.append(np.load(prediction_file(tmp_path / f"s{seed}", "full model"))["pred"])
    both = replace(cfg, bundle=replace(cfg.bundle, members=2, fuse="angles"))
    res = run_cv(both, samples, out=tmp_path / "bundle", **quiet)
    got = np.load(prediction_file(tmp_path / "bundle", "full model"))["pred"]
    np.testing.assert_allclose(got, (single[0] + single[1]) / 2, atol=1e-4)
    assert not np.allclose(single[0], single[1])
    assert FUSED_ANGLES in res


def test_cli_train_and_eval_a_bundle_on_a_file_in_the_shared_format(tmp_path, capsys):
    """`train` with a bundle config writes one checkpoint; `eval` says what it holds and
    scores with the fused score (compared with the parts computed here)."""
    import json

    from engine.cli import main
    from engine.datasets import load_kimore
    from tests.test_train import _fake_kimore

    data = _fake_kimore(tmp_path / "k.npz")
    cfg = tmp_path / "b.yaml"
    cfg.write_text(f"name: b\nmodel: {{channels: [8, 8, 16, 16, 32, 32], attention_dim: 8, "
                   f"local_dim: 8, joint_dim: 16, stage_hidden: 8, num_movements: -1}}\n"
                   f"train: {{epochs: 1, progress: false, num_threads: 1}}\n"
                   f"data: {{dataset: kimore, path: {data}, window: 16, fps: 15.0}}\n"
                   f"bundle: {{members: 2, fuse: ridge}}\n")
    assert main(["train", "--config", str(cfg), "--out", str(tmp_path / "run")]) == 0
    ck = load_checkpoint(tmp_path / "run" / "model.pt")
    assert len(ck.model.members) == 2 and ck.handcrafted.kind == "ridge"
    capsys.readouterr()
    assert main(["eval", "--checkpoint", str(tmp_path / "run" / "model.pt"), "--data",
                 str(data), "--json", str(tmp_path / "m.json")]) == 0
    text = capsys.readouterr().out
    assert "a bundle of 2 network(s) fused with the handcrafted 'ridge' model" in text
    items = _items(load_kimore(data), ck.config)
    nets = predict_items(ck.model, items, ck.window)
    hand = predict_items(ck.model, items, ck.window, handcrafted=ck.handcrafted)
    got = json.loads((tmp_path / "m.json").read_text())["all"]["mae"]
    assert got == pytest.approx(np.abs(hand["pred"] - hand["y"]).mean())
    assert got != pytest.approx(np.abs(nets["pred"] - nets["y"]).mean())
