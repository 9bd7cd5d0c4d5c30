"""The one interface every skeleton source implements, its frame type, error type and registry.

A *source* turns a device (Azure Kinect, webcam, a recording, the simulator) into a stream of
:class:`Frame` objects: 17 canonical joints in metres (``engine.skeleton``), per-joint
confidence, a timestamp on the monotonic clock and, when the device has them, the colour image
and the 2D keypoints for drawing an overlay.

Lifecycle
    ``open()`` acquires the device (and raises :class:`DeviceError` if it cannot), ``start()``
    starts the capture thread, ``stop()`` stops it (never hangs: the thread is joined with a
    timeout), ``close()`` releases the device. ``with open_source("webcam:0") as src:`` opens
    and starts, and closes on exit. ``open()`` and ``close()`` may be called again safely.

Threading
    Each source runs **one capture thread** that reads the device and publishes frames. The
    capture thread is the only thread that talks to the device while it runs (pyk4a with
    ``thread_safe=False`` requires this). Consumers never block the device:

    * :meth:`SkeletonSource.latest` returns the newest frame at once (a GUI timer drawing at
      ~30 Hz uses this);
    * :meth:`SkeletonSource.read` hands out frames through a size-1 slot: a reader that keeps
      up gets every frame; when it falls behind, the stale frame in the slot is replaced by the
      newer one and counted in :attr:`SkeletonSource.dropped_frames`;
    * :meth:`SkeletonSource.add_listener` registers a callback run on the capture thread for
      every frame (the attempt recorder uses it so that a slow GUI never costs a recorded frame).

    Files and recordings played "as fast as possible" run in *pull mode* (:attr:`pull`): the
    capture thread hands on a frame only after :meth:`read` took the previous one, so a batch
    consumer gets every frame at the pace it can take them.

Dropped frames
    :attr:`SkeletonSource.dropped_frames` counts frames the device produced that no consumer got:
    frames replaced in the read slot before a reader took them (counted once :meth:`read` has
    been called), plus frames the backend itself had to skip (e.g. camera frames that arrived
    while the pose estimator was busy, or a gap in the device's frame counter).

Failures
    Everything a teacher can fix is reported as :class:`DeviceError` whose message says what to
    do next. Errors on the capture thread do not kill the process: the source goes to the
    ``failed`` state, :attr:`SkeletonSource.error` holds the error and :meth:`read` re-raises it.
    Nobody in view is not an error: frames then carry ``joints=None``.
"""

from __future__ import annotations

import abc
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, ClassVar

import numpy as np

from engine.skeleton import NUM_JOINTS

log = logging.getLogger("devices")

#: The clock every frame timestamp is on (seconds).
clock: Callable[[], float] = time.monotonic


# --------------------------------------------------------------------------- errors
class DeviceError(RuntimeError):
    """A device problem, with a message a teacher can act on.

    ``code`` is a short machine-readable reason the GUI can branch on (see :class:`ErrorCode`);
    ``device`` names the device; ``retry`` says whether clicking Retry can help.
    """

    def __init__(
        self, message: str, *, code: str = "failed", device: str = "", retry: bool = True
    ):
        super().__init__(message)
        self.message = message
        self.code = code
        self.device = device
        self.retry = retry

    def __reduce__(self):  # keep code/device through pickling (multiprocessing, logging)
        return (_rebuild_device_error, (self.message, self.code, self.device, self.retry))


def _rebuild_device_error(message, code, device, retry):
    return DeviceError(message, code=code, device=device, retry=retry)


class ErrorCode:
    """Values of :attr:`DeviceError.code`."""

    SDK_MISSING = "sdk_missing"  # a Python package or vendor SDK is not installed
    NOT_FOUND = "not_found"  # no such device is connected
    BUSY = "busy"  # the device exists but could not be opened (used by another program?)
    DISCONNECTED = "disconnected"  # the device went away mid-stream
    NO_FRAMES = "no_frames"  # the device is open but sends nothing
    FILE = "file"  # a file is missing, unreadable or not the expected format
    BAD_SPEC = "bad_spec"  # the device specification string/dict is wrong
    STATE = "state"  # a call out of order (e.g. start() after close())
    FAILED = "failed"  # anything else


