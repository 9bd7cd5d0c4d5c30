"""One scorer interface, three backends (paper section 7): torch, ONNX Runtime, TensorRT.

``load_scorer(path, backend="auto")`` returns an :class:`engine.scoring.Scorer` whose
``score(joints (T, 17, 3), movement)`` gives the same :class:`engine.scoring.ScoreResult`
(score, grade, grade probabilities, stage scores and bounds, temporal attention, joint
contribution, feedback keys) whatever runs the network:

==============  ===========================================  ==================================
backend         model files                                  where
==============  ===========================================  ==================================
``torch``       the checkpoint ``.pt``                       the reference; training machines
``onnxruntime`` ``.onnx`` (exported from the ``.pt`` on      the CPU fast path on a PC
                first use and cached beside it)
``tensorrt``    ``.onnx`` -> FP16 ``.engine`` (built on      NVIDIA GPUs and Jetson
                first use, cached beside the model)
==============  ===========================================  ==================================

``backend="auto"`` (or the ``KINESCORE_BACKEND`` environment variable) takes TensorRT when it
is installed and a CUDA GPU is visible, else ONNX Runtime, else torch; a backend that fails to
start in auto mode is reported (``scorer.fallback_reason``) and the next one is used. A named
backend either works or raises :class:`BackendError` saying why.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from engine.runtime.base import BackendError, ExportedScorer, ModelMeta, read_onnx_meta

BACKENDS = ("torch", "onnxruntime", "tensorrt")


def backend_status() -> dict[str, tuple[bool, str]]:
    """``{backend: (usable here, reason)}``."""
    import importlib.util

    from engine.runtime.trt import tensorrt_status

    have_ort = importlib.util.find_spec("onnxruntime") is not None
    have_torch = importlib.util.find_spec("torch") is not None
    return {
        "tensorrt": tensorrt_status(),
        "onnxruntime": (have_ort, "onnxruntime installed" if have_ort else "onnxruntime missing"),
        "torch": (have_torch, "torch installed" if have_torch else "torch missing"),
    }


def _one(path: Path, backend: str, window: int | None, threads: int | None, fp16: bool):
    is_onnx = path.suffix.lower() == ".onnx"
    if backend == "torch":
        if is_onnx:
            raise BackendError(f"{path}: the torch backend needs the checkpoint (.pt), not an "
                               f"ONNX file; use backend='onnxruntime' or 'tensorrt'")
        from engine.model.scorer import TorchScorer

        scorer = TorchScorer(str(path), num_threads=threads)
        scorer.backend = "torch"
        return scorer
    if backend not in ("onnxruntime", "tensorrt"):
        raise BackendError(f"unknown backend {backend!r}; use one of {BACKENDS} or 'auto'")
    if is_onnx:
        onnx_path = path
    else:
        from engine.runtime.export import cached_onnx

        onnx_path = cached_onnx(path, window)
    if backend == "onnxruntime":
        from engine.runtime.ort import OnnxRuntimeScorer

        return OnnxRuntimeScorer(onnx_path, threads=threads)
    from engine.runtime.trt import TensorRTScorer

    return TensorRTScorer(onnx_path, fp16=fp16)


def load_scorer(path: str | Path, backend: str = "auto", *, window: int | None = None,
                threads: int | None = None, fp16: bool = True):
    """A scorer for the model at ``path`` (checkpoint ``.pt`` or exported ``.onnx``).

    ``window``: export a checkpoint for this many frames instead of its training window (the
    window rule and fps are the checkpoint's). ``threads``: CPU threads (torch, ONNX Runtime).
    ``fp16``: TensorRT builds a half-precision engine (default, as the paper).
    """
    path = Path(path)
    if not path.exists():
        raise BackendError(f"{path}: model file not found")
    backend = (os.environ.get("KINESCORE_BACKEND") or backend) if backend == "auto" else backend
    if backend != "auto":
        return _one(path, backend, window, threads, fp16)
    status = backend_status()
    order = [b for b in ("tensorrt", "onnxruntime", "torch") if status[b][0]]
    if path.suffix.lower() == ".onnx":
        order = [b for b in order if b != "torch"]
    reasons = []
    for b in order:
        try:
            scorer = _one(path, b, window, threads, fp16)
        except BackendError as exc:
            reasons.append(f"{b}: {exc}")
            warnings.warn(f"backend {b} unavailable, trying the next one: {exc}", stacklevel=2)
            continue
        scorer.fallback_reason = "; ".join(reasons)
        return scorer
    why = "; ".join(reasons) or "; ".join(f"{b}: {r}" for b, (_, r) in status.items())
    raise BackendError(f"{path}: no backend can run this model ({why})")


__all__ = ["BACKENDS", "BackendError", "ExportedScorer", "ModelMeta", "backend_status",
           "load_scorer", "read_onnx_meta"]
