"""Azure Kinect / Orbbec backend: lifting, refinement, IMU, failures (fake pyk4a), and the real
pyk4a where it is installed (import, device count, the SDK's calibration maths)."""

from __future__ import annotations

import importlib.util
import json
import sys
import time

import numpy as np
import pytest

from devices import AttemptRecorder, DeviceError, ErrorCode, SourceState, list_devices, open_source
from devices.benchmark import synthetic_k4a_calibration
from devices.kinect import (
    SURFACE_TO_CENTER_MM,
    import_pyk4a,
    keypoint_rays,
    lift_keypoints,
    refine_with_fusion,
    sample_depth,
)
from devices.pose import PoseResult
from engine.skeleton import JOINT_INDEX, NUM_JOINTS
from tests import fake_pyk4a
from tests.devices_helpers import WorldEstimator, canonical_from_cv_mm

HAVE_REAL_PYK4A = importlib.util.find_spec("pyk4a") is not None


@pytest.fixture
def world(monkeypatch):
    w = fake_pyk4a.reset()
    monkeypatch.setitem(sys.modules, "pyk4a", fake_pyk4a)
    return w


def _kinect(world, **kw):
    return open_source("kinect:0", estimator=WorldEstimator(world), **kw)


# --------------------------------------------------------------------------- depth sampling
def test_sample_depth_median_rejects_invalid_and_background():
    depth = np.full((100, 100), 4000, np.uint16)
    depth[:, :50] = 2000  # the body fills the left half; wall at 4 m on the right
    depth[40:43, 20:23] = 0  # a hole (no measurement)
    kp = np.array([[20.0, 41.0], [50.0, 50.0], [80.0, 50.0], [-30.0, 5.0], [np.nan, 1.0]])
    d, frac = sample_depth(depth, kp, window=7)
    assert d[0] == 2000 and 0 < frac[0] < 1  # hole pixels rejected, confidence share lower
    assert d[1] == 2000  # on the silhouette edge: the near cluster, not the wall
    assert d[2] == 4000 and frac[2] == 1.0
    assert np.isnan(d[3]) and frac[3] == 0  # off the image
    assert np.isnan(d[4]) and frac[4] == 0


def test_sample_depth_matches_a_reference_implementation():
    rng = np.random.default_rng(1)
    depth = rng.integers(1500, 2600, (60, 60)).astype(np.uint16)
    depth[rng.random(depth.shape) < 0.3] = 0
    depth[:, 40:] = rng.integers(3000, 5000, (60, 20))  # a far wall
    kp = rng.uniform(2, 58, (40, 2))
    d, frac = sample_depth(depth, kp, window=7)
    for (u, v), got, f in zip(kp, d, frac):
        u, v = int(round(u)), int(round(v))
        patch = depth[max(v - 3, 0) : v + 4, max(u - 3, 0) : u + 4].astype(float)
        vals = patch[(patch >= 250) & (patch <= 9000)]
        assert f == pytest.approx(len(vals) / 49)
        if len(vals) == 0:
            assert np.isnan(got)
            continue
        fg = vals[vals <= np.percentile(vals, 20) + 150]
        assert got == pytest.approx(np.median(fg))


def test_sample_depth_out_of_range_is_invalid():
    depth = np.full((20, 20), 100, np.uint16)  # closer than the sensor's minimum
    d, frac = sample_depth(depth, np.array([[10.0, 10.0]]))
    assert np.isnan(d[0]) and frac[0] == 0


# --------------------------------------------------------------------------- lifting
def _lift_scene(world):
    """Render one frame of the fake scene and lift it: (pose, depth, rays, lifted, truth)."""
    cap = world.render(0)
    cal = fake_pyk4a.Calibration(world)
    pose = WorldEstimator(world).estimate(cap.color[..., :3])
    rays = keypoint_rays(pose.keypoints_2d, lambda u, v, d: cal.convert_2d_to_3d((u, v), d, 1, 1))
    lifted = lift_keypoints(pose, cap.transformed_depth, rays)
    return pose, cap.transformed_depth, rays, lifted, canonical_from_cv_mm(world.last_truth)


def test_lifting_recovers_the_true_skeleton(world):
    _, _, _, (joints, conf, measured), truth = _lift_scene(world)
    assert measured.all()
    np.testing.assert_allclose(joints, truth, atol=0.004)  # 4 mm (pixel rounding)
    np.testing.assert_allclose(conf, 0.95, atol=1e-6)


