"""Benchmark of the records store at school-year scale.

    python -m engine.records.bench [--students 2000] [--attempts 10] [--dir DIR]

Builds a roster of ``--students`` students in classes of 40 (CSV, UTF-8 with BOM, and XLSX),
imports it, inserts ``students x 4 movements x --attempts`` scored attempts, then times the
queries and exports the GUI and ``kinescore-engine records`` use, a backup, a privacy deletion
and one journaled 60 s attempt. Prints one line per figure (wall-clock seconds on this
machine). Everything happens in a temporary folder unless ``--dir`` is given.
"""

from __future__ import annotations

import argparse
import csv
import platform
import sqlite3
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
from tqdm import tqdm

from engine.records.demo import demo_names
from engine.records.schema import MOVEMENT_KEYS
from engine.records.store import Store
from engine.scoring import ScoreResult

CLASS_SIZE = 40


@contextmanager
def timed(label: str, results: list[tuple[str, float, str]], note: str = ""):
    t0 = time.perf_counter()
    yield
    dt = time.perf_counter() - t0
    results.append((label, dt, note))
    print(f"{label:<58} {dt:8.3f} s  {note}", flush=True)


def _per_item(res: list[tuple[str, float, str]], n: int, scale: float, unit: str) -> None:
    """Annotate the last figure with its cost per item."""
    label, dt, _ = res[-1]
    res[-1] = (label, dt, f"{dt / n * scale:.2f} {unit}")
    print(f"{'':<58} {'':>8}    = {res[-1][2]}")


