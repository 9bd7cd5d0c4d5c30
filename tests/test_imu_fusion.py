"""IMU low-pass filter and eq. 1 fusion on data whose truth is known."""

from __future__ import annotations

import numpy as np
import pytest

from engine.preprocess import PreprocessError
from engine.preprocess.imu import filter_imu_stream, lowpass_imu


def test_lowpass_removes_vibration_keeps_motion_and_phase():
    fs = 200.0
    t = np.arange(0, 4, 1 / fs)
    motion = np.sin(2 * np.pi * 1.5 * t)  # 1.5 Hz: a movement
    vib = 0.5 * np.sin(2 * np.pi * 60 * t)  # 60 Hz: vibration
    x = np.stack([motion + vib] * 6, axis=1)
    y = lowpass_imu(x, fs)
    inner = slice(100, -100)
    assert np.abs(y[inner, 0] - motion[inner]).max() < 0.01  # no delay, vibration gone
    assert np.abs(x[inner, 0] - motion[inner]).max() > 0.4


def test_filter_imu_stream_uneven_times():
    rng = np.random.default_rng(0)
    t = np.cumsum(rng.uniform(0.009, 0.011, 400))
    a = np.column_stack([t] + [np.sin(2 * np.pi * t + k) for k in range(6)])
    out = filter_imu_stream(a)
    assert out.shape[1] == 7
    np.testing.assert_allclose(np.diff(out[:, 0]), np.median(np.diff(out[:, 0])))
    np.testing.assert_allclose(out[20:-20, 1], np.sin(2 * np.pi * out[20:-20, 0]), atol=0.01)


def test_imu_bad_input():
    with pytest.raises(PreprocessError, match="40 Hz"):
        lowpass_imu(np.zeros((100, 6)), fs=30)
    with pytest.raises(PreprocessError, match=r"\(N, 7\)"):
        filter_imu_stream(np.zeros((10, 6)))
    bad = np.column_stack([np.array([0, 0.01, 0.005, 0.02])] + [np.zeros(4)] * 6)
    with pytest.raises(PreprocessError, match="backwards"):
        filter_imu_stream(bad)


# ----------------------------------------------------------------------------- fusion (eq. 1)
from engine.preprocess.fusion import CameraModel, fuse, segment_direction  # noqa: E402
from engine.skeleton import JOINT_INDEX as JI  # noqa: E402
from tests.preprocess_helpers import moving_skeleton  # noqa: E402

CAM = CameraModel(900.0, 900.0, 960.0, 540.0,
                  rotation=np.array([[1, 0, 0.02], [0, 1, 0], [-0.02, 0, 1]]),
                  translation=np.array([0.032, -0.002, 0.004]))
SEGMENTS = [("left_elbow", "left_wrist"), ("right_elbow", "right_wrist"),
            ("left_knee", "left_ankle"), ("right_knee", "right_ankle"),
            ("left_shoulder", "left_elbow")]


def _scene(seed=0):
    rng = np.random.default_rng(seed)
    truth = moving_skeleton(40)
    depth = truth + rng.normal(0, 0.03, truth.shape)
    kp = CAM.project(truth) + rng.normal(0, 1.0, truth.shape[:2] + (2,))
    dirs = {}
    for a, b in SEGMENTS:
        d = truth[:, JI[b]] - truth[:, JI[a]]
        d = d / np.linalg.norm(d, axis=-1, keepdims=True) + rng.normal(0, 0.02, d.shape)
        dirs[(a, b)] = d
    return truth, depth, kp, dirs


def _err(x, truth, joints=None):
    d = np.linalg.norm(x - truth, axis=-1)
    return d.mean() if joints is None else d[:, joints].mean()


