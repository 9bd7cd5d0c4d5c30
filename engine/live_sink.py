"""Saving live attempts into the class records: the :class:`engine.live.AttemptSink` the app
uses (no Qt).

While the attempt runs its frames are journaled by ``Store.begin_attempt`` (a crash loses at
most the last second; the attempt then shows up in ``Store.pending_recoveries``). At the end
the attempt's recording (``.ksr``, with the 2D keypoints when the device gave them and what
the live scorer knows in ``meta.extra["live"]``) and its score are stored in one transaction.

Nothing is lost when the database is locked, read-only or gone: if the attempt cannot be
stored, its recording is written to ``<user data>/unsaved/`` and :meth:`StoreSink.finish`
raises :class:`SaveError` naming that file, so the teacher can add it later (the app offers
"Retry"). Timestamps in the recording are seconds from the attempt's first frame. When the teacher
chose to keep video, the colour video (``engine.video``) goes beside the recording
(``meta.video``) with its frame times in ``meta.extra["video_timestamps"]``.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from engine.live import AttemptData
from engine.recording import Recording, RecordingMeta, save_recording
from engine.video import VideoRecorder, keep_video

log = logging.getLogger("engine.live")


class SaveError(RuntimeError):
    """The attempt could not be stored in the records; ``kept`` is where it was written."""

    def __init__(self, message: str, kept: Path | None):
        super().__init__(message)
        self.kept = kept


def unsaved_dir() -> Path:
    from engine.paths import user_data_dir

    return user_data_dir() / "unsaved"


def build_recording(data: AttemptData, *, student_number: str = "", device: str = "",
                    device_serial: str = "", frame_rate: float = 30.0,
                    calibration: dict | None = None, extra: dict | None = None,
                    video: str | None = None) -> Recording:
    """The ``.ksr`` recording of a live attempt (validated); ``video`` names a video file
    in the recording's folder."""
    conf = np.clip(np.nan_to_num(np.asarray(data.confidence, np.float32), nan=0.0), 0, 1)
    joints = np.asarray(data.joints, np.float32).copy()
    bad = ~np.isfinite(joints).all(axis=-1)
    joints[bad] = np.nan
    conf[bad] = 0.0
    t = np.asarray(data.timestamps, np.float64)
    meta = RecordingMeta(
        movement=data.movement, student_id=student_number, device_name=device,
        device_serial=device_serial, frame_rate=float(frame_rate), calibration=calibration,
        extra={**(extra or {}), "live": data.extra()}, video=video,
    )  # fmt: skip
    rec = Recording(joints, conf, t - t[0], meta, keypoints_2d=data.keypoints_2d)
    rec.validate()
    return rec


