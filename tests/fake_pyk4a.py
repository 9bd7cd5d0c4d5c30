"""A stand-in for the ``pyk4a`` package in tests (installed as ``sys.modules["pyk4a"]``).

It has the same names, signatures and behaviour as the subset of pyk4a 1.5 that
``devices.kinect`` uses (``PyK4A``, ``Config``, the enums, ``Calibration.convert_2d_to_3d``,
``PyK4APlayback``, ``connected_device_count``, the two exceptions). Instead of hardware it plays
a scripted scene (:data:`WORLD`): a person whose joints are known in colour-camera millimetres,
rendered into a depth map already aligned with the colour image (what
``capture.transformed_depth`` returns), with a pinhole colour camera. Tests read
``WORLD.last_truth`` to compare the lifted skeleton with the truth, and flip
``WORLD.unplug_after`` / ``WORLD.devices`` / ``WORLD.start_fails`` to script failures.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path

import numpy as np

from devices.benchmark import render_depth
from devices.kinect import SURFACE_TO_CENTER_MM


class K4AException(Exception):
    pass


class K4ATimeoutException(K4AException):
    pass


class FPS(IntEnum):
    FPS_5 = 0
    FPS_15 = 1
    FPS_30 = 2


class ImageFormat(IntEnum):
    COLOR_MJPG = 0
    COLOR_NV12 = 1
    COLOR_YUY2 = 2
    COLOR_BGRA32 = 3
    DEPTH16 = 4


class DepthMode(IntEnum):
    OFF = 0
    NFOV_2X2BINNED = 1
    NFOV_UNBINNED = 2
    WFOV_2X2BINNED = 3
    WFOV_UNBINNED = 4
    PASSIVE_IR = 5


class ColorResolution(IntEnum):
    OFF = 0
    RES_720P = 1
    RES_1080P = 2
    RES_1440P = 3
    RES_1536P = 4
    RES_2160P = 5
    RES_3072P = 6


class CalibrationType(IntEnum):
    UNKNOWN = -1
    DEPTH = 0
    COLOR = 1
    GYRO = 2
    ACCEL = 3


class Config:
    def __init__(
        self,
        color_resolution=ColorResolution.RES_720P,
        color_format=ImageFormat.COLOR_BGRA32,
        depth_mode=DepthMode.NFOV_UNBINNED,
        camera_fps=FPS.FPS_30,
        synchronized_images_only=True,
        **_,
    ):
        self.color_resolution = color_resolution
        self.color_format = color_format
        self.depth_mode = depth_mode
        self.camera_fps = camera_fps
        self.synchronized_images_only = synchronized_images_only


def standing_person(t: float) -> np.ndarray:
    """(17, 3) joints in colour-camera millimetres (OpenCV axes) of a person 2.5 m away,
    facing the camera and swaying sideways by ±10 cm."""
    # canonical-ish layout (x right as seen, y up), metres, then to camera mm
    c = np.array([
        [0.0, 0.95, 0], [-0.1, 0.93, 0], [-0.1, 0.5, 0.02], [-0.1, 0.08, 0],
        [0.1, 0.93, 0], [0.1, 0.5, 0.02], [0.1, 0.08, 0], [0.0, 1.2, 0],
        [0.0, 1.45, 0], [0.0, 1.55, 0], [0.0, 1.68, 0.02], [0.19, 1.42, 0],
        [0.22, 1.15, 0.05], [0.24, 0.9, 0.1], [-0.19, 1.42, 0], [-0.22, 1.15, 0.05],
        [-0.24, 0.9, 0.1],
    ])  # fmt: skip
    c[:, 0] += 0.1 * np.sin(2 * np.pi * 0.5 * t)
    cam = np.empty_like(c)
    cam[:, 0] = c[:, 0]
    cam[:, 1] = 0.9 - c[:, 1]  # camera 0.9 m above the floor, y down
    cam[:, 2] = 2.5 - c[:, 2]
    return cam * 1000.0


@dataclass
class World:
    devices: int = 1
    serial: str = "000123456789"
    width: int = 1280
    height: int = 720
    fx: float = 600.0
    fy: float = 600.0
    fps: float = 30.0
    person: object = standing_person  # f(t) -> (17, 3) mm, or None for nobody
    start_fails: bool = False
    unplug_after: int | None = None  # get_capture raises K4AException after this many frames
    stall: bool = False  # get_capture times out (device sends nothing)
    skip_frames: tuple[int, ...] = ()  # device frame numbers that never arrive
    holes: tuple[int, ...] = ()  # joints whose depth is invalid (0)
    imu_per_frame: int = 4
    disk_px: int = 14
    last_truth: np.ndarray | None = None  # (17, 3) mm of the last capture
    last_keypoints: np.ndarray | None = None  # (17, 2) px of the last capture
    opened: list = field(default_factory=list)

    @property
    def cx(self) -> float:
        return (self.width - 1) / 2

    @property
    def cy(self) -> float:
        return (self.height - 1) / 2

    def render(self, frame_no: int) -> PyK4ACapture:
        t = frame_no / self.fps
        truth = self.person(t) if self.person is not None else None
        color = np.zeros((self.height, self.width, 4), np.uint8)
        color[..., 3] = 255
        if truth is not None:
            k = np.array([[self.fx, 0, self.cx], [0, self.fy, self.cy], [0, 0, 1]])
            depth, kp = render_depth(
                truth, k, (self.width, self.height), surface_offset_mm=SURFACE_TO_CENTER_MM,
                radius_px=self.disk_px, holes=self.holes,
            )  # fmt: skip
            color[depth < 4000, :3] = 200
            self.last_keypoints = kp
        else:
            depth = np.full((self.height, self.width), 4000, np.uint16)
            self.last_keypoints = None
        self.last_truth = truth
        us = int(round(frame_no * 1e6 / self.fps)) + 1_000_000
        return PyK4ACapture(color, depth, us)


WORLD = World()


def reset(**kwargs) -> World:
    """Reset the scripted scene (call from a fixture)."""
    global WORLD
    WORLD.__dict__.update(World(**kwargs).__dict__)
    return WORLD


class Calibration:
    def __init__(self, world: World):
        self._w = world

    def convert_2d_to_3d(self, coordinates, depth, source_camera, target_camera=None):
        u, v = coordinates
        w = self._w
        if not (-0.5 <= u <= w.width - 0.5 and -0.5 <= v <= w.height - 0.5):
            raise ValueError(f"Coordinates {coordinates} are not valid in the calibration model")
        return ((u - w.cx) * depth / w.fx, (v - w.cy) * depth / w.fy, float(depth))

    def get_camera_matrix(self, camera):
        w = self._w
        return np.array([[w.fx, 0, w.cx], [0, w.fy, w.cy], [0, 0, 1]])

    def get_distortion_coefficients(self, camera):
        return np.zeros(8)


class PyK4ACapture:
    def __init__(self, color, transformed_depth, color_timestamp_usec):
        self.color = color
        self.transformed_depth = transformed_depth
        self.depth = transformed_depth[::2, ::2]  # any raw depth image
        self.color_timestamp_usec = color_timestamp_usec


class PyK4A:
    TIMEOUT_WAIT_INFINITE = -1

    def __init__(self, config=None, device_id: int = 0, thread_safe: bool = True):
        self._config = config or Config()
        self._device_id = device_id
        self.thread_safe = thread_safe
        self._handle = None
        self.is_running = False
        self._frame_no = 0
        self._t0 = None
        self._delivered = 0
        self._imu_us = 1_000_000
        self._lock = threading.Lock()  # the real device must not be used concurrently

    @property
    def opened(self) -> bool:
        return self._handle is not None

    def open(self):
        if WORLD.devices <= self._device_id or WORLD.start_fails:
            raise K4AException("Failed to open device")
        self._handle = object()
        WORLD.opened.append(self)

    def start(self):
        if not self.opened:
            self.open()
        self.is_running = True

    def stop(self):
        self.is_running = False
        self._handle = None

    def close(self):
        self._handle = None

    @property
    def serial(self) -> str:
        return WORLD.serial

    @property
    def calibration(self) -> Calibration:
        return Calibration(WORLD)

    def get_capture(self, timeout=TIMEOUT_WAIT_INFINITE) -> PyK4ACapture:
        if not self._lock.acquire(blocking=False):
            raise AssertionError("pyk4a device used from two threads at once")
        try:
            if not self.opened:
                raise K4AException("Device is not opened")
            if WORLD.unplug_after is not None and self._delivered >= WORLD.unplug_after:
                raise K4AException()
            if WORLD.stall:
                time.sleep(max(timeout, 0) / 1000.0)
                raise K4ATimeoutException()
            now = time.monotonic()
            if self._t0 is None:
                self._t0 = now
            while self._frame_no in WORLD.skip_frames:
                self._frame_no += 1
            due = self._t0 + self._frame_no / WORLD.fps
            if due - now > timeout / 1000.0:
                time.sleep(max(timeout, 0) / 1000.0)
                raise K4ATimeoutException()
            if due > now:
                time.sleep(due - now)
            cap = WORLD.render(self._frame_no)
            self._frame_no += 1
            self._delivered += 1
            return cap
        finally:
            self._lock.release()

    def get_imu_sample(self, timeout=TIMEOUT_WAIT_INFINITE):
        limit = 1_000_000 + int(self._frame_no * 1e6 / WORLD.fps)
        step = int(1e6 / WORLD.fps / max(WORLD.imu_per_frame, 1))
        if WORLD.imu_per_frame == 0 or self._imu_us + step > limit:
            raise K4ATimeoutException()
        self._imu_us += step
        return {
            "temperature": 30.0,
            "acc_sample": (0.1, -9.81, 0.2),
            "acc_timestamp": self._imu_us,
            "gyro_sample": (0.01, 0.0, -0.01),
            "gyro_timestamp": self._imu_us,
        }


class PyK4APlayback:
    """Plays a fake ``.mkv``: a JSON file ``{"frames": N, "imu": bool}`` rendered from WORLD."""

    def __init__(self, path, thread_safe: bool = True):
        self._path = Path(path)
        self.thread_safe = thread_safe
        self._handle = None
        self._pos = 0
        self._imu_pos = 0

    def open(self):
        if self._handle is not None:
            raise K4AException("Playback already opened")
        try:
            self._info = json.loads(self._path.read_text())
            int(self._info["frames"])
        except (OSError, ValueError, KeyError, TypeError):
            raise K4AException(f"Cannot open file {self._path}") from None
        self._handle = object()

    def close(self):
        self._handle = None

    @property
    def configuration(self) -> dict:
        return {
            "color_format": ImageFormat.COLOR_MJPG if self._info.get("mjpg") else ImageFormat.COLOR_BGRA32,
            "color_resolution": ColorResolution.RES_720P,
            "depth_mode": DepthMode.NFOV_UNBINNED,
            "camera_fps": FPS.FPS_30,
            "color_track_enabled": self._info.get("color", True),
            "depth_track_enabled": True,
            "ir_track_enabled": False,
            "imu_track_enabled": bool(self._info.get("imu", True)),
        }

    @property
    def calibration(self) -> Calibration:
        return Calibration(WORLD)

    def seek(self, offset: int, origin=0) -> None:
        self._pos = 0
        self._imu_pos = 0

    def get_next_capture(self) -> PyK4ACapture:
        if self._handle is None:
            raise K4AException("Playback not opened.")
        if self._pos >= int(self._info["frames"]):
            raise EOFError()
        cap = WORLD.render(self._pos)
        self._pos += 1
        if self._info.get("mjpg"):  # k4arecorder's default colour format
            import cv2

            ok, buf = cv2.imencode(".jpg", cap.color[..., :3])
            cap.color = buf.reshape(-1)
        return cap

    def get_next_imu_sample(self):
        n = int(self._info["frames"]) * 4
        if self._imu_pos >= n:
            raise EOFError()
        us = 1_000_000 + int(self._imu_pos * 1e6 / WORLD.fps / 4)
        self._imu_pos += 1
        return {
            "temperature": 30.0,
            "acc_sample": (0.0, -9.81, 0.0),
            "acc_timestamp": us,
            "gyro_sample": (0.0, 0.0, 0.0),
            "gyro_timestamp": us,
        }


def connected_device_count() -> int:
    return WORLD.devices