class EndOfStream(Exception):
    """Raised by a backend's ``_capture`` when a file or recording has no more frames."""


# --------------------------------------------------------------------------- frames
def _as_f32(a, shape: tuple[int, ...], what: str) -> np.ndarray:
    a = np.asarray(a, dtype=np.float32)
    if a.shape != shape:
        raise ValueError(f"Frame.{what} has shape {a.shape}, expected {shape}")
    return a


@dataclass(frozen=True, eq=False)
class Frame:
    """One skeleton sample from a source.

    Attributes:
        timestamp: seconds on the monotonic clock (:data:`clock`); strictly increasing within a
            stream. Live devices stamp the capture time (Kinect: the device's own timestamps
            mapped onto the monotonic clock); files and recordings stamp start time + media time
            so the spacing is the recorded spacing even when decoding runs faster or slower.
        index: frame number: a live device counts captured frames (a gap means frames were
            dropped); files and recordings give the frame's position in the file.
        joints: (17, 3) float32 canonical joints in metres (``engine.skeleton``), or ``None``
            when nobody is in view. A joint that could not be measured is NaN with confidence 0.
        confidence: (17,) float32 in [0, 1]; all zeros when ``joints`` is None.
        image: optional (H, W, 3) uint8 RGB colour image the skeleton was detected on.
        keypoints_2d: optional (17, 2) float32 pixel coordinates in ``image`` (NaN where not
            detected), for drawing the overlay.
        imu: optional (N, 7) float64 IMU samples received since the previous frame:
            t (same clock as ``timestamp``), ax, ay, az (m/s²), gx, gy, gz (rad/s).
        source: name of the source that made the frame.
    """

    timestamp: float
    index: int
    joints: np.ndarray | None
    confidence: np.ndarray
    image: np.ndarray | None = None
    keypoints_2d: np.ndarray | None = None
    imu: np.ndarray | None = None
    source: str = ""

    def __post_init__(self):
        conf = _as_f32(self.confidence, (NUM_JOINTS,), "confidence")
        object.__setattr__(self, "confidence", conf)
        if self.joints is not None:
            object.__setattr__(self, "joints", _as_f32(self.joints, (NUM_JOINTS, 3), "joints"))
        if self.keypoints_2d is not None:
            kp = _as_f32(self.keypoints_2d, (NUM_JOINTS, 2), "keypoints_2d")
            object.__setattr__(self, "keypoints_2d", kp)
        if self.image is not None:
            img = self.image
            if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
                raise ValueError(
                    f"Frame.image must be (H, W, 3) uint8 RGB, got {img.shape} {img.dtype}"
                )
        if self.imu is not None:
            imu = np.asarray(self.imu, dtype=np.float64)
            if imu.ndim != 2 or imu.shape[1] != 7:
                raise ValueError(f"Frame.imu has shape {imu.shape}, expected (N, 7)")
            object.__setattr__(self, "imu", imu)

    @property
    def has_skeleton(self) -> bool:
        """True when somebody was seen in this frame."""
        return self.joints is not None

    @classmethod
    def empty(cls, timestamp: float, index: int, **kwargs) -> Frame:
        """A frame in which nobody is in view (image, keypoints and IMU may still be given)."""
        return cls(timestamp, index, None, np.zeros(NUM_JOINTS, np.float32), **kwargs)


# --------------------------------------------------------------------------- state
class SourceState(str, Enum):
    CLOSED = "closed"  # not opened yet, or closed
    OPEN = "open"  # device acquired, not streaming
    RUNNING = "running"  # capture thread running
    ENDED = "ended"  # a file or recording reached its end (not an error)
    FAILED = "failed"  # the capture thread stopped on an error (see ``error``)


