"""Multimodal joint refinement (paper eq. 1).

    p_hat = argmin_p  ||p - p_depth||^2 + lambda1 ||Pi(p) - q_rgb||^2 + lambda2 ||R(p) - theta_imu||^2

with lambda1 = 0.6 and lambda2 = 0.4. Each extra term is optional and used only where the
device provides it (2D keypoints of a calibrated colour camera; IMU segment orientations).

Choices where the paper is vague, made so that the problem is a *linear* least-squares
problem solved exactly (one batched 51x51 solve per frame, no iterations, no initial guess):

* **Reprojection term in metres.** Pixels and metres cannot share one sum with fixed weights,
  so the reprojection error is measured at the joint's depth: for a colour-camera point
  ``(X, Y, Z)`` and keypoint ``(u, v)`` the residual is ``X - Z (u - cx) / fx`` and
  ``Y - Z (v - cy) / fy`` = pixel error x depth / focal length, i.e. (to first order) the
  distance of ``p`` from the camera ray through the keypoint. Linear in ``p``.
* **IMU term as bone direction.** ``R(p)`` "converts coordinates into Euler angles"; Euler
  angles wrap around and have gimbal lock, so we compare the *direction* the IMU gives for a
  body segment with the segment implied by the joints: residual
  ``(p_child - p_parent) - l * u_imu`` where ``l`` is the segment's median length over the
  sequence in the depth data and ``u_imu`` the unit direction measured by the IMU on that
  segment (canonical frame). Also linear. :func:`segment_direction` turns an IMU orientation
  (rotation matrices, quaternions or Euler angles) into ``u_imu``.
* Missing 2D keypoints (NaN) or IMU samples drop their term for that joint/frame.

Camera model (:class:`CameraModel`): pinhole intrinsics ``fx, fy, cx, cy`` (pixels) of the
colour camera and the extrinsic ``rotation``/``translation`` (metres) taking points from the
depth camera's OpenCV frame (x right, y down, z forward) into the colour camera's OpenCV frame.
:meth:`CameraModel.from_dict` reads this from ``RecordingMeta.calibration``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.preprocess.errors import PreprocessError, check_joints
from engine.skeleton import JOINT_INDEX, JOINTS, NUM_JOINTS

LAMBDA1 = 0.6
LAMBDA2 = 0.4
_CANON_TO_CV = np.diag([1.0, -1.0, -1.0])


@dataclass(frozen=True)
class CameraModel:
    fx: float
    fy: float
    cx: float
    cy: float
    rotation: np.ndarray = field(default_factory=lambda: np.eye(3))
    translation: np.ndarray = field(default_factory=lambda: np.zeros(3))

    @classmethod
    def from_dict(cls, d: dict) -> CameraModel:
        """Read ``{"fx", "fy", "cx", "cy", "rotation"?: 3x3, "translation"?: [3] metres}``
        (intrinsics may also sit under ``"intrinsics"``, the extrinsics under ``"extrinsics"``
        as ``{"rotation", "translation"}``)."""
        if not isinstance(d, dict):
            raise PreprocessError(f"camera calibration must be a dict, got {type(d).__name__}")
        intr = d.get("intrinsics", d)
        extr = d.get("extrinsics", d)
        try:
            fx, fy, cx, cy = (float(intr[k]) for k in ("fx", "fy", "cx", "cy"))
        except KeyError as exc:
            raise PreprocessError(f"camera calibration lacks {exc.args[0]!r} "
                                  "(needs fx, fy, cx, cy in pixels)") from None
        rot = np.asarray(extr.get("rotation", np.eye(3)), dtype=np.float64)
        tr = np.asarray(extr.get("translation", np.zeros(3)), dtype=np.float64).reshape(-1)
        if rot.shape != (3, 3) or tr.shape != (3,):
            raise PreprocessError("camera calibration: rotation must be 3x3 and translation 3")
        if fx <= 0 or fy <= 0:
            raise PreprocessError("camera calibration: fx and fy must be positive")
        return cls(fx, fy, cx, cy, rot, tr)

    def to_dict(self) -> dict:
        return {"fx": self.fx, "fy": self.fy, "cx": self.cx, "cy": self.cy,
                "rotation": np.asarray(self.rotation).tolist(),
                "translation": np.asarray(self.translation).tolist()}

    @property
    def canonical_to_camera(self) -> np.ndarray:
        """3x3 ``M`` with colour-camera point = ``M @ p_canonical + translation``."""
        return np.asarray(self.rotation, np.float64) @ _CANON_TO_CV

    def to_camera(self, points) -> np.ndarray:
        p = np.asarray(points, dtype=np.float64)
        return p @ self.canonical_to_camera.T + np.asarray(self.translation, np.float64)

    def project(self, points) -> np.ndarray:
        """Canonical-frame points (..., 3) -> colour-image pixels (..., 2)."""
        c = self.to_camera(points)
        return np.stack([self.fx * c[..., 0] / c[..., 2] + self.cx,
                         self.fy * c[..., 1] / c[..., 2] + self.cy], axis=-1)


def _bone(key) -> tuple[int, int]:
    if isinstance(key, str):
        key = tuple(key.split("-"))
    if len(key) != 2:
        raise PreprocessError(f"IMU segment {key!r}: expected (parent, child) joints")
    try:
        a, b = (JOINT_INDEX[k] if isinstance(k, str) else int(k) for k in key)
    except KeyError as exc:
        raise PreprocessError(f"IMU segment {key!r}: unknown joint {exc.args[0]!r}; "
                              f"joints are {JOINTS}") from None
    if not (0 <= a < NUM_JOINTS and 0 <= b < NUM_JOINTS) or a == b:
        raise PreprocessError(f"IMU segment {key!r}: invalid joint pair")
    return a, b


def segment_direction(orientation, axis=(1.0, 0.0, 0.0), kind: str = "matrix",
                      euler_order: str = "xyz", degrees: bool = False) -> np.ndarray:
    """Unit direction (T, 3) in the canonical frame of the segment axis ``axis`` (the direction
    parent -> child in the IMU's own frame, as strapped on) for IMU orientations given as
    rotation matrices (T, 3, 3) ``kind="matrix"``, quaternions (T, 4) x, y, z, w
    ``kind="quat"`` or Euler angles (T, 3) ``kind="euler"``, all IMU frame -> canonical."""
    from scipy.spatial.transform import Rotation

    o = np.asarray(orientation, dtype=np.float64)
    if kind == "matrix":
        rot = Rotation.from_matrix(o)
    elif kind == "quat":
        rot = Rotation.from_quat(o)
    elif kind == "euler":
        rot = Rotation.from_euler(euler_order, o, degrees=degrees)
    else:
        raise PreprocessError(f"unknown orientation kind {kind!r} (matrix, quat, euler)")
    d = rot.apply(np.asarray(axis, dtype=np.float64))
    return d / np.linalg.norm(d, axis=-1, keepdims=True)


def fuse(
    depth_joints,
    keypoints_2d=None,
    camera: CameraModel | dict | None = None,
    imu_directions: dict | None = None,
    lambda1: float = LAMBDA1,
    lambda2: float = LAMBDA2,
) -> np.ndarray:
    """Refine depth-sensor joints by eq. 1 -> ``(T, 17, 3)`` float32 (canonical, metres).

    ``depth_joints``: (T, 17, 3), complete (fill missing joints first).
    ``keypoints_2d``: (T, 17, 2) colour-image pixels (NaN where not detected); needs ``camera``.
    ``imu_directions``: ``{(parent, child): (T, 3) unit directions}`` with joint names or
    indices (or ``"parent-child"``); NaN rows are skipped.
    With neither, the depth joints are returned unchanged.
    """
    pd = check_joints(depth_joints, "depth_joints")
    if np.isnan(pd).any():
        raise PreprocessError("depth_joints: fill missing joints before fusion (NaN found)")
    t_len = len(pd)
    n = NUM_JOINTS * 3
    h = np.broadcast_to(np.eye(n), (t_len, n, n)).copy()
    rhs = pd.reshape(t_len, n).copy()
    used = False

    if keypoints_2d is not None and lambda1 > 0:
        if camera is None:
            raise PreprocessError("keypoints_2d given without a camera calibration")
        cam = camera if isinstance(camera, CameraModel) else CameraModel.from_dict(camera)
        q = np.asarray(keypoints_2d, dtype=np.float64)
        if q.shape != (t_len, NUM_JOINTS, 2):
            raise PreprocessError(f"keypoints_2d: expected ({t_len}, 17, 2), got {q.shape}")
        m = cam.canonical_to_camera
        tr = np.asarray(cam.translation, np.float64)
        valid = np.isfinite(q).all(axis=-1)
        a = (q[..., 0] - cam.cx) / cam.fx  # (T, 17) normalized image coordinates
        b = (q[..., 1] - cam.cy) / cam.fy
        for coord, row in ((a, 0), (b, 1)):
            coord = np.where(valid, coord, 0.0)
            g = m[row][None, None, :] - coord[..., None] * m[2][None, None, :]  # (T, 17, 3)
            c = tr[row] - coord * tr[2]  # residual = g . p + c
            g = np.where(valid[..., None], g, 0.0)
            c = np.where(valid, c, 0.0)
            for k in range(NUM_JOINTS):
                sl = slice(3 * k, 3 * k + 3)
                h[:, sl, sl] += lambda1 * g[:, k, :, None] * g[:, k, None, :]
                rhs[:, sl] -= lambda1 * g[:, k] * c[:, k, None]
        used = True

    if imu_directions and lambda2 > 0:
        for key, dirs in imu_directions.items():
            pa, ch = _bone(key)
            u = np.asarray(dirs, dtype=np.float64)
            if u.shape != (t_len, 3):
                raise PreprocessError(f"IMU segment {key!r}: expected ({t_len}, 3) directions, "
                                      f"got {u.shape}")
            ok = np.isfinite(u).all(axis=-1)
            u = np.where(ok[:, None], u / np.maximum(np.linalg.norm(u, axis=-1, keepdims=True),
                                                     1e-12), 0.0)
            length = float(np.median(np.linalg.norm(pd[:, ch] - pd[:, pa], axis=-1)))
            w = lambda2 * ok.astype(np.float64)
            eye = np.eye(3)
            sa, sc = slice(3 * pa, 3 * pa + 3), slice(3 * ch, 3 * ch + 3)
            # residual r = p_c - p_a - l u ;  d/dp_c = I, d/dp_a = -I
            h[:, sc, sc] += w[:, None, None] * eye
            h[:, sa, sa] += w[:, None, None] * eye
            h[:, sa, sc] -= w[:, None, None] * eye
            h[:, sc, sa] -= w[:, None, None] * eye
            rhs[:, sc] += w[:, None] * length * u
            rhs[:, sa] -= w[:, None] * length * u
        used = True

    if not used:
        return pd.astype(np.float32)
    sol = np.linalg.solve(h, rhs[..., None])[..., 0]
    return sol.reshape(t_len, NUM_JOINTS, 3).astype(np.float32)
