"""Azure Kinect DK and Orbbec Femto (through Orbbec's K4A wrapper) via pyk4a (extra ``kinect``).

Specs: ``kinect:0`` (device index), ``kinect-playback:/path/recording.mkv``.

pyk4a has no body tracking, and Microsoft never shipped body tracking for Jetson/ARM, so the
skeleton comes from the colour image:

1. **2D pose** on the colour frame by a :class:`devices.pose.PoseEstimator` (MediaPipe).
2. **Depth** at each keypoint from the depth map transformed into the colour camera
   (``capture.transformed_depth``, millimetres), read robustly by :func:`sample_depth`: the
   valid pixels (``min_mm..max_mm``; 0 is "no measurement") of a small window around the
   keypoint, restricted to the nearest cluster (values within ``fg_band_mm`` of the window's
   20th percentile, so a keypoint on the body's silhouette does not pick up the wall behind),
   then their median. The joint's confidence is scaled by the share of valid pixels
   (full confidence from half the window up).
3. **Lifting** with the device calibration: each keypoint's viewing ray comes from the SDK's
   ``calibration.convert_2d_to_3d`` (lens distortion included) in the colour camera; the joint
   lies on the ray at the measured depth plus a per-joint surface-to-centre offset
   (:data:`SURFACE_TO_CENTER_MM`: depth sees the skin/clothes, the joint centre lies behind it).
4. **Joints without usable depth** (covered, outside the depth camera's view, too close) take
   the estimator's metric 3D body (MediaPipe world landmarks) anchored on the joints that do
   have depth, with their confidence halved; without a 3D body they sit on their ray at the
   body's median depth with a quarter of their confidence. If no joint has depth, the frame
   has no skeleton (``joints=None``) but keeps its 2D keypoints.
5. **Refinement** by the fusion step of the paper's eq. 1 (``engine.preprocess.fusion.fuse``,
   λ1 = 0.6) with the colour camera as the projection Π: joints measured on their rays are
   left as they are (they already minimize eq. 1, whose terms are independent per joint
   without IMU, so frames where every joint was measured skip the solve), the estimated ones
   of step 4 are pulled onto their keypoint's ray. The
   device's IMU sits in the camera, not on the student, so eq. 1's IMU term is not used here;
   the IMU samples are passed on in ``Frame.imu`` and stored with the recording.

Joints are reported in the canonical frame with the **colour camera** as origin (the camera the
pose was detected in); ``Frame.keypoints_2d`` are raw colour-image pixels (for the overlay).
Timestamps are the device's colour timestamps mapped onto the monotonic clock; a jump of more
than one frame period counts the missing frames as dropped. IMU rows are
``t, ax, ay, az, gx, gy, gz`` in the IMU's own axes, t on the same clock.

``thread_safe=False`` lets pyk4a release the GIL in its blocking calls; every device call
happens on the one capture thread while the source runs (open/close run on the caller's thread
only while no capture thread does).
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

import numpy as np

from devices.base import (
    DeviceError,
    DeviceInfo,
    EndOfStream,
    ErrorCode,
    Frame,
    SkeletonSource,
    clock,
    log,
    register_source,
)
from devices.pose import PoseEstimator, PoseResult, create_pose_estimator
from engine.skeleton import JOINT_INDEX, NUM_JOINTS, azure_kinect_to_canonical

#: Where the README / docs say how to install the SDK.
SDK_HELP = (
    "Install the kinect extra (pip install 'kinescore[kinect]'; it bundles the Azure Kinect SDK "
    "on x86_64 PCs) and, on Linux, the USB rules; for an Orbbec Femto install Orbbec's K4A "
    "wrapper. See 'Azure Kinect and Orbbec' in docs/devices.md."
)

#: Millimetres from the measured body surface to the joint centre, along the viewing ray
#: (about half the limb/trunk thickness; the paper does not say; Azure Kinect Body Tracking
#: joints are likewise inside the body).
SURFACE_TO_CENTER_MM: np.ndarray = np.zeros(NUM_JOINTS, dtype=np.float64)
for _name, _mm in {
    "pelvis": 90, "right_hip": 70, "left_hip": 70, "right_knee": 45, "left_knee": 45,
    "right_ankle": 35, "left_ankle": 35, "spine": 90, "thorax": 80, "neck": 50, "head": 80,
    "left_shoulder": 50, "right_shoulder": 50, "left_elbow": 35, "right_elbow": 35,
    "left_wrist": 25, "right_wrist": 25,
}.items():  # fmt: skip
    SURFACE_TO_CENTER_MM[JOINT_INDEX[_name]] = _mm

#: Colour image size (width, height) of each resolution.
COLOR_SIZES = {
    "720p": (1280, 720), "1080p": (1920, 1080), "1440p": (2560, 1440), "1536p": (2048, 1536),
    "2160p": (3840, 2160), "3072p": (4096, 3072),
}  # fmt: skip
COLOR_RESOLUTIONS = {
    "720p": "RES_720P", "1080p": "RES_1080P", "1440p": "RES_1440P", "1536p": "RES_1536P",
    "2160p": "RES_2160P", "3072p": "RES_3072P",
}  # fmt: skip
DEPTH_MODES = {
    "nfov_unbinned": "NFOV_UNBINNED", "nfov_binned": "NFOV_2X2BINNED",
    "wfov_binned": "WFOV_2X2BINNED", "wfov_unbinned": "WFOV_UNBINNED",
}  # fmt: skip
FPS_VALUES = {5: "FPS_5", 15: "FPS_15", 30: "FPS_30"}


def import_pyk4a():
    """Import pyk4a, turning a missing package or SDK library into a teacher-facing error."""
    os.environ.setdefault("K4A_LOG_LEVEL", "c")  # the SDK logs "no device" errors otherwise
    try:
        return importlib.import_module("pyk4a")
    except (ImportError, OSError) as exc:
        raise DeviceError(
            f"Azure Kinect support is not installed ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__}). "
            + SDK_HELP,
            code=ErrorCode.SDK_MISSING,
            retry=False,
        ) from exc


# --------------------------------------------------------------------------- lifting
def sample_depth(
    depth_mm: np.ndarray,
    keypoints_2d: np.ndarray,
    *,
    window: int = 7,
    min_mm: float = 250.0,
    max_mm: float = 9000.0,
    fg_band_mm: float = 150.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Robust depth (mm) under each keypoint in a depth map aligned with the image.

    Returns ``(depth (K,), valid_fraction (K,))``; depth is NaN where no pixel of the
    ``window`` x ``window`` neighbourhood is valid (or the keypoint is off the image/NaN).
    """
    kp = np.asarray(keypoints_2d, dtype=np.float64)
    h, w = depth_mm.shape[:2]
    r = window // 2
    k = len(kp)
    finite = np.isfinite(kp).all(axis=1)
    u = np.where(finite, np.rint(kp[:, 0]), -10 * window).astype(np.int64)
    v = np.where(finite, np.rint(kp[:, 1]), -10 * window).astype(np.int64)
    offs = np.arange(-r, r + 1)
    uu = u[:, None, None] + offs[None, None, :]  # (K, 1, W)
    vv = v[:, None, None] + offs[None, :, None]  # (K, W, 1)
    inside = (uu >= 0) & (uu < w) & (vv >= 0) & (vv < h)
    patch = depth_mm[np.clip(vv, 0, h - 1), np.clip(uu, 0, w - 1)].astype(np.float64)
    valid = inside & (patch >= min_mm) & (patch <= max_mm)
    frac = valid.reshape(k, -1).mean(axis=1)
    # sorted valid values first (invalid ones pushed to the end as +inf), per keypoint
    vals = np.sort(np.where(valid, patch, np.inf).reshape(k, -1), axis=1)
    n = valid.reshape(k, -1).sum(axis=1)
    depth = np.full(k, np.nan)
    has = n > 0
    if has.any():
        rows = np.nonzero(has)[0]
        # 20th percentile (linear interpolation between order statistics, like numpy's)
        pos = 0.2 * (n[has] - 1)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, n[has] - 1)
        q20 = vals[rows, lo] + (pos - lo) * (vals[rows, hi] - vals[rows, lo])
        # the near cluster is a prefix of the sorted values: its median
        m = (vals[has] <= (q20 + fg_band_mm)[:, None]).sum(axis=1)
        depth[has] = 0.5 * (vals[rows, (m - 1) // 2] + vals[rows, m // 2])
    return depth, frac


def keypoint_rays(keypoints_2d: np.ndarray, unproject) -> np.ndarray:
    """(K, 3) viewing rays scaled to z = 1 in the camera's OpenCV frame (NaN where the
    calibration rejects the pixel). ``unproject(u, v, depth_mm) -> (x, y, z) mm``."""
    rays = np.full((len(keypoints_2d), 3), np.nan)
    for j, (u, v) in enumerate(np.asarray(keypoints_2d, dtype=np.float64)):
        if not (np.isfinite(u) and np.isfinite(v)):
            continue
        try:
            p = unproject(float(u), float(v), 1000.0)
        except ValueError:  # outside the calibration model's valid area
            continue
        rays[j] = np.asarray(p, dtype=np.float64) / 1000.0
    return rays


def lift_keypoints(
    pose: PoseResult,
    depth_mm: np.ndarray,
    rays: np.ndarray,
    *,
    window: int = 7,
    full_confidence_fraction: float = 0.5,
    min_valid_fraction: float = 0.1,
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Lift 2D keypoints to canonical 3D joints (metres, colour-camera origin).

    Returns ``(joints (17, 3) or None, confidence (17,), measured (17,) bool)``; ``measured``
    marks joints whose depth came from the depth map (the others follow step 4 of the module
    docstring). ``rays`` come from :func:`keypoint_rays`.
    """
    depth, frac = sample_depth(depth_mm, pose.keypoints_2d, window=window)
    conf = np.asarray(pose.confidence, dtype=np.float64).copy()
    ray_ok = np.isfinite(rays).all(axis=1)
    measured = np.isfinite(depth) & (frac >= min_valid_fraction) & ray_ok
    if not measured.any():
        return None, np.zeros(NUM_JOINTS, np.float32), measured
    conf *= np.clip(frac / full_confidence_fraction, 0.0, 1.0)
    d = depth + SURFACE_TO_CENTER_MM
    cam_mm = np.full((NUM_JOINTS, 3), np.nan)
    cam_mm[measured] = rays[measured] * d[measured, None]
    joints = azure_kinect_to_canonical(cam_mm).astype(np.float64)
    missing = ~measured
    if missing.any():
        conf[missing] = pose.confidence[missing]
        if pose.joints is not None and np.isfinite(pose.joints).all():
            # the estimator's metric body, moved onto the measured joints (weighted mean offset)
            w = np.maximum(conf[measured], 1e-3)
            shift = ((joints[measured] - pose.joints[measured]) * w[:, None]).sum(0) / w.sum()
            joints[missing] = pose.joints[missing] + shift
            conf[missing] *= 0.5
        else:
            body = float(np.median(d[measured]))
            on_ray = missing & ray_ok
            joints[on_ray] = azure_kinect_to_canonical(rays[on_ray] * body)
            conf[missing] *= 0.25
        bad = ~np.isfinite(joints).all(axis=1)
        joints[bad] = np.nan
        conf[bad] = 0.0
    return joints.astype(np.float32), np.clip(conf, 0, 1).astype(np.float32), measured


_BLAS_LIMIT = None


def _one_blas_thread():
    """A context that runs numpy's BLAS on one thread. ``fuse`` solves one small (51 x 51)
    system per frame; multithreaded OpenBLAS makes that ~10x slower on 2 cores (1.6 ms idle,
    8-23 ms measured while other programs load the CPU, against 0.4-0.7 ms on one thread)."""
    global _BLAS_LIMIT
    try:
        if _BLAS_LIMIT is None:
            from threadpoolctl import ThreadpoolController

            _BLAS_LIMIT = ThreadpoolController()
        return _BLAS_LIMIT.limit(limits=1, user_api="blas")
    except Exception:  # threadpoolctl missing or no BLAS found: run as is
        import contextlib

        return contextlib.nullcontext()


def refine_with_fusion(
    joints: np.ndarray, rays: np.ndarray, camera_matrix: np.ndarray
) -> np.ndarray:
    """Eq. 1 refinement of one frame by ``engine.preprocess.fusion.fuse``: depth term plus the
    reprojection term on the colour camera (pinhole ``camera_matrix``; the keypoints are given
    as the undistorted pixels of their rays so the pinhole Π matches the SDK's lens model)."""
    from engine.preprocess.fusion import CameraModel, fuse

    k = np.asarray(camera_matrix, dtype=np.float64)
    cam = CameraModel(fx=k[0, 0], fy=k[1, 1], cx=k[0, 2], cy=k[1, 2])
    q = np.stack([k[0, 0] * rays[:, 0] + k[0, 2], k[1, 1] * rays[:, 1] + k[1, 2]], axis=-1)
    ok = np.isfinite(joints).all(axis=1)
    p = np.where(ok[:, None], joints, 0.0)
    q = np.where((ok & np.isfinite(q).all(axis=1))[:, None], q, np.nan)
    with _one_blas_thread():
        out = fuse(p[None], q[None], cam)[0]
    out[~ok] = np.nan
    return out


# --------------------------------------------------------------------------- sources
class _K4ASource(SkeletonSource):
    """What live devices and .mkv playback share: capture -> Frame."""

    first_frame_timeout = 15.0  # the first Kinect frames take about a second, more when cold

    def __init__(
        self,
        name: str,
        *,
        estimator: str | PoseEstimator = "mediapipe",
        estimator_options: dict[str, Any] | None = None,
        include_image: bool = True,
        refine: bool = True,
        window: int = 7,
        nominal_fps: float = 30.0,
    ):
        super().__init__(name, nominal_fps=nominal_fps)
        self._estimator_spec = estimator
        self._estimator_options = estimator_options or {}
        self.estimator: PoseEstimator | None = None
        self.include_image = include_image
        self.refine = refine
        self.window = window
        self._pyk4a = None
        self._calib = None
        self._camera_matrix: np.ndarray | None = None
        self._calib_info: dict[str, Any] | None = None
        self._dev0: int | None = None  # device timestamp (µs) of the clock anchor
        self._index_us0: int | None = None  # device timestamp (µs) of frame index 0
        self._clk0 = 0.0
        self._prev_us: int | None = None
        self._pending_imu: list[tuple] = []

    @property
    def calibration(self) -> dict[str, Any] | None:
        return self._calib_info

    def metadata(self) -> dict[str, Any]:
        md = super().metadata()
        md["pose_estimator"] = getattr(self.estimator, "name", str(self._estimator_spec))
        md["skeleton_origin"] = "colour camera"
        return md

    def _setup_calibration(self, calibration, extra: dict[str, Any]) -> None:
        ct = self._pyk4a.CalibrationType
        self._calib = calibration
        k = np.asarray(calibration.get_camera_matrix(ct.COLOR), dtype=np.float64)
        self._camera_matrix = k
        info: dict[str, Any] = {
            "camera": "colour", "fx": k[0, 0], "fy": k[1, 1], "cx": k[0, 2], "cy": k[1, 2],
            "rotation": np.eye(3).tolist(), "translation": [0.0, 0.0, 0.0],
        }  # fmt: skip
        try:
            info["distortion"] = np.asarray(
                calibration.get_distortion_coefficients(ct.COLOR), dtype=float
            ).tolist()
        except Exception:  # not every wrapper exposes it
            pass
        info.update(extra)
        self._calib_info = {key: (float(v) if isinstance(v, np.floating) else v)
                            for key, v in info.items()}  # fmt: skip

    def _make_estimator(self, size: tuple[int, int] = (1280, 720)) -> None:
        self.estimator = create_pose_estimator(self._estimator_spec, **self._estimator_options)
        self.estimator.warm_up(*size)
        if self.refine:  # import the fusion step now, not on the first frame that needs it
            importlib.import_module("engine.preprocess.fusion")

    def _close_estimator(self) -> None:
        if self.estimator is not None and self.estimator is not self._estimator_spec:
            self.estimator.close()
        self.estimator = None

    def _unproject(self, u: float, v: float, depth: float):
        ct = self._pyk4a.CalibrationType
        return self._calib.convert_2d_to_3d((u, v), depth, ct.COLOR, ct.COLOR)

    def _to_clock(self, device_us: int) -> float:
        return self._clk0 + (device_us - self._dev0) / 1e6

    def _imu_rows(self, samples: list) -> np.ndarray | None:
        rows = []
        for s in samples:
            try:
                t = self._to_clock(int(s["acc_timestamp"]))
                rows.append((t, *s["acc_sample"], *s["gyro_sample"]))
            except (KeyError, TypeError, ValueError):
                continue
        return np.asarray(rows, dtype=np.float64) if rows else None

    def _to_rgb(self, color: np.ndarray) -> np.ndarray:
        """BGRA32 (live, KineScore's setting) or MJPG (k4arecorder's default for .mkv files)
        colour -> RGB."""
        import cv2

        if color.ndim == 3 and color.shape[2] == 4:
            return cv2.cvtColor(color, cv2.COLOR_BGRA2RGB)
        if color.ndim == 1:  # MJPG: one compressed JPEG per frame
            bgr = cv2.imdecode(color, cv2.IMREAD_COLOR)
            if bgr is not None:
                return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        raise DeviceError(
            "The Kinect colour stream is in a format KineScore cannot read (NV12/YUY2 or a "
            "damaged MJPG frame). Record with the colour format BGRA32 or MJPG.",
            code=ErrorCode.FILE, device=self.name, retry=False,
        )  # fmt: skip

    def _frame_from_capture(self, capture, imu_samples: list) -> Frame | None:
        color = capture.color
        if color is None:
            return None  # incomplete capture: no picture to find a person in
        us = int(capture.color_timestamp_usec)
        if self._dev0 is None:
            self._dev0, self._clk0 = us, clock()
        period_us = 1e6 / self.nominal_fps
        if self._prev_us is not None:
            gap = int(round((us - self._prev_us) / period_us)) - 1
            if gap > 0:
                self._count_dropped(gap)
        self._prev_us = us
        if self._index_us0 is None:
            self._index_us0 = us
        index = int(round((us - self._index_us0) / period_us))
        ts = self._to_clock(us)
        imu = self._imu_rows(imu_samples)
        rgb = self._to_rgb(color)
        image = rgb if self.include_image else None
        pose = self.estimator.estimate(rgb)
        if pose is None:
            return Frame.empty(ts, index, image=image, imu=imu)
        depth = capture.transformed_depth
        if depth is None:
            if capture.depth is not None:
                raise DeviceError(
                    "The Azure Kinect SDK could not map the depth image onto the colour image "
                    "(its GPU depth engine did not start). Update the graphics driver "
                    "(OpenGL 4.4 is needed), then click Retry.",
                    code=ErrorCode.FAILED, device=self.name,
                )  # fmt: skip
            return Frame.empty(ts, index, image=image, keypoints_2d=pose.keypoints_2d, imu=imu)
        rays = keypoint_rays(pose.keypoints_2d, self._unproject)
        joints, conf, measured = lift_keypoints(pose, depth, rays, window=self.window)
        if joints is None:
            return Frame.empty(ts, index, image=image, keypoints_2d=pose.keypoints_2d, imu=imu)
        if self.refine and not measured.all():
            # measured joints lie on their rays, where eq. 1 leaves them exactly (its terms are
            # per joint without IMU), so the solve is only needed when some were estimated
            joints = refine_with_fusion(joints, rays, self._camera_matrix)
        return Frame(ts, index, joints, conf, image, pose.keypoints_2d, imu)


def _enum(pyk4a, enum_name: str, table: dict, key, what: str):
    try:
        return getattr(getattr(pyk4a, enum_name), table[key])
    except KeyError:
        raise DeviceError(
            f"Unsupported Kinect {what} {key!r}; choose one of {', '.join(map(str, table))}.",
            code=ErrorCode.BAD_SPEC, retry=False,
        ) from None  # fmt: skip


@register_source("kinect")
class KinectSource(_K4ASource):
    """A live Azure Kinect DK / Orbbec Femto (``kinect:N``).

    Args:
        device_id: device index (0 = first connected).
        color_resolution: "720p" (default; plenty for pose), "1080p", ...
        depth_mode: "nfov_unbinned" (default, 0.5-3.9 m), "wfov_binned" (wider, 0.25-2.9 m), ...
        fps: 5, 15 or 30.
        imu: record the IMU samples.
        estimator, estimator_options, include_image, refine, window: see :class:`_K4ASource`
            and the module docstring.
    """

    def __init__(
        self,
        device_id: int | str = 0,
        *,
        color_resolution: str = "720p",
        depth_mode: str = "nfov_unbinned",
        fps: int = 30,
        imu: bool = True,
        **kwargs,
    ):
        self.device_id = int(device_id)
        super().__init__(
            "Azure Kinect" if self.device_id == 0 else f"Azure Kinect {self.device_id}",
            nominal_fps=float(fps), **kwargs,
        )  # fmt: skip
        self.color_resolution = color_resolution
        self.depth_mode = depth_mode
        self.fps = int(fps)
        self.imu = imu
        self._device = None

    @classmethod
    def from_spec(cls, arg: str | None, **options) -> KinectSource:
        try:
            device_id = 0 if arg is None else int(arg)
        except ValueError:
            raise DeviceError(
                f"'kinect:{arg}' is not a device number; use 'kinect:0' for the first Kinect.",
                code=ErrorCode.BAD_SPEC, retry=False,
            ) from None  # fmt: skip
        return cls(device_id, **options)

    @classmethod
    def discover(cls) -> list[DeviceInfo]:
        try:
            pyk4a = import_pyk4a()
        except DeviceError as exc:
            return [DeviceInfo("kinect", "kinect:0", "Azure Kinect / Orbbec Femto",
                               available=False, problem=exc.message)]  # fmt: skip
        n = int(pyk4a.connected_device_count())
        return [
            DeviceInfo("kinect", f"kinect:{i}", "Azure Kinect" if i == 0 else f"Azure Kinect {i}")
            for i in range(n)
        ]

    def _open(self) -> None:
        pyk4a = import_pyk4a()
        self._pyk4a = pyk4a
        cfg = pyk4a.Config(
            color_resolution=_enum(pyk4a, "ColorResolution", COLOR_RESOLUTIONS,
                                   self.color_resolution, "colour resolution"),
            depth_mode=_enum(pyk4a, "DepthMode", DEPTH_MODES, self.depth_mode, "depth mode"),
            camera_fps=_enum(pyk4a, "FPS", FPS_VALUES, self.fps, "frame rate"),
            color_format=pyk4a.ImageFormat.COLOR_BGRA32,
            synchronized_images_only=True,
        )  # fmt: skip
        n = int(pyk4a.connected_device_count())
        if n == 0:
            raise DeviceError(
                "No Azure Kinect found: check the USB-C and power cables, then click Retry.",
                code=ErrorCode.NOT_FOUND, device=self.name,
            )  # fmt: skip
        if self.device_id >= n:
            raise DeviceError(
                f"Kinect number {self.device_id} not found ({n} connected; the first is "
                "kinect:0). Check its USB-C and power cables, then click Retry.",
                code=ErrorCode.NOT_FOUND, device=self.name,
            )  # fmt: skip
        device = pyk4a.PyK4A(cfg, device_id=self.device_id, thread_safe=False)
        try:
            device.start()
        except pyk4a.K4AException as exc:
            try:
                if device.opened:
                    device.close()
            except Exception:
                pass
            raise DeviceError(
                "The Azure Kinect was found but could not be started. Close other programs "
                "that use it (e.g. Azure Kinect Viewer), unplug its power for a few seconds, "
                f"then click Retry. ({type(exc).__name__}: {exc})",
                code=ErrorCode.BUSY, device=self.name,
            ) from exc  # fmt: skip
        self._device = device
        try:
            try:
                self._serial = str(device.serial)
            except pyk4a.K4AException:
                self._serial = ""
            self._setup_calibration(
                device.calibration,
                {"color_resolution": self.color_resolution, "depth_mode": self.depth_mode},
            )
            self._make_estimator(COLOR_SIZES[self.color_resolution])
        except BaseException:
            self._close()
            raise

    def _close(self) -> None:
        dev, self._device = self._device, None
        if dev is not None:
            try:
                dev.stop()
            except Exception as exc:  # already unplugged: nothing left to release
                log.info("%s: stop() after failure: %s", self.name, exc)
        self._close_estimator()

    def _on_start(self) -> None:
        self._dev0 = None
        self._index_us0 = None  # live: frames are counted from each start
        self._prev_us = None

    def _drain_imu(self) -> list:
        if not self.imu:
            return []
        pyk4a = self._pyk4a
        out = []
        for _ in range(400):  # ~1.6 kHz IMU: ~53 samples per frame at 30 fps
            try:
                s = self._device.get_imu_sample(timeout=0)
            except pyk4a.K4ATimeoutException:
                break
            except pyk4a.K4AException:
                break  # IMU hiccup: a missing IMU sample is not worth failing the stream for
            if s is None:
                break
            out.append(s)
        return out

    def _capture(self, timeout: float) -> Frame | None:
        pyk4a = self._pyk4a
        try:
            capture = self._device.get_capture(timeout=max(1, int(timeout * 1000)))
        except pyk4a.K4ATimeoutException:
            return None
        except pyk4a.K4AException as exc:
            raise DeviceError(
                "The Azure Kinect stopped sending data (USB-C or power cable unplugged?). "
                "Check both cables, then click Retry.",
                code=ErrorCode.DISCONNECTED, device=self.name,
            ) from exc  # fmt: skip
        return self._frame_from_capture(capture, self._drain_imu())


@register_source("kinect-playback")
class KinectPlaybackSource(_K4ASource):
    """An Azure Kinect ``.mkv`` recording (k4arecorder / Azure Kinect Viewer) as a source.

    Args:
        path: the ``.mkv`` file.
        speed: 1 = recorded pace; None/0/"max" = as fast as possible.
        loop: start again at the end.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        speed: float | str | None = 1.0,
        loop: bool = False,
        **kwargs,
    ):
        from devices.replay import _parse_speed

        self.path = Path(os.path.expanduser(str(path)))
        super().__init__(f"Kinect recording {self.path.name}", **kwargs)
        self.speed = _parse_speed(speed)
        self.pull = self.speed is None
        self.loop = loop
        self._playback = None
        self._next_imu = None
        self._imu_done = False
        self._pending = None
        self._eof = False
        self._anchor: tuple[float, int] | None = None

    @classmethod
    def from_spec(cls, arg: str | None, **options) -> KinectPlaybackSource:
        if not arg:
            raise DeviceError(
                "Say which recording to play: 'kinect-playback:/path/to/recording.mkv'.",
                code=ErrorCode.BAD_SPEC, retry=False,
            )  # fmt: skip
        return cls(arg, **options)

    def _open(self) -> None:
        if not self.path.is_file():
            raise DeviceError(
                f"Kinect recording not found: {self.path}. Check the path.",
                code=ErrorCode.FILE, device=self.name, retry=False,
            )  # fmt: skip
        pyk4a = import_pyk4a()
        self._pyk4a = pyk4a
        pb = pyk4a.PyK4APlayback(self.path, thread_safe=False)
        try:
            pb.open()
            conf = pb.configuration
        except pyk4a.K4AException as exc:
            raise DeviceError(
                f"Cannot read {self.path} as an Azure Kinect recording (damaged, or not made "
                "by k4arecorder / Azure Kinect Viewer).",
                code=ErrorCode.FILE, device=self.name, retry=False,
            ) from exc  # fmt: skip
        self._playback = pb
        try:
            if not conf.get("color_track_enabled", True) or not conf.get("depth_track_enabled", True):
                raise DeviceError(
                    f"{self.path.name} lacks a colour or depth track; KineScore needs both. "
                    "Record again with colour and depth enabled.",
                    code=ErrorCode.FILE, device=self.name, retry=False,
                )  # fmt: skip
            fps_enum = conf.get("camera_fps")
            fps = {v: k for k, v in FPS_VALUES.items()}.get(getattr(fps_enum, "name", ""), 30)
            self._nominal_fps = float(fps)
            res = {v: k for k, v in COLOR_RESOLUTIONS.items()}
            dm = {v: k for k, v in DEPTH_MODES.items()}
            self._setup_calibration(
                pb.calibration,
                {
                    "color_resolution": res.get(getattr(conf.get("color_resolution"), "name", ""), ""),
                    "depth_mode": dm.get(getattr(conf.get("depth_mode"), "name", ""), ""),
                },
            )
            self._imu_done = not conf.get("imu_track_enabled", False)
            self._make_estimator(COLOR_SIZES.get(self._calib_info["color_resolution"], (1280, 720)))
        except BaseException:
            self._close()
            raise

    def _close(self) -> None:
        pb, self._playback = self._playback, None
        if pb is not None:
            try:
                pb.close()
            except Exception:
                pass
        self._close_estimator()

    def _on_start(self) -> None:
        if self._eof:  # played to the end: start again; a stop() mid-file resumes
            self._rewind()
        self._anchor = None

    def _rewind(self) -> None:
        self._eof = False
        self._playback.seek(0)
        self._pending, self._next_imu = None, None
        self._imu_done = not self._playback.configuration.get("imu_track_enabled", False)
        self._prev_us = None

    def _imu_until(self, device_us: int) -> list:
        out = []
        while not self._imu_done:
            if self._next_imu is None:
                try:
                    self._next_imu = self._playback.get_next_imu_sample()
                except (EOFError, self._pyk4a.K4AException):
                    self._imu_done = True
                    break
            if int(self._next_imu["acc_timestamp"]) > device_us:
                break
            out.append(self._next_imu)
            self._next_imu = None
        return out

    def _capture(self, timeout: float) -> Frame | None:
        pyk4a = self._pyk4a
        if self._pending is None:
            try:
                self._pending = self._playback.get_next_capture()
            except EOFError:
                if not self.loop:
                    self._eof = True
                    raise EndOfStream from None
                self._rewind()
                self._anchor = None
                return None
            except pyk4a.K4AException as exc:
                raise DeviceError(
                    f"{self.path.name} is damaged after {self.frames_delivered} frames.",
                    code=ErrorCode.FILE, device=self.name, retry=False,
                ) from exc  # fmt: skip
        cap = self._pending
        if cap.color is None:
            self._pending = None
            return None
        us = int(cap.color_timestamp_usec)
        now = clock()
        if self._anchor is None:
            self._anchor = (now, us)
            # keep timestamps increasing across loops/restarts
            self._dev0, self._clk0 = us, max(now, self._last_timestamp + 1.0 / self.nominal_fps)
        if self.speed is not None:
            due = self._anchor[0] + (us - self._anchor[1]) / 1e6 / self.speed
            wait = due - now
            if wait > 0:
                if self._stop_event.wait(min(wait, timeout)) or wait > timeout:
                    return None
        self._pending = None
        return self._frame_from_capture(cap, self._imu_until(us))
