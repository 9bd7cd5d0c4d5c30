"""Training (paper section 5): mixed loss, hard-example mining, curriculum, checkpoints.

Python API::

    from engine.config import load_config
    from engine.train import train_model
    result = train_model(samples, load_config("resources/configs/quick.yaml"), out_dir="runs/quick")
    result.model, result.history, result.checkpoint

``samples`` are :class:`engine.datasets.Sample` (KIMORE, UI-PRMD, the simulator). Labels used:
``score`` (0-100; UI-PRMD's binary ``correct`` becomes 100 / 0), ``stage_scores`` and
``stage_bounds`` where present (supervised directly), ``meta["faults"]`` (a list of fault
names or a ``{name: value}`` dict; value > 0 means present) for the auxiliary fault head.

Command line: ``kinescore-engine train --config FILE [--data FILE] [--out DIR]``.

A config with a ``bundle`` section (several networks, a second input stream, a fused
handcrafted model; :class:`engine.config.BundleConfig`) is trained by :func:`train_bundle`
into one checkpoint; a plain config by :func:`train_model`, as before.

Choices where the paper is vague: AdamW with a cosine learning-rate decay and gradient
clipping; the score prior (stage regressor biases) set to the training mean; each epoch draws
``windows_per_sample`` random windows (crop rule) of every selected sequence, augmented
(eqs. 3-4) with probability ``data.augment.p`` per transform. Optional (``train.ema_decay``
> 0, off by default): an exponential moving average of the weights (and a copy of the batch
norm statistics) is kept after every step; it is what validation, ``on_epoch`` and the result
see. Averaging the last few hundred steps smooths the noise that noisy labels put into single
steps (the bundled starter model uses it, see ``resources/models/README.md``).
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from engine.config import ExperimentConfig, load_config, member_configs, to_dict
from engine.grading import default_grading
from engine.model.checkpoint import save_checkpoint
from engine.model.losses import total_loss
from engine.model.network import KineScoreNet, ModelOutput
from engine.model.windowing import WindowSpec, prepare_sequence, random_window
from engine.preprocess import Augmenter
from engine.schedules import (
    EasyBuffer,
    curriculum_probability,
    difficulty,
    hard_mask,
    intensity_levels,
    loss_weights,
    mining_rho,
    motion_intensity,
)


class TrainError(ValueError):
    pass


@dataclass
class Item:
    """One prepared sequence: normalized joints at the model's rate and its labels."""

    joints: np.ndarray  # (L, 17, 3) float32
    score: float
    movement: int
    subject: str
    key: str  # evaluation unit (subject/movement): takes of one exercise share a label
    movement_name: str
    stage_scores: np.ndarray | None = None
    stage_bounds: np.ndarray | None = None  # (P, 2) frames of ``joints``
    faults: np.ndarray | None = None  # 1 = fault present (evaluation labels)
    intensity: float = 0.0
    fault_magnitudes: np.ndarray | None = None  # simulator only: magnitude in [0, 1] per fault


def sample_score(sample) -> float:
    if sample.score is not None:
        return float(sample.score)
    if sample.correct is not None:
        return 100.0 * float(sample.correct)
    raise TrainError(f"sample {sample.subject}/{sample.movement} has neither score nor correct")


def unit_key(sample, index: int) -> str:
    """Evaluation unit: KIMORE labels subject × exercise (its takes share one label, so they
    are one unit); any other sample (a UI-PRMD repetition, a simulated attempt) is its own."""
    if sample.correct is not None or (sample.meta or {}).get("take") is None:
        return f"{sample.subject}/{sample.movement}/{index}"
    return f"{sample.subject}/{sample.movement}"


def fault_names(samples) -> list[str]:
    names: set[str] = set()
    for s in samples:
        f = s.meta.get("faults") if s.meta else None
        if isinstance(f, dict):
            names.update(str(k) for k in f)
        elif isinstance(f, (list, tuple)):
            names.update(str(k) for k in f)
    return sorted(names)


