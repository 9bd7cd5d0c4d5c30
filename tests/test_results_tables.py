"""engine.results_tables: the markdown tables of docs/results.md from cv results.json files."""

import json

import pytest

from engine import results_tables


def _metrics(mae, srcc=0.5):
    return {"n": 10, "mae": mae, "rmse": mae + 2, "srcc": srcc, "acc5": 0.2, "acc10": 0.4,
            "grade_acc": 0.3}


def _write(folder, results):
    folder.mkdir()
    (folder / "results.json").write_text(json.dumps(results))
    return str(folder)


def test_kimore_table_gives_mae_as_multiple_of_the_mean_predictor(tmp_path, capsys):
    base = _write(tmp_path / "base", {"training mean": {
        "squat": _metrics(20.0), "all": {**_metrics(20.0), "srcc_within": 0.0}, "_seconds": 0.0}})
    run = _write(tmp_path / "run", {"full model": {
        "squat": _metrics(15.0, 0.7), "all": {**_metrics(15.0), "srcc_within": 0.7},
        "_seconds": 120.0}})
    assert results_tables.main(["kimore", base, run]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("| full model | squat |"))
    assert "| 15.00 | 0.75 |" in row
    summary = next(line for line in out.splitlines() if line.startswith("| full model | 15.00"))
    assert summary.endswith("| 2.0 |")  # CV time in minutes


def test_bad_arguments_print_usage_instead_of_a_traceback(capsys):
    assert results_tables.main([]) == 2
    assert results_tables.main(["nonsense", "runs/x"]) == 2
    assert "usage" in capsys.readouterr().err
    assert results_tables.main(["--help"]) == 0
    assert "kimore" in capsys.readouterr().out


def test_within_subject_auc_ignores_differences_between_people():
    import numpy as np

    from engine.evaluate import auc, auc_within

    # subject b scores everything 50 points higher: pooled, b's incorrect beats a's correct
    y = np.array([1, 0, 1, 0])
    p = np.array([20.0, 10.0, 70.0, 60.0])
    subj = np.array(["a", "a", "b", "b"])
    assert auc(y, p) == 0.75
    assert auc_within(y, p, subj) == 1.0
    # a subject with one class only adds nothing
    assert auc_within(np.r_[y, 1], np.r_[p, 0.0], np.append(subj, "c")) == 1.0


def test_summary_of_undefined_correlations_is_nan_without_a_warning():
    import warnings

    import numpy as np

    from engine.evaluate import summarize

    key = np.array(["a/squat", "b/squat", "a/jump", "b/jump"])
    pred = {"key": key, "y": np.array([40.0, 60.0, 70.0, 100.0]), "pred": np.full(4, 55.0),
            "movement": np.array(["squat", "squat", "jump", "jump"]),
            "subject": np.array(["a", "b", "a", "b"])}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's "Mean of empty slice" would raise here
        res = summarize(pred)  # a constant predictor: no Spearman on any movement
        binary = summarize({**pred, "y": np.array([0.0, 100.0, 0.0, 100.0])}, binary=True)
    assert np.isnan(res["all"]["srcc_within"]) and res["squat"]["mae"] == 10.0
    # one repetition per subject and movement: within-subject AUC undefined, pooled AUC 0.5
    assert np.isnan(binary["all"]["auc_within"]) and binary["all"]["auc"] == 0.5


