"""The handcrafted baselines' joint angles (engine.baselines) on hand-built poses."""

from __future__ import annotations

import numpy as np
import pytest

from engine import skeleton
from engine.baselines import ANGLES, angle_features, joint_angles, kinematic_features

K = skeleton.JOINT_INDEX


def _pose(**moved) -> np.ndarray:
    """One frame, facing the camera (x to the student's left, y up): standing straight, left
    arm out sideways with the forearm pointing up, right knee bent 90° with the shin back."""
    p = {
        "pelvis": (0, 1, 0), "left_hip": (0.1, 1, 0), "right_hip": (-0.1, 1, 0),
        "left_knee": (0.1, 0.55, 0), "left_ankle": (0.1, 0.1, 0),
        "right_knee": (-0.1, 0.55, 0), "right_ankle": (-0.1, 0.55, -0.45),
        "spine": (0, 1.25, 0), "thorax": (0, 1.5, 0), "neck": (0, 1.6, 0), "head": (0, 1.7, 0),
        "left_shoulder": (0.2, 1.5, 0), "left_elbow": (0.5, 1.5, 0), "left_wrist": (0.5, 1.8, 0),
        "right_shoulder": (-0.2, 1.5, 0), "right_elbow": (-0.2, 1.2, 0),
        "right_wrist": (-0.2, 0.9, 0),
    }
    p.update(moved)
    out = np.zeros((1, skeleton.NUM_JOINTS, 3))
    for name, xyz in p.items():
        out[0, K[name]] = xyz
    return out


def _angles(pose) -> dict[str, float]:
    return dict(zip(ANGLES, joint_angles(pose)[0], strict=True))


def test_joint_angles_of_a_hand_built_pose():
    a = _angles(_pose())
    assert len(ANGLES) == 17 and len(set(ANGLES)) == 17
    expect = {"left_elbow_flexion": 90, "left_arm_elevation": 90, "right_elbow_flexion": 180,
              "right_arm_elevation": 0, "left_knee_flexion": 180, "right_knee_flexion": 90,
              "right_hip_flexion": np.degrees(np.pi - np.arctan(0.1 / 0.5)),
              "trunk_inclination": 0, "trunk_lateral_tilt": 0, "trunk_forward_lean": 0,
              "shoulder_yaw": 0, "pelvis_yaw": 0, "trunk_twist": 0, "pelvis_obliquity": 0}
    for name, deg in expect.items():
        assert a[name] == pytest.approx(deg, abs=1e-3), name


def test_trunk_tilt_twist_and_obliquity_are_read_back():
    tilt, twist = np.radians(20), np.radians(30)
    thorax = np.array([0, 1, 0]) + 0.5 * np.array([np.sin(tilt), np.cos(tilt), 0])
    half = 0.2 * np.array([np.cos(twist), 0, -np.sin(twist)])  # shoulders turned about y
    a = _angles(_pose(thorax=tuple(thorax), left_shoulder=tuple(thorax + half),
                      right_shoulder=tuple(thorax - half), left_hip=(0.1, 1.05, 0)))
    assert a["trunk_lateral_tilt"] == pytest.approx(20, abs=1e-3)
    assert a["trunk_inclination"] == pytest.approx(20, abs=1e-3)
    assert a["trunk_forward_lean"] == pytest.approx(0, abs=1e-3)
    assert a["shoulder_yaw"] == pytest.approx(-30, abs=1e-3)
    assert a["trunk_twist"] == pytest.approx(-30, abs=1e-3)
    assert a["pelvis_obliquity"] == pytest.approx(np.degrees(np.arctan2(0.05, 0.2)), abs=1e-3)
    # leaning towards the camera
    lean = _angles(_pose(thorax=(0, 1 + 0.5 * np.cos(0.3), 0.5 * np.sin(0.3))))
    assert lean["trunk_forward_lean"] == pytest.approx(np.degrees(0.3), abs=1e-3)
    assert lean["trunk_lateral_tilt"] == pytest.approx(0, abs=1e-3)


def test_angles_ignore_position_and_size_but_not_the_movement():
    rng = np.random.default_rng(0)
    seq = _pose().repeat(20, axis=0) + rng.normal(0, 0.02, (20, skeleton.NUM_JOINTS, 3))
    moved = seq * 1.7 + np.array([0.4, -0.2, 2.0])
    assert np.allclose(joint_angles(moved), joint_angles(seq), atol=1e-6)
    assert np.allclose(angle_features(moved, 30.0), angle_features(seq, 30.0), atol=1e-6)
    # the coordinate features of the ridge baseline do change with the body's size
    assert not np.allclose(kinematic_features(moved), kinematic_features(seq))
    still = _pose().repeat(20, axis=0)
    bent = still.copy()
    bent[:, K["left_wrist"]] = bent[:, K["left_elbow"]] + [0.3, 0, 0]  # forearm straightened
    f0, f1 = angle_features(still, 30.0), angle_features(bent, 30.0)
    assert f0.shape == (6 * len(ANGLES),)
    i = ANGLES.index("left_elbow_flexion")  # the first block of features is the angles' means
    assert f1[i] == pytest.approx(180, abs=1e-3) and f0[i] == pytest.approx(90, abs=1e-3)
    n = len(ANGLES)  # only that angle's mean, minimum and maximum change (it holds still)
    assert np.flatnonzero(~np.isclose(f0, f1)).tolist() == [i, i + 2 * n, i + 3 * n]


def test_angles_baseline_learns_a_score_carried_by_a_joint_angle():
    """Items whose score is the depth of a knee bend: the angle features carry it directly."""
    from types import SimpleNamespace

    from engine.baselines import make_baseline

    rng = np.random.default_rng(1)
    items = []
    for _ in range(60):
        depth = rng.uniform(0, 1)  # 0: straight, 1: knee bent to 90°
        t = np.linspace(0, np.pi, 40)
        seq = _pose().repeat(40, axis=0) + rng.normal(0, 0.01, (40, skeleton.NUM_JOINTS, 3))
        bend = depth * np.sin(t) * np.pi / 2  # knee angle 180° - bend
        knee = seq[:, K["left_knee"]]
        seq[:, K["left_ankle"]] = knee + 0.45 * np.stack(
            [np.zeros_like(bend), -np.cos(bend), -np.sin(bend)], 1)
        items.append(SimpleNamespace(joints=seq * rng.uniform(0.8, 1.2), score=100 * depth,
                                     movement_name="squat"))
    train, test = items[:40], items[40:]
    y = np.array([it.score for it in test])
    angles = make_baseline("angles", fps=30.0).fit(train).predict(test)
    mean = make_baseline("mean").fit(train).predict(test)
    assert np.abs(angles - y).mean() < 0.4 * np.abs(mean - y).mean()