def _fault_vector(sample, names: list[str]) -> np.ndarray | None:
    f = sample.meta.get("faults") if sample.meta else None
    if f is None or not names:
        return None
    if isinstance(f, dict):
        present = {str(k) for k, v in f.items() if (float(v) if not isinstance(v, bool) else v) > 0}
    else:
        present = {str(k) for k in f}
    return np.array([1.0 if n in present else 0.0 for n in names], np.float32)


def _magnitude_vector(sample, names: list[str]) -> np.ndarray | None:
    """The simulator's fault magnitudes (0 for absent faults), None without them."""
    mags = sample.meta.get("fault_magnitudes") if sample.meta else None
    if not isinstance(mags, dict) or not names:
        return None
    return np.array([min(max(float(mags.get(n, 0.0)), 0.0), 1.0) for n in names], np.float32)


def prepare_items(samples, spec: WindowSpec, movements: list[str], faults: list[str] | None = None,
                  progress: bool = False) -> list[Item]:
    from tqdm import tqdm

    items = []
    for n, s in enumerate(tqdm(samples, disable=not progress, desc="preprocess", unit="seq",
                               leave=False)):
        if s.movement not in movements:
            raise TrainError(f"sample {s.subject}/{s.movement}: movement not in {movements}")
        prep = prepare_sequence(s.joints, s.confidence, s.timestamps, spec, s.stage_bounds)
        bounds = prep.stage_bounds
        items.append(Item(
            joints=prep.joints, score=sample_score(s), movement=movements.index(s.movement),
            subject=str(s.subject), key=unit_key(s, n), movement_name=s.movement,
            stage_scores=None if s.stage_scores is None else np.asarray(s.stage_scores, np.float32),
            stage_bounds=None if bounds is None else np.asarray(bounds, np.float32),
            faults=_fault_vector(s, faults or []),
            intensity=motion_intensity(prep.joints),
            fault_magnitudes=_magnitude_vector(s, faults or []),
        ))
    return items


def resolve_config(cfg: ExperimentConfig, movements: list[str], faults: list[str]) -> ExperimentConfig:
    """Fill ``-1`` (auto) sizes from the data and pin the movement order."""
    m = cfg.model
    nm = len(movements) if m.num_movements == -1 else m.num_movements
    nf = len(faults) if m.num_faults == -1 else m.num_faults
    if nm and nm != len(movements):
        raise TrainError(f"config model.num_movements = {nm} but the data has {len(movements)} "
                         f"movements {movements}; set it to {len(movements)} or -1")
    if nf and nf != len(faults):
        raise TrainError(f"config model.num_faults = {nf} but the data has {len(faults)} "
                         f"fault names; set it to {len(faults)} or -1")
    weights = m.stage_weights
    if m.stage_fusion == "rubric" and m.stage_head:
        weights = tuple(_rubric_weights(mv, m.num_stages) for mv in movements)
        if not nm:
            raise TrainError("model.stage_fusion: rubric needs the movement input "
                             "(model.num_movements: -1)")
    return replace(cfg, model=replace(m, num_movements=nm, num_faults=nf, stage_weights=weights),
                   data=replace(cfg.data, movements=tuple(movements)))


def _rubric_weights(movement: str, num_stages: int) -> tuple[float, ...]:
    """The stage weights of ``resources/movements/<movement>.json`` (stage_fusion: rubric)."""
    from engine.movements import load_movement

    try:
        w = tuple(float(x) for x in load_movement(movement).stage_weights)
    except (KeyError, ValueError, OSError) as exc:
        raise TrainError(f"model.stage_fusion: rubric: no rubric for movement {movement!r} "
                         f"({exc}); use stage_fusion: mean") from exc
    if len(w) != num_stages:
        raise TrainError(f"model.stage_fusion: rubric: {movement} has {len(w)} stage weights, "
                         f"the model {num_stages} stages")
    return w


