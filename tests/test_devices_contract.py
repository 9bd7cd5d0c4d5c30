"""One contract, every backend: simulator, webcam (fake camera), video file, replay, Kinect
and Kinect playback (fake pyk4a). Each source is built through the registry from its spec."""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import pytest

from devices import AttemptRecorder, SourceState, create_source
from devices.simulator import SimulatedAttempt
from engine.recording import load_recording, save_recording
from engine.skeleton import NUM_JOINTS
from tests import fake_pyk4a
from tests.devices_helpers import (
    STANDING,
    FakeCamera,
    MarkerEstimator,
    WorldEstimator,
    astronaut_video,
    save_synthetic_recording,
)

BACKENDS = ["simulator", "webcam", "video", "replay", "kinect", "kinect-playback"]


def sway_generator(movement, index, seed):
    t = np.arange(45) / 30.0
    j = np.repeat(STANDING[None], len(t), 0) + np.array([0, 0.0, -3.0], np.float32)
    j[:, :, 0] += 0.1 * np.sin(2 * np.pi * t)[:, None]
    conf = np.full((len(t), 17), 0.9, np.float32)
    return SimulatedAttempt(j, conf, t, {"student_id": f"S{index}", "score": 80.0 + index})


@pytest.fixture
def fake_k4a(monkeypatch):
    world = fake_pyk4a.reset()
    monkeypatch.setitem(sys.modules, "pyk4a", fake_pyk4a)
    return world


@pytest.fixture
def make_source(request, tmp_path, monkeypatch):
    """``make_source(backend)`` -> an unopened source built from a spec string."""
    made = []

    def make(backend: str):
        if backend == "simulator":  # the real engine.simulator is exercised in test_devices_replay
            src = create_source("simulator:sit_ups", generator=sway_generator, gap_seconds=0.2)
        elif backend == "webcam":
            src = create_source("webcam:0", capture_factory=FakeCamera.factory(fps=60.0),
                                estimator=MarkerEstimator())  # fmt: skip
        elif backend == "video":
            path = astronaut_video(tmp_path / "clip.mp4", frames=40, size=(320, 240), shift_px=2)
            src = create_source(f"video:{path}", realtime=True, loop=True,
                                estimator=MarkerEstimator())  # fmt: skip
        elif backend == "replay":
            path = save_synthetic_recording(tmp_path / "a.ksr")
            src = create_source({"kind": "replay", "path": str(path), "loop": True})
        elif backend in ("kinect", "kinect-playback"):
            world = fake_pyk4a.reset()
            monkeypatch.setitem(sys.modules, "pyk4a", fake_pyk4a)
            if backend == "kinect":
                src = create_source("kinect:0", estimator=WorldEstimator(world))
            else:
                mkv = tmp_path / "rec.mkv"
                mkv.write_text(json.dumps({"frames": 300, "imu": True}))
                src = create_source(f"kinect-playback:{mkv}", estimator=WorldEstimator(world))
        else:
            raise AssertionError(backend)
        made.append(src)
        return src

    yield make
    for src in made:
        src.close()


def _read(src, n, timeout=5.0):
    out = []
    for _ in range(n):
        f = src.read(timeout=timeout)
        assert f is not None, f"{src.name}: no frame within {timeout} s (state {src.state})"
        out.append(f)
    return out


@pytest.mark.parametrize("backend", BACKENDS)
def test_lifecycle(make_source, backend):
    src = make_source(backend)
    assert src.state is SourceState.CLOSED and src.kind == backend
    src.open()
    assert src.state is SourceState.OPEN
    assert isinstance(src.name, str) and src.name
    assert isinstance(src.serial, str)
    assert src.nominal_fps > 0
    src.start()
    assert src.running
    frames = _read(src, 8)
    assert np.all(np.diff([f.timestamp for f in frames]) > 0)
    t = time.monotonic()
    src.stop()
    assert time.monotonic() - t < 2.5, "stop() must be prompt"
    assert src.state is SourceState.OPEN
    n = src.frames_delivered
    time.sleep(0.1)
    assert src.frames_delivered == n
    src.close()
    assert src.state is SourceState.CLOSED
    src.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_frames_follow_the_contract(make_source, backend):
    with make_source(backend) as src:
        frames = _read(src, 10)
    assert any(f.has_skeleton for f in frames)
    for f in frames:
        assert isinstance(f.timestamp, float) and isinstance(f.index, int)
        assert f.confidence.shape == (NUM_JOINTS,) and f.confidence.dtype == np.float32
        assert np.all((f.confidence >= 0) & (f.confidence <= 1))
        if f.has_skeleton:
            assert f.joints.shape == (NUM_JOINTS, 3) and f.joints.dtype == np.float32
            seen = f.confidence > 0
            assert np.isfinite(f.joints[seen]).all()
            assert np.abs(f.joints[seen]).max() < 20.0, "metres, not millimetres"
            height = np.nanmax(f.joints[:, 1]) - np.nanmin(f.joints[:, 1])
            assert 0.8 < height < 2.5, f"a standing person, in metres (got {height:.2f})"
        else:
            assert not f.confidence.any()
        if f.image is not None:
            assert f.image.dtype == np.uint8 and f.image.ndim == 3 and f.image.shape[2] == 3
        if f.keypoints_2d is not None:
            assert f.keypoints_2d.shape == (NUM_JOINTS, 2)
        assert f.source == src.name


@pytest.mark.parametrize("backend", BACKENDS)
def test_latest_never_blocks_and_counters(make_source, backend):
    src = make_source(backend).open()
    t = time.monotonic()
    assert src.latest() is None  # nothing yet, and it does not wait for a frame
    assert time.monotonic() - t < 0.5
    src.start()
    _read(src, 10)
    t = time.monotonic()
    for _ in range(100):
        assert src.latest() is not None
    assert time.monotonic() - t < 0.5  # 100 calls, never waiting for the next frame
    assert src.measured_fps > 0
    assert isinstance(src.dropped_frames, int) and src.dropped_frames >= 0
    st = src.status()
    assert st.kind == backend and st.frames >= 10 and st.state is SourceState.RUNNING
    assert st.error is None
    src.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_restart_keeps_time_moving_forward(make_source, backend):
    src = make_source(backend)
    with src:
        last = _read(src, 5)[-1].timestamp
    with src:  # closed, opened and started again
        first = _read(src, 1)[0].timestamp
    assert first > last


@pytest.mark.parametrize("backend", BACKENDS)
def test_recorder_builds_a_valid_recording(make_source, backend, tmp_path):
    with make_source(backend) as src:
        rec = AttemptRecorder(src, movement="free_throw", student_id="S7").start()
        _read(src, 12)
        recording = rec.stop()
    assert recording.num_frames >= 10
    assert recording.meta.device_name == src.name
    assert recording.meta.extra["source_kind"] == backend
    path = save_recording(recording, tmp_path / "attempt.ksr")
    back = load_recording(path)
    np.testing.assert_allclose(back.joints, recording.joints)
    assert back.meta.movement == "free_throw" and back.meta.student_id == "S7"
    if backend in ("kinect", "kinect-playback", "replay"):
        assert back.imu is not None and back.imu.shape[1] == 7
        assert back.imu[0, 0] >= back.timestamps[0] - 0.1
        assert back.imu[-1, 0] <= back.timestamps[-1] + 0.1
