"""Experiment configuration: one YAML file per experiment, validated with clear errors.

An experiment file has four sections, each optional (defaults are the paper's values)::

    name: kimore_full
    ablation: null            # or "A".."F": the paper's Model-A ... Model-F (section 6.3)
    model:   {...}            # ModelConfig: the network (sections 3-4)
    train:   {...}            # TrainConfig: loss weights and schedules (section 5)
    data:    {...}            # DataConfig: dataset, window rule, augmentation
    eval:    {...}            # EvalConfig: cross-validation folds

Unknown keys, wrong types and out-of-range values raise :class:`ConfigError` naming the file
and the key, so a typo never silently falls back to a default. The *resolved* config (every
value, after the ablation overrides) is what checkpoints store.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    pass


@dataclass
class ModelConfig:
    """The network of sections 3-4. Width and window are config values; the structure is fixed."""

    channels: tuple[int, ...] = (64, 64, 128, 128, 256, 256)  # C_t of the 6 blocks
    tcn_kernel: int = 9  # per-joint temporal conv in each block (carries the stride)
    tms_branches: tuple[tuple[int, int], ...] = ((3, 1), (5, 2), (9, 4), (1, 1))  # (k, d), eq. 6
    attention_dim: int = 64  # d_a of eq. 8
    local_dim: int = 64  # C_L of eq. 10
    joint_dim: int = 128  # C_J of eq. 12
    stage_hidden: int = 64  # width of the stage detection TCN
    num_stages: int = 4  # P
    num_grades: int = 5  # G
    num_movements: int = 0  # movement embedding (0 = none, -1 = one per movement in the data)
    num_faults: int = 0  # auxiliary multi-label fault head (0 = off, -1 = faults in the data)
    dropout: float = 0.5
    stage_temperature: float = 0.5  # softness of the stage edges, in backbone frames
    # eq. 12's activation: "relu" (the paper) or "leaky_relu" (slope 0.1: its units cannot die;
    # with ReLU every FC1 unit of the first starter model died, so f_joint and the grade,
    # fault and bias outputs became one constant per movement)
    joint_activation: str = "relu"
    # eq. 17's fusion of the stage scores: "mean" (the paper's 1/P sum) or "rubric" (each
    # movement's rubric stage weights, resources/movements/*.json, the weights its total score
    # is made with); train.resolve_config fills stage_weights (one row of P per movement)
    stage_fusion: str = "mean"
    stage_weights: tuple[tuple[float, ...], ...] = ()
    # motion input: the frame-to-frame displacement of every joint as 3 more input channels
    # beside the positions (the "motion stream" of skeleton action recognition); off = the
    # paper's position-only input
    input_motion: bool = False
    # bone input: every joint's offset from its parent in the kinematic tree (0 at the pelvis)
    # as 3 more input channels, the "bone stream" of 2s-AGCN (Shi et al., CVPR 2019); joint
    # angles such as a stiff knee at landing are functions of two neighbouring bones
    input_bones: bool = False
    # ablation switches (section 6.3)
    adaptive_graph: bool = True  # Model-A: False -> fixed physical A, no B
    multiscale: bool = True  # Model-B: False -> one temporal branch (k=3, d=1)
    attention: bool = True  # Model-C: False -> no spatial (eq. 7) nor temporal (eq. 8) attention
    stage_head: bool = True  # Model-D: False -> no stage detection / stage regressors
    bias_branch: bool = True  # Model-E: False -> no Delta (eq. 16); train sets lambda3 = 0
    residual: bool = True
    # width inside each block between the graph conv and its temporal conv (() = the block's
    # channels); narrower after structured pruning (engine.runtime.prune)
    block_hidden: tuple[int, ...] = ()


@dataclass
class MiningConfig:
    """Hard-example mining, eq. 24."""

    enabled: bool = True
    eta: float = 0.5
    rho_start: float = 0.6
    rho_end: float = 0.3
    buffer_epochs: int = 10
    replay_fraction: float = 0.2


@dataclass
class CurriculumConfig:
    """Curriculum by motion intensity, eq. 25."""

    enabled: bool = True
    thresholds: tuple[float, float] = (0.3, 0.6)
    easy_until: int = 10  # epochs 1..easy_until: easy only
    ramp_until: int = 25  # medium ramped in linearly up to this epoch; all samples after


@dataclass
class TrainConfig:
    epochs: int = 60
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 1e-4
    grad_clip: float = 5.0
    seed: int = 0
    num_threads: int = 2
    windows_per_sample: int = 1  # random windows drawn from each sequence per epoch
    # exponential moving average of the weights (0 = off): after every step
    # ema = d * ema + (1 - d) * weights; validation, on_epoch and the result use the average
    ema_decay: float = 0.0
    per_movement: bool = False  # cv: one model per movement (the paper trains per action type)
    # eq. 23 weights and schedules
    lambda_rank: float = 0.5  # lambda1^(0)
    rank_warmup: int = 5  # T_warm
    rank_margin: float = 1.0  # gamma, eq. 20
    rank_within_movement: bool = True
    lambda_local: float = 0.2  # lambda2^(0), shared by eq. 21 and eq. 22
    lambda_local_decay: float = 0.9
    lambda_local_every: int = 10
    lambda_contrast: float = 0.1  # lambda3
    contrast_delta: float = 5.0  # delta, eq. 15
    contrast_margin: float = 1.0  # tau, eq. 15
    lambda_grade: float = 1.0  # cross-entropy on the grade
    lambda_stage: float = 1.0  # MSE on stage scores where labelled
    lambda_bounds: float = 100.0  # L1 on stage bounds (window fractions) where labelled
    lambda_fault: float = 1.0  # BCE on faults where labelled
    # fault target: "presence" (1 if the fault is listed) or "magnitude" (the simulator's
    # fault magnitude in [0, 1] as a soft BCE target, where the data has it; else presence)
    fault_target: str = "presence"
    mining: MiningConfig = field(default_factory=MiningConfig)
    curriculum: CurriculumConfig = field(default_factory=CurriculumConfig)
    progress: bool = True
    # a checkpoint whose weights start the network wherever a parameter's name and shape match
    # (transfer, e.g. from a network trained on simulated students); "" = from scratch
    init_from: str = ""


@dataclass
class AugmentConfig:
    """Section 2 augmentations, each applied with probability ``p`` (eqs. 3-4)."""

    enabled: bool = True
    p: float = 0.5
    time_warp_amplitude: float = 0.1  # A, fraction of the sequence length
    noise_sigma: float = 0.02  # sigma of eq. 3
    rotation_deg: float = 30.0  # alpha range of eq. 4
    mirror: bool = False  # left-right mirror (not in the paper; off by default)
    # SD of the log scale of each limb segment (thigh, shin, upper arm, forearm, neck+head;
    # left and right alike), engine.preprocess.augment; 0 = off (not in the paper)
    bone_scale: float = 0.0


@dataclass
class DataConfig:
    dataset: str = "simulator"  # kimore | uiprmd | simulator | npz
    path: str = ""
    window: int = 90  # frames fed to the network
    fps: float = 30.0  # frames are resampled to this rate before windowing
    window_rule: str = "resample"  # resample: whole attempt -> window; crop: windows at fps
    test_windows: int = 8  # crop rule: windows averaged per sequence at test time
    keep_root: bool = True  # add back the centre's motion that eq. 2 removes (see windowing)
    # turn every attempt so the body's left-right axis lies along +x (one yaw per attempt;
    # engine.model.windowing.facing_angle); not in the paper, off by default
    face_align: bool = False
    movements: tuple[str, ...] = ()  # fixed movement order (embedding index); () = from the data
    augment: AugmentConfig = field(default_factory=AugmentConfig)


@dataclass
class EvalConfig:
    folds: int = 5
    seed: int = 0
    inner_val_fraction: float = 0.0  # >0: hold out this share of training subjects for early stopping


#: ``bundle.fuse``'s values: no handcrafted model, or a baseline of :mod:`engine.baselines`
#: (``engine.model.handcrafted.KINDS``; a test keeps the two lists equal).
FUSE_KINDS: tuple[str, ...] = ("none", "ridge", "angles", "control", "segments", "combined",
                                "select")


@dataclass
class BundleConfig:
    """What one trained model holds (ours, not the paper's; ``docs/model.md``, "Bundles").

    The paper's model is one network (the defaults). The best figures on KIMORE and UI-PRMD
    (``docs/results.md``) come from several networks averaged and fused with a handcrafted
    model; a bundle makes ``kinescore-engine train`` deliver that in one checkpoint, and
    ``cv`` measure it the same way (one bundle per fold)."""

    members: int = 1  # networks per input stream; member k trains with train.seed + k
    two_stream: bool = False  # as many networks again with model.input_bones flipped
    fuse: str = "none"  # one of FUSE_KINDS: the handcrafted model averaged in (weight 1/2)


@dataclass
class ExperimentConfig:
    name: str = "experiment"
    ablation: str | None = None
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    data: DataConfig = field(default_factory=DataConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    bundle: BundleConfig = field(default_factory=BundleConfig)


#: The paper's ablation variants (section 6.3) as overrides of the full model.
ABLATIONS: dict[str, dict[str, dict[str, Any]]] = {
    "A": {"model": {"adaptive_graph": False}},  # fixed physical adjacency, no B
    "B": {"model": {"multiscale": False}},  # single-scale temporal conv (k=3, d=1)
    "C": {"model": {"attention": False}},  # no spatial / temporal attention
    "D": {"model": {"stage_head": False}},  # no segmented scoring head
    "E": {"model": {"bias_branch": False}, "train": {"lambda_contrast": 0.0}},  # no Delta, lambda3=0
    "F": {"train": {"lambda_rank": 0.0}},  # no ranking loss
}
ABLATION_NAMES = {
    "A": "without adaptive graph convolution",
    "B": "without multi-scale temporal aggregation",
    "C": "without attention",
    "D": "without segmented scoring head",
    "E": "without contrastive bias correction",
    "F": "without ranking loss",
}


def _is_dataclass_type(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def _coerce(value: Any, default: Any, where: str) -> Any:
    """Check ``value`` against the type of the field's default and convert lists to tuples."""
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true/false, got {value!r}")
        return value
    if isinstance(default, int) and not isinstance(default, bool):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if isinstance(default, str) or default is None:
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        return value
    if isinstance(default, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        if default and isinstance(default[0], tuple):
            return tuple(_coerce(v, default[0], f"{where}[{i}]") for i, v in enumerate(value))
        proto = default[0] if default else (value[0] if value else None)
        if isinstance(proto, list):  # nested list under an empty default: rows as tuples
            proto = ()
        return tuple(_coerce(v, proto, f"{where}[{i}]") for i, v in enumerate(value))
    return value


def _build(cls: type, data: Any, where: str):
    if data is None:
        return cls()
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(data).__name__}")
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown}; known keys: {sorted(known)}")
    obj = cls()
    for name, value in data.items():
        default = getattr(obj, name)
        key = f"{where}.{name}" if where else name
        if dataclasses.is_dataclass(default):
            setattr(obj, name, _build(type(default), value, key))
        else:
            setattr(obj, name, _coerce(value, default, key))
    return obj


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def validate(cfg: ExperimentConfig, where: str = "config") -> ExperimentConfig:
    m, t, d = cfg.model, cfg.train, cfg.data

    def need(cond: bool, key: str, msg: str) -> None:
        if not cond:
            raise ConfigError(f"{where}: {key}: {msg}")

    need(len(m.channels) >= 1 and all(c > 0 for c in m.channels), "model.channels",
         "must be a non-empty list of positive integers")
    need(m.tcn_kernel >= 1 and m.tcn_kernel % 2 == 1, "model.tcn_kernel", "must be odd and >= 1")
    need(not m.block_hidden or (len(m.block_hidden) == len(m.channels)
                                and all(h > 0 for h in m.block_hidden)), "model.block_hidden",
         "must be empty or one positive width per block")
    need(all(k >= 1 and k % 2 == 1 and dd >= 1 for k, dd in m.tms_branches),
         "model.tms_branches", "each (k, d) needs an odd k >= 1 and d >= 1")
    need(len(m.tms_branches) >= 1, "model.tms_branches", "needs at least one branch")
    need(m.num_stages >= 1, "model.num_stages", "must be >= 1")
    need(m.num_grades >= 2, "model.num_grades", "must be >= 2")
    need(m.num_movements >= -1 and m.num_faults >= -1, "model.num_movements/num_faults",
         "must be >= 0 (or -1: from the training data)")
    need(0.0 <= m.dropout < 1.0, "model.dropout", "must be in [0, 1)")
    need(m.stage_temperature > 0, "model.stage_temperature", "must be > 0")
    need(m.joint_activation in ("relu", "leaky_relu"), "model.joint_activation",
         "must be relu or leaky_relu")
    need(m.stage_fusion in ("mean", "rubric"), "model.stage_fusion", "must be mean or rubric")
    need(not m.stage_weights or all(len(r) == m.num_stages and all(w >= 0 for w in r)
                                    for r in m.stage_weights),
         "model.stage_weights", f"must be empty or rows of {m.num_stages} weights >= 0")
    for name in ("attention_dim", "local_dim", "joint_dim", "stage_hidden"):
        need(getattr(m, name) >= 1, f"model.{name}", "must be >= 1")
    need(t.epochs >= 1 and t.batch_size >= 2, "train.epochs/batch_size", "epochs >= 1, batch_size >= 2")
    need(t.lr > 0, "train.lr", "must be > 0")
    need(t.windows_per_sample >= 1, "train.windows_per_sample", "must be >= 1")
    need(0.0 <= t.ema_decay < 1.0, "train.ema_decay", "must be in [0, 1) (0 = off)")
    for name in ("lambda_rank", "lambda_local", "lambda_contrast", "lambda_grade", "lambda_stage",
                 "lambda_bounds", "lambda_fault", "weight_decay"):
        need(getattr(t, name) >= 0, f"train.{name}", "must be >= 0")
    need(t.fault_target in ("presence", "magnitude"), "train.fault_target",
         "must be presence or magnitude")
    mi = t.mining
    need(0 < mi.rho_end <= 1 and 0 < mi.rho_start <= 1, "train.mining.rho_start/rho_end", "must be in (0, 1]")
    need(0 <= mi.replay_fraction <= 1, "train.mining.replay_fraction", "must be in [0, 1]")
    cu = t.curriculum
    need(len(cu.thresholds) == 2 and 0 <= cu.thresholds[0] <= cu.thresholds[1] <= 1,
         "train.curriculum.thresholds", "must be two increasing values in [0, 1]")
    need(0 <= cu.easy_until <= cu.ramp_until, "train.curriculum", "needs easy_until <= ramp_until")
    need(d.window >= 8, "data.window", "must be >= 8 frames")
    need(d.fps > 0, "data.fps", "must be > 0")
    need(d.test_windows >= 1, "data.test_windows", "must be >= 1")
    need(d.window_rule in ("resample", "crop"), "data.window_rule", "must be resample or crop")
    need(d.dataset in ("kimore", "uiprmd", "simulator", "npz"), "data.dataset",
         "must be one of kimore, uiprmd, simulator, npz")
    need(0 <= d.augment.p <= 1, "data.augment.p", "must be in [0, 1]")
    need(0 <= d.augment.bone_scale <= 0.3, "data.augment.bone_scale",
         "must be in [0, 0.3] (the SD of a limb's log scale; 0.05 = 5 %)")
    need(cfg.eval.folds >= 2, "eval.folds", "must be >= 2")
    b = cfg.bundle
    need(1 <= b.members <= 32, "bundle.members", "must be in 1..32 (networks per input stream)")
    need(b.fuse in FUSE_KINDS, "bundle.fuse", f"must be one of {', '.join(FUSE_KINDS)}")
    need(0 <= cfg.eval.inner_val_fraction < 1, "eval.inner_val_fraction", "must be in [0, 1)")
    return cfg