def make_batch(items: list[Item], spec: WindowSpec, rng: np.random.Generator,
               augmenter: Augmenter | None, num_stages: int,
               fault_target: str = "presence") -> tuple[torch.Tensor, dict]:
    """Random windows (augmented) of ``items`` and their targets (see ``total_loss``).

    ``fault_target="magnitude"``: an item's fault target is its fault magnitudes (soft BCE
    targets in [0, 1]) where it has them, else its presence vector."""
    grading = default_grading()
    xs, bnds, bmask, smask, sscores, fmask, fvals = [], [], [], [], [], [], []
    nf = max((len(it.faults) for it in items if it.faults is not None), default=0)
    for it in items:
        w, start = random_window(it.joints, spec, rng)
        bounds = None
        if it.stage_bounds is not None and spec.rule == "resample":
            bounds = it.stage_bounds * (spec.window - 1) / max(len(it.joints) - 1, 1)
        if augmenter is not None:
            res = augmenter.augment(w, bounds)
            w, bounds = res.joints, res.stage_bounds
        xs.append(w)
        ok_b = bounds is not None and bounds.shape == (num_stages, 2)
        bmask.append(ok_b)
        bnds.append(np.clip(bounds / spec.window, 0, 1) if ok_b else np.zeros((num_stages, 2)))
        ok_s = it.stage_scores is not None and spec.rule == "resample" and len(it.stage_scores) == num_stages
        smask.append(ok_s)
        sscores.append(it.stage_scores if ok_s else np.zeros(num_stages))
        fmask.append(it.faults is not None and len(it.faults) == nf and nf > 0)
        use_mag = (fault_target == "magnitude" and it.fault_magnitudes is not None
                   and len(it.fault_magnitudes) == nf)
        fvals.append((it.fault_magnitudes if use_mag else it.faults) if fmask[-1] else np.zeros(nf))
    x = torch.from_numpy(np.stack(xs).transpose(0, 3, 1, 2).astype(np.float32))
    scores = np.array([it.score for it in items], np.float32)
    target = {
        "score": torch.from_numpy(scores),
        "grade": torch.tensor([grading.grade_index(float(s)) for s in scores], dtype=torch.long),
        "movement": torch.tensor([it.movement for it in items], dtype=torch.long),
        "stage_scores": torch.tensor(np.stack(sscores), dtype=torch.float32),
        "stage_mask": torch.tensor(smask),
        "stage_bounds": torch.tensor(np.stack(bnds), dtype=torch.float32),
        "bounds_mask": torch.tensor(bmask),
        "faults": torch.tensor(np.stack(fvals), dtype=torch.float32).reshape(len(items), nf),
        "fault_mask": torch.tensor(fmask),
    }
    return x, target


def detach_easy(out: ModelOutput, hard: torch.Tensor) -> ModelOutput:
    """Eq. 24: easy samples are computed but get no gradient (outputs detached)."""
    fields = {}
    for name, t in out._asdict().items():
        shape = (-1,) + (1,) * (t.dim() - 1)
        fields[name] = torch.where(hard.view(shape), t, t.detach())
    return ModelOutput(**fields)


class WeightAverage:
    """Exponential moving average of a network's weights (``train.ema_decay``, module doc).

    ``model`` is an eval-mode copy: parameters ``p_avg = d * p_avg + (1 - d) * p`` after each
    :meth:`update`; buffers (batch norm statistics) are copied from the trained network."""

    def __init__(self, model: torch.nn.Module, decay: float):
        import copy

        self.decay = float(decay)
        self.model = copy.deepcopy(model).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        for avg, p in zip(self.model.parameters(), model.parameters()):
            avg.mul_(self.decay).add_(p.detach(), alpha=1.0 - self.decay)
        for avg, b in zip(self.model.buffers(), model.buffers()):
            avg.copy_(b)


@dataclass
class TrainResult:
    model: KineScoreNet
    config: ExperimentConfig
    movements: list[str]
    faults: list[str]
    history: list[dict] = field(default_factory=list)
    checkpoint: Path | None = None


