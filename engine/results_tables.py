"""Print the markdown tables of docs/results.md from ``kinescore-engine cv`` outputs.

    python -m engine.results_tables kimore runs/abl_full runs/abl_A ... runs/cv_kimore_base
    python -m engine.results_tables uiprmd runs/cv_uiprmd
    python -m engine.results_tables uiprmd-within runs/cv_uiprmd   # from its pred_*.npz
    python -m engine.results_tables ablation runs/cv_kimore runs/abl_A ... runs/cv_kimore_stgcn
    python -m engine.results_tables average runs/cv_x_seeds runs/cv_x runs/cv_x_s1 runs/cv_x_s2
    python -m engine.results_tables fuse runs/cv_x_fused runs/cv_x_seeds runs/cv_x_ridge [KIND]   # KIND: a key of engine.evaluate.FUSIONS
    python -m engine.results_tables compare RUN_A "METHOD A" RUN_B "METHOD B" ["MOVEMENT"]
    python -m engine.results_tables plot-kimore OUT.png RUN_FOLDER ...
    python -m engine.results_tables group-mean RUN_FOLDER   # KIMORE: a reference that knows the group

Each argument after the dataset is a ``cv --out`` folder (its ``results.json``). For KIMORE the
table adds each method's MAE as a multiple of the training-mean predictor's MAE on the same
exercise, and the target checks of issue 4. ``uiprmd-within`` recomputes every method's AUC
from the folder's saved predictions (``pred_*.npz``), pooled over the test subjects and
within each subject (:func:`engine.evaluate.auc_within`), side by side.

``average OUT RUN...`` is the seed ensemble: runs of one config on the same folds (``cv
--train-seed S``; the folds follow ``eval.seed``) have their "full model" unit predictions
averaged, which equals averaging the seeds' networks fold by fold. It writes OUT's
``pred_full_model.npz`` and ``results.json`` (with the first run's other methods beside it), so
the other commands read OUT like any run folder. Runs on other folds or units are refused.
Runs of two configs on the same folds and units average the same way: e.g. joint-input and
bone-input networks (``model.input_bones``) make a two-stream ensemble.

``fuse OUT MODEL_RUN BASELINE_RUN`` is the late fusion of :func:`engine.evaluate.fuse_predictions`
(the mean of the network's and the handcrafted ridge's score, weight 1/2 by design) for runs made
separately, e.g. a seed average and a ``cv --no-model --baselines ridge`` run on the same folds
(``cv`` adds the fused row itself when one run has both). OUT gets the two inputs' predictions and
the fused ones as method "full model + handcrafted ridge (mean)", beside the other methods. With
``angles`` last, the baseline run's ``cv --baselines angles`` predictions (the ridge's features
plus joint angles) are fused instead, as "full model + angles ridge (mean)"; with ``select``, the
``cv --baselines select`` predictions (feature set chosen inside each training fold), as "full
model + selected ridge (mean)".

``compare RUN_A METHOD_A RUN_B METHOD_B [MOVEMENT]`` asks whether a difference between two methods
on the same units and folds is more than the luck of which people were in the data: a paired
bootstrap over subjects (1,000 resamples of the subjects with replacement, seed 0; each resample
keeps a subject's units together and scores both methods on them). It prints each method's figure
(pooled MAE and within-exercise Spearman, or mean AUC for binary labels), the difference A - B with
its 95 % interval, and the share of resamples in which A is better. With a MOVEMENT (e.g. "lifting
of the arms") only that movement's units are compared.

``plot-kimore OUT.png RUN...`` draws what the KIMORE targets ask, per exercise and method: the MAE
as a multiple of the training-mean predictor's (target line at 0.75) and the Spearman correlation
within the exercise (target 0.6 on average). The methods are every method of the runs given (a
method in several runs is taken from the last, as in the tables), except the training mean
itself, which must be among them.

``group-mean RUN`` is a reference, not a method: for each KIMORE unit of RUN's training-mean
predictions, the mean score of the same exercise among the *training* folds' people of the same
diagnostic group (the subject id's prefix: E, NE, B, P, S; the whole training fold's mean if
none), and its MAE per exercise as a multiple of the training mean's. It knows what no model
is given (who is a patient, and of what), so it shows how much of an exercise's label is the
group, and what a model that recognized the group perfectly from the movement would reach.
"""

from __future__ import annotations

import json
import sys
import warnings
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


