"""Simulated data sets: the train/val/test split in memory, and ``.ksr`` files on disk.

Plan (:func:`plan_attempts`)
    Like the paper's data set (section 6.1): a population of simulated students (180 by
    default, the same bodies in all movements) is split 6:2:2 *by student* into train, val
    and test (shuffled by the seed), and each movement's attempts are split 6:2:2 too
    (600 -> 360/120/120) and dealt out round-robin to the students of their split, so each
    student has 3-4 attempts per movement and no student appears in two splits.

Seeds
    Attempt ``i`` of movement ``M`` uses ``simulate_attempt(M, seed=[seed, i], student=s,
    population_seed=seed)``: it does not depend on how many other attempts are generated or
    in which order, so any subset regenerates identically.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.datasets import Sample
from engine.movements import MOVEMENTS, load_movement
from engine.recording import save_recording
from engine.simulator.attempt import SimulatedAttempt, simulate_attempt

SPLITS = ("train", "val", "test")
RATIO = (0.6, 0.2, 0.2)


@dataclass(frozen=True)
class PlannedAttempt:
    movement: str
    index: int  # attempt number within the movement
    student: int  # student index in the population
    split: str


def _split_counts(n: int, at_least_one: bool = False) -> list[int]:
    """n split 6:2:2 (rounded); with ``at_least_one`` every split gets one (n >= 3)."""
    lo = 1 if at_least_one else 0
    a = max(lo, int(round(n * RATIO[0])))
    b = max(lo, int(round(n * RATIO[1])))
    a = min(a, n - b - lo)
    return [a, b, n - a - b]


def plan_attempts(movement: str, n: int, n_students: int, seed: int) -> list[PlannedAttempt]:
    """Which student does attempt ``i`` and in which split (see the module docstring)."""
    if n_students < 3:
        raise ValueError("need at least 3 simulated students (one per split)")
    perm = np.random.default_rng([int(seed), 0x5B11]).permutation(n_students)
    s_counts = _split_counts(n_students, at_least_one=True)
    a_counts = _split_counts(n)
    out: list[PlannedAttempt] = []
    s0 = 0
    i = 0
    for split, ns, na in zip(SPLITS, s_counts, a_counts):
        students = perm[s0 : s0 + ns]
        s0 += ns
        for k in range(na):
            out.append(PlannedAttempt(movement, i, int(students[k % ns]), split))
            i += 1
    return out


def simulate_planned(p: PlannedAttempt, seed: int, sensor: bool = True) -> SimulatedAttempt:
    return simulate_attempt(p.movement, seed=[int(seed), p.index], student=p.student,
                            sensor=sensor, population_seed=int(seed))  # fmt: skip


def _progress(items, total: int, desc: str, enabled: bool):
    if not enabled:
        return items
    from tqdm import tqdm

    return tqdm(items, total=total, desc=desc, unit="attempt")


def generate_dataset(
    per_movement: int = 600,
    n_students: int = 180,
    seed: int = 0,
    movements: Iterable[str] = MOVEMENTS,
    sensor: bool = True,
    progress: bool = False,
) -> dict[str, list[Sample]]:
    """The simulated train/val/test set in memory: ``{"train": [...], "val": [...],
    "test": [...]}`` of :class:`engine.datasets.Sample`.

    Defaults reproduce the paper's design: 600 attempts per movement (2,400 in all) by 180
    students, split 6:2:2 by student (1,440 / 480 / 480). Each sample holds the sensor's
    canonical joints (T, 17, 3) in metres with confidence and timestamps, the label
    ``score`` (0-100, mean of three raters), ``stage_scores`` (4,), ``stage_bounds`` (4, 2)
    [start, end) frames, ``movement``, ``subject`` (the simulated student's id) and ``meta``
    with ``faults`` (keys, most costly first), ``fault_magnitudes``, ``grade``, ``raters``
    and, for sit-ups, ``repetitions``. Deterministic in ``seed``."""
    movements = list(movements)
    plans = [p for m in movements for p in plan_attempts(m, per_movement, n_students, seed)]
    out: dict[str, list[Sample]] = {s: [] for s in SPLITS}
    for p in _progress(plans, len(plans), "simulating", progress):
        out[p.split].append(simulate_planned(p, seed, sensor).to_sample())
    return out


LABEL_COLUMNS = ("file", "movement", "student", "split", "score", "grade", "stage_1", "stage_2",
                 "stage_3", "stage_4", "stage_keys", "faults", "repetitions", "frames",
                 "duration_s", "rater_1", "rater_2", "rater_3")  # fmt: skip


def write_synth(
    out_dir: str | Path,
    movements: Iterable[str],
    n: int,
    seed: int,
    n_students: int | None = None,
    sensor: bool = True,
    progress: bool = True,
) -> Path:
    """Write ``n`` recordings per movement as ``<out>/<movement>_<i>.ksr`` plus
    ``<out>/labels.csv`` (one row per recording, columns :data:`LABEL_COLUMNS`; ``faults`` is
    ``key:magnitude`` joined by ``;``). Returns the labels file. Every file is verified by
    reading it back."""
    from engine.recording import load_recording

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    movements = list(movements)
    students = n_students or max(3, int(round(n * 180 / 600)))
    plans = [p for m in movements for p in plan_attempts(m, n, students, seed)]
    rows = []
    for p in _progress(plans, len(plans), "writing", progress):
        att = simulate_planned(p, seed, sensor)
        path = save_recording(att.recording, out / f"{p.movement}_{p.index:05d}.ksr")
        back = load_recording(path)
        if back.num_frames != att.recording.num_frames:
            raise OSError(
                f"{path}: read back {back.num_frames} frames, wrote {att.recording.num_frames}"
            )
        lab = att.labels
        rows.append({
            "file": path.name, "movement": p.movement, "student": att.student.id,
            "split": p.split, "score": f"{lab.score:.3f}", "grade": lab.grade,
            **{f"stage_{i + 1}": f"{x:.3f}" for i, x in enumerate(lab.stage_scores)},
            "stage_keys": ";".join(load_movement(p.movement).stage_keys),
            "faults": ";".join(f"{k}:{att.faults[k]:.3f}" for k in att.fault_keys()),
            "repetitions": "" if att.repetitions is None else att.repetitions,
            "frames": att.recording.num_frames,
            "duration_s": f"{att.recording.duration:.3f}",
            **{f"rater_{i + 1}": f"{x:.3f}" for i, x in enumerate(lab.rater_scores)},
        })  # fmt: skip
    labels = out / "labels.csv"
    tmp = labels.with_name(labels.name + ".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=LABEL_COLUMNS)
        w.writeheader()
        w.writerows(rows)
    tmp.replace(labels)
    with labels.open(encoding="utf-8") as fh:
        n_back = sum(1 for _ in csv.DictReader(fh))
    if n_back != len(rows):
        raise OSError(f"{labels}: read back {n_back} rows, wrote {len(rows)}")
    return labels
