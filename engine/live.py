"""Live scoring of one attempt at a time, on a background thread (no Qt).

The desktop app (and any other front end) feeds every frame of the camera into a
:class:`LiveScorer` and, on its own timer, reads :attr:`LiveScorer.state`: an immutable
:class:`LiveState` snapshot that is replaced, never mutated, so reading it never waits.

    live = LiveScorer(scorer).start()            # scorer: any engine.scoring.Scorer, or None
    live.arm("standing_long_jump", sink=sink)    # the teacher clicked Start
    source.add_listener(lambda f: live.feed(f.timestamp, f.joints, f.confidence))
    ...
    st = live.state                              # phase, repetitions, stage bars, result...
    live.stop()                                  # the teacher clicked Stop (ends the attempt)

What the worker thread does
    1. **Buffers** frames. While waiting for the attempt to start it keeps a short ring
       buffer (the *pre-roll*); during the attempt it keeps every frame.
    2. **Detects the start** of the attempt by motion onset and its **end** by rest, with a
       manual :meth:`LiveScorer.stop`, a maximum duration and "student left the picture" as
       the other ways an attempt ends (see *Detection* below).
    3. **Counts sit-up repetitions** with the movement simulator's streaming counter
       (:func:`make_rep_counter`), the one that also counts recordings.
    4. **Scores** with the model: during the attempt, the most recent ``window`` (90) frames
       every ``score_interval`` seconds of attempt time (a modest 1 Hz by default, so scoring
       never starves the capture and drawing threads on a 2-core PC); at the end, the whole
       attempt. A missing scorer (no model file) is allowed: the attempt is then detected,
       counted and saved unscored.
    5. **Stage progress**: stage bars fill as stages complete (see *Stages*).
    6. Hands the attempt to an :class:`AttemptSink` (the class records: journaled while it
       runs, saved with its recording and score at the end). Sink errors never lose the
       attempt: it stays in :attr:`LiveState.unsaved` for the front end to retry.

Detection (the paper does not specify it; these are our choices)
    *Motion energy* per frame: joint positions are averaged over the last ``k`` = 5 frames
    and over the ``k`` frames before them; each joint's speed is the distance between the
    two averages divided by their time difference (averaging first keeps a 1 cm sensor
    jitter at about 0.07 m/s). The energy is the largest of the five limb regions' mean
    joint speeds (``engine.skeleton.REGIONS``), so an arm-only motion (free throw) counts as
    much as a whole-body one (long jump). Joints with confidence < 0.5 are ignored.

    *Noise floor*: while waiting, an exponential average of the energy of still frames
    measures the sensor's jitter; thresholds are ``max(onset_speed, 3 x floor)`` for onset
    and ``max(rest_speed, 1.5 x floor)`` for rest, so a noisy webcam does not start attempts
    by itself.

    *Start*: after :meth:`LiveScorer.arm` the student must first stand (or lie) still for
    ``still_before`` seconds (phase ``WAITING`` -> ``READY``); then ``onset_frames``
    consecutive frames above the onset threshold start the attempt (``ACTIVE``). The attempt
    is back-dated to ``pre_roll`` seconds before the energy first rose above the rest
    threshold, so the preparatory stage (pre-swing, lying, set, ready) is in the attempt.

    *End*, whichever comes first: the energy stays below the rest threshold for
    ``rest_seconds`` (after at least ``min_duration``; the attempt then ends ``post_roll``
    seconds after the rest began); :meth:`LiveScorer.stop`; ``max_duration`` seconds; nobody
    in view for ``lost_seconds`` (ends at the last frame with a student); a *discontinuity*
    (the body centre moving faster than 10 m/s between two frames: the tracker jumped to
    another person) ends it at the frame before, and while waiting it empties the pre-roll so
    that no attempt ever spans two people. Sit-ups get a
    longer rest (2.5 s: students pause on their backs between repetitions) and 60 s maximum
    (the national test counts repetitions in one minute); the other movements 1.0 s and 10 s
    (the paper's attempts last 3-10 s).

Scoring input
    Frames are resampled onto a uniform 30 Hz grid (``engine.preprocess.resample_uniform``;
    the model's input rate, whatever the camera's rate) and missing joints are filled by
    cubic spline (``engine.preprocess.fill_missing``), then passed to ``scorer.score(joints,
    movement)``. Stage bounds of a result are therefore in 30 Hz frames from the first grid
    time; :class:`AttemptData` stores them in seconds (``stage_bounds_s``).

Stages
    A sliding-window result places the four stage bounds inside the window. Stage ``p``
    (``p`` < 3) counts as complete once a window shows it ending strictly inside the window
    (more than ``stage_margin`` seconds after the window's start and before its end); the
    count only grows. A completed stage's bar shows the stage score of the latest window
    that holds the whole stage; the stage in progress shows the latest window's estimate as
    provisional. The last stage completes when the attempt ends, and the whole-attempt result
    then replaces every bar.
"""

