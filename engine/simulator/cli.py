"""``kinescore-engine synth``: write simulated recordings and their labels table."""

from __future__ import annotations

import argparse
import sys

MOVEMENT_CHOICES = ("standing_long_jump", "sit_ups", "free_throw", "overhead_pass", "all")


def add_synth(sub: argparse._SubParsersAction, name: str) -> None:
    p = sub.add_parser(
        name,
        help="simulate students doing a movement and write .ksr recordings plus labels.csv",
        description="Simulate attempts of a movement (students' bodies, faults, three raters' "
        "labels, sensor effects) and write one .ksr recording per attempt and a labels.csv "
        "table into DIR. The same --seed always gives the same data. Students are split "
        "6:2:2 into train/val/test (column 'split').",
    )
    p.add_argument(
        "--movement",
        required=True,
        choices=MOVEMENT_CHOICES,
        help="movement to simulate, or 'all' for the four",
    )
    p.add_argument("--n", type=int, required=True, metavar="N", help="attempts per movement")
    p.add_argument(
        "--seed", type=int, default=0, help="seed of students, faults and noise (default 0)"
    )
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (created if missing)")
    p.add_argument(
        "--students",
        type=int,
        default=None,
        metavar="S",
        help="number of simulated students (default: 0.3 x N, as 180 for 600)",
    )
    p.add_argument(
        "--clean",
        action="store_true",
        help="ideal sensor: no noise, occlusion, dropped frames or time jitter",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_synth)


def _synth(args: argparse.Namespace) -> int:
    import time

    from engine.movements import MOVEMENTS
    from engine.simulator.dataset import write_synth

    if args.n < 1:
        print("error: --n must be at least 1", file=sys.stderr)
        return 2
    if args.students is not None and args.students < 3:
        print("error: --students must be at least 3 (one per split)", file=sys.stderr)
        return 2
    movements = MOVEMENTS if args.movement == "all" else (args.movement,)
    t0 = time.perf_counter()
    try:
        labels = write_synth(args.out, movements, args.n, args.seed, args.students,
                             sensor=not args.clean, progress=not args.quiet)  # fmt: skip
    except OSError as exc:
        print(f"error: could not write to {args.out}: {exc}", file=sys.stderr)
        return 1
    n = args.n * len(movements)
    print(f"wrote {n} recordings and {labels} in {time.perf_counter() - t0:.1f} s")
    return 0