def _movements(res: dict) -> list[str]:
    """The movements (exercises) of one method's results: its keys but the pooled "all" and the
    bookkeeping entries ("_seconds")."""
    return [m for m in res if m != "all" and not m.startswith("_")]


def kimore(results: dict[str, dict]) -> str:
    mean = results.get("training mean")
    moves = _movements(next(iter(results.values())))
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
    moves = _movements(next(iter(results.values())))
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
    moves = _movements(next(iter(results.values())))
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
    moves = _movements(next(iter(results.values())))
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
    moves = _movements(next(iter(results.values())))
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


MODEL = "full model"


def _predictions(folder: str, method: str) -> dict[str, np.ndarray]:
    from engine.evaluate import prediction_file

    path = prediction_file(folder, method)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no {method!r} predictions in {folder}; run "
                                f"'kinescore-engine cv --out {folder}' with that method first")
    with np.load(path) as d:
        return {k: d[k] for k in d.files}


def _binary(pred: dict) -> bool:
    """Binary labels (UI-PRMD: correct 100 / incorrect 0) are summarized by AUC."""
    return bool(np.isin(pred["y"], (0.0, 100.0)).all())


def average(out: str, folders: list[str]) -> dict[str, dict]:
    """Average the "full model" predictions of ``folders`` into ``out`` (see module doc)."""
    from engine.evaluate import align_units, prediction_file, summarize

    if len(folders) < 2:
        raise ValueError("average needs at least two run folders")
    metas = [json.loads((Path(f) / "results.json").read_text()) for f in folders]
    first = _predictions(folders[0], MODEL)
    runs = [first] + [align_units(first, _predictions(f, MODEL), f) for f in folders[1:]]
    merged = dict(first, pred=np.mean([r["pred"] for r in runs], axis=0))
    binary = _binary(first)
    seconds = sum(m[MODEL].get("_seconds", 0) or 0 for m in metas)
    results = metas[0]
    results[MODEL] = {**summarize(merged, binary), "_seconds": seconds}
    Path(out).mkdir(parents=True, exist_ok=True)
    np.savez(prediction_file(out, MODEL), **merged)
    (Path(out) / "results.json").write_text(json.dumps(results, indent=1))
    return results


def fusion_names(with_: str = "ridge") -> tuple[str, str]:
    """``fuse``'s last argument -> (the baseline's method name, the fused method's name)."""
    from engine.baselines import make_baseline
    from engine.evaluate import FUSIONS

    if with_ not in FUSIONS:
        raise ValueError(f"fuse with {with_!r}: use one of {sorted(FUSIONS)}")
    return make_baseline(with_).name, FUSIONS[with_]


def fuse(out: str, model_folder: str, baseline_folder: str, with_: str = "ridge"
         ) -> dict[str, dict]:
    """Mean of a run's full-model and another run's ridge (or ``angles``) predictions (see
    module doc)."""
    from engine.evaluate import fuse_predictions, prediction_file, summarize

    base_name, fused_name = fusion_names(with_)
    model, base = _predictions(model_folder, MODEL), _predictions(baseline_folder, base_name)
    fused = fuse_predictions(model, base, baseline_folder)  # matches the units by key
    binary = _binary(model)
    results = json.loads((Path(model_folder) / "results.json").read_text())
    for name, r in json.loads((Path(baseline_folder) / "results.json").read_text()).items():
        results.setdefault(name, r)
    seconds = 0.0
    for name, pred in ((MODEL, model), (base_name, base)):  # all three summarized alike
        seconds += results[name].get("_seconds") or 0
        results[name] = {**summarize(pred, binary), "_seconds": results[name].get("_seconds")}
    results[fused_name] = {**summarize(fused, binary), "_seconds": seconds}
    Path(out).mkdir(parents=True, exist_ok=True)
    for name, pred in ((MODEL, model), (base_name, base), (fused_name, fused)):
        np.savez_compressed(prediction_file(out, name), **pred)
    (Path(out) / "results.json").write_text(json.dumps(results, indent=1))
    return results


