"""``kinescore-engine bench``: the paper's Table 9 (section 7.2) measured on this machine.

For each window (30 / 60 / 90 / 120 frames = 1-4 s at 30 Hz) and batch (1, 4) it times the
network on every backend variant and prints latency (median and 95th percentile over
``runs`` calls after ``warmup`` calls, milliseconds per call), throughput (samples per
second = batch / median) and whether one call keeps up with 30 Hz capture (the paper's
"real time": latency < 33.3 ms). The calls of all variants of a window are interleaved in
``rounds`` rounds, so that a change of machine load hits every variant alike, and each call's
CPU time in the calling thread is recorded too (``CPU ms``): with one thread it is the call's
cost on an idle core, the figure to trust on a machine shared with other jobs. The fixed-graph ST-GCN of the same depth and widths (every
paper module off, :func:`engine.baselines.stgcn_config`) is timed in the same run on ONNX
Runtime, and each row gives its latency as a ratio to it (``x ST-GCN``).

Variants: ``torch`` (FP32 eager, the reference), ``ort`` (ONNX Runtime FP32), ``ort-pruned``
(15 % of temporal-conv channels removed, :mod:`engine.runtime.prune`), ``ort-int8`` (static
INT8, :func:`engine.runtime.export.to_int8`), ``ort-pruned-int8``, ``ort-fp16`` (float16
arithmetic: an accuracy check on a CPU, not a speed-up), ``stgcn`` (the reference), and
``tensorrt`` / ``tensorrt-pruned`` where TensorRT and a GPU are present.

Only latency is measured here: weights are the given checkpoint's, or random at the widths
of ``--channels``; calibration for INT8 and pruning uses random windows unless a checkpoint
and data are given. Accuracy of the variants: ``kinescore-engine edge-eval``.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from engine import skeleton

DEFAULT_VARIANTS = ("torch", "ort", "ort-pruned", "ort-int8", "stgcn")
ALL_VARIANTS = ("torch", "ort", "ort-pruned", "ort-int8", "ort-pruned-int8", "ort-fp16",
                "tensorrt", "tensorrt-pruned", "stgcn")


@dataclass
class Row:
    window: int
    batch: int
    variant: str
    median_ms: float
    p95_ms: float
    throughput: float  # samples / s
    ratio_stgcn: float = float("nan")  # median / ST-GCN median (same window and batch)
    cpu_ms: float = float("nan")  # median CPU time of the calling thread per call
    cpu_ratio_stgcn: float = float("nan")

    @property
    def realtime(self) -> bool:
        return self.median_ms < 1000.0 / 30.0


def time_calls(fn, runs: int, warmup: int) -> tuple[np.ndarray, np.ndarray]:
    """Wall-clock and calling-thread CPU milliseconds of ``runs`` calls of ``fn()`` after
    ``warmup`` untimed calls.

    With one thread, torch and ONNX Runtime compute in the calling thread, so its CPU time is
    what the call costs on an idle core: on a machine shared with other jobs the wall clock
    also counts the time slices given to them, the CPU time does not. With more threads the
    CPU time covers the calling thread only and is not a latency."""
    for _ in range(warmup):
        fn()
    wall, cpu = np.empty(runs), np.empty(runs)
    for i in range(runs):
        c0, t0 = time.thread_time(), time.perf_counter()
        fn()
        wall[i] = (time.perf_counter() - t0) * 1000.0
        cpu[i] = (time.thread_time() - c0) * 1000.0
    return wall, cpu


def machine_description(threads: int) -> str:
    import os

    import onnxruntime
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = ""
    if hasattr(os, "getloadavg"):
        load = f", load average {os.getloadavg()[0]:.2f} at start"
    return (f"{cpu}, {os.cpu_count()} logical cores{load}; Python {platform.python_version()}, "
            f"torch {torch.__version__}, onnxruntime {onnxruntime.__version__}; "
            f"{threads} thread(s) for torch and ONNX Runtime")


def _models(model, calib_x, calib_mv, ratio, prune: bool):
    """(full, pruned, st-gcn) networks in eval mode; pruned is None unless ``prune``."""
    from engine.baselines import stgcn_config
    from engine.config import ExperimentConfig
    from engine.model.network import KineScoreNet
    from engine.runtime.prune import channel_importance, prune_model

    pruned = None
    if prune:
        pruned, _ = prune_model(model, channel_importance(model, calib_x, calib_mv), ratio)
    stgcn = KineScoreNet(stgcn_config(ExperimentConfig(model=model.config)).model).eval()
    return model.eval(), pruned, stgcn


def run_bench(model, windows=(30, 60, 90, 120), batches=(1, 4), variants=DEFAULT_VARIANTS,
              runs: int = 100, warmup: int = 10, threads: int = 1, prune_ratio: float = 0.15,
              progress: bool = True, workdir: str | Path | None = None,
              rounds: int = 10) -> list[Row]:
    """Time ``model`` (a :class:`KineScoreNet`) and its variants; see module doc."""
    import torch
    from tqdm import tqdm

    torch.set_num_threads(threads)
    unknown = sorted(set(variants) - set(ALL_VARIANTS))
    if unknown:
        raise ValueError(f"unknown variant(s) {unknown}; choose from {ALL_VARIANTS}")
    if any(v.startswith("tensorrt") for v in variants):
        from engine.runtime.trt import tensorrt_status

        ok, why = tensorrt_status()
        if not ok:
            print(f"note: skipping TensorRT variants: {why}")
            variants = [v for v in variants if not v.startswith("tensorrt")]
    from engine.model.network import KineScoreNet

    if not isinstance(model, KineScoreNet) and any("pruned" in v for v in variants):
        print(f"note: skipping the pruned variants: a {type(model).__name__} is not pruned "
              f"as a whole (engine.runtime.prune)")
        variants = [v for v in variants if "pruned" not in v]
    variants = list(variants)
    if "stgcn" not in variants:
        variants.append("stgcn")  # the reference of every ratio
    rng = np.random.default_rng(0)
    joints = skeleton.NUM_JOINTS
    n_mv = max(model.config.num_movements, 0)
    rows: list[Row] = []
    tmp = tempfile.TemporaryDirectory(dir=workdir)
    bar = tqdm(total=len(windows) * len(variants) * len(batches), desc="bench", unit="cell",
               disable=not progress)
    for w in windows:
        calib = rng.normal(0, 1, (32, 3, w, joints)).astype(np.float32)
        calib_mv = (np.arange(32) % max(n_mv, 1)).astype(np.int64)
        nets = dict(zip(("full", "pruned", "stgcn"),
                        _models(model, calib, calib_mv, prune_ratio,
                                prune=any("pruned" in v for v in variants))))
        runners = {v: _runner(v, nets, w, Path(tmp.name), calib, calib_mv, threads, max(batches))
                   for v in variants}
        cells = {}
        for v in variants:
            for b in batches:
                x = rng.normal(0, 1, (b, 3, w, joints)).astype(np.float32)
                mv = (np.arange(b) % max(n_mv, 1)).astype(np.int64)
                cells[(v, b)] = runners[v](x, mv)
                time_calls(cells[(v, b)], 0, warmup)  # warm-up only
        # Interleaved rounds: every cell gets runs/rounds calls per round, so that a change
        # of machine load (other processes) hits all variants alike instead of a few.
        times = {k: [] for k in cells}
        per_round = max(1, runs // rounds)
        for _ in range(max(1, runs // per_round)):
            for k, fn in cells.items():
                times[k].append(time_calls(fn, per_round, 0))
        for (v, b), chunks in times.items():
            ms = np.concatenate([c[0] for c in chunks])
            cpu = np.concatenate([c[1] for c in chunks])
            med = float(np.median(ms))
            rows.append(Row(w, b, v, med, float(np.percentile(ms, 95)), b * 1000.0 / med,
                            cpu_ms=float(np.median(cpu))))
            bar.update(1)
    bar.close()
    tmp.cleanup()
    ref = {(r.window, r.batch): r for r in rows if r.variant == "stgcn"}
    for r in rows:
        r.ratio_stgcn = r.median_ms / ref[(r.window, r.batch)].median_ms
        r.cpu_ratio_stgcn = r.cpu_ms / max(ref[(r.window, r.batch)].cpu_ms, 1e-9)
    return rows


def _runner(v: str, nets: dict, w: int, tmp: Path, calib, calib_mv, threads: int, max_batch: int):
    """``make(x, mv) -> fn()`` running variant ``v`` on one input (see module doc)."""
    import torch

    from engine.model.export import export_onnx
    from engine.runtime.export import to_fp16, to_int8
    from engine.runtime.ort import make_session

    net = nets["stgcn"] if v == "stgcn" else nets["pruned" if "pruned" in v else "full"]
    n_mv = max(net.config.num_movements, 0)
    if v == "torch":
        def make(x, mv):
            xt, mt = torch.from_numpy(x), (torch.from_numpy(mv) if n_mv else None)

            def fn():
                with torch.inference_mode():
                    net(xt, mt)
            return fn
        return make
    base = tmp / f"{v}-w{w}.onnx"
    fp32 = base.with_suffix(".fp32.onnx")
    fp32.write_bytes(export_onnx(net, None, w))
    _with_meta(fp32, net, w)
    if v.startswith("tensorrt"):
        from engine.runtime.trt import TensorRTScorer

        scorer = TensorRTScorer(fp32, fp16=True, max_batch=max_batch, log=lambda *a: None)

        def make(x, mv):
            feeds = {"joints": x, **({"movement": mv} if n_mv else {})}
            return lambda: scorer._run_batch(feeds)
        return make
    path = fp32
    if v.endswith("int8"):
        path = to_int8(fp32, base, calib, calib_mv)
    elif v == "ort-fp16":
        path = to_fp16(fp32, base)
    sess = make_session(path, threads=threads)
    names = {i.name for i in sess.get_inputs()}

    def make(x, mv):
        feeds = {"joints": x, **({"movement": mv} if "movement" in names else {})}
        return lambda: sess.run(None, feeds)
    return make


def _with_meta(path: Path, net, window: int) -> None:
    """Give a bench export the KineScore metadata the FP16/INT8 converters carry over."""
    import onnx

    from engine.model.windowing import WindowSpec
    from engine.runtime.base import ModelMeta
    from engine.runtime.export import _save_atomic, _set_meta

    m = onnx.load(str(path))
    n_mv = net.config.num_movements
    _set_meta(m, ModelMeta(WindowSpec(window), [f"m{i}" for i in range(max(n_mv, 0))],
                           uses_movement=n_mv > 0, model_version="bench"))
    _save_atomic(m, path)


LABELS = {
    "torch": "torch FP32", "ort": "ONNX Runtime FP32", "ort-pruned": "pruned 15 % (ORT FP32)",
    "ort-int8": "INT8 (ORT)", "ort-pruned-int8": "pruned + INT8 (ORT)",
    "ort-fp16": "FP16 (ORT, CPU-emulated)", "tensorrt": "TensorRT FP16",
    "tensorrt-pruned": "pruned + TensorRT FP16", "stgcn": "fixed-graph ST-GCN (ORT FP32)",
}


def format_table(rows: list[Row], cpu: bool = True) -> str:
    """Markdown table; ``cpu`` adds the CPU-time columns (meaningful with one thread)."""
    head = "| frames | s | batch | method | median ms | p95 ms | samples/s | ≥ 30 fps | × ST-GCN |"
    rule = "|---|---|---|---|---|---|---|---|---|"
    if cpu:
        head += " CPU ms | CPU × ST-GCN |"
        rule += "---|---|"
    lines = [head, rule]
    for r in sorted(rows, key=lambda r: (r.batch, r.window)):
        line = (f"| {r.window} | {r.window / 30:.0f} | {r.batch} | {LABELS[r.variant]} | "
                f"{r.median_ms:.2f} | {r.p95_ms:.2f} | {r.throughput:.0f} | "
                f"{'✓' if r.realtime else '✗'} | {r.ratio_stgcn:.2f} |")
        if cpu:
            line += f" {r.cpu_ms:.2f} | {r.cpu_ratio_stgcn:.2f} |"
        lines.append(line)
    return "\n".join(lines)


def time_attempts(checkpoint: str, frames: int = 90, runs: int = 100, threads: int = 1,
                  backends=("onnxruntime", "torch")) -> list[tuple[str, float, float]]:
    """``(backend, median wall ms, median CPU ms)`` of a whole ``scorer.score()`` call on a
    synthetic attempt of ``frames`` frames: preprocessing (gap fill, eq. 2 normalization,
    windowing), the network on every test window, averaging and the result."""
    from engine.runtime import load_scorer

    rng = np.random.default_rng(0)
    joints = np.cumsum(rng.normal(0, 0.01, (frames, 17, 3)), axis=0) + rng.normal(0, 0.2, (1, 17, 3))
    out = []
    for b in backends:
        scorer = load_scorer(checkpoint, b, threads=threads)
        movement = scorer.movements[0] if scorer.movements else "standing_long_jump"
        wall, cpu = time_calls(lambda s=scorer, m=movement: s.score(joints, m), runs, 10)
        out.append((b, float(np.median(wall)), float(np.median(cpu))))
    return out


def plot_rows(rows: list[Row], path: str | Path, title: str = "") -> Path:
    """Latency against window length per variant (the paper's Figure 6), batch 1 and 4:
    CPU ms where measured with one thread, else wall-clock median. PNG, Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    batches = sorted({r.batch for r in rows})
    fig, axes = plt.subplots(1, len(batches), figsize=(5.5 * len(batches), 4), squeeze=False)
    for ax, b in zip(axes[0], batches):
        for v in dict.fromkeys(r.variant for r in rows):
            sel = sorted((r for r in rows if r.variant == v and r.batch == b), key=lambda r: r.window)
            ys = [r.cpu_ms if np.isfinite(r.cpu_ms) else r.median_ms for r in sel]
            ax.plot([r.window for r in sel], ys, marker="o", label=LABELS[v],
                    linestyle="--" if v == "stgcn" else "-")
        ax.axhline(1000 / 30, color="grey", linewidth=0.8, linestyle=":")
        ax.set_xlabel("window (frames at 30 Hz)")
        ax.set_ylabel("ms per call")
        ax.set_title(f"{title} batch {b}".strip())
        ax.set_xticks(sorted({r.window for r in rows}))
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return Path(path)


def _random_checkpoint(model, path: Path) -> Path:
    """A checkpoint of the bench's random network (90-frame resample window, 30 Hz)."""
    from engine.config import DataConfig, ExperimentConfig
    from engine.model.checkpoint import save_checkpoint

    moves = ["free_throw", "overhead_pass", "sit_ups", "standing_long_jump"]
    cfg = ExperimentConfig(name="bench", model=model.config, data=DataConfig(window=90, fps=30.0))
    return save_checkpoint(path, model, cfg, movements=moves[:max(model.config.num_movements, 1)])


def bench_model(checkpoint: str | None, channels: str | None):
    """The network to time: a checkpoint's, or random weights at the given widths."""
    from engine.config import ModelConfig
    from engine.model.network import KineScoreNet

    if checkpoint:
        from engine.model.checkpoint import load_checkpoint

        return load_checkpoint(checkpoint).model.eval(), f"checkpoint {checkpoint}"
    cfg = ModelConfig(num_movements=4)
    if channels:
        widths = tuple(int(c) for c in channels.split(","))
        cfg = replace(cfg, channels=widths)
    import torch

    torch.manual_seed(0)
    model = KineScoreNet(cfg).eval()
    return model, f"random weights, channels {list(cfg.channels)}, 4 movements"


def add_bench(sub: argparse._SubParsersAction, name: str) -> None:
    p = sub.add_parser(name, help="time the model on every backend (the paper's Table 9)",
                       description="Measure inference latency and throughput of the scoring "
                       "network for 30/60/90/120-frame windows, batch 1 and 4, on torch, ONNX "
                       "Runtime, pruned and INT8 variants (and TensorRT where present), with a "
                       "fixed-graph ST-GCN of the same depth timed in the same run.")
    p.add_argument("--checkpoint", help="model.pt to time (default: random weights)")
    p.add_argument("--channels", help="block widths for random weights, e.g. 64,64,128,128,"
                   "256,256 (the paper's; default)")
    p.add_argument("--windows", default="30,60,90,120", help="frames per window (comma list)")
    p.add_argument("--batches", default="1,4", help="batch sizes (comma list)")
    p.add_argument("--variants", default=",".join(DEFAULT_VARIANTS),
                   help=f"comma list from {','.join(ALL_VARIANTS)} or 'all'")
    p.add_argument("--runs", type=int, default=100, help="timed calls per cell (default 100, "
                   "as the paper)")
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--threads", type=int, default=1, help="CPU threads (default 1)")
    p.add_argument("--json", help="also write the rows to this JSON file")
    p.add_argument("--plot", help="also draw latency against window length to this PNG")
    p.add_argument("--attempt", action="store_true", help="also time whole score() calls "
                   "(preprocessing + network + result) on a 90-frame attempt")
    p.set_defaults(func=_bench_cmd)


def _bench_cmd(args: argparse.Namespace) -> int:
    import sys

    from engine.model.checkpoint import CheckpointError

    try:
        model, what = bench_model(args.checkpoint, args.channels)
        variants = ALL_VARIANTS if args.variants == "all" else tuple(
            v.strip() for v in args.variants.split(",") if v.strip())
        windows = tuple(int(w) for w in args.windows.split(","))
        batches = tuple(int(b) for b in args.batches.split(","))
        header = machine_description(args.threads)
        rows = run_bench(model, windows, batches, variants, args.runs, args.warmup, args.threads)
    except (CheckpointError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Model: {what}. Machine: {header}. {args.runs} timed calls per cell.")
    print(format_table(rows, cpu=args.threads == 1))
    if args.plot:
        plot_rows(rows, args.plot, what.split(",")[0] if args.checkpoint else
                  f"channels {args.channels or '64-256'},")
        print(f"plot: {args.plot}")
    if args.attempt:
        print("\nWhole score() call on a 90-frame (3 s) attempt (preprocessing, network on the "
              "test windows, result):")
        print("| backend | median ms | CPU ms |\n|---|---|---|")
        with tempfile.TemporaryDirectory() as tmp:
            ck = args.checkpoint or _random_checkpoint(model, Path(tmp) / "bench.pt")
            for b, wall, cpu in time_attempts(ck, 90, args.runs, args.threads):
                print(f"| {b} | {wall:.2f} | {cpu:.2f} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"model": what, "machine": header,
                                               "rows": [asdict(r) for r in rows]}, indent=1))
    return 0
