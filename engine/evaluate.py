"""Evaluation (paper section 6): metrics, subject-disjoint cross-validation, ``eval`` / ``cv``.

Metrics on the 0-100 scale (eqs. 26-29): MAE, RMSE, Spearman (SRCC), Acc@5, Acc@10 and grade
accuracy (grades of prediction and truth from ``resources/grading.json``); AUC for binary
labels (UI-PRMD: a correct repetition should score above an incorrect one); ICC(2,1) where
several raters exist (:func:`icc`; neither KIMORE nor UI-PRMD ships per-rater scores).

One prediction per *evaluation unit*: windows of a sequence are averaged, and sequences with
the same ``Item.key`` (KIMORE: subject/exercise; several takes share one label) are averaged.

Cross-validation splits by subject (:func:`engine.splits.subject_kfold`, stratified by
KIMORE's group) and runs the full model, its ablations and the baselines of
:mod:`engine.baselines` on the same folds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from engine.grading import default_grading
from engine.model.scorer import predict_windows
from engine.model.windowing import WindowSpec, test_windows
from engine.splits import subject_kfold


# --------------------------------------------------------------------------- metrics
def spearman(a, b) -> float:
    from scipy.stats import spearmanr

    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(a) < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(spearmanr(a, b).statistic)


def auc(labels, scores) -> float:
    """Probability that a positive scores above a negative (ties count half)."""
    labels, scores = np.asarray(labels), np.asarray(scores, float)
    pos, neg = scores[labels == 1], scores[labels == 0]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    diff = pos[:, None] - neg[None, :]
    return float(((diff > 0) + 0.5 * (diff == 0)).mean())


def auc_within(labels, scores, subjects) -> float:
    """Mean over subjects (with both classes) of the AUC among that subject's own sequences:
    does each person's correct repetition score above the same person's incorrect one? Free
    of differences between people, which the pooled :func:`auc` also has to rank."""
    labels, scores, subjects = np.asarray(labels), np.asarray(scores, float), np.asarray(subjects)
    vals = [auc(labels[subjects == s], scores[subjects == s]) for s in np.unique(subjects)]
    vals = [v for v in vals if np.isfinite(v)]
    return float(np.mean(vals)) if vals else float("nan")


def icc(ratings) -> float:
    """ICC(2,1) (two-way random, absolute agreement, single rater) of (n targets, k raters)."""
    x = np.asarray(ratings, float)
    n, k = x.shape
    grand = x.mean()
    msr = k * ((x.mean(axis=1) - grand) ** 2).sum() / (n - 1)
    msc = n * ((x.mean(axis=0) - grand) ** 2).sum() / (k - 1)
    sse = ((x - x.mean(axis=1, keepdims=True) - x.mean(axis=0, keepdims=True) + grand) ** 2).sum()
    mse = sse / ((n - 1) * (k - 1))
    return float((msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n))


def metrics(y, pred) -> dict[str, float]:
    y, pred = np.asarray(y, float), np.asarray(pred, float)
    err = np.abs(y - pred)
    g = default_grading()
    grade_ok = [g.grade(a) == g.grade(b) for a, b in zip(y, pred)]
    return {
        "n": int(len(y)),
        "mae": float(err.mean()),
        "rmse": float(np.sqrt((err ** 2).mean())),
        "srcc": spearman(y, pred),
        "acc5": float((err <= 5).mean()),
        "acc10": float((err <= 10).mean()),
        "grade_acc": float(np.mean(grade_ok)),
    }


# --------------------------------------------------------------------------- predictions
def predict_items(model, items, spec: WindowSpec, chunk: int = 256,
                  handcrafted=None) -> dict[str, np.ndarray]:
    """One prediction per evaluation unit (``Item.key``), windows and takes averaged.
    ``handcrafted`` (a bundle's :class:`engine.model.handcrafted.HandcraftedModel`): each
    sequence's score is fused with it, as :func:`fuse_predictions` fuses a cv baseline."""
    model.eval()
    wins, owner, mvs = [], [], []
    for i, it in enumerate(items):
        w, _ = test_windows(it.joints, spec)
        wins.append(w)
        owner += [i] * len(w)
        mvs += [it.movement] * len(w)
    x = np.concatenate(wins)
    owner, mvs = np.array(owner), np.array(mvs)
    scores = np.empty(len(x))
    for a in range(0, len(x), chunk):
        b = min(len(x), a + chunk)
        xt = torch.from_numpy(np.ascontiguousarray(x[a:b].transpose(0, 3, 1, 2)))
        mv = torch.from_numpy(mvs[a:b]).long() if model.config.num_movements else None
        with torch.no_grad():
            scores[a:b] = model(xt, mv).score.numpy()
    per_item = np.array([scores[owner == i].mean() for i in range(len(items))])
    if handcrafted is not None:
        from engine.model.handcrafted import fuse

        per_item = fuse(per_item, [handcrafted.score(it.joints, it.movement_name) for it in items])
    return unit_predictions(items, per_item)


def unit_predictions(items, per_item: np.ndarray) -> dict[str, np.ndarray]:
    """Average item predictions over ``Item.key`` (labels are per key)."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, it in enumerate(items):
        groups[it.key].append(i)
    keys = sorted(groups)
    return {
        "key": np.array(keys),
        "y": np.array([items[groups[k][0]].score for k in keys]),
        "pred": np.array([per_item[groups[k]].mean() for k in keys]),
        "movement": np.array([items[groups[k][0]].movement_name for k in keys]),
        "subject": np.array([items[groups[k][0]].subject for k in keys]),
    }


# --------------------------------------------------------------------------- predictors
class DeepPredictor:
    """The network as a cross-validation predictor (trained per fold).

    With ``train.per_movement`` one network is trained per movement (the paper trains each
    action type separately, section 8); otherwise one network with a movement embedding
    serves all movements.

    Early stopping (``eval.inner_val_fraction`` > 0): that share of the fold's *training*
    subjects (at least one, drawn with ``eval.seed``) is held out, the network trains on the
    rest, and the weights of the epoch that scores best on the held-out subjects are kept:
    the lowest MAE, or for binary labels (UI-PRMD, 0 / 100) the highest Spearman correlation,
    which ranks like the AUC. The test fold is never looked at. ``selected`` records each
    network's chosen epoch and its inner-validation value.

    A config with a ``bundle`` (:class:`engine.config.BundleConfig`) trains all its networks
    per fold and predicts with their average, as the bundle's checkpoint would; its
    handcrafted model is the matching baseline of :func:`run_cv` (the fused row)."""

    def __init__(self, cfg, movements: list[str], log=print):
        self.cfg, self.movements, self.log = cfg, movements, log
        self.models: dict[str | None, object] = {}
        self.selected: dict[str | None, tuple[int, float]] = {}
        self.histories: dict[str | None, list[dict]] = {}

    def inner_split(self, items) -> tuple[list, list]:
        """``(train, inner validation)`` by subject; the validation list is empty when off."""
        frac = self.cfg.eval.inner_val_fraction
        subjects = sorted({it.subject for it in items})
        if frac <= 0:
            return list(items), []
        n_val = max(1, int(round(frac * len(subjects))))
        if n_val >= len(subjects):
            raise ValueError(f"eval.inner_val_fraction {frac}: the fold has only {len(subjects)} "
                             "training subjects, none would be left to train on; lower it")
        from engine.splits import leave_subjects_out

        held = np.random.default_rng(self.cfg.eval.seed).choice(subjects, n_val, replace=False)
        tr, va = leave_subjects_out([it.subject for it in items], held)
        return [items[i] for i in tr], [items[i] for i in va]

    def _train(self, key, cfg, items, val_items, movements):
        """The network of ``key`` (a movement, or None for the pooled one), or the ensemble of
        a bundle's networks (``bundle.members`` / ``two_stream``; each one early-stopped on
        its own when there are validation items, recorded under ``(key, k)``)."""
        from engine.train import BestEpoch, train_networks

        hooks: dict[int, BestEpoch] = {}

        def on_member(k, mc):
            if not val_items:
                return None
            hooks[k] = BestEpoch("val_srcc" if cfg.data.dataset == "uiprmd" else "val_mae")
            return hooks[k]

        model, results = train_networks(cfg, items, movements, [], val_items=val_items or None,
                                        log=self.log, on_member=on_member)
        for k, best in hooks.items():
            slot = key if len(results) == 1 else (key, k)
            self.selected[slot] = (best.epoch, best.value)
            self.histories[slot] = results[k].history
            self.log(f"{results[k].config.name}: epoch {best.epoch} of {cfg.train.epochs} kept "
                     f"(inner validation {best.metric[4:]} {best.value:.3f})")
        return model

    def fit(self, items, val_items=None):
        from dataclasses import replace as dc_replace

        train_items, inner = self.inner_split(items)
        if not self.cfg.train.per_movement:
            self.models[None] = self._train(None, self.cfg, train_items, val_items or inner,
                                            self.movements)
            return self
        for m in sorted({it.movement_name for it in items}):
            own = [dc_replace(it, movement=0) for it in train_items if it.movement_name == m]
            held = [dc_replace(it, movement=0) for it in inner if it.movement_name == m]
            cfg = replace(self.cfg, name=f"{self.cfg.name}[{m[:20]}]")
            self.models[m] = self._train(m, cfg, own, held, [m])
        return self

    def predict(self, items) -> np.ndarray:
        spec = WindowSpec.from_config(self.cfg.data)
        out = []
        for it in items:
            w, _ = test_windows(it.joints, spec)
            if self.cfg.train.per_movement:
                model, mv = self.models[it.movement_name], 0
            else:
                model, mv = self.models[None], it.movement
            out.append(predict_windows(model.eval(), w, mv)["score"].mean())
        return np.array(out)


def cross_validate(items, make_predictor, folds: int = 5, seed: int = 0, groups=None,
                   desc: str = "cv", progress: bool = True) -> dict[str, np.ndarray]:
    """Subject-disjoint k-fold: unit predictions of every item with its test fold."""
    from tqdm import tqdm

    subjects = [it.subject for it in items]
    splits = subject_kfold(subjects, folds, groups=groups, seed=seed)
    per_item = np.full(len(items), np.nan)
    fold_of = np.full(len(items), -1)
    chosen: dict[str, str] = {}  # unit key -> what the predictor chose for it, if it chooses
    for f, (tr, te) in enumerate(tqdm(splits, desc=desc, disable=not progress, unit="fold")):
        pred = make_predictor()
        pred.fit([items[i] for i in tr])
        per_item[te] = pred.predict([items[i] for i in te])
        fold_of[te] = f
        choice = getattr(pred, "chosen", None)  # e.g. the ``select`` baseline's feature sets
        if choice:
            chosen.update({items[i].key: choice[items[i].movement_name] for i in te})
    out = unit_predictions(items, per_item)
    key_fold = {it.key: fold_of[i] for i, it in enumerate(items)}
    out["fold"] = np.array([key_fold[k] for k in out["key"]])
    if chosen:
        out["chosen"] = np.array([chosen[k] for k in out["key"]])
    return out


def _nan_stat(fn, values) -> float:
    """``fn`` (``np.nanmean`` / ``np.nanmin``) of ``values``, or NaN without numpy's warning
    when none is a number (e.g. the Spearman of a constant predictor on every movement)."""
    v = np.asarray(values, float)
    return float(fn(v)) if np.isfinite(v).any() else float("nan")


def summarize(pred: dict, binary: bool = False) -> dict[str, dict]:
    """Metrics per movement and pooled ("all"); ``binary``: AUC of correct (100) vs incorrect,
    pooled over the test subjects (``auc``) and within each subject (``auc_within``)."""
    res = {}
    moves = sorted(set(pred["movement"].tolist()))
    for m in [*moves, "all"]:
        sel = np.ones(len(pred["y"]), bool) if m == "all" else pred["movement"] == m
        y, p = pred["y"][sel], pred["pred"][sel]
        if binary:
            if m == "all":
                vals = [res[k]["auc"] for k in moves]
                res[m] = {"auc": _nan_stat(np.nanmean, vals), "auc_min": _nan_stat(np.nanmin, vals),
                          "n": int(sel.sum())}
                if all("auc_within" in res[k] for k in moves):
                    within = [res[k]["auc_within"] for k in moves]
                    res[m].update(auc_within=_nan_stat(np.nanmean, within),
                                  auc_within_min=_nan_stat(np.nanmin, within))
            else:
                res[m] = {"auc": auc((y > 50).astype(int), p), "n": int(sel.sum())}
                if "subject" in pred:
                    res[m]["auc_within"] = auc_within((y > 50).astype(int), p,
                                                      pred["subject"][sel])
        else:
            res[m] = metrics(y, p)
    if not binary:  # within-movement SRCC averaged (the target)
        res["all"]["srcc_within"] = _nan_stat(np.nanmean, [res[m]["srcc"] for m in moves])
    return res


# --------------------------------------------------------------------------- CLI
def add_eval(sub: argparse._SubParsersAction, name: str) -> None:
    p = sub.add_parser(name, help="score a dataset file with a checkpoint and print metrics",
                       description="Evaluate a trained checkpoint on any file in the "
                       "../shared/data npz format (KIMORE or UI-PRMD layout).")
    p.add_argument("--checkpoint", required=True, help="model.pt written by train / cv")
    p.add_argument("--data", required=True, help="dataset npz file")
    p.add_argument("--dataset", choices=["kimore", "uiprmd"], help="file layout (default: "
                   "guessed from the file's fields)")
    p.add_argument("--json", help="also write the metrics to this JSON file")
    p.set_defaults(func=_eval_cmd)


def _guess_dataset(path: str) -> str:
    with np.load(path, allow_pickle=False) as z:
        return "kimore" if "ts" in z.files else "uiprmd"


def _eval_cmd(args: argparse.Namespace) -> int:
    from engine.datasets import DatasetError
    from engine.model.checkpoint import CheckpointError, load_checkpoint
    from engine.train import TrainError, load_samples, prepare_items

    try:
        ck = load_checkpoint(args.checkpoint)
        kind = args.dataset or _guess_dataset(args.data)
        samples = load_samples(kind, args.data)
        unknown = sorted({s.movement for s in samples} - set(ck.movements))
        if unknown and ck.config.model.num_movements:
            raise TrainError(f"{args.data}: movements {unknown} unknown to the checkpoint "
                             f"(trained on {ck.movements})")
        items = prepare_items(samples, ck.window, ck.movements or sorted({s.movement for s in samples}),
                              progress=True)
        pred = predict_items(ck.model, items, ck.window, handcrafted=ck.handcrafted)
    except (CheckpointError, DatasetError, TrainError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    res = summarize(pred, binary=(kind == "uiprmd"))
    members = len(getattr(ck.model, "members", [ck.model]))
    if members > 1 or ck.handcrafted is not None:
        print(f"{ck.model_version}: a bundle of {members} network(s)"
              + (f" fused with the handcrafted {ck.handcrafted.kind!r} model"
                 if ck.handcrafted is not None else ""))
    print(format_table({ck.model_version: res}, binary=(kind == "uiprmd")))
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1))
    return 0


def format_table(results: dict[str, dict], binary: bool = False) -> str:
    """Markdown table: one row per (method, movement)."""
    if binary:
        lines = ["| method | movement | AUC | AUC within subjects | n |", "|---|---|---|---|---|"]
        for meth, res in results.items():
            for m, r in res.items():
                extra = f" (min {r['auc_min']:.3f})" if "auc_min" in r else ""
                within = (f"{r['auc_within']:.3f}" if "auc_within" in r else "")
                if "auc_within_min" in r:
                    within += f" (min {r['auc_within_min']:.3f})"
                lines.append(f"| {meth} | {m} | {r['auc']:.3f}{extra} | {within} | {r['n']} |")
        return "\n".join(lines)
    lines = ["| method | movement | MAE | RMSE | SRCC | Acc@5 | Acc@10 | grade acc | n |",
             "|---|---|---|---|---|---|---|---|---|"]
    for meth, res in results.items():
        for m, r in res.items():
            lines.append(f"| {meth} | {m} | {r['mae']:.2f} | {r['rmse']:.2f} | {r['srcc']:.3f} | "
                         f"{100 * r['acc5']:.1f} | {100 * r['acc10']:.1f} | "
                         f"{100 * r['grade_acc']:.1f} | {r['n']} |")
    return "\n".join(lines)


def add_cv(sub: argparse._SubParsersAction, name: str) -> None:
    p = sub.add_parser(name, help="subject-disjoint k-fold cross-validation (model, ablations, "
                       "baselines)", description="Run subject-disjoint cross-validation of the "
                       "model (and optionally its ablations and the baselines) on one dataset. A "
                       "config with a bundle section trains all its networks in every fold and "
                       "adds the fused row of its handcrafted model.")
    add_run_options(p, seed_help="override train.seed (the folds stay those of eval.seed): "
                    "run one seed per core, then average the runs with "
                    "'python -m engine.results_tables average'")
    p.add_argument("--ablations", default="", help="e.g. ABCDEF: also run these variants")
    p.add_argument("--baselines", default="", help="comma list: mean,ridge,angles,control,"
                   "segments,combined,select,posequality,stgcn or 'all'; with the model, each "
                   "handcrafted one (ridge .. select) also adds its fused row (the mean of the "
                   "network's and the baseline's score)")
    p.add_argument("--no-model", action="store_true", help="skip the full model")
    p.add_argument("--out", default=None, help="folder for predictions and metrics JSON")
    p.set_defaults(func=_cv_cmd)


def add_run_options(p: argparse.ArgumentParser, seed_help: str) -> None:
    """The options of a run over subject-disjoint folds (``cv``, ``learning-curve``):
    ``--config``, ``--data``, ``--folds``, ``--train-seed``; :func:`run_config` applies them."""
    p.add_argument("--config", required=True, help="experiment YAML")
    p.add_argument("--data", help="dataset file (overrides data.path)")
    p.add_argument("--folds", type=int, default=None,
                   help="override eval.folds (e.g. the number of subjects: leave one subject out)")
    p.add_argument("--train-seed", type=int, default=None, help=seed_help)


def run_config(args: argparse.Namespace):
    """The config of :func:`add_run_options`' ``--config`` with ``--data``, ``--folds`` and
    ``--train-seed`` applied; fewer than 2 folds is a ``ValueError``."""
    from engine.config import load_config

    cfg = load_config(args.config)
    if args.data:
        cfg = replace(cfg, data=replace(cfg.data, path=args.data))
    if args.folds is not None:
        if args.folds < 2:
            raise ValueError(f"--folds {args.folds}: need at least 2 folds")
        cfg = replace(cfg, eval=replace(cfg.eval, folds=args.folds))
    if args.train_seed is not None:
        cfg = replace(cfg, train=replace(cfg.train, seed=args.train_seed))
    return cfg


def prediction_file(folder: str | Path, method: str) -> Path:
    """Where ``cv --out`` keeps one method's unit predictions: ``pred_<method>.npz``."""
    safe = "".join(ch if ch.isalnum() else "_" for ch in method)
    return Path(folder) / f"pred_{safe}.npz"