def _movement_tensor(items, model):
    if not model.config.num_movements:
        return None
    return torch.tensor([it.movement for it in items], dtype=torch.long)


class BestEpoch:
    """An ``on_epoch`` callback for :func:`train_model` that keeps the weights of the epoch with
    the best value of one validation metric of the epoch log (``"val_mae"``, ``"val_srcc"``...).

    Lower is better for errors (names ending in ``mae``, ``rmse`` or ``loss``), higher for
    everything else (Spearman, Acc@k, grade accuracy). Epochs whose value is not finite (a
    network predicting one constant has no Spearman) are never kept; :meth:`restore` raises
    :class:`TrainError` when no epoch had a finite value, since the run then learned nothing
    that could be selected. Used by the starter model (:mod:`engine.starter`) and by early
    stopping in cross-validation (:class:`engine.evaluate.DeepPredictor`)."""

    def __init__(self, metric: str):
        self.metric = metric
        self.lower_is_better = metric.endswith(("mae", "rmse", "loss"))
        self.epoch, self.value, self.state = 0, float("nan"), None

    def better(self, value: float) -> bool:
        if not np.isfinite(value):
            return False
        if self.state is None:
            return True
        return value < self.value if self.lower_is_better else value > self.value

    def __call__(self, epoch: int, model, row: dict) -> None:
        if self.metric not in row:
            raise TrainError(f"metric {self.metric!r} is not in the epoch log {sorted(row)}: "
                             "give validation items, or pick one of the val_* columns")
        value = float(row[self.metric])
        if self.better(value):
            self.epoch, self.value = epoch, value
            self.state = copy.deepcopy(model.state_dict())

    def restore(self, model):
        """Load the kept weights into ``model`` (eval mode) and return it."""
        if self.state is None:
            raise TrainError(f"no epoch gave a finite {self.metric}: the training diverged or "
                             "predicts one constant; lower train.lr or check the labels")
        model.load_state_dict(self.state)
        return model.eval()


def transfer_weights(model: KineScoreNet, path: str | Path) -> tuple[int, list[str]]:
    """Copy into ``model`` every parameter and buffer of the checkpoint at ``path`` whose name
    and shape match (``train.init_from``); the rest keep their fresh values. Returns the
    number of tensors copied and the names kept fresh (e.g. the movement embedding of a
    network trained on other movements). The score head's bias is then reset to the new
    data's mean by the caller, as for a fresh network. A bundle (several networks) or an
    unreadable file is a :class:`TrainError` naming the file."""
    from engine.model.checkpoint import CheckpointError, load_checkpoint

    try:
        ck = load_checkpoint(path)
    except CheckpointError as exc:
        raise TrainError(f"train.init_from: {exc}") from None
    if not isinstance(ck.model, KineScoreNet):
        raise TrainError(f"train.init_from: {path} holds a bundle of several networks; "
                         "give a checkpoint of one network")
    source = ck.model.state_dict()
    target = model.state_dict()
    same = {k: v for k, v in source.items() if k in target and target[k].shape == v.shape}
    if not same:
        raise TrainError(f"train.init_from: {path}: no parameter matches this network's "
                         "names and shapes (a different model section?)")
    model.load_state_dict(same, strict=False)
    return len(same), sorted(k for k in target if k not in same)


