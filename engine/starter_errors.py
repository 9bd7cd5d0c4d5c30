"""Where the starter model's score error comes from: its residuals against the simulator's truth.

    python -m engine.starter_errors [--checkpoint resources/models/starter.pt] [--split val]

For each movement it prints the MAE, the mean residual (label − prediction), each stage's
MAE and mean residual, and the Pearson correlation of the residual with every fault's
magnitude (``meta["fault_magnitudes"]``, 0 where the fault is absent) and with the attempt's
duration. Read a fault's r like this: **negative** means the model scores attempts with more
of that fault too *high* (it under-penalizes the fault); positive, too low. The duration
column shows what the window rule hides (the resample rule keeps the shape of a movement,
not its speed).

``--ridge`` asks instead whether the handcrafted baseline would add anything
(:func:`fusion_check`): the handcrafted features + ridge model (:mod:`engine.baselines`) is
fitted on the training split, and the split's MAE of the network, of the ridge and of their
equal mean is printed per movement, with an honest estimate of per-movement fusion weights:
the weight (0, 0.1, ..., 1 on the network) chosen on a random half of the split's students and
scored on the other half, both ways, over five halvings. On KIMORE and UI-PRMD the equal mean
helps the network (``docs/results.md``); this is how we checked the starter.

``--calibration`` asks whether a straight line per movement from prediction to label (what a
school would fit on its own labelled recordings) would correct the network: the split's MAE
raw, after a line (slope and offset) or an offset alone fitted on the *training* split's
predictions, and after a line fitted on half of the split's students and scored on the other
half (five halvings, as above). A slope far from 1 or a large offset would show shrinkage
or a shift that calibration can remove; similar MAEs show that the error is scatter.

The validation split is the default: it is what choices are made on; the test split is for
the final figure of a shipped model only (``--split test`` exists to report, not to tune).
The model card's "Where the error is" section quotes this command's output.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from engine.paths import resource
from engine.starter import MODEL_FILE, MOVEMENTS, StarterError, fault_library, predict_all


def _r(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson r, NaN when either side is constant (a fault that never occurs)."""
    if len(a) < 3 or np.std(a) == 0 or np.std(b) == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def residual_table(pred: dict, magnitudes: list[dict], durations, movements=MOVEMENTS) -> dict:
    """Per movement: error figures and the residual's correlations (see the module docstring).

    ``pred``: :func:`engine.starter.predict_all`'s output (``pred``, ``y``, ``stage_pred``,
    ``stage_y``, ``movement``); ``magnitudes[i]``: fault name -> magnitude of attempt ``i``;
    ``durations``: each attempt's length in seconds.
    """
    y, p, mv = np.asarray(pred["y"]), np.clip(np.asarray(pred["pred"]), 0, 100), pred["movement"]
    if not (len(y) == len(magnitudes) == len(durations)):
        raise ValueError(f"{len(y)} predictions, {len(magnitudes)} fault records and "
                         f"{len(durations)} durations: one of each per attempt")
    durations = np.asarray(durations, float)
    table = {}
    for m in movements:
        sel = np.asarray(mv) == m
        if not sel.any():
            continue
        res = y[sel] - p[sel]
        stage_res = np.asarray(pred["stage_y"])[sel] - np.asarray(pred["stage_pred"])[sel]
        names = sorted({k for i in np.flatnonzero(sel) for k in magnitudes[i]})
        faults = {}
        for name in names:
            mag = np.array([magnitudes[i].get(name, 0.0) for i in np.flatnonzero(sel)], float)
            faults[name] = {"r": _r(res, mag), "mean_magnitude": float(mag.mean())}
        table[m] = {
            "n": int(sel.sum()), "mae": float(np.abs(res).mean()), "bias": float(res.mean()),
            "stage_mae": np.abs(stage_res).mean(axis=0).tolist(),
            "stage_bias": stage_res.mean(axis=0).tolist(),
            "duration_r": _r(res, durations[sel]), "faults": faults,
        }
    return table


def format_table(table: dict) -> str:
    lines = []
    for m, row in table.items():
        stages = " ".join(f"{a:.2f}/{b:+.2f}" for a, b in zip(row["stage_mae"], row["stage_bias"]))
        lines.append(f"{m} (n {row['n']}): MAE {row['mae']:.2f}, mean residual "
                     f"{row['bias']:+.2f}, r(residual, duration) {row['duration_r']:+.2f}")
        lines.append(f"  stage MAE / mean residual: {stages}")
        for name, f in sorted(row["faults"].items(), key=lambda kv: np.nan_to_num(kv[1]["r"])):
            lines.append(f"  {name:28s} r {f['r']:+.2f}  (mean magnitude {f['mean_magnitude']:.2f})")
    return "\n".join(lines)


