"""Model checkpoints: the weights plus everything needed to use them correctly.

A checkpoint (``.pt``, a plain dict loadable with ``torch.load(weights_only=True)``) holds

* ``format`` / ``format_version``: ``"kinescore-model"`` / 1;
* ``config``: the *resolved* experiment config (``engine.config.to_dict``), ablation applied;
* ``state_dict``: the network weights;
* ``members``: 1 for one network, ``K >= 2`` for a seed ensemble of ``K`` networks of the
  config (:class:`engine.model.ensemble.KineScoreEnsemble`; absent in older files = 1);
* ``member_overrides`` (optional): per ensemble member, its input-stream fields
  (:data:`engine.model.ensemble.MEMBER_FIELDS`) where members differ (a two-stream bundle);
* ``handcrafted`` (optional): the handcrafted linear model averaged with the networks' score
  (``bundle.fuse``; :class:`engine.model.handcrafted.HandcraftedModel`, plain lists);
* ``joints``: the joint layout the network was trained on (``engine.skeleton.JOINTS``);
* ``preprocess``: the normalization (eq. 2 via ``engine.preprocess.prepare``) and the window
  rule (:class:`engine.model.windowing.WindowSpec`);
* ``movements``: the movement names in embedding order; ``faults``: fault names in head order;
* ``code_version``: KineScore's version and, where available, the git commit;
* ``metrics`` / ``created`` / ``model_version``: provenance shown to users.

:func:`load_checkpoint` validates all of it and raises :class:`CheckpointError` naming the
file and what is wrong (missing, corrupt, another layout, weights that do not fit the config).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import torch

from engine import __version__, skeleton
from engine.config import ConfigError, ExperimentConfig, from_dict, to_dict
from engine.model.ensemble import KineScoreEnsemble, member_overrides
from engine.model.handcrafted import HandcraftedError, HandcraftedModel
from engine.model.network import KineScoreNet
from engine.model.windowing import WindowSpec

FORMAT = "kinescore-model"
FORMAT_VERSION = 1
NORMALIZATION = ("eq. 2: centre = mean of the 17 joints, scale = mean trunk length over the "
                 "4 TORSO_EDGES; missing joints (confidence < 0.5) cubic-spline filled "
                 "(engine.preprocess.prepare)")


class CheckpointError(ValueError):
    pass


def code_version() -> str:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=5, cwd=Path(__file__).resolve().parent)
        if rev.returncode == 0 and rev.stdout.strip():
            return f"{__version__}+g{rev.stdout.strip()}"
    except (OSError, subprocess.SubprocessError):
        pass
    return __version__


@dataclass
class Checkpoint:
    model: KineScoreNet | KineScoreEnsemble
    config: ExperimentConfig
    window: WindowSpec
    movements: list[str]
    faults: list[str] = field(default_factory=list)
    metrics: dict = field(default_factory=dict)
    code_version: str = ""
    model_version: str = ""
    created: str = ""
    path: str = ""
    handcrafted: HandcraftedModel | None = None  # fused with the networks' score when set


def save_checkpoint(path: str | Path, model: KineScoreNet | KineScoreEnsemble,
                    config: ExperimentConfig, *,
                    movements: list[str], faults: list[str] | None = None,
                    metrics: dict | None = None,
                    handcrafted: HandcraftedModel | None = None) -> Path:
    """Write atomically (temp file + rename) so an interrupted save never corrupts a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    digest = hashlib.sha1()
    for k in sorted(state):
        digest.update(k.encode())
        digest.update(state[k].numpy().tobytes())
    hand = handcrafted.to_dict() if handcrafted is not None else None
    if hand is not None:  # a bundle's version covers its handcrafted weights too
        digest.update(json.dumps(hand, sort_keys=True).encode())
    version = code_version()
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "config": to_dict(config),
        "state_dict": state,
        "members": len(model.members) if isinstance(model, KineScoreEnsemble) else 1,
        "joints": list(skeleton.JOINTS),
        "preprocess": {"normalization": NORMALIZATION,
                       "window": WindowSpec.from_config(config.data).to_dict()},
        "movements": list(movements),
        "faults": list(faults or []),
        "code_version": version,
        "metrics": dict(metrics or {}),
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "model_version": f"{config.name}-{digest.hexdigest()[:8]}",
    }
    if isinstance(model, KineScoreEnsemble):
        overrides = member_overrides(model.member_configs)
        own = member_overrides([config.model])[0]
        if any(o != own for o in overrides):
            payload["member_overrides"] = overrides
    if hand is not None:
        payload["handcrafted"] = hand
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)
    return path


