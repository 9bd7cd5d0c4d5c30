"""The teacher's records: an SQLite store of classes, students, sessions and attempts.

Open a store with :meth:`Store.open` (default path: ``engine.paths.default_database_path()``,
in the platform's user data folder; ``KINESCORE_HOME`` moves it). The connection runs with
``foreign_keys=ON``, ``journal_mode=WAL`` (readers never block the writer and vice versa,
also across processes), ``synchronous=FULL`` (a committed score survives a power loss) and
``secure_delete=ON`` (deleted students' data is overwritten in the file, not just unlinked).
Every write is one ``BEGIN IMMEDIATE`` transaction. A store may be shared between threads
(calls are serialised by a lock).

Recordings are files (``.ksr``, :mod:`engine.recording`) referenced by path and SHA-256
checksum; paths inside the recordings folder are stored relative to it, so the data folder
can be moved as a whole. An attempt in progress is journaled (:mod:`engine.records.journal`)
so that a crash loses at most its last second; :meth:`Store.pending_recoveries` lists such
attempts at the next start and :meth:`Store.recover` turns one into a recording.

Scores: the model's score, five-level grade, stage scores, feedback and model version are
stored as the model gave them; a teacher's override (score + note) is stored beside them, never
over them. :attr:`Attempt.effective_score` is the override when there is one. The grade shown
and exported (:attr:`Attempt.grade`) is computed from the effective score with the thresholds
of ``resources/grading.json`` (:mod:`engine.grading`) at the time the store reads it, so an
edited threshold file applies to all attempts alike; the model's own grade stays in
:attr:`Attempt.model_grade`.

Times are stored as UTC ISO-8601 text (fixed width, so text order is time order) and returned
as timezone-aware :class:`datetime.datetime`. Date ranges given as :class:`datetime.date` are
local calendar days, both ends inclusive.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np

from engine.grading import Grading, default_grading
from engine.recording import Recording, RecordingMeta, save_recording
from engine.records import roster as _roster
from engine.records.journal import (
    SUFFIX as JOURNAL_SUFFIX,
)
from engine.records.journal import (
    JournalError,
    JournalWriter,
    is_locked,
    read_journal,
)
from engine.records.schema import MOVEMENT_KEYS, MOVEMENTS, SCHEMA_VERSION, migrate, schema_version
from engine.scoring import ScoreResult


class RecordsError(ValueError):
    """A records operation that cannot be done; the message says why and what to do."""


class NotFoundError(RecordsError, KeyError):
    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


# ----------------------------------------------------------------------------- value types


@dataclass(frozen=True)
class ClassInfo:
    id: int
    name: str
    school_year: str
    created_at: datetime
    n_students: int = 0


@dataclass(frozen=True)
class Student:
    id: int
    student_number: str
    name: str
    gender: str  # "M", "F" or "" (unknown)
    birth_year: int | None
    class_id: int
    class_name: str


@dataclass(frozen=True)
class Session:
    id: int
    class_id: int | None
    movement: str | None
    device: str
    note: str
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class Attempt:
    id: int
    student_id: int
    movement: str
    session_id: int | None
    status: str  # "in_progress", "unscored" (recorded, not scored yet) or "scored"
    started_at: datetime
    finished_at: datetime | None
    device: str
    recording_path: Path | None  # absolute
    recording_sha256: str | None
    model_version: str
    score: float | None  # the model's score, 0-100
    model_grade: str | None  # the model's five-level grade
    stage_scores: tuple[float, ...] | None  # 4 stage scores, 0-100
    feedback: tuple[str, ...]
    repetitions: int | None  # sit-ups: counted repetitions
    override_score: float | None  # the teacher's score, kept beside the model's
    override_note: str
    override_at: datetime | None
    recovered: bool  # rebuilt from a crash journal
    grade: str | None  # five-level grade of effective_score under the current thresholds
    national: str | None  # national four-level key ("excellent", "good", "pass", "fail")

    @property
    def effective_score(self) -> float | None:
        return self.override_score if self.override_score is not None else self.score

    @property
    def overridden(self) -> bool:
        return self.override_score is not None


@dataclass(frozen=True)
class StudentResult:
    """One student's result in one movement: the chosen (latest or best) attempt."""

    student: Student
    movement: str
    attempt: Attempt | None  # None when the student has no scored attempt in the range
    attempt_count: int  # scored attempts in the range


@dataclass(frozen=True)
class PendingRecovery:
    """An attempt whose writer died (crash, power loss) with its journal on disk."""

    attempt: Attempt
    student: Student
    journal_path: Path
    frames: int
    duration: float  # seconds
    torn_tail: bool
    problem: str | None  # why it cannot be recovered (then it can only be discarded)


@dataclass(frozen=True)
class DeleteReport:
    student_number: str
    attempts: int
    files_deleted: list[Path]
    files_missing: list[Path]


# ----------------------------------------------------------------------------- helpers

_ATTEMPT_COLS = (
    "id, student_id, movement, session_id, status, started_at, finished_at, device, "
    "recording_path, recording_sha256, journal_path, recovered, model_version, score, grade, "
    "stage_scores, feedback, override_score, override_note, override_at, repetitions"
)

_ATTEMPT_COLS_A = ", ".join("a." + c.strip() for c in _ATTEMPT_COLS.split(","))


