"""Webcam, video file or stream URL through OpenCV, with a pose estimator (MediaPipe by default).

Specs: ``webcam:0`` (camera index), ``video:/path/clip.mp4`` or ``video:rtsp://host/stream``.

Pipeline
    decode (OpenCV) -> BGR to RGB -> pose estimator -> 17 canonical joints -> :class:`Frame`.

    With ``threaded=True`` (the default for cameras, streams and files played in real time)
    decoding runs on its own *grab thread* at the camera's (or the file's) rate and keeps only
    the newest picture; the capture thread runs the pose estimator on the newest picture and
    publishes it. When the estimator is slower than the camera the source delivers at the
    estimator's rate, always on a fresh picture (no growing latency), and the pictures it had
    no time for are counted in ``dropped_frames``. With ``threaded=False`` (the default for
    files played as fast as possible, for batch scoring) every frame of the file is processed.

3D position
    MediaPipe's world landmarks are metric but centred between the hips. With
    ``place_in_camera=True`` (default) the skeleton is moved to where the camera sees it by
    :func:`devices.pose.place_in_camera`, using ``camera_matrix`` or a pinhole model with
    ``horizontal_fov_deg`` (60° is typical of USB webcams); so the joints are in the canonical
    camera frame like the Kinect's, with an approximate distance. When placement fails for a
    frame the previous offset is reused (3 m in front of the camera before the first success).
"""

from __future__ import annotations

import glob
import os
import sys
import threading
from collections.abc import Callable
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
from devices.pose import PoseEstimator, create_pose_estimator, pinhole_matrix, place_in_camera

#: Default distance of the pelvis before the first successful camera placement (canonical z).
DEFAULT_OFFSET = np.array([0.0, 0.0, -3.0], dtype=np.float32)


def _describe_target(target: int | str) -> tuple[str, str]:
    """(kind of target, display name): kind is "camera", "stream" or "file"."""
    if isinstance(target, int):
        return "camera", f"Webcam {target}"
    if "://" in target:
        shown = target.split("://", 1)[1].split("/", 1)[0].split("@")[-1]
        return "stream", f"Stream {shown}"
    return "file", Path(target).name


