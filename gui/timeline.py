"""The replay timeline: the four stages as coloured bands, the playhead, click or drag to
scrub."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

STAGE_COLOURS = ("#cfe2f3", "#d9ead3", "#fff2cc", "#f4cccc")


class Timeline(QWidget):
    seeked = Signal(float)  # seconds from the start

    def __init__(self, parent=None):
        super().__init__(parent)
        self.duration = 0.0
        self.position = 0.0
        self.stages: list[tuple[float, float, str]] = []
        self.setMinimumHeight(38)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(False)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def sizeHint(self) -> QSize:
        return QSize(400, 38)

    def set_duration(self, seconds: float) -> None:
        self.duration = max(0.0, float(seconds))
        self.update()

    def set_stages(self, stages: list[tuple[float, float, str]]) -> None:
        """``[(start_s, end_s, name), ...]``; empty when unknown."""
        self.stages = list(stages)
        self.update()

    def set_position(self, seconds: float) -> None:
        self.position = min(max(0.0, seconds), self.duration)
        self.update()

    def _x(self, s: float) -> float:
        w = self.width() - 8
        return 4 + (w * s / self.duration if self.duration > 0 else 0)

    def _seconds(self, x: float) -> float:
        w = self.width() - 8
        return min(max((x - 4) / w * self.duration, 0.0), self.duration) if w > 0 else 0.0

    def paintEvent(self, _ev) -> None:
        p = QPainter(self)
        h = self.height()
        p.fillRect(QRectF(4, 4, self.width() - 8, h - 8), QColor("#eeeeee"))
        for i, (a, b, name) in enumerate(self.stages):
            r = QRectF(self._x(a), 4, max(1.0, self._x(b) - self._x(a)), h - 8)
            p.fillRect(r, QColor(STAGE_COLOURS[i % len(STAGE_COLOURS)]))
            p.setPen(QPen(QColor("#888888"), 1))
            p.drawLine(r.topLeft(), r.bottomLeft())
            p.setPen(QColor("#333333"))
            p.drawText(r.adjusted(3, 0, -2, 0), Qt.AlignmentFlag.AlignVCenter
                       | Qt.AlignmentFlag.AlignLeft, name)
        x = self._x(self.position)
        p.setPen(QPen(QColor("#c0392b"), 3))
        p.drawLine(int(x), 1, int(x), h - 1)
        p.end()

    def mousePressEvent(self, ev) -> None:
        self._seek(ev.position().x())

    def mouseMoveEvent(self, ev) -> None:
        if ev.buttons() & Qt.MouseButton.LeftButton:
            self._seek(ev.position().x())

    def _seek(self, x: float) -> None:
        if self.duration > 0:
            self.set_position(self._seconds(x))
            self.seeked.emit(self.position)
