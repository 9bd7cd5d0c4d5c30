import numpy as np
import pytest

from engine import skeleton as sk


def test_seventeen_joints_in_h36m_order():
    assert sk.NUM_JOINTS == 17
    assert sk.JOINTS[0] == "pelvis" and sk.JOINTS[10] == "head" and sk.JOINTS[16] == "right_wrist"


def test_edges_form_one_connected_tree():
    assert len(sk.EDGES) == sk.NUM_JOINTS - 1
    seen, frontier = {0}, [0]
    nbrs = {i: set() for i in range(sk.NUM_JOINTS)}
    for a, b in sk.EDGES:
        nbrs[a].add(b)
        nbrs[b].add(a)
    while frontier:
        j = frontier.pop()
        for n in nbrs[j] - seen:
            seen.add(n)
            frontier.append(n)
    assert seen == set(range(sk.NUM_JOINTS))


def test_mirror_is_an_involution_swapping_sides():
    m = np.array(sk.MIRROR)
    assert (m[m] == np.arange(sk.NUM_JOINTS)).all()
    assert sk.MIRROR[sk.JOINT_INDEX["left_wrist"]] == sk.JOINT_INDEX["right_wrist"]
    x = np.random.default_rng(0).normal(size=(5, 17, 3))
    np.testing.assert_allclose(sk.mirror(sk.mirror(x)), x)


def test_regions_and_torso_edges_cover_expected_joints():
    assert sk.REGION_NAMES == ("right_arm", "left_arm", "right_leg", "left_leg", "torso")
    covered = sorted(j for r in sk.REGIONS.values() for j in r)
    assert covered == list(range(17))
    assert len(sk.TORSO_EDGES) == 4


def test_normalized_adjacency_is_symmetric_with_self_loops():
    a = sk.normalized_adjacency()
    np.testing.assert_allclose(a, a.T)
    assert (np.diag(a) > 0).all()


def _tpose_h36m() -> np.ndarray:
    """A hand-made standing skeleton in the canonical frame, facing the camera."""
    j = np.zeros((17, 3), np.float32)
    J = sk.JOINT_INDEX
    j[J["pelvis"]] = (0, 1.0, 0)
    j[J["right_hip"]], j[J["left_hip"]] = (-0.1, 1.0, 0), (0.1, 1.0, 0)
    j[J["right_knee"]], j[J["left_knee"]] = (-0.1, 0.55, 0), (0.1, 0.55, 0)
    j[J["right_ankle"]], j[J["left_ankle"]] = (-0.1, 0.1, 0), (0.1, 0.1, 0)
    j[J["spine"]], j[J["thorax"]] = (0, 1.25, 0), (0, 1.5, 0)
    j[J["neck"]], j[J["head"]] = (0, 1.6, 0), (0, 1.72, 0)
    j[J["right_shoulder"]], j[J["left_shoulder"]] = (-0.2, 1.5, 0), (0.2, 1.5, 0)
    j[J["right_elbow"]], j[J["left_elbow"]] = (-0.45, 1.5, 0), (0.45, 1.5, 0)
    j[J["right_wrist"]], j[J["left_wrist"]] = (-0.7, 1.5, 0), (0.7, 1.5, 0)
    return j


def _thigh(j):
    return np.linalg.norm(j[..., 1, :] - j[..., 2, :], axis=-1)


def test_azure_kinect_mapping_on_hand_made_frame():
    canon = _tpose_h36m()
    src = np.zeros((32, 3), np.float32)
    layout = sk.AZURE_KINECT_BT
    for k in range(17):
        src[np.argmax(layout.weights[k])] = canon[k]
    # into Azure Kinect depth-camera mm: x right, y down, z away; put the body 3 m away
    mm = canon.copy()
    mm[:, 1] *= -1
    mm[:, 2] = 3.0
    src_mm = np.zeros((32, 3), np.float32)
    for k in range(17):
        src_mm[np.argmax(layout.weights[k])] = mm[k] * 1000
    out = layout.to_canonical_joints(src_mm)
    np.testing.assert_allclose(out[:, :2], canon[:, :2], atol=1e-5)
    assert np.allclose(out[:, 2], -3.0)
    assert 0.3 <= _thigh(out) <= 0.55