from __future__ import annotations

import inspect
import logging
import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, Protocol

import numpy as np

from engine.scoring import Scorer, ScoreResult
from engine.skeleton import NUM_JOINTS, REGIONS

log = logging.getLogger("engine.live")

SCORE_FPS = 30.0  # the model's input rate: frames are resampled onto this grid before scoring
NUM_STAGES = 4


# --------------------------------------------------------------------------- configuration
@dataclass(frozen=True)
class LiveConfig:
    """Thresholds and rates of the live scorer (see the module docstring)."""

    window: int = 90  # frames of the sliding window (at SCORE_FPS)
    score_interval: float = 1.0  # seconds of attempt time between sliding-window scores
    min_window_frames: int = 30  # no sliding-window score on fewer frames
    motion_frames: int = 5  # k: frames averaged on each side of the speed estimate
    onset_speed: float = 0.35  # m/s
    rest_speed: float = 0.15  # m/s
    onset_frames: int = 3
    still_before: float = 0.5  # s of stillness needed before an attempt can start
    pre_roll: float = 0.5  # s kept before the motion onset
    post_roll: float = 0.3  # s kept after the rest began
    rest_seconds: float = 1.0
    min_duration: float = 0.8
    max_duration: float = 10.0
    lost_seconds: float = 2.0
    stage_margin: float = 0.1  # s
    noise_onset_factor: float = 3.0
    noise_rest_factor: float = 1.5
    max_body_speed: float = 10.0  # m/s: a faster jump of the body centre is a discontinuity


#: Per-movement differences from :class:`LiveConfig`'s defaults.
MOVEMENT_CONFIG: dict[str, dict[str, float]] = {
    "sit_ups": {"rest_seconds": 2.5, "max_duration": 60.0},
}


def config_for(movement: str, **overrides: Any) -> LiveConfig:
    """The live configuration of a movement (``overrides`` win)."""
    return replace(LiveConfig(), **{**MOVEMENT_CONFIG.get(movement, {}), **overrides})


# --------------------------------------------------------------------------- repetitions
class RepCounter(Protocol):
    """Counts repetitions frame by frame (``engine.simulator.SitupRepCounter``)."""

    count: int

    def reset(self) -> None: ...

    def update(self, joints: np.ndarray, confidence: np.ndarray | None = None) -> int: ...


def make_rep_counter(movement: str) -> RepCounter | None:
    """The repetition counter of a movement: sit-ups only, with the movement simulator's
    streaming counter (trunk elevation with hysteresis; see ``engine.simulator.reps``), the
    same one that counts recordings, so live and offline counts agree."""
    if movement != "sit_ups":
        return None
    from engine.simulator.reps import SitupRepCounter

    return SitupRepCounter()


# --------------------------------------------------------------------------- results
class Phase(str, Enum):
    IDLE = "idle"  # not armed
    WAITING = "waiting"  # armed: waiting for the student to be still
    READY = "ready"  # still: waiting for the motion onset
    ACTIVE = "active"  # the attempt is under way
    SCORING = "scoring"  # the attempt ended; scoring and saving it
    DONE = "done"  # final result (or error) available
    CANCELLED = "cancelled"  # stopped before an attempt started


