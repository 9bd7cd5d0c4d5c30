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
    "starter": "engine.starter:add_parser",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kinescore-engine",
        description="KineScore headless tools: inspect recordings, synthesize data, train, "
        "evaluate, benchmark and manage class records.",
    )
    parser.add_argument("--version", action="version", version=f"kinescore {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, target in COMMANDS.items():
        module_name, func_name = target.split(":")
        getattr(importlib.import_module(module_name), func_name)(sub, name)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
