"""Small subcommands of ``kinescore-engine`` that belong to no bigger module."""

from __future__ import annotations

import argparse
import sys


def add_inspect(sub: argparse._SubParsersAction, name: str) -> None:
    p = sub.add_parser(name, help="print a summary of a recording (.ksr)",
                       description="Validate a KineScore recording and print a summary.")
    p.add_argument("files", nargs="+", metavar="FILE", help="recording file(s)")
    p.set_defaults(func=_inspect)


def _inspect(args: argparse.Namespace) -> int:
    from engine.recording import RecordingError, load_recording, summarize

    status = 0
    for i, f in enumerate(args.files):
        if i:
            print()
        try:
            print(summarize(load_recording(f), f))
        except RecordingError as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = 1
    return status
