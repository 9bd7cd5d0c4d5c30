"""The starter model bundled as ``resources/models/starter.pt`` (issue 5): train, select,
evaluate and document it with one deterministic command.

    python -m engine.starter                # retrain the bundled model exactly (five
                                            # members, about 105 min on one core of a 2-core
                                            # CPU), evaluate it once on the test set
    kinescore-engine starter --evaluate-only   # re-evaluate the bundled checkpoint
    python -m engine.starter --help

What it does, in order (each long step shows a tqdm progress bar):

1. **Data**: :func:`engine.simulator.generate_dataset` with the ``starter:`` settings of the
   config (600 attempts per movement, 180 simulated students, seed 0: 2,400 attempts split
   6:2:2 *by student* into 1,440 / 480 / 480, the paper's section 6.1 design). The samples
   are cached in ``--cache`` under a fingerprint of the settings, the simulator's code and
   the movement files, so a changed simulator never reuses stale data.
2. **Training**: :func:`engine.train.train_model` (the project's training code: the paper's
   mixed loss, hard-example mining, curriculum, augmentation) with the experiment config of
   ``resources/models/starter.yaml`` (which also switches on three recipe options of
   :mod:`engine.train`: the leaky eq. 12 activation, the rubric-weighted stage fusion of eq. 17
   and the moving average of the weights; the model card says why). One network for the four
   movements: the movement is an *input* (``model.num_movements = 4``: a learned embedding
   added in the backbone and the head), not one head per movement, so all movements share what they have in common
   (normalized skeleton motion) and the checkpoint stays one file. The auxiliary fault head
   has one output per fault of the four movement files (:func:`fault_library`, movement
   order then file order), trained with the simulator's fault labels, so the app can name
   what went wrong.
   **Seed ensemble** (``starter.members: K``): ``K`` networks of the same config, member
   ``k`` trained with ``train.seed + k``, each selected on validation as below, averaged by
   :class:`engine.model.ensemble.KineScoreEnsemble` and shipped as one checkpoint. Members
   train one after another in one process, or in parallel processes::

       python -m engine.starter --members-dir runs/members --member 0   # one per core ...
       python -m engine.starter --members-dir runs/members --member 1
       python -m engine.starter --members-dir runs/members   # reuses them, evaluates, ships

3. **Model selection** on the validation students only: the epoch with the lowest
   ``select_metric`` (validation MAE) is kept; the fault-probability threshold for feedback is
   the one with the best micro-F1 over (attempt, fault of its movement) pairs on the
   validation set (``fault_threshold: null``; a number in the config fixes it instead). The
   threshold is stored in the checkpoint's ``metrics["fault_threshold"]``, where
   :class:`engine.model.scorer.TorchScorer` reads it.
4. **Test**: the selected model is evaluated once on the 480 test attempts: MAE, RMSE, SRCC,
   Acc@5, Acc@10 and grade accuracy per movement and pooled (eqs. 26-29), the agreement of
   the predicted stage scores with the label stage scores (Pearson r, SRCC and MAE over all
   attempt × stage pairs) and fault detection (micro precision / recall / F1 at the
   threshold, mean ROC AUC over the faults of each movement), and the label-noise floor: the
   MAE of the labels (three simulated raters) against the noise-free rubric score.
5. **Outputs**: ``<out>/starter.pt`` (checkpoint, loads with ``TorchScorer``),
   ``<out>/starter_metrics.json`` (every figure above, the selected epoch, training time,
   code version), ``<figures>/starter_curves.png`` (training losses and validation metrics per
   epoch) and ``<figures>/starter_scatter.png`` (predicted vs true test scores per movement).

Determinism: the data depend only on the seed; training seeds torch and numpy from
``train.seed`` and runs single-threaded (``train.num_threads: 1``; on this shared 2-core
machine two threads were about ten times *slower* than one under load), so a rerun with the
same code gives the same weights.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import pickle
import sys
import time
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from engine.movements import MOVEMENTS, load_movement
from engine.paths import resource

MODEL_FILE = "starter.pt"
METRICS_FILE = "starter_metrics.json"
CURVES_FILE = "starter_curves.png"
SCATTER_FILE = "starter_scatter.png"

#: The paper's figures (section 6): Table 4 "Proposed" (all 480 test samples) and Table 6 per
#: movement (Table 6 gives no Acc@10 per movement). Keys: our movement names and "all".
PAPER = {
    "all": {"mae": 3.62, "rmse": 4.85, "srcc": 0.873, "acc5": 0.542, "acc10": 0.827},
    "standing_long_jump": {"mae": 3.71, "rmse": 4.96, "srcc": 0.861, "acc5": 0.525},
    "sit_ups": {"mae": 3.45, "rmse": 4.63, "srcc": 0.879, "acc5": 0.558},
    "free_throw": {"mae": 3.92, "rmse": 5.21, "srcc": 0.848, "acc5": 0.492},
    "overhead_pass": {"mae": 3.58, "rmse": 4.78, "srcc": 0.870, "acc5": 0.542},
}


class StarterError(ValueError):
    pass


@dataclass
class StarterSettings:
    """The ``starter:`` section of the config: the data set and the selection rule."""

    per_movement: int = 600  # simulated attempts per movement
    n_students: int = 180  # simulated students (split 6:2:2 by student)
    seed: int = 0  # simulator seed (the data set depends on nothing else)
    select_metric: str = "val_mae"  # lowest value on the validation set picks the epoch
    fault_threshold: float | None = None  # None: best micro-F1 on the validation set
    members: int = 1  # networks in the seed ensemble; member k trains with train.seed + k


def default_config_path() -> Path:
    return resource("models", "starter.yaml")


def fault_library(movements=MOVEMENTS) -> list[str]:
    """Every fault key of the movement files, in movement order then file order."""
    names = [f for m in movements for f in load_movement(m).fault_keys]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise StarterError(f"fault key(s) {dup} appear in more than one movement file; the "
                           f"shared fault head needs unique keys")
    return names


def movement_fault_mask(movements, faults: list[str]) -> np.ndarray:
    """(len(movements), len(faults)) bool: which fault outputs belong to which movement."""
    return np.array([[f in load_movement(m).fault_keys for f in faults] for m in movements])


def load_starter_config(path: str | Path | None = None, epochs: int | None = None):
    """``(ExperimentConfig, StarterSettings)`` from the starter YAML (errors name the key)."""
    from engine.config import ConfigError, from_dict, read_yaml_mapping

    path = Path(path) if path else default_config_path()
    data = read_yaml_mapping(path, "starter config", StarterError)
    raw = data.pop("starter", None) or {}
    if not isinstance(raw, dict):
        raise StarterError(f"{path}: starter: expected a mapping")
    known = {f.name for f in fields(StarterSettings)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise StarterError(f"{path}: starter: unknown key(s) {unknown}; known: {sorted(known)}")
    settings = StarterSettings(**raw)
    lowest = {"per_movement": 3, "n_students": 3, "seed": 0, "members": 1}
    for name, low in lowest.items():
        v = getattr(settings, name)
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            raise StarterError(f"{path}: starter.{name}: expected an integer >= {low}, "
                               f"got {v!r}")
    if not settings.select_metric.startswith("val_"):
        raise StarterError(f"{path}: starter.select_metric must be a validation metric such as "
                           f"val_mae, got {settings.select_metric!r}")
    th = settings.fault_threshold
    if th is not None and (isinstance(th, bool) or not isinstance(th, (int, float))
                           or not 0 < th < 1):
        raise StarterError(f"{path}: starter.fault_threshold must be null or in (0, 1)")
    if epochs:
        data.setdefault("train", {})["epochs"] = int(epochs)
    try:
        cfg = from_dict(data, str(path))
    except ConfigError as exc:
        raise StarterError(str(exc)) from None
    m = cfg.model
    if m.num_movements not in (len(MOVEMENTS), -1) or m.num_faults == 0:
        raise StarterError(f"{path}: the starter model needs model.num_movements: "
                           f"{len(MOVEMENTS)} and the fault head (model.num_faults: -1 or "
                           f"{len(fault_library())})")
    return cfg, settings


# --------------------------------------------------------------------------- data
def data_fingerprint(settings: StarterSettings) -> str:
    """Hash of what the simulated data depend on: settings, simulator code, movement files."""
    h = hashlib.sha1(json.dumps([settings.per_movement, settings.n_students, settings.seed]).encode())
    root = Path(__file__).resolve().parent
    files = sorted((root / "simulator").glob("*.py")) + sorted(resource("movements").glob("*.json"))
    files += [root / "datasets.py", root / "movements.py", root / "recording.py"]
    for f in files:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:12]


def simulated_data(settings: StarterSettings, cache_dir: str | Path | None = None,
                   progress: bool = True, log=print) -> dict[str, list]:
    """The train / val / test samples (from the cache when its fingerprint matches)."""
    from engine.simulator import generate_dataset

    cache = None
    if cache_dir:
        cache = Path(cache_dir) / f"simulated_{data_fingerprint(settings)}.pkl"
        if cache.exists():
            try:
                with cache.open("rb") as fh:
                    data = pickle.load(fh)
                log(f"simulated data from cache {cache}")
                return data
            except (OSError, pickle.UnpicklingError, EOFError) as exc:
                log(f"cache {cache} unreadable ({exc}); simulating again")
    data = generate_dataset(per_movement=settings.per_movement, n_students=settings.n_students,
                            seed=settings.seed, progress=progress)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(cache.name + ".tmp")
        with tmp.open("wb") as fh:
            pickle.dump(data, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(cache)
    return data


# --------------------------------------------------------------------------- training
@dataclass
class StarterRun:
    result: object  # engine.train.TrainResult, model = the selected epoch's weights
    items: dict  # split -> list[engine.train.Item]
    best_epoch: int
    best_value: float
    seconds: float


def split_items(data: dict, cfg, splits, items: dict | None = None,
                progress: bool = True) -> dict:
    """The prepared :class:`engine.train.Item` lists of ``splits``, added to ``items`` (a
    cache shared by the ensemble members and the evaluation: members differ only in
    ``train.seed``, so they share the window rule and the prepared data)."""
    from engine.model.windowing import WindowSpec
    from engine.train import prepare_items

    items = {} if items is None else items
    spec = WindowSpec.from_config(cfg.data)
    for split in splits:
        if split not in items:
            items[split] = prepare_items(data[split], spec, list(MOVEMENTS), fault_library(),
                                         progress=progress)
    return items


def train_starter(cfg, settings: StarterSettings, data: dict, log=print,
                  progress: bool = True, items: dict | None = None) -> StarterRun:
    """Train on ``data["train"]``, keep the epoch with the best validation metric
    (``items``: prepared splits to reuse, see :func:`split_items`)."""
    import torch

    from engine.train import BestEpoch, TrainError, train_model

    movements = list(MOVEMENTS)
    faults = fault_library()
    items = split_items(data, cfg, ("train", "val"), items, progress)
    best = BestEpoch(settings.select_metric)
    t0 = time.time()
    try:
        res = train_model(None, cfg, items=items["train"], val_items=items["val"],
                          movements=movements, faults=faults, on_epoch=best, log=log)
        best.restore(res.model)
    except TrainError as exc:
        raise StarterError(f"starter member (train.seed {cfg.train.seed}): {exc}") from None
    seconds = time.time() - t0
    torch.set_num_threads(max(1, cfg.train.num_threads))
    return StarterRun(res, items, int(best.epoch), float(best.value), seconds)


@dataclass
class Member:
    """One trained network of the (seed) ensemble and how it was selected."""

    model: object  # engine.model.network.KineScoreNet, eval mode
    config: object  # its resolved ExperimentConfig (train.seed = base seed + index)
    seed: int
    best_epoch: int
    best_value: float
    seconds: float
    history: list | None  # the epoch log (None for members saved without one)


def member_config(cfg, k: int):
    """The experiment config of ensemble member ``k``: the same with ``train.seed + k``."""
    from dataclasses import replace

    return replace(cfg, train=replace(cfg.train, seed=cfg.train.seed + k))


def _load_member(path: Path, expected: dict, fingerprint: str, log) -> Member | None:
    """A member saved by an earlier run, or None when it was trained for something else."""
    from engine.config import to_dict
    from engine.model.checkpoint import CheckpointError, load_checkpoint

    try:
        ck = load_checkpoint(path)
    except CheckpointError as exc:
        log(f"member {path} unusable ({exc}); training it again")
        return None
    if to_dict(ck.config) != expected or ck.metrics.get("data_fingerprint") != fingerprint:
        log(f"member {path} was trained with another config or data; training it again")
        return None
    m = ck.metrics
    log(f"member {path} reused (seed {ck.config.train.seed}, epoch {m.get('best_epoch')})")
    return Member(ck.model, ck.config, ck.config.train.seed, int(m.get("best_epoch", 0)),
                  float(m.get("best_value", math.nan)), float(m.get("train_seconds", 0.0)),
                  m.get("history"))


def _plain(history: list | None) -> list | None:
    """The epoch log as plain numbers (checkpoints load with ``weights_only``)."""
    if history is None:
        return None
    return [{str(k): (v if isinstance(v, int) else float(v)) for k, v in row.items()}
            for row in history]


def train_members(cfg, settings: StarterSettings, data: dict, members_dir: str | Path | None,
                  only: int | None = None, log=print, progress: bool = True,
                  items: dict | None = None) -> list[Member]:
    """Train the ``settings.members`` networks (member ``k``: ``train.seed + k``).

    With ``members_dir`` each member is saved there as ``member_<k>.pt`` and reused by a later
    run when its resolved config and data fingerprint match, so members can be trained in
    parallel processes (``--member K``) and assembled afterwards. ``only``: train just that
    member and return it. ``items``: prepared splits shared by the members (:func:`split_items`)."""
    from engine.config import to_dict
    from engine.model.checkpoint import save_checkpoint
    from engine.train import resolve_config

    movements, faults = list(MOVEMENTS), fault_library()
    fingerprint = data_fingerprint(settings)
    wanted = range(settings.members) if only is None else [only]
    if only is not None and not 0 <= only < settings.members:
        raise StarterError(f"--member {only}: the config has starter.members = "
                           f"{settings.members} (members 0..{settings.members - 1})")
    out = []
    for k in wanted:
        cfg_k = member_config(cfg, k)
        path = Path(members_dir) / f"member_{k}.pt" if members_dir else None
        expected = to_dict(resolve_config(cfg_k, movements, faults))
        member = (_load_member(path, expected, fingerprint, log)
                  if path is not None and path.exists() else None)
        if member is None:
            if settings.members > 1:
                log(f"training member {k} of {settings.members} (train.seed {cfg_k.train.seed})")
            run_ = train_starter(cfg_k, settings, data, log, progress, items)
            member = Member(run_.result.model, run_.result.config, cfg_k.train.seed,
                            run_.best_epoch, run_.best_value, run_.seconds, run_.result.history)
            if path is not None:
                save_checkpoint(path, member.model, member.config, movements=movements,
                                faults=faults, metrics={
                                    "best_epoch": member.best_epoch,
                                    "best_value": member.best_value,
                                    "train_seconds": round(member.seconds, 1),
                                    "data_fingerprint": fingerprint,
                                    "history": _plain(member.history)})
                log(f"saved member {path}")
        out.append(member)
    return out


# --------------------------------------------------------------------------- evaluation
def _member_report(m: Member, items, spec, movements, faults, threshold) -> dict:
    """One ensemble member's own validation and test figures (for the model card)."""
    row = {"seed": m.seed, "best_epoch": m.best_epoch, "train_seconds": round(m.seconds, 1)}
    for split in ("val", "test"):
        ev = evaluate_predictions(predict_all(m.model, items[split], spec, movements),
                                  movements, faults, threshold)
        row[split] = {k: ev["all"][k] for k in ("mae", "rmse", "srcc", "stage_r")}
    return row