def _roster(n: int, folder: Path) -> tuple[Path, Path]:
    import openpyxl

    names = demo_names(n, seed=1)
    rows = [
        (f"2024{i:05d}", name, "男" if g == "M" else "女", f"高一({i // CLASS_SIZE + 1})班", 2009)
        for i, (name, g) in enumerate(names)
    ]
    header = ("学号", "姓名", "性别", "班级", "出生年份")
    csv_path = folder / "roster.csv"
    with open(csv_path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("名单")
    ws.append(header)
    for r in rows:
        ws.append(r)
    xlsx_path = folder / "roster.xlsx"
    wb.save(xlsx_path)
    return csv_path, xlsx_path


def _result(rng: np.random.Generator, grading) -> ScoreResult:
    score = float(np.clip(rng.normal(75, 12), 0, 100))
    return ScoreResult(
        score=score, grade=grading.grade(score), grade_probs=np.full(5, 0.2),
        stage_scores=np.clip(score + rng.normal(0, 8, 4), 0, 100), stage_bounds=np.zeros((4, 2)),
        temporal_attention=np.ones(1), joint_contribution=np.full(17, 1 / 17),
        feedback=["knees_too_straight", "arms_late"], model_version="bench",
    )  # fmt: skip


def run(n_students: int, n_attempts: int, folder: Path) -> list[tuple[str, float, str]]:
    res: list[tuple[str, float, str]] = []
    rng = np.random.default_rng(0)
    csv_path, xlsx_path = _roster(n_students, folder)
    n_total = n_students * len(MOVEMENT_KEYS) * n_attempts
    print(f"{n_students} students x {len(MOVEMENT_KEYS)} movements x {n_attempts} attempts "
          f"= {n_total} attempts; {platform.machine()}, Python {platform.python_version()}, "
          f"SQLite {sqlite3.sqlite_version}")  # fmt: skip

    with Store.open(folder / "xlsx.sqlite3") as s:
        with timed(f"import roster XLSX ({n_students} students)", res):
            rep = s.import_roster(xlsx_path)
        assert rep.ok and rep.created == n_students, rep.summary()
    store = Store.open(folder / "school.sqlite3")
    with timed(f"import roster CSV ({n_students} students)", res):
        rep = store.import_roster(csv_path)
    assert rep.ok and rep.created == n_students, rep.summary()

    students = store.students()
    grading = store.grading
    t0 = datetime(2024, 9, 1, 8, 0, tzinfo=timezone.utc)
    rows = []
    for st in tqdm(students, desc="generating attempts", leave=False):
        for m in MOVEMENT_KEYS:
            for _ in range(n_attempts):
                t = t0 + timedelta(days=int(rng.integers(0, 280)), seconds=int(rng.integers(0, 36000)))
                rows.append((st.id, m, t, _result(rng, grading)))
    with timed(f"insert {len(rows)} scored attempts (one transaction)", res):
        store.add_attempts_bulk(rows)
    n_single = 200
    with timed(f"insert {n_single} attempts one by one (1 transaction each)", res):
        for i in range(n_single):
            store.add_attempt(students[i].id, "sit_ups", score=_result(rng, grading), started_at=t0)
    _per_item(res, n_single, 1e3, "ms per attempt")

    cls = students[0].class_name
    with timed(f"results of one class ({CLASS_SIZE} students x 4, latest)", res):
        r = store.results(cls)
    assert len(r) == CLASS_SIZE * 4
    with timed("results of one class, best, one month", res):
        store.results(cls, pick="best", since=t0.date(), until=(t0 + timedelta(days=30)).date())
    with timed(f"results of the whole school ({n_students * 4} rows, latest)", res):
        r = store.results(None)
    assert len(r) == n_students * 4
    with timed("one student's history (all attempts)", res):
        store.attempts(student_id=students[7].id)
    with timed("pending recoveries at start-up", res):
        store.pending_recoveries()
    for fmt in ("csv", "xlsx"):
        with timed(f"export one class {fmt.upper()} (+ read back)", res):
            store.export_grades(folder / f"class.{fmt}", cls)
    for fmt in ("csv", "xlsx"):
        with timed(f"export whole school {fmt.upper()}, {n_students * 4} rows (+ read back)", res):
            store.export_grades(folder / f"school.{fmt}", None, pick="best")
    with timed("online backup (SQLite backup API + integrity check)", res):
        store.backup(folder / "backup.sqlite3")
    with timed("delete one student (privacy)", res):
        store.delete_student(students[3].id)

    st = students[10]
    frames = 60 * 30
    joints = rng.normal(0, 0.3, (frames, 17, 3)).astype(np.float32)
    conf = np.ones((frames, 17), np.float32)
    with timed(f"journaled attempt: {frames} frames appended one by one", res):
        rec = store.begin_attempt(st.id, "sit_ups", flush_interval=1.0)
        for k in range(frames):
            rec.append(joints[k], conf[k], k / 30.0)
    _per_item(res, frames, 1e6, "us per frame")
    with timed("finish it: save .ksr + checksum + score (one transaction)", res):
        rec.finish(score=_result(rng, grading))
    n_sync = 300
    with timed(f"worst case: {n_sync} frames, each flushed + fsync'ed", res):
        rec = store.begin_attempt(st.id, "sit_ups", flush_interval=0.0)
        for k in range(n_sync):
            rec.append(joints[k], conf[k], k / 30.0)
    _per_item(res, n_sync, 1e3, "ms per flush")
    rec.abort()
    size = sum(p.stat().st_size for p in folder.glob("school.sqlite3*")) / 2**20
    res.append(("database size (MiB)", size, ""))
    print(f"{'database size':<58} {size:8.1f} MiB")
    store.close()
    return res


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--students", type=int, default=2000)
    p.add_argument("--attempts", type=int, default=10, help="attempts per student and movement")
    p.add_argument("--dir", type=Path, help="work folder (default: a temporary one)")
    args = p.parse_args(argv)
    if args.students < 41:
        p.error("--students must be at least 41 (more than one class)")
    if args.dir:
        args.dir.mkdir(parents=True, exist_ok=True)
        run(args.students, args.attempts, args.dir)
    else:
        with tempfile.TemporaryDirectory() as d:
            run(args.students, args.attempts, Path(d))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
