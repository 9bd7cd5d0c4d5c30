"""2D/3D pose estimation on a colour image, behind one small interface.

The webcam backend uses an estimator's metric 3D joints directly; the Kinect backend uses only
its 2D keypoints and lifts them with the depth map (``devices.kinect``). Both map the
estimator's own landmarks to the canonical 17 joints with the layouts in ``engine.skeleton``.

Estimators available:

``mediapipe``
    MediaPipe Pose 0.10.21 (extra ``pose``), BlazePose GHUM with ``model_complexity=1``: the
    only model that ships inside the wheel (0 and 2 are downloaded at run time, which a gym PC
    may not be able to do). ``pose_world_landmarks`` are metric 3D, centred between the hips.

Add another estimator by subclassing :class:`PoseEstimator` and decorating it with
``@register_pose_estimator("name")``.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from devices.base import DeviceError, ErrorCode
from engine.skeleton import (
    MEDIAPIPE_POSE,
    NUM_JOINTS,
    canonical_to_opencv_camera,
    opencv_camera_to_canonical,
)


@dataclass(frozen=True, eq=False)
class PoseResult:
    """One person's pose in one image.

    Attributes:
        keypoints_2d: (17, 2) float32 pixel coordinates in the input image.
        confidence: (17,) float32 in [0, 1].
        joints: (17, 3) float32 canonical joints in metres *relative to the pelvis* (the
            estimator's metric 3D), or None if the estimator gives only 2D.
    """

    keypoints_2d: np.ndarray
    confidence: np.ndarray
    joints: np.ndarray | None = None


class PoseEstimator(abc.ABC):
    """Finds one person's pose in an RGB image. Not thread-safe: use from one thread."""

    name: str = ""

    @abc.abstractmethod
    def estimate(self, image_rgb: np.ndarray) -> PoseResult | None:
        """Pose of the most prominent person in an (H, W, 3) uint8 RGB image, or None."""

    def reset(self) -> None:  # noqa: B027 - optional
        """Forget tracking state (call after a seek or a scene cut)."""

    def warm_up(self, width: int = 640, height: int = 480) -> None:
        """Run once on a blank picture so the first real frame is not slowed by the model's
        start-up (MediaPipe builds its graph on the first call: ~0.1-0.2 s)."""
        self.estimate(np.zeros((height, width, 3), np.uint8))
        self.reset()

    def close(self) -> None:  # noqa: B027 - optional
        """Release the model."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


_ESTIMATORS: dict[str, Callable[..., PoseEstimator]] = {}


def register_pose_estimator(name: str):
    """Class decorator registering a :class:`PoseEstimator` under ``name``."""

    def deco(cls):
        _ESTIMATORS[name] = cls
        if not cls.name:
            cls.name = name
        return cls

    return deco


def pose_estimators() -> list[str]:
    return list(_ESTIMATORS)


def create_pose_estimator(estimator: str | PoseEstimator = "mediapipe", **options) -> PoseEstimator:
    """An estimator instance from its registered name (or the instance itself)."""
    if isinstance(estimator, PoseEstimator):
        return estimator
    try:
        cls = _ESTIMATORS[estimator]
    except KeyError:
        raise DeviceError(
            f"Unknown pose estimator {estimator!r}; available: {', '.join(_ESTIMATORS)}.",
            code=ErrorCode.BAD_SPEC,
            retry=False,
        ) from None
    return cls(**options)


@register_pose_estimator("mediapipe")
class MediaPipePose(PoseEstimator):
    """MediaPipe Pose (BlazePose GHUM, ``model_complexity=1``) mapped to the 17 joints.

    Choices:
        * ``static_image_mode=False`` (default) tracks the person between frames, so the
          person detector runs only when tracking is lost: this is what makes it fast on
          video. Use ``True`` for unrelated single images.
        * Confidence is the landmark's ``visibility``; derived joints (pelvis, spine, thorax,
          neck, head) take the minimum of their sources (``engine.skeleton``).
        * ``max_input_side`` optionally downsizes the image before inference (landmarks are
          normalized, so the keypoints still come back in full-size pixels). MediaPipe resizes
          to 256 px internally anyway, so this mainly saves the copy of a large frame.
    """

    def __init__(
        self,
        *,
        static_image_mode: bool = False,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        smooth_landmarks: bool = True,
        max_input_side: int | None = None,
        model_complexity: int = 1,
    ):
        if model_complexity != 1:
            raise DeviceError(
                f"MediaPipe model_complexity={model_complexity} is not bundled with KineScore "
                "(it would be downloaded at run time); use model_complexity=1.",
                code=ErrorCode.BAD_SPEC,
                retry=False,
            )
        try:
            from mediapipe.python.solutions import pose as mp_pose
        except ImportError as exc:
            raise DeviceError(
                "Pose estimation needs MediaPipe, which is not installed. Install the pose "
                "extra: pip install 'kinescore[pose]' (packaging/setup.sh does this).",
                code=ErrorCode.SDK_MISSING,
                retry=False,
            ) from exc
        self._pose = mp_pose.Pose(
            static_image_mode=static_image_mode,
            model_complexity=1,
            smooth_landmarks=smooth_landmarks,
            enable_segmentation=False,
            min_detection_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence,
        )
        self.max_input_side = max_input_side

    def estimate(self, image_rgb: np.ndarray) -> PoseResult | None:
        h, w = image_rgb.shape[:2]
        img = image_rgb
        if self.max_input_side and max(h, w) > self.max_input_side:
            import cv2

            s = self.max_input_side / max(h, w)
            img = cv2.resize(image_rgb, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
        res = self._pose.process(np.ascontiguousarray(img))
        if res.pose_landmarks is None:
            return None
        lm = np.array(
            [(p.x, p.y, p.visibility) for p in res.pose_landmarks.landmark], dtype=np.float32
        )
        px = lm[:, :2] * np.array([w, h], dtype=np.float32)
        vis = np.clip(lm[:, 2], 0.0, 1.0)
        world = None
        if res.pose_world_landmarks is not None:
            wl = np.array(
                [(p.x, p.y, p.z) for p in res.pose_world_landmarks.landmark], dtype=np.float32
            )
            world = MEDIAPIPE_POSE.to_canonical_joints(wl)
        return PoseResult(MEDIAPIPE_POSE.map_joints(px), MEDIAPIPE_POSE.map_confidence(vis), world)

    def reset(self) -> None:
        self._pose.reset()

    def close(self) -> None:
        if self._pose is not None:
            self._pose.close()
            self._pose = None


# --------------------------------------------------------------------------- camera placement
def pinhole_matrix(width: int, height: int, horizontal_fov_deg: float = 60.0) -> np.ndarray:
    """A 3x3 camera matrix for an uncalibrated camera with the given horizontal field of view
    (60° is typical of USB webcams), principal point at the image centre, square pixels."""
    fx = 0.5 * width / np.tan(np.radians(horizontal_fov_deg) / 2.0)
    return np.array(
        [[fx, 0.0, (width - 1) / 2.0], [0.0, fx, (height - 1) / 2.0], [0.0, 0.0, 1.0]]
    )


def place_in_camera(
    joints_rel: np.ndarray,
    keypoints_2d: np.ndarray,
    confidence: np.ndarray,
    camera_matrix: np.ndarray,
    min_confidence: float = 0.3,
) -> np.ndarray | None:
    """Move pelvis-relative metric joints to where the camera sees them.

    Finds the translation ``t`` that makes the pinhole projection of ``joints_rel + t`` match the
    2D keypoints, by weighted linear least squares: for each joint with pixel (u, v) and
    OpenCV-camera point (X, Y, Z), ``fx (X + tx) = (u - cx)(Z + tz)`` and likewise for v. The
    joints' shape is kept; only the position (distance included) is estimated, so its accuracy
    follows the assumed intrinsics and the estimator's body size. Returns canonical (17, 3)
    camera-space joints, or None when too few joints are confident or the solution lies behind
    the camera or farther than 15 m.
    """
    p = canonical_to_opencv_camera(joints_rel).astype(np.float64)
    uv = np.asarray(keypoints_2d, dtype=np.float64)
    w = np.asarray(confidence, dtype=np.float64)
    ok = (w >= min_confidence) & np.isfinite(uv).all(axis=1) & np.isfinite(p).all(axis=1)
    if ok.sum() < 4:
        return None
    fx, fy = camera_matrix[0, 0], camera_matrix[1, 1]
    cx, cy = camera_matrix[0, 2], camera_matrix[1, 2]
    du, dv = uv[ok, 0] - cx, uv[ok, 1] - cy
    n = int(ok.sum())
    a = np.zeros((2 * n, 3))
    b = np.zeros(2 * n)
    a[:n, 0], a[:n, 2], b[:n] = fx, -du, du * p[ok, 2] - fx * p[ok, 0]
    a[n:, 1], a[n:, 2], b[n:] = fy, -dv, dv * p[ok, 2] - fy * p[ok, 1]
    sw = np.sqrt(np.concatenate([w[ok], w[ok]]))
    t, *_ = np.linalg.lstsq(a * sw[:, None], b * sw, rcond=None)
    if not (0.3 < t[2] < 15.0):
        return None
    return opencv_camera_to_canonical(p + t)


def empty_keypoints() -> np.ndarray:
    """(17, 2) NaN keypoints: nothing detected."""
    return np.full((NUM_JOINTS, 2), np.nan, dtype=np.float32)