def predict_all(model, items, spec, movements, progress: bool = False) -> dict[str, np.ndarray]:
    """Every output the app uses, per item, through the scorer's own window path."""
    from tqdm import tqdm

    from engine.model.scorer import predict_windows
    from engine.model.windowing import test_windows

    rows = []
    for it in tqdm(items, disable=not progress, desc="predict", unit="seq", leave=False):
        w, _ = test_windows(it.joints, spec)
        out = predict_windows(model, w, it.movement)
        rows.append((float(np.clip(out["score"].mean(), 0, 100)),
                     out["stage_scores"].mean(axis=0),
                     1.0 / (1.0 + np.exp(-out["fault_logits"].mean(axis=0)))))
    nf = len(rows[0][2]) if rows else 0
    return {
        "pred": np.array([r[0] for r in rows]),
        "stage_pred": np.stack([r[1] for r in rows]),
        "fault_prob": np.stack([r[2] for r in rows]).reshape(len(rows), nf),
        "y": np.array([it.score for it in items]),
        "stage_y": np.stack([it.stage_scores for it in items]),
        "faults": np.stack([it.faults for it in items]).reshape(len(items), nf),
        "movement": np.array([movements[it.movement] for it in items]),
    }


def _fault_pairs(pred: dict, movements, faults) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(probabilities, labels, movement) of every (attempt, fault of its movement) pair."""
    mask = movement_fault_mask(movements, faults)
    sel = mask[[movements.index(m) for m in pred["movement"]]]
    rows = np.repeat(pred["movement"][:, None], len(faults), axis=1)
    return pred["fault_prob"][sel], pred["faults"][sel] > 0.5, rows[sel]


def fault_f1(prob, label, threshold: float) -> dict[str, float]:
    hit = prob > threshold
    tp = float((hit & label).sum())
    precision = tp / max(float(hit.sum()), 1.0)
    recall = tp / max(float(label.sum()), 1.0)
    f1 = 2 * precision * recall / max(precision + recall, 1e-12)
    return {"precision": precision, "recall": recall, "f1": f1}


def choose_threshold(pred: dict, movements, faults) -> float:
    """The fault threshold with the best micro-F1 (grid 0.05 ... 0.95) on ``pred``."""
    prob, label, _ = _fault_pairs(pred, movements, faults)
    grid = np.round(np.arange(0.05, 0.951, 0.05), 2)
    f1 = [fault_f1(prob, label, t)["f1"] for t in grid]
    return float(grid[int(np.argmax(f1))])


def evaluate_predictions(pred: dict, movements, faults, threshold: float) -> dict[str, dict]:
    """Score metrics, stage-score agreement and fault detection, per movement and "all"."""
    from scipy.stats import pearsonr

    from engine.evaluate import auc, metrics, spearman

    prob, label, owner = _fault_pairs(pred, movements, faults)
    mask = movement_fault_mask(movements, faults)
    out: dict[str, dict] = {}
    for m in [*movements, "all"]:
        sel = np.ones(len(pred["y"]), bool) if m == "all" else pred["movement"] == m
        r = metrics(pred["y"][sel], pred["pred"][sel])
        sp, sy = pred["stage_pred"][sel].ravel(), pred["stage_y"][sel].ravel()
        r["stage_r"] = float(pearsonr(sp, sy).statistic) if len(sp) > 2 else float("nan")
        r["stage_srcc"] = spearman(sy, sp)
        r["stage_mae"] = float(np.abs(sp - sy).mean())
        fsel = np.ones(len(prob), bool) if m == "all" else owner == m
        r.update({f"fault_{k}": v for k, v in
                  fault_f1(prob[fsel], label[fsel], threshold).items()})
        ms = movements if m == "all" else [m]
        aucs = []
        for mm in ms:
            rows = pred["movement"] == mm
            for j in np.flatnonzero(mask[movements.index(mm)]):
                aucs.append(auc(pred["faults"][rows, j] > 0.5, pred["fault_prob"][rows, j]))
        r["fault_auc"] = float(np.nanmean(aucs)) if aucs else float("nan")
        out[m] = r
    out["all"]["srcc_within"] = float(np.nanmean([out[m]["srcc"] for m in movements]))
    return out


def label_noise(samples, movements) -> dict[str, dict] | None:
    """How far the labels (mean of three simulated raters) lie from the noise-free rubric
    score (``meta["true_score"]``), per movement and "all": the MAE, SRCC and bias of the labels
    themselves. A predictor cannot be expected to beat the label MAE by much: it is the
    floor under the model's MAE. None when the samples carry no noise-free score."""
    from engine.evaluate import spearman

    if not samples or any("true_score" not in (s.meta or {}) for s in samples):
        return None
    y = np.array([s.score for s in samples], float)
    t = np.array([s.meta["true_score"] for s in samples], float)
    mv = np.array([s.movement for s in samples])
    out = {}
    for m in [*movements, "all"]:
        sel = np.ones(len(y), bool) if m == "all" else mv == m
        d = y[sel] - t[sel]
        out[m] = {"n": int(sel.sum()), "mae": float(np.abs(d).mean()), "bias": float(d.mean()),
                  "srcc": spearman(t[sel], y[sel])}
    return out


