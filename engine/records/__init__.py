"""The teacher's records: classes, students, sessions and attempts in SQLite (no Qt).

Quick tour::

    from engine.records import Store
    with Store.open() as store:                      # default: engine.paths.default_database_path()
        report = store.import_roster("roster.xlsx", class_name="高一(3)班")
        if not report.ok: print(report.summary())    # every bad row, nothing written
        st = store.student_by_number("2024001")
        with store.begin_attempt(st.id, "sit_ups", device="Azure Kinect") as rec:
            for joints, conf, t in frames:           # journaled: a crash loses <= 1 s
                rec.append(joints, conf, t)
            attempt = rec.finish(score=result, repetitions=38)
        store.override_score(attempt.id, 82, "counted two extra repetitions")
        store.export_grades("grades.xlsx", "高一(3)班", pick="best")
        for p in store.pending_recoveries():         # at start-up, after a crash
            store.recover(p.attempt.id)              # or store.discard_recovery(...)

See :mod:`engine.records.store` for the guarantees and ``docs/records.md`` for the schema,
the export columns and the benchmark.
"""

from engine.records.demo import create_demo_class
from engine.records.export import COLUMNS as EXPORT_COLUMNS
from engine.records.export import ExportError, ExportReport, export_grades
from engine.records.roster import ImportReport, RosterError, RosterRow, RowError, read_roster
from engine.records.schema import MOVEMENT_KEYS, SCHEMA_VERSION
from engine.records.store import (
    Attempt,
    AttemptRecorder,
    ClassInfo,
    DeleteReport,
    NotFoundError,
    PendingRecovery,
    RecordsError,
    Session,
    Store,
    Student,
    StudentResult,
    sha256_file,
)

__all__ = [
    "Attempt", "AttemptRecorder", "ClassInfo", "DeleteReport", "EXPORT_COLUMNS", "ExportError",
    "ExportReport", "ImportReport", "MOVEMENT_KEYS", "NotFoundError", "PendingRecovery",
    "RecordsError", "RosterError", "RosterRow", "RowError", "SCHEMA_VERSION", "Session", "Store",
    "Student", "StudentResult", "create_demo_class", "export_grades", "read_roster", "sha256_file",
]  # fmt: skip
