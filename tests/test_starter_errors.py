"""The starter's error diagnosis (engine.starter_errors) on hand-made predictions."""

import numpy as np
import pytest

from engine.starter_errors import format_table, main, residual_table


def _case(n=200, seed=0):
    rng = np.random.default_rng(seed)
    mv = np.array(["standing_long_jump", "sit_ups"] * (n // 2))
    stiff = rng.uniform(0, 1, n)  # the model under-penalizes this fault in the jump
    other = rng.uniform(0, 1, n)  # unrelated to the error
    y = rng.uniform(40, 95, n)
    jump = mv == "standing_long_jump"
    pred = y + np.where(jump, 8 * stiff, 0) + rng.normal(0, 1, n)  # too high when stiff
    stage_y = np.tile(y[:, None], (1, 4))
    stage_pred = stage_y + np.array([0.0, 3.0, -2.0, 0.0])  # stage 2 too high, 3 too low
    durations = rng.uniform(2, 8, n)
    pred[~jump] += 2.0 * (durations[~jump] - 5)  # sit-ups: error grows with duration
    mags = [{"stiff_legged_landing": float(s), "no_arm_swing": float(o)} if j
            else {"jerking_with_momentum": float(o)} for s, o, j in zip(stiff, other, jump)]
    return {"y": y, "pred": pred, "movement": mv, "stage_y": stage_y,
            "stage_pred": stage_pred}, mags, durations


def test_residual_table_finds_the_fault_and_the_duration_behind_the_error():
    pred, mags, durations = _case()
    table = residual_table(pred, mags, durations)
    jump, sit = table["standing_long_jump"], table["sit_ups"]
    assert jump["n"] == sit["n"] == 100
    assert jump["faults"]["stiff_legged_landing"]["r"] < -0.8  # scored too high with the fault
    assert abs(jump["faults"]["no_arm_swing"]["r"]) < 0.3
    assert jump["bias"] == pytest.approx(-4.0, abs=0.8)  # mean of -8 * U(0, 1)
    np.testing.assert_allclose(jump["stage_bias"], [0.0, -3.0, 2.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(jump["stage_mae"], [0.0, 3.0, 2.0, 0.0], atol=1e-9)
    assert sit["duration_r"] < -0.8 and abs(jump["duration_r"]) < 0.3
    assert "free_throw" not in table  # no attempts, no row
    text = format_table(table)
    assert "stiff_legged_landing" in text and "standing_long_jump (n 100)" in text


def test_a_fault_that_never_occurs_has_no_correlation():
    pred, mags, durations = _case()
    mags = [dict(m, falling_backwards=0.0) if "stiff_legged_landing" in m else m for m in mags]
    r = residual_table(pred, mags, durations)["standing_long_jump"]["faults"]["falling_backwards"]["r"]
    assert np.isnan(r)


def test_mismatched_lengths_and_a_missing_checkpoint_are_clear_errors(tmp_path, capsys):
    pred, mags, durations = _case()
    with pytest.raises(ValueError, match="one of each per attempt"):
        residual_table(pred, mags[:-1], durations)
    assert main(["--checkpoint", str(tmp_path / "nope.pt"), "--quiet", "--cache", ""]) == 2
    assert "nope.pt" in capsys.readouterr().err


def test_fusion_check_scores_weights_on_students_they_were_not_chosen_on():
    from engine.starter_errors import format_fusion, fusion_check

    rng = np.random.default_rng(0)
    n = 80
    y = rng.uniform(20, 90, n)
    movement = np.array(["jump", "pass"] * (n // 2))
    subject = np.repeat(np.arange(20), 4).astype(str)
    noise = rng.normal(0, 4, n)
    # the network is exact on jumps, the ridge on passes: the chosen weights are 1 and 0
    net = np.where(movement == "jump", y, y + noise)
    ridge = np.where(movement == "pass", y, y + noise)
    t = fusion_check(y, net, ridge, movement, subject)
    assert t["jump"]["network"] == 0 and t["pass"]["ridge"] == 0
    assert t["all"]["mean"] == pytest.approx(np.abs(noise).mean() / 2)  # half of each error
    assert t["all"]["halves"] == pytest.approx([0.0] * 5)  # the right model per movement
    # a much noisier ridge: the equal mean is worse than the network alone
    bad = fusion_check(y, y + noise, y + 5 * rng.normal(0, 4, n), movement, subject)
    assert bad["all"]["mean"] > bad["all"]["network"]
    assert "5 halvings" in format_fusion(t)


def test_calibration_check_removes_a_shift_and_a_shrinkage_but_not_scatter():
    from engine.starter_errors import calibration_check, format_calibration

    rng = np.random.default_rng(1)
    n = 160
    movement = np.array(["jump", "pass"] * (n // 2))
    subject = np.repeat(np.arange(40), 4).astype(str)
    fit_y, y = rng.uniform(20, 90, n), rng.uniform(20, 90, n)
    # jumps: predictions shrunk towards 55 and shifted; passes: exact up to scatter
    def model(t, noise):
        return np.where(movement == "jump", 55 + 0.5 * (t - 55) + 6, t + noise)

    t = calibration_check(y, model(y, rng.normal(0, 3, n)), movement, subject,
                          fit_y, model(fit_y, rng.normal(0, 3, n)), movement)
    assert t["jump"]["slope"] == pytest.approx(2.0) and t["jump"]["line"] == pytest.approx(0, abs=1e-9)
    assert t["jump"]["raw"] > 5 and t["jump"]["shift"] < t["jump"]["raw"]
    assert max(t["all"]["halves"]) < t["all"]["raw"]  # the jump's error is gone on unseen halves
    # the pass's error is scatter: no line fitted elsewhere removes it
    assert t["pass"]["line"] == pytest.approx(t["pass"]["raw"], rel=0.1)
    assert t["pass"]["line"] > 2
    assert "| jump | 80 |" in format_calibration(t) and "5 halvings" in format_calibration(t)


def test_ridge_and_calibration_are_asked_one_at_a_time(capsys):
    from engine.starter_errors import main

    with pytest.raises(SystemExit):
        main(["--ridge", "--calibration"])
    assert "one at a time" in capsys.readouterr().err