def from_dict(data: dict | None, where: str = "config") -> ExperimentConfig:
    """Build and validate an :class:`ExperimentConfig`; applies ``ablation`` overrides."""
    data = dict(data or {})
    ablation = data.get("ablation")
    if ablation is not None:
        if ablation not in ABLATIONS:
            raise ConfigError(f"{where}: ablation: unknown variant {ablation!r}; use one of "
                              f"{sorted(ABLATIONS)} (section 6.3) or null")
        data = _merge(data, ABLATIONS[ablation])
    return validate(_build(ExperimentConfig, data, ""), where)


def read_yaml_mapping(path: str | Path, what: str = "config file",
                      error: type[Exception] = ConfigError) -> dict:
    """The top-level mapping of a YAML file; ``error`` names the file when it is missing,
    not valid YAML or not a mapping (``what`` says what kind of file was expected)."""
    import yaml

    path = Path(path)
    if not path.exists():
        raise error(f"{path}: {what} not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise error(f"{path}: the top level must be a mapping")
    return data


def load_config(path: str | Path, overrides: dict | None = None) -> ExperimentConfig:
    """Load an experiment YAML file (``overrides`` are merged on top, e.g. an ablation)."""
    path = Path(path)
    data = read_yaml_mapping(path)
    if overrides:
        data = _merge(data, overrides)
    return from_dict(data, str(path))


def member_configs(cfg: ExperimentConfig) -> list[ExperimentConfig]:
    """The config of every network of ``cfg``'s bundle, in ensemble order: ``bundle.members``
    seeds (``train.seed + k``) of the config's own input, then, with ``bundle.two_stream``, as
    many with ``model.input_bones`` flipped. A plain config gives ``[cfg]``."""
    b = cfg.bundle
    if b.members == 1 and not b.two_stream:
        return [cfg]
    streams = [cfg.model.input_bones] + ([not cfg.model.input_bones] if b.two_stream else [])
    return [replace(cfg, name=f"{cfg.name}[{'bones' if bones else 'joints'} {k}]",
                    model=replace(cfg.model, input_bones=bones),
                    train=replace(cfg.train, seed=cfg.train.seed + k))
            for bones in streams for k in range(b.members)]


def to_dict(cfg: Any) -> dict:
    """Plain dict (lists instead of tuples) for YAML/JSON and checkpoints."""

    def conv(v):
        if dataclasses.is_dataclass(v):
            return {f.name: conv(getattr(v, f.name)) for f in dataclasses.fields(v)}
        if isinstance(v, (list, tuple)):
            return [conv(x) for x in v]
        return v

    return conv(cfg)


def with_ablation(cfg: ExperimentConfig, ablation: str | None) -> ExperimentConfig:
    """A copy of ``cfg`` turned into the paper's Model-``ablation`` (None: unchanged)."""
    data = to_dict(cfg)
    data["ablation"] = ablation
    if ablation is not None:
        data["name"] = f"{cfg.name}_{ablation}"
    return from_dict(data, f"{cfg.name} + ablation {ablation}")