def test_camera_projection_matches_opencv_convention():
    cam = CameraModel(500.0, 500.0, 320.0, 240.0)
    # canonical: 1 m to the right, 0.5 m up, 2 m in front of the camera (z negative)
    px = cam.project(np.array([1.0, 0.5, -2.0]))
    np.testing.assert_allclose(px, [320 + 250, 240 - 125])
    again = CameraModel.from_dict(CAM.to_dict())
    np.testing.assert_allclose(again.project([0.1, 0.2, -3]), CAM.project([0.1, 0.2, -3]))
    with pytest.raises(PreprocessError, match="'cy'"):
        CameraModel.from_dict({"fx": 1, "fy": 1, "cx": 0})


def test_fusion_with_keypoints_moves_joints_towards_truth():
    truth, depth, kp, _ = _scene()
    fused = fuse(depth, kp, CAM)
    assert _err(fused, truth) < 0.9 * _err(depth, truth)
    # the error across the camera ray shrinks by about 1 / (1 + lambda1)
    lateral = lambda x: np.linalg.norm((x - truth)[..., :2], axis=-1).mean()  # noqa: E731
    assert lateral(fused) < 0.7 * lateral(depth)


def test_fusion_with_imu_and_both_terms():
    truth, depth, kp, dirs = _scene(1)
    seg_joints = sorted({JI[n] for s in SEGMENTS for n in s})
    imu_only = fuse(depth, imu_directions=dirs)
    assert _err(imu_only, truth, seg_joints) < _err(depth, truth, seg_joints)
    both = fuse(depth, kp, CAM, imu_directions=dirs)
    assert _err(both, truth) < _err(fuse(depth, kp, CAM), truth) < _err(depth, truth)


def test_fusion_skips_missing_terms_and_no_terms_is_identity():
    truth, depth, kp, dirs = _scene(2)
    kp[:, JI["head"]] = np.nan
    fused = fuse(depth, kp, CAM)
    np.testing.assert_allclose(fused[:, JI["head"]], depth[:, JI["head"]], atol=1e-5)
    np.testing.assert_allclose(fuse(depth), depth.astype(np.float32))
    with pytest.raises(PreprocessError, match="camera"):
        fuse(depth, kp)
    with pytest.raises(PreprocessError, match="unknown joint"):
        fuse(depth, imu_directions={("left_elbow", "left_hand"): dirs[SEGMENTS[0]]})


def test_segment_direction_from_orientations():
    from scipy.spatial.transform import Rotation

    r = Rotation.from_euler("z", [[0], [90]], degrees=True)
    d = segment_direction(r.as_matrix(), axis=(1, 0, 0))
    np.testing.assert_allclose(d, [[1, 0, 0], [0, 1, 0]], atol=1e-12)
    np.testing.assert_allclose(segment_direction(r.as_quat(), kind="quat"), d, atol=1e-12)
    np.testing.assert_allclose(
        segment_direction([[0, 0, 0], [0, 0, 90]], kind="euler", degrees=True), d, atol=1e-12)


def test_prepare_sample_fuses_recorded_keypoints(tmp_path):
    from engine.datasets import load_recording_sample
    from engine.preprocess import PrepConfig, prepare, prepare_sample
    from engine.recording import Recording, RecordingMeta, save_recording

    truth, depth, kp, _ = _scene(3)
    t = np.arange(len(truth)) / 30.0
    rec = Recording(depth.astype(np.float32), np.ones((40, 17), np.float32), t,
                    RecordingMeta("free_throw", calibration={"color": CAM.to_dict()}),
                    keypoints_2d=kp.astype(np.float32))
    s = load_recording_sample(save_recording(rec, tmp_path / "f.ksr"))
    cfg = PrepConfig(window=None)
    fused = prepare_sample(s, cfg)
    assert fused.report["fused"] == ["keypoints_2d"]
    plain = prepare_sample(s, PrepConfig(window=None, fuse=False))
    ref = prepare(truth, timestamps=t, config=cfg)
    assert np.abs(fused.joints - ref.joints).mean() < np.abs(plain.joints - ref.joints).mean()