def format_report(test: dict, movements) -> str:
    """Markdown table: our test figures beside the paper's (Table 4 / Table 6)."""
    def paper(m, k, scale=1.0, fmt="{:.2f}"):
        v = PAPER.get(m, {}).get(k)
        return "–" if v is None else fmt.format(v * scale)

    lines = ["| movement | n | MAE (paper) | RMSE (paper) | SRCC (paper) | Acc@5 % (paper) | "
             "Acc@10 % (paper) | grade acc % | stage r | fault F1 | fault AUC |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for m in [*movements, "all"]:
        r = test[m]
        lines.append(
            f"| {m} | {r['n']} | {r['mae']:.2f} ({paper(m, 'mae')}) | {r['rmse']:.2f} "
            f"({paper(m, 'rmse')}) | {r['srcc']:.3f} ({paper(m, 'srcc', fmt='{:.3f}')}) | "
            f"{100 * r['acc5']:.1f} ({paper(m, 'acc5', 100, '{:.1f}')}) | "
            f"{100 * r['acc10']:.1f} ({paper(m, 'acc10', 100, '{:.1f}')}) | "
            f"{100 * r['grade_acc']:.1f} | {r['stage_r']:.3f} | {r['fault_f1']:.3f} | "
            f"{r['fault_auc']:.3f} |")
    return "\n".join(lines)


def plot_scatter(pred: dict, test: dict, movements, path: str | Path) -> Path:
    """Predicted vs true test scores, one panel per movement (PNG, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from engine.movements import load_movement as _lm

    fig, axes = plt.subplots(1, len(movements), figsize=(4 * len(movements), 4.2), squeeze=False)
    for ax, m in zip(axes[0], movements):
        sel = pred["movement"] == m
        ax.scatter(pred["y"][sel], pred["pred"][sel], s=9, alpha=0.6)
        ax.plot([0, 100], [0, 100], "k--", lw=0.8)
        ax.fill_between([0, 100], [-5, 95], [5, 105], color="0.85", zorder=0, label="±5")
        lo = max(0.0, min(pred["y"][sel].min(), pred["pred"][sel].min()) - 5)
        ax.set_xlim(lo, 100)
        ax.set_ylim(lo, 100)
        ax.set_aspect("equal")
        r = test[m]
        ax.set_title(f"{_lm(m).en}\nMAE {r['mae']:.2f}  SRCC {r['srcc']:.3f}", fontsize=10)
        ax.set_xlabel("label score (mean of 3 simulated raters)")
    axes[0][0].set_ylabel("predicted score")
    axes[0][0].legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return Path(path)


# --------------------------------------------------------------------------- command
def run(config: str | Path | None = None, out: str | Path | None = None,
        figures: str | Path | None = "docs", cache: str | Path | None = "runs/starter_cache",
        epochs: int | None = None, evaluate_only: bool = False, progress: bool = True,
        log=print, members_dir: str | Path | None = None, member: int | None = None) -> dict:
    """The whole command (see the module docstring); returns the metrics written.

    ``members_dir`` / ``member``: see :func:`train_members` (with ``member`` only that
    network is trained and saved; nothing is evaluated or written to ``out``)."""
    import torch

    from engine.model.checkpoint import code_version, load_checkpoint, save_checkpoint
    from engine.model.windowing import WindowSpec
    from engine.train import plot_history, prepare_items

    out = Path(out) if out else resource("models")
    cfg, settings = load_starter_config(config, epochs)
    torch.set_num_threads(max(1, cfg.train.num_threads))
    movements, faults = list(MOVEMENTS), fault_library()
    data = simulated_data(settings, cache, progress, log)
    log("data: " + ", ".join(f"{k} {len(v)}" for k, v in data.items()))
    if evaluate_only:
        ck = load_checkpoint(out / MODEL_FILE)
        model, spec = ck.model, ck.window
        if list(ck.movements) != movements or list(ck.faults) != faults:
            raise StarterError(f"{out / MODEL_FILE}: trained for movements {ck.movements} and "
                               f"{len(ck.faults)} faults; retrain with this command")
        items = {s: prepare_items(data[s], spec, movements, faults, progress=progress)
                 for s in ("val", "test")}
        previous = ck.metrics
        train_info = {k: previous.get(k) for k in ("best_epoch", "train_seconds")}
        threshold = float(previous.get("fault_threshold", 0.5))
        history = None
    else:
        if member is not None and not members_dir:
            raise StarterError("--member needs --members-dir (where the member is saved)")
        items: dict = {}
        members = train_members(cfg, settings, data, members_dir, member, log, progress, items)
        if member is not None:
            return {"member": member, "best_epoch": members[0].best_epoch,
                    "best_value": members[0].best_value}
        spec = WindowSpec.from_config(cfg.data)
        split_items(data, cfg, ("val", "test"), items, progress)
        for m in members:
            log(f"member seed {m.seed}: selected epoch {m.best_epoch} "
                f"({settings.select_metric} {m.best_value:.3f}); training took "
                f"{m.seconds / 60:.1f} min")
        if len(members) == 1:
            model = members[0].model
        else:
            from engine.model.ensemble import KineScoreEnsemble

            model = KineScoreEnsemble.of([m.model for m in members])
        # the curves of the first member that has them (members trained by an older version
        # of this command were saved without their epoch log)
        history = next((m.history for m in members if m.history), None)
        train_info = {"best_epoch": max(m.best_epoch for m in members),
                      "train_seconds": round(sum(m.seconds for m in members), 1)}
    val_pred = predict_all(model, items["val"], spec, movements)
    if not evaluate_only:
        threshold = (settings.fault_threshold if settings.fault_threshold is not None
                     else choose_threshold(val_pred, movements, faults))
    val = evaluate_predictions(val_pred, movements, faults, threshold)
    test_pred = predict_all(model, items["test"], spec, movements, progress)
    test = evaluate_predictions(test_pred, movements, faults, threshold)
    summary = {
        "best_epoch": train_info["best_epoch"], "train_seconds": train_info["train_seconds"],
        "fault_threshold": threshold,
        **{f"val_{k}": val["all"][k] for k in ("mae", "srcc")},
        **{f"test_{k}": test["all"][k] for k in ("mae", "rmse", "srcc", "acc5", "acc10",
                                                  "stage_r", "fault_f1")},
    }
    summary = {k: (None if v is None else int(v) if k == "best_epoch" else float(v))
               for k, v in summary.items()}  # plain numbers: checkpoints load weights_only
    if not evaluate_only:
        ck_path = save_checkpoint(out / MODEL_FILE, model, members[0].config,
                                  movements=movements, faults=faults, metrics=summary)
        log(f"saved {ck_path}")
        ck = load_checkpoint(ck_path)  # the file we ship must load
    report = {
        "model_version": ck.model_version, "code_version": code_version(),
        "checkpoint_code_version": ck.code_version,
        "data": {"per_movement": settings.per_movement, "n_students": settings.n_students,
                 "seed": settings.seed, "fingerprint": data_fingerprint(settings),
                 **{k: len(v) for k, v in data.items()}},
        "selection": {"metric": settings.select_metric, **train_info,
                      "fault_threshold": threshold},
        "machine": "2-core x86_64 CPU, Python 3.11, torch CPU "
                   f"{torch.__version__}, {cfg.train.num_threads} thread(s)",
        "val": val, "test": test, "paper": PAPER,
        "label_noise": {k: label_noise(data[k], movements) for k in ("val", "test")},
    }
    if history is not None:
        report["history"] = history
    if not evaluate_only and len(members) > 1:
        report["members"] = [_member_report(m, items, spec, movements, faults, threshold)
                             for m in members]
    if not evaluate_only:
        (out / METRICS_FILE).write_text(json.dumps(report, indent=1), encoding="utf-8")
    if figures:
        fig_dir = Path(figures)
        fig_dir.mkdir(parents=True, exist_ok=True)
        if history:
            plot_history(history, fig_dir / CURVES_FILE, title="starter")
        plot_scatter(test_pred, test, movements, fig_dir / SCATTER_FILE)
    log(format_report(test, movements))
    log(f"stage scores vs labels (test, all attempt x stage pairs): r {test['all']['stage_r']:.3f},"
        f" SRCC {test['all']['stage_srcc']:.3f}, MAE {test['all']['stage_mae']:.2f}")
    noise = report["label_noise"]["test"]
    if noise:
        log(f"label noise floor (test labels vs the noise-free rubric score): MAE "
            f"{noise['all']['mae']:.2f}, SRCC {noise['all']['srcc']:.3f}")
    return report


def add_parser(sub: argparse._SubParsersAction, name: str) -> None:
    p = sub.add_parser(name, help="retrain / re-evaluate the bundled starter model",
                       description=__doc__.split("\n\n")[0].replace("``", ""),
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    _arguments(p)


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", default=None,
                   help="starter YAML (default: resources/models/starter.yaml)")
    p.add_argument("--out", default=None,
                   help="folder for starter.pt and starter_metrics.json (default: resources/models)")
    p.add_argument("--figures", default="docs", help="folder for the PNG figures ('' = none)")
    p.add_argument("--cache", default="runs/starter_cache",
                   help="cache folder for the simulated data ('' = no cache)")
    p.add_argument("--epochs", type=int, default=None,
                   help="override train.epochs (smoke runs; the bundled model uses the config)")
    p.add_argument("--evaluate-only", action="store_true",
                   help="do not train: evaluate <out>/starter.pt on the simulated test set")
    p.add_argument("--members-dir", default=None,
                   help="folder where each ensemble member is saved (member_<k>.pt) and "
                   "reused by later runs when its config and data match")
    p.add_argument("--member", type=int, default=None,
                   help="train only ensemble member K into --members-dir and stop (run one "
                   "process per member in parallel, then once more without --member)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=_command)


def _command(args: argparse.Namespace) -> int:
    from engine.config import ConfigError
    from engine.model.checkpoint import CheckpointError
    from engine.train import TrainError

    try:
        run(args.config, args.out, args.figures or None, args.cache or None, args.epochs,
            args.evaluate_only, progress=not args.quiet, members_dir=args.members_dir,
            member=args.member)
    except (StarterError, ConfigError, CheckpointError, TrainError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m engine.starter",
                                description=__doc__.split("\n\n")[0].replace("``", ""),
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    _arguments(p)
    args = p.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