@register_source("webcam")
class WebcamSource(SkeletonSource):
    """OpenCV capture + pose estimation. See the module docstring.

    Args:
        target: camera index, video file path, or stream URL.
        estimator: a :class:`PoseEstimator` or the name of a registered one (its options go in
            ``estimator_options``).
        realtime: for files, play at the file's frame rate (True) or as fast as possible
            (False, default). Cameras and streams are always live.
        threaded: decode on a separate grab thread (see module docstring); default: True
            unless a file is played as fast as possible.
        loop: restart a file at its end instead of ending.
        width, height, fps: ask a camera for this mode (the camera may pick another).
        include_image: attach the RGB picture to each frame (for the overlay).
        place_in_camera, camera_matrix, horizontal_fov_deg: see the module docstring.
        capture_factory: ``f(target) -> cv2.VideoCapture``-like object; tests pass a fake.
        disconnect_after: seconds of failed reads after frames flowed before a live camera is
            reported unplugged.
    """

    def __init__(
        self,
        target: int | str = 0,
        *,
        estimator: str | PoseEstimator = "mediapipe",
        estimator_options: dict[str, Any] | None = None,
        realtime: bool = False,
        threaded: bool | None = None,
        loop: bool = False,
        width: int | None = None,
        height: int | None = None,
        fps: float | None = None,
        include_image: bool = True,
        place_in_camera: bool = True,
        camera_matrix: np.ndarray | None = None,
        horizontal_fov_deg: float = 60.0,
        capture_factory: Callable[[int | str], Any] | None = None,
        disconnect_after: float = 1.0,
    ):
        if isinstance(target, str) and target.strip().lstrip("-").isdigit():
            target = int(target)
        self.target = target
        self.target_kind, name = _describe_target(target)
        super().__init__(name, nominal_fps=fps or 30.0)
        self._estimator_spec = estimator
        self._estimator_options = estimator_options or {}
        self.estimator: PoseEstimator | None = None
        self.realtime = bool(realtime) or self.target_kind != "file"
        self.threaded = self.realtime if threaded is None else bool(threaded)
        self.pull = not self.realtime  # a file as fast as possible: every frame, on demand
        self.loop = loop
        self._mode = (width, height, fps)
        self.include_image = include_image
        self.place_in_camera = place_in_camera
        self._camera_matrix = None if camera_matrix is None else np.asarray(camera_matrix)
        self.horizontal_fov_deg = horizontal_fov_deg
        self._factory = capture_factory
        self.disconnect_after = disconnect_after
        self._cap = None
        self._size: tuple[int, int] | None = None
        self._offset: np.ndarray | None = None
        self._index = 0  # next frame number
        self._t0 = 0.0  # clock time of file position 0
        self._eof = False
        # grab thread hand-over (size-1 slot)
        self._grab_thread: threading.Thread | None = None
        self._grab_cond = threading.Condition()
        self._grabbed: tuple[int, float, np.ndarray] | None = None
        self._grab_error: BaseException | None = None

    @classmethod
    def from_spec(cls, arg: str | None, **options) -> WebcamSource:
        return cls(0 if arg is None else arg, **options)

    @classmethod
    def discover(cls) -> list[DeviceInfo]:
        """Linux: the V4L2 capture nodes in sysfs (no camera is opened). Elsewhere: camera 0,
        unverified, because probing cameras with OpenCV is slow."""
        if sys.platform.startswith("linux"):
            out = []
            for node in sorted(glob.glob("/sys/class/video4linux/video*")):
                try:
                    idx = int(Path(node).name[len("video") :])
                    # each UVC camera also has a metadata node; the capture node has index 0
                    index_file = Path(node, "index")
                    if index_file.exists() and index_file.read_text().strip() != "0":
                        continue
                    label = Path(node, "name").read_text().strip() or f"Camera {idx}"
                except (OSError, ValueError):
                    continue
                out.append(DeviceInfo("webcam", f"webcam:{idx}", f"{label} (webcam {idx})"))
            return out
        return [DeviceInfo("webcam", "webcam:0", "Default camera", details={"probed": False})]

    # ------------------------------------------------------------------ properties
    @property
    def calibration(self) -> dict[str, Any] | None:
        """Pinhole intrinsics in the layout ``engine.preprocess.fusion.CameraModel`` reads."""
        if self._size is None:
            return None
        k = self._intrinsics()
        return {
            "camera": "webcam",
            "fx": float(k[0, 0]), "fy": float(k[1, 1]), "cx": float(k[0, 2]), "cy": float(k[1, 2]),
            "image_size": list(self._size),
            "assumed_horizontal_fov_deg": (
                None if self._camera_matrix is not None else self.horizontal_fov_deg
            ),
        }  # fmt: skip

    def metadata(self) -> dict[str, Any]:
        md = super().metadata()
        md.update(
            target=str(self.target),
            pose_estimator=getattr(self.estimator, "name", str(self._estimator_spec)),
        )
        return md

    def _intrinsics(self) -> np.ndarray:
        if self._camera_matrix is not None:
            return self._camera_matrix
        w, h = self._size or (640, 480)
        return pinhole_matrix(w, h, self.horizontal_fov_deg)

    # ------------------------------------------------------------------ device
    def _open(self) -> None:
        target = self.target
        if self.target_kind == "file" and not Path(target).is_file():
            raise DeviceError(
                f"Video file not found: {target}. Check the path (or pick the file again).",
                code=ErrorCode.FILE, device=self.name, retry=False,
            )  # fmt: skip
        factory = self._factory
        if factory is None:
            import cv2

            factory = cv2.VideoCapture
        cap = factory(target)
        if cap is None or not cap.isOpened():
            if cap is not None:
                cap.release()
            raise self._open_error()
        try:
            import cv2

            if self.target_kind == "camera":
                w, h, fps = self._mode
                if w:
                    cap.set(cv2.CAP_PROP_FRAME_WIDTH, w)
                if h:
                    cap.set(cv2.CAP_PROP_FRAME_HEIGHT, h)
                if fps:
                    cap.set(cv2.CAP_PROP_FPS, fps)
                cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # newest picture, not a queue of old ones
            fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
            if np.isfinite(fps) and 1.0 <= fps <= 240.0:
                self._nominal_fps = fps
            w = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH) or 0)
            h = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0)
            self._size = (w, h) if w > 0 and h > 0 else None
            self.estimator = create_pose_estimator(self._estimator_spec, **self._estimator_options)
            self.estimator.warm_up(*(self._size or (640, 480)))
        except BaseException:
            cap.release()
            raise
        self._cap = cap
        self._index = 0
        self._eof = False

    def _open_error(self) -> DeviceError:
        if self.target_kind == "camera":
            return DeviceError(
                f"No camera found at index {self.target}. Check that the webcam is plugged in "
                "(try another USB port) and not used by another program, then click Retry.",
                code=ErrorCode.NOT_FOUND, device=self.name,
            )  # fmt: skip
        if self.target_kind == "stream":
            return DeviceError(
                f"Cannot connect to the video stream {self.target}. Check the address and that "
                "the camera is on the same network, then click Retry.",
                code=ErrorCode.NOT_FOUND, device=self.name,
            )  # fmt: skip
        return DeviceError(
            f"Cannot read {self.target} as a video (unsupported or damaged file). Convert it "
            "to MP4 (H.264) and try again.",
            code=ErrorCode.FILE, device=self.name, retry=False,
        )  # fmt: skip

    def _close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
        if self.estimator is not None:
            if self.estimator is not self._estimator_spec:  # we made it, we close it
                self.estimator.close()
            self.estimator = None

    def _on_start(self) -> None:
        if self._eof:  # played to the end: start again; a stop() mid-file resumes
            self._rewind()
        self._t0 = clock() - self._index / self.nominal_fps
        self._offset = None
        if self.estimator is not None:
            self.estimator.reset()
        self._grabbed, self._grab_error = None, None
        if self.threaded:
            self._grab_thread = threading.Thread(
                target=self._grab_loop, name="kinescore-grab-webcam", daemon=True
            )
            self._grab_thread.start()

    def _on_stop(self) -> None:
        t = self._grab_thread
        if t is not None:
            with self._grab_cond:
                self._grab_cond.notify_all()
            t.join(self.stop_timeout)
            if t.is_alive():
                log.warning("%s: grab thread did not stop", self.name)
            self._grab_thread = None

    def _rewind(self) -> None:
        import cv2

        self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
        self._index = 0
        self._eof = False

    # ------------------------------------------------------------------ reading
    def _read_one(self) -> tuple[int, float, np.ndarray] | None:
        """Decode the next picture: (frame number, timestamp, BGR image), or None on a failed
        read. Raises EndOfStream at the end of a file."""
        ok, img = self._cap.read()
        if not ok or img is None:
            if self.target_kind == "file":
                if self.loop and self._index > 0:
                    end = self._t0 + self._index / self.nominal_fps
                    self._rewind()
                    self._t0 = max(clock(), end)  # timestamps keep increasing over the loop
                    ok, img = self._cap.read()
                if not ok or img is None:
                    self._eof = True
                    raise EndOfStream
            else:
                return None
        idx = self._index
        self._index += 1
        if self.target_kind == "file":
            ts = self._t0 + idx / self.nominal_fps
        else:
            ts = clock()
        return idx, ts, img

    def _grab_loop(self) -> None:
        """Grab thread: decode at the device's (or file's) rate, keep the newest picture."""
        failing_since = None
        had_frame = False
        try:
            while not self._stop_event.is_set():
                if self.target_kind == "file" and self.realtime:
                    due = self._t0 + self._index / self.nominal_fps
                    wait = due - clock()
                    if wait > 0 and self._stop_event.wait(wait):
                        break
                item = self._read_one()
                if item is None:
                    now = clock()
                    failing_since = failing_since or now
                    if had_frame and now - failing_since > self.disconnect_after:
                        raise self._unplugged_error()
                    self._stop_event.wait(0.01)
                    continue
                failing_since = None
                had_frame = True
                with self._grab_cond:
                    if self._grabbed is not None:
                        self._count_dropped(1)
                    self._grabbed = item
                    self._grab_cond.notify_all()
        except BaseException as exc:  # handed to the capture thread, which reports it
            with self._grab_cond:
                self._grab_error = exc
                self._grab_cond.notify_all()

    def _unplugged_error(self) -> DeviceError:
        what = "camera" if self.target_kind == "camera" else "video stream"
        return DeviceError(
            f"The {what} '{self.name}' stopped sending pictures (unplugged or switched off?). "
            "Plug it back in, then click Retry.",
            code=ErrorCode.DISCONNECTED, device=self.name,
        )  # fmt: skip

    def _next_picture(self, timeout: float) -> tuple[int, float, np.ndarray] | None:
        if not self.threaded:
            item = self._read_one()
            if item is None:  # a live source read directly: treat like the grab thread does
                self._stop_event.wait(0.01)
            return item
        deadline = clock() + timeout
        with self._grab_cond:
            while self._grabbed is None:
                if self._grab_error is not None:
                    raise self._grab_error
                remaining = deadline - clock()
                if remaining <= 0 or self._stop_event.is_set():
                    return None
                self._grab_cond.wait(remaining)
            item, self._grabbed = self._grabbed, None
            return item

    def _capture(self, timeout: float) -> Frame | None:
        item = self._next_picture(timeout)
        if item is None:
            return None
        idx, ts, bgr = item
        import cv2

        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        if self._size is None:
            self._size = (rgb.shape[1], rgb.shape[0])
        return self.frame_from_image(rgb, ts, idx)

    def frame_from_image(self, rgb: np.ndarray, timestamp: float, index: int) -> Frame:
        """Run the pose estimator on one RGB picture and build the :class:`Frame`."""
        image = rgb if self.include_image else None
        res = self.estimator.estimate(rgb)
        if res is None or res.joints is None:
            kp = None if res is None else res.keypoints_2d
            return Frame.empty(timestamp, index, image=image, keypoints_2d=kp)
        joints = res.joints
        if self.place_in_camera:
            placed = place_in_camera(joints, res.keypoints_2d, res.confidence, self._intrinsics())
            if placed is not None:
                self._offset = placed[0] - joints[0]
                joints = placed
            else:
                joints = joints + (self._offset if self._offset is not None else DEFAULT_OFFSET)
        return Frame(timestamp, index, joints, res.confidence, image, res.keypoints_2d)


@register_source("video")
class VideoSource(WebcamSource):
    """A video file or stream URL (``video:PATH_OR_URL``); see :class:`WebcamSource`."""

    @classmethod
    def from_spec(cls, arg: str | None, **options) -> VideoSource:
        if not arg:
            raise DeviceError(
                "Say which video to open: 'video:/path/to/clip.mp4' or 'video:rtsp://...'.",
                code=ErrorCode.BAD_SPEC, retry=False,
            )  # fmt: skip
        return cls(os.path.expanduser(arg) if "://" not in arg else arg, **options)

    @classmethod
    def discover(cls) -> list[DeviceInfo]:
        return []