def test_lifting_fills_joints_without_depth_from_the_3d_body(world):
    lw = JOINT_INDEX["left_wrist"]
    world.holes = (lw,)
    pose, depth, rays, (joints, conf, measured), truth = _lift_scene(world)
    assert not measured[lw] and measured.sum() == NUM_JOINTS - 1
    assert conf[lw] == pytest.approx(0.95 * 0.5)
    np.testing.assert_allclose(joints[lw], truth[lw], atol=0.01)
    # without a 3D body: on the ray at the body's median depth, confidence quartered
    flat = PoseResult(pose.keypoints_2d, pose.confidence, None)
    j2, c2, _ = lift_keypoints(flat, depth, rays)
    assert c2[lw] == pytest.approx(0.95 * 0.25) and np.isfinite(j2[lw]).all()


def test_lifting_without_any_depth_gives_no_skeleton(world):
    cap = world.render(0)
    pose = WorldEstimator(world).estimate(cap.color[..., :3])
    rays = np.tile([0.0, 0.0, 1.0], (NUM_JOINTS, 1))
    joints, conf, measured = lift_keypoints(pose, np.zeros_like(cap.transformed_depth), rays)
    assert joints is None and not conf.any() and not measured.any()


def test_fusion_refinement_pulls_estimated_joints_onto_their_rays():
    k = np.array([[600.0, 0, 320], [0, 600, 240], [0, 0, 1]])
    rays = np.tile([0.1, -0.05, 1.0], (NUM_JOINTS, 1))
    on_ray = canonical_from_cv_mm(rays * 2500.0)
    joints = on_ray.copy()
    joints[3] += [0.08, 0.0, 0.0]  # an estimated joint 8 cm off its ray
    out = refine_with_fusion(joints, rays, k)
    np.testing.assert_allclose(np.delete(out, 3, 0), np.delete(on_ray, 3, 0), atol=1e-4)
    ray = canonical_from_cv_mm(rays[3] * 1000.0)
    ray /= np.linalg.norm(ray)

    def off_ray(p):
        return np.linalg.norm(p - (p @ ray) * ray)

    # eq. 1 with lambda1 = 0.6: the distance to the ray shrinks by about 1 / (1 + 0.6)
    assert off_ray(out[3]) / off_ray(joints[3]) == pytest.approx(1 / 1.6, abs=0.03)
    joints[5] = np.nan
    assert np.isnan(refine_with_fusion(joints, rays, k)[5]).all()


# --------------------------------------------------------------------------- the live source
def test_live_kinect_stream(world):
    src = _kinect(world)
    assert src.serial == world.serial and src.nominal_fps == 30
    cal = src.calibration
    assert cal["fx"] == world.fx and cal["camera"] == "colour" and cal["color_resolution"] == "720p"
    src.start()
    frames = [src.read(3.0) for _ in range(6)]
    truth = canonical_from_cv_mm(world.person(frames[-1].index / world.fps))
    np.testing.assert_allclose(frames[-1].joints, truth, atol=0.005)
    assert frames[-1].image.shape == (world.height, world.width, 3)
    assert frames[-1].keypoints_2d is not None
    imu = np.concatenate([f.imu for f in frames if f.imu is not None])
    assert imu.shape[1] == 7 and np.all(np.diff(imu[:, 0]) > 0)
    # IMU samples drained after a capture may be up to a frame newer than its picture
    assert imu[-1, 0] <= frames[-1].timestamp + 1 / 30 + 1e-6
    np.testing.assert_allclose(imu[0, 1:4], (0.1, -9.81, 0.2))
    # the device is used from the capture thread only, never concurrently (fake asserts it)
    src.close()
    assert not world.opened[-1].opened


def test_device_frame_gaps_are_counted_as_dropped(world):
    world.skip_frames = (3, 4, 5)
    src = _kinect(world)
    got = []
    src.add_listener(got.append)  # every frame, however slow this test runs
    with src:
        for _ in range(50):
            if len(got) >= 6:
                break
            src.read(3.0)
    idx = [f.index for f in got]
    assert 3 not in idx and 6 in idx
    assert src.dropped_frames >= 3


def test_nobody_in_view_gives_frames_without_skeleton(world):
    world.person = None
    with _kinect(world) as src:
        f = src.read(3.0)
        assert not f.has_skeleton and f.image is not None
        assert src.status().person_in_view is False


