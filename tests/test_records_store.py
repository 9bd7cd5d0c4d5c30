"""The records store: schema, round trips, migration, overrides, results, deletion, backup."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime, timedelta, timezone

import numpy as np
import pytest

from engine.grading import load_grading
from engine.paths import resource
from engine.recording import load_recording
from engine.records import (
    SCHEMA_VERSION,
    NotFoundError,
    RecordsError,
    Store,
    create_demo_class,
)
from engine.records import schema as schema_mod
from tests.records_helpers import make_recording, make_result


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "db.sqlite3")
    yield s
    s.close()


@pytest.fixture
def two_students(store):
    c = store.create_class("高一(3)班", school_year="2024")
    a = store.add_student("2024001", "王浩然", c.id, gender="男", birth_year=2009)
    b = store.add_student("2024002", "Emma Johnson", c.name, gender="F")
    return c, a, b


def test_new_database_pragmas_and_default_path(tmp_path, monkeypatch):
    monkeypatch.setenv("KINESCORE_HOME", str(tmp_path / "home"))
    with Store.open() as s:
        assert s.path == tmp_path / "home" / "kinescore.sqlite3"
        assert s.recordings_dir == tmp_path / "home" / "recordings"
        assert s.schema_version == SCHEMA_VERSION
        con = s._con
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert con.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert [m["key"] for m in s.movements()] == [
            "standing_long_jump", "sit_ups", "free_throw", "overhead_pass"]  # fmt: skip
        keys = [r[0] for r in con.execute("SELECT key FROM movements ORDER BY key")]
        assert sorted(keys) == sorted(m["key"] for m in s.movements())


def test_round_trip_attempt_with_recording(tmp_path, two_students):
    store_path = tmp_path / "db.sqlite3"
    c, a, _ = two_students
    with Store.open(store_path) as s:
        sess = s.start_session(c.id, "sit_ups", device="Azure Kinect", note="lesson 3")
        att = s.add_attempt(
            a.id, "sit_ups", score=make_result(83.26, [80, 81, 85, 86]),
            recording=make_recording(25), device="Azure Kinect", session_id=sess.id,
            repetitions=38,
        )  # fmt: skip
        s.end_session(sess.id)
    with Store.open(store_path) as s:
        got = s.attempt(att.id)
        assert got.status == "scored" and got.movement == "sit_ups"
        assert got.score == pytest.approx(83.26) and got.model_grade == "good"
        assert got.grade == "good" and got.national == "good"
        assert got.stage_scores == (80.0, 81.0, 85.0, 86.0)
        assert got.feedback == ("keep_back_straight",) and got.model_version == "test-1"
        assert got.repetitions == 38 and got.device == "Azure Kinect"
        assert got.session_id == sess.id and s.session(sess.id).ended_at is not None
        assert got.recording_path.is_file() and got.recording_path.is_relative_to(s.recordings_dir)
        assert s.verify_recording(att.id) is None
        assert load_recording(got.recording_path).num_frames == 25
        stored = s._con.execute("SELECT recording_path FROM attempts").fetchone()[0]
        assert not stored.startswith("/")  # relative: the data folder can move
        st = s.student(a.id)
        assert (st.gender, st.birth_year, st.class_name) == ("M", 2009, "高一(3)班")
        assert s.student_by_number("2024002").name == "Emma Johnson"
        assert [x.student_number for x in s.students(c.id)] == ["2024001", "2024002"]
        assert [x.name for x in s.students(search="Emma")] == ["Emma Johnson"]
        assert s.classes()[0].n_students == 2
    # a changed recording is detected by its checksum
    with open(got.recording_path, "r+b") as fh:
        fh.seek(50)
        fh.write(b"\x00\x01\x02")
    with Store.open(store_path) as s:
        assert "checksum" in s.verify_recording(att.id)


def test_validation_errors(store, two_students):
    c, a, _ = two_students
    with pytest.raises(RecordsError, match="already exists"):
        store.add_student("2024001", "Someone", c.id)
    with pytest.raises(RecordsError, match="already exists"):
        store.create_class("高一（3）班")  # full-width brackets are the same class
    with pytest.raises(NotFoundError):
        store.add_student("2024009", "X", "no such class")
    with pytest.raises(RecordsError, match="unknown gender"):
        store.add_student("2024009", "X", c.id, gender="?")
    with pytest.raises(RecordsError, match="unknown movement"):
        store.add_attempt(a.id, "marathon", score=make_result(50))
    with pytest.raises(RecordsError, match="0-100"):
        store.add_attempt(a.id, "sit_ups", score=make_result(120))
    with pytest.raises(RecordsError, match="4 stage scores"):
        store.add_attempt(a.id, "sit_ups", score=make_result(50, [50, 50, 50]))
    assert store.attempts() == []  # failed adds leave nothing behind
    with pytest.raises(RecordsError, match="still has 2 students"):
        store.delete_class(c.id)


def test_override_kept_beside_model_score(store, two_students):
    _, a, _ = two_students
    att = store.add_attempt(a.id, "free_throw", score=make_result(72.0))
    assert (att.grade, att.national) == ("medium", "pass")
    with pytest.raises(RecordsError, match="needs a note"):
        store.override_score(att.id, 91, "  ")
    with pytest.raises(RecordsError, match="0-100"):
        store.override_score(att.id, 101, "typo")
    o = store.override_score(att.id, 91, "ball went in; camera missed the release")
    assert o.score == 72.0 and o.model_grade == "medium"  # the model's result is kept
    assert o.override_score == 91 and o.effective_score == 91 and o.overridden
    assert (o.grade, o.national) == ("excellent", "excellent")
    assert o.override_at is not None and "camera" in o.override_note
    rescored = store.set_score(att.id, make_result(60.0, version="test-2"))
    assert rescored.override_score == 91 and rescored.score == 60 and rescored.model_version == "test-2"
    cleared = store.override_score(att.id, None)
    assert cleared.override_score is None and cleared.grade == "pass" and cleared.override_note == ""


def test_grades_follow_the_thresholds_file(tmp_path, two_students):
    _, a, _ = two_students

    cfg = json.loads(resource("grading.json").read_text(encoding="utf-8"))
    for lv, m in zip(cfg["levels"], (95, 85, 75, 65, 0)):
        lv["min_score"] = m
    cfg["levels"][2]["national"] = "good"  # this school maps "medium" to 良好
    path = tmp_path / "grading.json"
    path.write_text(json.dumps(cfg), encoding="utf-8")
    with Store.open(tmp_path / "db.sqlite3", grading=load_grading(path)) as s:
        att = s.add_attempt(a.id, "sit_ups", score=make_result(80.0))
        assert (att.model_grade, att.grade, att.national) == ("good", "medium", "good")
    with Store.open(tmp_path / "db.sqlite3") as s:
        assert s.attempt(att.id).grade == "good"


def test_grade_uses_the_rounded_score_shown(store, two_students):
    _, a, _ = two_students
    att = store.add_attempt(a.id, "sit_ups", score=make_result(79.96))
    assert att.grade == "good"  # shown as 80.0, so graded as 80.0


def test_results_latest_best_range_and_counts(store, two_students):
    c, a, b = two_students
    t0 = datetime(2024, 9, 2, 9, 0, tzinfo=timezone.utc)
    s1 = store.add_attempt(a.id, "sit_ups", score=make_result(70), started_at=t0)
    s2 = store.add_attempt(a.id, "sit_ups", score=make_result(90), started_at=t0 + timedelta(days=7))
    s3 = store.add_attempt(a.id, "sit_ups", score=make_result(80), started_at=t0 + timedelta(days=14))
    store.add_attempt(a.id, "sit_ups", started_at=t0 + timedelta(days=15))  # unscored: ignored
    store.add_attempt(b.id, "free_throw", score=make_result(55), started_at=t0)

    latest = {(r.student.id, r.movement): r for r in store.results(c.id)}
    assert set(latest) == {(a.id, "sit_ups"), (a.id, "free_throw"), (b.id, "sit_ups"), (b.id, "free_throw")}
    assert latest[(a.id, "sit_ups")].attempt.id == s3.id and latest[(a.id, "sit_ups")].attempt_count == 3
    assert latest[(b.id, "sit_ups")].attempt is None and latest[(b.id, "sit_ups")].attempt_count == 0
    best = {(r.student.id, r.movement): r for r in store.results(c.id, pick="best")}
    assert best[(a.id, "sit_ups")].attempt.id == s2.id
    ranged = store.results(c.id, since=date(2024, 9, 1), until=date(2024, 9, 9), movements=["sit_ups"])
    r = next(x for x in ranged if x.student.id == a.id)
    assert r.attempt.id == s2.id and r.attempt_count == 2
    assert [x.movement for x in ranged] == ["sit_ups", "sit_ups"]
    assert len(store.results(c.id, include_missing=False)) == 2
    # an override can make an older attempt the best
    store.override_score(s1.id, 95, "re-judged from the replay")
    best = {(r.student.id, r.movement): r for r in store.results(c.id, pick="best")}
    assert best[(a.id, "sit_ups")].attempt.id == s1.id
    assert store.latest_result(a.id, "sit_ups").id == s3.id
    assert store.latest_result(b.id, "sit_ups") is None
    with pytest.raises(RecordsError):
        store.results(c.id, pick="median")


def _make_v1_database(path):
    con = sqlite3.connect(path, isolation_level=None)
    schema_mod.migrate(con, target=1)
    con.execute("INSERT INTO classes(name, created_at) VALUES ('一班', '2023-09-01T00:00:00.000000+00:00')")
    con.execute(
        "INSERT INTO students(student_number, name, gender, class_id, created_at) "
        "VALUES ('S1', '李雷', 'M', 1, '2023-09-01T00:00:00.000000+00:00')"
    )
    con.execute(
        "INSERT INTO attempts(student_id, movement, status, started_at, score, grade, stage_scores, "
        "feedback, model_version) VALUES (1, 'standing_long_jump', 'scored', "
        "'2023-09-05T08:00:00.000000+00:00', 88.5, 'good', '[80, 85, 90, 95]', '[]', 'v0')"
    )
    con.close()


def test_migration_from_schema_v1(tmp_path):
    path = tmp_path / "old.sqlite3"
    _make_v1_database(path)
    with Store.open(path) as s:
        assert s.schema_version == SCHEMA_VERSION == 2
        (a,) = s.attempts()
        assert a.score == 88.5 and a.override_score is None and a.repetitions is None
        assert s.student(a.student_id).name == "李雷"
        o = s.override_score(a.id, 60, "foot over the line")
        assert o.effective_score == 60
    bak = tmp_path / "old.sqlite3.v1.bak"
    assert bak.exists()
    con = sqlite3.connect(bak)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 1
    con.close()


def test_failed_migration_rolls_back(tmp_path, monkeypatch):
    path = tmp_path / "old.sqlite3"
    _make_v1_database(path)

    def broken(con):
        con.execute("ALTER TABLE attempts ADD COLUMN override_score REAL")
        raise RuntimeError("disk full")

    monkeypatch.setattr(schema_mod, "MIGRATIONS", [schema_mod.MIGRATIONS[0], broken])
    with pytest.raises(RuntimeError):
        Store.open(path)
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 1
    cols = [r[1] for r in con.execute("PRAGMA table_info(attempts)")]
    assert "override_score" not in cols
    con.close()


def test_refuses_newer_foreign_and_garbage_files(tmp_path):
    newer = tmp_path / "newer.sqlite3"
    con = sqlite3.connect(newer)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.close()
    with pytest.raises(RecordsError, match="newer KineScore"):
        Store.open(newer)
    foreign = tmp_path / "foreign.sqlite3"
    con = sqlite3.connect(foreign)
    con.execute("CREATE TABLE t(x)")
    con.close()
    with pytest.raises(RecordsError, match="not a KineScore database"):
        Store.open(foreign)
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(RecordsError, match="garbage.sqlite3"):
        Store.open(garbage)
    with pytest.raises(RecordsError, match="no records database"):
        Store.open(tmp_path / "missing.sqlite3", create=False)


def test_delete_student_removes_attempts_recordings_and_traces(tmp_path, two_students):
    path = tmp_path / "db.sqlite3"
    _, a, b = two_students
    with Store.open(path) as s:
        kept = s.add_attempt(b.id, "sit_ups", score=make_result(70), recording=make_recording(10))
        gone = [s.add_attempt(a.id, m, score=make_result(80), recording=make_recording(10, m))
                for m in ("sit_ups", "free_throw")]  # fmt: skip
        rec = s.begin_attempt(a.id, "overhead_pass")
        rec.append(*make_recording(5).joints[None, 0], timestamp=0.0)
        rec.close()  # crashed attempt with a journal
        files = [g.recording_path for g in gone] + [rec.journal_path]
        assert all(f.exists() for f in files)
        rep = s.delete_student(a.id)
        assert rep.attempts == 3 and sorted(rep.files_deleted) == sorted(files)
        assert not any(f.exists() for f in files)
        with pytest.raises(NotFoundError):
            s.student(a.id)
        assert [x.id for x in s.attempts()] == [kept.id]
        assert s.verify_recording(kept.id) is None
        assert not (s.recordings_dir / a.student_number).exists()
    # secure_delete + checkpoint: the name is gone from the database files themselves
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("db.sqlite3*"))
    assert "王浩然".encode() not in raw and b"Emma Johnson" in raw


def test_backup_is_consistent_and_checked(tmp_path, store):
    create_demo_class(store, 12, seed=1)
    (tmp_path / "backups").mkdir()
    dest = store.backup(tmp_path / "backups")
    assert dest.parent == tmp_path / "backups" and dest.suffix == ".sqlite3"
    with Store.open(dest) as b:
        assert b.counts() == store.counts()
        assert b._con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert not list((tmp_path / "backups").glob("*.tmp"))
    with pytest.raises(RecordsError, match="must not overwrite"):
        store.backup(store.path)


def test_demo_class(store):
    c = create_demo_class(store, n_students=20, seed=3, attempts_per_movement=2)
    assert c.n_students == 20
    sts = store.students(c.id)
    assert len({s.name for s in sts}) == 20 and {s.gender for s in sts} <= {"M", "F"}
    assert len(store.attempts(class_=c.id)) == 20 * 4 * 2
    res = store.results(c.id)
    assert len(res) == 80 and all(r.attempt is not None and r.attempt_count == 2 for r in res)
    grades = {r.attempt.grade for r in res}
    assert len(grades) >= 3  # a plausible spread, not one grade for everybody
    assert create_demo_class(store, n_students=20, seed=3).id == c.id  # idempotent
    assert store.counts()["students"] == 20
    assert all(np.isfinite(r.attempt.stage_scores).all() for r in res)


def test_update_sessions_delete_and_references(tmp_path, store, two_students):
    c, a, b = two_students
    other = store.create_class("高一(4)班")
    moved = store.update_student(a.id, class_=other.name, name="王 浩然", birth_year="2010")
    assert (moved.class_name, moved.name, moved.birth_year) == ("高一(4)班", "王 浩然", 2010)
    with pytest.raises(RecordsError, match="already exists"):
        store.update_student(a.id, student_number=b.student_number)
    with pytest.raises(RecordsError, match="cannot update"):
        store.update_student(a.id, shoe_size=42)
    s1 = store.start_session(c.id, "free_throw")
    s2 = store.start_session(other.id)
    assert [x.id for x in store.sessions()] == [s2.id, s1.id]
    assert [x.id for x in store.sessions(c.id)] == [s1.id]
    # an existing .ksr is referenced by path and checksum, not copied
    outside = tmp_path / "elsewhere" / "x.ksr"
    from engine.recording import save_recording

    save_recording(make_recording(8), outside)
    ref = store.add_attempt(b.id, "free_throw", recording=outside, session_id=s1.id)
    assert ref.recording_path == outside.resolve() and ref.status == "unscored"
    assert [x.id for x in store.attempts(session_id=s1.id)] == [ref.id]
    outside.unlink()
    assert "missing" in store.verify_recording(ref.id)
    # an unscored attempt the teacher scored by hand counts in the results
    store.override_score(ref.id, 66, "judged by eye; camera failed")
    (r,) = store.results(c.id, movements=["free_throw"], include_missing=False)
    assert r.attempt.id == ref.id and r.attempt.grade == "pass"
    own = store.add_attempt(b.id, "sit_ups", recording=make_recording(5))
    store.delete_attempt(own.id)
    assert not own.recording_path.exists()
    with pytest.raises(NotFoundError):
        store.attempt(own.id)


def test_failed_add_leaves_no_row_and_no_file(store, two_students):
    _, a, _ = two_students
    from engine.recording import RecordingError

    bad = make_recording(5)
    bad.timestamps[3] = bad.timestamps[2]  # not strictly increasing
    with pytest.raises(RecordingError):
        store.add_attempt(a.id, "sit_ups", recording=bad)
    with pytest.raises(RecordsError, match="not found"):
        store.add_attempt(a.id, "sit_ups", recording="/no/such/file.ksr")
    assert store.attempts() == []
    assert not store.recordings_dir.exists() or not any(store.recordings_dir.rglob("*.ksr"))


def test_busy_database_is_a_clear_error(tmp_path, two_students):
    path = tmp_path / "db.sqlite3"
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    try:
        with Store.open(path) as s:
            s._con.execute("PRAGMA busy_timeout = 100")
            with pytest.raises(RecordsError, match="busy"):
                s.create_class("X")
            assert [c.name for c in s.classes()] == ["高一(3)班"]  # reading still works
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_store_shared_between_threads(store, two_students):
    import threading

    _, a, b = two_students
    errors = []

    def work(sid):
        try:
            for i in range(25):
                store.add_attempt(sid, "sit_ups", score=make_result(50 + i))
                store.results(None)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(sid,)) for sid in (a.id, b.id, a.id)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(store.attempts()) == 75


@pytest.mark.parametrize(
    "action",
    ["import-roster", "export-grades", "list", "recover", "backup", "delete-student", "demo"],
)
def test_records_actions_have_help(action, capsys):
    from engine.cli import build_parser

    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["records", action, "--help"])
    assert exc.value.code == 0
    assert f"usage: kinescore-engine records {action}" in capsys.readouterr().out
