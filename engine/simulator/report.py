"""Measure the simulator and draw the figures of ``docs/simulator.md``.

    python -m engine.simulator.report --out docs [--n 600] [--students 180] [--seed 0]

Prints (and returns) the measured figures: time to generate the data set in memory,
label statistics per movement (mean, SD, grade counts, raters' ICC), sit-up repetition
counting accuracy and jump facts; writes ``simulator_sequences.png`` (one clean sequence per
movement: stick figures through the stages and joint-height traces) and
``simulator_scores.png`` (label score distribution per movement with the grade thresholds).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from engine.grading import GRADES, default_grading
from engine.movements import MOVEMENTS, load_movement
from engine.simulator.attempt import simulate_attempt
from engine.simulator.dataset import plan_attempts, simulate_planned
from engine.simulator.kinematics import to_world
from engine.simulator.reps import count_situp_reps, trunk_elevation
from engine.simulator.rubric import icc
from engine.skeleton import EDGES, JOINT_INDEX

STAGE_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728")


def measure(n: int = 600, n_students: int = 180, seed: int = 0, progress: bool = True) -> dict:
    """Generate the data set (as ``generate_dataset`` does) and collect statistics."""
    from tqdm import tqdm

    plans = [p for m in MOVEMENTS for p in plan_attempts(m, n, n_students, seed)]
    t0 = time.perf_counter()
    atts = [simulate_planned(p, seed) for p in tqdm(plans, disable=not progress, desc="simulating")]
    seconds = time.perf_counter() - t0
    stats: dict = {"attempts": len(atts), "seconds": seconds, "movements": {}}
    for mv in MOVEMENTS:
        sub = [a for a in atts if a.movement == mv]
        scores = np.array([a.labels.score for a in sub])
        raters = np.array([a.labels.rater_scores for a in sub])
        frames = np.array([a.recording.num_frames for a in sub])
        st = {
            "scores": scores,
            "mean": float(scores.mean()),
            "sd": float(scores.std()),
            "grades": {g: int(sum(a.labels.grade == g for a in sub)) for g in GRADES},
            "icc": icc(raters),
            "frames": (int(frames.min()), int(frames.max())),
            "faults_per_attempt": float(np.mean([len(a.faults) for a in sub])),
        }
        if mv == "sit_ups":
            ok = [
                count_situp_reps(a.recording.joints, a.recording.confidence) == a.repetitions
                for a in sub
            ]
            st["rep_count_correct"] = (int(sum(ok)), len(ok))
            st["reps_range"] = (min(a.repetitions for a in sub), max(a.repetitions for a in sub))
            # clean trunk elevation at the bottom (start of each curl, end of the last return)
            # and at the top of each repetition: the counter's thresholds need margin to both
            lows, highs = [], []
            for a in sub:
                e = trunk_elevation(a.world_joints)
                idx = np.clip(
                    (np.array(a.info["rep_times"]) * 30).round().astype(int), 0, len(e) - 1
                )
                lows.append(max(e[idx[:, 0]].max(), e[idx[-1, 3]]))
                highs.append(min(e[i0 : i2 + 1].max() for i0, i2 in zip(idx[:, 0], idx[:, 2])))
            st["elevation_bottom_max"] = float(max(lows))
            st["elevation_top_min"] = float(min(highs))
        if mv == "standing_long_jump":
            clean = [a for a in sub if not a.faults]
            st["clean_jump_distance_m"] = (
                float(np.mean([a.info["jump_distance_m"] for a in clean])) if clean else None
            )
            st["jump_distance_m"] = (float(min(a.info["jump_distance_m"] for a in sub)),
                                     float(max(a.info["jump_distance_m"] for a in sub)))  # fmt: skip
        stats["movements"][mv] = st
    return stats


def _local(att):
    """Clean joints back in the student's heading frame (x forward, y up)."""
    return to_world(
        att.world_joints - att.world_joints[:1, :1] * np.array([1, 0, 1]), -att.heading_deg
    )