@dataclass(frozen=True)
class SourceStatus:
    """A snapshot of a source for a status bar."""

    kind: str
    name: str
    serial: str
    state: SourceState
    nominal_fps: float
    measured_fps: float
    frames: int
    dropped_frames: int
    person_in_view: bool
    seconds_without_person: float
    error: str | None


@dataclass(frozen=True)
class DeviceInfo:
    """A device :func:`list_devices` found. ``spec`` opens it with :func:`open_source`."""

    kind: str
    spec: str
    name: str
    serial: str = ""
    available: bool = True
    problem: str = ""  # why it is unavailable, as a teacher-actionable sentence
    details: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- the interface
Listener = Callable[["Frame"], None]


class SkeletonSource(abc.ABC):
    """Abstract skeleton source. Backends implement :meth:`_open`, :meth:`_capture` and
    :meth:`_close` (and optionally :meth:`from_spec`, :meth:`discover`); the base class owns the
    capture thread, the frame slot, the counters and the state machine.

    Backend contract:
        * ``_open()`` acquires the device or raises :class:`DeviceError`; it may set
          ``self._serial``/``self._nominal_fps``.
        * ``_capture(timeout)`` runs on the capture thread and returns the next :class:`Frame`,
          or ``None`` if none arrived within about ``timeout`` seconds; it raises
          :class:`EndOfStream` at the end of a file and :class:`DeviceError` on failure. Any
          waiting must be bounded (use ``self._stop_event.wait(dt)`` to sleep) so that
          :meth:`stop` returns promptly.
        * ``_close()`` releases the device; it must not raise for a device already gone.
    """

    #: Registry key, set by :func:`register_source`.
    kind: ClassVar[str] = ""

    #: How long to wait for the first frame before reporting "no frames" (first Kinect frames
    #: take ~1 s), and then the longest silence tolerated mid-stream.
    first_frame_timeout: float = 10.0
    no_frame_timeout: float = 5.0
    #: The capture thread's poll interval: the longest a ``_capture`` call should block.
    poll_interval: float = 0.1
    #: How long :meth:`stop` waits for the capture thread.
    stop_timeout: float = 3.0
    #: Pull mode, for files played as fast as possible: a frame is handed on only after
    #: :meth:`read` took the previous one, so a batch consumer gets every frame (and nothing
    #: is dropped). Consume such a source with :meth:`read` / :meth:`frames`.
    pull: bool = False

    def __init__(self, name: str, *, serial: str = "", nominal_fps: float = 30.0):
        self._name = name
        self._serial = serial
        self._nominal_fps = float(nominal_fps)
        self._state = SourceState.CLOSED
        self._error: DeviceError | None = None
        self._cond = threading.Condition()
        self._latest: Frame | None = None
        self._slot: Frame | None = None
        self._reader_active = False
        self._frames = 0
        self._dropped = 0
        self._publish_times: deque[float] = deque(maxlen=512)
        self._started_at: float | None = None
        self._last_person_at: float | None = None
        self._last_timestamp = -np.inf
        self._listeners: list[Listener] = []
        self._thread: threading.Thread | None = None
        self._stop_event = threading.Event()
        self._lock = threading.RLock()  # lifecycle calls

    # ------------------------------------------------------------------ registry hooks
    @classmethod
    def from_spec(cls, arg: str | None, **options) -> SkeletonSource:
        """Build a source from the part of a spec after ``kind:`` (None when absent)."""
        if arg is not None:
            return cls(arg, **options)  # type: ignore[call-arg]
        return cls(**options)  # type: ignore[call-arg]

    @classmethod
    def discover(cls) -> list[DeviceInfo]:
        """Devices of this kind that are connected now. Must be cheap (no device is opened)
        and may raise; :func:`list_devices` catches."""
        return []

    # ------------------------------------------------------------------ backend hooks
    def _open(self) -> None:  # noqa: B027 - optional hook
        """Acquire the device (default: nothing to acquire)."""

    @abc.abstractmethod
    def _capture(self, timeout: float) -> Frame | None:
        """Return the next frame, or None if none arrived within ``timeout`` seconds."""

    def _close(self) -> None:  # noqa: B027 - optional hook
        """Release the device (default: nothing to release)."""

    def _on_start(self) -> None:  # noqa: B027 - optional hook
        """Called on the caller's thread just before the capture thread starts."""

    def _waiting_is_expected(self) -> bool:
        """True while the backend returns no frame on purpose (e.g. a paused replay), so the
        "no frames" watchdog does not fire."""
        return False

    def _on_stop(self) -> None:  # noqa: B027 - optional hook
        """Called on the caller's thread after the capture thread was stopped (helper threads
        of the backend watch ``self._stop_event`` and are joined here)."""

    # ------------------------------------------------------------------ properties
    @property
    def name(self) -> str:
        """Human-readable device name (e.g. "Azure Kinect", "Webcam 0", "Simulator")."""
        return self._name

    @property
    def serial(self) -> str:
        """Device serial number ("" when the device has none)."""
        return self._serial

    @property
    def nominal_fps(self) -> float:
        """The frame rate the device was configured for."""
        return self._nominal_fps

    @property
    def measured_fps(self) -> float:
        """Frames delivered per second over the last two seconds (0 when stalled)."""
        with self._cond:
            times = list(self._publish_times)
            started = self._started_at
        if started is None or not times:
            return 0.0
        now = clock()
        window = 2.0
        recent = [t for t in times if t > now - window]
        span = min(window, now - started)
        return len(recent) / span if span > 0 else 0.0

    @property
    def dropped_frames(self) -> int:
        """Frames produced but never delivered (see the module docstring)."""
        return self._dropped

    @property
    def frames_delivered(self) -> int:
        """Frames published since :meth:`start`."""
        return self._frames

    @property
    def state(self) -> SourceState:
        return self._state

    @property
    def error(self) -> DeviceError | None:
        """The error that stopped the capture thread, if any."""
        return self._error

    @property
    def running(self) -> bool:
        return self._state is SourceState.RUNNING

    @property
    def ended(self) -> bool:
        return self._state is SourceState.ENDED

    @property
    def calibration(self) -> dict[str, Any] | None:
        """Camera calibration to store in a recording's metadata (None when not applicable)."""
        return None

    def metadata(self) -> dict[str, Any]:
        """Extra facts about this source for ``RecordingMeta.extra`` (backends add to it)."""
        return {"source_kind": self.kind}

    def status(self) -> SourceStatus:
        """A consistent snapshot for a status bar."""
        now = clock()
        with self._cond:
            latest = self._latest
            last_person = self._last_person_at
            started = self._started_at
        person = latest is not None and latest.has_skeleton
        ref = last_person if last_person is not None else started
        without = 0.0 if person or ref is None else max(0.0, now - ref)
        return SourceStatus(
            kind=self.kind,
            name=self.name,
            serial=self.serial,
            state=self._state,
            nominal_fps=self.nominal_fps,
            measured_fps=self.measured_fps,
            frames=self._frames,
            dropped_frames=self._dropped,
            person_in_view=person,
            seconds_without_person=without,
            error=None if self._error is None else self._error.message,
        )

    # ------------------------------------------------------------------ lifecycle
    def open(self) -> SkeletonSource:
        """Acquire the device. Idempotent; raises :class:`DeviceError`."""
        with self._lock:
            if self._state is not SourceState.CLOSED:
                return self
            self._error = None
            self._open()
            self._state = SourceState.OPEN
            return self

    def start(self) -> SkeletonSource:
        """Start the capture thread (opens the device first if needed). Idempotent while
        running; after ``ended``/``failed`` it restarts the stream."""
        with self._lock:
            if self._state is SourceState.RUNNING:
                return self
            if self._state in (SourceState.FAILED, SourceState.ENDED):
                self.stop()  # join the finished thread(s) before starting new ones
            if self._state is SourceState.FAILED:
                # a failed device is re-acquired from scratch (this is what "Retry" does)
                self._release()
            if self._state is SourceState.CLOSED:
                self.open()
            self._reset_counters()
            self._stop_event.clear()
            self._on_start()
            self._state = SourceState.RUNNING
            self._thread = threading.Thread(
                target=self._run, name=f"kinescore-capture-{self.kind or 'source'}", daemon=True
            )
            self._thread.start()
            return self

    def stop(self) -> None:
        """Stop the capture thread; returns within :attr:`stop_timeout` seconds."""
        with self._lock:
            thread = self._thread
            self._stop_event.set()
            if thread is not None and thread is not threading.current_thread():
                thread.join(self.stop_timeout)
                if thread.is_alive():
                    log.warning(
                        "%s: capture thread did not stop within %.1f s; leaving it behind",
                        self.name, self.stop_timeout,
                    )  # fmt: skip
            self._thread = None
            try:
                self._on_stop()
            except Exception:
                log.exception("%s: error while stopping", self.name)
            if self._state is SourceState.RUNNING:
                self._state = SourceState.OPEN
            with self._cond:
                self._cond.notify_all()

    def close(self) -> None:
        """Stop and release the device. Idempotent; never raises for a device already gone."""
        with self._lock:
            self.stop()
            self._release()

    def _release(self) -> None:
        if self._state is SourceState.CLOSED:
            return
        try:
            self._close()
        except Exception:  # a device that is already gone must not break close()
            log.exception("%s: error while closing", self.name)
        self._state = SourceState.CLOSED

    def __enter__(self) -> SkeletonSource:
        self.open()
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ consumers
    def latest(self) -> Frame | None:
        """The newest frame, without blocking (None before the first frame)."""
        return self._latest

    def read(self, timeout: float | None = None) -> Frame | None:
        """The next frame not yet returned by :meth:`read`.

        Blocks up to ``timeout`` seconds (forever when None). Returns None on timeout, or once
        the stream has stopped or ended and no frame is left; raises the source's
        :class:`DeviceError` if the capture thread failed. If frames arrive faster than the
        caller reads, only the newest is kept and the others are counted as dropped.
        """
        deadline = None if timeout is None else clock() + timeout
        with self._cond:
            self._reader_active = True
            while self._slot is None:
                if self._state is SourceState.FAILED and self._error is not None:
                    raise self._error
                if self._state is not SourceState.RUNNING:
                    return None
                remaining = None if deadline is None else deadline - clock()
                if remaining is not None and remaining <= 0:
                    return None
                self._cond.wait(remaining if remaining is not None else 0.5)
            frame, self._slot = self._slot, None
            self._cond.notify_all()  # a pull-mode producer waits for the slot to empty
            return frame

    def frames(self, timeout: float = 5.0) -> Iterator[Frame]:
        """Iterate over frames via :meth:`read` until the stream stops or ends. Raises the
        source's error if it fails, and :class:`DeviceError` if no frame comes for
        ``timeout`` seconds."""
        while True:
            frame = self.read(timeout)
            if frame is None:
                if self._state is SourceState.FAILED and self._error is not None:
                    raise self._error
                if self._state is SourceState.RUNNING:
                    raise DeviceError(
                        f"{self.name} sent no frame for {timeout:g} s.",
                        code=ErrorCode.NO_FRAMES, device=self.name,
                    )  # fmt: skip
                return
            yield frame

    def add_listener(self, fn: Listener) -> None:
        """Call ``fn(frame)`` on the capture thread for every frame. It must be quick; an
        exception in it is logged and does not stop the capture."""
        with self._cond:
            if fn not in self._listeners:
                self._listeners = [*self._listeners, fn]

    def remove_listener(self, fn: Listener) -> None:
        with self._cond:
            self._listeners = [f for f in self._listeners if f != fn]

    # ------------------------------------------------------------------ capture thread
    def _reset_counters(self) -> None:
        with self._cond:
            self._latest = None
            self._slot = None
            self._reader_active = False
            self._frames = 0
            self._dropped = 0
            self._publish_times.clear()
            self._started_at = clock()
            self._last_person_at = None
            self._error = None

    def _count_dropped(self, n: int = 1) -> None:
        """Backends call this for frames the device produced that they had to skip."""
        if n > 0:
            with self._cond:
                self._dropped += int(n)

    def _publish(self, frame: Frame) -> None:
        if frame.timestamp <= self._last_timestamp:  # keep timestamps strictly increasing
            frame = replace(frame, timestamp=float(np.nextafter(self._last_timestamp, np.inf)))
        self._last_timestamp = frame.timestamp
        if not frame.source:
            frame = replace(frame, source=self.name)
        with self._cond:
            while self.pull and self._slot is not None and not self._stop_event.is_set():
                self._cond.wait(0.1)
            if self.pull and self._stop_event.is_set():
                return
            now = clock()
            self._latest = frame
            if self._slot is not None and self._reader_active:
                self._dropped += 1
            self._slot = frame
            self._frames += 1
            self._publish_times.append(now)
            if frame.has_skeleton:
                self._last_person_at = now
            listeners = self._listeners
            self._cond.notify_all()
        for fn in listeners:
            try:
                fn(frame)
            except Exception:
                log.exception("%s: frame listener %r failed", self.name, fn)

    def _fail(self, err: DeviceError) -> None:
        log.error("%s: %s", self.name, err.message)
        with self._cond:
            self._error = err
            self._state = SourceState.FAILED
            self._cond.notify_all()

    def _run(self) -> None:
        last = clock()
        got_first = False
        try:
            while not self._stop_event.is_set():
                frame = self._capture(self.poll_interval)
                now = clock()
                if frame is None:
                    if self._waiting_is_expected():
                        last = now
                        continue
                    limit = self.no_frame_timeout if got_first else self.first_frame_timeout
                    if now - last > limit and not self._stop_event.is_set():
                        raise self._no_frames_error(now - last)
                    continue
                got_first = True
                last = now
                if self._stop_event.is_set():
                    break
                self._publish(frame)
        except EndOfStream:
            with self._cond:
                self._state = SourceState.ENDED
                self._cond.notify_all()
        except DeviceError as exc:
            if not exc.device:
                exc.device = self.name
            self._fail(exc)
        except Exception as exc:  # a bug or an unexpected SDK error: report, don't crash
            log.exception("%s: capture thread crashed", self.name)
            self._fail(
                DeviceError(
                    f"{self.name} stopped unexpectedly ({type(exc).__name__}: {exc}). "
                    "Click Retry; if it happens again, restart KineScore and send the log "
                    "to your IT support.",
                    code=ErrorCode.FAILED,
                    device=self.name,
                )
            )

    def _no_frames_error(self, silent_for: float) -> DeviceError:
        return DeviceError(
            f"{self.name} is connected but has sent no picture for {silent_for:.0f} s. "
            "Check that no other program is using it and that its cable is plugged in, "
            "then click Retry.",
            code=ErrorCode.NO_FRAMES,
            device=self.name,
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} {self._state.value}>"


