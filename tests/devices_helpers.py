"""Test doubles and data makers for the device tests: a fake camera (``cv2.VideoCapture``
look-alike), fake pose estimators, a generated video of a real photograph, a synthetic
recording. Hardware and models are replaced here only; the code under test is the real one."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np

from devices.benchmark import astronaut_video  # noqa: F401 - re-exported for the tests
from devices.pose import PoseEstimator, PoseResult
from engine.recording import Recording, RecordingMeta, save_recording
from engine.skeleton import NUM_JOINTS, canonical_to_opencv_camera

# a standing person, canonical metres, pelvis-relative (x right as seen, y up, z to camera)
STANDING = np.array([
    [0.0, 0.0, 0], [-0.1, -0.02, 0], [-0.1, -0.45, 0.02], [-0.1, -0.87, 0],
    [0.1, -0.02, 0], [0.1, -0.45, 0.02], [0.1, -0.87, 0], [0.0, 0.25, 0],
    [0.0, 0.5, 0], [0.0, 0.6, 0], [0.0, 0.73, 0.02], [0.19, 0.47, 0],
    [0.22, 0.2, 0.05], [0.24, -0.05, 0.1], [-0.19, 0.47, 0], [-0.22, 0.2, 0.05],
    [-0.24, -0.05, 0.1],
], dtype=np.float32)  # fmt: skip


class FakeCamera:
    """``cv2.VideoCapture`` stand-in: a camera producing 320x240 BGR pictures at ``fps``.

    Pictures are grey with a bright square when a person is "in view" (``person(i)``), which
    :class:`MarkerEstimator` detects. ``unplug_after``: reads fail from that picture on.
    ``dead``: opens but never delivers. ``missing``: does not open at all.
    """

    instances: list[FakeCamera] = []

    def __init__(self, target=0, *, fps=60.0, person=lambda i: True, unplug_after=None,
                 dead=False, missing=False, size=(320, 240)):  # fmt: skip
        self.target = target
        self.fps = fps
        self.person = person
        self.unplug_after = unplug_after
        self.dead = dead
        self.missing = missing
        self.size = size
        self.i = 0
        self.released = False
        self._t0 = None
        self.props: dict[int, float] = {}
        self.reader_threads: set[int] = set()
        FakeCamera.instances.append(self)

    @classmethod
    def factory(cls, **kwargs):
        return lambda target: cls(target, **kwargs)

    def isOpened(self) -> bool:  # noqa: N802 - OpenCV's name
        return not self.missing and not self.released

    def read(self):
        self.reader_threads.add(threading.get_ident())
        if self.released or self.dead or (
            self.unplug_after is not None and self.i >= self.unplug_after
        ):
            time.sleep(0.005)
            return False, None
        now = time.monotonic()
        if self._t0 is None:
            self._t0 = now
        due = self._t0 + self.i / self.fps
        if due > now:
            time.sleep(due - now)
        w, h = self.size
        img = np.full((h, w, 3), 60, np.uint8)
        if self.person(self.i):
            img[h // 4 : h // 2, w // 4 : w // 2] = 250
        self.i += 1
        return True, img

    def get(self, prop: int) -> float:
        import cv2

        return {
            cv2.CAP_PROP_FPS: self.fps,
            cv2.CAP_PROP_FRAME_WIDTH: float(self.size[0]),
            cv2.CAP_PROP_FRAME_HEIGHT: float(self.size[1]),
        }.get(prop, self.props.get(prop, 0.0))

    def set(self, prop: int, value: float) -> bool:
        self.props[prop] = value
        return True

    def release(self) -> None:
        self.released = True


class MarkerEstimator(PoseEstimator):
    """Finds the "person" FakeCamera draws (a bright square) and returns :data:`STANDING`
    with keypoints spread over the square. Counts calls and which threads made them."""

    name = "marker"

    def __init__(self, delay: float = 0.0):
        self.delay = delay
        self.calls = 0
        self.threads: set[int] = set()
        self.closed = False

    def estimate(self, image_rgb):
        self.calls += 1
        self.threads.add(threading.get_ident())
        if self.delay:
            time.sleep(self.delay)
        mask = image_rgb[..., 0] > 200
        if not mask.any():
            return None
        ys, xs = np.nonzero(mask)
        x0, x1, y0, y1 = xs.min(), xs.max(), ys.min(), ys.max()
        rel = STANDING[:, :2]
        kp = np.stack([x0 + (rel[:, 0] + 0.3) / 0.6 * (x1 - x0),
                       y0 + (0.8 - rel[:, 1]) / 1.7 * (y1 - y0)], -1)  # fmt: skip
        return PoseResult(kp.astype(np.float32), np.full(NUM_JOINTS, 0.9, np.float32), STANDING)

    def close(self):
        self.closed = True


class WorldEstimator(PoseEstimator):
    """For the fake Kinect: returns the scene's true keypoints (``fake_pyk4a.WORLD``) and the
    true pelvis-relative body, as a perfect 2D/3D pose estimator would."""

    name = "world"

    def __init__(self, world):
        self.world = world

    def estimate(self, image_rgb):
        w = self.world
        if w.last_keypoints is None:
            return None
        truth_canon = canonical_from_cv_mm(w.last_truth)
        rel = truth_canon - truth_canon[0]
        return PoseResult(w.last_keypoints.copy(), np.full(NUM_JOINTS, 0.95, np.float32), rel)


def canonical_from_cv_mm(p_mm: np.ndarray) -> np.ndarray:
    return canonical_to_opencv_camera(np.asarray(p_mm, np.float32) / 1000.0)


def synthetic_recording(frames: int = 45, fps: float = 30.0, imu: bool = True,
                        empty: tuple[int, ...] = ()) -> Recording:  # fmt: skip
    """A short recording of a person swaying; frames in ``empty`` have nobody in view."""
    t = np.arange(frames) / fps + 100.0
    joints = np.repeat(STANDING[None], frames, 0).copy()
    joints[:, :, 0] += 0.1 * np.sin(2 * np.pi * 0.5 * (t - t[0]))[:, None]
    joints[:, :, 2] -= 2.5
    conf = np.full((frames, NUM_JOINTS), 0.9, np.float32)
    for i in empty:
        joints[i] = np.nan
        conf[i] = 0.0
    imu_arr = None
    if imu:
        ti = np.arange(t[0], t[-1], 1 / (4 * fps))
        imu_arr = np.column_stack([ti, np.zeros((len(ti), 6))])
        imu_arr[:, 2] = -9.81
    meta = RecordingMeta(movement="sit_ups", student_id="S1", device_name="Test rig",
                         device_serial="X1", frame_rate=fps)  # fmt: skip
    return Recording(joints, conf, t, meta, imu=imu_arr)


def save_synthetic_recording(path: Path, **kwargs) -> Path:
    return save_recording(synthetic_recording(**kwargs), path)