def train_model(samples, cfg: ExperimentConfig, *, val_samples=None, out_dir: str | Path | None = None,
                items: list[Item] | None = None, val_items: list[Item] | None = None,
                movements: list[str] | None = None, faults: list[str] | None = None,
                on_epoch=None, log=print,
                init_model: KineScoreNet | None = None) -> TrainResult:
    """Train the network on ``samples`` (or already prepared ``items``); see module doc.

    ``faults``: the fault head's names in order (default: :func:`fault_names` of ``samples``);
    give it when ``items`` were prepared with a fixed fault list. ``on_epoch(epoch, model,
    row)`` is called after each epoch with its history row (validation metrics included), e.g.
    to keep the best weights on the validation set.
    ``init_model``: fine-tune this network (its config must be ``cfg.model``) instead of
    starting from scratch (used after structured pruning, :mod:`engine.runtime.prune`)."""
    t_cfg = cfg.train
    torch.manual_seed(t_cfg.seed)
    rng = np.random.default_rng(t_cfg.seed)
    if t_cfg.num_threads:
        torch.set_num_threads(t_cfg.num_threads)
    spec = WindowSpec.from_config(cfg.data)
    if movements is None:
        movements = list(cfg.data.movements) or sorted({s.movement for s in samples})
    if faults is None:
        faults = fault_names(samples) if (samples is not None and cfg.model.num_faults) else []
    cfg = resolve_config(cfg, movements, faults)
    if items is None:
        if not samples:
            raise TrainError("no training samples")
        items = prepare_items(samples, spec, movements, faults, progress=t_cfg.progress)
    if val_items is None and val_samples:
        val_items = prepare_items(val_samples, spec, movements, faults)
    if len(items) < 2:
        raise TrainError(f"need at least 2 training sequences, got {len(items)}")

    if init_model is not None:
        model = init_model
    else:
        model = KineScoreNet(cfg.model)
        if t_cfg.init_from:
            loaded, skipped = transfer_weights(model, t_cfg.init_from)
            log(f"train.init_from {t_cfg.init_from}: {loaded} tensors loaded, "
                f"{len(skipped)} kept fresh ({', '.join(skipped[:6])}"
                f"{', ...' if len(skipped) > 6 else ''})")
        model.head.set_score_prior(float(np.mean([it.score for it in items])))
    opt = torch.optim.AdamW(model.parameters(), lr=t_cfg.lr, weight_decay=t_cfg.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda e: 0.5 * (1 + math.cos(math.pi * min(e, t_cfg.epochs) / t_cfg.epochs)))
    aug_cfg = cfg.data.augment
    augmenter = (Augmenter(seed=t_cfg.seed, p=aug_cfg.p, max_warp=aug_cfg.time_warp_amplitude,
                           sigma=aug_cfg.noise_sigma, max_angle_deg=aug_cfg.rotation_deg,
                           p_mirror=0.5 if aug_cfg.mirror else 0.0,
                           bone_sigma=aug_cfg.bone_scale)
                 if aug_cfg.enabled else None)
    levels = intensity_levels(np.array([it.intensity for it in items]), t_cfg.curriculum.thresholds)
    buffer = EasyBuffer(t_cfg.mining.buffer_epochs, t_cfg.mining.replay_fraction)
    history: list[dict] = []
    bs = t_cfg.batch_size
    ema = WeightAverage(model, t_cfg.ema_decay) if t_cfg.ema_decay > 0 else None
    from tqdm import tqdm

    bar = tqdm(range(1, t_cfg.epochs + 1), disable=not t_cfg.progress, desc=cfg.name, unit="ep")
    for epoch in bar:
        t0 = time.time()
        model.train()
        w = loss_weights(epoch, t_cfg)
        if t_cfg.curriculum.enabled:
            p = curriculum_probability(levels, epoch, t_cfg.curriculum.easy_until,
                                       t_cfg.curriculum.ramp_until)
            chosen = np.flatnonzero(rng.random(len(items)) < p)
            if len(chosen) < 2:
                chosen = np.argsort([it.intensity for it in items])[:max(2, len(chosen))]
        else:
            chosen = np.arange(len(items))
        order = rng.permutation(np.repeat(chosen, t_cfg.windows_per_sample))
        batches = [(order[i:i + bs], True) for i in range(0, len(order), bs)]
        if t_cfg.mining.enabled:
            replay = np.array(buffer.replay(epoch, rng), int)
            batches += [(replay[i:i + bs], False) for i in range(0, len(replay), bs)]
        rho = mining_rho(epoch, t_cfg.epochs, t_cfg.mining.rho_start, t_cfg.mining.rho_end)
        sums: dict[str, float] = {}
        count = 0
        for idx, mine in batches:
            if len(idx) < 2:
                continue
            batch = [items[i] for i in idx]
            x, target = make_batch(batch, spec, rng, augmenter, cfg.model.num_stages,
                                   t_cfg.fault_target)
            out = model(x, _movement_tensor(batch, model))
            if t_cfg.mining.enabled and mine:
                err = (out.score_raw.detach() - target["score"]).abs().numpy()
                hard = hard_mask(difficulty(err, target["score"].numpy(), t_cfg.mining.eta), rho)
                buffer.add(idx[~hard], epoch)
                out = detach_easy(out, torch.from_numpy(hard))
            loss, terms = total_loss(out, target, w)
            opt.zero_grad()
            loss.backward()
            if t_cfg.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), t_cfg.grad_clip)
            opt.step()
            if ema is not None:
                ema.update(model)
            terms["total"] = float(loss.detach())
            for k, v in terms.items():
                sums[k] = sums.get(k, 0.0) + v * len(idx)
            count += len(idx)
        sched.step()
        row = {"epoch": epoch, "seconds": round(time.time() - t0, 2), "samples": count,
               "rho": round(rho, 3), **{f"loss_{k}": v / max(count, 1) for k, v in sums.items()}}
        shown = model if ema is None else ema.model
        if val_items:
            from engine.evaluate import metrics, predict_items

            pred = predict_items(shown, val_items, spec)
            row.update({f"val_{k}": v for k, v in metrics(pred["y"], pred["pred"]).items()})
        history.append(row)
        if on_epoch is not None:
            on_epoch(epoch, shown, row)
        bar.set_postfix(loss=f"{row.get('loss_total', float('nan')):.1f}",
                        **({"val_mae": f"{row['val_mae']:.2f}"} if "val_mae" in row else {}))
    if ema is not None:
        model = ema.model
    model.eval()
    result = TrainResult(model=model, config=cfg, movements=movements, faults=faults,
                         history=history)
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        final = {k: v for k, v in history[-1].items() if k.startswith("val_")} if history else {}
        result.checkpoint = save_checkpoint(out / "model.pt", model, cfg, movements=movements,
                                            faults=faults, metrics=final)
        (out / "history.json").write_text(json.dumps(history, indent=1))
        (out / "config.json").write_text(json.dumps(to_dict(cfg), indent=1))
        plot_history(history, out / "curves.png", title=cfg.name)
        log(f"saved {result.checkpoint}, {out / 'curves.png'}")
    return result