# --------------------------------------------------------------------------- registry
_REGISTRY: dict[str, type[SkeletonSource]] = {}


def register_source(kind: str) -> Callable[[type[SkeletonSource]], type[SkeletonSource]]:
    """Class decorator: make a :class:`SkeletonSource` subclass openable as ``kind[:arg]``."""

    def deco(cls: type[SkeletonSource]) -> type[SkeletonSource]:
        if not (isinstance(cls, type) and issubclass(cls, SkeletonSource)):
            raise TypeError(f"@register_source({kind!r}) needs a SkeletonSource subclass")
        other = _REGISTRY.get(kind)
        if other is not None and other is not cls:
            raise ValueError(f"source kind {kind!r} is already registered by {other.__name__}")
        if "kind" not in cls.__dict__:
            cls.kind = kind
        _REGISTRY[kind] = cls
        return cls

    return deco


def source_kinds() -> list[str]:
    """The registered kinds, in registration order."""
    _load_backends()
    return list(_REGISTRY)


def source_class(kind: str) -> type[SkeletonSource]:
    _load_backends()
    try:
        return _REGISTRY[kind]
    except KeyError:
        raise DeviceError(
            f"Unknown device type {kind!r}. Choose one of: {', '.join(_REGISTRY)} "
            "(for example 'simulator', 'webcam:0', 'video:/path/to/clip.mp4', "
            "'replay:/path/to/attempt.ksr', 'kinect:0', 'kinect-playback:/path/to/file.mkv').",
            code=ErrorCode.BAD_SPEC,
            retry=False,
        ) from None


