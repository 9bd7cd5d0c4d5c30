"""Webcam / video backend: real MediaPipe on a real photograph and on a generated video, the
grab/pose threading, and camera failures (fake camera)."""

from __future__ import annotations

import sys
import threading
import time

import numpy as np
import pytest

from devices import DeviceError, ErrorCode, SourceState, open_source
from devices.pose import MediaPipePose, create_pose_estimator, pinhole_matrix, place_in_camera
from devices.webcam import WebcamSource
from engine.skeleton import JOINT_INDEX, NUM_JOINTS, canonical_to_opencv_camera
from tests.devices_helpers import STANDING, FakeCamera, MarkerEstimator, astronaut_video

J = JOINT_INDEX


@pytest.fixture(scope="module")
def astronaut():
    from skimage import data

    return data.astronaut()  # a real photograph (512 x 512 RGB), shipped by scikit-image


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    return astronaut_video(tmp_path_factory.mktemp("vid") / "astronaut.mp4", frames=12, shift_px=4)


def test_mediapipe_finds_the_astronaut(astronaut):
    with MediaPipePose(static_image_mode=True) as est:
        res = est.estimate(astronaut)
    assert res is not None
    kp, conf, joints = res.keypoints_2d, res.confidence, res.joints
    assert kp.shape == (NUM_JOINTS, 2) and conf.shape == (NUM_JOINTS,) and joints.shape == (17, 3)
    # she faces the camera: her left shoulder is on the image's right; head above shoulders
    assert kp[J["left_shoulder"], 0] > kp[J["right_shoulder"], 0] + 100
    assert kp[J["head"], 1] < kp[J["thorax"], 1] - 50
    assert 0 < kp[J["head"], 0] < 512 and 0 < kp[J["head"], 1] < 200
    assert conf[J["left_shoulder"]] > 0.9 and conf[J["head"]] > 0.9
    # metric 3D in the canonical frame: y up, shoulder width of an adult
    assert joints[J["head"], 1] > joints[J["pelvis"], 1] + 0.3
    width = np.linalg.norm(joints[J["left_shoulder"]] - joints[J["right_shoulder"]])
    assert 0.25 < width < 0.5
    assert joints[J["left_shoulder"], 0] > joints[J["right_shoulder"], 0]  # x right as seen
    np.testing.assert_allclose(joints[J["pelvis"]], 0.0, atol=0.05)  # pelvis-relative


def test_mediapipe_sees_nobody_in_an_empty_picture():
    with MediaPipePose(static_image_mode=True) as est:
        assert est.estimate(np.full((240, 320, 3), 127, np.uint8)) is None


def test_mediapipe_missing_is_a_device_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "mediapipe.python.solutions", None)
    with pytest.raises(DeviceError, match="pose extra") as e:
        MediaPipePose()
    assert e.value.code == ErrorCode.SDK_MISSING


def test_unbundled_model_complexity_is_refused():
    with pytest.raises(DeviceError, match="model_complexity"):
        MediaPipePose(model_complexity=2)
    with pytest.raises(DeviceError, match="Unknown pose estimator"):
        create_pose_estimator("openpose")


def test_place_in_camera_recovers_translation():
    k = pinhole_matrix(640, 480, 60.0)
    truth_t = np.array([0.3, -0.2, -3.0], np.float32)  # canonical: right, down, 3 m away
    cam = canonical_to_opencv_camera(STANDING + truth_t)
    kp = np.stack([k[0, 0] * cam[:, 0] / cam[:, 2] + k[0, 2],
                   k[1, 1] * cam[:, 1] / cam[:, 2] + k[1, 2]], -1)  # fmt: skip
    placed = place_in_camera(STANDING, kp, np.ones(NUM_JOINTS), k)
    np.testing.assert_allclose(placed, STANDING + truth_t, atol=1e-3)
    assert place_in_camera(STANDING, kp, np.zeros(NUM_JOINTS), k) is None  # nothing confident


def test_video_file_runs_real_mediapipe_on_every_frame(video):
    src = open_source(f"video:{video}")  # as fast as possible: pull mode, every frame
    assert src.nominal_fps == pytest.approx(30.0) and src.calibration["fx"] > 0
    with src:
        frames = list(src.frames(timeout=10.0))
    assert src.state is SourceState.CLOSED and src.dropped_frames == 0
    assert [f.index for f in frames] == list(range(12))
    np.testing.assert_allclose(np.diff([f.timestamp for f in frames]), 1 / 30, atol=1e-6)
    assert all(f.has_skeleton for f in frames)
    heads = np.array([f.keypoints_2d[J["head"], 0] for f in frames])
    assert np.polyfit(np.arange(12), heads, 1)[0] == pytest.approx(4.0, abs=1.0)  # pans 4 px
    z = np.array([f.joints[J["pelvis"], 2] for f in frames])
    assert np.all((z < -0.5) & (z > -10))  # placed in front of the camera
    assert frames[0].image.shape == (480, 640, 3)


