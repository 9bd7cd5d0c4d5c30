"""The live session behind the main window: the open device, the live scorer, and a timer
that pulls the newest frame and result for the widgets.

Threads: the device's capture thread hands every frame to the live scorer
(``LiveScorer.feed``: a queue append, never blocking); the live scorer's worker thread
detects, scores and saves attempts; opening and closing devices runs on the "heavy" task
runner. The UI thread only reads ``source.latest()``, ``source.status()`` and
``live.state`` on a 15 ms timer, so it never waits for any of them.
"""

from __future__ import annotations

import logging
import time
from collections import deque

from PySide6.QtCore import QObject, QTimer, Signal

from engine.live import LiveScorer, Phase
from gui.tasks import TaskRunner

log = logging.getLogger("gui")
POLL_MS = 15  # the pull timer: ~66 Hz, so a 30 fps device never loses a drawn frame
STATUS_MS = 500


#: The demo's simulated students wait 3.5 s between attempts (the next student stepping
#: up), long enough for the live scorer to see each attempt end by rest (2.5 s for sit-ups).
SIMULATOR_OPTIONS = {"gap_seconds": 3.5}


def device_spec_for(spec: str, movement: str) -> str:
    """The simulator plays the chosen movement; other devices do not care."""
    kind = spec.split(":", 1)[0].strip().lower()
    return f"simulator:{movement}" if kind == "simulator" else spec


class LiveController(QObject):
    frame = Signal(object)  # the newest devices.Frame
    status = Signal(object, float)  # (devices.SourceStatus, frames drawn per second)
    device_opened = Signal(str)  # device name
    device_failed = Signal(str, str)  # (message, error code)
    live_state = Signal(object)  # engine.live.LiveState, when it changed

    def __init__(self, heavy: TaskRunner, parent: QObject | None = None):
        super().__init__(parent)
        self.heavy = heavy
        self.live = LiveScorer(None).start()
        self.source = None
        self.spec = ""
        self.video = None  # engine.video.VideoRecorder while a take keeps video
        self.opening = False
        self._gen = 0
        self._last_frame = None
        self._last_version = -1
        self._failed_reported = False
        self._drawn: deque[float] = deque(maxlen=256)
        self._last_status = 0.0
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.tick)
        self.timer.start()

    # ------------------------------------------------------------------ device
    def open_device(self, spec: str, movement: str = "") -> None:
        """Open ``spec`` in the background (the old device is closed first)."""
        from devices import create_source

        spec = device_spec_for(spec, movement) if movement else spec
        self._gen += 1
        gen = self._gen
        old, self.source = self.source, None
        self.spec = spec
        self.opening = True
        self._failed_reported = False
        self._last_frame = None
        if old is not None:
            old.remove_listener(self._feed)
        if self.live.state.phase is Phase.ACTIVE:
            self.live.stop()  # keep what was captured

        def work():
            if old is not None:
                old.close()
            simulator = spec.split(":", 1)[0].strip().lower() == "simulator"
            src = create_source(spec, **(SIMULATOR_OPTIONS if simulator else {}))
            try:
                src.open()
                src.start()
            except BaseException:
                src.close()
                raise
            return src

        self.heavy.run(work, lambda src: self._opened(gen, src), lambda exc: self._failed(gen, exc))

    def retry_device(self) -> None:
        if self.spec:
            self.open_device(self.spec)

    def _opened(self, gen: int, src) -> None:
        if gen != self._gen:  # a newer open_device() superseded this one
            self.heavy.run(src.close)
            return
        self.opening = False
        self.source = src
        src.add_listener(self._feed)
        self.device_opened.emit(src.name)

    def _failed(self, gen: int, exc: BaseException) -> None:
        if gen != self._gen:
            return
        self.opening = False
        code = getattr(exc, "code", "failed")
        msg = getattr(exc, "message", None) or str(exc)
        self._failed_reported = True
        self.device_failed.emit(msg, code)

    def _feed(self, f) -> None:  # capture thread
        self.live.feed(f.timestamp, f.joints, f.confidence, f.keypoints_2d)
        video = self.video
        if video is not None and f.image is not None:
            video.add(f.timestamp, f.image)

    def close_device(self) -> None:
        self._gen += 1
        src, self.source = self.source, None
        if src is not None:
            src.remove_listener(self._feed)
            self.heavy.run(src.close)

    # ------------------------------------------------------------------ scoring
    def set_scorer(self, scorer) -> None:
        self.live.set_scorer(scorer)

    def start_attempt(self, movement: str, sink) -> None:
        self.live.arm(movement, sink=sink)

    def stop_attempt(self) -> None:
        self.live.stop()

    # ------------------------------------------------------------------ the pull timer
    def tick(self) -> None:
        src = self.source
        now = time.monotonic()
        if src is not None:
            f = src.latest()
            if f is not None and f is not self._last_frame:
                self._last_frame = f
                self._drawn.append(now)
                self.frame.emit(f)
            if now - self._last_status >= STATUS_MS / 1000:
                self._last_status = now
                self.status.emit(src.status(), self.view_fps(now))
            err = src.error
            if err is not None and not self._failed_reported:
                self._failed_reported = True
                if self.live.state.phase is Phase.ACTIVE:
                    self.live.stop()  # save what was captured before the device went away
                self.device_failed.emit(err.message, err.code)
        st = self.live.state
        if st.version != self._last_version:
            self._last_version = st.version
            self.live_state.emit(st)

    def view_fps(self, now: float | None = None) -> float:
        """Frames drawn per second over the last two seconds."""
        now = time.monotonic() if now is None else now
        recent = [t for t in self._drawn if t > now - 2.0]
        if len(recent) < 2:
            return 0.0
        return (len(recent) - 1) / max(recent[-1] - recent[0], 1e-6)

    def shutdown(self) -> None:
        """At exit: stop the timer, the live scorer and the device (may wait briefly)."""
        self.timer.stop()
        self.live.close()
        src, self.source = self.source, None
        if src is not None:
            src.remove_listener(self._feed)
            src.close()
