"""Simulated students as a live source: ``simulator`` or ``simulator:sit_ups``.

The embedded default behind ``kinescore --demo``: no hardware needed. The source asks an
*attempt generator* for one attempt at a time — a student of a simulated class doing one of
the four movements (all four in turn unless one is named), with faults drawn from the
student's skill — plays what the simulated depth sensor saw at its recorded pace (or ``speed``
times faster; ``speed=None`` as fast as the consumer reads), holds the student still for
``gap_seconds``, and goes on with the next student (forever, unless ``attempts`` is given).

The default generator is :func:`engine_generator`, on ``engine.simulator.simulate_attempt``:
attempt ``i`` is ``simulate_attempt(movement, seed=[seed, i], student=i % class_size,
population_seed=seed)``, so the same seed replays the same class. Its sensor model already
places the joints in the canonical camera frame, jitters frame times, drops frames, adds noise
and occlusions; the source keeps those timestamps (frame gaps count in ``dropped_frames``, as
on a real sensor) and maps them onto the monotonic clock.

What the simulator knows about the attempt (student, score, grade, faults, stage scores...)
is :attr:`SimulatorSource.current_attempt` while it plays; the attempt recorder stores the
latest one under ``RecordingMeta.extra["simulated_attempt"]`` (not as top-level labels: a live
recording is trimmed and includes the pause, so the simulator's frame-indexed stage bounds
would not fit it).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from devices.base import (
    DeviceError,
    DeviceInfo,
    EndOfStream,
    ErrorCode,
    Frame,
    SkeletonSource,
    clock,
    register_source,
)
from engine.skeleton import NUM_JOINTS

MOVEMENTS = ("standing_long_jump", "sit_ups", "free_throw", "overhead_pass")

#: The labels of a simulated attempt exposed live and stored with a recording.
LIVE_LABELS = (
    "score", "grade", "faults", "stage_scores", "stage_keys", "true_score", "repetitions",
)  # fmt: skip


@dataclass
class SimulatedAttempt:
    """One attempt as the sensor saw it: joints (T, 17, 3) canonical camera-frame metres,
    confidence (T, 17), timestamps (T,) seconds (any origin, increasing), labels (JSON)."""

    joints: np.ndarray
    confidence: np.ndarray
    timestamps: np.ndarray
    labels: dict[str, Any] = field(default_factory=dict)


#: ``generate(movement, index, seed) -> SimulatedAttempt``
Generator = Callable[[str, int, int], SimulatedAttempt]


def engine_generator(class_size: int = 30, **options) -> Generator:
    """The default generator, on ``engine.simulator.simulate_attempt`` (``options`` go to it,
    e.g. ``sensor=False`` for an ideal sensor). Raises :class:`DeviceError` when the simulator
    is not part of this build."""
    try:
        from engine.simulator import simulate_attempt
    except ImportError as exc:
        raise DeviceError(
            "The movement simulator is not part of this KineScore build (engine.simulator is "
            "missing). Reinstall KineScore, or choose a camera instead.",
            code=ErrorCode.SDK_MISSING, retry=False,
        ) from exc  # fmt: skip

    def generate(movement: str, index: int, seed: int) -> SimulatedAttempt:
        att = simulate_attempt(
            movement, seed=[seed, index], student=index % class_size, population_seed=seed,
            **options,
        )  # fmt: skip
        rec = att.recording
        extra = rec.meta.extra or {}
        labels = {k: extra[k] for k in LIVE_LABELS if k in extra}
        labels["student_id"] = rec.meta.student_id
        labels["seed"] = [int(seed), int(index)]
        return SimulatedAttempt(rec.joints, rec.confidence, rec.timestamps, labels)

    return generate


@register_source("simulator")
class SimulatorSource(SkeletonSource):
    """Simulated students, live. See the module docstring.

    Args:
        movement: one movement key, or None to cycle through the four.
        seed: seed of the simulated class and its attempts (same seed, same stream).
        speed: 1 = real time; None/0/"max" = as fast as possible (pull mode).
        attempts: end the stream after this many attempts; None = forever.
        gap_seconds: the student stands still this long between attempts.
        generator: attempt generator (default: :func:`engine_generator`).
        generator_options: options for :func:`engine_generator` (``class_size``, ``sensor``...).
    """

    def __init__(
        self,
        movement: str | None = None,
        *,
        seed: int = 0,
        speed: float | str | None = 1.0,
        attempts: int | None = None,
        gap_seconds: float = 1.5,
        generator: Generator | None = None,
        generator_options: dict[str, Any] | None = None,
    ):
        from devices.replay import _parse_speed

        if movement is not None and movement not in MOVEMENTS:
            raise DeviceError(
                f"Unknown movement {movement!r} for the simulator; choose one of "
                f"{', '.join(MOVEMENTS)}.",
                code=ErrorCode.BAD_SPEC, retry=False,
            )  # fmt: skip
        super().__init__("Simulator", serial=f"sim-{seed}", nominal_fps=30.0)
        self.movement = movement
        self.seed = int(seed)
        self.speed = _parse_speed(speed)
        self.pull = self.speed is None
        self.attempts = attempts
        self.gap_seconds = gap_seconds
        self._generator = generator
        self._generator_options = generator_options or {}
        self._attempt_no = 0
        # frames to play: (time from stream start, joints, confidence, labels or None)
        self._queue: deque[tuple[float, np.ndarray, np.ndarray, dict | None]] = deque()
        self._t_next = 0.0  # stream time at which the next attempt starts
        self._prev_t: float | None = None
        self._info_lock = threading.Lock()
        self._current_labels: dict[str, Any] | None = None
        self._last_labels: dict[str, Any] | None = None  # survives the pause after an attempt
        self._anchor = 0.0  # clock time of stream time ``_anchor_t``
        self._anchor_t = 0.0
        self._n = 0

    @classmethod
    def from_spec(cls, arg: str | None, **options) -> SimulatorSource:
        return cls(arg or None, **options)

    @classmethod
    def discover(cls) -> list[DeviceInfo]:
        return [DeviceInfo("simulator", "simulator", "Simulated students (demo)")]

    # ------------------------------------------------------------------ info
    @property
    def current_attempt(self) -> dict[str, Any] | None:
        """Labels of the attempt being played (None during the pause between attempts)."""
        with self._info_lock:
            return None if self._current_labels is None else dict(self._current_labels)

    @property
    def attempts_started(self) -> int:
        return self._attempt_no

    def metadata(self) -> dict[str, Any]:
        """Adds ``simulated_attempt``: the labels of the latest attempt played (also during the
        pause after it, so a recording stopped then still gets them)."""
        md = super().metadata()
        with self._info_lock:
            labels = self._last_labels
        if labels is not None:
            md["simulated_attempt"] = dict(labels)
        return md

    # ------------------------------------------------------------------ backend
    def _open(self) -> None:
        if self._generator is None:
            self._generator = engine_generator(**self._generator_options)

    def _on_start(self) -> None:
        # stream time continues where it stopped; the clock anchor moves to now
        head = self._queue[0][0] if self._queue else self._t_next
        self._anchor = max(clock(), self._last_timestamp + 1.0 / self.nominal_fps)
        self._anchor_t = head
        self._prev_t = None

    def _next_attempt(self) -> None:
        if self.attempts is not None and self._attempt_no >= self.attempts:
            raise EndOfStream
        movement = self.movement or MOVEMENTS[self._attempt_no % len(MOVEMENTS)]
        att = self._generator(movement, self._attempt_no, self.seed)
        joints = np.asarray(att.joints, dtype=np.float32)
        t = np.asarray(att.timestamps, dtype=np.float64)
        conf = np.asarray(att.confidence, dtype=np.float32)
        if joints.ndim != 3 or joints.shape[1:] != (NUM_JOINTS, 3) or len(joints) == 0:
            raise DeviceError(
                f"The simulator produced joints of shape {joints.shape}, expected (T, 17, 3).",
                code=ErrorCode.FAILED,
            )  # fmt: skip
        if t.shape != (len(joints),) or conf.shape != (len(joints), NUM_JOINTS):
            raise DeviceError("The simulator's timestamps or confidence do not match its "
                              "joints.", code=ErrorCode.FAILED)  # fmt: skip
        labels = {"movement": movement, "attempt": self._attempt_no, **att.labels}
        self._attempt_no += 1
        rel = self._t_next + (t - t[0])
        for k in range(len(joints)):
            self._queue.append((float(rel[k]), joints[k], conf[k], labels))
        dt = 1.0 / self.nominal_fps
        last = float(rel[-1])
        n_gap = int(round(self.gap_seconds * self.nominal_fps))
        for k in range(1, n_gap + 1):  # standing still after the attempt
            self._queue.append((last + k * dt, joints[-1], conf[-1], None))
        self._t_next = last + (n_gap + 1) * dt

    def _capture(self, timeout: float) -> Frame | None:
        if not self._queue:
            self._next_attempt()
        t_rel, joints, conf, labels = self._queue[0]
        due = self._anchor + (t_rel - self._anchor_t) / (self.speed or 1.0)
        if self.speed is not None:
            wait = due - clock()
            if wait > 0:
                if wait > timeout:
                    self._stop_event.wait(timeout)
                    return None
                if self._stop_event.wait(wait):
                    return None
        self._queue.popleft()
        with self._info_lock:
            self._current_labels = labels
            if labels is not None:
                self._last_labels = labels
        if self._prev_t is not None:  # frames the simulated sensor dropped
            gap = int(round((t_rel - self._prev_t) * self.nominal_fps)) - 1
            if gap > 0:
                self._count_dropped(gap)
                self._n += gap  # like a device's frame counter, the index skips them
        self._prev_t = t_rel
        ts = self._anchor + (t_rel - self._anchor_t)  # the recorded spacing, at every speed
        index = self._n
        self._n += 1
        if not (conf > 0).any():
            return Frame.empty(ts, index)
        return Frame(ts, index, joints, conf)