class EndReason(str, Enum):
    REST = "rest"
    MANUAL = "manual"
    MAX_DURATION = "max_duration"
    LOST = "lost"


@dataclass
class AttemptData:
    """One finished attempt, as handed to :meth:`AttemptSink.finish`."""

    movement: str
    timestamps: np.ndarray  # (T,) seconds, the device's clock
    joints: np.ndarray  # (T, 17, 3) float32, NaN where not seen
    confidence: np.ndarray  # (T, 17) float32
    keypoints_2d: np.ndarray | None  # (T, 17, 2) when every frame had them
    end_reason: EndReason
    result: ScoreResult | None
    repetitions: int | None
    stage_bounds_s: np.ndarray | None  # (4, 2) seconds from timestamps[0]
    score_error: str | None = None

    def extra(self) -> dict[str, Any]:
        """What the live scorer knows, for ``RecordingMeta.extra["live"]``."""
        out: dict[str, Any] = {"end_reason": self.end_reason.value}
        if self.repetitions is not None:
            out["repetitions"] = int(self.repetitions)
        if self.score_error:
            out["score_error"] = self.score_error
        r = self.result
        if r is not None:
            out.update(
                score=float(r.score), grade=r.grade, model_version=r.model_version,
                stage_scores=[float(x) for x in r.stage_scores],
                joint_contribution=[float(x) for x in r.joint_contribution],
                feedback=list(r.feedback),
                stage_bounds_s=None if self.stage_bounds_s is None
                else [[float(a), float(b)] for a, b in self.stage_bounds_s],
            )  # fmt: skip
        return out


@dataclass(frozen=True)
class LiveState:
    """An immutable snapshot of the live scorer; read :attr:`LiveScorer.state`."""

    take: int = 0  # increments with every arm()
    phase: Phase = Phase.IDLE
    movement: str = ""
    elapsed: float = 0.0  # seconds since the attempt started (ACTIVE and later)
    frames: int = 0  # frames in the attempt
    energy: float = math.nan  # current motion energy, m/s
    repetitions: int | None = None
    window_result: ScoreResult | None = None
    windows_scored: int = 0
    stages_done: int = 0
    stage_scores: tuple[float, ...] = (math.nan,) * NUM_STAGES  # completed stages
    stage_estimate: float = math.nan  # provisional score of the stage in progress
    final: ScoreResult | None = None
    end_reason: EndReason | None = None
    saved: Any = None  # what the sink's finish() returned
    unsaved: AttemptData | None = None  # the attempt, when saving it failed
    error: str | None = None  # scoring or saving problem of this take
    warning: str | None = None  # something the teacher should know (e.g. journal failed)
    scorer_ready: bool = False
    version: int = 0  # increments on every change


# --------------------------------------------------------------------------- sink
class AttemptSink(Protocol):
    """Where an attempt goes; all calls come from the live scorer's thread."""

    def begin(self, movement: str, first_timestamp: float) -> None: ...

    def append(self, timestamps: np.ndarray, joints: np.ndarray, confidence: np.ndarray) -> None: ...

    def finish(self, attempt: AttemptData) -> Any: ...

    def abort(self) -> None: ...


# --------------------------------------------------------------------------- scoring helpers
def _accepts(fn, name: str) -> bool:
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def scoring_input(timestamps: np.ndarray, joints: np.ndarray, confidence: np.ndarray
                  ) -> tuple[np.ndarray, float]:
    """``(joints on a uniform SCORE_FPS grid with missing joints filled, grid start time)``.

    Raises ``engine.preprocess.PreprocessError`` when it cannot (e.g. a joint never seen)."""
    from engine.preprocess import fill_missing, resample_uniform
    from engine.preprocess.errors import PreprocessError

    j = np.asarray(joints, dtype=np.float64).copy()
    j[np.asarray(confidence) < 0.5] = np.nan
    t = np.asarray(timestamps, dtype=np.float64)
    if len(t) < 2:
        raise PreprocessError("fewer than 2 frames to score")
    grid, g = resample_uniform(t, j, SCORE_FPS)
    filled, _ = fill_missing(g)
    return filled, float(grid[0])


