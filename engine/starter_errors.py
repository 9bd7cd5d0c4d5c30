"""Where the starter model's score error comes from: its residuals against the simulator's truth.

    python -m engine.starter_errors [--checkpoint resources/models/starter.pt] [--split val]

For each movement it prints the MAE, the mean residual (label − prediction), each stage's
MAE and mean residual, and the Pearson correlation of the residual with every fault's
magnitude (``meta["fault_magnitudes"]``, 0 where the fault is absent) and with the attempt's
duration. Read a fault's r like this: **negative** means the model scores attempts with more
of that fault too *high* (it under-penalizes the fault); positive, too low. The duration
column shows what the window rule hides (the resample rule keeps the shape of a movement,
not its speed).

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


def run(checkpoint: str | Path, split: str = "val", cache: str | Path | None = "runs/starter_cache",
        config: str | Path | None = None, progress: bool = True) -> dict:
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
    args = p.parse_args(argv)
    try:
        table = run(args.checkpoint, args.split, args.cache or None, args.config,
                    progress=not args.quiet)
    except (StarterError, ConfigError, CheckpointError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(format_table(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