#: The late fusion of the network with the handcrafted baseline (see :func:`fuse_predictions`).
FUSED = "full model + handcrafted ridge (mean)"
#: The same with the ``angles`` baseline (the ridge's features plus joint angles).
FUSED_ANGLES = "full model + angles ridge (mean)"
#: The same with the ``control`` baseline (the angles set plus motor-control features).
FUSED_CONTROL = "full model + control ridge (mean)"
#: The same with the ``segments`` baseline (the angles set plus limb directions in the trunk frame).
FUSED_SEGMENTS = "full model + segments ridge (mean)"
#: The same with the ``combined`` baseline (angles + control + segments in one model).
FUSED_COMBINED = "full model + combined ridge (mean)"
#: The same with the ``select`` baseline (feature set chosen inside each training fold).
FUSED_SELECT = "full model + selected ridge (mean)"
#: Baseline key (:func:`engine.baselines.make_baseline`) -> the method name of its fusion.
FUSIONS: dict[str, str] = {"ridge": FUSED, "angles": FUSED_ANGLES, "control": FUSED_CONTROL,
                           "segments": FUSED_SEGMENTS, "combined": FUSED_COMBINED,
                           "select": FUSED_SELECT}


def fuse_predictions(model: dict, baseline: dict, where: str = "baseline") -> dict:
    """Late fusion: each unit's score is the plain mean of the network's and a handcrafted
    baseline's (``ridge`` or ``angles``; for UI-PRMD the logistic model's probability ×100, the
    same 0-100 scale), both trained on the same training subjects of the same fold.

    The weight is 1/2 by design, never searched: choosing it on the test folds would be tuning
    on the people we have. On KIMORE and UI-PRMD, where the network sees ~250 (KIMORE) or
    ~1,100 (UI-PRMD) training units, it helps every seed (``docs/results.md``); on the
    simulated starter data (1,440 attempts) the network alone is better, so the shipped model
    does not use it. ``baseline`` may hold the units in another order; they are matched by
    ``key``, and must have the same labels and folds (``where`` names it in the error)."""
    from engine.model.handcrafted import fuse

    base = align_units(model, baseline, where)
    return dict(model, pred=fuse(model["pred"], base["pred"]))


