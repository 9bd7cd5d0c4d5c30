"""``kinescore-engine``: the headless command line.

Each subcommand lives in the module that owns its work; this file only lists them, so that
``--help`` stays fast (modules are imported when their command runs, except to build the
parser, which each module does in a light ``add_parser`` function).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from engine import __version__

#: subcommand -> "module:function" that adds its parser (and sets ``func``).
COMMANDS: dict[str, str] = {
    "inspect": "engine.commands:add_inspect",
    "bench-preprocess": "engine.bench_preprocess:add_parser",
    "records": "engine.records.cli:add_records",
    "train": "engine.train:add_train",
    "eval": "engine.evaluate:add_eval",
    "cv": "engine.evaluate:add_cv",
    "synth": "engine.simulator.cli:add_synth",
    "bench": "engine.runtime.bench:add_bench",
    "export": "engine.runtime.export:add_export",
    "edge-eval": "engine.runtime.edge_eval:add_edge_eval",
    "live-check": "engine.live_check:add_parser",
    "starter": "engine.starter:add_parser",
    "learning-curve": "engine.learning_curve:add_parser",
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The full parser, or (``only``) one with just that command's module imported, so that
    running a command does not import every other command's dependencies (torch, scipy …)."""
    parser = argparse.ArgumentParser(
        prog="kinescore-engine",
        description="KineScore headless tools: inspect recordings, synthesize data, train, "
        "evaluate, benchmark and manage class records.",
    )
    parser.add_argument("--version", action="version", version=f"kinescore {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, target in COMMANDS.items():
        if only is not None and name != only:
            continue
        module_name, func_name = target.split(":")
        getattr(importlib.import_module(module_name), func_name)(sub, name)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    first = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(only=first if first in COMMANDS else None)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
