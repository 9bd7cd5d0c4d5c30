"""engine.learning_curve: subsets of training people, the seen reference, the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine.baselines import make_baseline
from engine.learning_curve import CurveError, format_curve, learning_curve, seen_reference
from engine.train import Item

PATTERN = np.random.default_rng(123).normal(0, 1, (1, 17, 3))


def _items(n_subjects: int = 12, units: int = 3, seed: int = 0, binary: bool = False):
    """Skeletons whose motion amplitude sets the label (a rule a ridge can learn), two
    movements, ``units`` sequences per person and movement."""
    rng = np.random.default_rng(seed)
    out = []
    for s in range(n_subjects):
        for m, name in enumerate(("lift", "squat")):
            for u in range(units):
                q = float(rng.uniform(0, 1))
                t = 40
                base = rng.normal(0, 0.15, (17, 3))
                phase = np.sin(np.linspace(0, 2 * np.pi, t))[:, None, None]
                joints = (base[None] + (0.05 + 0.4 * q) * phase * PATTERN).astype(np.float32)
                score = (100.0 * (q > 0.5)) if binary else 20.0 + 70.0 * q
                out.append(Item(joints=joints, score=score, movement=m, subject=f"p{s}",
                                key=f"p{s}/{name}/{u}", movement_name=name))
    return out


class Recorder:
    """A fake predictor (tests only): remembers whom it was fitted on and whom it scored."""

    log: list[tuple[set, set]] = []

    def fit(self, items, val_items=None):
        self.train = {it.subject for it in items}
        return self

    def predict(self, items):
        Recorder.log.append((self.train, {it.subject for it in items}))
        return np.array([it.score for it in items]) + 1.0


def test_each_fit_sees_exactly_n_training_people_never_a_test_person():
    Recorder.log = []
    items = _items()
    rows = learning_curve(items, Recorder, binary=False, sizes=[2, 5, 99], repeats=3, folds=4,
                          make_mean=Recorder, progress=False)
    assert [r["n"] for r in rows] == [2, 5, "all"]
    assert [r["repeats"] for r in rows] == [3, 3, 1]  # nothing to draw at the full fold
    assert rows[-1]["people"] == pytest.approx(9.0)  # 12 people, 4 folds
    # model and mean predictor each fit once per fold and repeat: (3 + 3 + 1) x 4 folds x 2
    assert len(Recorder.log) == 7 * 4 * 2
    model_fits = Recorder.log[::2]
    for (train, test), n in zip(model_fits, [2] * 12 + [5] * 12 + [9] * 4):
        assert len(train) == n and not (train & test)
    # the repeats draw different people (fold 0, size 5: repeats 0, 1, 2)
    drawn = [frozenset(model_fits[12 + 4 * r][0]) for r in range(3)]
    assert len(set(drawn)) > 1
    # a perfect-but-for-one-point predictor: MAE 1, ratio against the same fake floor 1
    assert rows[0]["mae"]["mean"] == pytest.approx(1.0)
    assert rows[0]["ratio_max"]["mean"] == pytest.approx(1.0)


def test_more_people_make_a_real_ridge_better_on_a_learnable_rule():
    items = _items(n_subjects=15)
    model = lambda: make_baseline("ridge")  # noqa: E731
    rows = learning_curve(items, model, binary=False, sizes=[1, 12], repeats=2, folds=3,
                          make_mean=lambda: make_baseline("mean"), progress=False)
    few, full = rows
    assert full["n"] == "all" and full["mae"]["mean"] < few["mae"]["mean"]
    assert full["srcc_within"]["mean"] > few["srcc_within"]["mean"]
    assert full["ratio_max"]["mean"] < 1.0  # beats the mean predictor with all people


def test_binary_curve_reports_pooled_and_within_subject_auc():
    items = _items(n_subjects=8, units=6, binary=True)
    rows = learning_curve(items, lambda: make_baseline("ridge", binary=True), binary=True,
                          sizes=[2, 8], repeats=2, folds=4, progress=False)
    assert {"auc", "auc_min", "auc_within", "auc_within_min"} <= set(rows[0])
    assert rows[-1]["auc"]["mean"] > 0.8  # the rule is easy once seen on 6 people
    assert set(rows[0]["per_movement"]) == {"lift", "squat"}
    assert "pooled AUC" in format_curve(rows, True)


def test_seen_reference_puts_a_tested_persons_other_units_in_training():
    Recorder.log = []
    row = seen_reference(_items(), Recorder, binary=False, folds=4, make_mean=Recorder)
    assert row["n"] == "seen" and row["repeats"] == 1
    assert any(train & test for train, test in Recorder.log)
    # one unit per person and movement (KIMORE): a random split would still be subject-disjoint
    with pytest.raises(CurveError, match="one unit per movement"):
        seen_reference(_items(units=1), Recorder, binary=False, folds=4, make_mean=Recorder)


def test_bad_arguments_fail_clearly():
    items = _items(n_subjects=4)
    with pytest.raises(CurveError, match="sizes"):
        learning_curve(items, Recorder, binary=True, sizes=[0, 2], folds=2, progress=False)
    with pytest.raises(CurveError, match="repeats"):
        learning_curve(items, Recorder, binary=True, sizes=[2], repeats=0, folds=2)
    with pytest.raises(CurveError, match="make_mean"):
        learning_curve(items, Recorder, binary=False, sizes=[2], folds=2)


def test_cli_writes_table_json_and_plot(tmp_path, capsys):
    from engine.cli import main
    from tests.test_train import _fake_kimore

    data = _fake_kimore(tmp_path / "k.npz", n_subjects=8)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"name: t\ndata: {{dataset: kimore, path: {data}, window: 16, fps: 15.0}}\n"
                   "eval: {folds: 4}\n")
    out = tmp_path / "lc"
    assert main(["learning-curve", "--config", str(cfg), "--baseline", "ridge", "--sizes",
                 "2,6", "--repeats", "2", "--target", "0.75", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "| 2 | 2 |" in text and "| all (6.0) | 1 |" in text
    saved = json.loads((out / "results.json").read_text())
    assert [r["n"] for r in saved["rows"]] == [2, "all"]
    assert (out / "learning_curve.png").stat().st_size > 10_000
    assert main(["learning-curve", "--config", str(cfg), "--baseline", "ridge", "--seen"]) == 2
    assert "one unit per movement" in capsys.readouterr().err
    assert main(["learning-curve", "--config", str(cfg), "--baseline", "nope"]) == 2
    assert "nope" in capsys.readouterr().err
    assert main(["learning-curve", "--config", str(cfg), "--baseline", "mean"]) == 2
    assert "handcrafted" in capsys.readouterr().err


def test_cli_network_curve_trains_the_config_s_network_per_subset(tmp_path, capsys):
    from engine.cli import main
    from tests.test_train import _fake_kimore

    data = _fake_kimore(tmp_path / "k.npz", n_subjects=6)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"name: tiny\ndata: {{dataset: kimore, path: {data}, window: 16, fps: 15.0}}\n"
                   "model: {channels: [4, 4, 8, 8, 8, 8], attention_dim: 4, local_dim: 4, "
                   "joint_dim: 8, stage_hidden: 4, num_movements: -1}\n"
                   "train: {epochs: 1, batch_size: 4, progress: false, num_threads: 1}\n"
                   "eval: {folds: 3}\n")
    out = tmp_path / "lc"
    assert main(["learning-curve", "--config", str(cfg), "--network", "--sizes", "2,99",
                 "--repeats", "1", "--out", str(out)]) == 0
    assert "tiny network, seed 0" in capsys.readouterr().out
    saved = json.loads((out / "results.json").read_text())
    assert saved["model"] == "tiny network, seed 0"
    assert [r["n"] for r in saved["rows"]] == [2, "all"]
    assert all(np.isfinite(r["mae"]["mean"]) for r in saved["rows"])
    # another training seed: the same subsets, another network
    assert main(["learning-curve", "--config", str(cfg), "--network", "--sizes", "2",
                 "--repeats", "1", "--train-seed", "3", "--out", str(tmp_path / "s3")]) == 0
    other = json.loads((tmp_path / "s3" / "results.json").read_text())
    assert other["model"] == "tiny network, seed 3"
    assert other["rows"][0]["mae"]["mean"] != saved["rows"][0]["mae"]["mean"]