def train_networks(cfg: ExperimentConfig, items: list[Item], movements: list[str],
                   faults: list[str], *, val_items=None, log=print, on_member=None):
    """Every network of ``cfg``'s bundle (:func:`engine.config.member_configs`) trained on the
    same prepared items: ``(model, results)``, the model being one :class:`KineScoreNet` or
    their :class:`KineScoreEnsemble`. ``on_member(k, config)`` may return an ``on_epoch``
    callback for member ``k`` (early stopping in ``cv``); one with a ``restore(model)`` method
    (:class:`BestEpoch`) is applied to its network when it is trained."""
    from engine.model.ensemble import KineScoreEnsemble

    configs = member_configs(cfg)
    results = []
    for k, mc in enumerate(configs):
        if len(configs) > 1:
            log(f"{cfg.name}: network {k + 1} of {len(configs)} ({mc.name})")
        hook = on_member(k, mc) if on_member is not None else None
        res = train_model(None, mc, items=items, val_items=val_items, movements=movements,
                          faults=faults, on_epoch=hook, log=log)
        if hasattr(hook, "restore"):  # e.g. BestEpoch: its weights before the ensemble copies them
            hook.restore(res.model)
        results.append(res)
    model = (results[0].model if len(results) == 1
             else KineScoreEnsemble.of([r.model for r in results]))
    return model, results