class _Motion:
    """Incremental motion energy (see the module docstring)."""

    def __init__(self, k: int):
        self.k = k
        self._pos: deque[np.ndarray] = deque(maxlen=2 * k)
        self._t: deque[float] = deque(maxlen=2 * k)
        self._regions = [np.array(v) for v in REGIONS.values()]

    def reset(self) -> None:
        self._pos.clear()
        self._t.clear()

    def update(self, t: float, joints: np.ndarray | None, conf: np.ndarray) -> float:
        p = np.full((NUM_JOINTS, 3), np.nan)
        if joints is not None:
            ok = np.asarray(conf) >= 0.5
            p[ok] = joints[ok]
        self._pos.append(p)
        self._t.append(t)
        if len(self._pos) < 2 * self.k:
            return math.nan
        arr = np.stack(self._pos)
        ts = np.asarray(self._t)
        with np.errstate(invalid="ignore"), _quiet():
            a = np.nanmean(arr[self.k:], axis=0)
            b = np.nanmean(arr[: self.k], axis=0)
            dt = ts[self.k:].mean() - ts[: self.k].mean()
            speed = np.minimum(np.linalg.norm(a - b, axis=1) / max(dt, 1e-6), 8.0)
            regions = [np.nanmean(speed[r]) for r in self._regions]
        regions = [r for r in regions if np.isfinite(r)]
        return float(max(regions)) if regions else math.nan


class _quiet:
    """Silence numpy's "mean of empty slice" warnings (all-NaN joints are expected)."""

    def __enter__(self):
        import warnings

        self._cm = warnings.catch_warnings()
        self._cm.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        self._cm.__exit__(*exc)


# --------------------------------------------------------------------------- the scorer
@dataclass
class _Take:
    movement: str
    config: LiveConfig
    sink: AttemptSink | None
    counter: RepCounter | None
    t: list[float] = field(default_factory=list)
    j: list[np.ndarray] = field(default_factory=list)
    c: list[np.ndarray] = field(default_factory=list)
    kp: list[np.ndarray | None] = field(default_factory=list)
    start_t: float = math.nan
    appended: int = 0  # frames handed to the sink
    rising_at: float | None = None
    above: int = 0
    rest_since: float | None = None
    last_seen: float | None = None
    next_window_t: float = math.nan
    end_t: float | None = None


