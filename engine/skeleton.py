"""The canonical 17-keypoint skeleton: joints, bones, regions, mirror map and sensor mappings.

This module owns the joint layout *as data* (like PYSKL's ``Graph``): every other part of
KineScore — preprocessing, the model's adjacency, the simulator, the GUI's overlay — reads
the layout from here and never hard-codes a joint index.

Joint order
    Human3.6M order, 17 joints (see :data:`JOINTS`).

Coordinate frame ("canonical frame")
    Metres, right-handed: **x** to the right as the camera sees the scene (a student facing
    the camera has their *left* shoulder at larger x), **y** up, **z** from the scene towards
    the camera. The origin is the sensor (camera coordinates) until preprocessing re-centres
    it. Each supported sensor has a function that brings its camera coordinates into this
    frame (:data:`SENSORS`).

Sensor mappings
    A mapping is a ``(17, J_src)`` weight matrix: row ``i`` says how canonical joint ``i`` is
    made from the sensor's joints. Most rows pick one joint; joints a sensor lacks (pelvis,
    spine, thorax, neck, head for COCO-17 and MediaPipe) are documented midpoints:

    * pelvis = midpoint of the two hips
    * thorax = midpoint of the two shoulders
    * spine  = midpoint of pelvis and thorax
    * head   = midpoint of the two ears
    * neck   = midpoint of thorax and head

    The confidence of a derived joint is the minimum confidence of the joints it is made of.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# --------------------------------------------------------------------------- joints
JOINTS: tuple[str, ...] = (
    "pelvis",
    "right_hip",
    "right_knee",
    "right_ankle",
    "left_hip",
    "left_knee",
    "left_ankle",
    "spine",
    "thorax",
    "neck",
    "head",
    "left_shoulder",
    "left_elbow",
    "left_wrist",
    "right_shoulder",
    "right_elbow",
    "right_wrist",
)
NUM_JOINTS = len(JOINTS)
JOINT_INDEX: dict[str, int] = {name: i for i, name in enumerate(JOINTS)}

#: Parent of each joint in the kinematic tree (pelvis is the root, -1).
PARENTS: tuple[int, ...] = (-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15)

#: Bones as (parent, child) pairs: 16 edges forming one tree.
EDGES: tuple[tuple[int, int], ...] = tuple((p, c) for c, p in enumerate(PARENTS) if p >= 0)

#: The four trunk edges of the paper's scale factor (eq. 2). The paper says "the average
#: distance between the left and right shoulders and the left and right hips"; we read it as
#: the trunk quadrilateral: shoulder width, hip width, and the two shoulder-to-hip sides.
TORSO_EDGES: tuple[tuple[int, int], ...] = (
    (JOINT_INDEX["left_shoulder"], JOINT_INDEX["right_shoulder"]),
    (JOINT_INDEX["left_hip"], JOINT_INDEX["right_hip"]),
    (JOINT_INDEX["left_shoulder"], JOINT_INDEX["left_hip"]),
    (JOINT_INDEX["right_shoulder"], JOINT_INDEX["right_hip"]),
)

#: The five limb regions of the paper's section 4, in this fixed order.
REGIONS: dict[str, tuple[int, ...]] = {
    "right_arm": (14, 15, 16),
    "left_arm": (11, 12, 13),
    "right_leg": (1, 2, 3),
    "left_leg": (4, 5, 6),
    "torso": (0, 7, 8, 9, 10),
}
REGION_NAMES: tuple[str, ...] = tuple(REGIONS)


def _mirror_map() -> tuple[int, ...]:
    out = []
    for name in JOINTS:
        if name.startswith("left_"):
            out.append(JOINT_INDEX["right_" + name[5:]])
        elif name.startswith("right_"):
            out.append(JOINT_INDEX["left_" + name[6:]])
        else:
            out.append(JOINT_INDEX[name])
    return tuple(out)


#: MIRROR[i] is the joint that joint i becomes when the body is mirrored left-right.
MIRROR: tuple[int, ...] = _mirror_map()


def adjacency(self_loops: bool = False) -> np.ndarray:
    """Symmetric (17, 17) 0/1 adjacency of the bone graph."""
    a = np.zeros((NUM_JOINTS, NUM_JOINTS), dtype=np.float32)
    for p, c in EDGES:
        a[p, c] = a[c, p] = 1.0
    if self_loops:
        a += np.eye(NUM_JOINTS, dtype=np.float32)
    return a


def normalized_adjacency() -> np.ndarray:
    """D^-1/2 (A + I) D^-1/2, the normalized physical adjacency of eq. 5."""
    a = adjacency(self_loops=True)
    d = a.sum(axis=1)
    inv = 1.0 / np.sqrt(d)
    return (a * inv[:, None] * inv[None, :]).astype(np.float32)


def mirror(joints: np.ndarray) -> np.ndarray:
    """Mirror a (..., 17, 3) skeleton left-right in the canonical frame (x -> -x, swap sides)."""
    out = joints[..., list(MIRROR), :].copy()
    out[..., 0] = -out[..., 0]
    return out


def bone_lengths(joints: np.ndarray) -> np.ndarray:
    """Length of each bone of :data:`EDGES` for (..., 17, D) joints -> (..., 16)."""
    parents = np.array([p for p, _ in EDGES])
    children = np.array([c for _, c in EDGES])
    return np.linalg.norm(joints[..., children, :] - joints[..., parents, :], axis=-1)


def trunk_length(joints: np.ndarray) -> np.ndarray:
    """Mean length of the four :data:`TORSO_EDGES` for (..., 17, D) joints -> (...)."""
    a = np.array([e[0] for e in TORSO_EDGES])
    b = np.array([e[1] for e in TORSO_EDGES])
    return np.linalg.norm(joints[..., a, :] - joints[..., b, :], axis=-1).mean(axis=-1)


# --------------------------------------------------------------------------- sensor frames
def kinect_camera_to_canonical(xyz: np.ndarray) -> np.ndarray:
    """Kinect v1/v2 camera space (metres; +X to the sensor's left, +Y up, +Z away from the
    sensor) to the canonical frame."""
    out = np.asarray(xyz, dtype=np.float32).copy()
    out[..., 0] *= -1.0
    out[..., 2] *= -1.0
    return out


def uiprmd_to_canonical(xyz: np.ndarray) -> np.ndarray:
    """UI-PRMD positions as shipped in ``../shared/data`` (forward kinematics of the dataset's
    angles) are already metres with x right, y up, z towards the camera: identity."""
    return np.asarray(xyz, dtype=np.float32).copy()


def azure_kinect_to_canonical(xyz_mm: np.ndarray) -> np.ndarray:
    """Azure Kinect / Orbbec Femto depth-camera space (millimetres; +X right, +Y down,
    +Z away from the camera) to the canonical frame."""
    out = np.asarray(xyz_mm, dtype=np.float32) / 1000.0
    out[..., 1] *= -1.0
    out[..., 2] *= -1.0
    return out


def mediapipe_world_to_canonical(xyz: np.ndarray) -> np.ndarray:
    """MediaPipe ``pose_world_landmarks`` (metres, origin between the hips; +x image right,
    +y down, +z away from the camera) to the canonical frame."""
    out = np.asarray(xyz, dtype=np.float32).copy()
    out[..., 1] *= -1.0
    out[..., 2] *= -1.0
    return out


def opencv_camera_to_canonical(xyz: np.ndarray) -> np.ndarray:
    """A pinhole camera's OpenCV frame (metres; +x right, +y down, +z forward)."""
    out = np.asarray(xyz, dtype=np.float32).copy()
    out[..., 1] *= -1.0
    out[..., 2] *= -1.0
    return out