def train_bundle(samples, cfg: ExperimentConfig, *, val_samples=None,
                 out_dir: str | Path | None = None, log=print) -> TrainResult:
    """Train ``cfg``'s bundle (``bundle`` section; see module doc) into one checkpoint: its
    networks (an ensemble when more than one), and with ``bundle.fuse`` the handcrafted model
    fitted on the same training data, whose score the checkpoint averages with theirs. Per
    network ``member_<k>_history.json`` and ``member_<k>_curves.png``; ``val_samples`` give
    the bundle's own validation metrics in the checkpoint. A plain config is
    :func:`train_model` unchanged."""
    from engine.evaluate import metrics, predict_items
    from engine.model.handcrafted import HandcraftedModel

    b = cfg.bundle
    if len(member_configs(cfg)) == 1 and b.fuse == "none":
        return train_model(samples, cfg, val_samples=val_samples, out_dir=out_dir, log=log)
    if not samples:
        raise TrainError("no training samples")
    spec = WindowSpec.from_config(cfg.data)
    movements = list(cfg.data.movements) or sorted({s.movement for s in samples})
    faults = fault_names(samples) if cfg.model.num_faults else []
    items = prepare_items(samples, spec, movements, faults, progress=cfg.train.progress)
    val_items = prepare_items(val_samples, spec, movements, faults) if val_samples else None
    model, results = train_networks(cfg, items, movements, faults, val_items=val_items, log=log)
    hand = None
    if b.fuse != "none":
        try:
            hand = HandcraftedModel.fit(b.fuse, items, cfg.data.dataset == "uiprmd", cfg.data.fps)
        except ValueError as exc:  # e.g. a movement with one class only for the logistic model
            raise TrainError(f"bundle.fuse {b.fuse!r}: the handcrafted model cannot be fitted on "
                             f"this training data ({exc})") from None
        log(f"{cfg.name}: handcrafted model {b.fuse!r} fitted; its score is averaged with the "
            f"networks' (weight 1/2)")
    resolved = replace(results[0].config, name=cfg.name, train=cfg.train)
    result = TrainResult(model=model, config=resolved, movements=movements, faults=faults,
                         history=results[0].history)
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        final = {}
        if val_items:
            pred = predict_items(model, val_items, spec, handcrafted=hand)
            final = {f"val_{k}": v for k, v in metrics(pred["y"], pred["pred"]).items()}
        result.checkpoint = save_checkpoint(out / "model.pt", model, resolved,
                                            movements=movements, faults=faults, metrics=final,
                                            handcrafted=hand)
        for k, r in enumerate(results):
            (out / f"member_{k}_history.json").write_text(json.dumps(r.history, indent=1))
            plot_history(r.history, out / f"member_{k}_curves.png", title=r.config.name)
        (out / "config.json").write_text(json.dumps(to_dict(resolved), indent=1))
        log(f"saved {result.checkpoint} ({len(results)} network(s)"
            f"{', handcrafted ' + b.fuse if hand else ''})")
    return result


