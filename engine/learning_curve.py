"""Learning curves: how a model's subject-disjoint accuracy grows with the number of people it
is trained on (``kinescore-engine learning-curve``).

Why: on KIMORE and UI-PRMD the accuracy targets of issue 4 were missed by margins that no
feature set or network variant closed (``docs/results.md``). Whether more *people* would close
them, or whether a better method is needed, is a question a school that records its own
students (and a team deciding what to collect) needs answered. This measures it on the
cheap handcrafted models (:mod:`engine.baselines`; a network per point would take hours).

Protocol, on the same subject-disjoint folds as ``cv`` (:func:`engine.splits.subject_kfold`
with ``eval.seed``): in every fold, for each requested size ``n``, ``repeats`` random subsets
of ``n`` of the fold's *training* people are drawn (``numpy`` generator seeded by the fold,
``n`` and the repeat); the model is fitted on their sequences only and scores the fold's
untouched test people. A repeat's predictions of all folds are summarized like a ``cv`` run
(:func:`engine.evaluate.summarize`); the figures are the mean and spread over repeats. A size
at or above every fold's number of training people is the full ``cv`` (one repeat: there is
nothing to draw).

For regression labels (KIMORE) the training-mean predictor is refitted on the same subset, so
each movement's MAE ratio (the issue's "≤ 0.75 × the mean predictor") compares like with like.

``--seen`` adds a reference that is *not* the protocol: units (UI-PRMD's repetitions) are
split into folds at random, so the test people's other repetitions of the same movement are in
the training data (KIMORE has one unit per person and exercise, so it has no such reference). The gap between it and the last point of the curve is what not having
seen the person costs; the slope of the curve says whether more people are closing it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from engine.evaluate import summarize, unit_predictions
from engine.splits import subject_kfold

#: The figures a curve reports, per kind of label: (key, label, higher is better).
BINARY_FIGURES = (("auc", "pooled AUC", True), ("auc_min", "worst movement, pooled", True),
                  ("auc_within", "within-subject AUC", True),
                  ("auc_within_min", "worst movement, within", True))
SCORE_FIGURES = (("mae", "MAE", False), ("srcc_within", "within-movement SRCC", True),
                 ("ratio_max", "worst movement's MAE / mean predictor's", False))


class CurveError(ValueError):
    pass


def _fit_predict(make_predictor, train: list, test: list) -> np.ndarray:
    model = make_predictor()
    model.fit(train)
    return np.asarray(model.predict(test), float)


def _figures(pred: dict, mean_pred: dict | None, binary: bool) -> dict:
    """One repeat's summary: the pooled figures and, for scores, each movement's MAE ratio."""
    res = summarize(pred, binary)
    out = {k: res["all"].get(k, float("nan")) for k, *_ in
           (BINARY_FIGURES if binary else SCORE_FIGURES) if k != "ratio_max"}
    moves = [m for m in res if m != "all"]
    if binary:
        out["per_movement"] = {m: res[m]["auc"] for m in moves}
    else:
        base = summarize(mean_pred, False)
        ratio = {m: res[m]["mae"] / base[m]["mae"] if base[m]["mae"] > 0 else float("nan")
                 for m in moves}
        out["per_movement"] = ratio
        out["ratio_max"] = float(np.nanmax(list(ratio.values())))
    return out


def learning_curve(items, make_predictor, *, binary: bool, sizes, repeats: int = 3,
                   folds: int = 5, seed: int = 0, groups=None, make_mean=None,
                   progress: bool = True) -> list[dict]:
    """One row per size: ``n`` (people per training set; ``"all"`` for the full folds),
    ``people`` (the mean number actually used), ``repeats`` and each figure's ``mean`` / ``sd``
    over the repeats (plus ``per_movement`` means). ``make_mean`` (regression only) makes the
    floor predictor refitted on each subset."""
    from tqdm import tqdm

    if repeats < 1:
        raise CurveError(f"repeats must be >= 1, got {repeats}")
    sizes = sorted({int(n) for n in sizes})
    if not sizes or sizes[0] < 1:
        raise CurveError(f"sizes must be numbers of people >= 1, got {sizes}")
    if not binary and make_mean is None:
        raise CurveError("a score (regression) curve needs make_mean, the floor predictor")
    subjects = np.array([it.subject for it in items])
    splits = subject_kfold(subjects.tolist(), folds, groups=groups, seed=seed)
    fold_people = [sorted(set(subjects[tr].tolist())) for tr, _ in splits]
    most = max(len(p) for p in fold_people)
    if sizes[-1] > most:
        sizes = [n for n in sizes if n < most] + [most]
    plan = [(n, 1 if n >= most else repeats) for n in sizes]
    bar = tqdm(total=sum(r for _, r in plan) * len(splits), desc="learning curve",
               unit="fit", disable=not progress)
    rows = []
    for n, reps in plan:
        figures, used = [], []
        for r in range(reps):
            per_item = np.full(len(items), np.nan)
            per_mean = np.full(len(items), np.nan)
            people = 0
            for f, ((tr, te), pool) in enumerate(zip(splits, fold_people)):
                rng = np.random.default_rng([seed, f, n, r])
                chosen = set(pool if n >= len(pool) else
                             rng.choice(pool, size=n, replace=False).tolist())
                people += len(chosen)
                train = [items[i] for i in tr if subjects[i] in chosen]
                test = [items[i] for i in te]
                per_item[te] = _fit_predict(make_predictor, train, test)
                if not binary:
                    per_mean[te] = _fit_predict(make_mean, train, test)
                bar.update()
            pred = unit_predictions(items, per_item)
            mean_pred = None if binary else unit_predictions(items, per_mean)
            figures.append(_figures(pred, mean_pred, binary))
            used.append(people / len(splits))
        rows.append(_aggregate("all" if n >= most else n, figures, float(np.mean(used)), binary))
    bar.close()
    return rows


def seen_reference(items, make_predictor, *, binary: bool, folds: int = 5, seed: int = 0,
                   make_mean=None) -> dict:
    """The same model when the test people's *other* sequences are in the training data:
    evaluation units (``Item.key``) dealt into ``folds`` folds at random, ignoring who they
    belong to. Not the protocol: the upper reference a curve is read against. Needs several
    units per person and movement (UI-PRMD's repetitions); with one (KIMORE) a random split of
    units is still subject-disjoint for the per-movement models, and this refuses."""
    keys = sorted({it.key for it in items})
    per_person = Counter((it.subject, it.movement_name) for it in {it.key: it for it in items}.values())
    if max(per_person.values()) < 2:
        raise CurveError("every person has one unit per movement (e.g. KIMORE: one label per "
                         "person and exercise), so a random split of units is still "
                         "subject-disjoint for a per-movement model: no 'person seen' reference")
    if len(keys) < folds:
        raise CurveError(f"cannot deal {len(keys)} units into {folds} folds")
    order = np.random.default_rng(seed).permutation(len(keys))
    fold_of = {keys[i]: k % folds for k, i in enumerate(order)}
    per_item = np.full(len(items), np.nan)
    per_mean = np.full(len(items), np.nan)
    for f in range(folds):
        train = [it for it in items if fold_of[it.key] != f]
        te = [i for i, it in enumerate(items) if fold_of[it.key] == f]
        per_item[te] = _fit_predict(make_predictor, train, [items[i] for i in te])
        if not binary:
            per_mean[te] = _fit_predict(make_mean, train, [items[i] for i in te])
    pred = unit_predictions(items, per_item)
    fig = _figures(pred, None if binary else unit_predictions(items, per_mean), binary)
    return _aggregate("seen", [fig], float("nan"), binary)


def _aggregate(n, figures: list[dict], people: float, binary: bool) -> dict:
    row = {"n": n, "people": people, "repeats": len(figures)}
    for key, *_ in BINARY_FIGURES if binary else SCORE_FIGURES:
        vals = np.array([f[key] for f in figures], float)
        row[key] = {"mean": float(np.nanmean(vals)),
                    "sd": float(np.nanstd(vals)) if len(vals) > 1 else 0.0}
    moves = figures[0]["per_movement"]
    row["per_movement"] = {m: float(np.nanmean([f["per_movement"][m] for f in figures]))
                           for m in moves}
    return row


def format_curve(rows: list[dict], binary: bool, title: str = "") -> str:
    figs = BINARY_FIGURES if binary else SCORE_FIGURES
    head = "| training people | repeats | " + " | ".join(lab for _, lab, _ in figs) + " |"
    lines = ([f"{title}", ""] if title else []) + [head, "|---" * (2 + len(figs)) + "|"]
    for row in rows:
        who = ("seen (not the protocol)" if row["n"] == "seen" else
               f"all ({row['people']:.1f})" if row["n"] == "all" else str(row["n"]))
        cells = [f"{row[k]['mean']:.3f} ± {row[k]['sd']:.3f}" if row["repeats"] > 1
                 else f"{row[k]['mean']:.3f}" for k, *_ in figs]
        lines.append(f"| {who} | {row['repeats']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot_curve(rows: list[dict], binary: bool, path: Path, title: str = "",
               target: float | None = None) -> Path:
    """Each figure against the number of training people, ±1 SD over the repeats; the seen
    reference (if any) and the target as horizontal lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figs = BINARY_FIGURES if binary else SCORE_FIGURES
    curve = [r for r in rows if r["n"] != "seen"]
    seen = next((r for r in rows if r["n"] == "seen"), None)
    x = [r["people"] for r in curve]
    fig, axes = plt.subplots(1, len(figs), figsize=(4.2 * len(figs), 3.6))
    for ax, (key, label, _) in zip(np.atleast_1d(axes), figs):
        ax.errorbar(x, [r[key]["mean"] for r in curve], yerr=[r[key]["sd"] for r in curve],
                    marker="o", capsize=3, label="subject-disjoint")
        if seen is not None:
            ax.axhline(seen[key]["mean"], color="tab:green", ls="--", label="person seen")
        if target is not None and key in ("auc", "ratio_max"):
            ax.axhline(target, color="tab:red", ls=":", label=f"target {target:g}")
        ax.set_xscale("log")
        ax.set_xticks(x, [f"{v:.0f}" for v in x])
        ax.minorticks_off()
        ax.set_xlabel("training people per fold")
        ax.set_title(label, fontsize=10)
        ax.grid(alpha=0.3)
    for i, ax in enumerate(np.atleast_1d(axes)):
        if i == 0 or any(lab.startswith("target") for lab in ax.get_legend_handles_labels()[1]):
            ax.legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# --------------------------------------------------------------------------- CLI
def add_parser(sub: argparse._SubParsersAction, name: str) -> None:
    from engine.evaluate import add_run_options

    p = sub.add_parser(name, help="accuracy of a handcrafted model against the number of "
                       "training people (subject-disjoint)", description=__doc__.split("\n\n")[0])
    add_run_options(p, seed_help="with --network: override train.seed (the subsets and folds "
                    "stay those of eval.seed)")
    p.add_argument("--baseline", default="combined",
                   help="a handcrafted baseline of 'cv --baselines' (default: combined)")
    p.add_argument("--network", action="store_true",
                   help="the config's network (seed train.seed) instead of --baseline: one "
                        "training per fold, size and repeat, so this takes hours on KIMORE")
    p.add_argument("--sizes", default="1,2,4,8,16,32,64",
                   help="numbers of training people per fold, comma separated; sizes above "
                        "a fold's training people become the full fold (default: %(default)s)")
    p.add_argument("--repeats", type=int, default=3, help="random subsets per size")
    p.add_argument("--seen", action="store_true",
                   help="add the reference with the test people's other sequences in training")
    p.add_argument("--target", type=float, default=None,
                   help="draw this target on the pooled AUC / worst-ratio panel")
    p.add_argument("--out", default=None, help="folder for results.json and learning_curve.png")
    p.set_defaults(func=_cmd)


def _cmd(args: argparse.Namespace) -> int:
    from engine.baselines import make_baseline
    from engine.config import ConfigError
    from engine.datasets import DatasetError
    from engine.evaluate import cv_items, run_config
    from engine.splits import SplitError
    from engine.train import TrainError, load_samples

    try:
        cfg = run_config(args)
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
        binary = cfg.data.dataset == "uiprmd"
        make_baseline(args.baseline, binary)  # an unknown name fails here, before any work
        if not args.network and args.baseline in ("mean", "posequality"):
            raise CurveError(f"--baseline {args.baseline}: use a handcrafted ridge / logistic "
                             "model (ridge, angles, control, segments, combined, select)")
        folds = cfg.eval.folds
        samples = load_samples(cfg.data.dataset, cfg.data.path)
        movements, items, groups = cv_items(cfg, samples)
        if args.network:
            from engine.evaluate import DeepPredictor

            model = lambda: DeepPredictor(cfg, movements, log=lambda *a: None)  # noqa: E731
            name = f"{cfg.name} network, seed {cfg.train.seed}"
        else:
            model = lambda: make_baseline(args.baseline, binary, cfg.data.fps)  # noqa: E731
            name = make_baseline(args.baseline, binary).name
        mean = None if binary else (lambda: make_baseline("mean"))
        rows = learning_curve(items, model, binary=binary, sizes=sizes, repeats=args.repeats,
                              folds=folds, seed=cfg.eval.seed, groups=groups, make_mean=mean)
        if args.seen:
            rows.append(seen_reference(items, model, binary=binary, folds=folds,
                                       seed=cfg.eval.seed, make_mean=mean))
    except (ConfigError, DatasetError, TrainError, SplitError, CurveError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    title = f"{cfg.data.dataset}: {name}, {folds}-fold subject-disjoint"
    print(format_curve(rows, binary, title))
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "results.json").write_text(json.dumps(
            {"config": args.config, "model": name, "folds": folds,
             "repeats": args.repeats, "rows": rows}, indent=1))
        png = plot_curve(rows, binary, out / "learning_curve.png", title, args.target)
        print(f"wrote {out / 'results.json'} and {png}")
    return 0
