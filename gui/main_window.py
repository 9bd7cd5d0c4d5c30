"""The main window: roster on the left, the Live and Review tabs, banners for problems, menus
and keyboard shortcuts (Space start/stop, Up/Down previous/next student).

This file only wires the pieces together; each widget is its own module, database calls go
through :class:`gui.records_service.RecordsService`, the device and live scorer through
:class:`gui.controller.LiveController`, and slow work through :class:`gui.tasks.TaskRunner`.
"""

from __future__ import annotations

import gc
import logging
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from engine import __version__
from engine.live import Phase
from gui import i18n
from gui.banner import BannerArea
from gui.controller import LiveController
from gui.i18n import Retranslatable
from gui.live_panel import LivePanel
from gui.records_service import RecordsService
from gui.replay_panel import ReplayPanel
from gui.results_panel import ResultsPanel
from gui.roster_panel import RosterPanel
from gui.services import ModelError, device_problem, load_scorer, model_path
from gui.settings import Settings, save_settings
from gui.settings_dialog import SettingsDialog
from gui.tasks import TaskRunner

log = logging.getLogger("gui")
RUNNING = (Phase.WAITING, Phase.READY, Phase.ACTIVE, Phase.SCORING)


class MainWindow(Retranslatable, QMainWindow):
    def __init__(self, settings: Settings, *, database: Path, demo: bool = False,
                 device: str | None = None, persist: bool = True):
        super().__init__()
        self.settings = settings
        self.database = Path(database)
        self.demo = demo
        self.persist = persist  # False: the demo never writes the teacher's settings
        self.device_spec = device or settings.device
        self.grading = settings.grading()
        self.scorer = None
        self.model_version = ""
        self.armed = False
        self.attempt_student = None
        self._handled_saves: set[int] = set()
        self._classes: dict[int, object] = {}
        self._review_select: int | None = None
        self.settings_dialog: SettingsDialog | None = None

        self.records_runner = TaskRunner("records", 1, self)
        self.heavy = TaskRunner("heavy", 2, self)
        self.records = RecordsService(self.records_runner, self)
        self.controller = LiveController(self.heavy, self)
        self._build()
        self._menus()
        self._wire()
        self.apply_grading(self.grading)
        self.live_panel.set_movement(settings.movement)
        self.results.set_movement(settings.movement)
        self.retranslate()
        self.resize(1440, 860)
        # start-up, all in the background
        self.records.open(self.database, self.grading, demo=demo)
        self.load_model()
        self.open_device()

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        self.banners = BannerArea()
        self.roster = RosterPanel()
        self.live_panel = LivePanel()
        self.results = ResultsPanel()
        self.replay = ReplayPanel(self.heavy, lambda: self.scorer)
        self.live_tab = QSplitter(Qt.Orientation.Horizontal)
        self.live_tab.addWidget(self.live_panel)
        self.live_tab.addWidget(self.results)
        self.live_tab.setSizes([560, 330])
        self.tabs = QTabWidget()
        self.tabs.addTab(self.live_tab, "")
        self.tabs.addTab(self.replay, "")
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.roster)
        split.addWidget(self.tabs)
        split.setSizes([540, 900])
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.banners)
        lay.addWidget(split, 1)
        self.setCentralWidget(central)
        self.model_status = QLabel()
        self.db_status = QLabel()
        self.statusBar().addPermanentWidget(self.model_status)
        self.statusBar().addPermanentWidget(self.db_status)

    def _action(self, menu, slot, shortcut=None, context=None) -> QAction:
        a = QAction(self)
        if shortcut:
            a.setShortcut(QKeySequence(shortcut))
        if context is not None:
            a.setShortcutContext(context)
        a.triggered.connect(slot)
        menu.addAction(a)
        return a

    def _menus(self) -> None:
        mb = self.menuBar()
        self.file_menu = mb.addMenu("")
        self.act_import = self._action(self.file_menu, self.import_roster, "Ctrl+I")
        self.act_export = self._action(self.file_menu, self.export_grades, "Ctrl+E")
        self.act_open_db = self._action(self.file_menu, self.choose_database, "Ctrl+O")
        self.file_menu.addSeparator()
        self.act_quit = self._action(self.file_menu, self.close, "Ctrl+Q")
        self.attempt_menu = mb.addMenu("")
        self.act_start = self._action(self.attempt_menu, self.toggle_attempt, "Space")
        # arrows move through the roster while the roster or the live tab has the focus
        scope = Qt.ShortcutContext.WidgetWithChildrenShortcut
        self.act_next = self._action(self.attempt_menu, lambda: self.roster.select_next(1),
                                     "Down", scope)
        self.act_prev = self._action(self.attempt_menu, lambda: self.roster.select_next(-1),
                                     "Up", scope)
        for w in (self.roster, self.live_tab):
            w.addAction(self.act_next)
            w.addAction(self.act_prev)
        self.act_review = self._action(self.attempt_menu, self.review_current, "Ctrl+R")
        self.device_menu = mb.addMenu("")
        self.act_retry_device = self._action(self.device_menu, self.open_device, "F5")
        self.act_choose_device = self._action(self.device_menu, self.open_settings)
        self.settings_menu = mb.addMenu("")
        self.act_settings = self._action(self.settings_menu, self.open_settings, "Ctrl+,")
        self.language_menu = self.settings_menu.addMenu("")
        self.act_english = self._action(self.language_menu, lambda: self.set_language("en"))
        self.act_chinese = self._action(self.language_menu, lambda: self.set_language("zh_CN"))
        self.act_english.setText("English")
        self.act_chinese.setText("简体中文")
        self.help_menu = mb.addMenu("")
        self.act_about = self._action(self.help_menu, self.about)

    def _wire(self) -> None:
        c, r = self.controller, self.records
        c.frame.connect(self.live_panel.show_frame)
        c.status.connect(self.live_panel.show_status)
        c.device_opened.connect(self._device_opened)
        c.device_failed.connect(self._device_failed)
        c.live_state.connect(self._live_state)
        self.live_panel.start_stop.connect(self.toggle_attempt)
        self.live_panel.movement_changed.connect(self._movement_changed)
        self.roster.class_changed.connect(self._class_changed)
        self.roster.student_changed.connect(self._student_changed)
        self.roster.review_requested.connect(self._review_requested)
        self.replay.override_requested.connect(r.override)
        r.opened.connect(self._records_opened)
        r.open_failed.connect(self._records_failed)
        r.failed.connect(self._records_failed)
        r.classes_loaded.connect(self._classes_loaded)
        r.results_loaded.connect(self._results_loaded)
        r.attempts_loaded.connect(self._attempts_loaded)
        r.overridden.connect(self._overridden)
        r.override_failed.connect(lambda msg: self.replay.override_done(error=msg))
        r.exported.connect(self._exported)
        r.export_failed.connect(self._export_failed)
        r.imported.connect(self._imported)
        r.import_failed.connect(lambda msg: self.banners.show_message(
            "import", "error", lambda: self.tr("The roster was not imported: {error}").format(
                error=msg), [(lambda: self.tr("Choose another file…"), self.import_roster)]))
        r.recoveries.connect(self._recoveries)
        r.recovered.connect(self._recovered)

    # ------------------------------------------------------------------ records
    def _records_opened(self, store) -> None:
        self.banners.clear("database")
        self.db_status.setText(str(self.database))
        self.records.load_classes(self.settings.class_id or None)

    def _records_failed(self, problem) -> None:
        self.banners.show_message("database", "error", lambda: str(problem), [
            (lambda: self.tr("Retry"), lambda: self.records.open(self.database, self.grading)),
            (lambda: self.tr("Open another database…"), self.choose_database)])

    def _classes_loaded(self, classes, prefer) -> None:
        self._classes = {c.id: c for c in classes}
        self.roster.set_classes(classes, prefer)
        if not classes:
            self.banners.show_message("roster", "info", lambda: self.tr(
                "No class yet: import a roster from Excel or CSV (File → Import roster)."),
                [(lambda: self.tr("Import roster…"), self.import_roster)])
        else:
            self.banners.clear("roster")

    def _class_changed(self, class_id: int) -> None:
        self.settings.class_id = class_id
        self.records.load_results(class_id)

    def _results_loaded(self, class_id, students, results) -> None:
        if class_id == self.roster.current_class_id():
            self.roster.set_results(students, results)

    def _student_changed(self, student) -> None:
        if not self.armed:
            self.live_panel.set_student(student)
        if student is not None:
            self.records.load_attempts(student.id)
        else:
            self.replay.set_attempts([])

    def _attempts_loaded(self, student_id, attempts) -> None:
        st = self.roster.current_student()
        if st is not None and st.id == student_id:
            self.replay.set_attempts(attempts, self._review_select)
            self._review_select = None

    def _review_requested(self, student, movement) -> None:
        a = self.roster.latest_attempt(student.id, movement)
        self.tabs.setCurrentWidget(self.replay)
        if a is not None:
            self._review_select = a.id
            self.records.load_attempts(student.id)

    def review_current(self) -> None:
        st = self.roster.current_student()
        if st is not None:
            self._review_requested(st, self.live_panel.movement)

    def _overridden(self, attempt) -> None:
        self.replay.override_done(attempt)
        cid = self.roster.current_class_id()
        if cid is not None:
            self.records.load_results(cid)

    def _recoveries(self, pending) -> None:
        n = len(pending)
        self.banners.show_message("recover", "warning", lambda: self.tr(
            "{n} attempt(s) were interrupted last time (KineScore or the PC stopped). Their "
            "frames were journaled.").format(n=n),
            [(lambda: self.tr("Recover them"), lambda: self.records.recover_all(pending))])

    def _recovered(self, n: int) -> None:
        self.banners.show_message("recover", "success", lambda: self.tr(
            "{n} interrupted attempt(s) recovered (unscored; review them to score).").format(n=n))
        cid = self.roster.current_class_id()
        if cid is not None:
            self.records.load_results(cid)

    # ------------------------------------------------------------------ model
    def load_model(self) -> None:
        path = model_path(self.settings.model)
        self.model_status.setText(self.tr("Loading the model…"))

        def work():
            import engine.preprocess  # noqa: F401 - imported now, not at the first score
            import engine.simulator.reps  # noqa: F401

            return load_scorer(path)

        self.heavy.run(work, self._model_loaded, self._model_failed)

    @staticmethod
    def _freeze_heap() -> None:
        """Exclude everything loaded so far (Qt, torch, the model: ~250k objects) from the
        garbage collector: a full collection over them takes ~250 ms with every thread
        stopped, a visible stall of the live view; after ``gc.freeze()`` it takes ~0 ms."""
        gc.freeze()

    def _model_loaded(self, scorer) -> None:
        self._freeze_heap()
        self.scorer = scorer
        self.model_version = getattr(scorer, "model_version", "")
        self.controller.set_scorer(scorer)
        self.results.set_scorer_ready(True)
        self.banners.clear("model")
        self._model_text()

    def _model_failed(self, exc) -> None:
        self._freeze_heap()
        self.scorer = None
        self.model_version = ""
        self.controller.set_scorer(None)
        self.results.set_scorer_ready(False)
        self.banners.show_message("model", "warning", lambda: str(exc) if isinstance(
            exc, ModelError) else repr(exc), [
            (lambda: self.tr("Choose a model…"), self.open_settings),
            (lambda: self.tr("Retry"), self.load_model)])
        self._model_text()

    def _model_text(self) -> None:
        self.model_status.setText(self.tr("Model: {v}").format(v=self.model_version)
                                  if self.scorer is not None else self.tr("No model: not scoring"))

    # ------------------------------------------------------------------ device
    def open_device(self) -> None:
        spec = self.device_spec
        if not spec:
            self.heavy.run(_pick_device, self._device_picked)
            return
        self.live_panel.show_no_device(self.tr("Opening {device}…").format(device=spec))
        self.controller.open_device(spec, self.live_panel.movement)

    def _device_picked(self, spec: str) -> None:
        self.device_spec = spec
        self.open_device()

    def _device_opened(self, name: str) -> None:
        self.banners.clear("device")

    def _device_failed(self, message: str, code: str) -> None:
        self.live_panel.show_no_device(self.tr("No picture from the device"))
        self.banners.show_message("device", "error", lambda: device_problem(code, message), [
            (lambda: self.tr("Retry"), self.open_device),
            (lambda: self.tr("Choose device…"), self.open_settings)])

    def _movement_changed(self, movement: str) -> None:
        self.settings.movement = movement
        self.results.set_movement(movement)
        if self.device_spec.split(":", 1)[0] == "simulator":
            self.controller.open_device(self.device_spec, movement)

    # ------------------------------------------------------------------ attempts
    def toggle_attempt(self) -> None:
        if self.armed:
            self.controller.stop_attempt()
            return
        student = self.roster.current_student()
        if student is None:
            self.banners.show_message("attempt", "info", lambda: self.tr(
                "Choose a student in the roster first (Up/Down arrows)."))
            return
        src = self.controller.source
        if src is None:
            self.banners.show_message("attempt", "info", lambda: self.tr(
                "No device is open yet: wait for the picture, or choose a device."),
                [(lambda: self.tr("Choose device…"), self.open_settings)])
            return
        self.banners.clear("attempt")
        self.armed = True
        self.attempt_student = student
        self.live_panel.set_student(student)
        self.results.set_student(student)
        self.live_panel.set_running(True)
        video = None
        if self.settings.save_video:  # the teacher chose to keep video (off by default)
            from engine.video import VideoRecorder

            video = VideoRecorder(src.nominal_fps)
        self.controller.video = video
        self.controller.start_attempt(self.live_panel.movement, self._sink(student, src, video))

    def _sink(self, student, src, video=None):
        from engine.live_sink import FileSink, StoreSink

        meta = dict(device=src.name, device_serial=src.serial, frame_rate=src.nominal_fps,
                    calibration=src.calibration)
        store = self.records.store
        if store is None:
            return FileSink(student.student_number, video=video, **meta)
        return StoreSink(store, student.id, student.student_number,
                         extra=lambda: {**src.metadata(), "dropped_frames": src.dropped_frames},
                         video=video, **meta)

    def _live_state(self, st) -> None:
        self.results.show_state(st)
        running = st.phase in RUNNING
        if not running and self.armed:
            self.armed = False
            video, self.controller.video = self.controller.video, None
            if video is not None and st.phase is not Phase.DONE:
                video.discard()  # stopped before an attempt: nothing to keep
        self.live_panel.set_running(self.armed or running)
        if st.phase is Phase.DONE:
            self._attempt_done(st)

    def _attempt_done(self, st) -> None:
        if st.unsaved is not None:
            self.banners.show_message("save", "error", lambda: self.tr(
                "The attempt was not saved in the class records: {error}").format(error=st.error),
                [(lambda: self.tr("Retry saving"), self.controller.live.retry_save)])
        elif st.error and st.final is None:
            self.banners.show_message("save", "warning", lambda: self.tr(
                "The attempt was saved but not scored: {error}").format(error=st.error))
        attempt = st.saved
        if attempt is None or st.take in self._handled_saves:
            return
        self._handled_saves.add(st.take)
        if isinstance(attempt, Path):  # kept as a file: the records were not open
            self.banners.show_message("save", "warning", lambda: self.tr(
                "The class records are not open: the attempt was kept in {path}.").format(
                path=attempt))
            return
        if st.unsaved is None and not (st.error and st.final is None):
            self.banners.clear("save")
        student = self.attempt_student
        if student is not None and getattr(attempt, "student_id", None) == student.id:
            self.roster.update_attempt(student.id, attempt)
            cur = self.roster.current_student()
            if cur is not None and cur.id == student.id:
                self.roster.select_next(1)  # the next student is up

    # ------------------------------------------------------------------ export / import
    def export_grades(self) -> None:
        name = "grades.xlsx"
        cid = self.roster.current_class_id()
        if cid in self._classes:
            name = f"{self._classes[cid].name}.xlsx"
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export grades"), str(Path.home() / name),
            self.tr("Excel workbook (*.xlsx);;CSV, UTF-8 (*.csv)"))
        if path:
            lang = "zh" if i18n.current_language().startswith("zh") else "en"
            self.banners.show_message("export", "info", lambda: self.tr("Exporting…"))
            self.records.export(path, cid, lang)

    def _exported(self, report) -> None:
        folder = QUrl.fromLocalFile(str(report.path.parent))
        self.banners.show_message("export", "success", lambda: self.tr(
            "Exported {rows} rows ({students} students) to {path} and checked the file.").format(
            rows=report.rows, students=report.students, path=report.path),
            [(lambda: self.tr("Open folder"), lambda: QDesktopServices.openUrl(folder))])

    def _export_failed(self, path: str, message: str) -> None:
        self.banners.show_message("export", "error", lambda: self.tr(
            "The grades were not exported: {error}. Choose another folder or file name.").format(
            error=message), [(lambda: self.tr("Export again…"), self.export_grades)])

    def import_roster(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Import a class roster"), str(Path.home()),
            self.tr("Rosters (*.xlsx *.csv)"))
        if path:
            cid = self.roster.current_class_id()
            name = self._classes[cid].name if cid in self._classes else Path(path).stem
            self.records.import_roster(path, name)

    def _imported(self, report) -> None:
        if getattr(report, "ok", True):
            self.banners.show_message("import", "success", lambda: self.tr(
                "Roster imported: {summary}").format(summary=report.summary()))
        else:
            self.banners.show_message("import", "error", lambda: self.tr(
                "The roster was not imported (nothing was changed): {summary}").format(
                summary=report.summary()))
        self.records.load_classes(self.roster.current_class_id())

    def choose_database(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Open or create class records"), str(self.database),
            self.tr("KineScore database (*.sqlite3)"),
            options=QFileDialog.Option.DontConfirmOverwrite)
        if path:
            self.database = Path(path)
            self.records.open(self.database, self.grading)

    # ------------------------------------------------------------------ settings
    def open_settings(self) -> None:
        if self.settings_dialog is None:
            self.settings_dialog = SettingsDialog(
                replace(self.settings, device=self.device_spec), self.heavy, self)
            self.settings_dialog.applied.connect(self.apply_settings)
            self.settings_dialog.finished.connect(self._settings_closed)
        self.settings_dialog.show()
        self.settings_dialog.raise_()

    def _settings_closed(self, _result) -> None:
        self.settings_dialog.deleteLater()
        self.settings_dialog = None

    def apply_settings(self, new: Settings) -> None:
        old = self.settings
        self.settings = new
        if new.language != old.language:
            self.set_language(new.language)
        if new.device != self.device_spec:
            self.device_spec = new.device
            self.open_device()
        if new.model != old.model:
            self.load_model()
        if new.thresholds != old.thresholds:
            self.apply_grading(new.grading())
            cid = self.roster.current_class_id()
            if cid is not None:
                self.records.load_results(cid)
        self.save()

    def apply_grading(self, grading) -> None:
        self.grading = grading
        self.roster.grading = grading
        self.results.set_grading(grading)
        self.replay.set_grading(grading)
        self.records.set_grading(grading)

    def set_language(self, language: str) -> None:
        i18n.set_language(language)
        self.settings.language = language
        self.save()

    def save(self) -> None:
        if not self.persist:
            return
        s = replace(self.settings, movement=self.live_panel.movement)
        if not self.demo:
            s.device = self.device_spec
        try:
            save_settings(s)
        except Exception as exc:  # noqa: BLE001 - settings are not worth a crash
            log.warning("saving settings failed: %s", exc)

    def about(self) -> None:
        self.banners.show_message("about", "info", lambda: self.tr(
            "KineScore {version}: automatic scoring of sports movements from 3D skeletons. "
            "Data stays on this computer: {db}").format(version=__version__, db=self.database))

    # ------------------------------------------------------------------ language, closing
    def retranslate(self) -> None:
        self.setWindowTitle("KineScore" + (self.tr(" — demo (simulated students, throwaway "
                                                   "records)") if self.demo else ""))
        self.tabs.setTabText(0, self.tr("Live"))
        self.tabs.setTabText(1, self.tr("Review"))
        self.file_menu.setTitle(self.tr("&File"))
        self.act_import.setText(self.tr("Import roster…"))
        self.act_export.setText(self.tr("Export grades…"))
        self.act_open_db.setText(self.tr("Open class records…"))
        self.act_quit.setText(self.tr("Quit"))
        self.attempt_menu.setTitle(self.tr("&Attempt"))
        self.act_start.setText(self.tr("Start / stop"))
        self.act_next.setText(self.tr("Next student"))
        self.act_prev.setText(self.tr("Previous student"))
        self.act_review.setText(self.tr("Review the latest attempt"))
        self.device_menu.setTitle(self.tr("&Device"))
        self.act_retry_device.setText(self.tr("Reconnect"))
        self.act_choose_device.setText(self.tr("Choose device…"))
        self.settings_menu.setTitle(self.tr("&Settings"))
        self.act_settings.setText(self.tr("Preferences…"))
        self.language_menu.setTitle(self.tr("Language"))
        self.help_menu.setTitle(self.tr("&Help"))
        self.act_about.setText(self.tr("About KineScore"))
        self._model_text()
        if self.scorer is None and not self.banners.text("model"):
            self.model_status.setText(self.tr("Loading the model…"))

    def closeEvent(self, ev) -> None:
        self.save()
        self.controller.shutdown()
        self.records.close()
        self.records_runner.wait(5000)
        self.heavy.wait(5000)
        super().closeEvent(ev)


def _pick_device() -> str:
    """The first real device connected, else the simulator (worker thread)."""
    from devices import list_devices

    found = [d for d in list_devices() if d.available]
    real = [d for d in found if d.kind != "simulator"]
    return (real or found)[0].spec if (real or found) else "simulator"

