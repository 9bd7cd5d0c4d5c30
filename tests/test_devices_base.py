"""The source base class, frame slot, failure handling and the registry."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import devices
from devices.base import (
    DeviceError,
    DeviceInfo,
    EndOfStream,
    ErrorCode,
    Frame,
    SkeletonSource,
    SourceState,
    clock,
    create_source,
    list_devices,
    open_source,
    parse_spec,
    register_source,
    source_kinds,
)
from engine.skeleton import NUM_JOINTS


class CountingSource(SkeletonSource):
    """Emits frames at ``fps``; scripted failures."""

    def __init__(self, fps=200.0, frames=None, fail_at=None, crash_at=None, silent=False,
                 block_s=0.0):  # fmt: skip
        super().__init__("Counter", serial="C-1", nominal_fps=fps)
        self.fps, self.limit, self.fail_at, self.crash_at = fps, frames, fail_at, crash_at
        self.silent, self.block_s = silent, block_s
        self.i = 0
        self.opened = self.closed = 0

    def _open(self):
        self.opened += 1

    def _close(self):
        self.closed += 1

    def _capture(self, timeout):
        if self.silent:
            self._stop_event.wait(timeout)
            return None
        if self.block_s:
            time.sleep(self.block_s)  # a blocking SDK call that ignores the stop event
        if self.limit is not None and self.i >= self.limit:
            raise EndOfStream
        if self.fail_at is not None and self.i >= self.fail_at:
            raise DeviceError("Counter unplugged: plug it back in.", code=ErrorCode.DISCONNECTED)
        if self.crash_at is not None and self.i >= self.crash_at:
            raise ZeroDivisionError("boom")
        self._stop_event.wait(1.0 / self.fps)
        j = np.zeros((NUM_JOINTS, 3), np.float32) + self.i
        f = Frame(clock(), self.i, j, np.ones(NUM_JOINTS))
        self.i += 1
        return f


def test_frame_validates_shapes_and_types():
    f = Frame(1.0, 0, np.zeros((17, 3)), np.ones(17))
    assert f.joints.dtype == np.float32 and f.confidence.dtype == np.float32 and f.has_skeleton
    with pytest.raises(ValueError, match="joints"):
        Frame(1.0, 0, np.zeros((16, 3)), np.ones(17))
    with pytest.raises(ValueError, match="image"):
        Frame(1.0, 0, None, np.zeros(17), image=np.zeros((4, 4, 3), np.float32))
    e = Frame.empty(2.0, 3, imu=np.zeros((2, 7)))
    assert not e.has_skeleton and e.confidence.sum() == 0 and e.imu.shape == (2, 7)


def test_lifecycle_read_latest_and_counters():
    src = CountingSource()
    assert src.state is SourceState.CLOSED and src.latest() is None
    src.open()
    assert src.state is SourceState.OPEN and src.opened == 1
    src.open()  # idempotent
    assert src.opened == 1
    src.start()
    frames = [src.read(timeout=2.0) for _ in range(20)]
    assert all(f is not None for f in frames)
    ts = [f.timestamp for f in frames]
    assert np.all(np.diff(ts) > 0)
    assert src.latest() is not None and src.latest().index >= frames[-1].index
    assert src.measured_fps > 0 and src.frames_delivered >= 20
    st = src.status()
    assert st.state is SourceState.RUNNING and st.person_in_view and st.name == "Counter"
    src.close()
    assert src.state is SourceState.CLOSED and src.closed == 1
    n = src.frames_delivered
    time.sleep(0.05)
    assert src.frames_delivered == n  # nothing after close
    src.close()  # idempotent
    assert src.closed == 1


def test_slow_reader_gets_newest_and_drops_are_counted():
    with CountingSource(fps=400) as src:
        first = src.read(timeout=2.0)
        time.sleep(0.3)  # fall behind: up to ~120 frames arrive, one slot
        nxt = src.read(timeout=2.0)
        assert nxt.index > first.index + 3  # the newest, not the next in line
        assert src.dropped_frames >= nxt.index - first.index - 2


def test_listener_sees_every_frame_even_when_nobody_reads():
    got = []
    with CountingSource(fps=400) as src:
        src.add_listener(got.append)
        time.sleep(0.25)
        src.remove_listener(got.append)
        n = len(got)
        time.sleep(0.05)
    idx = [f.index for f in got]
    assert n > 5 and len(got) == n
    assert idx == list(range(idx[0], idx[0] + len(idx)))  # consecutive: none lost


def test_listener_error_does_not_stop_capture():
    def bad(frame):
        raise RuntimeError("listener bug")

    with CountingSource() as src:
        src.add_listener(bad)
        assert src.read(2.0) is not None and src.read(2.0) is not None
        assert src.state is SourceState.RUNNING


def test_device_error_on_capture_thread_is_reported_not_raised():
    src = CountingSource(fail_at=5).start()
    with pytest.raises(DeviceError, match="unplugged") as ei:
        while True:
            src.read(timeout=2.0)
    assert ei.value.code == ErrorCode.DISCONNECTED and ei.value.device == "Counter"
    assert src.state is SourceState.FAILED and src.error is ei.value
    assert src.status().error.startswith("Counter unplugged")
    t = time.monotonic()
    src.close()
    assert time.monotonic() - t < 2.0 and src.state is SourceState.CLOSED


def test_unexpected_exception_becomes_device_error_and_retry_works():
    src = CountingSource(crash_at=3).start()
    with pytest.raises(DeviceError, match="stopped unexpectedly.*ZeroDivisionError"):
        list(src.frames(timeout=2.0))
    src.crash_at = None
    src.start()  # Retry: re-acquires the device and streams again
    assert src.opened == 2 and src.read(2.0) is not None and src.error is None
    src.close()


def test_no_frames_watchdog():
    src = CountingSource(silent=True)
    src.first_frame_timeout = 0.3
    src.start()
    with pytest.raises(DeviceError, match="no picture") as ei:
        src.read(timeout=3.0)
    assert ei.value.code == ErrorCode.NO_FRAMES
    src.close()


def test_stop_does_not_hang_on_a_blocking_device():
    src = CountingSource(block_s=10.0)
    src.stop_timeout = 0.3
    src.start()
    time.sleep(0.05)
    t = time.monotonic()
    src.stop()
    assert time.monotonic() - t < 3.0  # far less than the 10 s the "driver" blocks
    src.close()


def test_end_of_stream_and_frames_iterator():
    with CountingSource(frames=7) as src:
        got = list(src.frames(timeout=2.0))
        assert [f.index for f in got][-1] == 6 and src.state is SourceState.ENDED
        assert src.read(timeout=0.1) is None


def test_timestamps_forced_strictly_increasing():
    class Same(CountingSource):
        def _capture(self, timeout):
            f = super()._capture(timeout)
            return Frame(5.0, f.index, f.joints, f.confidence)

    with Same() as src:
        a, b = src.read(2.0), src.read(2.0)
    assert b.timestamp > a.timestamp


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("simulator", ("simulator", None, {})),
        ("webcam:0", ("webcam", "0", {})),
        ("video:C:/clips/a.mp4", ("video", "C:/clips/a.mp4", {})),
        ("video:rtsp://cam.local/live", ("video", "rtsp://cam.local/live", {})),
        ("Kinect-Playback:/x.mkv", ("kinect-playback", "/x.mkv", {})),
        ({"kind": "replay", "path": "/a.ksr", "speed": 2}, ("replay", "/a.ksr", {"speed": 2})),
        ({"kind": "webcam", "index": 1}, ("webcam", "1", {})),
    ],
)
def test_parse_spec(spec, expected):
    assert parse_spec(spec) == expected


@pytest.mark.parametrize("spec", ["", "   ", {"path": "x"}, 3])
def test_bad_specs_raise_device_error(spec):
    with pytest.raises(DeviceError) as ei:
        parse_spec(spec)
    assert ei.value.code == ErrorCode.BAD_SPEC


def test_registry_kinds_and_unknown_kind():
    kinds = source_kinds()
    for k in ("simulator", "webcam", "video", "replay", "kinect", "kinect-playback"):
        assert k in kinds
    with pytest.raises(DeviceError, match="Unknown device type 'lidar'.*webcam:0") as ei:
        open_source("lidar:0")
    assert ei.value.code == ErrorCode.BAD_SPEC and not ei.value.retry
    for kind in ("video", "replay", "kinect-playback"):
        with pytest.raises(DeviceError) as ei:
            create_source(kind)
        assert ei.value.code == ErrorCode.BAD_SPEC


def test_register_source_rejects_clashes_and_non_sources():
    @register_source("test-counter")
    class A(CountingSource):
        pass

    assert A.kind == "test-counter" and isinstance(create_source("test-counter"), A)
    with pytest.raises(ValueError, match="already registered"):

        @register_source("test-counter")
        class B(CountingSource):
            pass

    with pytest.raises(TypeError):
        register_source("x")(int)
    from devices import base

    base._REGISTRY.pop("test-counter")


def test_list_devices_never_raises(monkeypatch):
    from devices.webcam import WebcamSource

    def broken():
        raise OSError("sysfs unreadable")

    monkeypatch.setattr(WebcamSource, "discover", classmethod(lambda cls: broken()))
    found = list_devices()
    assert any(d.spec == "simulator" for d in found)
    assert all(isinstance(d, DeviceInfo) and d.available for d in found)
    allinfo = list_devices(include_unavailable=True)
    assert any(d.kind == "webcam" and not d.available and "sysfs" in d.problem for d in allinfo)


def test_list_devices_is_cheap():
    t = time.perf_counter()
    list_devices(include_unavailable=True)
    assert time.perf_counter() - t < 2.0  # no device is opened


def test_device_error_pickles_with_its_code():
    import pickle

    e = pickle.loads(pickle.dumps(DeviceError("x", code=ErrorCode.BUSY, device="K", retry=False)))
    assert (e.message, e.code, e.device, e.retry) == ("x", "busy", "K", False)


def test_public_api_is_exported():
    for name in ("Frame", "SkeletonSource", "DeviceError", "register_source", "list_devices",
                 "open_source", "AttemptRecorder"):  # fmt: skip
        assert hasattr(devices, name)


def test_reading_from_two_threads():
    """Two readers share the slot: between them they see increasing frames, no duplicates."""
    seen: list[int] = []
    lock = threading.Lock()
    with CountingSource(fps=300) as src:

        def reader():
            for _ in range(15):
                f = src.read(timeout=2.0)
                with lock:
                    seen.append(f.index)

        ts = [threading.Thread(target=reader) for _ in range(2)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(5)
    assert len(seen) == 30 and len(set(seen)) == 30
