"""ONNX Runtime backend: the CPU fast path on a teacher's PC.

Session choices (measured in docs/performance.md): all graph optimizations
(``ORT_ENABLE_ALL``: constant folding, Conv+BN and Conv+activation fusion), sequential
execution, ``intra_op_num_threads`` = 1 by default: a 90-frame window is too small for a
second thread to pay off reliably on a 2-core PC that also runs pose estimation and the GUI;
``threads`` overrides it (``KINESCORE_ORT_THREADS`` too).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from engine.runtime.base import BackendError, ExportedScorer, read_onnx_meta


def make_session(path: str | Path, threads: int | None = None, optimize: bool = True):
    """An ONNX Runtime CPU session with KineScore's settings (see module doc)."""
    try:
        import onnxruntime as ort
    except ImportError:
        raise BackendError("the onnxruntime backend needs the onnxruntime package "
                           "(pip install onnxruntime)") from None
    if threads is None:
        threads = int(os.environ.get("KINESCORE_ORT_THREADS", "1"))
    so = ort.SessionOptions()
    so.intra_op_num_threads = max(1, int(threads))
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = (ort.GraphOptimizationLevel.ORT_ENABLE_ALL if optimize
                                   else ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
    so.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    except Exception as exc:  # ORT raises its own exception types for invalid graphs/files
        raise BackendError(f"{path}: ONNX Runtime cannot load this model "
                           f"({type(exc).__name__}: {exc})") from None


class OnnxRuntimeScorer(ExportedScorer):
    """Scores attempts with an exported ONNX file (see :mod:`engine.runtime.export`)."""

    backend = "onnxruntime"

    def __init__(self, onnx_path: str | Path, threads: int | None = None):
        super().__init__(read_onnx_meta(onnx_path), onnx_path)
        self.session = make_session(onnx_path, threads)
        self.output_names = [o.name for o in self.session.get_outputs()]

    def run_windows(self, windows: np.ndarray, movement: int | None) -> dict:
        outs = self.session.run(None, self.inputs(windows, movement))
        return dict(zip(self.output_names, outs))
