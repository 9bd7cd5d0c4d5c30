"""``kinescore-engine live-check``: how well the live scorer finds attempts and counts sit-ups
in a stream of simulated students (no model needed).

A stream is built as the demo's simulator device plays it: each simulated attempt (what the
simulated sensor saw, ``engine.simulator.simulate_attempt``) followed by the student keeping
still for ``--gap`` seconds (the last frame held), attempts back to back. The live scorer is
armed again after each attempt, as a teacher does, and the detected attempts are compared
with the true ones: found (a detection overlaps it and no other attempt), missed, split (found
by two detections: the attempt paused long enough to look finished), merged (a detection
spanning two attempts), false (a detection outside every attempt), the mean start and end
offsets of the first detection of each attempt, and sit-up repetitions.
The first attempt counts as well: the stream starts with ``--gap`` seconds of stillness.
"""

from __future__ import annotations

import argparse

import numpy as np


def add_parser(sub: argparse._SubParsersAction, name: str) -> None:
    p = sub.add_parser(name, help="check the live scorer's attempt detection on simulated "
                                  "students", description=__doc__)
    p.add_argument("--attempts", type=int, default=20, help="attempts per movement")
    p.add_argument("--gap", type=float, default=3.5, help="seconds still between attempts")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--movements", nargs="+", default=None, metavar="MOVEMENT")
    p.set_defaults(func=_run)


def simulated_stream(movement: str, attempts: int, gap: float, seed: int):
    """``(timestamps, joints, confidence, true spans [(start, end, reps)])``."""
    from engine.simulator import simulate_attempt

    ts, js, cs, spans = [], [], [], []
    t = 0.0
    dt = 1 / 30

    def still(joints, conf, seconds):
        nonlocal t
        for _ in range(int(round(seconds * 30))):
            t += dt
            ts.append(t)
            js.append(joints)
            cs.append(conf)

    first = simulate_attempt(movement, seed=[seed, 0], student=0, population_seed=seed)
    still(first.recording.joints[0], first.recording.confidence[0], gap)
    for i in range(attempts):
        att = first if i == 0 else simulate_attempt(movement, seed=[seed, i], student=i,
                                                    population_seed=seed)
        rec = att.recording
        start = t + dt
        rt = rec.timestamps - rec.timestamps[0]
        for k in range(rec.num_frames):
            ts.append(start + rt[k])
            js.append(rec.joints[k])
            cs.append(rec.confidence[k])
        t = ts[-1]
        spans.append((start, t, att.repetitions))
        still(rec.joints[-1], rec.confidence[-1], gap)
    return np.array(ts), js, cs, spans


def check(movement: str, attempts: int, gap: float, seed: int) -> dict:
    from engine.live import LiveScorer, Phase

    ts, js, cs, spans = simulated_stream(movement, attempts, gap, seed)
    live = LiveScorer(None)
    live.arm(movement)
    detected = []
    t_first = None
    for t, j, c in zip(ts, js, cs):
        live.feed(t, j, c)
        live.process()
        st = live.state
        if st.phase is Phase.ACTIVE and t_first is None:
            t_first = t - st.elapsed
        if st.phase is Phase.DONE:
            start = t_first if t_first is not None else t - st.elapsed
            detected.append((start, start + st.elapsed, st.repetitions, st.end_reason.value))
            t_first = None
            live.arm(movement)
            live.process()
    merged, false, start_err, end_err, reps_ok, reps_n = 0, 0, [], [], 0, 0
    hits: dict[int, int] = {}
    for a, b, reps, _ in detected:
        over = [k for k, (s, e, _) in enumerate(spans) if a < e and b > s]
        if len(over) > 1:
            merged += 1
        elif not over:
            false += 1
        else:
            k = over[0]
            hits[k] = hits.get(k, 0) + 1
            if hits[k] > 1:
                continue  # the second piece of a split attempt
            start_err.append(a - spans[k][0])
            end_err.append(b - spans[k][1])
            if spans[k][2] is not None:
                reps_n += 1
                reps_ok += int(reps == spans[k][2])
    return {
        "movement": movement, "true": len(spans), "detected": len(detected),
        "found": len(hits), "missed": len(spans) - len(hits), "merged": merged,
        "split": sum(1 for n in hits.values() if n > 1), "false": false,
        "start_offset_s": float(np.mean(start_err)) if start_err else float("nan"),
        "end_offset_s": float(np.mean(end_err)) if end_err else float("nan"),
        "reps_exact": f"{reps_ok}/{reps_n}" if reps_n else "-",
    }


def _run(args: argparse.Namespace) -> int:
    from engine.movements import MOVEMENTS

    movements = args.movements or list(MOVEMENTS)
    print(f"{'movement':20s} {'true':>5s} {'found':>6s} {'missed':>7s} {'split':>6s} "
          f"{'merged':>7s} {'false':>6s} {'start off (s)':>14s} {'end off (s)':>12s} "
          f"{'reps exact':>11s}")
    for mv in movements:
        r = check(mv, args.attempts, args.gap, args.seed)
        print(f"{mv:20s} {r['true']:5d} {r['found']:6d} {r['missed']:7d} {r['split']:6d} "
              f"{r['merged']:7d} {r['false']:6d} {r['start_offset_s']:14.2f} "
              f"{r['end_offset_s']:12.2f} {r['reps_exact']:>11s}")
    return 0
