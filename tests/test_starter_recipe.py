"""The training-recipe options the bundled starter model uses (issue 5): eq. 17's rubric fusion
of the stage scores, the leaky activation of eq. 12 and the moving average of the weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.config import ConfigError, from_dict, to_dict
from engine.model.network import KineScoreNet
from engine.movements import MOVEMENTS, load_movement
from engine.train import TrainError, WeightAverage, resolve_config, train_model
from tests.model_helpers import SMALL, quick_config, small_model_config, synthetic_samples

torch.set_num_threads(1)


def test_rubric_fusion_takes_each_movements_stage_weights_and_survives_a_round_trip():
    cfg = from_dict({"model": {**{k: list(v) if isinstance(v, tuple) else v
                                  for k, v in SMALL.items()},
                               "num_movements": -1, "stage_fusion": "rubric"}})
    assert cfg.model.stage_weights == ()  # filled from the movement files when training
    cfg = resolve_config(cfg, list(MOVEMENTS), [])
    assert cfg.model.stage_weights == tuple(tuple(load_movement(m).stage_weights)
                                            for m in MOVEMENTS)
    assert from_dict(to_dict(cfg)).model.stage_weights == cfg.model.stage_weights


def test_rubric_fusion_scores_the_weighted_sum_of_the_stage_scores():
    weights = ((0.1, 0.2, 0.3, 0.4), (0.4, 0.3, 0.2, 0.1))
    model = KineScoreNet(small_model_config(num_movements=2, stage_weights=weights)).eval()
    with torch.no_grad():  # leave only the stage term of eq. 17
        model.head.score_fc.weight.zero_()
        model.head.bias_fc.weight.zero_()
        model.head.bias_fc.bias.zero_()
        model.head.stage_scorer.weight.normal_(0, 0.5)
    x = torch.randn(4, 3, 24, 17)
    mv = torch.tensor([0, 1, 0, 1])
    out = model(x, mv)
    expected = (out.stage_scores * torch.tensor(weights)[mv]).sum(-1)
    torch.testing.assert_close(out.score_raw, expected)
    assert not torch.allclose(out.score_raw, out.stage_scores.mean(-1))  # not the paper's mean
    assert sorted(model.state_dict()) == sorted(
        KineScoreNet(small_model_config(num_movements=2)).state_dict())  # same weights file


def test_leaky_activation_keeps_a_gradient_where_relu_has_none():
    grads = {}
    for act in ("relu", "leaky_relu"):
        torch.manual_seed(0)
        model = KineScoreNet(small_model_config(joint_activation=act))
        with torch.no_grad():
            model.head.encoder.fc1.bias.fill_(-1e3)  # every unit below zero: dead for ReLU
        model(torch.randn(2, 3, 24, 17)).f_joint.sum().backward()
        grads[act] = model.head.encoder.fc1.weight.grad.abs().sum().item()
    assert grads["relu"] == 0 and grads["leaky_relu"] > 0


@pytest.mark.parametrize("data, message", [
    ({"model": {"joint_activation": "tanh"}}, "model.joint_activation"),
    ({"model": {"stage_fusion": "median"}}, "model.stage_fusion"),
    ({"model": {"stage_weights": [[0.5, 0.5]]}}, "model.stage_weights"),
    ({"train": {"ema_decay": 1.0}}, "train.ema_decay"),
    ({"train": {"fault_target": "severity"}}, "train.fault_target"),
])
def test_bad_recipe_values_name_the_key(data, message):
    with pytest.raises(ConfigError, match=message):
        from_dict(data)


def test_rubric_fusion_needs_a_rubric_and_the_movement_input():
    cfg = from_dict({"model": {"stage_fusion": "rubric", "num_movements": -1}})
    with pytest.raises(TrainError, match="no rubric for movement 'squat'"):
        resolve_config(cfg, ["squat"], [])
    cfg = from_dict({"model": {"stage_fusion": "rubric"}})
    with pytest.raises(TrainError, match="num_movements"):
        resolve_config(cfg, ["sit_ups"], [])


def test_weight_average_is_the_exponential_moving_average():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    avg = WeightAverage(net, 0.9)
    start = [p.detach().clone() for p in net.parameters()]
    with torch.no_grad():
        for p in net.parameters():
            p.add_(1.0)
        net[1].running_mean.fill_(7.0)
    avg.update(net)
    for a, s in zip(avg.model.parameters(), start):
        torch.testing.assert_close(a, s + 0.1)
    assert torch.all(avg.model[1].running_mean == 7.0)  # statistics copied, not averaged
    assert not avg.model.training and not any(p.requires_grad for p in avg.model.parameters())


def test_training_with_the_average_returns_and_validates_the_average():
    samples = synthetic_samples(16)
    seen = []
    plain = train_model(samples, quick_config(epochs=2), log=lambda *a: None)
    res = train_model(samples, quick_config(epochs=2, ema_decay=0.9), val_samples=samples[:6],
                      on_epoch=lambda e, m, row: seen.append(m), log=lambda *a: None)
    assert all(m is res.model for m in seen)  # on_epoch sees the average, the result is it
    # the average lags the plain run's last weights (same seed: same steps)
    diff = [float((a - b).abs().max().detach()) for a, b in
            zip(res.model.parameters(), plain.model.parameters())]
    assert max(diff) > 0
    assert np.isfinite(res.history[-1]["val_mae"])


def test_label_noise_measures_the_labels_against_the_noise_free_score():
    from engine.datasets import Sample
    from engine.starter import label_noise

    def sample(movement, label, true):
        return Sample(joints=np.zeros((5, 17, 3), np.float32), score=label, subject="s",
                      movement=movement, meta={"true_score": true})

    samples = [sample("sit_ups", 52.0, 50.0), sample("sit_ups", 58.0, 60.0),
               sample("free_throw", 71.0, 70.0), sample("free_throw", 80.0, 81.0)]
    out = label_noise(samples, ["sit_ups", "free_throw"])
    assert out["sit_ups"]["mae"] == pytest.approx(2.0) and out["free_throw"]["mae"] == 1.0
    assert out["all"]["n"] == 4 and out["all"]["mae"] == pytest.approx(1.5)
    assert out["sit_ups"]["bias"] == pytest.approx(0.0) and out["all"]["srcc"] == 1.0
    samples.append(Sample(joints=np.zeros((5, 17, 3), np.float32), score=1.0, subject="k",
                          movement="sit_ups", meta={}))  # real data: no noise-free score
    assert label_noise(samples, ["sit_ups", "free_throw"]) is None


def test_fault_target_magnitude_trains_on_the_simulators_magnitudes_and_keeps_presence_labels():
    from engine.model.windowing import WindowSpec
    from engine.train import make_batch, prepare_items

    samples = synthetic_samples(4)
    samples[0].meta = {"faults": ["a", "b"], "fault_magnitudes": {"a": 0.25, "b": 0.75}}
    samples[1].meta = {"faults": ["b"]}  # no magnitudes: presence is the target
    spec = WindowSpec(24, 15.0)
    items = prepare_items(samples, spec, ["sit_ups", "free_throw"], ["a", "b"])
    np.testing.assert_array_equal(items[0].faults, [1, 1])  # evaluation labels stay 0/1
    np.testing.assert_allclose(items[0].fault_magnitudes, [0.25, 0.75])
    assert items[1].fault_magnitudes is None
    rng = np.random.default_rng(0)
    _, soft = make_batch(items[:2], spec, rng, None, 4, fault_target="magnitude")
    _, hard = make_batch(items[:2], spec, rng, None, 4)
    np.testing.assert_allclose(soft["faults"].numpy(), [[0.25, 0.75], [0, 1]])
    np.testing.assert_allclose(hard["faults"].numpy(), [[1, 1], [0, 1]])