def test_no_kinect_connected(world):
    world.devices = 0
    with pytest.raises(DeviceError, match="No Azure Kinect found: check the USB-C and power") as e:
        _kinect(world)
    assert e.value.code == ErrorCode.NOT_FOUND and e.value.retry
    assert not any(d.kind == "kinect" for d in list_devices())
    world.devices = 2
    assert [d.spec for d in list_devices() if d.kind == "kinect"] == ["kinect:0", "kinect:1"]


def test_kinect_that_cannot_start(world):
    world.start_fails = True
    with pytest.raises(DeviceError, match="could not be started") as e:
        _kinect(world)
    assert e.value.code == ErrorCode.BUSY


def test_unplugged_mid_stream(world):
    world.unplug_after = 5
    src = _kinect(world).start()
    with pytest.raises(DeviceError, match="stopped sending data") as e:
        for _ in range(50):
            src.read(3.0)
    assert e.value.code == ErrorCode.DISCONNECTED
    assert src.state is SourceState.FAILED
    t = time.monotonic()
    src.close()
    assert time.monotonic() - t < 1.0


def test_kinect_sending_nothing(world):
    world.stall = True
    src = _kinect(world)
    src.first_frame_timeout = 0.4
    src.start()
    with pytest.raises(DeviceError) as e:
        src.read(3.0)
    assert e.value.code == ErrorCode.NO_FRAMES
    src.close()


def test_sdk_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyk4a", None)  # import pyk4a -> ImportError
    with pytest.raises(DeviceError, match="install the kinect extra|Install the kinect extra") as e:
        open_source("kinect:0")
    assert e.value.code == ErrorCode.SDK_MISSING and not e.value.retry
    assert "docs/devices.md" in e.value.message
    infos = [d for d in list_devices(include_unavailable=True) if d.kind == "kinect"]
    assert len(infos) == 1 and not infos[0].available and "kinect extra" in infos[0].problem
    assert not any(d.kind == "kinect" for d in list_devices())


def test_bad_kinect_settings(world):
    with pytest.raises(DeviceError, match="colour resolution"):
        open_source("kinect:0", color_resolution="4k", estimator=WorldEstimator(world))
    with pytest.raises(DeviceError, match="not a device number"):
        open_source("kinect:first")


# --------------------------------------------------------------------------- playback
def test_playback_plays_to_the_end_with_imu(world, tmp_path):
    mkv = tmp_path / "rec.mkv"
    mkv.write_text(json.dumps({"frames": 20, "imu": True}))
    src = open_source(f"kinect-playback:{mkv}", speed=None, estimator=WorldEstimator(world))
    rec = AttemptRecorder(src, movement="sit_ups").start()  # attached before the first frame
    with src:
        frames = list(src.frames(timeout=3.0))
        assert src.state is SourceState.ENDED and src.dropped_frames == 0
    recording = rec.stop()
    assert len(frames) == 20 and [f.index for f in frames] == list(range(20))
    np.testing.assert_allclose(np.diff([f.timestamp for f in frames]), 1 / 30, atol=1e-6)
    assert recording.num_frames == 20 and recording.imu is not None and len(recording.imu) >= 70


def test_playback_restarts_after_the_end_and_resumes_after_a_stop(world, tmp_path):
    mkv = tmp_path / "rec.mkv"
    mkv.write_text(json.dumps({"frames": 6}))
    src = open_source(f"kinect-playback:{mkv}", speed=None, estimator=WorldEstimator(world))
    src.start()
    assert [f.index for f in src.frames(timeout=3.0)] == list(range(6)) and src.ended
    src.start()  # after the end: from the beginning
    assert src.read(3.0).index == 0 and src.read(3.0).index == 1
    src.stop()
    src.start()  # after a stop: where it was
    assert src.read(3.0).index >= 2
    src.close()


def test_playback_of_mjpg_colour(world, tmp_path):
    mkv = tmp_path / "mjpg.mkv"
    mkv.write_text(json.dumps({"frames": 3, "mjpg": True}))
    with open_source(f"kinect-playback:{mkv}", speed=None, estimator=WorldEstimator(world)) as src:
        f = src.read(3.0)
    assert f.image.shape == (world.height, world.width, 3) and f.has_skeleton
    assert f.image.max() > 180 and f.image.min() < 20  # the decoded picture: body on black