def figure_sequences(path: Path, seed: int = 3) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(4, 2, figsize=(14, 15), gridspec_kw={"width_ratios": [1.5, 1]})
    for row, mv_key in enumerate(MOVEMENTS):
        mv = load_movement(mv_key)
        att = simulate_attempt(mv_key, seed=seed, student=7, faults={}, sensor=False)
        j = _local(att)
        t = att.times
        ax = axes[row, 0]
        n_show = 14 if mv_key != "sit_ups" else 16
        last = att.stage_bounds[-1, 1]
        frames = np.linspace(0, last - 1, n_show).round().astype(int)
        travel = mv_key in ("standing_long_jump", "sit_ups")  # drawn on top of each other
        for k, f in enumerate(frames):
            p = int(np.searchsorted(att.stage_bounds[:, 1], f, side="right"))
            dx = 0.0 if travel else k * 0.55
            for a, b in EDGES:
                ax.plot([j[f, a, 0] + dx, j[f, b, 0] + dx], [j[f, a, 1], j[f, b, 1]],
                        color=STAGE_COLORS[min(p, 3)], lw=1.4, alpha=0.85)  # fmt: skip
        ax.axhline(0, color="k", lw=0.8)
        ax.set_aspect("equal")
        what = "the first repetition" if mv_key == "sit_ups" else "fault-free attempt"
        ax.set_title(f"{mv.en}: {n_show} frames, side view, {what}", fontsize=10)
        ax.set_xlabel("m")
        for p, st in enumerate(mv.stages):
            ax.plot([], [], color=STAGE_COLORS[p], label=st.en)
        ax.legend(fontsize=8, loc="upper left", ncol=4)
        ax2 = axes[row, 1]
        for name in ("pelvis", "head", "right_wrist", "left_wrist", "right_ankle"):
            ax2.plot(t, j[:, JOINT_INDEX[name], 1], label=name.replace("_", " "))
        for p in range(4):
            s, e = att.stage_bounds[p]
            ax2.axvspan(t[s], t[min(e, len(t) - 1)], color=STAGE_COLORS[p], alpha=0.1)
        ax2.set_xlabel("time (s)")
        ax2.set_ylabel("height above floor (m)")
        ax2.legend(fontsize=7)
        extra = ""
        if att.repetitions:
            extra = f", {att.repetitions} repetitions (stages: the first)"
        elif "jump_distance_m" in att.info:
            extra = f", distance {att.info['jump_distance_m']:.2f} m"
        ax2.set_title(f"joint heights, shaded by stage{extra}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def figure_scores(path: Path, stats: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grading = default_grading()
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.6), sharey=True)
    for ax, mv_key in zip(axes, MOVEMENTS):
        st = stats["movements"][mv_key]
        ax.hist(st["scores"], bins=np.arange(30, 101, 2.5), color="#4c72b0")
        for lv in grading.levels[:-1]:
            ax.axvline(lv.min_score, color=lv.color, lw=1.5)
        counts = ", ".join(f"{g[:4]} {st['grades'][g]}" for g in GRADES)
        ax.set_title(f"{load_movement(mv_key).en}\nmean {st['mean']:.1f}, SD {st['sd']:.1f}; "
                     f"ICC(2,1) {st['icc']['ICC(2,1)']:.2f}", fontsize=9)  # fmt: skip
        ax.set_xlabel(f"label score ({counts})", fontsize=7)
    axes[0].set_ylabel("attempts")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="docs", help="folder for the PNG figures")
    ap.add_argument("--n", type=int, default=600, help="attempts per movement")
    ap.add_argument("--students", type=int, default=180)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stats = measure(args.n, args.students, args.seed)
    print(f"generated {stats['attempts']} attempts in {stats['seconds']:.1f} s "
          f"({1000 * stats['seconds'] / stats['attempts']:.1f} ms each)")  # fmt: skip
    print("movement            mean   SD  " + " ".join(f"{g:>9s}" for g in GRADES)
          + "  ICC(2,1) ICC(2,k) faults/att frames")  # fmt: skip
    for mv, st in stats["movements"].items():
        print(f"{mv:18s} {st['mean']:5.1f} {st['sd']:4.1f}  "
              + " ".join(f"{st['grades'][g]:9d}" for g in GRADES)
              + f"  {st['icc']['ICC(2,1)']:8.3f} {st['icc']['ICC(2,k)']:8.3f} "
              f"{st['faults_per_attempt']:10.2f} {st['frames'][0]}-{st['frames'][1]}")  # fmt: skip
    su = stats["movements"]["sit_ups"]
    print(f"sit-up repetitions counted correctly: {su['rep_count_correct'][0]}/{su['rep_count_correct'][1]}"
          f" (generated {su['reps_range'][0]}-{su['reps_range'][1]} per attempt); clean trunk "
          f"elevation at most {su['elevation_bottom_max']:.1f} deg at the bottom, at least "
          f"{su['elevation_top_min']:.1f} deg at the top")  # fmt: skip
    jp = stats["movements"]["standing_long_jump"]
    print(f"jump distance: {jp['jump_distance_m'][0]:.2f}-{jp['jump_distance_m'][1]:.2f} m, "
          f"fault-free mean {jp['clean_jump_distance_m']:.2f} m")  # fmt: skip
    figure_sequences(out / "simulator_sequences.png")
    figure_scores(out / "simulator_scores.png", stats)
    print(f"wrote {out / 'simulator_sequences.png'} and {out / 'simulator_scores.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
