"""The results of the attempt in progress or just finished: what the live scorer is doing,
the live estimate, the stage bars, and at the end the score, the colour-coded five-level
grade (with its national four-level equivalent), the repetitions and the top feedback cues."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from engine.grading import Grading, default_grading
from engine.live import LiveState, Phase
from gui import texts
from gui.i18n import Retranslatable
from gui.stage_bars import StageBars

TOP_CUES = 3


class ResultsPanel(Retranslatable, QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.grading: Grading = default_grading()
        self.state: LiveState | None = None
        self.movement = "standing_long_jump"
        self.scorer_ready = False
        self.student = None
        self.setMinimumWidth(320)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 0, 0, 0)
        self.who_label = QLabel(wordWrap=True)  # whose attempt: the roster moves on at the end
        self.who_label.setStyleSheet("font-weight: bold; color: #333;")
        lay.addWidget(self.who_label)
        self.phase_label = QLabel(wordWrap=True)
        self.phase_label.setStyleSheet("font-size: 11pt;")
        lay.addWidget(self.phase_label)
        row = QHBoxLayout()
        self.score_label = QLabel("—")
        self.score_label.setStyleSheet("font-size: 36pt; font-weight: bold;")
        self.grade_label = QLabel()
        self.grade_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.grade_label.setMinimumWidth(110)
        row.addWidget(self.score_label)
        row.addWidget(self.grade_label)
        row.addStretch(1)
        lay.addLayout(row)
        self.detail_label = QLabel(wordWrap=True)
        self.detail_label.setStyleSheet("color: #555;")
        lay.addWidget(self.detail_label)
        self.reps_label = QLabel()
        self.reps_label.setStyleSheet("font-size: 16pt;")
        lay.addWidget(self.reps_label)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        lay.addWidget(line)
        self.stages_title = QLabel()
        self.stages_title.setStyleSheet("font-weight: bold;")
        lay.addWidget(self.stages_title)
        self.stage_bars = StageBars()
        lay.addWidget(self.stage_bars)
        self.feedback_title = QLabel()
        self.feedback_title.setStyleSheet("font-weight: bold;")
        lay.addWidget(self.feedback_title)
        self.feedback_label = QLabel(wordWrap=True)
        self.feedback_label.setAlignment(Qt.AlignmentFlag.AlignTop)
        lay.addWidget(self.feedback_label)
        lay.addStretch(1)
        self.retranslate()

    def set_grading(self, grading: Grading) -> None:
        self.grading = grading
        self.stage_bars.grading = grading
        self._render()

    def set_movement(self, movement: str) -> None:
        self.movement = movement
        self.stage_bars.set_movement(movement)

    def set_student(self, student) -> None:
        """The student whose attempt these results are."""
        self.student = student
        self._render()

    def set_scorer_ready(self, ready: bool) -> None:
        self.scorer_ready = ready
        self._render()

    def show_state(self, st: LiveState) -> None:
        self.state = st
        if st.movement and st.movement != self.movement:
            self.set_movement(st.movement)
        self._render()

    # ------------------------------------------------------------------ rendering
    def _render(self) -> None:
        st = self.state
        who = self.student
        self.who_label.setVisible(who is not None)
        if who is not None:
            self.who_label.setText(self.tr("{name} ({number}): {movement}").format(
                name=who.name, number=who.student_number,
                movement=texts.movement_name(self.movement)))
        phase = st.phase.value if st is not None else "idle"
        text = texts.phase_text(phase)
        if st is not None and st.phase is Phase.ACTIVE:
            text += f" — {st.elapsed:.1f} s"
        if st is not None and st.phase is Phase.DONE and st.end_reason is not None:
            text += " (" + texts.end_reason_text(st.end_reason.value) + ")"
        self.phase_label.setText(text)
        final = st.final if st is not None else None
        live = st.window_result if st is not None else None
        if final is not None:
            self._score(final.score, big=True)
            self.detail_label.setText(self.tr("Model {version}").format(version=final.model_version))
        elif live is not None and st.phase is Phase.ACTIVE:
            self._score(live.score, big=False)
            self.detail_label.setText(self.tr("Live estimate from the last 3 seconds"))
        else:
            self._score(None)
            if st is not None and st.phase is Phase.DONE and st.final is None:
                self.detail_label.setText(
                    self.tr("Not scored: no model is loaded. The attempt was saved unscored.")
                    if not st.scorer_ready else self.tr("Not scored (see the message above)."))
            elif not self.scorer_ready:
                self.detail_label.setText(
                    self.tr("No scoring model: live view and recording only."))
            else:
                self.detail_label.setText("")
        reps = st.repetitions if st is not None else None
        self.reps_label.setVisible(reps is not None)
        if reps is not None:
            self.reps_label.setText(self.tr("Repetitions: {n}").format(n=reps))
        if st is None or st.phase in (Phase.IDLE, Phase.WAITING, Phase.READY, Phase.CANCELLED):
            self.stage_bars.set_scores([math.nan] * 4, done=0)
        else:
            self.stage_bars.set_scores(st.stage_scores, st.stages_done, st.stage_estimate)
        cues = []
        if final is not None:
            cues = [texts.feedback_text(self.movement, k) for k in final.feedback[:TOP_CUES]]
        self.feedback_label.setText("\n".join(f"• {c}" for c in cues) if cues else "—")

    def _score(self, score: float | None, big: bool = True) -> None:
        if score is None:
            self.score_label.setText("—")
            self.score_label.setStyleSheet("font-size: 36pt; font-weight: bold; color: #999;")
            self.grade_label.setText("")
            self.grade_label.setStyleSheet("")
            return
        grade = self.grading.grade(score)
        colour = self.grading.level(grade).color
        self.score_label.setText(f"{score:.1f}")
        self.score_label.setStyleSheet(
            f"font-size: {36 if big else 24}pt; font-weight: bold; color: {'#111' if big else '#777'};")
        national = self.grading.national(grade)
        national_text = self.tr("national: {n}").format(n=texts.grade_name(national))
        self.grade_label.setText(f"{texts.grade_name(grade)}\n{national_text}")
        alpha = "" if big else "border: 2px dashed white;"
        self.grade_label.setStyleSheet(
            f"background: {colour}; color: white; font-size: 15pt; font-weight: bold; "
            f"border-radius: 6px; padding: 6px; {alpha}")

    def grade_text(self) -> str:
        return self.grade_label.text().split("\n")[0]

    def retranslate(self) -> None:
        self.stages_title.setText(self.tr("Stages"))
        self.feedback_title.setText(self.tr("What to work on"))
        self.stage_bars.retranslate()
        self._render()
