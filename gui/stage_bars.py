"""Four stage score bars: empty until the stage is complete, then filled to its score in the
colour of the grade that score would get. The stage in progress can show a provisional
estimate (pale, dashed). In the replay each bar carries the feedback for its stage."""

from __future__ import annotations

import math

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QWidget

from engine.grading import Grading, default_grading
from gui import texts


class _Bar(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.value = math.nan
        self.provisional = False
        self.colour = QColor("#999999")
        self.setMinimumHeight(22)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(160, 22)

    def paintEvent(self, _ev) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        p.setPen(QPen(QColor("#bbbbbb"), 1))
        p.setBrush(QColor("#f2f2f2"))
        p.drawRoundedRect(r, 4, 4)
        if math.isfinite(self.value):
            w = r.width() * max(0.0, min(100.0, self.value)) / 100.0
            fill = QRectF(r.x(), r.y(), w, r.height())
            c = QColor(self.colour)
            if self.provisional:
                c.setAlpha(90)
                p.setPen(QPen(self.colour, 1, Qt.PenStyle.DashLine))
            else:
                p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(c)
            p.drawRoundedRect(fill, 4, 4)
            p.setPen(QColor("#111111"))
            p.drawText(r.adjusted(6, 0, -6, 0), Qt.AlignmentFlag.AlignVCenter
                       | Qt.AlignmentFlag.AlignRight, f"{self.value:.0f}")
        p.end()


class StageBars(QWidget):
    """``set_movement`` names the stages; ``set_scores`` fills them."""

    def __init__(self, parent=None, with_feedback: bool = False):
        super().__init__(parent)
        self.grading: Grading = default_grading()
        self.movement = "standing_long_jump"
        lay = QGridLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setHorizontalSpacing(8)
        lay.setVerticalSpacing(2)
        self.names: list[QLabel] = []
        self.bars: list[_Bar] = []
        self.feedback: list[QLabel] = []
        for i in range(4):
            name = QLabel()
            bar = _Bar()
            lay.addWidget(name, 2 * i, 0)
            lay.addWidget(bar, 2 * i, 1)
            fb = QLabel(wordWrap=True)
            fb.setStyleSheet("color: #a04000;")
            fb.setVisible(False)
            if with_feedback:
                lay.addWidget(fb, 2 * i + 1, 1)
            self.names.append(name)
            self.bars.append(bar)
            self.feedback.append(fb)
        lay.setColumnStretch(1, 1)
        self.set_movement(self.movement)

    def set_movement(self, movement: str) -> None:
        self.movement = movement
        for label, key in zip(self.names, texts.stage_keys(movement)):
            label.setText(texts.stage_name(key))

    def set_scores(self, scores, done: int = 4, estimate: float = math.nan) -> None:
        """``scores`` (4,) with NaN for unknown; stages ``< done`` are complete; ``estimate``
        is shown (provisional) on stage ``done``."""
        for i, bar in enumerate(self.bars):
            v = float(scores[i]) if i < done and scores is not None else math.nan
            bar.provisional = False
            if i == done and math.isfinite(estimate):
                v, bar.provisional = float(estimate), True
            bar.value = v
            if math.isfinite(v):
                bar.colour = QColor(self.grading.level(self.grading.grade(v)).color)
            bar.update()

    def clear(self) -> None:
        self.set_scores([math.nan] * 4, done=0)
        self.set_feedback([[]] * 4)

    def set_feedback(self, per_stage: list[list[str]]) -> None:
        for label, cues in zip(self.feedback, per_stage):
            label.setText("\n".join(cues))
            label.setVisible(bool(cues))

    def values(self) -> list[float]:
        return [b.value for b in self.bars]

    def retranslate(self) -> None:
        self.set_movement(self.movement)
