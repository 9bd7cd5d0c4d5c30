"""The records database schema and its forward migrations.

The schema version is SQLite's ``PRAGMA user_version``. ``MIGRATIONS[v]`` upgrades a database
from version ``v`` to ``v + 1``; an empty file is version 0, so a new database is built by
running every migration in order, exactly like an old one is upgraded. Each migration runs
inside one transaction together with the ``user_version`` bump (SQLite DDL is transactional),
so an upgrade is all or nothing. A database whose version is newer than :data:`SCHEMA_VERSION`
was written by a newer KineScore and is refused rather than guessed at.

History
-------
1. classes, students, movements, sessions, attempts (model score, grade, stage scores,
   feedback, recording path + SHA-256 checksum), journaled in-progress attempts.
2. the teacher's override (score, note, time) kept beside the model's score, and a
   repetition count (sit-ups).

To change the schema: append a function to :data:`MIGRATIONS` (never edit a released one),
and add a test that opens a database of the previous version.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

#: (key, English name, Chinese name, stage keys in order) -- mirrors the movement keys and
#: stage order used everywhere in KineScore.
MOVEMENTS: tuple[tuple[str, str, str, tuple[str, str, str, str]], ...] = (
    ("standing_long_jump", "Standing long jump", "立定跳远",
     ("pre_swing", "take_off", "flight", "landing")),
    ("sit_ups", "Sit-ups", "仰卧起坐", ("lying", "curl_up", "top", "return")),
    ("free_throw", "Free throw", "篮球罚球", ("set", "dip", "release", "follow_through")),
    ("overhead_pass", "Overhead pass", "排球上手传球",
     ("ready", "move_under", "contact", "extension")),
)  # fmt: skip

MOVEMENT_KEYS = tuple(m[0] for m in MOVEMENTS)


def _script(con: sqlite3.Connection, sql: str) -> None:
    """Run several statements inside the caller's transaction (``executescript`` would
    COMMIT first, breaking the all-or-nothing upgrade)."""
    statement = ""
    for line in sql.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            con.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement: {statement!r}")


def _v1(con: sqlite3.Connection) -> None:
    _script(con,
        """
        CREATE TABLE classes (
            id          INTEGER PRIMARY KEY,
            name        TEXT NOT NULL UNIQUE,
            school_year TEXT NOT NULL DEFAULT '',
            created_at  TEXT NOT NULL
        );
        CREATE TABLE students (
            id             INTEGER PRIMARY KEY,
            student_number TEXT NOT NULL UNIQUE,
            name           TEXT NOT NULL,
            gender         TEXT NOT NULL DEFAULT '' CHECK (gender IN ('M', 'F', '')),
            birth_year     INTEGER,
            class_id       INTEGER NOT NULL REFERENCES classes(id) ON DELETE RESTRICT,
            created_at     TEXT NOT NULL
        );
        CREATE INDEX students_class ON students(class_id, student_number);
        CREATE TABLE movements (
            key     TEXT PRIMARY KEY,
            name_en TEXT NOT NULL,
            name_zh TEXT NOT NULL,
            stages  TEXT NOT NULL  -- JSON list of the 4 stage keys
        );
        CREATE TABLE sessions (
            id         INTEGER PRIMARY KEY,
            class_id   INTEGER REFERENCES classes(id) ON DELETE CASCADE,
            movement   TEXT REFERENCES movements(key),
            device     TEXT NOT NULL DEFAULT '',
            note       TEXT NOT NULL DEFAULT '',
            started_at TEXT NOT NULL,
            ended_at   TEXT
        );
        CREATE TABLE attempts (
            id               INTEGER PRIMARY KEY,
            student_id       INTEGER NOT NULL REFERENCES students(id) ON DELETE CASCADE,
            movement         TEXT NOT NULL REFERENCES movements(key),
            session_id       INTEGER REFERENCES sessions(id) ON DELETE SET NULL,
            status           TEXT NOT NULL
                             CHECK (status IN ('in_progress', 'unscored', 'scored')),
            started_at       TEXT NOT NULL,  -- UTC, ISO 8601
            finished_at      TEXT,
            device           TEXT NOT NULL DEFAULT '',
            recording_path   TEXT,           -- relative to the recordings folder when inside it
            recording_sha256 TEXT,
            journal_path     TEXT,           -- while in progress
            recovered        INTEGER NOT NULL DEFAULT 0,
            model_version    TEXT NOT NULL DEFAULT '',
            score            REAL,
            grade            TEXT,           -- the model's five-level grade when scored
            stage_scores     TEXT,           -- JSON list of 4 floats
            feedback         TEXT            -- JSON list of strings
        );
        CREATE INDEX attempts_student ON attempts(student_id, movement, started_at);
        CREATE INDEX attempts_time ON attempts(started_at);
        CREATE INDEX attempts_in_progress ON attempts(started_at) WHERE status = 'in_progress';
        """
    )
    con.executemany(
        "INSERT INTO movements(key, name_en, name_zh, stages) VALUES (?, ?, ?, ?)",
        [(k, en, zh, json.dumps(list(st))) for k, en, zh, st in MOVEMENTS],
    )


def _v2(con: sqlite3.Connection) -> None:
    _script(con,
        """
        ALTER TABLE attempts ADD COLUMN override_score REAL;
        ALTER TABLE attempts ADD COLUMN override_note TEXT NOT NULL DEFAULT '';
        ALTER TABLE attempts ADD COLUMN override_at TEXT;
        ALTER TABLE attempts ADD COLUMN repetitions INTEGER;
        """
    )


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1, _v2]
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(con: sqlite3.Connection) -> int:
    return int(con.execute("PRAGMA user_version").fetchone()[0])


def migrate(con: sqlite3.Connection, target: int = SCHEMA_VERSION) -> list[int]:
    """Upgrade ``con`` (in autocommit mode) to ``target``; return the versions applied."""
    applied = []
    current = schema_version(con)
    while current < target:
        con.execute("BEGIN IMMEDIATE")
        try:
            MIGRATIONS[current](con)
            con.execute(f"PRAGMA user_version = {current + 1}")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        current += 1
        applied.append(current)
    return applied