def compare(a_folder: str, a_method: str, b_folder: str, b_method: str,
            movement: str | None = None, n: int = 1000, seed: int = 0) -> dict[str, dict]:
    """Paired subject bootstrap of two methods (see module doc) -> per metric: ``a``, ``b``,
    ``diff`` (A - B on the data as it is), ``lo`` / ``hi`` (95 % interval of the difference) and
    ``a_better`` (share of resamples where A is better: lower MAE, higher SRCC or AUC).
    ``movement``: only that movement's units (e.g. one KIMORE exercise)."""
    from engine.evaluate import align_units, summarize

    a = _predictions(a_folder, a_method)
    b = align_units(a, _predictions(b_folder, b_method), b_folder)
    if movement is not None:
        keep = np.asarray(a["movement"]) == movement
        if not keep.any():
            raise ValueError(f"no units of movement {movement!r} in {a_folder}; it has "
                             f"{sorted(set(np.asarray(a['movement']).tolist()))}")
        a, b = ({k: np.asarray(v)[keep] for k, v in d.items()} for d in (a, b))
    binary = _binary(a)
    metrics = {"auc": +1} if binary else {"mae": -1, "srcc_within": +1}  # sign: higher is better

    def figures(idx):
        with warnings.catch_warnings():  # a resample may leave a subject with one class only
            warnings.simplefilter("ignore", RuntimeWarning)
            fa = summarize({k: v[idx] for k, v in a.items()}, binary)["all"]
            fb = summarize({k: v[idx] for k, v in b.items()}, binary)["all"]
        return {m: (fa[m], fb[m]) for m in metrics}

    subjects = np.asarray(a["subject"])
    units = {s: np.flatnonzero(subjects == s) for s in np.unique(subjects)}
    names = list(units)
    rng = np.random.default_rng(seed)
    boot = {m: [] for m in metrics}
    for _ in range(n):
        idx = np.concatenate([units[s] for s in rng.choice(names, len(names))])
        for m, (x, y) in figures(idx).items():
            boot[m].append(x - y)
    out = {}
    for m, (x, y) in figures(np.arange(len(subjects))).items():
        d = np.asarray(boot[m], float)
        d = d[np.isfinite(d)]
        out[m] = {"a": x, "b": y, "diff": x - y, "lo": float(np.percentile(d, 2.5)),
                  "hi": float(np.percentile(d, 97.5)),
                  "a_better": float(np.mean(metrics[m] * d > 0))}
    return out


def plot_kimore(out: str, results: dict[str, dict]) -> dict[str, list[float]]:
    """Grouped bars: × mean MAE and within-exercise SRCC per exercise, one bar per method,
    saved to ``out``; returns the plotted × mean MAE per method, in the exercises' order."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if "training mean" not in results:
        raise ValueError("plot-kimore needs a run with the 'training mean' baseline "
                         "(cv --baselines mean) among the folders: it is the 1.0 of the plot")
    mean = results["training mean"]
    methods = [m for m in results if m != "training mean"]
    moves = _movements(mean)
    fig, axes = plt.subplots(2, 1, figsize=(10, 8), sharex=True)
    width = 0.8 / max(1, len(methods))
    x = np.arange(len(moves))
    ratios = {name: [results[name][m]["mae"] / mean[m]["mae"] for m in moves]
              for name in methods}
    for i, name in enumerate(methods):
        pos = x - 0.4 + width * (i + 0.5)
        axes[0].bar(pos, ratios[name], width, label=name)
        axes[1].bar(pos, [results[name][m]["srcc"] for m in moves], width)
    axes[0].axhline(0.75, color="k", ls="--", lw=1)
    axes[0].axhline(1.0, color="grey", ls=":", lw=1)
    axes[0].set_ylabel("MAE / training-mean MAE\n(target ≤ 0.75, dashed)")
    axes[0].set_ylim(0.5, max(1.05, axes[0].get_ylim()[1]))
    axes[1].axhline(0.6, color="k", ls="--", lw=1)
    axes[1].set_ylabel("Spearman within the exercise\n(target ≥ 0.6 on average, dashed)")
    axes[1].set_xticks(x, [m.replace(" with the arms in extension", "\n(arms in extension)")
                           .replace(" on the transverse plane", "\n(transverse plane)")
                           for m in moves], fontsize=8)
    axes[0].set_title("KIMORE, 5-fold subject-disjoint CV, per exercise")
    rows = (len(methods) + 2) // 3
    fig.legend(*axes[0].get_legend_handles_labels(), loc="lower center", ncol=3, fontsize=8)
    fig.tight_layout(rect=(0, 0.035 * rows, 1, 1))
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return ratios


def group_of(subject: str) -> str:
    """KIMORE's diagnostic group from a subject id (``NE_ID4`` -> ``NE``)."""
    if "_ID" not in subject:
        raise ValueError(f"subject {subject!r}: not a KIMORE id (GROUP_IDn), no group in it")
    return subject.rsplit("_ID", 1)[0]


