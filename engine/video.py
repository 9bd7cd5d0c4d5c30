"""Colour video beside a recording, for teachers who choose to keep it (the app's default is
skeleton only, for privacy).

:class:`VideoRecorder` writes frames to an MP4 (OpenCV, ``mp4v``) on its own thread through
a bounded queue, so the capture thread never waits for the disk; frames that arrive while the
queue is full are dropped and counted. It keeps every written frame's timestamp, so a replay
finds the picture of any skeleton frame by time (the video may start before the attempt: it
runs from Start, the attempt is found later). :func:`read_frame` reads one frame back.
"""

from __future__ import annotations

import logging
import os
import queue
import shutil
import tempfile
import threading
from pathlib import Path

import numpy as np

log = logging.getLogger("engine.video")
SUFFIX = ".mp4"


class VideoRecorder:
    """Write RGB frames ``(H, W, 3) uint8`` to ``path`` at nominal ``fps``; thread-safe
    :meth:`add`, then :meth:`close` (or :meth:`discard`)."""

    def __init__(self, fps: float = 30.0, folder: str | os.PathLike | None = None,
                 max_queue: int = 60):
        fd, name = tempfile.mkstemp(prefix="kinescore-video-", suffix=SUFFIX, dir=folder)
        os.close(fd)
        self.path = Path(name)
        self.fps = float(fps)
        self.timestamps: list[float] = []
        self.dropped = 0
        self.error: str | None = None
        self._queue: queue.Queue = queue.Queue(max_queue)
        self._writer = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="kinescore-video", daemon=True)
        self._thread.start()

    def add(self, timestamp: float, image: np.ndarray) -> None:
        """Queue one frame (never blocks; dropped when the writer is behind)."""
        if self._closed or image is None:
            return
        try:
            self._queue.put_nowait((float(timestamp), image))
        except queue.Full:
            self.dropped += 1

    def _run(self) -> None:
        import cv2

        while True:
            item = self._queue.get()
            if item is None:
                break
            t, img = item
            if self.error is not None:
                continue
            try:
                if self._writer is None:
                    h, w = img.shape[:2]
                    self._writer = cv2.VideoWriter(str(self.path), cv2.VideoWriter_fourcc(*"mp4v"),
                                                   self.fps, (w, h))
                    if not self._writer.isOpened():
                        raise OSError(f"{self.path}: cannot write video")
                    self._size = (w, h)
                if (img.shape[1], img.shape[0]) != self._size:
                    img = cv2.resize(img, self._size)
                self._writer.write(cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_RGB2BGR))
                self.timestamps.append(t)
            except Exception as exc:  # noqa: BLE001 - the skeleton recording goes on
                log.warning("video: %s", exc)
                self.error = str(exc)
        if self._writer is not None:
            self._writer.release()

    def close(self, timeout: float = 30.0) -> tuple[Path | None, list[float]]:
        """Finish the file; returns ``(path, timestamps)``, path None when nothing was
        written."""
        if not self._closed:
            self._closed = True
            self._queue.put(None)
            self._thread.join(timeout)
        if not self.timestamps or self.error is not None:
            self.path.unlink(missing_ok=True)
            return None, []
        return self.path, list(self.timestamps)

    def discard(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)


def keep_video(video: VideoRecorder | None, folder: Path, stem: str, t0: float
               ) -> tuple[str | None, list[float]]:
    """Close ``video`` and move it to ``folder/stem.mp4``; returns the file name (relative
    to ``folder``, for ``RecordingMeta.video``) and its frame times in seconds from ``t0``."""
    if video is None:
        return None, []
    path, stamps = video.close()
    if path is None:
        return None, []
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{stem}{SUFFIX}"
    shutil.move(str(path), target)
    return target.name, [round(s - t0, 4) for s in stamps]


def read_frame(path: str | os.PathLike, index: int, capture=None):
    """Frame ``index`` of a video as RGB (and the capture to reuse for the next call)."""
    import cv2

    cap = capture if capture is not None else cv2.VideoCapture(str(path))
    pos = int(cap.get(cv2.CAP_PROP_POS_FRAMES))
    if pos != index:
        cap.set(cv2.CAP_PROP_POS_FRAMES, index)
    ok, bgr = cap.read()
    if not ok:
        return None, cap
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), cap