def test_uiprmd_within_table_recomputes_both_aucs_from_saved_predictions(tmp_path, capsys):
    import numpy as np

    folder = tmp_path / "cv"
    _write(folder, {"full model": {}})
    np.savez_compressed(folder / "pred_full_model.npz", y=np.array([100.0, 0, 100, 0]),
                        pred=np.array([20.0, 10, 70, 60]), movement=np.array(["squat"] * 4),
                        subject=np.array(["a", "a", "b", "b"]), key=np.arange(4).astype(str))
    assert results_tables.main(["uiprmd-within", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "| squat | 0.750 / 1.000 |" in out and "| **worst** | 0.750 / 1.000 |" in out


def _many(folder, method, pred, y, subject, movement, fold=None, results=None):
    """A cv run folder holding ``method``'s predictions of one unit per (subject, movement)
    pair, in the order given (folds alternate unless given)."""
    import numpy as np

    from engine.evaluate import prediction_file

    _write(folder, results or {method: {"_seconds": 1.0}})
    np.savez(prediction_file(folder, method), key=np.array([f"{s}/{m}" for s, m in
                                                            zip(subject, movement, strict=True)]),
             y=np.asarray(y, float), pred=np.asarray(pred, float), movement=np.asarray(movement),
             subject=np.asarray(subject),
             fold=np.arange(len(y)) % 2 if fold is None else np.asarray(fold))
    return str(folder)


def _run(folder, method, pred, y=(40.0, 60.0, 80.0, 20.0), fold=(0, 0, 1, 1),
         order=(0, 1, 2, 3), results=None):
    """A cv run folder holding ``method``'s predictions of four units, stored in ``order``."""
    import numpy as np

    o = list(order)
    return _many(folder, method, np.array(pred, float)[o], np.array(y)[o],
                 np.array(["a", "b", "c", "d"])[o], ["squat"] * 4, fold=np.array(fold)[o],
                 results=results or {method: {"_seconds": 60.0},
                                     "training mean": {"_seconds": 0.0}})


def _seed_run(folder, pred, **kw):
    return _run(folder, "full model", pred, **kw)


def test_average_of_seed_runs_is_the_mean_prediction(tmp_path, capsys):
    import numpy as np

    s0 = _seed_run(tmp_path / "s0", [50.0, 50.0, 90.0, 30.0])
    s1 = _seed_run(tmp_path / "s1", [30.0, 70.0, 70.0, 10.0])
    out = tmp_path / "avg"
    assert results_tables.main(["average", str(out), s0, s1]) == 0
    assert "averaged over 2 runs: MAE" in capsys.readouterr().out
    with np.load(out / "pred_full_model.npz") as d:
        assert d["pred"].tolist() == [40.0, 60.0, 80.0, 20.0]
    res = json.loads((out / "results.json").read_text())
    assert res["full model"]["all"]["mae"] == 0.0  # each seed is 10 off, their mean is exact
    assert res["full model"]["_seconds"] == 120.0 and "training mean" in res
    # binary labels (UI-PRMD) are summarized by AUC
    b0 = _seed_run(tmp_path / "b0", [60.0, 40.0, 30.0, 70.0], y=(100.0, 0.0, 100.0, 0.0))
    b1 = _seed_run(tmp_path / "b1", [80.0, 20.0, 90.0, 10.0], y=(100.0, 0.0, 100.0, 0.0))
    assert results_tables.main(["average", str(tmp_path / "bavg"), b0, b1]) == 0
    assert "mean AUC 1.000" in capsys.readouterr().out


def test_average_refuses_runs_on_other_folds(tmp_path, capsys):
    s0 = _seed_run(tmp_path / "s0", [50.0, 50.0, 90.0, 30.0])
    other = _seed_run(tmp_path / "s1", [30.0, 70.0, 70.0, 10.0], fold=(1, 1, 0, 0))
    assert results_tables.main(["average", str(tmp_path / "avg"), s0, other]) == 2
    err = capsys.readouterr().err
    assert "'fold'" in err and "same folds" in err
    assert not (tmp_path / "avg").exists()
    assert results_tables.main(["average", str(tmp_path / "avg"), s0,
                                str(tmp_path / "missing")]) == 2
    assert "missing" in capsys.readouterr().err


def _ridge_run(folder, pred, **kw):
    """A baseline run (its units may be stored in another order than the model run's)."""
    return _run(folder, "handcrafted + ridge", pred,
                results={"handcrafted + ridge": {"_seconds": 2.0}}, **kw)


def test_fuse_averages_model_and_ridge_unit_by_unit(tmp_path, capsys):
    import numpy as np

    model = _seed_run(tmp_path / "m", [50.0, 50.0, 90.0, 30.0])
    ridge = _ridge_run(tmp_path / "r", [30.0, 70.0, 70.0, 10.0], order=(2, 0, 3, 1))
    out = tmp_path / "fused"
    assert results_tables.main(["fuse", str(out), model, ridge]) == 0
    assert "full model + handcrafted ridge (mean): MAE 0.00" in capsys.readouterr().out
    with np.load(out / "pred_full_model___handcrafted_ridge__mean_.npz") as d:
        assert d["pred"].tolist() == [40.0, 60.0, 80.0, 20.0]  # matched by key, not by row
    res = json.loads((out / "results.json").read_text())
    assert {"full model", "training mean", "handcrafted + ridge"} <= set(res)
    assert res["full model"]["all"]["mae"] == res["handcrafted + ridge"]["all"]["mae"] == 10.0
    assert res["full model + handcrafted ridge (mean)"]["_seconds"] == 62.0


def test_fuse_with_the_angles_baseline(tmp_path, capsys):
    import numpy as np

    model = _seed_run(tmp_path / "m", [50.0, 50.0, 90.0, 30.0])
    angles = _run(tmp_path / "a", "handcrafted + angles + ridge", [30.0, 70.0, 70.0, 10.0],
                  results={"handcrafted + angles + ridge": {"_seconds": 3.0}})
    out = tmp_path / "fused"
    assert results_tables.main(["fuse", str(out), model, angles, "angles"]) == 0
    assert "full model + angles ridge (mean): MAE 0.00" in capsys.readouterr().out
    with np.load(out / "pred_full_model___angles_ridge__mean_.npz") as d:
        assert d["pred"].tolist() == [40.0, 60.0, 80.0, 20.0]
    res = json.loads((out / "results.json").read_text())
    assert res["full model + angles ridge (mean)"]["_seconds"] == 63.0
    # the plain ridge's predictions are not in that run, and an unknown fusion is named
    assert results_tables.main(["fuse", str(tmp_path / "f"), model, angles]) == 2
    assert "no 'handcrafted + ridge' predictions" in capsys.readouterr().err
    assert results_tables.main(["fuse", str(tmp_path / "f"), model, angles, "pose"]) == 2
    assert "'pose'" in capsys.readouterr().err and not (tmp_path / "f").exists()


def test_fuse_refuses_other_folds_and_missing_predictions(tmp_path, capsys):
    model = _seed_run(tmp_path / "m", [50.0, 50.0, 90.0, 30.0])
    other = _ridge_run(tmp_path / "r", [30.0, 70.0, 70.0, 10.0], fold=(1, 1, 0, 0))
    assert results_tables.main(["fuse", str(tmp_path / "f"), model, other]) == 2
    err = capsys.readouterr().err
    assert "'fold'" in err and "same folds" in err
    assert not (tmp_path / "f").exists()
    assert results_tables.main(["fuse", str(tmp_path / "f"), model, model]) == 2
    assert "no 'handcrafted + ridge' predictions" in capsys.readouterr().err
    assert results_tables.main(["fuse", str(tmp_path / "f"), model]) == 2
    assert "usage" in capsys.readouterr().err


def test_compare_bootstraps_subjects_and_tells_a_real_gain_from_none(tmp_path, capsys):
    import numpy as np

    rng = np.random.default_rng(0)
    subject = np.repeat([f"s{i}" for i in range(30)], 2)
    movement = np.tile(["squat", "lunge"], 30)
    y = rng.uniform(20, 90, 60)
    good = _many(tmp_path / "good", "full model", y + rng.normal(0, 3, 60), y, subject, movement)
    bad = _many(tmp_path / "bad", "ridge", y + rng.normal(0, 15, 60), y, subject, movement)
    res = results_tables.compare(good, "full model", bad, "ridge")
    mae = res["mae"]
    assert mae["diff"] == pytest.approx(mae["a"] - mae["b"]) and mae["diff"] < -5
    assert mae["lo"] <= mae["diff"] <= mae["hi"] < 0 and mae["a_better"] == 1.0
    assert res["srcc_within"]["a_better"] > 0.99
    # a method against itself: no difference, and never "better"
    same = results_tables.compare(good, "full model", good, "full model")
    assert same["mae"]["diff"] == 0 and same["mae"]["lo"] == same["mae"]["hi"] == 0
    assert same["mae"]["a_better"] == 0
    # binary labels are compared by mean AUC
    yb = np.where(y > 55, 100.0, 0.0)
    a = _many(tmp_path / "ba", "full model", y + rng.normal(0, 5, 60), yb, subject, movement)
    b = _many(tmp_path / "bb", "full model", rng.uniform(0, 100, 60), yb, subject, movement)
    auc = results_tables.compare(a, "full model", b, "full model")
    assert set(auc) == {"auc"} and auc["auc"]["diff"] > 0.2 and auc["auc"]["a_better"] > 0.99
    assert results_tables.main(["compare", good, "full model", bad, "ridge"]) == 0
    assert "A better in 100.0 % of resamples" in capsys.readouterr().out
    assert results_tables.main(["compare", good, "full model", bad, "nothing"]) == 2
    assert "nothing" in capsys.readouterr().err
    assert results_tables.main(["compare", good, "full model"]) == 2
    # one movement only: its units' figures, and a clear error for a movement not in the run
    pa = np.load(tmp_path / "good" / "pred_full_model.npz")
    sq = pa["movement"] == "squat"
    one = results_tables.compare(good, "full model", bad, "ridge", "squat")
    assert one["mae"]["a"] == pytest.approx(np.abs(pa["pred"][sq] - pa["y"][sq]).mean())
    assert one["mae"]["a"] != pytest.approx(mae["a"]) and one["mae"]["hi"] < 0
    assert results_tables.main(["compare", good, "full model", bad, "ridge", "squat"]) == 0
    assert "movement 'squat'" in capsys.readouterr().out
    assert results_tables.main(["compare", good, "full model", bad, "ridge", "jump"]) == 2
    assert "jump" in capsys.readouterr().err


def test_plot_kimore_draws_the_mae_ratio_and_needs_the_mean_predictor(tmp_path, capsys):
    def res(maes, srcc=0.5):
        per = {m: _metrics(v, srcc) for m, v in zip(("squat", "trunk rotation"), maes)}
        return {**per, "all": {**_metrics(sum(maes) / 2), "srcc_within": srcc}}

    base = _write(tmp_path / "base", {"training mean": res((20.0, 10.0), 0.0),
                                      "handcrafted + ridge": res((18.0, 9.0))})
    run = _write(tmp_path / "run", {"full model": res((15.0, 8.0), 0.6)})
    out = tmp_path / "k.png"
    assert results_tables.main(["plot-kimore", str(out), base, run]) == 0
    assert out.read_bytes()[:4] == b"\x89PNG" and out.stat().st_size > 10_000
    text = capsys.readouterr().out
    assert "full model 0.80" in text and "handcrafted + ridge 0.90" in text
    ratios = results_tables.plot_kimore(str(tmp_path / "k2.png"), results_tables.load([base, run]))
    assert ratios == {"handcrafted + ridge": [0.9, 0.9], "full model": [0.75, 0.8]}
    # without the training mean there is no 1.0 to divide by: a clear error, no plot
    assert results_tables.main(["plot-kimore", str(tmp_path / "x.png"), run]) == 2
    assert "training mean" in capsys.readouterr().err and not (tmp_path / "x.png").exists()


def test_group_mean_reference_uses_only_training_folds_of_the_same_group(tmp_path, capsys):
    import numpy as np

    # two groups far apart; within each, scores vary a little; folds alternate
    subject = [f"{g}_ID{i}" for g in ("E", "S") for i in range(4)]
    y = np.array([90.0, 94.0, 92.0, 96.0, 40.0, 44.0, 42.0, 46.0])
    fold = np.array([0, 1, 0, 1, 0, 1, 0, 1])
    run = _many(tmp_path / "run", "training mean", np.full(8, 68.0), y, subject, ["lift"] * 8,
                fold=fold)
    res = results_tables.group_mean(run)["lift"]
    # E_ID0 and E_ID2 (fold 0) get the mean of E_ID1 and E_ID3 (fold 1), 95: errors 5 and 3;
    # fold 1 gets 91: errors 3 and 5; the S group likewise
    assert res["group_mae"] == pytest.approx(4.0)
    assert res["mean_mae"] == pytest.approx(np.abs(y - 68).mean())
    assert res["ratio"] == pytest.approx(4.0 / np.abs(y - 68).mean())
    assert results_tables.main(["group-mean", run]) == 0
    assert "| lift |" in capsys.readouterr().out
    other = _many(tmp_path / "other", "training mean", np.zeros(2), [0.0, 100.0], ["1", "2"],
                  ["squat"] * 2)
    assert results_tables.main(["group-mean", other]) == 2
    assert "not a KIMORE id" in capsys.readouterr().err