def held_out_halves(y, movement, subject, fit_predict, halvings: int = 5,
                    seed: int = 0) -> list[float]:
    """Honest MAE of a per-movement rule, once per random halving of the students: the rule is
    fitted on one half and applied to the other, both ways, so every attempt is scored by a
    rule that never saw its student. ``fit_predict(fit, score)`` gets two attempt masks of one
    movement and returns the rule's scores for the ``score`` attempts."""
    y, movement, subject = np.asarray(y, float), np.asarray(movement), np.asarray(subject)
    students = np.unique(subject)
    if len(students) < 2:
        raise ValueError("need at least two students to split in halves")
    rng, maes = np.random.default_rng(seed), []
    for _ in range(halvings):
        first = np.isin(subject, rng.permutation(students)[:len(students) // 2])
        err = np.empty(len(y))
        for fit, score in ((first, ~first), (~first, first)):
            for m in dict.fromkeys(movement.tolist()):
                s = movement == m
                err[s & score] = np.abs(fit_predict(s & fit, s & score) - y[s & score])
        maes.append(float(err.mean()))
    return maes


def fusion_check(y, net, ridge, movement, subject, halvings: int = 5, seed: int = 0) -> dict:
    """MAE of the network, the ridge and their mean per movement, and of per-movement weights
    chosen on half of the students and scored on the other half (see the module docstring)."""
    y, net, ridge = (np.asarray(a, float) for a in (y, net, ridge))
    movement, subject = np.asarray(movement), np.asarray(subject)
    grid = np.linspace(0.0, 1.0, 11)
    table = {}
    for m in dict.fromkeys(movement.tolist()):
        s = movement == m
        table[m] = {"n": int(s.sum()), "network": float(np.abs(net[s] - y[s]).mean()),
                    "ridge": float(np.abs(ridge[s] - y[s]).mean()),
                    "mean": float(np.abs((net[s] + ridge[s]) / 2 - y[s]).mean())}

    def best_weight(fit, score):
        maes = [np.abs(w * net[fit] + (1 - w) * ridge[fit] - y[fit]).mean() if fit.any() else 0.0
                for w in grid]
        w = grid[int(np.argmin(maes))]
        return w * net[score] + (1 - w) * ridge[score]

    halves = held_out_halves(y, movement, subject, best_weight, halvings, seed)
    table["all"] = {"n": len(y), "network": float(np.abs(net - y).mean()),
                    "ridge": float(np.abs(ridge - y).mean()),
                    "mean": float(np.abs((net + ridge) / 2 - y).mean()), "halves": halves}
    return table


def _line(pred, y) -> tuple[float, float]:
    """Least-squares ``(slope, offset)`` of ``y ≈ slope * pred + offset`` (slope 1 when the
    predictions are all equal)."""
    if len(pred) < 2 or np.std(pred) == 0:
        return 1.0, float(np.mean(y - pred)) if len(y) else 0.0
    slope, offset = np.polyfit(pred, y, 1)
    return float(slope), float(offset)


def calibration_check(y, pred, movement, subject, fit_y, fit_pred, fit_movement,
                      halvings: int = 5, seed: int = 0) -> dict:
    """Would a line per movement from prediction to label help? (see the module docstring).
    ``y``/``pred``: the split scored; ``fit_*``: the split the lines are fitted on."""
    y, pred, fit_y, fit_pred = (np.asarray(a, float) for a in (y, pred, fit_y, fit_pred))
    movement, fit_movement = np.asarray(movement), np.asarray(fit_movement)
    line_err, offset_err = np.empty(len(y)), np.empty(len(y))
    table = {}
    for m in dict.fromkeys(movement.tolist()):
        s, f = movement == m, fit_movement == m
        slope, offset = _line(fit_pred[f], fit_y[f])
        shift = float(np.mean(fit_y[f] - fit_pred[f])) if f.any() else 0.0
        line_err[s] = np.abs(np.clip(slope * pred[s] + offset, 0, 100) - y[s])
        offset_err[s] = np.abs(np.clip(pred[s] + shift, 0, 100) - y[s])
        table[m] = {"n": int(s.sum()), "raw": float(np.abs(pred[s] - y[s]).mean()),
                    "slope": slope, "offset": shift, "line": float(line_err[s].mean()),
                    "shift": float(offset_err[s].mean())}

    def fitted_line(fit, score):
        slope, offset = _line(pred[fit], y[fit])
        return np.clip(slope * pred[score] + offset, 0, 100)

    halves = held_out_halves(y, movement, subject, fitted_line, halvings, seed)
    table["all"] = {"n": len(y), "raw": float(np.abs(pred - y).mean()), "slope": float("nan"),
                    "offset": float("nan"), "line": float(line_err.mean()),
                    "shift": float(offset_err.mean()), "halves": halves}
    return table


def format_calibration(table: dict) -> str:
    lines = ["| movement | n | MAE | training-split line (slope) | its MAE | offset only | its MAE |",
             "|---|---|---|---|---|---|---|"]
    for m, r in table.items():
        slope, offset = ((f"{r['slope']:.3f}", f"{r['offset']:+.2f}") if m != "all"
                         else ("per movement", "per movement"))
        lines.append(f"| {m} | {r['n']} | {r['raw']:.2f} | {slope} | {r['line']:.2f} "
                     f"| {offset} | {r['shift']:.2f} |")
    h = table["all"]["halves"]
    lines.append(f"\nline per movement fitted on half the students, scored on the other half "
                 f"({len(h)} halvings): MAE {min(h):.2f}-{max(h):.2f}, mean {np.mean(h):.2f} "
                 f"(uncalibrated {table['all']['raw']:.2f})")
    return "\n".join(lines)


def format_fusion(table: dict) -> str:
    lines = ["| movement | n | network MAE | ridge MAE | equal mean MAE |", "|---|---|---|---|---|"]
    for m, r in table.items():
        lines.append(f"| {m} | {r['n']} | {r['network']:.2f} | {r['ridge']:.2f} | {r['mean']:.2f} |")
    h = table["all"]["halves"]
    lines.append(f"\nweights per movement chosen on half the students, scored on the other half "
                 f"({len(h)} halvings): MAE {min(h):.2f}-{max(h):.2f}, mean {np.mean(h):.2f} "
                 f"(network alone {table['all']['network']:.2f})")
    return "\n".join(lines)


def run(checkpoint: str | Path, split: str = "val", cache: str | Path | None = "runs/starter_cache",
        config: str | Path | None = None, progress: bool = True, ridge: bool = False,
        calibration: bool = False) -> dict:
    from engine.model.checkpoint import load_checkpoint
    from engine.starter import load_starter_config, simulated_data
    from engine.train import prepare_items

    ck = load_checkpoint(checkpoint)
    movements, faults = list(MOVEMENTS), fault_library()
    if list(ck.movements) != movements or list(ck.faults) != faults:
        raise StarterError(f"{checkpoint}: trained for movements {ck.movements} and "
                           f"{len(ck.faults)} faults, not the starter's {movements} and "
                           f"{len(faults)}; pass a starter checkpoint")
    _, settings = load_starter_config(config)
    data = simulated_data(settings, cache, progress)
    if split not in data:
        raise StarterError(f"--split {split!r}: use one of {sorted(data)}")
    samples = data[split]
    items = prepare_items(samples, ck.window, movements, faults, progress=progress)
    pred = predict_all(ck.model, items, ck.window, movements, progress=progress)
    if ridge:
        from engine.baselines import HandcraftedRidge

        train = prepare_items(data["train"], ck.window, movements, faults, progress=progress)
        baseline = HandcraftedRidge(fps=ck.window.fps).fit(train)
        return fusion_check(pred["y"], pred["pred"], baseline.predict(items),
                            pred["movement"], [it.subject for it in items])
    if calibration:
        train = prepare_items(data["train"], ck.window, movements, faults, progress=progress)
        fit = predict_all(ck.model, train, ck.window, movements, progress=progress)
        return calibration_check(pred["y"], pred["pred"], pred["movement"],  # both 0-100
                                 [it.subject for it in items], fit["y"], fit["pred"],
                                 fit["movement"])
    durations = [float(s.timestamps[-1] - s.timestamps[0]) if s.timestamps is not None
                 and len(s.timestamps) > 1 else len(s.joints) / 30.0 for s in samples]
    return residual_table(pred, [s.meta.get("fault_magnitudes", {}) for s in samples], durations)


def main(argv: list[str] | None = None) -> int:
    from engine.config import ConfigError
    from engine.model.checkpoint import CheckpointError

    p = argparse.ArgumentParser(prog="python -m engine.starter_errors",
                                description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--checkpoint", default=str(resource("models") / MODEL_FILE))
    p.add_argument("--split", default="val", help="val (default; choices are made here) or test")
    p.add_argument("--config", default=None, help="starter YAML that made the data "
                   "(default: resources/models/starter.yaml)")
    p.add_argument("--cache", default="runs/starter_cache",
                   help="cache folder for the simulated data ('' = no cache)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--ridge", action="store_true", help="instead: would fusing the handcrafted "
                   "ridge baseline help? (see the module docstring)")
    p.add_argument("--calibration", action="store_true", help="instead: would a line per "
                   "movement from prediction to label help? (see the module docstring)")
    args = p.parse_args(argv)
    if args.ridge and args.calibration:
        p.error("--ridge and --calibration are two different questions: ask one at a time")
    try:
        table = run(args.checkpoint, args.split, args.cache or None, args.config,
                    progress=not args.quiet, ridge=args.ridge, calibration=args.calibration)
    except (StarterError, ConfigError, CheckpointError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(format_fusion(table) if args.ridge else format_calibration(table) if args.calibration
          else format_table(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
