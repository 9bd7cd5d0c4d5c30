"""Attempts in progress: journaling, crash recovery (a killed writer process), concurrency."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from engine.recording import load_recording
from engine.records import RecordsError, Store
from engine.records.journal import JournalWriter, is_locked, read_journal
from tests.records_helpers import make_frames, make_result

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def setup(tmp_path):
    s = Store.open(tmp_path / "db.sqlite3")
    c = s.create_class("Class 1")
    st = s.add_student("S001", "李雷", c.id, gender="M")
    yield s, st
    s.close()


def test_finish_saves_recording_and_removes_journal(setup):
    s, st = setup
    j, c, ts = make_frames(40)
    with s.begin_attempt(st.id, "standing_long_jump", device="Orbbec Femto", frame_rate=30) as rec:
        assert s.attempt(rec.attempt_id).status == "in_progress"
        for k in range(40):
            rec.append(j[k], c[k], ts[k])
        rec.append_imu(np.zeros((3, 7)) + np.arange(3)[:, None])
        journal = rec.journal_path
        assert journal.exists() and is_locked(journal)
        assert s.pending_recoveries() == []  # being recorded: not a crash
        a = rec.finish(score=make_result(77.5))
    assert not journal.exists()
    assert a.status == "scored" and a.score == 77.5 and not a.recovered
    r = load_recording(a.recording_path)
    np.testing.assert_allclose(r.joints, j)
    np.testing.assert_allclose(r.timestamps, ts)
    assert r.meta.student_id == "S001" and r.meta.device_name == "Orbbec Femto"
    assert r.imu.shape == (3, 7)
    assert s.verify_recording(a.id) is None
    with pytest.raises(RecordsError, match="already finished"):
        rec.append(j[0], c[0], 99.0)


def test_unscored_finish_then_rescore_and_abort(setup):
    s, st = setup
    j, c, ts = make_frames(5)
    rec = s.begin_attempt(st.id, "sit_ups")
    rec.append(j, c, ts)
    a = rec.finish()
    assert a.status == "unscored" and a.score is None and a.grade is None
    b = s.set_score(a.id, make_result(64.0), repetitions=31)
    assert (b.status, b.grade, b.repetitions) == ("scored", "pass", 31)
    rec2 = s.begin_attempt(st.id, "sit_ups")
    rec2.append(j, c, ts)
    path = rec2.journal_path
    rec2.abort()
    assert not path.exists() and [x.id for x in s.attempts()] == [a.id]


def test_journal_flush_interval_and_torn_tail(tmp_path):
    j, c, ts = make_frames(30)
    w = JournalWriter(tmp_path / "a.ksj", {"movement": "sit_ups"}, flush_interval=3600)
    for k in range(10):
        w.append(j[k], c[k], ts[k])
    assert read_journal(w.path).num_frames == 0  # buffered, interval not reached
    w.flush_interval = 0.0
    for k in range(10, 20):
        w.append(j[k], c[k], ts[k])  # each append now flushes
    got = read_journal(w.path)
    assert got.num_frames == 20 and not got.torn_tail
    np.testing.assert_array_equal(got.joints, j[:20])
    w.close()
    size = w.path.stat().st_size
    with open(w.path, "r+b") as fh:  # a crash in the middle of the last write
        fh.truncate(size - 100)
    got = read_journal(w.path)
    assert got.torn_tail and got.num_frames == 19
    np.testing.assert_array_equal(got.timestamps, ts[:19])


def test_pending_recovery_recover_and_discard(tmp_path):
    path = tmp_path / "db.sqlite3"
    j, c, ts = make_frames(60)
    with Store.open(path) as s:
        cl = s.create_class("C")
        st = s.add_student("S1", "韩梅梅", cl.id, gender="F")
        r1 = s.begin_attempt(st.id, "free_throw", device="webcam", flush_interval=0)
        r1.append(j[:50], c[:50], ts[:50])
        r1.append(j[50], c[50], ts[49])  # a repeated timestamp: dropped on recovery
        r2 = s.begin_attempt(st.id, "sit_ups")
        # the app "crashes": the store closes without finishing (journals stay on disk)
    with Store.open(path) as s:
        pending = {p.attempt.id: p for p in s.pending_recoveries()}
        assert set(pending) == {r1.attempt_id, r2.attempt_id}
        p1, p2 = pending[r1.attempt_id], pending[r2.attempt_id]
        assert p1.frames == 51 and p1.problem is None and p1.student.name == "韩梅梅"
        assert p2.frames == 0 and "no frame" in p2.problem
        with pytest.raises(RecordsError, match="cannot be recovered"):
            s.recover(r2.attempt_id)
        s.discard_recovery(r2.attempt_id)
        a = s.recover(r1.attempt_id)
        assert a.status == "unscored" and a.recovered and a.score is None
        rec = load_recording(a.recording_path)
        assert rec.num_frames == 50 and rec.meta.extra["recovered_from_journal"]
        assert rec.meta.extra["dropped_frames"] == 1 and rec.meta.device_name == "webcam"
        np.testing.assert_allclose(rec.joints, j[:50])
        assert s.pending_recoveries() == []
        assert not list(s.journal_dir.glob("*.ksj"))
        assert s.set_score(a.id, make_result(88)).grade == "good"
        with pytest.raises(RecordsError, match="not a pending recovery"):
            s.recover(a.id)


WRITER = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    from engine.records import Store
    s = Store.open(sys.argv[1])
    st = s.student_by_number("S001")
    rec = s.begin_attempt(st.id, "sit_ups")  # default: flushed every second
    print("attempt", rec.attempt_id, flush=True)
    t0 = time.monotonic()
    k = 0
    while True:
        t = time.monotonic() - t0
        rec.append(np.full((17, 3), k, np.float32), np.ones(17, np.float32), t)
        print("appended", k, repr(t), flush=True)
        k += 1
        time.sleep(0.01)
    """
)


