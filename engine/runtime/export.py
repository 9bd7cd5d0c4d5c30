"""Deployable ONNX files from a checkpoint: FP32 (verified against torch), FP16 and INT8.

* :func:`export_checkpoint` wraps :func:`engine.model.export.export_onnx` (opset 17, fixed
  window, dynamic batch), stores :class:`engine.runtime.base.ModelMeta` in the file's
  ``metadata_props`` and checks every output against torch with ONNX Runtime on random
  batches of 1 and 3 (``|onnx - torch| <= atol + rtol·|torch|``, 1e-4 both by default).
* :func:`to_fp16`: weights and arithmetic in float16 (inputs and outputs stay float32) with
  ONNX Runtime's own converter (``onnxruntime.transformers.float16``). On a CPU this measures
  the accuracy cost of half precision (what a TensorRT FP16 engine pays on a GPU); it is not a
  CPU speed-up, as x86 ONNX Runtime runs most float16 kernels through float32.
* :func:`to_int8`: static post-training quantization (``onnxruntime.quantization``, QDQ
  format, per-channel int8 weights, uint8 activations, MinMax calibration on real windows).
  Choice: only ``Conv`` and ``Gemm`` are quantized; the attention ``MatMul``/``Softmax``
  path, the adjacency normalization and the scoring layers stay float32 because quantizing
  activation-by-activation products costs accuracy for little time on this model.
* :func:`cached_onnx`: the export of a checkpoint for a window and variant, cached beside the
  model as ``<stem>.<sha12>.w<W>.<variant>.onnx`` (re-exported when the checkpoint changes).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from engine import skeleton
from engine.runtime.base import META_KEY, BackendError, ModelMeta, cache_dir_for, file_hash

VARIANTS = ("fp32", "fp16", "int8")


class ExportError(RuntimeError):
    pass


def _set_meta(model, meta: ModelMeta) -> None:
    for p in list(model.metadata_props):
        if p.key == META_KEY:
            model.metadata_props.remove(p)
    entry = model.metadata_props.add()
    entry.key, entry.value = META_KEY, meta.to_json()
    model.producer_name = "kinescore"


def _save_atomic(model, path: Path) -> Path:
    import onnx

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".onnx.tmp")
    os.close(fd)
    try:
        onnx.save(model, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _load_ck(checkpoint):
    from engine.model.checkpoint import Checkpoint, load_checkpoint

    return checkpoint if isinstance(checkpoint, Checkpoint) else load_checkpoint(checkpoint)


def compare_with_torch(model, onnx_path: str | Path, window: int, batches=(1, 3), seed: int = 0,
                       threads: int = 1) -> dict[str, float]:
    """Largest ``|onnx - torch| / (1 + |torch|)`` per output over random batches."""
    import torch

    from engine.model.network import EXPORT_OUTPUTS
    from engine.runtime.ort import make_session

    sess = make_session(onnx_path, threads=threads)
    names = [o.name for o in sess.get_outputs()]
    uses_movement = any(i.name == "movement" for i in sess.get_inputs())
    rng = np.random.default_rng(seed)
    worst = dict.fromkeys(EXPORT_OUTPUTS, 0.0)
    model.eval()
    for b in batches:
        x = rng.normal(0, 1, (b, 3, window, skeleton.NUM_JOINTS)).astype(np.float32)
        feeds = {"joints": x}
        mv = None
        if uses_movement:
            mv_np = (np.arange(b) % max(model.config.num_movements, 1)).astype(np.int64)
            feeds["movement"] = mv_np
            mv = torch.from_numpy(mv_np)
        got = dict(zip(names, sess.run(None, feeds)))
        with torch.no_grad():
            ref = model(torch.from_numpy(x), mv)
        for name in EXPORT_OUTPUTS:
            r = getattr(ref, name).numpy()
            if r.size:
                worst[name] = max(worst[name],
                                  float(np.max(np.abs(got[name] - r) / (1.0 + np.abs(r)))))
    return worst


def export_checkpoint(checkpoint, path: str | Path, window: int | None = None, *,
                      verify: bool = True, tol: float = 1e-4) -> Path:
    """Export a checkpoint (path or :class:`Checkpoint`) to ``path`` for ``window`` frames
    (default: the checkpoint's window) and check it against torch (see module doc)."""
    import onnx

    from engine.model.export import export_onnx

    ck = _load_ck(checkpoint)
    window = int(window or ck.window.window)
    meta = ModelMeta.from_checkpoint(ck, window)
    model = onnx.load_from_string(export_onnx(ck.model, None, window))
    _set_meta(model, meta)
    path = _save_atomic(model, Path(path))
    if verify:
        worst = compare_with_torch(ck.model, path, window)
        bad = {k: v for k, v in worst.items() if v > tol}
        if bad:
            path.unlink()
            raise ExportError(f"{path}: ONNX outputs differ from torch by more than {tol} "
                              f"(relative to 1+|value|): {bad}")
    return path


def to_fp16(src: str | Path, dst: str | Path) -> Path:
    """Float16 copy of an exported FP32 file (inputs/outputs stay float32)."""
    import onnx
    from onnxruntime.transformers.float16 import convert_float_to_float16

    from engine.runtime.base import read_onnx_meta

    meta = read_onnx_meta(src)
    model = convert_float_to_float16(onnx.load(str(src)), keep_io_types=True)
    meta.variant = "fp16"
    _set_meta(model, meta)
    return _save_atomic(model, Path(dst))


def to_int8(src: str | Path, dst: str | Path, calibration: np.ndarray,
            movements: np.ndarray | None = None, op_types=("Conv", "Gemm")) -> Path:
    """Static INT8 (QDQ) copy of an exported FP32 file, calibrated on ``calibration`` windows
    ``(n, 3, W, 17)`` (channels-first, as the network takes them) and their movement indices."""
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    from engine.runtime.base import read_onnx_meta

    meta = read_onnx_meta(src)
    calibration = np.asarray(calibration, np.float32)
    if calibration.ndim != 4 or calibration.shape[2] != meta.window.window:
        raise ExportError(f"calibration windows must be (n, 3, {meta.window.window}, 17), got "
                          f"{calibration.shape}")

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.i = 0

        def get_next(self):
            if self.i >= len(calibration):
                return None
            feeds = {"joints": calibration[self.i:self.i + 1]}
            if meta.uses_movement:
                mv = 0 if movements is None else int(movements[self.i])
                feeds["movement"] = np.array([mv], np.int64)
            self.i += 1
            return feeds

    dst = Path(dst)
    with tempfile.TemporaryDirectory() as tmp:
        pre = Path(tmp) / "pre.onnx"
        quant_pre_process(str(src), str(pre), skip_symbolic_shape=True)
        out = Path(tmp) / "q.onnx"
        quantize_static(str(pre), str(out), Reader(), quant_format=QuantFormat.QDQ,
                        per_channel=True, weight_type=QuantType.QInt8,
                        activation_type=QuantType.QUInt8, op_types_to_quantize=list(op_types),
                        calibrate_method=CalibrationMethod.MinMax)
        model = onnx.load(str(out))
    meta.variant = "int8"
    _set_meta(model, meta)
    return _save_atomic(model, dst)


def cached_onnx(checkpoint_path: str | Path, window: int | None = None) -> Path:
    """FP32 export of a checkpoint file, cached beside it and keyed by the file's hash."""
    checkpoint_path = Path(checkpoint_path)
    if not checkpoint_path.exists():
        raise BackendError(f"{checkpoint_path}: checkpoint not found")
    ck = None if window else _load_ck(checkpoint_path)
    w = int(window or ck.window.window)
    out = (cache_dir_for(checkpoint_path)
           / f"{checkpoint_path.stem}.{file_hash(checkpoint_path)}.w{w}.fp32.onnx")
    if not out.exists():
        export_checkpoint(ck or checkpoint_path, out, w)
    return out


# --------------------------------------------------------------------------- CLI
FORMATS = ("onnx", "onnx-fp16", "onnx-int8", "tensorrt")


def add_export(sub, name: str) -> None:
    p = sub.add_parser(name, help="export a checkpoint to ONNX (FP32/FP16/INT8) or build its "
                       "TensorRT engine", description="Export a trained checkpoint for "
                       "deployment: ONNX with a fixed window and dynamic batch (checked against "
                       "torch), its FP16 or INT8 copy, or the cached FP16 TensorRT engine.")
    p.add_argument("--checkpoint", required=True, help="model.pt")
    p.add_argument("--format", choices=FORMATS, default="onnx")
    p.add_argument("--window", type=int, help="frames per window (default: the checkpoint's)")
    p.add_argument("--out", help="output file (default: beside the checkpoint; FP32 under the "
                   "cache name <stem>.<sha12>.w<W>.fp32.onnx that load_scorer finds; TensorRT: "
                   "the engine cache beside the model)")
    p.add_argument("--data", help="INT8: dataset whose windows calibrate the activations, in "
                   "the format the checkpoint was trained on (its data.dataset); default: the "
                   "checkpoint's training data path")
    p.add_argument("--rebuild", action="store_true", help="TensorRT: rebuild the cached engine")
    p.set_defaults(func=_export_cmd)


def _calibration_from_data(ck, data: str):
    from engine.runtime.prune import calibration_windows
    from engine.train import load_samples, prepare_items

    samples = load_samples(ck.config.data.dataset, data)
    items = prepare_items([s for s in samples if s.movement in ck.movements], ck.window,
                          ck.movements)
    return calibration_windows(items, ck.window)


def _export_cmd(args) -> int:
    import sys

    from engine.model.checkpoint import CheckpointError, load_checkpoint

    src = Path(args.checkpoint)
    try:
        ck = load_checkpoint(src)
        w = int(args.window or ck.window.window)
        if args.format == "tensorrt":
            from engine.runtime.trt import TensorRTScorer

            scorer = TensorRTScorer(cached_onnx(src, w), rebuild=args.rebuild)
            rng = np.random.default_rng(0)
            joints = np.cumsum(rng.normal(0, 0.01, (w, 17, 3)), axis=0) + rng.normal(0, 0.2, (1, 17, 3))
            r = scorer.score(joints, ck.movements[0] if ck.movements else "standing_long_jump")
            print(f"TensorRT engine: {scorer.engine_path} (test score {r.score:.1f})")
            return 0
        suffix = {"onnx": "fp32", "onnx-fp16": "fp16", "onnx-int8": "int8"}[args.format]
        if suffix == "fp32":
            # default: the cache name load_scorer looks for (keyed by the checkpoint's hash)
            out = export_checkpoint(ck, args.out, w) if args.out else cached_onnx(src, w)
        else:
            out = Path(args.out) if args.out else src.with_name(f"{src.stem}.w{w}.{suffix}.onnx")
            fp32 = cached_onnx(src, w)
        if suffix == "fp16":
            to_fp16(fp32, out)
        elif suffix == "int8":
            data = args.data or ck.config.data.path
            if not data:
                raise ExportError("INT8 needs calibration data: give --data FILE")
            x, mv = _calibration_from_data(ck, data)
            to_int8(fp32, out, x, mv)
    except (CheckpointError, BackendError, ExportError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {out} ({suffix}, window {w}, dynamic batch)")
    return 0
