"""Collect the frames of one attempt into an :class:`engine.recording.Recording`.

    rec = AttemptRecorder(source, movement="sit_ups", student_id="S12")
    rec.start()            # attaches to the source: every frame is kept, however slow the GUI
    ...
    recording = rec.stop() # -> engine.recording.Recording (save it with save_recording)

Choices:
    * Frames without a skeleton (nobody in view, pose lost) are kept inside the attempt as NaN
      joints with confidence 0, so the timeline stays true; leading and trailing ones are
      trimmed (``trim=True``): the attempt starts when the student is first seen and ends when
      they were last seen.
    * IMU samples travel on the frames (``Frame.imu``) and are concatenated, sorted by time and
      cut to the kept time span (with a margin of one frame period).
    * 2D keypoints are stored when every kept frame that has a skeleton carries them.
    * ``max_seconds`` caps an attempt left running by mistake: later frames are ignored and
      :attr:`AttemptRecorder.full` turns True.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from devices.base import DeviceError, ErrorCode, Frame, SkeletonSource
from engine.recording import Recording, RecordingMeta
from engine.skeleton import NUM_JOINTS


class AttemptRecorder:
    """Thread-safe frame collector; see the module docstring.

    Args:
        source: the source to listen to (``None``: feed frames yourself with :meth:`add`).
        movement: movement key (``"standing_long_jump"``, ``"sit_ups"``, ``"free_throw"``,
            ``"overhead_pass"``).
        student_id: stored in the recording's metadata.
        max_seconds: longest attempt kept.
        trim: drop leading/trailing frames without a skeleton.
        extra: merged into ``RecordingMeta.extra`` (after the source's own metadata).
    """

    def __init__(
        self,
        source: SkeletonSource | None = None,
        *,
        movement: str,
        student_id: str = "",
        max_seconds: float = 120.0,
        trim: bool = True,
        extra: dict[str, Any] | None = None,
    ):
        if not movement:
            raise ValueError("AttemptRecorder needs a movement key")
        self.source = source
        self.movement = movement
        self.student_id = student_id
        self.max_seconds = max_seconds
        self.trim = trim
        self.extra = dict(extra or {})
        self._frames: list[Frame] = []
        self._lock = threading.Lock()
        self._recording = False
        self.full = False
        self._dropped_at_start = 0

    # ------------------------------------------------------------------ control
    def start(self) -> AttemptRecorder:
        """Start collecting (clears anything collected before)."""
        with self._lock:
            self._frames = []
            self.full = False
            self._recording = True
        if self.source is not None:
            self._dropped_at_start = self.source.dropped_frames
            self.source.add_listener(self.add)
        return self

    def cancel(self) -> None:
        """Stop collecting and forget the frames."""
        self._detach()
        with self._lock:
            self._frames = []

    def stop(self) -> Recording:
        """Stop collecting and build the recording. Raises :class:`DeviceError` when nothing
        usable was recorded (no frame, or nobody seen)."""
        self._detach()
        with self._lock:
            frames = list(self._frames)
        return self.build(frames)

    def _detach(self) -> None:
        if self.source is not None:
            self.source.remove_listener(self.add)
        with self._lock:
            self._recording = False

    @property
    def recording(self) -> bool:
        return self._recording

    @property
    def frame_count(self) -> int:
        return len(self._frames)

    @property
    def duration(self) -> float:
        with self._lock:
            if len(self._frames) < 2:
                return 0.0
            return self._frames[-1].timestamp - self._frames[0].timestamp

    def add(self, frame: Frame) -> None:
        """Add one frame (the source calls this on its capture thread)."""
        with self._lock:
            if not self._recording:
                return
            if self._frames:
                if frame.timestamp <= self._frames[-1].timestamp:
                    return  # never store time going backwards
                if frame.timestamp - self._frames[0].timestamp > self.max_seconds:
                    self.full = True
                    return
            self._frames.append(frame)

    # ------------------------------------------------------------------ building
    def build(self, frames: list[Frame]) -> Recording:
        if not frames:
            raise DeviceError(
                "Nothing was recorded: the camera sent no frames during the attempt. "
                "Check the camera, then record the attempt again.",
                code=ErrorCode.NO_FRAMES, device=self.source.name if self.source else "",
            )  # fmt: skip
        seen = [i for i, f in enumerate(frames) if f.has_skeleton]
        if not seen:
            raise DeviceError(
                "Nobody was seen during the attempt. Make sure the student is fully in the "
                "picture (head to feet), then record again.",
                code=ErrorCode.NO_FRAMES, device=self.source.name if self.source else "",
            )  # fmt: skip
        if self.trim:
            frames = frames[seen[0] : seen[-1] + 1]
        t = len(frames)
        joints = np.full((t, NUM_JOINTS, 3), np.nan, dtype=np.float32)
        conf = np.zeros((t, NUM_JOINTS), dtype=np.float32)
        stamps = np.array([f.timestamp for f in frames], dtype=np.float64)
        for k, f in enumerate(frames):
            if f.joints is not None:
                c = np.clip(np.nan_to_num(f.confidence, nan=0.0), 0.0, 1.0)
                j = f.joints.copy()
                bad = ~np.isfinite(j).all(axis=1)
                j[bad] = np.nan
                c[bad] = 0.0
                joints[k], conf[k] = j, c
        kp = None
        with_kp = [f for f in frames if f.has_skeleton]
        if with_kp and all(f.keypoints_2d is not None for f in with_kp):
            kp = np.full((t, NUM_JOINTS, 2), np.nan, dtype=np.float32)
            for k, f in enumerate(frames):
                if f.keypoints_2d is not None:
                    kp[k] = f.keypoints_2d
        imu_parts = [f.imu for f in frames if f.imu is not None and len(f.imu)]
        imu = None
        if imu_parts:
            imu = np.concatenate(imu_parts).astype(np.float64)
            imu = imu[np.argsort(imu[:, 0], kind="stable")]
            imu = imu[np.isfinite(imu).all(axis=1)]
            margin = 1.0 / self._fps(stamps)
            keep = (imu[:, 0] >= stamps[0] - margin) & (imu[:, 0] <= stamps[-1] + margin)
            imu = imu[keep] if keep.any() else None
        src = self.source
        extra: dict[str, Any] = {}
        if src is not None:
            extra.update(src.metadata())
            extra["dropped_frames"] = int(src.dropped_frames - self._dropped_at_start)
            extra["measured_fps"] = round(self._fps(stamps), 3)
        extra["frames_without_skeleton"] = int(sum(not f.has_skeleton for f in frames))
        extra.update(self.extra)
        meta = RecordingMeta(
            movement=self.movement,
            student_id=self.student_id,
            device_name=src.name if src is not None else (frames[0].source or ""),
            device_serial=src.serial if src is not None else "",
            frame_rate=float(src.nominal_fps) if src is not None else self._fps(stamps),
            calibration=src.calibration if src is not None else None,
            extra=extra,
        )
        rec = Recording(joints, conf, stamps, meta, imu=imu, keypoints_2d=kp)
        rec.validate()
        return rec

    @staticmethod
    def _fps(stamps: np.ndarray) -> float:
        if len(stamps) < 2 or stamps[-1] <= stamps[0]:
            return 30.0
        return float((len(stamps) - 1) / (stamps[-1] - stamps[0]))


def record_frames(
    frames: list[Frame], *, movement: str, source: SkeletonSource | None = None, **kwargs
) -> Recording:
    """Build a recording from frames already collected (e.g. by a batch loop)."""
    return AttemptRecorder(source, movement=movement, **kwargs).build(list(frames))