def test_killed_writer_loses_at_most_the_last_second(setup):
    s, st = setup
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(s.path)], stdout=subprocess.PIPE,
                            text=True, env=env, cwd=REPO)  # fmt: skip
    try:
        attempt_id = int(proc.stdout.readline().split()[1])
        last_t = 0.0
        deadline = time.monotonic() + 60
        while last_t < 2.5 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line, "writer died"
            last_t = float(line.split()[2])
        assert s.pending_recoveries() == []  # alive: its journal is locked
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with Store.open(s.path) as s2:
        (p,) = s2.pending_recoveries()
        assert p.attempt.id == attempt_id
        a = s2.recover(attempt_id)
        rec = load_recording(a.recording_path)
    # every frame appended more than a second before the last one we saw is on disk
    assert rec.timestamps[-1] >= last_t - 1.0
    assert rec.num_frames >= 2
    k = rec.joints[:, 0, 0].astype(int)
    assert (np.diff(k) == 1).all() and k[0] == 0  # complete frames, in order, none torn


READER_WRITER = textwrap.dedent(
    """
    import sys, time
    from datetime import datetime, timezone
    from engine.records import Store
    sys.path.insert(0, sys.argv[2])
    from tests.records_helpers import make_result
    s = Store.open(sys.argv[1])
    ids = [x.id for x in s.students()]
    print("ready", flush=True)
    t_end = time.monotonic() + float(sys.argv[3])
    n = 0
    while time.monotonic() < t_end:
        now = datetime.now(timezone.utc)
        s.add_attempts_bulk([(ids[i % len(ids)], "sit_ups", now, make_result(50 + i)) for i in range(10)])
        n += 10
    print("wrote", n, flush=True)
    """
)


def test_reader_and_backup_while_a_writer_writes(setup, tmp_path):
    s, st = setup
    for i in range(2, 6):
        s.add_student(f"S{i:03d}", f"Student {i}", "Class 1")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", READER_WRITER, str(s.path), str(REPO), "2.0"],
                            stdout=subprocess.PIPE, text=True, env=env, cwd=REPO)  # fmt: skip
    try:
        assert proc.stdout.readline().strip() == "ready"
        seen = []
        backups = []
        t_end = time.monotonic() + 1.5
        while time.monotonic() < t_end:
            n = s.counts()["attempts"]
            assert n % 10 == 0  # never half a transaction
            seen.append(n)
            res = s.results("Class 1", movements=["sit_ups"])
            assert sum(r.attempt_count for r in res) % 10 == 0
            if len(backups) < 2 and n > 0:
                backups.append(s.backup(tmp_path / f"b{len(backups)}.sqlite3"))
        total = int(proc.stdout.readline().split()[1])
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert seen == sorted(seen) and seen[-1] > 0
    assert s.counts()["attempts"] == total
    for b in backups:
        with Store.open(b) as bs:
            assert bs.counts()["attempts"] % 10 == 0
