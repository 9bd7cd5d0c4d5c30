"""Crash-safe journal of an attempt in progress (``*.ksj``).

While a student performs, the frames captured so far are appended to a small journal file and
flushed to disk (``write`` + ``fsync``) whenever at least ``flush_interval`` seconds (default
1 s) have passed since the last flush. A crash or power loss therefore loses at most the frames
of the last second. When the attempt ends normally the frames become a ``.ksr`` recording and
the journal is deleted; after a crash :meth:`engine.records.Store.pending_recoveries` finds it.

File layout (little-endian)::

    b"KSJ1" | u32 n | u32 crc32 | n bytes of JSON header      (movement, student, device, ...)
    then chunks:  4-byte tag | u32 n | u32 crc32 | n bytes payload
        b"FRMS": u32 T | f64 timestamps[T] | f32 joints[T,17,3] | f32 confidence[T,17]
        b"IMU_": f64 samples[N,7]   (t, ax, ay, az, gx, gy, gz)

Every chunk carries its own CRC, so a reader keeps every complete chunk and stops at the first
torn or corrupt one (the tail a crash may leave). The writer holds an exclusive OS lock on the
file (``flock`` on POSIX, ``msvcrt.locking`` on Windows) for as long as it is open, so a
journal that can be locked belongs to no running writer: that is how a crashed attempt is told
apart from one being recorded right now by another window or process.

Choice where "flushed every second" is vague: the flush happens inside :meth:`append`, i.e.
on the first frame that arrives one second or more after the previous flush; no timer thread
is used. Frames are the only thing that can be lost, and only those appended since the last
flush -- at most one second of capture.
"""

from __future__ import annotations

import json
import os
import struct
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine.skeleton import NUM_JOINTS

MAGIC = b"KSJ1"
SUFFIX = ".ksj"
_HDR = struct.Struct("<II")  # length, crc32
_CHUNK = struct.Struct("<4sII")  # tag, length, crc32
_LOCK_OFFSET = 1 << 30  # Windows byte-range lock far beyond the data, so readers are not blocked


class JournalError(ValueError):
    def __init__(self, path: str | os.PathLike, problem: str):
        self.path = Path(path)
        super().__init__(f"{self.path}: {problem}")


def _lock(fd: int) -> bool:
    """Try to take an exclusive lock on ``fd`` without waiting; True on success."""
    try:
        if os.name == "nt":  # pragma: no cover - exercised on Windows only
            import msvcrt

            pos = os.lseek(fd, 0, os.SEEK_CUR)
            os.lseek(fd, _LOCK_OFFSET, os.SEEK_SET)
            try:
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            finally:
                os.lseek(fd, pos, os.SEEK_SET)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def _unlock(fd: int) -> None:
    try:
        if os.name == "nt":  # pragma: no cover
            import msvcrt

            os.lseek(fd, _LOCK_OFFSET, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_UN)
    except OSError:
        pass


def is_locked(path: str | os.PathLike) -> bool:
    """True while a live :class:`JournalWriter` (in any process) has ``path`` open."""
    try:
        fd = os.open(path, os.O_RDWR if os.name == "nt" else os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        if _lock(fd):
            _unlock(fd)
            return False
        return True
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    try:
        dfd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


class JournalWriter:
    """Append frames of one attempt to ``path``; see the module docstring for the guarantees."""

    def __init__(self, path: str | os.PathLike, header: dict[str, Any], flush_interval: float = 1.0):
        self.path = Path(path)
        self.flush_interval = float(flush_interval)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0))
        if not _lock(fd):  # pragma: no cover - a file we just created exclusively
            os.close(fd)
            raise JournalError(self.path, "cannot lock the journal")
        self._fh = os.fdopen(fd, "r+b", buffering=0)
        payload = json.dumps(header, ensure_ascii=False).encode("utf-8")
        self._fh.write(MAGIC + _HDR.pack(len(payload), zlib.crc32(payload)) + payload)
        os.fsync(self._fh.fileno())
        _fsync_dir(self.path.parent)
        self._pending: list[bytes] = []
        self._last_flush = time.monotonic()
        self.frames_written = 0  # durable on disk
        self.frames_appended = 0

    @property
    def closed(self) -> bool:
        return self._fh is None

    def append(self, joints: np.ndarray, confidence: np.ndarray, timestamps: np.ndarray) -> None:
        """Add ``T`` frames: joints ``(T, 17, 3)``, confidence ``(T, 17)``, timestamps ``(T,)``
        (single frames may drop the leading axis). Flushes if the last flush is >= 1 s old."""
        if self._fh is None:
            raise JournalError(self.path, "journal is closed")
        j = np.asarray(joints, dtype="<f4")
        if j.ndim == 2:
            j = j[None]
        t = len(j)
        c = np.asarray(confidence, dtype="<f4").reshape(t, -1)
        ts = np.asarray(timestamps, dtype="<f8").reshape(-1)
        if j.shape[1:] != (NUM_JOINTS, 3) or c.shape != (t, NUM_JOINTS) or ts.shape != (t,):
            raise JournalError(
                self.path,
                f"frames must be joints (T, 17, 3), confidence (T, 17), timestamps (T,); got "
                f"{np.shape(joints)}, {np.shape(confidence)}, {np.shape(timestamps)}",
            )
        payload = struct.pack("<I", t) + ts.tobytes() + j.tobytes() + c.tobytes()
        self._pending.append(_CHUNK.pack(b"FRMS", len(payload), zlib.crc32(payload)) + payload)
        self.frames_appended += t
        if time.monotonic() - self._last_flush >= self.flush_interval:
            self.flush()

    def append_imu(self, samples: np.ndarray) -> None:
        """Add IMU samples ``(N, 7)``: t, ax, ay, az, gx, gy, gz."""
        if self._fh is None:
            raise JournalError(self.path, "journal is closed")
        s = np.asarray(samples, dtype="<f8")
        if s.ndim == 1:
            s = s[None]
        if s.ndim != 2 or s.shape[1] != 7:
            raise JournalError(self.path, f"IMU samples must be (N, 7), got {s.shape}")
        payload = s.tobytes()
        self._pending.append(_CHUNK.pack(b"IMU_", len(payload), zlib.crc32(payload)) + payload)

    def flush(self) -> None:
        """Write what is buffered and ``fsync`` it."""
        if self._fh is None:
            return
        if self._pending:
            self._fh.write(b"".join(self._pending))
            os.fsync(self._fh.fileno())
            self._pending.clear()
            self.frames_written = self.frames_appended
        self._last_flush = time.monotonic()

    def close(self) -> None:
        """Flush, release the lock and close; the file stays (delete it with :meth:`delete`)."""
        if self._fh is None:
            return
        try:
            self.flush()
        finally:
            _unlock(self._fh.fileno())
            self._fh.close()
            self._fh = None

    def delete(self) -> None:
        self.close()
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass


@dataclass
class JournalContents:
    path: Path
    header: dict[str, Any]
    joints: np.ndarray  # (T, 17, 3) float32
    confidence: np.ndarray  # (T, 17) float32
    timestamps: np.ndarray  # (T,) float64
    imu: np.ndarray | None  # (N, 7) float64
    torn_tail: bool = False  # a partial or corrupt chunk was found at the end and dropped
    notes: list[str] = field(default_factory=list)

    @property
    def num_frames(self) -> int:
        return int(len(self.timestamps))

    @property
    def duration(self) -> float:
        return float(self.timestamps[-1] - self.timestamps[0]) if self.num_frames > 1 else 0.0


def read_journal(path: str | os.PathLike) -> JournalContents:
    """Read every complete chunk of a journal. Raises :class:`JournalError` only when even
    the header is unreadable; a torn tail is dropped and reported in ``torn_tail``."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise JournalError(path, "journal file not found") from None
    if data[:4] != MAGIC or len(data) < 4 + _HDR.size:
        raise JournalError(path, "not a KineScore journal (bad magic or truncated header)")
    n, crc = _HDR.unpack_from(data, 4)
    pos = 4 + _HDR.size
    raw = data[pos : pos + n]
    if len(raw) != n or zlib.crc32(raw) != crc:
        raise JournalError(path, "journal header is torn or corrupt")
    header = json.loads(raw.decode("utf-8"))
    pos += n
    ts, js, cs, imus = [], [], [], []
    torn = False
    frame_bytes = 8 + NUM_JOINTS * 3 * 4 + NUM_JOINTS * 4
    while pos < len(data):
        if len(data) - pos < _CHUNK.size:
            torn = True
            break
        tag, n, crc = _CHUNK.unpack_from(data, pos)
        payload = data[pos + _CHUNK.size : pos + _CHUNK.size + n]
        if len(payload) != n or zlib.crc32(payload) != crc:
            torn = True
            break
        pos += _CHUNK.size + n
        if tag == b"FRMS":
            (t,) = struct.unpack_from("<I", payload)
            if len(payload) != 4 + t * frame_bytes:
                torn = True
                break
            o = 4
            ts.append(np.frombuffer(payload, "<f8", t, o))
            o += 8 * t
            js.append(np.frombuffer(payload, "<f4", t * NUM_JOINTS * 3, o).reshape(t, NUM_JOINTS, 3))
            o += 12 * NUM_JOINTS * t
            cs.append(np.frombuffer(payload, "<f4", t * NUM_JOINTS, o).reshape(t, NUM_JOINTS))
        elif tag == b"IMU_":
            imus.append(np.frombuffer(payload, "<f8").reshape(-1, 7))
        # unknown tags (a newer writer) are skipped: their length is known
    return JournalContents(
        path=path,
        header=header,
        joints=np.concatenate(js).astype(np.float32) if js else np.zeros((0, NUM_JOINTS, 3), np.float32),
        confidence=np.concatenate(cs).astype(np.float32) if cs else np.zeros((0, NUM_JOINTS), np.float32),
        timestamps=np.concatenate(ts).astype(np.float64) if ts else np.zeros(0),
        imu=np.concatenate(imus).astype(np.float64) if imus else None,
        torn_tail=torn,
    )