def canonical_to_opencv_camera(xyz: np.ndarray) -> np.ndarray:
    """Inverse of :func:`opencv_camera_to_canonical` (the map is its own inverse)."""
    return opencv_camera_to_canonical(xyz)


# --------------------------------------------------------------------------- sensor mappings
@dataclass(frozen=True)
class SensorLayout:
    """How one sensor's joints map into the canonical 17."""

    name: str
    joint_names: tuple[str, ...]
    weights: np.ndarray  # (17, J_src), rows sum to 1
    to_canonical: Callable[[np.ndarray], np.ndarray] | None
    description: str

    @property
    def num_joints(self) -> int:
        return len(self.joint_names)

    def map_joints(self, points: np.ndarray) -> np.ndarray:
        """(..., J_src, D) sensor points -> (..., 17, D), in the sensor's own frame."""
        points = np.asarray(points, dtype=np.float32)
        if points.shape[-2] != self.num_joints:
            raise ValueError(
                f"{self.name}: expected {self.num_joints} joints on axis -2, "
                f"got shape {points.shape}"
            )
        return np.einsum("kj,...jd->...kd", self.weights, points).astype(np.float32)

    def map_confidence(self, conf: np.ndarray) -> np.ndarray:
        """(..., J_src) confidence -> (..., 17): a derived joint takes its sources' minimum."""
        conf = np.asarray(conf, dtype=np.float32)
        if conf.shape[-1] != self.num_joints:
            raise ValueError(
                f"{self.name}: expected {self.num_joints} confidences, got shape {conf.shape}"
            )
        out = np.empty(conf.shape[:-1] + (NUM_JOINTS,), dtype=np.float32)
        for k in range(NUM_JOINTS):
            src = np.nonzero(self.weights[k])[0]
            out[..., k] = conf[..., src].min(axis=-1)
        return out

    def to_canonical_joints(self, points: np.ndarray) -> np.ndarray:
        """Sensor camera coordinates (..., J_src, 3) -> canonical 17 joints (..., 17, 3)."""
        if self.to_canonical is None:
            raise ValueError(f"{self.name} gives 2D image keypoints; it has no 3D frame")
        return self.to_canonical(self.map_joints(points))