def _ts(dt: datetime | None = None) -> str:
    """UTC, fixed-width ISO text (naive datetimes are local time)."""
    dt = datetime.now(timezone.utc) if dt is None else dt
    if dt.tzinfo is None:
        dt = dt.astimezone()
    return dt.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _dt(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _range_bounds(since: date | datetime | None, until: date | datetime | None) -> tuple[str, str]:
    """Half-open UTC text bounds; a ``date`` is a whole local day (``until`` inclusive)."""
    lo = "0000"
    hi = "9999"
    if since is not None:
        if not isinstance(since, datetime):
            since = datetime.combine(since, time.min)
        lo = _ts(since)
    if until is not None:
        if not isinstance(until, datetime):
            until = datetime.combine(until + timedelta(days=1), time.min)
        hi = _ts(until)
    return lo, hi


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _check_movement(movement: str) -> str:
    if movement not in MOVEMENT_KEYS:
        raise RecordsError(f"unknown movement {movement!r}; known: {', '.join(MOVEMENT_KEYS)}")
    return movement


def _check_score(value: float, what: str) -> float:
    value = float(value)
    if not math.isfinite(value) or not 0.0 <= value <= 100.0:
        raise RecordsError(f"{what} must be a number within 0-100, got {value!r}")
    return value


# ----------------------------------------------------------------------------- the store


class Store:
    """The records database. Use :meth:`open`; close with :meth:`close` or a ``with`` block."""

    def __init__(
        self,
        con: sqlite3.Connection,
        path: Path,
        recordings_dir: Path,
        journal_dir: Path,
        grading: Grading,
    ):
        self._con = con
        self.path = path
        self.recordings_dir = recordings_dir
        self.journal_dir = journal_dir
        self.grading = grading
        self._lock = threading.RLock()
        self._active: dict[int, AttemptRecorder] = {}

    # ------------------------------------------------------------------ opening, closing

    @classmethod
    def open(
        cls,
        path: str | os.PathLike | None = None,
        *,
        recordings_dir: str | os.PathLike | None = None,
        grading: Grading | None = None,
        create: bool = True,
    ) -> Store:
        """Open (creating and migrating as needed) the database at ``path``.

        ``path`` defaults to ``engine.paths.default_database_path()``; recordings go to
        ``recordings_dir`` (default: ``recordings/`` beside the database, which for the default
        path is ``engine.paths.recordings_dir()``) and journals of attempts in progress to
        ``journal/`` beside the database. An older schema is backed up to
        ``<name>.v<N>.bak`` and upgraded; a newer one is refused.
        """
        if path is None:
            from engine.paths import default_database_path

            path = default_database_path()
        path = Path(path)
        if not path.exists():
            if not create:
                raise RecordsError(f"{path}: no records database there")
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = sqlite3.connect(
                path, timeout=30.0, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise RecordsError(f"{path}: cannot open the database ({exc})") from exc
        try:
            con.execute("PRAGMA busy_timeout = 30000")
            version = schema_version(con)
            if version == 0 and con.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                raise RecordsError(f"{path}: an SQLite file that is not a KineScore database")
            if version > SCHEMA_VERSION:
                raise RecordsError(
                    f"{path}: written by a newer KineScore (schema {version}, this version "
                    f"reads up to {SCHEMA_VERSION}); update KineScore to open it"
                )
            mode = con.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise RecordsError(f"{path}: cannot switch to WAL mode (got {mode!r})")
            con.execute("PRAGMA foreign_keys = ON")
            con.execute("PRAGMA synchronous = FULL")
            con.execute("PRAGMA secure_delete = ON")
            if 0 < version < SCHEMA_VERSION:
                backup = path.with_name(f"{path.name}.v{version}.bak")
                dst = sqlite3.connect(backup)
                try:
                    con.backup(dst)
                finally:
                    dst.close()
            migrate(con)
        except sqlite3.DatabaseError as exc:
            con.close()
            raise RecordsError(f"{path}: not a readable SQLite database ({exc})") from exc
        except BaseException:
            con.close()
            raise
        rec_dir = Path(recordings_dir) if recordings_dir else path.parent / "recordings"
        return cls(con, path, rec_dir, path.parent / "journal", grading or default_grading())

    def close(self) -> None:
        with self._lock:
            for rec in list(self._active.values()):
                rec.close()  # journals stay: the attempts become pending recoveries
            if self._con is not None:
                self._con.close()
                self._con = None  # type: ignore[assignment]

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return schema_version(self._con)

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._con is None:
                raise RecordsError(f"{self.path}: the store is closed")
            try:
                self._con.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise RecordsError(
                    f"{self.path}: the database is busy ({exc}); another program is writing to "
                    "it -- try again in a moment"
                ) from exc
            try:
                yield self._con
                self._con.execute("COMMIT")
            except BaseException:
                self._con.execute("ROLLBACK")
                raise

    def _q(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row | tuple]:
        with self._lock:
            if self._con is None:
                raise RecordsError(f"{self.path}: the store is closed")
            return self._con.execute(sql, params).fetchall()

    # ------------------------------------------------------------------ classes

    def create_class(self, name: str, school_year: str = "") -> ClassInfo:
        name = _roster.normalize_class_name(name)
        if not name:
            raise RecordsError("a class needs a name")
        try:
            with self._tx() as con:
                cid = con.execute(
                    "INSERT INTO classes(name, school_year, created_at) VALUES (?, ?, ?)",
                    (name, school_year, _ts()),
                ).lastrowid
        except sqlite3.IntegrityError:
            raise RecordsError(f"a class named {name!r} already exists") from None
        return self.get_class(cid)

    def get_class(self, key: int | str) -> ClassInfo:
        """A class by id or by name."""
        col = "c.id" if isinstance(key, int) else "c.name"
        if isinstance(key, str):
            key = _roster.normalize_class_name(key)
        rows = self._q(
            "SELECT c.id, c.name, c.school_year, c.created_at, "
            "(SELECT count(*) FROM students s WHERE s.class_id = c.id) "
            f"FROM classes c WHERE {col} = ?",
            (key,),
        )
        if not rows:
            raise NotFoundError(f"no class {key!r}")
        r = rows[0]
        return ClassInfo(r[0], r[1], r[2], _dt(r[3]), r[4])

    def classes(self) -> list[ClassInfo]:
        rows = self._q(
            "SELECT c.id, c.name, c.school_year, c.created_at, count(s.id) FROM classes c "
            "LEFT JOIN students s ON s.class_id = c.id GROUP BY c.id ORDER BY c.name"
        )
        return [ClassInfo(r[0], r[1], r[2], _dt(r[3]), r[4]) for r in rows]

    def delete_class(self, class_id: int) -> None:
        """Delete an empty class (move or delete its students first)."""
        cls = self.get_class(class_id)
        if cls.n_students:
            raise RecordsError(
                f"class {cls.name!r} still has {cls.n_students} students; delete or move them first"
            )
        with self._tx() as con:
            con.execute("DELETE FROM classes WHERE id = ?", (class_id,))

    # ------------------------------------------------------------------ students

    def _class_id(self, cls: int | str) -> int:
        return self.get_class(cls).id

    def add_student(
        self,
        student_number: str,
        name: str,
        class_: int | str,
        *,
        gender: str = "",
        birth_year: int | None = None,
    ) -> Student:
        """Add one student to a class (id or name). Values are checked like roster cells."""
        try:
            number = _roster.normalize_student_number(student_number)
            name = _roster.normalize_name(name)
            gender = _roster.normalize_gender(gender)
            birth_year = _roster.normalize_birth_year(birth_year)
        except ValueError as exc:
            raise RecordsError(f"student {student_number!r}: {exc}") from None
        class_id = self._class_id(class_)
        try:
            with self._tx() as con:
                sid = con.execute(
                    "INSERT INTO students(student_number, name, gender, birth_year, class_id, "
                    "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (number, name, gender, birth_year, class_id, _ts()),
                ).lastrowid
        except sqlite3.IntegrityError:
            raise RecordsError(f"student number {number!r} already exists") from None
        return self.student(sid)

    def update_student(self, student_id: int, **fields: Any) -> Student:
        """Change ``name``, ``gender``, ``birth_year``, ``student_number`` or ``class_``."""
        allowed = {"name", "gender", "birth_year", "student_number", "class_"}
        if set(fields) - allowed:
            raise RecordsError(f"cannot update {sorted(set(fields) - allowed)}; allowed: {sorted(allowed)}")
        self.student(student_id)
        cols: dict[str, Any] = {}
        try:
            if "name" in fields:
                cols["name"] = _roster.normalize_name(fields["name"])
            if "gender" in fields:
                cols["gender"] = _roster.normalize_gender(fields["gender"])
            if "birth_year" in fields:
                cols["birth_year"] = _roster.normalize_birth_year(fields["birth_year"])
            if "student_number" in fields:
                cols["student_number"] = _roster.normalize_student_number(fields["student_number"])
        except ValueError as exc:
            raise RecordsError(f"student {student_id}: {exc}") from None
        if "class_" in fields:
            cols["class_id"] = self._class_id(fields["class_"])
        if cols:
            try:
                with self._tx() as con:
                    con.execute(
                        f"UPDATE students SET {', '.join(f'{k} = ?' for k in cols)} WHERE id = ?",
                        (*cols.values(), student_id),
                    )
            except sqlite3.IntegrityError:
                raise RecordsError(f"student number {cols.get('student_number')!r} already exists") from None
        return self.student(student_id)

    _STUDENT_SQL = (
        "SELECT s.id, s.student_number, s.name, s.gender, s.birth_year, s.class_id, c.name "
        "FROM students s JOIN classes c ON c.id = s.class_id"
    )

    def student(self, student_id: int) -> Student:
        rows = self._q(self._STUDENT_SQL + " WHERE s.id = ?", (student_id,))
        if not rows:
            raise NotFoundError(f"no student with id {student_id}")
        return Student(*rows[0])

    def student_by_number(self, student_number: str) -> Student:
        number = _roster._norm_text(student_number)
        rows = self._q(self._STUDENT_SQL + " WHERE s.student_number = ?", (number,))
        if not rows:
            raise NotFoundError(f"no student with number {number!r}")
        return Student(*rows[0])

    def students(self, class_: int | str | None = None, search: str | None = None) -> list[Student]:
        """Students of a class (or all), ordered by student number; ``search`` matches a part
        of the name or number."""
        where, params = [], []
        if class_ is not None:
            where.append("s.class_id = ?")
            params.append(self._class_id(class_))
        if search:
            where.append("(s.name LIKE ? OR s.student_number LIKE ?)")
            params += [f"%{search}%"] * 2
        sql = self._STUDENT_SQL + (" WHERE " + " AND ".join(where) if where else "")
        return [Student(*r) for r in self._q(sql + " ORDER BY s.student_number", params)]

    def delete_student(self, student_id: int) -> DeleteReport:
        """Privacy deletion: the student, every attempt and every recording file (and a video
        the recording names) are removed. The rows go in one transaction; the files are
        deleted after it commits, so a failure never leaves rows pointing at deleted files."""
        st = self.student(student_id)
        attempts = self.attempts(student_id=student_id)
        files: list[Path] = []
        for a in attempts:
            if a.id in self._active:
                raise RecordsError(
                    f"student {st.student_number} has an attempt being recorded; stop it first"
                )
            if a.recording_path is not None:
                files.append(a.recording_path)
                video = _recording_video(a.recording_path)
                if video is not None:
                    files.append(video)
            jp = self._journal_path_of(a.id)
            if jp is not None:
                files.append(jp)
        with self._tx() as con:
            con.execute("DELETE FROM attempts WHERE student_id = ?", (student_id,))
            con.execute("DELETE FROM students WHERE id = ?", (student_id,))
        deleted, missing = [], []
        for f in files:
            try:
                f.unlink()
                deleted.append(f)
            except FileNotFoundError:
                missing.append(f)
        folder = self.recordings_dir / st.student_number
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
        with self._lock:  # move the freed pages' old contents out of the WAL as well
            self._con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return DeleteReport(st.student_number, len(attempts), deleted, missing)

    # ------------------------------------------------------------------ roster

    def import_roster(
        self,
        path: str | os.PathLike,
        *,
        class_name: str | None = None,
        mapping: dict[str, str | int] | None = None,
        encoding: str | None = None,
        sheet: str | None = None,
        update_existing: bool = False,
        dry_run: bool = False,
    ) -> _roster.ImportReport:
        """Import students from a CSV or XLSX roster (see :mod:`engine.records.roster`).

        All or nothing: if any row is bad, ``report.errors`` lists every bad row with its row
        number and reason and nothing is written. ``class_name`` is the class for rows without
        a class cell (required when the file has no class column); classes are created as
        needed. A student number already in the database is a bad row unless
        ``update_existing`` is set, in which case name, gender, birth year and class are
        updated. ``dry_run`` checks everything and writes nothing. Raises
        :class:`~engine.records.roster.RosterError` if the file cannot be read at all.
        """
        report = _roster.read_roster(
            path, mapping=mapping, encoding=encoding, sheet=sheet, default_class=class_name
        )
        report.dry_run = dry_run
        with self._lock:
            existing = {
                r[0]: r[1:]
                for r in self._q(
                    "SELECT s.student_number, s.id, s.name, s.gender, s.birth_year, c.name "
                    "FROM students s JOIN classes c ON c.id = s.class_id"
                )
            }
            known_classes = {c.name: c.id for c in self.classes()}
            inserts, updates = [], []
            for row in report.rows:
                old = existing.get(row.student_number)
                if old is None:
                    inserts.append(row)
                    continue
                if not update_existing:
                    report.errors.append(
                        _roster.RowError(
                            row.row, "student_number", row.student_number,
                            f"already in the records ({old[1]}, class {old[4]}); choose "
                            "'update existing students' to overwrite",
                        )
                    )  # fmt: skip
                    continue
                if (old[1], old[2], old[3], old[4]) == (
                    row.name, row.gender, row.birth_year, row.class_name
                ):
                    report.unchanged += 1
                else:
                    updates.append((old[0], row))
            report.errors.sort(key=lambda e: e.row)
            report.created, report.updated = len(inserts), len(updates)
            new_classes = sorted({r.class_name for r in report.rows} - set(known_classes))
            report.classes_created = new_classes
            if report.errors or dry_run:
                return report
            now = _ts()
            with self._tx() as con:
                for name in new_classes:
                    known_classes[name] = con.execute(
                        "INSERT INTO classes(name, school_year, created_at) VALUES (?, '', ?)",
                        (name, now),
                    ).lastrowid
                con.executemany(
                    "INSERT INTO students(student_number, name, gender, birth_year, class_id, "
                    "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        (r.student_number, r.name, r.gender, r.birth_year,
                         known_classes[r.class_name], now)
                        for r in inserts
                    ],
                )  # fmt: skip
                con.executemany(
                    "UPDATE students SET name = ?, gender = ?, birth_year = ?, class_id = ? "
                    "WHERE id = ?",
                    [
                        (r.name, r.gender, r.birth_year, known_classes[r.class_name], sid)
                        for sid, r in updates
                    ],
                )
            report.written = True
        return report

    # ------------------------------------------------------------------ sessions

    def start_session(
        self,
        class_: int | str | None = None,
        movement: str | None = None,
        *,
        device: str = "",
        note: str = "",
    ) -> Session:
        """A testing session (a PE lesson): groups the attempts recorded in it."""
        class_id = None if class_ is None else self._class_id(class_)
        if movement is not None:
            _check_movement(movement)
        with self._tx() as con:
            sid = con.execute(
                "INSERT INTO sessions(class_id, movement, device, note, started_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (class_id, movement, device, note, _ts()),
            ).lastrowid
        return self.session(sid)

    def end_session(self, session_id: int) -> Session:
        self.session(session_id)
        with self._tx() as con:
            con.execute(
                "UPDATE sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL",
                (_ts(), session_id),
            )
        return self.session(session_id)

    def session(self, session_id: int) -> Session:
        rows = self._q(
            "SELECT id, class_id, movement, device, note, started_at, ended_at FROM sessions "
            "WHERE id = ?",
            (session_id,),
        )
        if not rows:
            raise NotFoundError(f"no session {session_id}")
        r = rows[0]
        return Session(r[0], r[1], r[2], r[3], r[4], _dt(r[5]), _dt(r[6]))

    def sessions(self, class_: int | str | None = None) -> list[Session]:
        sql = "SELECT id, class_id, movement, device, note, started_at, ended_at FROM sessions"
        params: list[Any] = []
        if class_ is not None:
            sql += " WHERE class_id = ?"
            params.append(self._class_id(class_))
        rows = self._q(sql + " ORDER BY started_at DESC, id DESC", params)
        return [Session(r[0], r[1], r[2], r[3], r[4], _dt(r[5]), _dt(r[6])) for r in rows]

    # ------------------------------------------------------------------ attempts

    def _attempt_from_row(self, r: Sequence[Any]) -> Attempt:
        (aid, student_id, movement, session_id, status, started, finished, device, rpath, sha,
         _journal, recovered, model_version, score, grade, stages, feedback, o_score, o_note,
         o_at, reps) = r  # fmt: skip
        eff = o_score if o_score is not None else score
        # graded at the 0.1 precision the teacher sees, so "80.0" is never shown as "medium"
        eff_grade = None if eff is None else self.grading.grade(round(eff, 1))
        return Attempt(
            id=aid, student_id=student_id, movement=movement, session_id=session_id,
            status=status, started_at=_dt(started), finished_at=_dt(finished), device=device,
            recording_path=None if rpath is None else self._resolve(rpath),
            recording_sha256=sha, model_version=model_version, score=score, model_grade=grade,
            stage_scores=None if stages is None else tuple(json.loads(stages)),
            feedback=tuple(json.loads(feedback)) if feedback else (), repetitions=reps,
            override_score=o_score, override_note=o_note or "", override_at=_dt(o_at),
            recovered=bool(recovered), grade=eff_grade,
            national=None if eff_grade is None else self.grading.national(eff_grade),
        )  # fmt: skip

    def _resolve(self, stored: str) -> Path:
        p = Path(stored)
        return p if p.is_absolute() else self.recordings_dir / p

    def _relative(self, path: Path) -> str:
        path = Path(path).resolve()
        try:
            return path.relative_to(self.recordings_dir.resolve()).as_posix()
        except ValueError:
            return str(path)

    def attempt(self, attempt_id: int) -> Attempt:
        rows = self._q(f"SELECT {_ATTEMPT_COLS} FROM attempts WHERE id = ?", (attempt_id,))
        if not rows:
            raise NotFoundError(f"no attempt {attempt_id}")
        return self._attempt_from_row(rows[0])

    def attempts(
        self,
        *,
        student_id: int | None = None,
        class_: int | str | None = None,
        movement: str | None = None,
        session_id: int | None = None,
        since: date | datetime | None = None,
        until: date | datetime | None = None,
        status: str | None = None,
    ) -> list[Attempt]:
        """Attempts matching every given filter, newest first."""
        where, params = [], []
        if student_id is not None:
            where.append("a.student_id = ?")
            params.append(student_id)
        if class_ is not None:
            where.append("a.student_id IN (SELECT id FROM students WHERE class_id = ?)")
            params.append(self._class_id(class_))
        if movement is not None:
            where.append("a.movement = ?")
            params.append(_check_movement(movement))
        if session_id is not None:
            where.append("a.session_id = ?")
            params.append(session_id)
        if since is not None or until is not None:
            lo, hi = _range_bounds(since, until)
            where.append("a.started_at >= ? AND a.started_at < ?")
            params += [lo, hi]
        if status is not None:
            where.append("a.status = ?")
            params.append(status)
        cols = _ATTEMPT_COLS_A
        sql = f"SELECT {cols} FROM attempts a" + (" WHERE " + " AND ".join(where) if where else "")
        rows = self._q(sql + " ORDER BY a.started_at DESC, a.id DESC", params)
        return [self._attempt_from_row(r) for r in rows]

    @staticmethod
    def _score_cols(result: ScoreResult | None) -> dict[str, Any]:
        if result is None:
            return {}
        stages = [float(x) for x in np.asarray(result.stage_scores, dtype=float).reshape(-1)]
        if len(stages) != 4:
            raise RecordsError(f"a score needs 4 stage scores, got {len(stages)}")
        for s in stages:
            _check_score(s, "a stage score")
        return {
            "status": "scored",
            "score": _check_score(result.score, "the score"),
            "grade": str(result.grade),
            "stage_scores": json.dumps(stages),
            "feedback": json.dumps([str(f) for f in result.feedback], ensure_ascii=False),
            "model_version": str(result.model_version),
        }

    def add_attempt(
        self,
        student_id: int,
        movement: str,
        *,
        score: ScoreResult | None = None,
        recording: Recording | str | os.PathLike | None = None,
        started_at: datetime | None = None,
        device: str = "",
        session_id: int | None = None,
        repetitions: int | None = None,
    ) -> Attempt:
        """Record a finished attempt in one step (imports, demos, re-entry). ``recording`` is a
        :class:`~engine.recording.Recording` (saved into the recordings folder) or the path of
        an existing ``.ksr`` (referenced, with its checksum). For live capture use
        :meth:`begin_attempt`, which journals the frames."""
        student = self.student(student_id)
        _check_movement(movement)
        cols = self._score_cols(score)
        started = _ts(started_at)
        saved: Path | None = None
        try:
            # one transaction: the row, the recording file named after the row's id, the score
            with self._tx() as con:
                aid = con.execute(
                    "INSERT INTO attempts(student_id, movement, session_id, status, started_at, "
                    "finished_at, device) VALUES (?, ?, ?, 'unscored', ?, ?, ?)",
                    (student_id, movement, session_id, started, started, device),
                ).lastrowid
                if recording is not None:
                    if isinstance(recording, Recording):
                        target = self._recording_target(student, movement, aid, started_at)
                        path = saved = save_recording(recording, target)
                    else:
                        path = Path(recording)
                        if not path.is_file():
                            raise RecordsError(f"{path}: recording file not found")
                    cols["recording_path"] = self._relative(path)
                    cols["recording_sha256"] = sha256_file(path)
                if repetitions is not None:
                    cols["repetitions"] = int(repetitions)
                if cols:
                    con.execute(
                        f"UPDATE attempts SET {', '.join(f'{k} = ?' for k in cols)} WHERE id = ?",
                        (*cols.values(), aid),
                    )
        except BaseException:
            if saved is not None:
                saved.unlink(missing_ok=True)
            raise
        return self.attempt(aid)

    def add_attempts_bulk(self, rows: Iterable[tuple[int, str, datetime, ScoreResult]]) -> int:
        """Insert many scored attempts ``(student_id, movement, started_at, result)`` in one
        transaction (imports from another system, benchmarks). Returns the count."""
        params = []
        for student_id, movement, started_at, result in rows:
            c = self._score_cols(result)
            t = _ts(started_at)
            params.append((student_id, _check_movement(movement), t, t, c["score"], c["grade"],
                           c["stage_scores"], c["feedback"], c["model_version"]))  # fmt: skip
        with self._tx() as con:
            con.executemany(
                "INSERT INTO attempts(student_id, movement, status, started_at, finished_at, "
                "score, grade, stage_scores, feedback, model_version) "
                "VALUES (?, ?, 'scored', ?, ?, ?, ?, ?, ?, ?)",
                params,
            )
        return len(params)

    def set_score(
        self, attempt_id: int, result: ScoreResult, *, repetitions: int | None = None
    ) -> Attempt:
        """Store (or replace, when rescoring) the model's score of an attempt, in one
        transaction. A teacher's override is kept."""
        a = self.attempt(attempt_id)
        if a.status == "in_progress":
            raise RecordsError(f"attempt {attempt_id} is still being recorded; finish it first")
        cols = self._score_cols(result)
        if repetitions is not None:
            cols["repetitions"] = int(repetitions)
        with self._tx() as con:
            con.execute(
                f"UPDATE attempts SET {', '.join(f'{k} = ?' for k in cols)} WHERE id = ?",
                (*cols.values(), attempt_id),
            )
        return self.attempt(attempt_id)

    def override_score(self, attempt_id: int, score: float | None, note: str = "") -> Attempt:
        """Set the teacher's score (0-100) with a note saying why, beside the model's score;
        ``score=None`` removes the override. A note is required when setting one."""
        a = self.attempt(attempt_id)
        if a.status == "in_progress":
            raise RecordsError(f"attempt {attempt_id} is still being recorded")
        if score is None:
            vals: tuple[Any, ...] = (None, "", None)
        else:
            note = " ".join(str(note).split())
            if not note:
                raise RecordsError("an override needs a note saying why the score was changed")
            vals = (_check_score(score, "the teacher's score"), note, _ts())
        with self._tx() as con:
            con.execute(
                "UPDATE attempts SET override_score = ?, override_note = ?, override_at = ? "
                "WHERE id = ?",
                (*vals, attempt_id),
            )
        return self.attempt(attempt_id)

    def delete_attempt(self, attempt_id: int, *, delete_recording: bool = True) -> None:
        a = self.attempt(attempt_id)
        if attempt_id in self._active:
            raise RecordsError(f"attempt {attempt_id} is being recorded; abort it instead")
        jp = self._journal_path_of(attempt_id)
        with self._tx() as con:
            con.execute("DELETE FROM attempts WHERE id = ?", (attempt_id,))
        if jp is not None:
            jp.unlink(missing_ok=True)
        if delete_recording and a.recording_path is not None:
            a.recording_path.unlink(missing_ok=True)

    def verify_recording(self, attempt_id: int) -> str | None:
        """None if the attempt's recording exists and matches its checksum; else the problem."""
        a = self.attempt(attempt_id)
        if a.recording_path is None:
            return "the attempt has no recording"
        if not a.recording_path.is_file():
            return f"{a.recording_path}: recording file is missing"
        if sha256_file(a.recording_path) != a.recording_sha256:
            return f"{a.recording_path}: checksum differs; the file was changed or damaged"
        return None

    # ------------------------------------------------------------------ recording in progress

    def _recording_target(
        self, student: Student, movement: str, attempt_id: int, started: datetime | None
    ) -> Path:
        stamp = (started or datetime.now()).astimezone().strftime("%Y%m%dT%H%M%S")
        return self.recordings_dir / student.student_number / f"{movement}-{attempt_id:06d}-{stamp}.ksr"

    def _journal_path_of(self, attempt_id: int) -> Path | None:
        rows = self._q("SELECT journal_path FROM attempts WHERE id = ?", (attempt_id,))
        return self.journal_dir / rows[0][0] if rows and rows[0][0] else None

    def begin_attempt(
        self,
        student_id: int,
        movement: str,
        *,
        device: str = "",
        device_serial: str = "",
        session_id: int | None = None,
        frame_rate: float = 30.0,
        flush_interval: float = 1.0,
    ) -> AttemptRecorder:
        """Start recording an attempt: the row is created (status ``in_progress``) and a
        journal opened. Feed frames with :meth:`AttemptRecorder.append`, then call
        :meth:`AttemptRecorder.finish` (or :meth:`AttemptRecorder.abort`)."""
        student = self.student(student_id)
        _check_movement(movement)
        started = datetime.now(timezone.utc)
        with self._tx() as con:
            aid = con.execute(
                "INSERT INTO attempts(student_id, movement, session_id, status, started_at, "
                "device) VALUES (?, ?, ?, 'in_progress', ?, ?)",
                (student_id, movement, session_id, _ts(started), device),
            ).lastrowid
            name = f"attempt-{aid:06d}{JOURNAL_SUFFIX}"
            con.execute("UPDATE attempts SET journal_path = ? WHERE id = ?", (name, aid))
        header = {
            "attempt_id": aid, "movement": movement, "student_number": student.student_number,
            "device_name": device, "device_serial": device_serial, "frame_rate": frame_rate,
            "started_at": _ts(started), "database": str(self.path),
        }  # fmt: skip
        try:
            writer = JournalWriter(self.journal_dir / name, header, flush_interval)
        except BaseException:
            with self._tx() as con:
                con.execute("DELETE FROM attempts WHERE id = ?", (aid,))
            raise
        rec = AttemptRecorder(self, aid, student, movement, started, writer, header)
        self._active[aid] = rec
        return rec

    def _finish(
        self,
        rec: AttemptRecorder,
        recording: Recording,
        score: ScoreResult | None,
        repetitions: int | None,
        recovered: bool = False,
    ) -> Attempt:
        path = save_recording(recording, self._recording_target(rec.student, rec.movement, rec.attempt_id, rec.started_at))
        cols = {
            "status": "unscored", "finished_at": _ts(), "recording_path": self._relative(path),
            "recording_sha256": sha256_file(path), "journal_path": None,
            "recovered": int(recovered),
        }  # fmt: skip
        cols.update(self._score_cols(score))
        if repetitions is not None:
            cols["repetitions"] = int(repetitions)
        with self._tx() as con:
            con.execute(
                f"UPDATE attempts SET {', '.join(f'{k} = ?' for k in cols)} WHERE id = ?",
                (*cols.values(), rec.attempt_id),
            )
        return self.attempt(rec.attempt_id)

    def pending_recoveries(self) -> list[PendingRecovery]:
        """Attempts left ``in_progress`` by a writer that is gone (crash, power loss, killed
        process). Attempts being recorded right now -- by this store or another process --
        are not listed (their journals are locked)."""
        out = []
        cols = _ATTEMPT_COLS_A
        rows = self._q(  # literal, so that the partial index attempts_in_progress is used
            f"SELECT {cols} FROM attempts a WHERE a.status = 'in_progress' ORDER BY a.started_at"
        )
        for a in map(self._attempt_from_row, rows):
            if a.id in self._active:
                continue
            jp = self._journal_path_of(a.id)
            if jp is not None and is_locked(jp):
                continue
            frames, duration, torn, problem = 0, 0.0, False, None
            if jp is None or not jp.exists():
                problem = "its journal file is missing"
            else:
                try:
                    c = read_journal(jp)
                    frames, duration, torn = c.num_frames, c.duration, c.torn_tail
                    if frames == 0:
                        problem = "no frame was saved before the crash"
                except JournalError as exc:
                    problem = str(exc)
            out.append(PendingRecovery(a, self.student(a.student_id), jp or Path(), frames, duration, torn, problem))
        return out

    def _pending(self, attempt_id: int) -> PendingRecovery:
        for p in self.pending_recoveries():
            if p.attempt.id == attempt_id:
                return p
        raise RecordsError(
            f"attempt {attempt_id} is not a pending recovery (it is finished, or still being "
            "recorded by a running KineScore)"
        )

    def recover(self, attempt_id: int) -> Attempt:
        """Turn a crashed attempt's journal into a ``.ksr`` recording and an unscored attempt
        (flagged ``recovered``); score it afterwards with :meth:`set_score`. Frames whose
        timestamp does not increase are dropped (a recording needs strictly increasing time)."""
        p = self._pending(attempt_id)
        if p.problem:
            raise RecordsError(f"attempt {attempt_id} cannot be recovered: {p.problem}; discard it")
        c = read_journal(p.journal_path)
        keep = np.ones(c.num_frames, bool)
        last = -math.inf
        for i, t in enumerate(c.timestamps):
            keep[i] = t > last
            last = max(last, t)
        h = c.header
        meta = RecordingMeta(
            movement=p.attempt.movement, student_id=p.student.student_number,
            device_name=str(h.get("device_name", "")), device_serial=str(h.get("device_serial", "")),
            frame_rate=float(h.get("frame_rate", 30.0)), created_at=str(h.get("started_at", "")),
            extra={"recovered_from_journal": True, "torn_tail": c.torn_tail,
                   "dropped_frames": int((~keep).sum())},
        )  # fmt: skip
        recording = Recording(c.joints[keep], c.confidence[keep], c.timestamps[keep], meta, imu=c.imu)
        rec = AttemptRecorder(self, attempt_id, p.student, p.attempt.movement, p.attempt.started_at, None, h)
        attempt = self._finish(rec, recording, None, None, recovered=True)
        p.journal_path.unlink(missing_ok=True)
        return attempt

    def discard_recovery(self, attempt_id: int) -> None:
        """Delete a crashed attempt and its journal."""
        p = self._pending(attempt_id)
        with self._tx() as con:
            con.execute("DELETE FROM attempts WHERE id = ?", (attempt_id,))
        if p.journal_path.name:
            p.journal_path.unlink(missing_ok=True)

    # ------------------------------------------------------------------ results

    def results(
        self,
        class_: int | str | None = None,
        *,
        movements: Sequence[str] | None = None,
        since: date | datetime | None = None,
        until: date | datetime | None = None,
        pick: str = "latest",
        include_missing: bool = True,
    ) -> list[StudentResult]:
        """One :class:`StudentResult` per student and movement: the latest or the best
        (``pick``) scored attempt in the date range, with the number of scored attempts.

        ``class_=None`` means every class. ``movements`` defaults to the movements that have
        an attempt in the range; with ``include_missing`` students without an attempt in such
        a movement get a row with ``attempt=None`` (so the teacher sees who is missing).
        "Best" is the highest effective score, ties going to the later attempt.
        Ordered by class, student number and movement (in the standard movement order).
        """
        if pick not in ("latest", "best"):
            raise RecordsError(f"pick must be 'latest' or 'best', got {pick!r}")
        order = "a.started_at DESC, a.id DESC"
        if pick == "best":
            order = "COALESCE(a.override_score, a.score) DESC, " + order
        lo, hi = _range_bounds(since, until)
        where = ["COALESCE(a.override_score, a.score) IS NOT NULL", "a.started_at >= ?", "a.started_at < ?"]
        params: list[Any] = [lo, hi]
        class_id = None
        if class_ is not None:
            class_id = self._class_id(class_)
            where.append("s.class_id = ?")
            params.append(class_id)
        if movements is not None:
            movements = [_check_movement(m) for m in movements]
            where.append(f"a.movement IN ({', '.join('?' * len(movements))})")
            params += movements
        cols = _ATTEMPT_COLS_A
        # rank on narrow rows first, then fetch the full rows of the winners only
        sql = f"""
            WITH ranked AS (
                SELECT a.id,
                    ROW_NUMBER() OVER (PARTITION BY a.student_id, a.movement ORDER BY {order}) AS rn,
                    COUNT(*) OVER (PARTITION BY a.student_id, a.movement) AS n
                FROM attempts a JOIN students s ON s.id = a.student_id
                WHERE {" AND ".join(where)}
            )
            SELECT {cols}, r.n FROM ranked r JOIN attempts a ON a.id = r.id WHERE r.rn = 1
        """
        chosen: dict[tuple[int, str], tuple[Attempt, int]] = {}
        for r in self._q(sql, params):
            a = self._attempt_from_row(r[:-1])
            chosen[(a.student_id, a.movement)] = (a, r[-1])
        if movements is None:
            present = {m for _, m in chosen}
            movements = [m for m in MOVEMENT_KEYS if m in present]
        students = self.students(class_id) if class_id is not None else self.students()
        students.sort(key=lambda s: (s.class_name, s.student_number))
        out = []
        for st in students:
            for m in movements:
                got = chosen.get((st.id, m))
                if got is None and not include_missing:
                    continue
                out.append(StudentResult(st, m, got[0] if got else None, got[1] if got else 0))
        return out

    def latest_result(self, student_id: int, movement: str) -> Attempt | None:
        """The student's latest scored attempt in ``movement`` (None if there is none)."""
        _check_movement(movement)
        for a in self.attempts(student_id=student_id, movement=movement):
            if a.effective_score is not None:
                return a
        return None

    def export_grades(self, path: str | os.PathLike, class_: int | str | None, **kwargs: Any):
        """Write the grades of a class to CSV or XLSX and verify the file; see
        :func:`engine.records.export.export_grades` for the options."""
        from engine.records.export import export_grades

        return export_grades(self, path, class_, **kwargs)

    # ------------------------------------------------------------------ maintenance

    def backup(self, dest: str | os.PathLike) -> Path:
        """A consistent copy of the database made with SQLite's online backup API while the
        store stays usable (readers and writers in other processes included). ``dest`` is a
        file, or a folder to put ``kinescore-<time>.sqlite3`` in. The copy is written to a
        temporary name, checked with ``PRAGMA integrity_check``, switched to a self-contained
        rollback journal and renamed into place. Recording files are not copied."""
        dest = Path(dest)
        if dest.is_dir():
            dest = dest / f"kinescore-{datetime.now().strftime('%Y%m%d-%H%M%S')}.sqlite3"
        if dest.resolve() == self.path.resolve():
            raise RecordsError("the backup must not overwrite the database itself")
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".tmp")
        tmp.unlink(missing_ok=True)
        try:
            dst = sqlite3.connect(tmp, isolation_level=None)
            try:
                with self._lock:
                    self._con.backup(dst, pages=1024)
                dst.execute("PRAGMA journal_mode = DELETE")
                check = dst.execute("PRAGMA integrity_check").fetchone()[0]
                if check != "ok":
                    raise RecordsError(f"{dest}: the backup failed its integrity check ({check})")
            finally:
                dst.close()
            os.replace(tmp, dest)
        except sqlite3.Error as exc:
            raise RecordsError(f"{dest}: backup failed ({exc})") from exc
        finally:
            tmp.unlink(missing_ok=True)
        return dest

    def counts(self) -> dict[str, int]:
        """Row counts (classes, students, sessions, attempts) for status displays."""
        return {
            t: self._q(f"SELECT count(*) FROM {t}")[0][0]
            for t in ("classes", "students", "sessions", "attempts")
        }

    @staticmethod
    def movements() -> list[dict[str, Any]]:
        """The four movements: key, English and Chinese names, stage keys."""
        return [
            {"key": k, "en": en, "zh": zh, "stages": list(st)} for k, en, zh, st in MOVEMENTS
        ]