def align_units(model: dict, other: dict, where: str = "other run") -> dict:
    """``other``'s unit predictions in the order of ``model``'s (matched by ``key``); a
    ValueError naming ``where`` when the units, labels or folds differ. Used to fuse two
    methods' predictions and to average seeds (``engine.results_tables``)."""
    pos = {k: i for i, k in enumerate(other["key"].tolist())}
    missing = [k for k in model["key"].tolist() if k not in pos]
    if missing or len(pos) != len(model["key"]):
        raise ValueError(f"{where}: its units differ from the first run's ({len(missing)} of "
                         f"{len(model['key'])} missing): only runs on one dataset can be combined")
    order = np.array([pos[k] for k in model["key"].tolist()])
    aligned = {k: np.asarray(v)[order] for k, v in other.items()}
    for k in ("y", "fold", "movement", "subject"):
        if k in model and not np.array_equal(model[k], aligned.get(k)):
            raise ValueError(f"{where}: its {k!r} differ from the first run's: only runs on the "
                             "same folds (same eval.seed and eval.folds) can be combined")
    return aligned


def cv_items(cfg, samples) -> tuple[list[str], list, list[str]]:
    """What a cross-validation of ``samples`` runs on: the movements (``data.movements`` or all
    in the data), the prepared items and each sample's group (KIMORE's, for the folds'
    stratification). Shared by ``cv`` and ``learning-curve`` so both see the same units."""
    from engine.train import fault_names, prepare_items

    movements = list(cfg.data.movements) or sorted({s.movement for s in samples})
    items = prepare_items(samples, WindowSpec.from_config(cfg.data), movements,
                          fault_names(samples), progress=True)
    return movements, items, [s.group or "" for s in samples]


