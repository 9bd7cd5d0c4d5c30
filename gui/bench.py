"""Benchmark of the desktop app under load: ``python -m gui.bench --seconds 60``.

Runs the real main window on the movement simulator with a demo class in a throwaway
database, starting the next attempt as soon as one is saved, so that the live scorer
scores (sliding window and whole attempts) the whole time. It measures

* **view fps**: paints of the live skeleton view per second (a paint-event counter on the
  view's viewport, so only frames that reached the screen count), each second;
* **UI stalls**: a 5 ms timer on the UI thread; a stall is how much later than due it fires
  (the longest is the worst time the window could not react). For the longest ones it also
  reports how much CPU the UI thread itself used meanwhile: little means the thread was
  waiting (for the GIL, or for a core on a busy machine), not working;
* **memory**: the process's resident set size every 5 s (``/proc/self/status``);

and prints a summary and writes a figure (``--plot``). The model is the bundled one when
``resources/models/`` has one, else ``--model random``: the full-size network of the default
configuration with random weights, which costs the same CPU as a trained one (its scores are
meaningless and are never shown to anybody: this is a load test).

Run it under Xvfb (``xvfb-run -a python -m gui.bench``) or with ``QT_QPA_PLATFORM=offscreen``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import time
from pathlib import Path


def rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def random_model(folder: Path) -> Path:
    """A full-size network with random weights, saved as a checkpoint (load test only)."""
    import torch

    from engine.config import ExperimentConfig
    from engine.model.checkpoint import save_checkpoint
    from engine.model.network import KineScoreNet
    from engine.movements import MOVEMENTS

    torch.manual_seed(0)
    cfg = ExperimentConfig(name="random-load-test")
    net = KineScoreNet(cfg.model)
    return save_checkpoint(folder / "random.pt", net, cfg, movements=list(MOVEMENTS))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m gui.bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=60.0, help="length of the session")
    p.add_argument("--warmup", type=float, default=5.0, help="seconds not counted at the start")
    p.add_argument("--movement", default="standing_long_jump")
    p.add_argument("--model", default="bundled", help="'bundled', 'random' or a model file")
    p.add_argument("--plot", metavar="PNG", help="write a figure of the run")
    p.add_argument("--json", metavar="FILE", help="write the measurements as JSON")
    args = p.parse_args(argv)

    os.environ.setdefault("KINESCORE_HOME", tempfile.mkdtemp(prefix="kinescore-bench-"))
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    from engine.live import Phase
    from gui.main_window import MainWindow
    from gui.services import find_bundled_model
    from gui.settings import Settings

    app = QApplication.instance() or QApplication(sys.argv[:1])
    tmp = Path(tempfile.mkdtemp(prefix="kinescore-bench-"))
    model = args.model
    if model == "bundled":
        found = find_bundled_model()
        model = str(found) if found else "random"
    if model == "random":
        model = str(random_model(tmp))
    settings = Settings(model=model, movement=args.movement, language="en")
    win = MainWindow(settings, database=tmp / "bench.sqlite3", demo=True, device="simulator",
                     persist=False)
    win.resize(1440, 860)
    win.show()

    class PaintCounter(QObject):
        n = 0

        def eventFilter(self, obj, ev):  # noqa: N802 - Qt name
            if ev.type() == QEvent.Type.Paint:
                self.n += 1
            return False

    counter = PaintCounter()
    win.live_panel.view.viewport().installEventFilter(counter)

    t_start = time.monotonic()
    # bounded memory, so that the benchmark does not measure its own growth
    hist = [0] * 1001  # lateness histogram, 1 ms bins (the last bin: 1 s or more)
    per_second: list[tuple[float, float]] = []  # (t, worst lateness in that second)
    worst: list[tuple[float, float, float]] = []  # the 10 longest stalls: (late, t, ui cpu)
    fps: list[tuple[float, float, float]] = []  # (t, view paints/s, device fps)
    mem: list[tuple[float, float]] = []
    attempts = {"saved": 0, "scored": 0}
    last = {"tick": time.monotonic(), "cpu": time.thread_time(), "paints": 0,
            "sec": t_start, "take": 0, "sec_worst": 0.0}
    tick_ms = 5
    load_start = os.getloadavg()[0]
    gc_full = {"n": 0, "max_ms": 0.0, "t0": 0.0}

    def on_gc(phase, info):  # full collections stop every thread: count and time them
        if info.get("generation") != 2:
            return
        if phase == "start":
            gc_full["t0"] = time.perf_counter()
        else:
            gc_full["n"] += 1
            gc_full["max_ms"] = max(gc_full["max_ms"], 1000 * (time.perf_counter() - gc_full["t0"]))

    gc.callbacks.append(on_gc)

    def tick():
        now, cpu = time.monotonic(), time.thread_time()
        late = now - last["tick"] - tick_ms / 1000
        ui_cpu = cpu - last["cpu"]  # what the UI thread itself ran during the gap
        last["tick"], last["cpu"] = now, cpu
        if now - t_start >= args.warmup:
            hist[min(int(max(late, 0) * 1000), 1000)] += 1
            last["sec_worst"] = max(last["sec_worst"], late)
            if len(worst) < 10 or late > worst[-1][0]:
                worst.append((late, now - t_start, ui_cpu))
                worst.sort(reverse=True)
                del worst[10:]
        if now - last["sec"] >= 1.0:
            src = win.controller.source
            dev = src.measured_fps if src is not None else 0.0
            fps.append((now - t_start, (counter.n - last["paints"]) / (now - last["sec"]), dev))
            per_second.append((now - t_start, last["sec_worst"]))
            last["paints"], last["sec"], last["sec_worst"] = counter.n, now, 0.0
        st = win.controller.live.state
        if st.phase is Phase.DONE and st.take != last["take"]:
            last["take"] = st.take
            attempts["saved"] += st.saved is not None
            attempts["scored"] += st.final is not None
        if (not win.armed and win.controller.source is not None
                and win.roster.current_student() is not None and now - t_start > 2):
            win.toggle_attempt()  # the next student, at once

    def sample_memory():  # no gc.collect() here: a full collection stalls the UI ~300 ms
        mem.append((time.monotonic() - t_start, rss_mb()))

    timer = QTimer()
    timer.setInterval(tick_ms)
    timer.timeout.connect(tick)
    timer.start()
    mem_timer = QTimer()
    mem_timer.setInterval(5000)
    mem_timer.timeout.connect(sample_memory)
    mem_timer.start()
    sample_memory()
    QTimer.singleShot(int(args.seconds * 1000), win.close)
    app.exec()

    view = [f for t, f, _ in fps if t >= args.warmup]
    dev = [d for t, _, d in fps if t >= args.warmup]
    mem_after = [m for t, m in mem if t >= args.warmup]
    n = sum(hist)

    def pct(q):
        acc = 0
        for ms, c in enumerate(hist):
            acc += c
            if acc >= q * n:
                return float(ms)
        return float("nan")

    summary = {
        "seconds": args.seconds,
        "warmup_s": args.warmup,
        "load_average_start": load_start,
        "load_average_end": os.getloadavg()[0],
        "model": Path(model).name,
        "model_loaded": win.scorer is not None,
        "attempts_saved": attempts["saved"],
        "attempts_scored": attempts["scored"],
        "view_fps_mean": sum(view) / max(len(view), 1),
        "view_fps_min_1s": min(view) if view else float("nan"),
        "device_fps_mean": sum(dev) / max(len(dev), 1),
        "ui_stall_max_ms": 1000 * worst[0][0] if worst else float("nan"),
        "ui_stall_p99_ms": pct(0.99),
        "ui_stall_p999_ms": pct(0.999),
        "ui_stalls_over_50ms": sum(hist[51:]),
        "ui_ticks": n,
        "gc_full_collections": gc_full["n"],
        "gc_full_max_ms": gc_full["max_ms"],
        "rss_mb_start": mem_after[0] if mem_after else float("nan"),
        "rss_mb_end": mem_after[-1] if mem_after else float("nan"),
        "rss_mb_max": max(mem_after) if mem_after else float("nan"),
    }
    for k, v in summary.items():
        print(f"{k:30s} {v:.1f}" if isinstance(v, float) else f"{k:30s} {v}")
    print("longest stalls (ms late, at s, of which the UI thread ran ms):")
    for late, t, ui_cpu in worst[:5]:
        print(f"  {1000 * late:7.1f} at {t:6.1f} s, UI thread ran {1000 * ui_cpu:6.1f} ms")
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"summary": summary, "fps": fps, "memory": mem, "worst_stalls": worst,
             "stall_per_second": per_second}, indent=1))
    if args.plot:
        plot(args.plot, fps, per_second, mem, summary)
    return 0


def plot(path, fps, per_second, mem, summary) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 3, figsize=(13, 3.6))
    ax[0].plot([t for t, _, _ in fps], [f for _, f, _ in fps], label="view paints/s")
    ax[0].plot([t for t, _, _ in fps], [d for _, _, d in fps], label="device fps", alpha=0.7)
    ax[0].axhline(30, color="grey", ls="--", lw=0.8)
    ax[0].set(xlabel="s", ylabel="frames per second", title="Live view while scoring")
    ax[0].legend()
    ax[1].plot([t for t, _ in per_second], [1000 * s for _, s in per_second], lw=0.6)
    ax[1].axhline(50, color="red", ls="--", lw=0.8)
    ax[1].set(xlabel="s", ylabel="ms late (worst per second)",
              title="UI thread: 5 ms timer lateness")
    ax[2].plot([t for t, _ in mem], [m for _, m in mem], marker=".")
    ax[2].set(xlabel="s", ylabel="RSS MiB", title="Memory")
    fig.suptitle(f"{summary['seconds']:.0f} s session, {summary['attempts_scored']} attempts "
                 f"scored (model {summary['model']})")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