def group_mean(folder: str) -> dict[str, dict[str, float]]:
    """Per exercise: the MAE of the training mean and of the group-mean reference (see the
    module docstring), and their ratio; from RUN's ``training mean`` predictions."""
    pred = _predictions(folder, "training mean")
    y, move, fold = pred["y"], pred["movement"], pred["fold"]
    group = np.array([group_of(str(s)) for s in pred["subject"]])
    ref = np.empty(len(y))
    for i in range(len(y)):
        train = (move == move[i]) & (fold != fold[i])
        same = train & (group == group[i])
        ref[i] = y[same].mean() if same.any() else y[train].mean()
    out = {}
    for m in sorted(set(move.tolist())):
        sel = move == m
        base = float(np.abs(pred["pred"][sel] - y[sel]).mean())
        err = float(np.abs(ref[sel] - y[sel]).mean())
        out[m] = {"mean_mae": base, "group_mae": err, "ratio": err / base if base else float("nan")}
    return out


def _headline(res: dict) -> str:
    pooled = res["all"]
    return (f"mean AUC {pooled['auc']:.3f}" if "auc" in pooled
            else f"MAE {pooled['mae']:.2f}, within-movement SRCC {pooled['srcc_within']:.3f}")


def main(argv: list[str]) -> int:
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0
    kinds = ("kimore", "uiprmd", "uiprmd-within", "ablation", "average", "fuse", "compare",
             "plot-kimore", "group-mean")
    if len(argv) < 2 or argv[0] not in kinds:
        print(f"usage: python -m engine.results_tables {{{','.join(kinds)}}} RUN_FOLDER ...",
              file=sys.stderr)
        return 2
    kind, folders = argv[0], argv[1:]
    if kind == "fuse" and len(folders) not in (3, 4):
        from engine.evaluate import FUSIONS

        print("usage: python -m engine.results_tables fuse OUT MODEL_RUN BASELINE_RUN "
              f"[{'|'.join(FUSIONS)}]", file=sys.stderr)
        return 2
    if kind == "compare":
        if len(folders) not in (4, 5):
            print('usage: python -m engine.results_tables compare RUN_A "METHOD A" RUN_B '
                  '"METHOD B" ["MOVEMENT"]', file=sys.stderr)
            return 2
        try:
            res = compare(*folders)
        except (OSError, ValueError, KeyError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"A = {folders[1]} ({folders[0]}); B = {folders[3]} ({folders[2]}); "
              + (f"movement {folders[4]!r}; " if len(folders) == 5 else "")
              + "paired bootstrap over subjects, 1,000 resamples")
        for m, r in res.items():
            print(f"{m}: A {r['a']:.3f}, B {r['b']:.3f}, A - B {r['diff']:+.3f} "
                  f"(95 % interval {r['lo']:+.3f} to {r['hi']:+.3f}); A better in "
                  f"{100 * r['a_better']:.1f} % of resamples")
        return 0
    if kind in ("average", "fuse"):
        try:
            res = (average(folders[0], folders[1:]) if kind == "average"
                   else fuse(*folders))
            base, fused = fusion_names(*folders[3:]) if kind == "fuse" else ("", "")
        except (OSError, ValueError, KeyError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if kind == "average":
            print(f"{folders[0]}: {MODEL} averaged over {len(folders) - 1} runs: "
                  f"{_headline(res[MODEL])}")
        else:
            print(f"{folders[0]}: {fused}: {_headline(res[fused])} ({MODEL}: "
                  f"{_headline(res[MODEL])}; {base}: {_headline(res[base])})")
        return 0
    if kind == "uiprmd-within":
        print(uiprmd_within(folders))
        return 0
    if kind == "group-mean":
        try:
            res = group_mean(folders[0])
        except (OSError, ValueError, KeyError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print("| exercise | training mean MAE | group mean MAE (knows the group) | × mean |")
        print("|---|---|---|---|")
        for m, r in res.items():
            print(f"| {m} | {r['mean_mae']:.2f} | {r['group_mae']:.2f} | {r['ratio']:.2f} |")
        return 0
    if kind == "plot-kimore":
        if len(folders) < 2:
            print("usage: python -m engine.results_tables plot-kimore OUT.png RUN_FOLDER ...",
                  file=sys.stderr)
            return 2
        try:
            ratios = plot_kimore(folders[0], load(folders[1:]))
            print(f"{folders[0]}: {len(ratios)} methods; worst × mean MAE: " + "; ".join(
                f"{name} {max(r):.2f}" for name, r in ratios.items()))
        except (OSError, ValueError, KeyError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
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
