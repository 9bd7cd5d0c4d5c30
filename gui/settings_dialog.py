"""Settings: device, model, grade thresholds, language, and whether to save video (off by
default: skeleton only, for privacy). Opened without blocking the main window; OK emits
``applied`` with the new :class:`gui.settings.Settings`."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
)

from engine.grading import GRADES, GradingConfigError, default_grading
from gui import texts
from gui.i18n import Retranslatable
from gui.services import find_bundled_model
from gui.settings import Settings, grading_with


class SettingsDialog(Retranslatable, QDialog):
    applied = Signal(object)  # gui.settings.Settings

    def __init__(self, settings: Settings, heavy, parent=None):
        super().__init__(parent)
        self.setModal(False)
        self.settings = settings
        self.heavy = heavy
        lay = QVBoxLayout(self)
        # device
        self.device_box = QGroupBox()
        df = QFormLayout(self.device_box)
        self.device_combo = QComboBox()
        self.device_combo.currentIndexChanged.connect(self._device_picked)
        self.device_spec = QLineEdit(settings.device)
        self.refresh_button = QPushButton()
        self.refresh_button.clicked.connect(self.refresh_devices)
        row = QHBoxLayout()
        row.addWidget(self.device_combo, 1)
        row.addWidget(self.refresh_button)
        self.found_label, self.spec_label = QLabel(), QLabel()
        df.addRow(self.found_label, row)
        df.addRow(self.spec_label, self.device_spec)
        lay.addWidget(self.device_box)
        # model
        self.model_box = QGroupBox()
        mf = QHBoxLayout(self.model_box)
        self.model_edit = QLineEdit(settings.model)
        self.browse_button = QPushButton()
        self.browse_button.clicked.connect(self._browse)
        self.bundled_button = QPushButton()
        self.bundled_button.clicked.connect(lambda: self.model_edit.setText(""))
        mf.addWidget(self.model_edit, 1)
        mf.addWidget(self.browse_button)
        mf.addWidget(self.bundled_button)
        lay.addWidget(self.model_box)
        # thresholds
        self.grade_box = QGroupBox()
        gf = QFormLayout(self.grade_box)
        current = settings.grading()
        self.threshold_spins: list[QDoubleSpinBox] = []
        self.threshold_labels: list[QLabel] = []
        for lv in current.levels[:-1]:
            spin = QDoubleSpinBox()
            spin.setRange(0.5, 100)
            spin.setDecimals(1)
            spin.setValue(lv.min_score)
            label = QLabel()
            gf.addRow(label, spin)
            self.threshold_spins.append(spin)
            self.threshold_labels.append(label)
        self.reset_grades = QPushButton()
        self.reset_grades.clicked.connect(self._reset_thresholds)
        gf.addRow(self.reset_grades)
        lay.addWidget(self.grade_box)
        # language, privacy
        self.other_box = QGroupBox()
        of = QFormLayout(self.other_box)
        self.language_combo = QComboBox()
        self.language_combo.addItem("English", "en")
        self.language_combo.addItem("简体中文", "zh_CN")
        self.language_combo.setCurrentIndex(max(0, self.language_combo.findData(
            settings.effective_language)))
        self.skeleton_only = QRadioButton()
        self.with_video = QRadioButton()
        (self.with_video if settings.save_video else self.skeleton_only).setChecked(True)
        self.language_label, self.save_label = QLabel(), QLabel()
        of.addRow(self.language_label, self.language_combo)
        of.addRow(self.save_label, self.skeleton_only)
        of.addRow("", self.with_video)
        lay.addWidget(self.other_box)
        self.error_label = QLabel(wordWrap=True)
        self.error_label.setStyleSheet("color: #c0392b;")
        lay.addWidget(self.error_label)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._ok)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self._devices = []
        self.retranslate()
        self.refresh_devices()

    # ------------------------------------------------------------------ devices
    def refresh_devices(self) -> None:
        from devices import list_devices

        self.devices_loaded = False
        self.device_combo.clear()
        self.device_combo.addItem(self.tr("Looking for devices…"), None)
        self.heavy.run(lambda: list_devices(include_unavailable=True), self._devices_found,
                       lambda e: self._devices_found([]))

    def _devices_found(self, found) -> None:
        self._devices = list(found)
        self.devices_loaded = True
        self.device_combo.blockSignals(True)
        self.device_combo.clear()
        for d in found:
            label = d.name if d.available else f"{d.name} — {d.problem}"
            self.device_combo.addItem(label, d.spec)
            if not d.available:
                item = self.device_combo.model().item(self.device_combo.count() - 1)
                item.setEnabled(False)
        if not found:
            self.device_combo.addItem(self.tr("No device found"), None)
        i = self.device_combo.findData(self.device_spec.text())
        self.device_combo.setCurrentIndex(i if i >= 0 else -1)
        self.device_combo.blockSignals(False)

    def _device_picked(self, _i: int) -> None:
        spec = self.device_combo.currentData()
        if spec:
            self.device_spec.setText(spec)

    # ------------------------------------------------------------------ model, grades
    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Choose a scoring model"),
                                              self.model_edit.text(),
                                              self.tr("KineScore models (*.pt *.onnx)"))
        if path:
            self.model_edit.setText(path)

    def _reset_thresholds(self) -> None:
        for spin, lv in zip(self.threshold_spins, default_grading().levels):
            spin.setValue(lv.min_score)

    def result_settings(self) -> Settings:
        """The settings as edited (raises GradingConfigError for bad thresholds)."""
        mins = tuple(s.value() for s in self.threshold_spins)
        grading_with(mins)  # validates
        defaults = tuple(lv.min_score for lv in default_grading().levels[:-1])
        return replace(
            self.settings, device=self.device_spec.text().strip(),
            model=self.model_edit.text().strip(),
            thresholds=() if mins == defaults else mins,
            language=self.language_combo.currentData(),
            save_video=self.with_video.isChecked(),
        )  # fmt: skip

    def _ok(self) -> None:
        try:
            new = self.result_settings()
        except GradingConfigError:
            self.error_label.setText(self.tr(
                "Each grade's minimum score must be lower than the one above it."))
            return
        self.error_label.setText("")
        self.applied.emit(new)
        self.accept()

    # ------------------------------------------------------------------ language
    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("KineScore settings"))
        self.device_box.setTitle(self.tr("Device"))
        self.found_label.setText(self.tr("Connected:"))
        self.spec_label.setText(self.tr("Use:"))
        self.device_spec.setPlaceholderText(self.tr("e.g. simulator, webcam:0, kinect:0, "
                                                    "replay:/path/attempt.ksr"))
        self.refresh_button.setText(self.tr("Refresh"))
        self.model_box.setTitle(self.tr("Scoring model"))
        bundled = find_bundled_model()
        self.model_edit.setPlaceholderText(
            self.tr("Bundled model: {path}").format(path=bundled) if bundled
            else self.tr("No bundled model installed"))
        self.browse_button.setText(self.tr("Browse…"))
        self.bundled_button.setText(self.tr("Use bundled"))
        self.grade_box.setTitle(self.tr("Grade thresholds (minimum score)"))
        for label, key in zip(self.threshold_labels, GRADES):
            label.setText(texts.grade_name(key) + ":")
        self.reset_grades.setText(self.tr("Restore the school's defaults"))
        self.other_box.setTitle(self.tr("Language and privacy"))
        self.language_label.setText(self.tr("Language:"))
        self.save_label.setText(self.tr("Save:"))
        self.skeleton_only.setText(self.tr("Skeleton only (recommended, no pictures of students)"))
        self.with_video.setText(self.tr("Skeleton and colour video"))