def plot_history(history: list[dict], path: str | Path, title: str = "") -> Path:
    """Loss terms and validation metrics per epoch (PNG, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [h["epoch"] for h in history]
    loss_keys = sorted({k for h in history for k in h if k.startswith("loss_")})
    val_keys = [k for k in ("val_mae", "val_rmse", "val_srcc") if any(k in h for h in history)]
    fig, axes = plt.subplots(1, 2 if val_keys else 1, figsize=(11 if val_keys else 6, 4),
                             squeeze=False)
    ax = axes[0][0]
    for k in loss_keys:
        vals = [h.get(k, np.nan) for h in history]
        if np.nanmax(np.abs(vals)) > 0:
            ax.plot(epochs, vals, label=k[5:])
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_title(f"{title} training losses")
    ax.legend(fontsize=7)
    if val_keys:
        ax = axes[0][1]
        for k in val_keys:
            ax.plot(epochs, [h.get(k, np.nan) for h in history], label=k[4:])
        ax.set_xlabel("epoch")
        ax.set_title("validation")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return Path(path)


# --------------------------------------------------------------------------- data + CLI
def load_samples(dataset: str, path: str | Path):
    """Samples of a dataset: a KIMORE / UI-PRMD npz in the ``../shared/data`` format, or a
    simulator folder written by ``kinescore-engine synth`` (``labels.csv`` + ``.ksr`` files)."""
    from engine import datasets

    if dataset == "kimore":
        return datasets.load_kimore(path)
    if dataset == "uiprmd":
        return datasets.load_uiprmd(path)
    return load_synth_folder(path)


def load_synth_folder(path: str | Path):
    """A ``synth`` folder: one :class:`Sample` per row of ``labels.csv`` (``meta["split"]``,
    ``meta["faults"]`` as fault keys; stage bounds from the recording's ``meta.extra`` where
    it has ``stage_bounds``)."""
    import csv

    from engine.datasets import DatasetError, Sample
    from engine.recording import RecordingError, load_recording

    folder = Path(path)
    labels = folder / "labels.csv"
    if not labels.exists():
        raise DatasetError(f"{folder}: no labels.csv (write one with kinescore-engine synth)")
    out = []
    with labels.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            try:
                rec = load_recording(folder / row["file"])
                stages = [float(row[f"stage_{i}"]) for i in range(1, 5)]
                faults = [f.split(":")[0] for f in row.get("faults", "").split(";") if f]
                bounds = (rec.meta.extra or {}).get("stage_bounds")
                out.append(Sample(
                    joints=rec.joints, score=float(row["score"]), subject=row["student"],
                    movement=row["movement"], confidence=rec.confidence,
                    timestamps=rec.timestamps, stage_scores=np.array(stages, np.float32),
                    stage_bounds=None if bounds is None else np.asarray(bounds, float),
                    meta={"split": row.get("split", ""), "faults": faults}))
            except (KeyError, ValueError, RecordingError) as exc:
                raise DatasetError(f"{labels}: row for {row.get('file')!r}: {exc}") from exc
    if not out:
        raise DatasetError(f"{labels}: no rows")
    return out


def add_train(sub: argparse._SubParsersAction, name: str) -> None:
    p = sub.add_parser(name, help="train the scoring model from a config file",
                       description="Train the paper's network (sections 3-5) on a dataset and "
                       "write model.pt, history.json and curves.png. A config with a bundle "
                       "section (members, two_stream, fuse) trains all its networks and the "
                       "handcrafted model into one model.pt (docs/model.md, Bundles).")
    p.add_argument("--config", required=True, help="experiment YAML (see resources/configs/)")
    p.add_argument("--data", help="dataset file (overrides data.path)")
    p.add_argument("--out", default=None, help="output folder (default runs/<name>)")
    p.add_argument("--ablation", choices=list("ABCDEF"), help="train the paper's Model-X variant")
    p.add_argument("--epochs", type=int, help="override train.epochs")
    p.set_defaults(func=_train_cmd)


def _train_cmd(args: argparse.Namespace) -> int:
    import sys

    from engine.config import ConfigError, with_ablation
    from engine.datasets import DatasetError

    try:
        cfg = load_config(args.config)
        if args.ablation:
            cfg = with_ablation(cfg, args.ablation)
        if args.epochs:
            cfg = replace(cfg, train=replace(cfg.train, epochs=args.epochs))
        path = args.data or cfg.data.path
        if not path:
            raise TrainError("no dataset: give --data FILE or data.path in the config")
        samples = load_samples(cfg.data.dataset, path)
        val = [s for s in samples if s.meta.get("split") == "val"]
        if val:  # a simulator folder: train on its train split, validate on val
            samples = [s for s in samples if s.meta.get("split") == "train"]
        out = args.out or str(Path("runs") / cfg.name)
        res = train_bundle(samples, cfg, val_samples=val or None, out_dir=out)
    except (ConfigError, DatasetError, TrainError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    last = res.history[-1] if res.history else {}
    print(f"trained {cfg.name}: {len(res.history)} epochs, final loss "
          f"{last.get('loss_total', float('nan')):.3f}; checkpoint {res.checkpoint}")
    return 0