class StoreSink:
    """Journals a live attempt in a :class:`engine.records.Store` and saves it at the end.

    Args:
        store: the open records store.
        student_id / student_number: whose attempt it is.
        device, device_serial, frame_rate, calibration: stored in the attempt and recording.
        extra: called at the end of the attempt for ``RecordingMeta.extra`` (e.g. the
            source's metadata and dropped-frame count).
        session_id: the records session the attempt belongs to.
    """

    def __init__(self, store, student_id: int, student_number: str, *, device: str = "",
                 device_serial: str = "", frame_rate: float = 30.0,
                 calibration: dict | None = None,
                 extra: Callable[[], dict[str, Any]] | None = None,
                 session_id: int | None = None, video: VideoRecorder | None = None):
        self.store = store
        self.video = video
        self._video: tuple[str | None, list[float]] | None = None
        self.student_id = student_id
        self.student_number = student_number
        self.device = device
        self.device_serial = device_serial
        self.frame_rate = frame_rate
        self.calibration = calibration
        self.extra = extra
        self.session_id = session_id
        self._rec = None  # engine.records.AttemptRecorder while journaling
        self._t0 = 0.0
        self.movement = ""
        self.kept: Path | None = None  # copy of a recording that could not be stored

    def begin(self, movement: str, first_timestamp: float) -> None:
        self.movement = movement
        self._t0 = first_timestamp
        self._rec = self.store.begin_attempt(
            self.student_id, movement, device=self.device, device_serial=self.device_serial,
            session_id=self.session_id, frame_rate=self.frame_rate,
        )  # fmt: skip

    def append(self, timestamps, joints, confidence) -> None:
        if self._rec is None:
            return
        try:
            self._rec.append(joints, confidence, np.asarray(timestamps) - self._t0)
        except Exception:
            self._rec = None  # journal broken: the attempt is still kept in memory
            raise

    def finish(self, data: AttemptData):
        """Store the attempt; returns the ``engine.records.Attempt``. When it cannot, the
        recording is copied under :func:`unsaved_dir`, the journal is kept, and
        :class:`SaveError` is raised; calling ``finish`` again retries (and removes the copy
        once it succeeds)."""
        extra = {}
        if self.extra is not None:
            try:
                extra = dict(self.extra() or {})
            except Exception as exc:  # noqa: BLE001 - metadata is nice to have
                log.warning("attempt metadata failed: %s", exc)
        if self._video is None:  # once: a retry reuses the file already kept
            stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
            self._video = keep_video(
                self.video, Path(self.store.recordings_dir) / self.student_number,
                f"{data.movement}-{stamp}-video", float(data.timestamps[0]))
        name, stamps = self._video
        if name:
            extra["video_timestamps"] = stamps
        rec = build_recording(
            data, student_number=self.student_number, device=self.device,
            device_serial=self.device_serial, frame_rate=self.frame_rate,
            calibration=self.calibration, extra=extra, video=name,
        )  # fmt: skip
        try:
            if self._rec is not None:
                attempt = self._rec.finish(rec, data.result, repetitions=data.repetitions)
            else:
                attempt = self.store.add_attempt(
                    self.student_id, data.movement, score=data.result, recording=rec,
                    device=self.device, session_id=self.session_id,
                    repetitions=data.repetitions,
                )  # fmt: skip
        except (Exception, sqlite3.Error) as exc:
            # keep the journal (a retry finishes it) and a copy of the recording
            if self.kept is None:
                try:
                    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
                    name = f"{self.student_number}-{data.movement}-{stamp}.ksr"
                    self.kept = save_recording(rec, unsaved_dir() / name)
                except Exception as exc2:  # noqa: BLE001
                    raise SaveError(f"{exc}; keeping a copy failed too ({exc2})", None) from exc
            raise SaveError(f"{exc}; a copy of the recording is in {self.kept}", self.kept) from exc
        self._rec = None
        if self.kept is not None:  # a retry succeeded: the copy is not needed any more
            self.kept.unlink(missing_ok=True)
            self.kept = None
        return attempt

    def abort(self) -> None:
        if self.video is not None:
            self.video.discard()
        if self._rec is not None:
            rec, self._rec = self._rec, None
            rec.abort()


class FileSink:
    """Keeps live attempts as recordings under :func:`unsaved_dir` when the class records
    are not available (database missing, locked or read-only at start-up). ``finish``
    returns the file's path; add it to the records later with ``Store.add_attempt``."""

    def __init__(self, student_number: str = "", video: VideoRecorder | None = None,
                 **meta: Any):
        self.student_number = student_number
        self.video = video
        self.meta = meta

    def begin(self, movement: str, first_timestamp: float) -> None:
        pass

    def append(self, timestamps, joints, confidence) -> None:
        pass

    def finish(self, data: AttemptData) -> Path:
        stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
        stem = f"{self.student_number or 'unknown'}-{data.movement}-{stamp}"
        name, stamps = keep_video(self.video, unsaved_dir(), stem + "-video",
                                  float(data.timestamps[0]))
        self.video = None
        rec = build_recording(data, student_number=self.student_number, video=name,
                              extra={"video_timestamps": stamps} if name else None, **self.meta)
        return save_recording(rec, unsaved_dir() / f"{stem}.ksr")

    def abort(self) -> None:
        if self.video is not None:
            self.video.discard()
