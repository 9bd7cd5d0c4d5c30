"""What every runtime backend shares: the model description carried inside exported files, the
cache locations beside the model, and the scorer base class.

An exported ONNX file is self-describing: its ``metadata_props`` hold ``kinescore`` = JSON of
:class:`ModelMeta` (window rule, movement and fault names, model version, variant), so
ONNX Runtime and TensorRT score attempts without the torch checkpoint.

:class:`ExportedScorer` reuses :class:`engine.model.scorer.TorchScorer` for everything except
running the network (preprocessing, window averaging, grade, stage bounds, feedback keys), so
every backend returns the same :class:`engine.scoring.ScoreResult` fields computed the same way.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from engine.grading import default_grading
from engine.model.scorer import DEFAULT_FAULT_THRESHOLD, ScorerError, TorchScorer
from engine.model.windowing import WindowSpec

#: ``metadata_props`` key of exported files.
META_KEY = "kinescore"
META_FORMAT = "kinescore-onnx"
META_VERSION = 1


class BackendError(RuntimeError):
    """A backend cannot be used here (missing package, no GPU, unreadable model file)."""


@dataclass
class ModelMeta:
    """Everything a scorer needs besides the network itself."""

    window: WindowSpec
    movements: list[str]
    faults: list[str] = field(default_factory=list)
    model_version: str = ""
    uses_movement: bool = False  # the network takes a movement index input
    variant: str = "fp32"  # fp32 | fp16 | int8 (weights / arithmetic of the exported file)
    source: str = ""  # checkpoint file name and hash it was exported from
    fault_threshold: float = DEFAULT_FAULT_THRESHOLD  # fault head probability for feedback
    # a bundle's handcrafted model (engine.model.handcrafted, plain lists), fused in the scorer
    handcrafted: dict | None = None

    def to_json(self) -> str:
        d = asdict(self)
        d["window"] = self.window.to_dict()
        return json.dumps({"format": META_FORMAT, "format_version": META_VERSION, **d})

    @classmethod
    def from_json(cls, text: str, where: str = "model") -> ModelMeta:
        try:
            d = json.loads(text)
            if d.get("format") != META_FORMAT:
                raise ValueError(f"format {d.get('format')!r} is not {META_FORMAT!r}")
            if d.get("format_version") != META_VERSION:
                raise ValueError(f"format version {d.get('format_version')} is not supported "
                                 f"(this KineScore reads {META_VERSION})")
            return cls(window=WindowSpec.from_dict(d["window"]), movements=list(d["movements"]),
                       faults=list(d.get("faults", [])), model_version=str(d["model_version"]),
                       uses_movement=bool(d["uses_movement"]), variant=str(d.get("variant", "fp32")),
                       source=str(d.get("source", "")),
                       fault_threshold=float(d.get("fault_threshold", DEFAULT_FAULT_THRESHOLD)),
                       handcrafted=d.get("handcrafted"))
        except (ValueError, KeyError, TypeError) as exc:
            raise BackendError(f"{where}: invalid KineScore metadata ({exc}); re-export the "
                               f"model with `kinescore-engine export`") from None

    @classmethod
    def from_checkpoint(cls, ck, window: int | None = None, variant: str = "fp32") -> ModelMeta:
        # a window override keeps every other preprocessing choice (keep_root, face_align)
        spec = ck.window if window is None else replace(ck.window, window=window)
        src = Path(ck.path).name if ck.path else ""
        if ck.path and Path(ck.path).exists():
            src += f"@{file_hash(ck.path)}"
        return cls(window=spec, movements=list(ck.movements), faults=list(ck.faults),
                   model_version=ck.model_version, uses_movement=ck.config.model.num_movements > 0,
                   variant=variant, source=src,
                   fault_threshold=float(ck.metrics.get("fault_threshold", DEFAULT_FAULT_THRESHOLD)),
                   handcrafted=ck.handcrafted.to_dict() if ck.handcrafted is not None else None)


def file_hash(path: str | Path, n: int = 12) -> str:
    """First ``n`` hex digits of the file's SHA-256 (cache keys)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:n]


def cache_dir_for(model_path: str | Path) -> Path:
    """Where derived files (ONNX exports, TensorRT engines) of a model are cached: beside the
    model when that folder is writable (a checkout, a Jetson), else the user's data folder
    (a read-only install such as the desktop bundle under Program Files)."""
    folder = Path(model_path).resolve().parent
    if os.access(folder, os.W_OK):
        return folder
    from engine.paths import user_data_dir

    out = user_data_dir() / "cache" / "models"
    out.mkdir(parents=True, exist_ok=True)
    return out


def read_onnx_meta(path: str | Path) -> ModelMeta:
    """The :class:`ModelMeta` stored in an exported ONNX file (without loading the weights)."""
    import onnx

    path = Path(path)
    if not path.exists():
        raise BackendError(f"{path}: model file not found")
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # protobuf decode errors have many types
        raise BackendError(f"{path}: not a readable ONNX file ({type(exc).__name__}: {exc})") from None
    props = {p.key: p.value for p in model.metadata_props}
    if META_KEY not in props:
        raise BackendError(f"{path}: ONNX file without KineScore metadata; export it with "
                           f"`kinescore-engine export` so the window rule and movements travel "
                           f"with it")
    return ModelMeta.from_json(props[META_KEY], str(path))


class ExportedScorer(TorchScorer):
    """Base of the ONNX Runtime and TensorRT scorers: ``run_windows`` is the only difference.

    Subclasses set ``backend`` and implement :meth:`run_windows` ``(windows (n, W, 17, 3)
    float32, movement index or None) -> {output name: (n, ...) array}`` with at least the
    outputs of :data:`engine.model.network.EXPORT_OUTPUTS`.
    """

    backend = "exported"

    def __init__(self, meta: ModelMeta, path: str | Path):
        # TorchScorer.__init__ loads a torch checkpoint; an exported model needs only its meta.
        self.checkpoint = None
        self.model = None
        self.meta = meta
        self.path = Path(path)
        self.spec = meta.window
        self.movements = list(meta.movements)
        self.faults = list(meta.faults)
        self.model_version = meta.model_version
        self.fault_threshold = meta.fault_threshold
        self.grading = default_grading()
        self.handcrafted = None
        if meta.handcrafted is not None:
            from engine.model.handcrafted import HandcraftedError, HandcraftedModel

            try:
                self.handcrafted = HandcraftedModel.from_dict(meta.handcrafted, str(path))
            except HandcraftedError as exc:
                raise BackendError(f"{exc} (re-export it with `kinescore-engine export`)") from None

    def movement_index(self, movement: str) -> int | None:
        if not self.meta.uses_movement:
            return None
        if movement not in self.movements:
            raise ScorerError(f"movement {movement!r} is unknown to model {self.model_version} "
                              f"(trained on {self.movements})")
        return self.movements.index(movement)

    def inputs(self, windows: np.ndarray, movement: int | None) -> dict[str, np.ndarray]:
        """The network's named inputs for ``windows`` (channels-first joints, movement)."""
        x = np.ascontiguousarray(np.asarray(windows, np.float32).transpose(0, 3, 1, 2))
        feeds = {"joints": x}
        if self.meta.uses_movement:
            feeds["movement"] = np.full(len(x), 0 if movement is None else int(movement), np.int64)
        return feeds

    def run_windows(self, windows: np.ndarray, movement: int | None) -> dict:
        raise NotImplementedError