def parse_spec(spec: str | dict[str, Any]) -> tuple[str, str | None, dict[str, Any]]:
    """Split a device spec into ``(kind, arg, options)``.

    ``"webcam:0"`` -> ``("webcam", "0", {})``; ``"simulator"`` -> ``("simulator", None, {})``;
    only the first colon splits, so ``"video:C:/clips/a.mp4"`` and ``"video:rtsp://host/x"``
    keep their argument whole. A dict spec is ``{"kind": ..., "arg": ..., **options}`` where
    ``arg`` may also be given as ``path``, ``index`` or ``device``.
    """
    if isinstance(spec, dict):
        opts = dict(spec)
        kind = opts.pop("kind", None)
        if not isinstance(kind, str) or not kind:
            raise DeviceError(
                f"Device settings {spec!r} have no 'kind' (e.g. 'webcam' or 'kinect').",
                code=ErrorCode.BAD_SPEC, retry=False,
            )  # fmt: skip
        arg = None
        for key in ("arg", "path", "index", "device"):
            if key in opts:
                arg = opts.pop(key)
                break
        return kind.strip().lower(), None if arg is None else str(arg), opts
    if not isinstance(spec, str) or not spec.strip():
        raise DeviceError(
            f"Empty or invalid device name {spec!r}; use e.g. 'simulator' or 'webcam:0'.",
            code=ErrorCode.BAD_SPEC, retry=False,
        )  # fmt: skip
    kind, sep, arg = spec.strip().partition(":")
    return kind.strip().lower(), (arg if sep and arg != "" else None), {}


