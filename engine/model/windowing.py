"""How a whole attempt becomes the network's fixed windows, the same in training, evaluation
and the scorer (stored in every checkpoint as the *window rule*).

Preprocessing is :func:`engine.preprocess.prepare` (missing-joint fill, eq. 2 normalization)
on the attempt resampled to ``fps``; then, by ``rule``:

* ``"resample"`` (sports attempts, 1-10 s): the whole attempt uniformly resampled to
  ``window`` frames (the preprocessing helper's rule); one window per attempt.
* ``"crop"`` (long recordings such as KIMORE's 20-60 s exercises): windows of ``window``
  consecutive frames at ``fps``; training draws random crops, testing averages
  ``test_windows`` evenly spaced crops into one prediction per sequence. A recording shorter
  than a window is padded by holding its last frame.

Input without timestamps is taken to be at :data:`INPUT_FPS` (30 Hz, KineScore's capture rate).

``keep_root`` (default True): eq. 2 centres every frame on its own joint mean, which erases
whole-body motion (squat depth, a jump's distance, a sit-up's rise of the trunk centre). We
add back the centre's displacement since the first frame, in trunk lengths (the ``root``
that :func:`engine.preprocess.prepare` keeps), so the network sees it; the body scale is
still removed. Set it False for the literal per-frame eq. 2.

``face_align`` (default False; not in the paper): one rotation per attempt about the vertical
axis that turns the body's left-right axis (left hip minus right hip plus left shoulder minus
right shoulder, summed over the attempt) onto +x, the direction of a student facing the
camera (:func:`facing_angle`). The paper keeps the camera's view and lets the rotation
augmentation (eq. 4) teach the network that the yaw does not matter; with ``face_align`` the
yaw of the camera (the simulator turns it by up to 30 degrees, a gym tripod is rarely square
to the run-up) is removed before the network sees the attempt, so a take-off angle or a knee
bend is the same numbers from every viewpoint. It is one angle per attempt, so a student who
turns during the attempt still turns in the input. Both hips and both shoulders lie left-right
in all four sports (lying on the back included) and in the rehabilitation exercises.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from engine.preprocess import PrepConfig, prepare
from engine.preprocess.augment import rotate_y
from engine.preprocess.window import to_window
from engine.skeleton import JOINT_INDEX

INPUT_FPS = 30.0


@dataclass(frozen=True)
class WindowSpec:
    window: int = 90
    fps: float = 30.0
    rule: str = "resample"
    test_windows: int = 8
    keep_root: bool = True
    face_align: bool = False

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> WindowSpec:
        return cls(int(d["window"]), float(d["fps"]), str(d["rule"]), int(d["test_windows"]),
                   bool(d.get("keep_root", False)), bool(d.get("face_align", False)))

    @classmethod
    def from_config(cls, data_cfg) -> WindowSpec:
        return cls(data_cfg.window, data_cfg.fps, data_cfg.window_rule, data_cfg.test_windows,
                   data_cfg.keep_root, data_cfg.face_align)


_ACROSS = ((JOINT_INDEX["left_hip"], JOINT_INDEX["right_hip"]),
           (JOINT_INDEX["left_shoulder"], JOINT_INDEX["right_shoulder"]))


def facing_angle(joints) -> float:
    """The yaw (radians) of a (T, 17, 3) attempt's left-right body axis in the x-z plane:
    ``rotate_y(joints, facing_angle(joints))`` turns that axis onto +x. 0 for a student facing
    the camera, and for an attempt without a usable axis (every frame NaN or a point)."""
    j = np.asarray(joints, dtype=np.float64)
    across = sum(j[:, left] - j[:, right] for left, right in _ACROSS)
    v = np.nansum(across, axis=0)
    if not np.isfinite(v).all() or np.hypot(v[0], v[2]) < 1e-9:
        return 0.0
    return float(np.arctan2(v[2], v[0]))


def prepare_sequence(joints, confidence=None, timestamps=None, spec: WindowSpec = WindowSpec(),
                     stage_bounds=None):
    """Normalized full sequence at ``spec.fps`` (a :class:`engine.preprocess.Prepared`)."""
    joints = np.asarray(joints)
    if timestamps is None:
        timestamps = np.arange(len(joints)) / INPUT_FPS
    prep = prepare(joints, confidence, timestamps, stage_bounds=stage_bounds,
                   config=PrepConfig(fps=spec.fps, window=None))
    if spec.keep_root:
        prep.joints = (prep.joints + prep.root[:, None, :]).astype(np.float32)
    if spec.face_align:  # one yaw for the whole attempt, about the (centred) vertical axis
        alpha = facing_angle(prep.joints)
        prep.joints = rotate_y(prep.joints, alpha).astype(np.float32)
        prep.root = rotate_y(prep.root, alpha).astype(np.float32)
        prep.report["face_align_deg"] = float(np.degrees(alpha))
    return prep


def window_starts(length: int, spec: WindowSpec) -> np.ndarray:
    """Start frames of the test windows of a sequence of ``length`` frames (crop rule)."""
    if length <= spec.window:
        return np.zeros(1, int)
    n = spec.test_windows
    return np.unique(np.round(np.linspace(0, length - spec.window, n)).astype(int))


def crop(seq: np.ndarray, start: int, window: int) -> np.ndarray:
    if len(seq) <= window:
        return to_window(seq, window, "center")
    return seq[start:start + window]


def test_windows(seq: np.ndarray, spec: WindowSpec) -> tuple[np.ndarray, np.ndarray]:
    """Windows ``(n, W, 17, 3)`` and their start frames (resample rule: one window, start 0)."""
    if spec.rule == "resample":
        return to_window(seq, spec.window, "resample")[None].astype(np.float32), np.zeros(1, int)
    starts = window_starts(len(seq), spec)
    return np.stack([crop(seq, s, spec.window) for s in starts]).astype(np.float32), starts


def random_window(seq: np.ndarray, spec: WindowSpec, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """One training window and its start frame (resample rule: the whole attempt)."""
    if spec.rule == "resample":
        return to_window(seq, spec.window, "resample").astype(np.float32), 0
    if len(seq) <= spec.window:
        return crop(seq, 0, spec.window).astype(np.float32), 0
    s = int(rng.integers(0, len(seq) - spec.window + 1))
    return seq[s:s + spec.window].astype(np.float32), s


def window_frames(spec: WindowSpec, length: int, start: int) -> tuple[float, float]:
    """The span ``[a, b)`` of sequence frames (at ``spec.fps``) a window covers."""
    if spec.rule == "resample":
        return 0.0, float(length)
    return float(start), float(min(start + spec.window, max(length, spec.window)))


def to_input_frames(frames_at_fps, spec: WindowSpec, input_fps: float = INPUT_FPS):
    """Frame indices at ``spec.fps`` -> frame indices of the 30 Hz input."""
    return np.asarray(frames_at_fps, float) * input_fps / spec.fps