def run_cv(cfg, samples, *, ablations: str = "", baselines: list[str] = (), model: bool = True,
           out: Path | None = None, log=print) -> dict[str, dict]:
    from engine.baselines import make_baseline, stgcn_config
    from engine.config import ABLATION_NAMES, with_ablation

    binary = cfg.data.dataset == "uiprmd"
    if model and cfg.bundle.fuse != "none" and cfg.bundle.fuse not in baselines:
        baselines = [*baselines, cfg.bundle.fuse]  # the bundle's fused score is its fused row
    movements, items, groups = cv_items(cfg, samples)
    results: dict[str, dict] = {}
    variants: list[tuple[str, object]] = []
    if model:
        variants.append(("full model", cfg))
    for a in ablations:
        variants.append((f"Model-{a} ({ABLATION_NAMES[a]})", with_ablation(cfg, a)))
    runs = [(n, lambda c=c: DeepPredictor(c, movements, log)) for n, c in variants]
    for b in baselines:
        if b == "stgcn":
            c = stgcn_config(cfg)
            runs.append(("ST-GCN (fixed graph)", lambda c=c: DeepPredictor(c, movements, log)))
        else:
            runs.append((make_baseline(b, binary).name,
                         lambda b=b: make_baseline(b, binary, cfg.data.fps)))
    preds: dict[str, dict] = {}

    def keep(name: str, pred: dict, seconds: float) -> None:
        preds[name] = pred
        results[name] = {**summarize(pred, binary), "_seconds": round(seconds, 1)}
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            np.savez(prediction_file(out, name), **pred)
            (out / "results.json").write_text(json.dumps(results, indent=1))

    for name, factory in runs:
        t0 = time.time()
        keep(name, cross_validate(items, factory, cfg.eval.folds, cfg.eval.seed, groups,
                                  desc=name), time.time() - t0)
        log(f"{name}: {time.time() - t0:.0f} s")
        if "chosen" in preds[name]:
            log(f"{name}, chosen per movement (units): " + "; ".join(
                f"{m}: {dict(Counter(preds[name]['chosen'][preds[name]['movement'] == m]))}"
                for m in sorted(set(preds[name]["movement"].tolist()))))
    for base, fused in FUSIONS.items():
        name = make_baseline(base).name
        if "full model" in preds and name in preds:
            keep(fused, fuse_predictions(preds["full model"], preds[name]),
                 results["full model"]["_seconds"] + results[name]["_seconds"])
    return results


def _cv_cmd(args: argparse.Namespace) -> int:
    from engine.config import ConfigError
    from engine.datasets import DatasetError
    from engine.train import TrainError, load_samples

    try:
        cfg = run_config(args)
        samples = load_samples(cfg.data.dataset, cfg.data.path)
        bl = [b.strip() for b in args.baselines.split(",") if b.strip()]
        if bl == ["all"]:
            bl = ["mean", *FUSIONS, "posequality", "stgcn"]
        out = Path(args.out) if args.out else Path("runs") / f"cv_{cfg.name}"
        results = run_cv(cfg, samples, ablations=args.ablations.upper(), baselines=bl,
                         model=not args.no_model, out=out)
    except (ConfigError, DatasetError, TrainError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    binary = cfg.data.dataset == "uiprmd"
    print(format_table({k: {m: r for m, r in v.items() if not m.startswith("_")}
                        for k, v in results.items()}, binary))
    return 0
