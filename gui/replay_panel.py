"""Replay review of a saved attempt: the skeleton (and the video, where recorded) with the
joints that cost the most points highlighted, a timeline with the four stages marked, play /
pause / scrub / speed, per-stage score bars with each stage's feedback, and the teacher's
override (score + note, kept beside the model's score).

Where the stages and joint contributions come from: the live scorer stores them in the
recording (``meta.extra["live"]``). For a recording without them (recovered after a crash,
or saved while no model was loaded) the current model rescores the recording in the
background when one is loaded; otherwise the timeline shows no stages.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from engine.grading import Grading, default_grading
from engine.skeleton import JOINTS
from gui import texts
from gui.i18n import Retranslatable
from gui.skeleton_view import SkeletonView
from gui.stage_bars import StageBars
from gui.tasks import TaskRunner
from gui.timeline import Timeline

ROLE = Qt.ItemDataRole.UserRole
SPEEDS = (0.25, 0.5, 1.0, 2.0)
TOP_JOINTS = 3


def load_review(attempt, scorer=None) -> dict:
    """Everything the replay needs, read on a worker thread."""
    from engine.live import SCORE_FPS, scoring_input
    from engine.recording import load_recording

    rec = load_recording(attempt.recording_path)
    live = rec.meta.extra.get("live", {}) if isinstance(rec.meta.extra, dict) else {}
    bounds = live.get("stage_bounds_s")
    contrib = live.get("joint_contribution")
    rescored = None
    if (bounds is None or contrib is None) and scorer is not None:
        joints, t0 = scoring_input(rec.timestamps, rec.joints, rec.confidence)
        rescored = scorer.score(joints, rec.meta.movement)
        bounds = (t0 - rec.timestamps[0] + np.asarray(rescored.stage_bounds) / SCORE_FPS).tolist()
        contrib = np.asarray(rescored.joint_contribution).tolist()
    video = video_t = None
    if rec.meta.video:
        path = Path(attempt.recording_path).parent / rec.meta.video
        stamps = rec.meta.extra.get("video_timestamps") if isinstance(rec.meta.extra, dict) else None
        if path.is_file() and stamps:
            video, video_t = path, np.asarray(stamps, float)
    return {"recording": rec, "stage_bounds_s": bounds, "joint_contribution": contrib,
            "rescored": rescored, "video": video, "video_t": video_t}


class ReplayPanel(Retranslatable, QWidget):
    override_requested = Signal(int, object, str)  # (attempt id, score or None, note)

    def __init__(self, heavy, scorer_fn=lambda: None, parent=None):
        super().__init__(parent)
        self.heavy = heavy
        self.scorer_fn = scorer_fn
        self.grading: Grading = default_grading()
        self.attempt = None
        self.review: dict | None = None
        self.position = 0.0
        self.playing = False
        self._gen = 0
        self.video_runner = TaskRunner("video", 1, self)
        self._video_want = None
        self._video_busy = False
        self._video_cap = None  # (path, cv2.VideoCapture) kept for sequential reads
        self._pending_load = False
        self._last_tick = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(30)
        self._timer.timeout.connect(self._advance)

        split = QSplitter(Qt.Orientation.Horizontal, self)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(split)
        # attempts
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        self.attempts_title = QLabel()
        self.attempts_title.setStyleSheet("font-weight: bold;")
        self.attempt_list = QListWidget()
        self.attempt_list.currentItemChanged.connect(self._picked)
        ll.addWidget(self.attempts_title)
        ll.addWidget(self.attempt_list, 1)
        split.addWidget(left)
        # player
        mid = QWidget()
        ml = QVBoxLayout(mid)
        ml.setContentsMargins(0, 0, 0, 0)
        self.view = SkeletonView()
        self.view.setMinimumSize(320, 260)
        ml.addWidget(self.view, 1)
        self.timeline = Timeline()
        self.timeline.seeked.connect(self.seek)
        ml.addWidget(self.timeline)
        controls = QHBoxLayout()
        self.play_button = QPushButton()
        self.play_button.clicked.connect(self.toggle_play)
        self.speed_combo = QComboBox()
        for s in SPEEDS:
            self.speed_combo.addItem(f"{s:g}×", s)
        self.speed_combo.setCurrentIndex(SPEEDS.index(1.0))
        self.time_label = QLabel()
        controls.addWidget(self.play_button)
        controls.addWidget(self.speed_combo)
        controls.addWidget(self.time_label, 1)
        ml.addLayout(controls)
        self.message = QLabel(wordWrap=True)
        self.message.setStyleSheet("color: #a04000;")
        ml.addWidget(self.message)
        split.addWidget(mid)
        # scores, stages, override
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        self.summary = QLabel(wordWrap=True)
        self.summary.setStyleSheet("font-size: 12pt;")
        rl.addWidget(self.summary)
        self.stage_bars = StageBars(with_feedback=True)
        rl.addWidget(self.stage_bars)
        self.joints_label = QLabel(wordWrap=True)
        rl.addWidget(self.joints_label)
        self.feedback_label = QLabel(wordWrap=True)
        rl.addWidget(self.feedback_label)
        self.override_box = QGroupBox()
        form = QFormLayout(self.override_box)
        self.override_score = QDoubleSpinBox()
        self.override_score.setRange(0, 100)
        self.override_score.setDecimals(1)
        self.override_note = QLineEdit()
        self.override_save = QPushButton()
        self.override_save.clicked.connect(self._save_override)
        self.override_remove = QPushButton()
        self.override_remove.clicked.connect(self._remove_override)
        self.override_status = QLabel(wordWrap=True)
        self.score_row_label = QLabel()
        self.note_row_label = QLabel()
        form.addRow(self.score_row_label, self.override_score)
        form.addRow(self.note_row_label, self.override_note)
        buttons = QHBoxLayout()
        buttons.addWidget(self.override_save)
        buttons.addWidget(self.override_remove)
        form.addRow(buttons)
        form.addRow(self.override_status)
        rl.addWidget(self.override_box)
        rl.addStretch(1)
        split.addWidget(right)
        split.setSizes([230, 500, 330])
        self.retranslate()
        self._show_attempt_info()

    # ------------------------------------------------------------------ attempts
    def set_grading(self, grading: Grading) -> None:
        self.grading = grading
        self.stage_bars.grading = grading
        self._show_attempt_info()

    def set_attempts(self, attempts, select_id: int | None = None) -> None:
        self.attempt_list.blockSignals(True)
        self.attempt_list.clear()
        chosen = None
        for a in attempts:
            item = QListWidgetItem(self._attempt_text(a))
            item.setData(ROLE, a)
            self.attempt_list.addItem(item)
            if a.id == select_id:
                chosen = item
        if chosen is None and attempts:
            chosen = self.attempt_list.item(0)
        if chosen is not None:
            self.attempt_list.setCurrentItem(chosen)
        self.attempt_list.blockSignals(False)
        self.show_attempt(chosen.data(ROLE) if chosen is not None else None)

    def _attempt_text(self, a) -> str:
        when = a.started_at.astimezone().strftime("%Y-%m-%d %H:%M")
        s = a.effective_score
        score = "—" if s is None else f"{s:.1f} {texts.grade_name(self.grading.grade(s))}"
        return f"{when}\n{texts.movement_name(a.movement)}: {score}"

    def _picked(self, item, _prev=None) -> None:
        if item is not None:
            self.show_attempt(item.data(ROLE))

    def show_attempt(self, attempt) -> None:
        """Show ``attempt`` (an ``engine.records.Attempt``); its recording loads in the
        background."""
        self.pause()
        self._gen += 1
        self._pending_load = False
        self.attempt, self.review = attempt, None
        self.position = 0.0
        self.view.clear_frame("")
        self.timeline.set_stages([])
        self.timeline.set_duration(0)
        self._show_attempt_info()
        if attempt is None:
            self.message.setText("")
            return
        if attempt.recording_path is None:
            self.message.setText(self.tr("This attempt has no recording (it was entered "
                                         "without a camera)."))
            return
        self.message.setText(self.tr("Loading the recording…"))
        self._pending_load = True
        if self.isVisible():  # else when the Review tab is shown (no I/O for hidden tabs)
            self._load()

    def _load(self) -> None:
        self._pending_load = False
        attempt, gen, scorer = self.attempt, self._gen, self.scorer_fn()
        self.heavy.run(lambda: load_review(attempt, scorer),
                       lambda r: self._loaded(gen, r), lambda e: self._load_failed(gen, e))

    def showEvent(self, ev) -> None:
        super().showEvent(ev)
        if self._pending_load and self.attempt is not None:
            self._load()

    def update_attempt(self, attempt) -> None:
        """The same attempt changed (override saved): refresh texts, keep the recording."""
        for i in range(self.attempt_list.count()):
            item = self.attempt_list.item(i)
            if item.data(ROLE).id == attempt.id:
                item.setData(ROLE, attempt)
                item.setText(self._attempt_text(attempt))
        if self.attempt is not None and self.attempt.id == attempt.id:
            self.attempt = attempt
            self._show_attempt_info()

    def _loaded(self, gen: int, review: dict) -> None:
        if gen != self._gen:
            return
        self.review = review
        rec = review["recording"]
        self.timeline.set_duration(rec.duration)
        bounds = review["stage_bounds_s"]
        keys = texts.stage_keys(rec.meta.movement)
        if bounds is not None:
            self.timeline.set_stages([(float(a), float(b), texts.stage_name(k))
                                      for (a, b), k in zip(bounds, keys)])
        contrib = review["joint_contribution"]
        top = [] if contrib is None else list(np.argsort(-np.asarray(contrib))[:TOP_JOINTS])
        self.view.set_highlight([int(i) for i in top])
        msg = ""
        if bounds is None:
            msg = self.tr("Stages unknown: this recording was not scored and no model is "
                          "loaded.")
        elif review["rescored"] is not None:
            msg = self.tr("Stages and joints from the current model (the recording did not "
                          "store them).")
        self.message.setText(msg)
        self._show_attempt_info()
        self.seek(0.0)

    def _load_failed(self, gen: int, exc: BaseException) -> None:
        if gen != self._gen:
            return
        self.message.setText(self.tr("Cannot show this recording: {error}").format(error=exc))

    # ------------------------------------------------------------------ playback
    def toggle_play(self) -> None:
        self.pause() if self.playing else self.play()

    def play(self) -> None:
        if self.review is None:
            return
        rec = self.review["recording"]
        if self.position >= rec.duration:
            self.position = 0.0
        self.playing = True
        self._last_tick = time.monotonic()
        self._timer.start()
        self._controls_text()

    def pause(self) -> None:
        self.playing = False
        self._timer.stop()
        self._controls_text()

    @property
    def speed(self) -> float:
        return float(self.speed_combo.currentData())

    def _advance(self) -> None:
        now = time.monotonic()
        dt, self._last_tick = now - self._last_tick, now
        rec = self.review["recording"] if self.review else None
        if rec is None:
            self.pause()
            return
        pos = self.position + dt * self.speed
        if pos >= rec.duration:
            pos = rec.duration
            self.pause()
        self.seek(pos)

    def seek(self, seconds: float) -> None:
        if self.review is None:
            return
        rec = self.review["recording"]
        self.position = min(max(0.0, seconds), rec.duration)
        t = rec.timestamps - rec.timestamps[0]
        i = int(np.clip(np.searchsorted(t, self.position, side="right") - 1, 0, len(t) - 1))
        self.frame_index = i
        video = self.review.get("video")
        if video is not None:  # the picture comes from the decoder thread, the skeleton with it
            vt = self.review["video_t"]
            self._request_video(int(np.argmin(np.abs(vt - t[i]))), i)
        else:
            self.view.set_frame(rec.joints[i], rec.confidence[i])
        self.timeline.set_position(self.position)
        self.time_label.setText(f"{self.position:5.2f} / {rec.duration:.2f} s")

    def _request_video(self, video_index: int, frame_index: int) -> None:
        """Decode video frames off the UI thread; while one decodes, only the newest
        request waits (scrubbing never queues up work)."""
        self._video_want = (self._gen, video_index, frame_index)
        if not self._video_busy:
            self._decode_next()

    def _decode_next(self) -> None:
        from engine.video import read_frame

        want, self._video_want = self._video_want, None
        if want is None or self.review is None or want[0] != self._gen:
            return
        self._video_busy = True
        path = self.review["video"]
        cap = self._video_cap[1] if self._video_cap and self._video_cap[0] == path else None
        self.video_runner.run(lambda: read_frame(path, want[1], cap),
                              lambda r: self._decoded(want, path, r),
                              lambda e: self._decoded(want, path, (None, None)))

    def _decoded(self, want, path, result) -> None:
        self._video_busy = False
        image, cap = result
        self._video_cap = (path, cap) if cap is not None else None
        if want[0] == self._gen and self.review is not None:
            rec = self.review["recording"]
            i = want[2]
            kp = None if rec.keypoints_2d is None else rec.keypoints_2d[i]
            self.view.set_frame(rec.joints[i], rec.confidence[i], image, kp)
        self._decode_next()

    # ------------------------------------------------------------------ scores & override
    def _show_attempt_info(self) -> None:
        a = self.attempt
        enabled = a is not None and a.status != "in_progress"
        self.override_box.setEnabled(enabled)
        if a is None:
            self.summary.setText(self.tr("Choose an attempt to review."))
            self.stage_bars.clear()
            self.joints_label.setText("")
            self.feedback_label.setText("")
            return
        self.stage_bars.set_movement(a.movement)
        parts = [f"<b>{texts.movement_name(a.movement)}</b>"]
        if a.score is not None:
            g = self.grading.grade(a.score)
            parts.append(self.tr("Model: {s:.1f} ({g})").format(s=a.score, g=self._grade_html(g)))
        else:
            parts.append(self.tr("Model: not scored"))
        if a.overridden:
            g = self.grading.grade(a.override_score)
            parts.append(self.tr("Teacher: {s:.1f} ({g}) — {note}").format(
                s=a.override_score, g=self._grade_html(g), note=a.override_note))
        if a.repetitions is not None:
            parts.append(self.tr("Repetitions: {n}").format(n=a.repetitions))
        self.summary.setText("<br>".join(parts))
        stages = a.stage_scores if a.stage_scores is not None else [math.nan] * 4
        self.stage_bars.set_scores(stages, done=4)
        per_stage: list[list[str]] = [[] for _ in range(4)]
        general = []
        keys = texts.stage_keys(a.movement)
        for key in a.feedback:
            kind, _, name = key.partition(":")
            stage = name if kind == "stage" else texts.fault_stage(a.movement, name)
            text = texts.feedback_text(a.movement, key)
            if stage in keys:
                per_stage[keys.index(stage)].append(text)
            else:
                general.append(text)
        self.stage_bars.set_feedback(per_stage)
        self.feedback_label.setText("\n".join(f"• {g}" for g in general))
        contrib = None if self.review is None else self.review["joint_contribution"]
        if contrib is not None:
            top = np.argsort(-np.asarray(contrib))[:TOP_JOINTS]
            names = ", ".join(texts.joint_name(JOINTS[i]) for i in top)
            self.joints_label.setText(self.tr("Joints that cost the most points (red): {names}")
                                      .format(names=names))
        else:
            self.joints_label.setText("")
        if a.overridden:
            self.override_score.setValue(a.override_score)
            self.override_note.setText(a.override_note)
        else:
            self.override_score.setValue(a.score if a.score is not None else 0.0)
            self.override_note.setText("")
        self.override_remove.setEnabled(a.overridden)

    def _grade_html(self, grade: str) -> str:
        colour = self.grading.level(grade).color
        return f'<span style="color:{colour}; font-weight:bold">{texts.grade_name(grade)}</span>'

    def _save_override(self) -> None:
        if self.attempt is None:
            return
        note = self.override_note.text().strip()
        if not note:
            self.override_status.setText(self.tr("Write a note saying why you change the score."))
            return
        self.override_status.setText(self.tr("Saving…"))
        self.override_requested.emit(self.attempt.id, float(self.override_score.value()), note)

    def _remove_override(self) -> None:
        if self.attempt is not None:
            self.override_status.setText(self.tr("Saving…"))
            self.override_requested.emit(self.attempt.id, None, "")

    def override_done(self, attempt=None, error: str | None = None) -> None:
        if error:
            self.override_status.setText(self.tr("Not saved: {error}").format(error=error))
        else:
            self.override_status.setText(self.tr("Saved."))
            self.update_attempt(attempt)

    # ------------------------------------------------------------------ language
    def _controls_text(self) -> None:
        self.play_button.setText(self.tr("Pause") if self.playing else self.tr("Play"))

    def retranslate(self) -> None:
        self.attempts_title.setText(self.tr("Attempts of the selected student"))
        self.override_box.setTitle(self.tr("Teacher's score"))
        self.score_row_label.setText(self.tr("Score:"))
        self.note_row_label.setText(self.tr("Note:"))
        self.override_note.setPlaceholderText(self.tr("Why the score is changed (required)"))
        self.override_save.setText(self.tr("Save override"))
        self.override_remove.setText(self.tr("Remove override"))
        self.speed_combo.setToolTip(self.tr("Playback speed"))
        self._controls_text()
        self.stage_bars.retranslate()
        for i in range(self.attempt_list.count()):
            item = self.attempt_list.item(i)
            item.setText(self._attempt_text(item.data(ROLE)))
        self._show_attempt_info()
        self.view.retranslate()