def _layout(
    name: str,
    joint_names: tuple[str, ...],
    picks: dict[str, str],
    to_canonical,
    description: str,
) -> SensorLayout:
    """Build the weight matrix from direct picks; missing canonical joints are derived."""
    src = {n: i for i, n in enumerate(joint_names)}
    w = np.zeros((NUM_JOINTS, len(joint_names)), dtype=np.float64)
    for canon, s in picks.items():
        w[JOINT_INDEX[canon], src[s]] = 1.0

    def mid(a: str, b: str) -> np.ndarray:
        return 0.5 * (w[JOINT_INDEX[a]] + w[JOINT_INDEX[b]])

    derived = {
        "pelvis": lambda: mid("left_hip", "right_hip"),
        "thorax": lambda: mid("left_shoulder", "right_shoulder"),
        "spine": lambda: mid("pelvis", "thorax"),
        "neck": lambda: mid("thorax", "head"),
    }
    for canon in ("pelvis", "thorax", "spine", "neck"):
        if canon not in picks:
            w[JOINT_INDEX[canon]] = derived[canon]()
    if not np.allclose(w.sum(axis=1), 1.0):
        missing = [JOINTS[i] for i in np.nonzero(~np.isclose(w.sum(axis=1), 1.0))[0]]
        raise AssertionError(f"{name}: mapping incomplete for {missing}")
    return SensorLayout(name, joint_names, w.astype(np.float32), to_canonical, description)


KINECT_V2_JOINTS = (
    "SpineBase", "SpineMid", "Neck", "Head", "ShoulderLeft", "ElbowLeft", "WristLeft",
    "HandLeft", "ShoulderRight", "ElbowRight", "WristRight", "HandRight", "HipLeft",
    "KneeLeft", "AnkleLeft", "FootLeft", "HipRight", "KneeRight", "AnkleRight", "FootRight",
    "SpineShoulder", "HandTipLeft", "ThumbLeft", "HandTipRight", "ThumbRight",
)  # fmt: skip

UIPRMD_KINECT_JOINTS = (
    "Waist", "Spine", "Chest", "Neck", "Head", "HeadTip", "LCollar", "LUpperArm", "LForearm",
    "LHand", "RCollar", "RUpperArm", "RForearm", "RHand", "LUpperLeg", "LLowerLeg", "LFoot",
    "LToes", "RUpperLeg", "RLowerLeg", "RFoot", "RToes",
)  # fmt: skip

AZURE_KINECT_BT_JOINTS = (
    "PELVIS", "SPINE_NAVEL", "SPINE_CHEST", "NECK", "CLAVICLE_LEFT", "SHOULDER_LEFT",
    "ELBOW_LEFT", "WRIST_LEFT", "HAND_LEFT", "HANDTIP_LEFT", "THUMB_LEFT", "CLAVICLE_RIGHT",
    "SHOULDER_RIGHT", "ELBOW_RIGHT", "WRIST_RIGHT", "HAND_RIGHT", "HANDTIP_RIGHT",
    "THUMB_RIGHT", "HIP_LEFT", "KNEE_LEFT", "ANKLE_LEFT", "FOOT_LEFT", "HIP_RIGHT",
    "KNEE_RIGHT", "ANKLE_RIGHT", "FOOT_RIGHT", "HEAD", "NOSE", "EYE_LEFT", "EAR_LEFT",
    "EYE_RIGHT", "EAR_RIGHT",
)  # fmt: skip

MEDIAPIPE_POSE_JOINTS = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
    "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip",
    "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
    "right_heel", "left_foot_index", "right_foot_index",
)  # fmt: skip

COCO17_JOINTS = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip",
    "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
)  # fmt: skip

_LIMBS = ("hip", "knee", "ankle", "shoulder", "elbow", "wrist")


