"""The bundled starter model (resources/models/starter.pt) and the command that retrains it.

The bundled-model tests skip with a reason when the checkpoint is absent (a checkout without
the weights); the command test always runs on a tiny configuration.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from engine.grading import GRADES
from engine.movements import MOVEMENTS, load_movement
from engine.paths import resource
from engine.starter import (
    MODEL_FILE,
    StarterError,
    fault_library,
    load_starter_config,
    run,
)

torch.set_num_threads(1)
BUNDLED = resource("models", MODEL_FILE)


@pytest.fixture(scope="module")
def scorer():
    if not BUNDLED.exists():
        pytest.skip(f"{BUNDLED} is absent: retrain it with `python -m engine.starter` "
                    f"(see resources/models/README.md)")
    from engine.model.scorer import TorchScorer

    return TorchScorer(BUNDLED, num_threads=1)


def _check_result(res, movement: str, frames: int) -> None:
    m = load_movement(movement)
    assert 0 <= res.score <= 100 and res.grade in GRADES
    assert res.grade_probs.shape == (5,) and np.isclose(res.grade_probs.sum(), 1, atol=1e-5)
    assert res.stage_scores.shape == (4,) and np.all((res.stage_scores >= 0) & (res.stage_scores <= 100))
    assert res.stage_bounds.shape == (4, 2) and np.all(np.diff(res.stage_bounds[:, 0]) >= 0)
    assert res.temporal_attention.shape == (frames,)
    assert np.isclose(res.temporal_attention.sum(), 1, atol=1e-5)
    assert res.joint_contribution.shape == (17,)
    for key in res.feedback:
        kind, _, name = key.partition(":")
        assert (kind == "fault" and name in m.fault_keys) or (kind == "stage" and name in m.stage_keys), key
    assert res.model_version.startswith("starter-")


def test_bundled_model_matches_the_movements_and_fault_library(scorer):
    assert scorer.movements == list(MOVEMENTS)
    assert scorer.faults == fault_library()
    assert scorer.model.config.num_movements == 4
    assert scorer.model.config.num_faults == len(fault_library())
    assert 0 < scorer.fault_threshold < 1
    size = BUNDLED.stat().st_size
    assert size <= 20 * 2**20, f"{BUNDLED} is {size / 2**20:.1f} MB (limit 20 MB)"


@pytest.mark.parametrize("movement", MOVEMENTS)
def test_good_attempt_scores_above_the_same_students_faulty_attempt(scorer, movement):
    from engine.simulator import simulate_attempt

    keys = load_movement(movement).fault_keys
    good = simulate_attempt(movement, seed=[11, 5], student=7, faults={})
    bad = simulate_attempt(movement, seed=[11, 5], student=7, faults={k: 0.9 for k in keys})
    assert bad.labels.score < good.labels.score - 30  # the labels agree the faults are severe
    r_good = scorer.score(good.recording.joints, movement)
    r_bad = scorer.score(bad.recording.joints, movement)
    _check_result(r_good, movement, good.recording.num_frames)
    _check_result(r_bad, movement, bad.recording.num_frames)
    assert r_good.score > r_bad.score + 10, (r_good.score, r_bad.score)
    assert r_good.stage_scores.mean() > r_bad.stage_scores.mean()


@pytest.mark.parametrize("movement", MOVEMENTS)
def test_fault_feedback_names_more_faults_in_the_faulty_attempt(scorer, movement):
    from engine.simulator import simulate_attempt

    keys = load_movement(movement).fault_keys
    good = simulate_attempt(movement, seed=[11, 5], student=7, faults={})
    bad = simulate_attempt(movement, seed=[11, 5], student=7, faults={k: 0.9 for k in keys})
    r_good = scorer.score(good.recording.joints, movement)
    r_bad = scorer.score(bad.recording.joints, movement)
    faults_named = [k for k in r_bad.feedback if k.startswith("fault:")]
    assert len(faults_named) >= 2, r_bad.feedback
    assert len([k for k in r_good.feedback if k.startswith("fault:")]) < len(faults_named)


def test_bundled_models_joint_encoder_is_alive(scorer):
    """The first starter model's eq. 12 units had all died: its grade and fault outputs were
    one constant per movement. They must depend on the attempt."""
    from engine.simulator import simulate_attempt

    keys = load_movement("free_throw").fault_keys
    good = simulate_attempt("free_throw", seed=[11, 5], student=7, faults={})
    bad = simulate_attempt("free_throw", seed=[11, 5], student=7, faults={k: 0.9 for k in keys})
    x = [scorer.score(a.recording.joints, "free_throw") for a in (good, bad)]
    assert np.abs(x[0].grade_probs - x[1].grade_probs).max() > 0.05
    assert x[0].grade_probs.argmax() < x[1].grade_probs.argmax()  # GRADES: best first


def test_bundled_model_scores_fresh_test_students_close_to_their_labels(scorer):
    """10 attempts per movement of held-out (test-split) students, simulated afresh with
    seeds the training data never used."""
    from engine.evaluate import metrics
    from engine.simulator import simulate_attempt
    from engine.simulator.dataset import plan_attempts

    y, pred = [], []
    for movement in MOVEMENTS:
        test_students = sorted({p.student for p in plan_attempts(movement, 600, 180, 0)
                                if p.split == "test"})
        for i, student in enumerate(test_students[:10]):
            att = simulate_attempt(movement, seed=[9001, i], student=student)
            res = scorer.score(att.recording.joints, movement,
                               confidence=att.recording.confidence,
                               timestamps=att.recording.timestamps)
            y.append(att.labels.score)
            pred.append(res.score)
    m = metrics(y, pred)
    assert m["mae"] < 6.0 and m["srcc"] > 0.75, m


# --------------------------------------------------------------------------- the command
TINY = """
name: starter
starter: {per_movement: 10, n_students: 12, seed: 3}
model:
  channels: [8, 8, 16, 16]
  attention_dim: 8
  local_dim: 8
  joint_dim: 16
  stage_hidden: 8
  num_movements: 4
  num_faults: -1