def _recording_video(path: Path) -> Path | None:
    """The video file a recording names (relative to its folder), if it exists."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            meta = json.loads(str(npz["meta"]))
    except Exception:  # noqa: BLE001 - an unreadable recording names no video
        return None
    video = meta.get("video") if isinstance(meta, dict) else None
    if not video:
        return None
    p = (path.parent / video).resolve()
    return p if p.is_file() else None


class AttemptRecorder:
    """An attempt being recorded (from :meth:`Store.begin_attempt`).

    Frames are kept in memory and journaled; see :mod:`engine.records.journal`. Use as a
    context manager to make sure the journal is closed: leaving the block with an exception
    keeps the journal, so the attempt shows up in :meth:`Store.pending_recoveries`.
    """

    def __init__(self, store: Store, attempt_id: int, student: Student, movement: str,
                 started_at: datetime, writer: JournalWriter | None, header: dict[str, Any]):  # fmt: skip
        self.store = store
        self.attempt_id = attempt_id
        self.student = student
        self.movement = movement
        self.started_at = started_at
        self._writer = writer
        self._header = header
        self._joints: list[np.ndarray] = []
        self._conf: list[np.ndarray] = []
        self._ts: list[np.ndarray] = []
        self._imu: list[np.ndarray] = []
        self._done = writer is None

    @property
    def journal_path(self) -> Path | None:
        return None if self._writer is None else self._writer.path

    @property
    def num_frames(self) -> int:
        return sum(len(t) for t in self._ts)

    def append(
        self,
        joints: np.ndarray,
        confidence: np.ndarray | None = None,
        timestamp: float | np.ndarray | None = None,
    ) -> None:
        """Add one frame (joints ``(17, 3)``) or several (``(T, 17, 3)``) in canonical metres.
        ``confidence`` defaults to 1 where the joint is finite, ``timestamp`` to seconds since
        the attempt started."""
        if self._done:
            raise RecordsError(f"attempt {self.attempt_id} is already finished")
        j = np.asarray(joints, dtype=np.float32)
        if j.ndim == 2:
            j = j[None]
        if confidence is None:
            confidence = np.isfinite(j).all(axis=-1).astype(np.float32)
        if timestamp is None:
            now = (datetime.now(timezone.utc) - self.started_at).total_seconds()
            timestamp = np.full(len(j), now)
        c = np.asarray(confidence, dtype=np.float32).reshape(len(j), -1)
        t = np.asarray(timestamp, dtype=np.float64).reshape(-1)
        assert self._writer is not None
        self._writer.append(j, c, t)
        self._joints.append(j)
        self._conf.append(c)
        self._ts.append(t)

    def append_imu(self, samples: np.ndarray) -> None:
        if self._done:
            raise RecordsError(f"attempt {self.attempt_id} is already finished")
        assert self._writer is not None
        s = np.asarray(samples, dtype=np.float64).reshape(-1, 7)
        self._writer.append_imu(s)
        self._imu.append(s)

    def flush(self) -> None:
        if self._writer is not None:
            self._writer.flush()

    def recording(self, **meta: Any) -> Recording:
        """The frames so far as a :class:`~engine.recording.Recording` (``meta`` overrides
        :class:`~engine.recording.RecordingMeta` fields)."""
        if not self._ts:
            raise RecordsError(f"attempt {self.attempt_id} has no frames")
        fields = {
            "movement": self.movement, "student_id": self.student.student_number,
            "device_name": self._header.get("device_name", ""),
            "device_serial": self._header.get("device_serial", ""),
            "frame_rate": self._header.get("frame_rate", 30.0),
            "created_at": self._header.get("started_at", ""),
        }  # fmt: skip
        fields.update(meta)
        return Recording(
            np.concatenate(self._joints), np.concatenate(self._conf), np.concatenate(self._ts),
            RecordingMeta(**fields), imu=np.concatenate(self._imu) if self._imu else None,
        )

    def finish(
        self,
        recording: Recording | None = None,
        score: ScoreResult | None = None,
        *,
        repetitions: int | None = None,
    ) -> Attempt:
        """End the attempt: save the recording (the journaled frames, or ``recording`` when
        the caller has a fuller one, e.g. with 2D keypoints and calibration) as ``.ksr`` with
        its checksum, store ``score`` if given (else the attempt is ``unscored``; score it later
        with :meth:`Store.set_score`), all in one transaction, then delete the journal."""
        if self._done:
            raise RecordsError(f"attempt {self.attempt_id} is already finished")
        assert self._writer is not None
        self._writer.flush()
        rec = recording if recording is not None else self.recording()
        attempt = self.store._finish(self, rec, score, repetitions)
        self._done = True
        self._writer.delete()
        self.store._active.pop(self.attempt_id, None)
        return attempt

    def abort(self) -> None:
        """Throw the attempt away (row and journal)."""
        if self._done:
            return
        self._done = True
        assert self._writer is not None
        self._writer.delete()
        self.store._active.pop(self.attempt_id, None)
        with self.store._tx() as con:
            con.execute("DELETE FROM attempts WHERE id = ?", (self.attempt_id,))

    def close(self) -> None:
        """Close the journal without finishing (the attempt becomes a pending recovery)."""
        if self._writer is not None:
            self._writer.close()
        self._done = True
        self.store._active.pop(self.attempt_id, None)

    def __enter__(self) -> AttemptRecorder:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if not self._done:
            self.close()
