"""TensorRT backend (NVIDIA GPUs, Jetson): an FP16 engine built from the exported ONNX file.

Written against TensorRT's documented Python API (8.6 as shipped with JetPack 6, and 10.x):

* build: ``trt.Builder`` -> ``create_network`` (explicit batch; the flag is required before
  TensorRT 10 and ignored from 10 on) -> ``trt.OnnxParser.parse`` (errors are reported with
  the parser's messages) -> builder config with ``BuilderFlag.FP16`` when the GPU has fast
  FP16, a workspace limit, and one optimization profile for the dynamic batch
  (min 1, opt ``opt_batch``, max ``max_batch``; window and joints are fixed) ->
  ``build_serialized_network``;
* cache: the serialized engine is written beside the ONNX file (or the user cache when that
  folder is read-only) as ``<onnx stem>.<onnx sha12>.trt<version>.<gpu>.<fp16|fp32>.b<max>.engine``,
  so a new model, a TensorRT upgrade or another GPU builds a new engine; an engine that fails
  to deserialize is rebuilt once;
* run: ``context.set_input_shape`` + ``set_tensor_address`` for every input and output, with
  torch CUDA tensors as device buffers (JetPack's torch has CUDA), ``execute_async_v3`` on a
  dedicated CUDA stream, then one synchronize. Input dtypes follow the engine (TensorRT 8
  turns the int64 ``movement`` input into int32; 10 keeps int64).

Nothing here runs on a machine without TensorRT and an NVIDIA GPU: :func:`tensorrt_status`
says why, and tests skip with that reason.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import numpy as np

from engine.runtime.base import (
    BackendError,
    ExportedScorer,
    cache_dir_for,
    file_hash,
    read_onnx_meta,
)


def tensorrt_status() -> tuple[bool, str]:
    """``(usable, reason)``: TensorRT importable, torch with CUDA, a GPU visible."""
    try:
        import tensorrt as trt
    except ImportError:
        return False, "tensorrt is not installed (JetPack ships it; on a PC: pip install tensorrt)"
    try:
        import torch
    except ImportError:
        return False, "the TensorRT backend uses torch CUDA tensors as buffers; torch is missing"
    if not torch.cuda.is_available():
        return False, f"no CUDA device visible to torch {torch.__version__} (TensorRT {trt.__version__})"
    return True, f"TensorRT {trt.__version__} on {torch.cuda.get_device_name(0)}"


def _require():
    ok, why = tensorrt_status()
    if not ok:
        raise BackendError(f"TensorRT backend unavailable: {why}")
    import tensorrt as trt
    import torch

    return trt, torch


def engine_cache_path(onnx_path: str | Path, fp16: bool = True, max_batch: int = 16) -> Path:
    trt, torch = _require()
    onnx_path = Path(onnx_path)
    gpu = re.sub(r"[^A-Za-z0-9]+", "-", torch.cuda.get_device_name(0)).strip("-").lower()
    name = (f"{onnx_path.stem}.{file_hash(onnx_path)}.trt{trt.__version__}.{gpu}."
            f"{'fp16' if fp16 else 'fp32'}.b{max_batch}.engine")
    return cache_dir_for(onnx_path) / name


def build_engine(onnx_path: str | Path, out: str | Path, *, fp16: bool = True,
                 max_batch: int = 16, opt_batch: int = 1, workspace_mb: int = 512,
                 log=print) -> Path:
    """Build and serialize a TensorRT engine for an exported KineScore ONNX file."""
    trt, _ = _require()
    onnx_path, out = Path(onnx_path), Path(out)
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    major = int(trt.__version__.split(".")[0])
    flags = 0 if major >= 10 else 1 << int(trt.NetworkDefinitionCreationFlag.EXPLICIT_BATCH)
    network = builder.create_network(flags)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse(onnx_path.read_bytes()):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise BackendError(f"{onnx_path}: TensorRT's ONNX parser failed: {errors}")
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, int(workspace_mb) << 20)
    half = fp16 and builder.platform_has_fast_fp16
    if half:
        config.set_flag(trt.BuilderFlag.FP16)
    profile = builder.create_optimization_profile()
    for i in range(network.num_inputs):
        tensor = network.get_input(i)
        rest = tuple(tensor.shape)[1:]  # batch is the only dynamic axis
        profile.set_shape(tensor.name, (1, *rest), (min(opt_batch, max_batch), *rest),
                          (max_batch, *rest))
    config.add_optimization_profile(profile)
    log(f"building TensorRT {trt.__version__} engine ({'FP16' if half else 'FP32'}, batch 1-"
        f"{max_batch}) from {onnx_path.name}; this takes a few minutes on a Jetson")
    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise BackendError(f"{onnx_path}: TensorRT could not build an engine (see the TensorRT "
                           f"messages above)")
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, suffix=".engine.tmp")
    with os.fdopen(fd, "wb") as f:
        f.write(bytes(serialized))
    os.replace(tmp, out)
    return out


class TensorRTScorer(ExportedScorer):
    """Scores attempts with a TensorRT engine built (once, then cached) from an ONNX file."""

    backend = "tensorrt"

    def __init__(self, onnx_path: str | Path, *, fp16: bool = True, max_batch: int = 16,
                 rebuild: bool = False, log=print):
        super().__init__(read_onnx_meta(onnx_path), onnx_path)
        trt, torch = _require()
        self._torch = torch
        self.max_batch = int(max_batch)
        self.engine_path = engine_cache_path(onnx_path, fp16, self.max_batch)
        if rebuild or not self.engine_path.exists():
            build_engine(onnx_path, self.engine_path, fp16=fp16, max_batch=self.max_batch, log=log)
        self._logger = trt.Logger(trt.Logger.WARNING)
        self._runtime = trt.Runtime(self._logger)
        self.engine = self._runtime.deserialize_cuda_engine(self.engine_path.read_bytes())
        if self.engine is None and not rebuild:  # stale or foreign engine file: rebuild once
            build_engine(onnx_path, self.engine_path, fp16=fp16, max_batch=self.max_batch, log=log)
            self.engine = self._runtime.deserialize_cuda_engine(self.engine_path.read_bytes())
        if self.engine is None:
            raise BackendError(f"{self.engine_path}: TensorRT cannot deserialize this engine")
        self.context = self.engine.create_execution_context()
        self.stream = torch.cuda.Stream()
        names = [self.engine.get_tensor_name(i) for i in range(self.engine.num_io_tensors)]
        self.input_names = [n for n in names
                            if self.engine.get_tensor_mode(n) == trt.TensorIOMode.INPUT]
        self.output_names = [n for n in names if n not in self.input_names]
        self._dtypes = {n: np.dtype(trt.nptype(self.engine.get_tensor_dtype(n))) for n in names}

    def _run_batch(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        torch = self._torch
        keep = []  # device tensors must outlive the asynchronous execution
        with torch.cuda.stream(self.stream):
            for name in self.input_names:
                host = np.ascontiguousarray(feeds[name].astype(self._dtypes[name], copy=False))
                dev = torch.from_numpy(host).to("cuda", non_blocking=False)
                self.context.set_input_shape(name, tuple(dev.shape))
                self.context.set_tensor_address(name, dev.data_ptr())
                keep.append(dev)
            outs = {}
            for name in self.output_names:
                shape = tuple(self.context.get_tensor_shape(name))
                dtype = torch.from_numpy(np.zeros(0, self._dtypes[name])).dtype
                # zero-size outputs (no fault head) still get a valid 1-element buffer
                dev = torch.empty(max(int(np.prod(shape)), 1), dtype=dtype, device="cuda")
                self.context.set_tensor_address(name, dev.data_ptr())
                outs[name] = (dev, shape)
            if not self.context.execute_async_v3(self.stream.cuda_stream):
                raise BackendError(f"{self.engine_path}: TensorRT execution failed")
        self.stream.synchronize()
        return {n: d[: int(np.prod(s))].cpu().numpy().reshape(s).astype(np.float32)
                for n, (d, s) in outs.items()}

    def run_windows(self, windows: np.ndarray, movement: int | None) -> dict:
        feeds = self.inputs(windows, movement)
        n = len(windows)
        parts = [self._run_batch({k: v[a:a + self.max_batch] for k, v in feeds.items()})
                 for a in range(0, n, self.max_batch)]
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
