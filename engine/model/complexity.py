"""Parameters and FLOPs per component (the paper's Table 8) and CPU latency of the network.

FLOPs are measured with ``torch.utils.flop_counter.FlopCounterMode`` (it counts matmuls and
convolutions, 2 FLOPs per multiply-add; element-wise ops are not counted) for one sample of
``window`` frames × 17 joints. Components follow Table 8:

* adaptive graph convolution: per block the joint aggregation + ``W`` (eq. 5), its BN, the
  per-joint temporal conv that carries the stride and the residual path, plus the input
  embedding (the paper counts the graph-conv unit this way, see ``engine.model.backbone``);
* temporal multi-scale aggregation (eq. 6);
* attention edge weight learning: spatial (eq. 7) and temporal (eq. 8) attention;
* the scoring head: global-local encoder (eqs. 9-12), segmented scoring head (stage
  detector + eqs. 13-14), contrastive bias branch (eq. 16), dual output (eqs. 17-18),
  auxiliary fault head.

Run: ``python -m engine.model.complexity [--window 90] [--config FILE]``.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time

import torch

from engine.config import ModelConfig
from engine.model.network import KineScoreNet

#: component -> regular expressions over module names (relative to the network)
COMPONENTS: dict[str, tuple[str, ...]] = {
    "adaptive graph convolution": (r"backbone\.data_bn", r"backbone\.embed", r"backbone\.movement_embed",
                                   r"backbone\.blocks\.\d+\.gcn\.(weight|B)$", r"backbone\.blocks\.\d+\.gcn$",
                                   r"backbone\.blocks\.\d+\.gcn_bn", r"backbone\.blocks\.\d+\.tcn",
                                   r"backbone\.blocks\.\d+\.residual"),
    "temporal multi-scale aggregation": (r"backbone\.blocks\.\d+\.tms",),
    "attention edge weight learning": (r"backbone\.blocks\.\d+\.gcn\.attention", r"backbone\.blocks\.\d+\.tatt"),
    "global-local joint encoder": (r"head\.encoder", r"head\.movement_embed"),
    "segmented scoring head": (r"head\.stage_detector", r"head\.stage_scorer"),
    "contrastive bias branch": (r"head\.bias_fc",),
    "dual output layers": (r"head\.score_fc", r"head\.grade_fc"),
    "fault head (auxiliary)": (r"head\.fault_fc",),
    "joint contribution (feedback)": (r"head$",),
}
BACKBONE = ("adaptive graph convolution", "temporal multi-scale aggregation",
            "attention edge weight learning")


def _component(name: str) -> str | None:
    for comp, pats in COMPONENTS.items():
        if any(re.match(p, name) for p in pats):
            return comp
    return None


def parameter_table(model: KineScoreNet) -> dict[str, int]:
    out = dict.fromkeys(COMPONENTS, 0)
    for name, p in model.named_parameters():
        comp = _component(name.rsplit(".", 1)[0] if not name.endswith(".B") else name)
        if comp is None:
            raise KeyError(f"parameter {name} belongs to no component")
        out[comp] += p.numel()
    return out


def flop_table(model: KineScoreNet, window: int = 90) -> dict[str, int]:
    """FLOPs per component for one sample (leaf modules attributed once)."""
    from torch.utils.flop_counter import FlopCounterMode

    model.eval()
    x = torch.zeros(1, 3, window, 17)
    mv = torch.zeros(1, dtype=torch.long) if model.config.num_movements else None
    with FlopCounterMode(display=False) as fc, torch.no_grad():
        model(x, mv)
    counts = fc.get_flop_counts()
    total = sum(counts.get("Global", {}).values())
    names = {n for n, _ in model.named_modules() if n}
    own: dict[str, int] = {}
    for key, ops in counts.items():
        name = key.split(".", 1)[1] if "." in key else ""
        if name in names:
            own[name] = sum(ops.values())
    exclusive = dict(own)
    for name, flops in own.items():  # subtract each module from its nearest counted ancestor
        parts = name.split(".")
        for k in range(len(parts) - 1, 0, -1):
            parent = ".".join(parts[:k])
            if parent in own:
                exclusive[parent] -= flops
                break
    out = dict.fromkeys(COMPONENTS, 0)
    for name, flops in exclusive.items():
        comp = _component(name)
        if comp is not None:
            out[comp] += flops
        elif flops:
            out["other"] = out.get("other", 0) + flops
    out["total"] = total
    return out


def latency_ms(model: KineScoreNet, window: int = 90, runs: int = 50, threads: int = 1) -> float:
    """Median wall time of one batch-1 forward pass in torch on this CPU."""
    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    model.eval()
    x = torch.randn(1, 3, window, 17)
    mv = torch.zeros(1, dtype=torch.long) if model.config.num_movements else None
    times = []
    with torch.no_grad():
        for i in range(runs + 5):
            t0 = time.perf_counter()
            model(x, mv)
            if i >= 5:
                times.append((time.perf_counter() - t0) * 1000)
    torch.set_num_threads(old)
    return statistics.median(times)


def markdown(model: KineScoreNet, window: int = 90) -> str:
    params, flops = parameter_table(model), flop_table(model, window)
    total_p = sum(params.values())
    total_f = flops["total"]
    rows = ["| component | parameters | % | MFLOPs | % |", "|---|---|---|---|---|"]

    def row(name, p, f, indent=""):
        rows.append(f"| {indent}{name} | {p:,} | {100 * p / total_p:.1f} | {f / 1e6:,.2f} | "
                    f"{100 * f / total_f:.1f} |")

    row("spatio-temporal backbone (6 blocks)", sum(params[c] for c in BACKBONE),
        sum(flops[c] for c in BACKBONE))
    for c in BACKBONE:
        row(c, params[c], flops[c], "— ")
    head = [c for c in COMPONENTS if c not in BACKBONE]
    row("hierarchical scoring regression module", sum(params[c] for c in head),
        sum(flops[c] for c in head))
    for c in head:
        row(c, params[c], flops[c], "— ")
    if flops.get("other"):
        row("other (outside named modules)", 0, flops["other"])
    row("**total**", total_p, total_f)
    return "\n".join(rows)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--window", type=int, default=90)
    p.add_argument("--config", help="experiment YAML (default: the paper's full width)")
    p.add_argument("--latency", action="store_true", help="also time batch-1 forward passes")
    args = p.parse_args(argv)
    cfg = ModelConfig()
    if args.config:
        from engine.config import load_config

        cfg = load_config(args.config).model
        if cfg.num_movements < 0:
            cfg = ModelConfig(**{**cfg.__dict__, "num_movements": 4})
        if cfg.num_faults < 0:
            cfg = ModelConfig(**{**cfg.__dict__, "num_faults": 0})
    model = KineScoreNet(cfg)
    print(markdown(model, args.window))
    if args.latency:
        for threads in (1, 2):
            print(f"median batch-1 forward, {args.window} frames, {threads} thread(s): "
                  f"{latency_ms(model, args.window, threads=threads):.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
