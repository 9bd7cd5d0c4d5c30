"""Print the markdown tables of docs/results.md from ``kinescore-engine cv`` outputs.

    python -m engine.results_tables kimore runs/abl_full runs/abl_A ... runs/cv_kimore_base
    python -m engine.results_tables uiprmd runs/cv_uiprmd
    python -m engine.results_tables uiprmd-within runs/cv_uiprmd   # from its pred_*.npz
    python -m engine.results_tables ablation runs/cv_kimore runs/abl_A ... runs/cv_kimore_stgcn

Each argument after the dataset is a ``cv --out`` folder (its ``results.json``). For KIMORE the
table adds each method's MAE as a multiple of the training-mean predictor's MAE on the same
exercise, and the target checks of issue 4. ``uiprmd-within`` recomputes every method's AUC
from the folder's saved predictions (``pred_*.npz``), pooled over the test subjects and
within each subject (:func:`engine.evaluate.auc_within`), side by side.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np


def load(folders: list[str]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for f in folders:
        res = json.loads((Path(f) / "results.json").read_text())
        for name, r in res.items():
            out[name] = {k: v for k, v in r.items() if not k.startswith("_")}
            out[name]["_seconds"] = r.get("_seconds")
    return out


def kimore(results: dict[str, dict]) -> str:
    mean = results.get("training mean")
    moves = [m for m in next(iter(results.values())) if m not in ("all",) and not m.startswith("_")]
    lines = ["| method | exercise | MAE | × mean MAE | RMSE | SRCC | Acc@5 % | Acc@10 % | grade acc % |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, res in results.items():
        for m in [*moves, "all"]:
            r = res[m]
            ratio = f"{r['mae'] / mean[m]['mae']:.2f}" if mean else ""
            srcc = r["srcc"]
            lines.append(f"| {name} | {m} | {r['mae']:.2f} | {ratio} | {r['rmse']:.2f} | "
                         f"{srcc:.3f} | {100 * r['acc5']:.1f} | {100 * r['acc10']:.1f} | "
                         f"{100 * r['grade_acc']:.1f} |")
        lines.append(f"| {name} | *mean within-exercise SRCC* | | | | "
                     f"{res['all'].get('srcc_within', float('nan')):.3f} | | | |")
    return "\n".join(lines)


def summary(results: dict[str, dict]) -> str:
    """Compact pooled table: one row per method."""
    mean = results.get("training mean")
    moves = [m for m in next(iter(results.values())) if m != "all" and not m.startswith("_")]
    lines = ["| method | pooled MAE | RMSE | within-exercise SRCC (mean of 5) | worst × mean MAE | "
             "Acc@5 % | Acc@10 % | CV time (min) |", "|---|---|---|---|---|---|---|---|"]
    for name, res in results.items():
        worst = max(res[m]["mae"] / mean[m]["mae"] for m in moves) if mean else float("nan")
        secs = res.get("_seconds")
        lines.append(f"| {name} | {res['all']['mae']:.2f} | {res['all']['rmse']:.2f} | "
                     f"{res['all']['srcc_within']:.3f} | {worst:.2f} | "
                     f"{100 * res['all']['acc5']:.1f} | {100 * res['all']['acc10']:.1f} | "
                     f"{'' if secs is None else f'{secs / 60:.1f}'} |")
    return "\n".join(lines)


def ablation(results: dict[str, dict]) -> str:
    """One row per variant: MAE per exercise, pooled MAE, within-exercise SRCC."""
    moves = [m for m in next(iter(results.values())) if m != "all" and not m.startswith("_")]
    short = [m.split(" ")[0] + ("" if len(m.split()) == 1 else " " + m.split(" ")[-1]) for m in moves]
    lines = ["| variant | " + " | ".join(f"MAE {s}" for s in short)
             + " | pooled MAE | pooled RMSE | within-exercise SRCC | Acc@10 % |",
             "|---|" + "---|" * (len(moves) + 4)]
    for name, res in results.items():
        lines.append(f"| {name} | " + " | ".join(f"{res[m]['mae']:.2f}" for m in moves)
                     + f" | {res['all']['mae']:.2f} | {res['all']['rmse']:.2f} | "
                     f"{res['all']['srcc_within']:.3f} | {100 * res['all']['acc10']:.1f} |")
    return "\n".join(lines)


def uiprmd(results: dict[str, dict]) -> str:
    moves = [m for m in next(iter(results.values())) if m != "all" and not m.startswith("_")]
    names = list(results)
    lines = ["| movement | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for m in moves:
        lines.append(f"| {m} | " + " | ".join(f"{results[n][m]['auc']:.3f}" for n in names) + " |")
    lines.append("| **mean** | " + " | ".join(f"{results[n]['all']['auc']:.3f}" for n in names) + " |")
    lines.append("| **worst** | " + " | ".join(f"{results[n]['all']['auc_min']:.3f}" for n in names)
                 + " |")
    return "\n".join(lines)


def uiprmd_within(folders: list[str]) -> str:
    """Pooled and within-subject AUC per movement, recomputed from ``pred_*.npz``."""
    from engine.evaluate import prediction_file, summarize

    results = {}
    for f in folders:
        names = json.loads((Path(f) / "results.json").read_text())
        for name in names:
            path = prediction_file(f, name)
            if path.exists():
                with np.load(path) as d:
                    results[name] = summarize({k: d[k] for k in d.files}, binary=True)
    if not results:
        raise FileNotFoundError(f"no pred_*.npz beside results.json in {folders}")
    moves = [m for m in next(iter(results.values())) if m != "all"]
    names = list(results)
    lines = ["| movement | " + " | ".join(f"{n} pooled / within" for n in names) + " |",
             "|---|" + "---|" * len(names)]
    for m in moves:
        lines.append(f"| {m} | " + " | ".join(
            f"{results[n][m]['auc']:.3f} / {results[n][m]['auc_within']:.3f}" for n in names) + " |")
    for label, key in (("mean", ""), ("worst", "_min")):
        lines.append(f"| **{label}** | " + " | ".join(
            f"{results[n]['all']['auc' + key]:.3f} / {results[n]['all']['auc_within' + key]:.3f}"
            for n in names) + " |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0
    kinds = ("kimore", "uiprmd", "uiprmd-within", "ablation")
    if len(argv) < 2 or argv[0] not in kinds:
        print(f"usage: python -m engine.results_tables {{{','.join(kinds)}}} RUN_FOLDER ...",
              file=sys.stderr)
        return 2
    kind, folders = argv[0], argv[1:]
    if kind == "uiprmd-within":
        print(uiprmd_within(folders))
        return 0
    res = load(folders)
    if kind == "ablation":
        print(ablation(res))
    elif kind == "kimore":
        print(summary(res))
        print()
        print(kimore(res))
    else:
        print(uiprmd(res))
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    raise SystemExit(main(sys.argv[1:]))