train:
  epochs: 2
  batch_size: 8
  num_threads: 1
  progress: false
  curriculum: {enabled: false}
data:
  dataset: simulator
  window: 24
  fps: 15.0
"""


def test_starter_command_trains_selects_evaluates_and_writes(tmp_path):
    from engine.model.scorer import TorchScorer

    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(TINY)
    lines = []
    report = run(cfg, tmp_path / "models", tmp_path / "figs", tmp_path / "cache",
                 progress=False, log=lines.append)
    ck_path = tmp_path / "models" / MODEL_FILE
    metrics = json.loads((tmp_path / "models" / "starter_metrics.json").read_text())
    assert metrics["data"] == report["data"] and metrics["data"]["train"] == 24
    assert set(metrics["test"]) == {*MOVEMENTS, "all"}
    assert metrics["selection"]["best_epoch"] in (1, 2)
    best = min(h["val_mae"] for h in metrics["history"])
    assert metrics["val"]["all"]["mae"] == pytest.approx(best, rel=1e-4)  # the selected epoch
    assert (tmp_path / "figs" / "starter_curves.png").stat().st_size > 1000
    assert (tmp_path / "figs" / "starter_scatter.png").stat().st_size > 1000
    assert any("MAE" in line for line in lines)
    scorer = TorchScorer(ck_path)
    assert scorer.faults == fault_library() and scorer.movements == list(MOVEMENTS)
    assert scorer.fault_threshold == metrics["selection"]["fault_threshold"]
    assert list((tmp_path / "cache").glob("simulated_*.pkl"))
    # evaluating the written checkpoint again (data from the cache) gives the same figures
    again = run(cfg, tmp_path / "models", None, tmp_path / "cache", evaluate_only=True,
                progress=False, log=lines.append)
    assert again["test"]["all"]["mae"] == pytest.approx(metrics["test"]["all"]["mae"], abs=1e-9)
    assert any("from cache" in line for line in lines)


def test_starter_config_errors_name_the_key(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(TINY.replace("seed: 3}", "seed: 3, per_movment: 5}"))
    with pytest.raises(StarterError, match="per_movment"):
        load_starter_config(bad)
    bad.write_text(TINY.replace("num_movements: 4", "num_movements: 0"))
    with pytest.raises(StarterError, match="num_movements"):
        load_starter_config(bad)
    with pytest.raises(StarterError, match="not found"):
        load_starter_config(tmp_path / "missing.yaml")


def test_the_shipped_config_is_valid():
    cfg, settings = load_starter_config()
    assert (settings.per_movement, settings.n_students) == (600, 180)
    assert cfg.model.num_movements == 4 and cfg.model.num_faults in (-1, len(fault_library()))
    assert cfg.train.num_threads >= 1


def test_fault_feedback_keeps_the_movements_faults_costliest_first():
    from engine.model.scorer import fault_feedback

    faults = ["no_arm_swing", "no_leg_tuck", "low_release", "made_up_fault", "falling_backwards"]
    probs = np.array([0.9, 0.6, 0.99, 0.8, 0.4])
    # no_arm_swing: 0.9 x 0.45; no_leg_tuck: 0.6 x 0.6; made_up_fault: 0.8 x 1 (no file knows
    # it); low_release belongs to the free throw; falling_backwards is below the threshold
    assert fault_feedback(probs, faults, "standing_long_jump", 0.5) == [
        "fault:made_up_fault", "fault:no_arm_swing", "fault:no_leg_tuck"]
    assert fault_feedback(probs, faults, "standing_long_jump", 0.3)[-1] == "fault:falling_backwards"
    assert fault_feedback(probs, faults, "free_throw", 0.5) == [
        "fault:made_up_fault", "fault:low_release"]
    # a movement without a file (e.g. a KIMORE exercise): every fault, by probability
    assert fault_feedback(probs, faults, "Ex1", 0.5) == [
        "fault:low_release", "fault:no_arm_swing", "fault:made_up_fault", "fault:no_leg_tuck"]


def test_starter_ensemble_members_train_in_parallel_runs_and_are_assembled(tmp_path):
    from engine.model.checkpoint import load_checkpoint
    from engine.model.ensemble import KineScoreEnsemble

    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(TINY.replace("seed: 3}", "seed: 3, members: 2}"))
    members, lines = tmp_path / "members", []
    common = dict(figures=None, cache=tmp_path / "cache", progress=False, log=lines.append,
                  members_dir=members)
    with pytest.raises(StarterError, match="members 0..1"):
        run(cfg, tmp_path / "models", member=2, **common)
    one = run(cfg, tmp_path / "models", member=1, **common)  # as a parallel process would
    assert one["member"] == 1 and [p.name for p in members.iterdir()] == ["member_1.pt"]
    assert not (tmp_path / "models").exists()  # a member run ships nothing
    report = run(cfg, tmp_path / "models", **common)
    assert any("member_1.pt reused" in line for line in lines)
    assert any("training member 0 of 2 (train.seed 0)" in line for line in lines)
    ck = load_checkpoint(tmp_path / "models" / MODEL_FILE)
    assert isinstance(ck.model, KineScoreEnsemble) and len(ck.model.members) == 2
    assert [m["seed"] for m in report["members"]] == [0, 1]
    assert len(report["history"]) == 2  # the epoch log survives in the member file
    assert load_checkpoint(members / "member_1.pt").metrics["history"][-1]["epoch"] == 2
    m0, m1 = (load_checkpoint(members / f"member_{k}.pt").model for k in (0, 1))
    for a, b in zip((m0, m1), ck.model.members):  # the shipped members are the saved ones
        torch.testing.assert_close(a.state_dict(), b.state_dict())
    assert not torch.equal(m0.head.score_fc.weight, m1.head.score_fc.weight)  # other seeds
    # a member trained for another config is not reused
    cfg.write_text(TINY.replace("seed: 3}", "seed: 3, members: 2}").replace("epochs: 2",
                                                                           "epochs: 1"))
    lines.clear()
    run(cfg, tmp_path / "models", member=1, **common)
    assert any("another config or data; training it again" in line for line in lines)
