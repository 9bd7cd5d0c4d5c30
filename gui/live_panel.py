"""The live view: movement picker, the student being tested, Start/Stop, the skeleton (over
the colour image when the device gives one) and the device's measured frame rate and
dropped frames."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gui import texts
from gui.i18n import Retranslatable
from gui.settings import MOVEMENTS
from gui.skeleton_view import SkeletonView


class LivePanel(Retranslatable, QWidget):
    start_stop = Signal()
    movement_changed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.running = False
        self.student = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.movement_label = QLabel()
        self.movement_combo = QComboBox()
        for m in MOVEMENTS:
            self.movement_combo.addItem("", m)
        self.movement_combo.currentIndexChanged.connect(
            lambda _i: self.movement_changed.emit(self.movement))
        self.student_label = QLabel()
        self.student_label.setStyleSheet("font-size: 15pt; font-weight: bold;")
        self.start_button = QPushButton()
        self.start_button.setMinimumWidth(110)
        self.start_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Space is the shortcut
        self.start_button.clicked.connect(self.start_stop)
        self.view_combo = QComboBox()
        self.view_combo.addItem("", "camera")
        self.view_combo.addItem("", "side")
        self.view_combo.currentIndexChanged.connect(
            lambda _i: self.view.set_projection(self.view_combo.currentData()))
        top.addWidget(self.movement_label)
        top.addWidget(self.movement_combo)
        top.addSpacing(12)
        top.addWidget(self.student_label, 1)
        top.addWidget(self.view_combo)
        top.addWidget(self.start_button)
        lay.addLayout(top)
        self.view = SkeletonView()
        self.view.setMinimumSize(360, 300)
        lay.addWidget(self.view, 1)
        self.device_label = QLabel()
        self.device_label.setStyleSheet("color: #444;")
        lay.addWidget(self.device_label)
        self._device = ("", None, 0.0)
        self.retranslate()

    @property
    def movement(self) -> str:
        return self.movement_combo.currentData()

    def set_movement(self, movement: str) -> None:
        i = self.movement_combo.findData(movement)
        if i >= 0:
            self.movement_combo.setCurrentIndex(i)

    def set_student(self, student) -> None:
        self.student = student
        self._student_text()

    def set_running(self, running: bool) -> None:
        self.running = running
        self.movement_combo.setEnabled(not running)
        self.start_button.setText(self.tr("Stop (Space)") if running else self.tr("Start (Space)"))
        self.start_button.setStyleSheet(
            "background: #c0392b; color: white; font-weight: bold;" if running
            else "background: #1b7f3b; color: white; font-weight: bold;")

    def show_frame(self, f) -> None:
        self.view.set_frame(f.joints, f.confidence, f.image, f.keypoints_2d)

    def show_no_device(self, text: str) -> None:
        self.view.clear_frame(text)
        self._device = ("", None, 0.0)
        self.device_label.setText(text)

    def show_status(self, status, view_fps: float) -> None:
        self._device = (status.name, status, view_fps)
        self._status_text()

    def _status_text(self) -> None:
        name, st, view_fps = self._device
        if st is None:
            return
        self.device_label.setText(self.tr(
            "{name}: {fps:.1f} fps measured (nominal {nominal:g}), view {view:.1f} fps, "
            "{dropped} dropped frames").format(name=name, fps=st.measured_fps,
                                               nominal=st.nominal_fps, view=view_fps,
                                               dropped=st.dropped_frames))

    def _student_text(self) -> None:
        st = self.student
        self.student_label.setText(
            f"{st.name}  ({st.student_number})" if st is not None else self.tr("No student selected"))

    def retranslate(self) -> None:
        self.movement_label.setText(self.tr("Movement:"))
        for i, m in enumerate(MOVEMENTS):
            self.movement_combo.setItemText(i, texts.movement_name(m))
        self.view_combo.setItemText(0, self.tr("Camera view"))
        self.view_combo.setItemText(1, self.tr("Side view"))
        self.view_combo.setToolTip(self.tr("Which side of the 3D skeleton to show"))
        self.set_running(self.running)
        self._student_text()
        self._status_text()
        self.view.retranslate()