def test_playback_errors(world, tmp_path):
    with pytest.raises(DeviceError, match="not found") as e:
        open_source(f"kinect-playback:{tmp_path / 'none.mkv'}")
    assert e.value.code == ErrorCode.FILE
    bad = tmp_path / "bad.mkv"
    bad.write_text("not a recording")
    with pytest.raises(DeviceError, match="Cannot read .* as an Azure Kinect recording"):
        open_source(f"kinect-playback:{bad}", estimator=WorldEstimator(world))
    nocolor = tmp_path / "depth_only.mkv"
    nocolor.write_text(json.dumps({"frames": 3, "color": False}))
    with pytest.raises(DeviceError, match="colour or depth track"):
        open_source(f"kinect-playback:{nocolor}", estimator=WorldEstimator(world))


# --------------------------------------------------------------------------- real pyk4a
@pytest.mark.skipif(not HAVE_REAL_PYK4A, reason="pyk4a (extra 'kinect') is not installed")
def test_real_pyk4a_imports_and_reports_no_device():
    pyk4a = import_pyk4a()
    assert hasattr(pyk4a, "PyK4A") and hasattr(pyk4a, "PyK4APlayback")
    if pyk4a.connected_device_count() > 0:
        pytest.skip("a real Kinect is connected; covered by the hardware tests")
    with pytest.raises(DeviceError, match="No Azure Kinect found") as e:
        open_source("kinect:0")
    assert e.value.code == ErrorCode.NOT_FOUND
    assert not any(d.kind == "kinect" for d in list_devices())


@pytest.mark.skipif(not HAVE_REAL_PYK4A, reason="pyk4a (extra 'kinect') is not installed")
def test_real_sdk_calibration_lifts_like_the_pinhole_model():
    """The SDK's own convert_2d_to_3d (used by the source) on a synthetic calibration: rays at
    z = 1 agree with the pinhole camera matrix the SDK reports, and lifting puts a keypoint at
    its measured depth plus the surface offset."""
    pyk4a = import_pyk4a()
    cal = synthetic_k4a_calibration(pyk4a)
    ct = pyk4a.CalibrationType
    k = cal.get_camera_matrix(ct.COLOR)
    kp = np.array([[640.0, 360.0], [700.0, 400.0], [100.0, 650.0]] + [[500.0, 300.0]] * 14)
    rays = keypoint_rays(kp, lambda u, v, d: cal.convert_2d_to_3d((u, v), d, ct.COLOR, ct.COLOR))
    expect = np.column_stack([(kp[:, 0] - k[0, 2]) / k[0, 0], (kp[:, 1] - k[1, 2]) / k[1, 1],
                              np.ones(len(kp))])  # fmt: skip
    np.testing.assert_allclose(rays, expect, atol=1e-4)
    depth = np.full((720, 1280), 2000, np.uint16)
    pose = PoseResult(kp.astype(np.float32), np.ones(NUM_JOINTS, np.float32))
    joints, conf, measured = lift_keypoints(pose, depth, rays)
    assert measured.all()
    assert joints[0, 2] == pytest.approx(-(2000 + SURFACE_TO_CENTER_MM[0]) / 1000, abs=1e-4)
    # back through the fusion step unchanged: the joints lie on their rays
    np.testing.assert_allclose(refine_with_fusion(joints, rays, k), joints, atol=1e-4)


@pytest.mark.hardware
def test_real_kinect_streams_a_skeleton():
    """Stand in front of a connected Azure Kinect / Orbbec Femto."""
    with open_source("kinect:0") as src:
        frames = [src.read(10.0) for _ in range(60)]
    assert src.serial and all(f is not None for f in frames)
    assert any(f.has_skeleton for f in frames) and any(f.imu is not None for f in frames)
    assert src.measured_fps > 20


@pytest.mark.skipif(not HAVE_REAL_PYK4A, reason="pyk4a (extra 'kinect') is not installed")
def test_real_pyk4a_playback_rejects_a_non_recording(tmp_path):
    bad = tmp_path / "holiday.mkv"
    bad.write_bytes(b"\x1aE\xdf\xa3 not really matroska" * 10)
    with pytest.raises(DeviceError, match="Cannot read .* as an Azure Kinect recording") as e:
        open_source(f"kinect-playback:{bad}")
    assert e.value.code == ErrorCode.FILE