def _mid_ears_layout(name, joint_names, to_canonical, description) -> SensorLayout:
    """COCO-17 and MediaPipe share names for the limbs; head is the midpoint of the ears."""
    picks = {f"{side}_{limb}": f"{side}_{limb}" for side in ("left", "right") for limb in _LIMBS}
    layout = _layout(name, joint_names, {**picks, "head": "left_ear"}, to_canonical, description)
    w = layout.weights.astype(np.float64)
    src = {n: i for i, n in enumerate(joint_names)}
    head = np.zeros(len(joint_names))
    head[src["left_ear"]] = head[src["right_ear"]] = 0.5
    w[JOINT_INDEX["head"]] = head
    w[JOINT_INDEX["neck"]] = 0.5 * (w[JOINT_INDEX["thorax"]] + head)
    return SensorLayout(name, joint_names, w.astype(np.float32), to_canonical, description)


KINECT_V2 = _layout(
    "kinect_v2",
    KINECT_V2_JOINTS,
    {
        "pelvis": "SpineBase", "right_hip": "HipRight", "right_knee": "KneeRight",
        "right_ankle": "AnkleRight", "left_hip": "HipLeft", "left_knee": "KneeLeft",
        "left_ankle": "AnkleLeft", "spine": "SpineMid", "thorax": "SpineShoulder",
        "neck": "Neck", "head": "Head", "left_shoulder": "ShoulderLeft",
        "left_elbow": "ElbowLeft", "left_wrist": "WristLeft", "right_shoulder": "ShoulderRight",
        "right_elbow": "ElbowRight", "right_wrist": "WristRight",
    },
    kinect_camera_to_canonical,
    "Microsoft Kinect v2 (KIMORE), 25 joints, camera space in metres",
)  # fmt: skip

UIPRMD_KINECT = _layout(
    "uiprmd_kinect",
    UIPRMD_KINECT_JOINTS,
    {
        "pelvis": "Waist", "right_hip": "RUpperLeg", "right_knee": "RLowerLeg",
        "right_ankle": "RFoot", "left_hip": "LUpperLeg", "left_knee": "LLowerLeg",
        "left_ankle": "LFoot", "spine": "Spine", "thorax": "Chest", "neck": "Neck",
        "head": "Head", "left_shoulder": "LUpperArm", "left_elbow": "LForearm",
        "left_wrist": "LHand", "right_shoulder": "RUpperArm", "right_elbow": "RForearm",
        "right_wrist": "RHand",
    },
    uiprmd_to_canonical,
    "UI-PRMD Kinect v1, 22 joints (segment origins), metres",
)  # fmt: skip

AZURE_KINECT_BT = _layout(
    "azure_kinect_bt",
    AZURE_KINECT_BT_JOINTS,
    {
        "pelvis": "PELVIS", "right_hip": "HIP_RIGHT", "right_knee": "KNEE_RIGHT",
        "right_ankle": "ANKLE_RIGHT", "left_hip": "HIP_LEFT", "left_knee": "KNEE_LEFT",
        "left_ankle": "ANKLE_LEFT", "spine": "SPINE_NAVEL", "thorax": "SPINE_CHEST",
        "neck": "NECK", "head": "HEAD", "left_shoulder": "SHOULDER_LEFT",
        "left_elbow": "ELBOW_LEFT", "left_wrist": "WRIST_LEFT",
        "right_shoulder": "SHOULDER_RIGHT", "right_elbow": "ELBOW_RIGHT",
        "right_wrist": "WRIST_RIGHT",
    },
    azure_kinect_to_canonical,
    "Azure Kinect Body Tracking SDK, 32 joints, depth-camera space in millimetres",
)  # fmt: skip

MEDIAPIPE_POSE = _mid_ears_layout(
    "mediapipe_pose",
    MEDIAPIPE_POSE_JOINTS,
    mediapipe_world_to_canonical,
    "MediaPipe Pose (BlazePose), 33 landmarks; world landmarks in metres",
)

COCO17 = _mid_ears_layout(
    "coco17",
    COCO17_JOINTS,
    None,
    "COCO-17 keypoints (2D image pixels; pelvis, spine, thorax, neck, head derived)",
)

SENSORS: dict[str, SensorLayout] = {
    s.name: s for s in (KINECT_V2, UIPRMD_KINECT, AZURE_KINECT_BT, MEDIAPIPE_POSE, COCO17)
}


def sensor_layout(name: str) -> SensorLayout:
    try:
        return SENSORS[name]
    except KeyError:
        raise KeyError(f"unknown sensor layout {name!r}; known: {sorted(SENSORS)}") from None
