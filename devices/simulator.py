"""Simulated students as a live source: ``simulator`` or ``simulator:sit_ups``.

The embedded default behind ``kinescore --demo``: no hardware needed. The source asks an
*attempt generator* for one attempt at a time (a student doing one of the four movements, with
or without faults), plays it at real speed (or ``speed`` times faster; ``speed=None`` as fast
as possible), holds the student still for ``gap_seconds`` between attempts and goes on to the
next student (forever, unless ``attempts`` is given).

The generator is a callable ``generate(movement, index, rng) -> SimulatedAttempt``; the default
one drives ``engine.simulator`` (the simulator issue). Everything the simulator knows about the
attempt (student, faults, true score...) is in ``SimulatedAttempt.labels``, exposed as
:attr:`SimulatorSource.current_attempt` and stored by the attempt recorder in
``RecordingMeta.extra["simulator"]``.

Position: the skeleton is placed in the canonical camera frame with ``camera_offset`` added to
the simulator's joints (default: the camera 1.0 m above the floor and 3.5 m in front of the
student's start position), so it looks like a sensor's output. Frames optionally get Gaussian
jitter (``noise_m``, metres) and a per-joint confidence of 1 (0.9 with noise).
"""

from __future__ import annotations

import threading
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


@dataclass
class SimulatedAttempt:
    """One simulated attempt: joints (T, 17, 3) canonical metres (floor at y = 0), the frame
    rate, and labels (JSON-serializable)."""

    joints: np.ndarray
    fps: float
    labels: dict[str, Any] = field(default_factory=dict)


Generator = Callable[[str, int, np.random.Generator], SimulatedAttempt]


def engine_generator(**options) -> Generator:
    """The default generator, on ``engine.simulator`` (raises :class:`DeviceError` when the
    simulator is not part of this build)."""
    try:
        from engine import simulator as sim
    except ImportError as exc:
        raise DeviceError(
            "The movement simulator is not part of this KineScore build (engine.simulator is "
            "missing). Reinstall KineScore, or choose a camera instead.",
            code=ErrorCode.SDK_MISSING, retry=False,
        ) from exc  # fmt: skip
    simulate = getattr(sim, "simulate_attempt", None)
    if simulate is None:
        raise DeviceError(
            "This build's movement simulator has no simulate_attempt(); update KineScore.",
            code=ErrorCode.SDK_MISSING, retry=False,
        )  # fmt: skip

    def generate(movement: str, index: int, rng: np.random.Generator) -> SimulatedAttempt:
        out = simulate(movement, index=index, rng=rng, **options)
        joints = np.asarray(out.joints, dtype=np.float32)
        fps = float(getattr(out, "fps", 30.0))
        labels = dict(getattr(out, "labels", {}) or {})
        return SimulatedAttempt(joints, fps, labels)

    return generate


@register_source("simulator")
class SimulatorSource(SkeletonSource):
    """Simulated students, live. See the module docstring.

    Args:
        movement: one movement key, or None to cycle through the four.
        seed: seed of the random students and faults (same seed, same stream).
        speed: 1 = real time; None/0/"max" = as fast as possible.
        attempts: stop (end of stream) after this many attempts; None = forever.
        gap_seconds: the student stands still this long between attempts.
        noise_m: Gaussian jitter added to every joint (metres).
        camera_offset: added to the simulator's joints to place them in front of the camera.
        generator: attempt generator (default: :func:`engine_generator`).
    """

    def __init__(
        self,
        movement: str | None = None,
        *,
        seed: int = 0,
        speed: float | str | None = 1.0,
        attempts: int | None = None,
        gap_seconds: float = 1.0,
        noise_m: float = 0.0,
        camera_offset: tuple[float, float, float] = (0.0, -1.0, -3.5),
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
        self.seed = seed
        self.speed = _parse_speed(speed)
        self.pull = self.speed is None
        self.attempts = attempts
        self.gap_seconds = gap_seconds
        self.noise_m = noise_m
        self.camera_offset = np.asarray(camera_offset, dtype=np.float32)
        self._generator = generator
        self._generator_options = generator_options or {}
        self._rng = np.random.default_rng(seed)
        self._attempt_no = 0
        self._current: SimulatedAttempt | None = None
        self._queue: list[tuple[np.ndarray, dict[str, Any] | None]] = []  # (joints, labels)
        self._info_lock = threading.Lock()
        self._current_labels: dict[str, Any] | None = None
        self._last_labels: dict[str, Any] | None = None  # survives the pause after an attempt
        self._anchor = 0.0
        self._n = 0  # frames emitted since start

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
        """Adds ``simulator``: the labels of the latest attempt played (also during the pause
        after it, so a recording stopped then still gets them)."""
        md = super().metadata()
        with self._info_lock:
            labels = self._last_labels
        if labels is not None:
            md["simulator"] = dict(labels)
        return md

    # ------------------------------------------------------------------ backend
    def _open(self) -> None:
        if self._generator is None:
            self._generator = engine_generator(**self._generator_options)

    def _on_start(self) -> None:
        self._anchor = max(clock(), self._last_timestamp + 1.0 / self.nominal_fps)
        self._n = 0

    def _next_attempt(self) -> None:
        if self.attempts is not None and self._attempt_no >= self.attempts:
            raise EndOfStream
        movement = self.movement or MOVEMENTS[self._attempt_no % len(MOVEMENTS)]
        att = self._generator(movement, self._attempt_no, self._rng)
        joints = np.asarray(att.joints, dtype=np.float32)
        if joints.ndim != 3 or joints.shape[1:] != (NUM_JOINTS, 3) or len(joints) == 0:
            raise DeviceError(
                f"The simulator produced joints of shape {joints.shape}, expected (T, 17, 3).",
                code=ErrorCode.FAILED,
            )  # fmt: skip
        if abs(att.fps - self.nominal_fps) > 1e-6:
            from engine.preprocess import resample_frames

            n_out = max(1, int(round(len(joints) * self.nominal_fps / att.fps)))
            joints = np.asarray(resample_frames(joints, n_out), dtype=np.float32)
        labels = {"movement": movement, "attempt": self._attempt_no, **att.labels}
        self._attempt_no += 1
        gap = int(round(self.gap_seconds * self.nominal_fps))
        self._queue = [(j, labels) for j in joints]
        self._queue += [(joints[-1], None)] * gap  # stand still after the attempt

    def _capture(self, timeout: float) -> Frame | None:
        if not self._queue:
            self._next_attempt()
        ts = self._anchor + self._n / self.nominal_fps
        if self.speed is not None:
            wait = self._anchor + self._n / self.nominal_fps / self.speed - clock()
            if wait > 0:
                if wait > timeout:
                    self._stop_event.wait(timeout)
                    return None
                if self._stop_event.wait(wait):
                    return None
        joints, labels = self._queue.pop(0)
        with self._info_lock:
            self._current_labels = labels
            if labels is not None:
                self._last_labels = labels
        j = joints + self.camera_offset
        conf = np.ones(NUM_JOINTS, np.float32)
        if self.noise_m > 0:
            j = j + self._rng.normal(0.0, self.noise_m, j.shape).astype(np.float32)
            conf[:] = 0.9
        frame = Frame(ts, self._n, j, conf)
        self._n += 1
        return frame