class LiveScorer:
    """Buffers frames, detects attempts, counts, scores and saves them on one worker thread.

    Thread safety: :meth:`feed`, :meth:`arm`, :meth:`stop`, :meth:`cancel` and
    :meth:`set_scorer` may be called from any thread and never block on scoring; they queue
    work for the worker, in order. :attr:`state` is an immutable snapshot. Without
    :meth:`start`, call :meth:`process` yourself (tests do, for determinism).
    """

    def __init__(self, scorer: Scorer | None = None, *, clock=time.monotonic):
        self._scorer = scorer
        self._clock = clock
        self._queue: deque[tuple] = deque()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closing = False
        self._motion = _Motion(LiveConfig.motion_frames)
        self._floor = math.nan
        self._ring: deque[tuple] = deque(maxlen=300)
        self._centre: tuple[float, np.ndarray] | None = None
        self._still_since: float | None = None
        self._take: _Take | None = None
        self._unsaved: tuple[AttemptSink, AttemptData] | None = None
        self.state = LiveState(scorer_ready=scorer is not None)

    # ------------------------------------------------------------------ API (any thread)
    def start(self) -> LiveScorer:
        """Run the worker thread (idempotent)."""
        if self._thread is None or not self._thread.is_alive():
            self._closing = False
            self._thread = threading.Thread(target=self._run, name="kinescore-live", daemon=True)
            self._thread.start()
        return self

    def close(self, timeout: float = 5.0) -> None:
        """Stop the worker thread (an attempt in progress is aborted)."""
        self._put(("cancel",))
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def feed(self, timestamp: float, joints: np.ndarray | None, confidence: np.ndarray,
             keypoints_2d: np.ndarray | None = None) -> None:
        """Queue one frame (``joints`` (17, 3) canonical metres or None when nobody is in view).
        Never blocks; safe to call on a device's capture thread."""
        self._put(("frame", float(timestamp), joints, confidence, keypoints_2d))

    def arm(self, movement: str, *, sink: AttemptSink | None = None,
            config: LiveConfig | None = None) -> None:
        """Wait for the next attempt of ``movement`` (the teacher clicked Start)."""
        self._put(("arm", movement, sink, config or config_for(movement)))

    def stop(self) -> None:
        """Manual Stop: end the attempt in progress now (or cancel the wait for one)."""
        self._put(("stop",))

    def cancel(self) -> None:
        """Throw away the attempt in progress (nothing is saved)."""
        self._put(("cancel",))

    def retry_save(self) -> None:
        """Try again to save the attempt whose saving failed (:attr:`LiveState.unsaved`)."""
        self._put(("retry",))

    def set_scorer(self, scorer: Scorer | None) -> None:
        """Use another scorer (a model was loaded) from the next scoring on."""
        self._put(("scorer", scorer))

    @property
    def busy(self) -> bool:
        """True while an attempt is armed, running or being scored."""
        return self.state.phase in (Phase.WAITING, Phase.READY, Phase.ACTIVE, Phase.SCORING)

    @property
    def pending(self) -> int:
        return len(self._queue)

    # ------------------------------------------------------------------ worker
    def _put(self, item: tuple) -> None:
        with self._cond:
            self._queue.append(item)
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._closing and not self._queue:
                    return
            try:
                self.process(timeout=0.05)
            except Exception:  # a bug must not kill live scoring silently
                log.exception("live scorer: unexpected error")
                self._set(error="internal error in the live scorer; see the log")

    def process(self, timeout: float = 0.0) -> None:
        """Handle everything queued (waiting up to ``timeout`` s for something), then score
        when due. Runs on the worker thread, or in the caller's thread without :meth:`start`."""
        with self._cond:
            if not self._queue and timeout > 0:
                self._cond.wait(timeout)
            items = list(self._queue)
            self._queue.clear()
        for item in items:
            getattr(self, "_on_" + item[0])(*item[1:])
        take = self._take
        if take is None:
            return
        if self.state.phase is Phase.ACTIVE:
            self._append_to_sink(take)
            if take.t and take.t[-1] >= take.next_window_t:
                self._score_window(take)
        if self.state.phase is Phase.SCORING:
            self._finish(take)

    def _set(self, **changes) -> None:
        self.state = replace(self.state, version=self.state.version + 1, **changes)

    # ------------------------------------------------------------------ commands
    def _on_scorer(self, scorer) -> None:
        self._scorer = scorer
        self._set(scorer_ready=scorer is not None)

    def _on_retry(self) -> None:
        if self._unsaved is None or self.state.phase is not Phase.DONE:
            return
        sink, data = self._unsaved
        try:
            saved = sink.finish(data)
        except Exception as exc:  # noqa: BLE001
            self._set(error=f"saving the attempt failed again: {exc}")
            return
        self._unsaved = None
        self._set(saved=saved, unsaved=None, error=None)

    def _on_arm(self, movement, sink, config) -> None:
        if self._take is not None and self.state.phase in (Phase.ACTIVE, Phase.SCORING):
            self._on_cancel()
        counter = make_rep_counter(movement)
        self._unsaved = None
        self._take = _Take(movement, config, sink, counter)
        if self._motion.k != config.motion_frames:
            self._motion = _Motion(config.motion_frames)
        self.state = LiveState(
            take=self.state.take + 1, phase=Phase.WAITING, movement=movement,
            repetitions=0 if counter is not None else None,
            scorer_ready=self._scorer is not None, version=self.state.version + 1,
        )  # fmt: skip

    def _on_stop(self) -> None:
        take, phase = self._take, self.state.phase
        if take is None:
            return
        if phase is Phase.ACTIVE:
            self._end(take, take.t[-1] if take.t else take.start_t, EndReason.MANUAL)
        elif phase in (Phase.WAITING, Phase.READY):
            self._take = None
            self._set(phase=Phase.CANCELLED)

    def _on_cancel(self) -> None:
        take = self._take
        if take is None:
            return
        if self.state.phase in (Phase.ACTIVE, Phase.SCORING) and take.sink is not None:
            try:
                take.sink.abort()
            except Exception as exc:  # noqa: BLE001
                log.warning("live scorer: sink abort failed: %s", exc)
        self._take = None
        if self.state.phase is not Phase.DONE:
            self._set(phase=Phase.CANCELLED)

    # ------------------------------------------------------------------ frames
    def _on_frame(self, t, joints, conf, kp) -> None:
        conf = np.asarray(conf, dtype=np.float32)
        if joints is not None:
            joints = np.asarray(joints, dtype=np.float32)
        take = self._take
        phase = self.state.phase
        if take is not None and phase is Phase.ACTIVE and take.t and t <= take.t[-1]:
            return  # never let time go backwards inside an attempt
        cfg = take.config if take is not None else LiveConfig()
        if self._discontinuity(t, joints, conf, cfg):
            self._motion.reset()
            self._ring.clear()
            if take is not None and phase is Phase.ACTIVE:
                last = take.last_seen if take.last_seen is not None else take.start_t
                self._end(take, last, EndReason.LOST)
                return
            if take is not None:
                take.rising_at, take.above = None, 0
        energy = self._motion.update(t, joints, conf)
        onset_thr = rest_thr = math.nan
        if np.isfinite(energy):
            floor = self._floor if np.isfinite(self._floor) else energy
            onset_thr = max(cfg.onset_speed, cfg.noise_onset_factor * floor)
            rest_thr = max(cfg.rest_speed, cfg.noise_rest_factor * floor)
            if phase not in (Phase.ACTIVE,) and energy < rest_thr:
                self._floor = floor if not np.isfinite(self._floor) else 0.95 * floor + 0.05 * energy
        seen = joints is not None and bool((conf >= 0.5).any())
        # how long the student has been still, whatever the phase: a take armed right after
        # the previous one can be ready at once (the estimate runs across takes)
        if seen and np.isfinite(energy) and energy < rest_thr:
            self._still_since = t if self._still_since is None else self._still_since
        else:
            self._still_since = None
        if take is None or phase in (Phase.IDLE, Phase.DONE, Phase.CANCELLED, Phase.SCORING):
            self._ring.append((t, joints, conf, kp))
            if phase is not Phase.SCORING:
                self._set(energy=energy)
            return
        if phase in (Phase.WAITING, Phase.READY):
            self._ring.append((t, joints, conf, kp))
            self._waiting(take, t, energy, onset_thr, rest_thr, seen)
            return
        # ACTIVE
        self._add(take, t, joints, conf, kp)
        if seen:
            take.last_seen = t
        reps = self.state.repetitions
        if take.counter is not None:
            reps = take.counter.update(joints, conf) if joints is not None else take.counter.count
        cfg = take.config
        elapsed = t - take.start_t
        if elapsed >= cfg.max_duration:
            self._end(take, t, EndReason.MAX_DURATION, reps=reps, energy=energy)
            return
        last = take.last_seen if take.last_seen is not None else take.start_t
        if t - last >= cfg.lost_seconds:
            self._end(take, last, EndReason.LOST, reps=reps, energy=energy)
            return
        if np.isfinite(energy) and energy < rest_thr and elapsed >= cfg.min_duration:
            take.rest_since = t if take.rest_since is None else take.rest_since
            if t - take.rest_since >= cfg.rest_seconds:
                end_t = min(t, take.rest_since + cfg.post_roll)
                self._end(take, end_t, EndReason.REST, reps=reps, energy=energy)
                return
        elif np.isfinite(energy) and energy >= rest_thr:
            take.rest_since = None
        self._set(elapsed=elapsed, frames=len(take.t), energy=energy, repetitions=reps)

    def _discontinuity(self, t, joints, conf, cfg: LiveConfig) -> bool:
        """True when the body centre jumped faster than ``max_body_speed`` since the last
        frame with a skeleton: the tracker switched to another person or re-detected the
        student elsewhere (the simulator also places each new student anew)."""
        if joints is None:
            return False
        ok = (np.asarray(conf) >= 0.5) & np.isfinite(joints).all(axis=1)
        if not ok.any():
            return False
        centre = joints[ok].mean(axis=0)
        prev, self._centre = self._centre, (t, centre)
        if prev is None or t <= prev[0]:
            return False
        dist = float(np.linalg.norm(centre - prev[1]))
        return dist > 0.3 and dist / (t - prev[0]) > cfg.max_body_speed

    def _waiting(self, take: _Take, t, energy, onset_thr, rest_thr, seen) -> None:
        cfg = take.config
        phase = self.state.phase
        if not np.isfinite(energy) or not seen:  # no estimate yet, or nobody in view
            take.above = 0
            self._set(energy=energy)
            return
        if phase is Phase.WAITING:
            still = self._still_since
            if still is not None and t - still >= cfg.still_before:
                phase = Phase.READY
            self._set(energy=energy, phase=phase)
            return
        # READY
        if energy < rest_thr:
            take.rising_at = None
            take.above = 0
        else:
            take.rising_at = t if take.rising_at is None else take.rising_at
            take.above = take.above + 1 if energy > onset_thr else 0
        if take.above >= cfg.onset_frames:
            self._begin(take, energy)
        else:
            self._set(energy=energy)

    def _begin(self, take: _Take, energy: float) -> None:
        cfg = take.config
        lag = cfg.motion_frames / SCORE_FPS  # the energy lags the motion by ~k frames
        start = (take.rising_at if take.rising_at is not None else self._ring[-1][0])
        start -= lag + cfg.pre_roll
        for t, j, c, kp in self._ring:
            if t >= start:
                self._add(take, t, j, c, kp)
                if j is not None and (c >= 0.5).any():
                    take.last_seen = t
        self._ring.clear()
        take.start_t = take.t[0]
        take.next_window_t = take.start_t + cfg.min_window_frames / SCORE_FPS
        if take.counter is not None:
            take.counter.reset()
            for j, c in zip(take.j, take.c):
                take.counter.update(j, c)
        if take.sink is not None:
            try:
                take.sink.begin(take.movement, take.start_t)
            except Exception as exc:  # noqa: BLE001 - keep recording in memory
                log.warning("live scorer: sink.begin failed: %s", exc)
                self._set(warning=f"the attempt is not journaled ({exc}); it is kept in memory")
        self._set(
            phase=Phase.ACTIVE, elapsed=take.t[-1] - take.start_t, frames=len(take.t),
            energy=energy,
            repetitions=take.counter.count if take.counter is not None else None,
        )  # fmt: skip

    def _add(self, take: _Take, t, j, c, kp) -> None:
        take.t.append(t)
        take.j.append(np.full((NUM_JOINTS, 3), np.nan, np.float32) if j is None else j)
        take.c.append(np.zeros(NUM_JOINTS, np.float32) if j is None else c)
        take.kp.append(kp)

    def _append_to_sink(self, take: _Take) -> None:
        n = len(take.t)
        if take.sink is None or take.appended >= n:
            return
        a = take.appended
        try:
            take.sink.append(np.asarray(take.t[a:n]), np.stack(take.j[a:n]), np.stack(take.c[a:n]))
        except Exception as exc:  # noqa: BLE001
            log.warning("live scorer: sink.append failed: %s", exc)
            if self.state.warning is None:
                self._set(warning=f"the attempt is not journaled ({exc}); it is kept in memory")
        take.appended = n

    def _end(self, take: _Take, end_t: float, reason: EndReason, *, reps=None,
             energy=math.nan) -> None:
        take.end_t = end_t
        keep = sum(1 for t in take.t if t <= end_t)
        keep = max(keep, 1)
        del take.t[keep:], take.j[keep:], take.c[keep:], take.kp[keep:]
        self._set(
            phase=Phase.SCORING, end_reason=reason, frames=len(take.t),
            elapsed=take.t[-1] - take.start_t if take.t else 0.0,
            repetitions=reps if reps is not None else self.state.repetitions,
            energy=energy if np.isfinite(energy) else self.state.energy,
        )  # fmt: skip

    # ------------------------------------------------------------------ scoring
    def _score(self, movement: str, t, j, c) -> tuple[ScoreResult, float]:
        joints, t0 = scoring_input(np.asarray(t), np.stack(j), np.stack(c))
        return self._scorer.score(joints, movement), t0

    def _score_window(self, take: _Take) -> None:
        cfg = take.config
        take.next_window_t = take.t[-1] + cfg.score_interval
        if self._scorer is None:
            return
        # the last `window` frames at SCORE_FPS: pick raw frames covering that span
        span = cfg.window / SCORE_FPS
        t_end = take.t[-1]
        first = next(i for i, t in enumerate(take.t) if t >= t_end - span)
        sel = slice(first, len(take.t))
        if len(take.t) - first < 2 or (t_end - take.t[first]) * SCORE_FPS < cfg.min_window_frames - 1:
            return
        try:
            res, t0 = self._score(take.movement, take.t[sel], take.j[sel], take.c[sel])
        except Exception as exc:  # noqa: BLE001 - show it, keep going
            log.warning("live scorer: window scoring failed: %s", exc)
            self._set(error=f"scoring failed: {exc}")
            return
        self._update_stages(res, t0, t_end, take.start_t, cfg.stage_margin)

    def _update_stages(self, res: ScoreResult, t0: float, t_end: float, start_t: float,
                       margin: float) -> None:
        bounds = t0 + np.asarray(res.stage_bounds, float).reshape(NUM_STAGES, 2) / SCORE_FPS
        done = self.state.stages_done
        for p in range(NUM_STAGES - 1):
            if t0 + margin < bounds[p, 1] < t_end - margin:
                done = max(done, p + 1)
        scores = list(self.state.stage_scores)
        for p in range(done):
            # the window holds the whole stage: it starts inside the window, or the window
            # starts with the attempt
            whole = bounds[p, 0] > t0 + margin or t0 <= start_t + margin
            if whole or math.isnan(scores[p]):
                scores[p] = float(res.stage_scores[p])
        estimate = float(res.stage_scores[done]) if done < NUM_STAGES else math.nan
        self._set(window_result=res, windows_scored=self.state.windows_scored + 1,
                  stages_done=done, stage_scores=tuple(scores), stage_estimate=estimate)

    def _finish(self, take: _Take) -> None:
        result, bounds_s, error = None, None, None
        if self._scorer is not None and take.t:
            try:
                result, t0 = self._score(take.movement, take.t, take.j, take.c)
                b = np.asarray(result.stage_bounds, float).reshape(NUM_STAGES, 2)
                bounds_s = t0 - take.t[0] + b / SCORE_FPS
            except Exception as exc:  # noqa: BLE001
                log.warning("live scorer: scoring the attempt failed: %s", exc)
                error = f"scoring the attempt failed: {exc}"
        kps = take.kp
        kp = np.stack(kps) if kps and all(k is not None for k in kps) else None
        data = AttemptData(
            movement=take.movement, timestamps=np.asarray(take.t, np.float64),
            joints=np.stack(take.j).astype(np.float32), confidence=np.stack(take.c),
            keypoints_2d=kp, end_reason=self.state.end_reason or EndReason.MANUAL,
            result=result, repetitions=self.state.repetitions, stage_bounds_s=bounds_s,
            score_error=error,
        )  # fmt: skip
        changes: dict[str, Any] = {}
        if result is not None:
            changes.update(final=result, stages_done=NUM_STAGES, stage_estimate=math.nan,
                           stage_scores=tuple(float(x) for x in result.stage_scores))
        saved = unsaved = None
        if take.sink is not None:
            self._append_to_sink(take)
            try:
                saved = take.sink.finish(data)
            except Exception as exc:  # noqa: BLE001 - the attempt stays in memory
                log.warning("live scorer: saving the attempt failed: %s", exc)
                unsaved = data
                self._unsaved = (take.sink, data)
                error = f"saving the attempt failed: {exc}" if error is None else error
        self._take = None
        self._set(phase=Phase.DONE, saved=saved, unsaved=unsaved, error=error, **changes)