def load_checkpoint(path: str | Path) -> Checkpoint:
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"{path}: checkpoint not found")
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # zip/pickle/EOF errors all mean "not a readable checkpoint"
        raise CheckpointError(f"{path}: not a readable KineScore checkpoint (corrupt or "
                              f"truncated file: {type(exc).__name__}: {exc}); re-export or "
                              f"retrain it") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a KineScore model checkpoint (no format "
                              f"{FORMAT!r}); is it a plain state_dict?")
    if raw.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(f"{path}: checkpoint format version {raw.get('format_version')} "
                              f"is not supported (this KineScore reads {FORMAT_VERSION})")
    missing = [k for k in ("config", "state_dict", "joints", "preprocess", "movements")
               if k not in raw]
    if missing:
        raise CheckpointError(f"{path}: checkpoint lacks field(s) {missing}")
    if list(raw["joints"]) != list(skeleton.JOINTS):
        raise CheckpointError(f"{path}: trained on joint layout {list(raw['joints'])}, but this "
                              f"KineScore uses {list(skeleton.JOINTS)}; retrain the model")
    try:
        config = from_dict(raw["config"], f"{path} (stored config)")
    except ConfigError as exc:
        raise CheckpointError(str(exc)) from None
    members = raw.get("members", 1)
    if isinstance(members, bool) or not isinstance(members, int) or members < 1:
        raise CheckpointError(f"{path}: field 'members' must be a positive integer (1 = one "
                              f"network, K = an ensemble of K), got {members!r}")
    overrides = raw.get("member_overrides")
    try:
        model = (KineScoreNet(config.model) if members == 1
                 else KineScoreEnsemble(config.model, members, overrides))
    except (ValueError, TypeError) as exc:
        raise CheckpointError(f"{path}: invalid field 'member_overrides' ({exc})") from None
    handcrafted = None
    if raw.get("handcrafted") is not None:
        try:
            handcrafted = HandcraftedModel.from_dict(raw["handcrafted"], str(path))
        except HandcraftedError as exc:
            raise CheckpointError(str(exc)) from None
    own, stored = model.state_dict(), raw["state_dict"]
    missing = sorted(set(own) - set(stored))
    unexpected = sorted(set(stored) - set(own))
    bad_shapes = [f"{k}: {tuple(v.shape)} vs {tuple(own[k].shape)}" for k, v in stored.items()
                  if k in own and tuple(own[k].shape) != tuple(v.shape)]
    if missing or unexpected or bad_shapes:
        raise CheckpointError(
            f"{path}: weights do not match the stored config (missing {missing[:5]}, "
            f"unexpected {unexpected[:5]}, shape mismatch {bad_shapes[:5]})")
    model.load_state_dict(stored)
    model.eval()
    try:
        window = WindowSpec.from_dict(raw["preprocess"]["window"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{path}: invalid preprocess.window ({exc!r})") from None
    movements = [str(m) for m in raw["movements"]]
    if config.model.num_movements and len(movements) != config.model.num_movements:
        raise CheckpointError(f"{path}: {len(movements)} movement names for an embedding of "
                              f"{config.model.num_movements}")
    return Checkpoint(model=model, config=config, window=window, movements=movements,
                      faults=[str(f) for f in raw.get("faults", [])],
                      metrics=dict(raw.get("metrics", {})),
                      code_version=str(raw.get("code_version", "")),
                      model_version=str(raw.get("model_version", "")),
                      created=str(raw.get("created", "")), path=str(path),
                      handcrafted=handcrafted)