@pytest.mark.parametrize("layout", [sk.MEDIAPIPE_POSE, sk.COCO17])
def test_midpoint_layouts_derive_trunk_joints(layout):
    rng = np.random.default_rng(1)
    pts = rng.normal(size=(4, layout.num_joints, 3)).astype(np.float32)
    names = {n: i for i, n in enumerate(layout.joint_names)}
    out = layout.map_joints(pts)
    J = sk.JOINT_INDEX
    pelvis = 0.5 * (pts[:, names["left_hip"]] + pts[:, names["right_hip"]])
    thorax = 0.5 * (pts[:, names["left_shoulder"]] + pts[:, names["right_shoulder"]])
    head = 0.5 * (pts[:, names["left_ear"]] + pts[:, names["right_ear"]])
    np.testing.assert_allclose(out[:, J["pelvis"]], pelvis, atol=1e-6)
    np.testing.assert_allclose(out[:, J["thorax"]], thorax, atol=1e-6)
    np.testing.assert_allclose(out[:, J["spine"]], 0.5 * (pelvis + thorax), atol=1e-6)
    np.testing.assert_allclose(out[:, J["head"]], head, atol=1e-6)
    np.testing.assert_allclose(out[:, J["neck"]], 0.5 * (thorax + head), atol=1e-6)
    conf = np.ones((4, layout.num_joints), np.float32)
    conf[:, names["left_hip"]] = 0.2
    c = layout.map_confidence(conf)
    assert np.allclose(c[:, J["pelvis"]], 0.2) and np.allclose(c[:, J["spine"]], 0.2)
    assert np.allclose(c[:, J["right_hip"]], 1.0)


def test_mediapipe_world_frame_flips_y_and_z():
    world = np.zeros((33, 3), np.float32)
    world[0] = (0.1, -0.6, -0.05)  # nose: above the hips (y down) and towards the camera
    out = sk.mediapipe_world_to_canonical(world)
    assert out[0, 1] > 0 and out[0, 2] > 0 and out[0, 0] == pytest.approx(0.1)


def test_wrong_joint_count_is_a_clear_error():
    with pytest.raises(ValueError, match="kinect_v2: expected 25 joints"):
        sk.KINECT_V2.map_joints(np.zeros((3, 24, 3)))


def test_kimore_mapping_gives_plausible_bones(kimore_path):
    from engine.datasets import load_kimore

    samples = load_kimore(kimore_path)
    j = np.concatenate([s.joints[::10] for s in samples])
    ok = np.isfinite(j).all(axis=(1, 2)) & (sk.trunk_length(j) > 0.1)
    thigh = np.median(_thigh(j[ok]))
    assert 0.3 <= thigh <= 0.55
    # facing the camera: the left shoulder appears to the right (larger x), head above pelvis
    J = sk.JOINT_INDEX
    assert np.median(j[ok, J["left_shoulder"], 0] - j[ok, J["right_shoulder"], 0]) > 0.2
    assert np.median(j[ok, J["head"], 1] - j[ok, J["pelvis"], 1]) > 0.4


def test_uiprmd_mapping_gives_plausible_bones(uiprmd_path):
    from engine.datasets import load_uiprmd

    samples = load_uiprmd(uiprmd_path)
    j = np.concatenate([s.joints[::10] for s in samples])
    assert np.isfinite(j).all()
    assert 0.3 <= np.median(_thigh(j)) <= 0.55
    J = sk.JOINT_INDEX
    assert np.median(j[:, J["left_shoulder"], 0] - j[:, J["right_shoulder"], 0]) > 0.2
    assert np.median(j[:, J["head"], 1] - j[:, J["pelvis"], 1]) > 0.4
