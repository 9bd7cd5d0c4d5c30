"""The class records as seen from the UI: every database call runs on the records runner
(one thread, so calls run in order) and its result comes back as a Qt signal on the UI
thread. A locked, read-only or unreadable database becomes a ``failed`` signal with a
teacher-actionable message; nothing here ever blocks the window."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, Signal

from gui.settings import MOVEMENTS
from gui.tasks import TaskRunner

log = logging.getLogger("gui")


class DbProblem:
    """A records failure; ``str()`` describes it in the current language."""

    def __init__(self, exc: BaseException, path):
        self.exc, self.path = exc, path

    def __str__(self) -> str:
        return describe_db_error(self.exc, self.path)


def describe_db_error(exc: BaseException, path) -> str:
    """A translated, actionable sentence for a records failure, with the details."""
    text = str(exc)
    low = text.lower()
    if "readonly" in low or "read-only" in low or "permission" in low:
        lead = QCoreApplication.translate(
            "RecordsService",
            "The class records at {path} are read-only: scores cannot be saved there. Make "
            "the file writable or open another database (File menu); attempts are kept in the "
            "'unsaved' folder meanwhile.")
    elif "locked" in low or "busy" in low:
        lead = QCoreApplication.translate(
            "RecordsService",
            "The class records at {path} are locked by another program. Close the other "
            "program, then click Retry.")
    else:
        lead = QCoreApplication.translate(
            "RecordsService",
            "The class records at {path} cannot be used. Open another database (File menu) "
            "or restore a backup.")
    return QCoreApplication.translate("RecordsService", "{lead}\nDetails: {details}").format(
        lead=lead.format(path=path), details=text)


class RecordsService(QObject):
    opened = Signal(object)  # engine.records.Store
    open_failed = Signal(object)  # DbProblem
    classes_loaded = Signal(list, object)  # (classes, class id to show)
    results_loaded = Signal(int, list, list)  # (class id, students, StudentResults)
    attempts_loaded = Signal(int, list)  # (student id, attempts newest first)
    overridden = Signal(object)  # Attempt
    override_failed = Signal(str)
    exported = Signal(object)  # ExportReport
    export_failed = Signal(str, str)  # (path, message)
    imported = Signal(object)  # ImportReport
    import_failed = Signal(str)
    recoveries = Signal(list)  # PendingRecovery list
    recovered = Signal(int)  # how many
    failed = Signal(object)  # DbProblem: a read failed

    def __init__(self, runner: TaskRunner, parent: QObject | None = None):
        super().__init__(parent)
        self.runner = runner
        self.store = None
        self.path: Path | None = None

    # ------------------------------------------------------------------ open / close
    def open(self, path: Path, grading, demo: bool = False) -> None:
        self.path = Path(path)

        def work():
            from engine.records import Store, create_demo_class

            store = Store.open(path, grading=grading)
            try:
                if demo:
                    create_demo_class(store)
                pending = store.pending_recoveries()
            except BaseException:
                store.close()
                raise
            return store, pending

        def done(res):
            old, (self.store, pending) = self.store, res
            if old is not None:
                self.runner.run(old.close)
            self.opened.emit(self.store)
            if pending:
                self.recoveries.emit(pending)

        self.runner.run(work, done, lambda e: self.open_failed.emit(DbProblem(e, path)))

    def close(self) -> None:
        store, self.store = self.store, None
        if store is not None:
            self.runner.run(store.close)

    def set_grading(self, grading) -> None:
        if self.store is not None:
            self.store.grading = grading

    def _run(self, fn, done, error_signal=None) -> None:
        if self.store is None:
            return
        if error_signal is not None:
            self.runner.run(fn, done, lambda e: error_signal.emit(describe_db_error(e, self.path)))
        else:
            self.runner.run(fn, done, lambda e: self.failed.emit(DbProblem(e, self.path)))

    # ------------------------------------------------------------------ reads
    def load_classes(self, prefer_id: int | None = None) -> None:
        store = self.store
        self._run(store.classes if store else None,
                  lambda cs: self.classes_loaded.emit(cs, prefer_id))

    def load_results(self, class_id: int) -> None:
        store = self.store

        def work():
            students = store.students(class_id)
            return students, store.results(class_id, movements=list(MOVEMENTS), pick="latest")

        self._run(work, lambda r: self.results_loaded.emit(class_id, r[0], r[1]))

    def load_attempts(self, student_id: int) -> None:
        store = self.store
        self._run(lambda: [a for a in store.attempts(student_id=student_id)
                           if a.status != "in_progress"],
                  lambda atts: self.attempts_loaded.emit(student_id, atts))

    # ------------------------------------------------------------------ writes
    def override(self, attempt_id: int, score, note: str) -> None:
        store = self.store
        self._run(lambda: store.override_score(attempt_id, score, note), self.overridden.emit,
                  self.override_failed)

    def export(self, path: str, class_id: int | None, lang: str) -> None:
        store = self.store
        if store is None:
            self.export_failed.emit(path, "the class records are not open")
            return
        self.runner.run(lambda: store.export_grades(path, class_id, lang=lang),
                        self.exported.emit,
                        lambda e: self.export_failed.emit(path, str(e)))

    def import_roster(self, path: str, class_name: str | None) -> None:
        store = self.store
        if store is None:
            self.import_failed.emit("the class records are not open")
            return
        self.runner.run(lambda: store.import_roster(path, class_name=class_name),
                        self.imported.emit, lambda e: self.import_failed.emit(str(e)))

    def recover_all(self, pending) -> None:
        store = self.store

        def work():
            n = 0
            for p in pending:
                if p.problem is None:
                    store.recover(p.attempt.id)
                    n += 1
            return n

        self._run(work, self.recovered.emit)
