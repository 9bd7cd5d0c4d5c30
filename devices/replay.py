"""Play a KineScore recording (``.ksr``) as a live source: ``replay:/path/attempt.ksr``.

At ``speed=1`` frames come out at the recorded pace (``speed=2`` twice as fast); with
``speed=None`` (or 0, or the spec option ``"max"``) they come out as fast as the consumer takes
them, for batch scoring. Playback can be paused, resumed and sought while running.

Timestamps keep the *recorded spacing* at every speed (a slow-motion replay still scores like
the original attempt): frame ``i`` is stamped ``anchor + (t_i - t_anchor)``, where the anchor
is set at start, after a seek and after a resume to the current clock time (never earlier than
the previous frame, so timestamps stay strictly increasing). At ``speed=1`` this is the time the
frame is shown. ``Frame.index`` is the frame's position in the recording. Frames in which all
joints have confidence 0 come out with ``joints=None`` (nobody in view), as the recorder wrote
them. IMU samples recorded between two frames ride on the later frame.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

from devices.base import (
    DeviceError,
    EndOfStream,
    ErrorCode,
    Frame,
    SkeletonSource,
    clock,
    register_source,
)
from engine.recording import Recording, RecordingError, load_recording


def _parse_speed(speed) -> float | None:
    if speed is None:
        return None
    if isinstance(speed, str):
        if speed.strip().lower() in ("max", "fast", "inf", "0"):
            return None
        speed = float(speed)
    speed = float(speed)
    if speed <= 0 or not np.isfinite(speed):
        return None
    return speed


@register_source("replay")
class ReplaySource(SkeletonSource):
    """A recording played back as a source.

    Args:
        recording: a ``.ksr`` path or an in-memory :class:`engine.recording.Recording`.
        speed: playback speed (1 = real time); None/0/"max" = as fast as possible.
        loop: start again at the end instead of ending.
        start_paused: open paused at the first frame (it is shown once).
    """

    def __init__(
        self,
        recording: str | os.PathLike | Recording,
        *,
        speed: float | str | None = 1.0,
        loop: bool = False,
        start_paused: bool = False,
    ):
        if isinstance(recording, Recording):
            self.path: Path | None = None
            self._rec: Recording | None = recording
            name = f"Replay ({recording.meta.movement})"
        else:
            self.path = Path(os.path.expanduser(str(recording)))
            self._rec = None
            name = f"Replay {self.path.name}"
        super().__init__(name)
        self.speed = _parse_speed(speed)
        self.pull = self.speed is None
        self.loop = loop
        self._ctl = threading.Condition()
        self._paused = start_paused
        self._show_once = start_paused
        self._pos = 0
        self._reanchor = True
        self._anchor_clock = 0.0
        self._anchor_media = 0.0
        self._prev_media: float | None = None
        self._last_ts = -np.inf

    @classmethod
    def from_spec(cls, arg: str | None, **options) -> ReplaySource:
        if not arg:
            raise DeviceError(
                "Say which recording to replay: 'replay:/path/to/attempt.ksr'.",
                code=ErrorCode.BAD_SPEC, retry=False,
            )  # fmt: skip
        return cls(arg, **options)

    # ------------------------------------------------------------------ properties
    @property
    def recording(self) -> Recording:
        if self._rec is None:
            raise DeviceError("Open the replay first.", code=ErrorCode.STATE, retry=False)
        return self._rec

    @property
    def num_frames(self) -> int:
        return self.recording.num_frames

    @property
    def duration(self) -> float:
        return self.recording.duration

    @property
    def position(self) -> float:
        """Seconds from the start of the recording of the next frame to be shown."""
        ts = self.recording.timestamps
        return float(ts[min(self._pos, len(ts) - 1)] - ts[0])

    @property
    def frame_position(self) -> int:
        """Index of the next frame to be shown."""
        return self._pos

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def calibration(self) -> dict[str, Any] | None:
        return None if self._rec is None else self._rec.meta.calibration

    def metadata(self) -> dict[str, Any]:
        md = super().metadata()
        if self._rec is not None:
            md["replay_of"] = str(self.path) if self.path else ""
            md["original_device"] = self._rec.meta.device_name
        return md

    # ------------------------------------------------------------------ control
    def pause(self) -> None:
        with self._ctl:
            self._paused = True
            self._ctl.notify_all()

    def resume(self) -> None:
        with self._ctl:
            self._paused = False
            self._reanchor = True
            self._ctl.notify_all()

    def seek(self, seconds: float) -> None:
        """Jump to the first frame at or after ``seconds`` from the start (clamped)."""
        ts = self.recording.timestamps
        self.seek_frame(int(np.searchsorted(ts - ts[0], seconds - 1e-9)))

    def seek_frame(self, index: int) -> None:
        """Jump to frame ``index`` (clamped); when paused, that frame is shown once."""
        n = self.recording.num_frames
        with self._ctl:
            self._pos = int(min(max(index, 0), n - 1))
            self._reanchor = True
            self._prev_media = None
            self._show_once = self._paused
            self._ctl.notify_all()

    # ------------------------------------------------------------------ backend
    def _open(self) -> None:
        if self._rec is None:
            try:
                self._rec = load_recording(self.path)
            except RecordingError as exc:
                raise DeviceError(
                    f"Cannot replay {self.path}: {exc.problem}. Pick another recording.",
                    code=ErrorCode.FILE, device=self.name, retry=False,
                ) from exc  # fmt: skip
        m = self._rec.meta
        self._serial = m.device_serial
        self._nominal_fps = float(m.frame_rate)

    def _on_start(self) -> None:
        with self._ctl:
            if self._pos >= self.recording.num_frames - 1 and not self._paused:
                self._pos = 0
            self._reanchor = True
            self._prev_media = None

    def _waiting_is_expected(self) -> bool:
        return self._paused

    def _capture(self, timeout: float) -> Frame | None:
        rec = self.recording
        ts = rec.timestamps
        with self._ctl:
            if self._paused and not self._show_once:
                self._ctl.wait(timeout)
                return None
            if self._pos >= rec.num_frames:
                if not self.loop:
                    raise EndOfStream
                self._pos, self._reanchor, self._prev_media = 0, True, None
            i = self._pos
            now = clock()
            if self._reanchor:
                dt = 1.0 / self.nominal_fps
                self._anchor_clock = max(now, self._last_ts + dt)
                self._anchor_media = float(ts[i])
                self._reanchor = False
            offset = float(ts[i]) - self._anchor_media
            if self.speed is not None and not self._show_once:
                wait = self._anchor_clock + offset / self.speed - now
                if wait > 0:
                    if wait > timeout:
                        self._ctl.wait(timeout)
                        return None
                    self._ctl.wait(wait)
                    if self._pos != i or self._reanchor or (self._paused and not self._show_once):
                        return None  # a seek or pause arrived while waiting
            stamp = self._anchor_clock + offset
            frame = self._frame(i, stamp)
            self._prev_media = float(ts[i])
            self._last_ts = stamp
            self._pos = i + 1
            if self._show_once:
                self._show_once = False
                self._reanchor = True
            return frame

    def _frame(self, i: int, stamp: float) -> Frame:
        rec = self.recording
        conf = rec.confidence[i]
        joints = rec.joints[i]
        kp = None if rec.keypoints_2d is None else rec.keypoints_2d[i]
        imu = None
        if rec.imu is not None and len(rec.imu):
            t_media = rec.timestamps[i]
            lo = -np.inf if self._prev_media is None else self._prev_media
            sel = (rec.imu[:, 0] > lo) & (rec.imu[:, 0] <= t_media)
            if self._prev_media is None and i > 0:
                sel &= rec.imu[:, 0] > rec.timestamps[i - 1]
            if sel.any():
                imu = rec.imu[sel].copy()
                imu[:, 0] = stamp + (imu[:, 0] - t_media)
        if not (conf > 0).any():
            return Frame.empty(stamp, i, keypoints_2d=kp, imu=imu)
        return Frame(stamp, i, joints, conf, None, kp, imu)