def test_video_played_in_real_time_with_loop(video):
    src = open_source(f"video:{video}", realtime=True, loop=True, estimator=MarkerEstimator())
    frames = []
    src.add_listener(frames.append)
    with src:
        while len(frames) < 16:  # more than the 12 in the file
            src.read(3.0)
    ts = np.array([f.timestamp for f in frames])
    assert np.all(np.diff(ts) > 0)
    idx = np.array([f.index for f in frames])
    same_pass = np.diff(idx) > 0  # within one pass over the file (not across the loop)
    steps = np.diff(ts)[same_pass] * 30  # the file's 1/30 s grid (frames skipped, not queued)
    np.testing.assert_allclose(steps, np.diff(idx)[same_pass], atol=0.05)
    assert 0 in idx[1:]  # it looped


def test_pose_runs_on_the_newest_picture_and_counts_skipped_ones():
    est = MarkerEstimator(delay=0.05)  # a 20 fps estimator on a 100 fps camera
    cam_factory = FakeCamera.factory(fps=100.0)
    with open_source("webcam:0", capture_factory=cam_factory, estimator=est) as src:
        frames = [src.read(3.0) for _ in range(8)]
        time.sleep(0.1)
        fps = src.measured_fps
    gaps = np.diff([f.index for f in frames])
    assert np.all(gaps >= 1) and gaps.mean() > 2  # fresh pictures, not a queue
    assert src.dropped_frames >= 10
    assert 5 < fps < 40
    cam = FakeCamera.instances[-1]
    pose_threads = est.threads - {threading.get_ident()}  # minus the warm-up in open()
    assert len(cam.reader_threads) == 1 and len(pose_threads) == 1
    assert cam.reader_threads != pose_threads  # decode and pose on two threads


def test_nobody_in_view_then_somebody():
    cam = FakeCamera.factory(fps=60.0, person=lambda i: i >= 60)  # walks in after 1 s
    src = open_source("webcam:0", capture_factory=cam, estimator=MarkerEstimator())
    frames = []
    src.add_listener(frames.append)
    with src:
        f = src.read(3.0)
        if f.index < 50:
            assert not f.has_skeleton and f.image is not None
            assert not src.status().person_in_view
        for _ in range(200):
            if frames and frames[-1].has_skeleton:
                break
            src.read(3.0)
        assert src.status().person_in_view
    first_seen = next(i for i, f in enumerate(frames) if f.has_skeleton)
    assert first_seen > 0 and not any(f.has_skeleton for f in frames[:first_seen])
    assert all(f.index >= 60 for f in frames[first_seen:])


def test_camera_not_found():
    with pytest.raises(DeviceError, match="No camera found at index 3") as e:
        open_source("webcam:3", capture_factory=FakeCamera.factory(missing=True),
                    estimator=MarkerEstimator())  # fmt: skip
    assert e.value.code == ErrorCode.NOT_FOUND and e.value.retry


def test_camera_unplugged_mid_stream():
    cam = FakeCamera.factory(fps=100.0, unplug_after=10)
    src = open_source("webcam:0", capture_factory=cam, estimator=MarkerEstimator(),
                      disconnect_after=0.2)  # fmt: skip
    src.start()
    with pytest.raises(DeviceError, match="stopped sending pictures") as e:
        for _ in range(100):
            src.read(3.0)
    assert e.value.code == ErrorCode.DISCONNECTED and src.state is SourceState.FAILED
    t = time.monotonic()
    src.close()
    assert time.monotonic() - t < 1.0
    assert FakeCamera.instances[-1].released


def test_camera_returning_no_frames():
    src = open_source("webcam:0", capture_factory=FakeCamera.factory(dead=True),
                      estimator=MarkerEstimator())  # fmt: skip
    src.first_frame_timeout = 0.4
    src.start()
    with pytest.raises(DeviceError, match="has sent no picture") as e:
        src.read(3.0)
    assert e.value.code == ErrorCode.NO_FRAMES
    src.close()


def test_missing_and_unreadable_video_files(tmp_path):
    with pytest.raises(DeviceError, match="Video file not found") as e:
        open_source(f"video:{tmp_path / 'nope.mp4'}", estimator=MarkerEstimator())
    assert e.value.code == ErrorCode.FILE and not e.value.retry
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00not a video" * 100)
    with pytest.raises(DeviceError, match="Cannot read .* as a video") as e:
        open_source(f"video:{junk}", estimator=MarkerEstimator())
    assert e.value.code == ErrorCode.FILE


def test_estimator_made_by_the_source_is_closed_with_it(video, monkeypatch):
    closed = []
    monkeypatch.setattr(MarkerEstimator, "close", lambda self: closed.append(self))
    from devices import pose

    monkeypatch.setitem(pose._ESTIMATORS, "marker", MarkerEstimator)
    src = WebcamSource(str(video), estimator="marker").open()
    src.close()
    given = MarkerEstimator()
    src = WebcamSource(str(video), estimator=given).open()
    src.close()
    assert len(closed) == 1 and closed[0] is not given


@pytest.mark.hardware
def test_real_webcam_streams():
    """Needs a webcam at index 0 and somebody in front of it."""
    with open_source("webcam:0") as src:
        frames = [src.read(10.0) for _ in range(30)]
    assert all(f is not None and f.image is not None for f in frames)
    assert src.measured_fps > 5