def create_source(spec: str | dict[str, Any], **options) -> SkeletonSource:
    """Build (but do not open) the source a spec names; ``options`` go to its constructor."""
    kind, arg, spec_opts = parse_spec(spec)
    cls = source_class(kind)
    return cls.from_spec(arg, **{**spec_opts, **options})


def open_source(spec: str | dict[str, Any], **options) -> SkeletonSource:
    """Build and open the source a spec names (call ``start()`` or use ``with``).

    Specs: ``"simulator"``, ``"webcam:0"``, ``"video:/path.mp4"`` (or a stream URL),
    ``"replay:/path.ksr"``, ``"kinect:0"``, ``"kinect-playback:/path.mkv"``. Raises
    :class:`DeviceError` with a teacher-actionable message.
    """
    src = create_source(spec, **options)
    src.open()
    return src


def list_devices(include_unavailable: bool = False) -> list[DeviceInfo]:
    """The devices connected now, cheaply (no device is opened) and never raising.

    With ``include_unavailable`` the list also holds entries with ``available=False`` whose
    ``problem`` says what is missing (e.g. the Kinect SDK is not installed).
    """
    out: list[DeviceInfo] = []
    try:
        _load_backends()
        classes = list(_REGISTRY.items())
    except Exception:  # pragma: no cover - a broken install must not break the device menu
        log.exception("loading device backends failed")
        return out
    for kind, cls in classes:
        try:
            found = cls.discover()
        except Exception as exc:
            log.warning("listing %s devices failed: %s", kind, exc)
            found = [
                DeviceInfo(kind, kind, kind, available=False, problem=f"listing failed: {exc}")
            ]
        out.extend(d for d in found if include_unavailable or d.available)
    return out


def _load_backends() -> None:
    """Import the built-in backends so they register (each keeps heavy imports lazy)."""
    import devices.kinect  # noqa: F401
    import devices.replay  # noqa: F401
    import devices.simulator  # noqa: F401
    import devices.webcam  # noqa: F401
