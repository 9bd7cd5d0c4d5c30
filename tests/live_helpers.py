"""Fakes for the live scorer and GUI tests: synthetic skeleton sequences and a deterministic
scorer. (Test-only: the app never fakes a score.)"""

from __future__ import annotations

import math

import numpy as np

from engine.grading import default_grading
from engine.scoring import ScoreResult
from engine.skeleton import JOINT_INDEX, NUM_JOINTS

FPS = 30.0

_STAND = {
    "pelvis": (0.0, 0.95, 0.0), "right_hip": (-0.1, 0.95, 0.0), "right_knee": (-0.1, 0.5, 0.0),
    "right_ankle": (-0.1, 0.08, 0.0), "left_hip": (0.1, 0.95, 0.0), "left_knee": (0.1, 0.5, 0.0),
    "left_ankle": (0.1, 0.08, 0.0), "spine": (0.0, 1.2, 0.0), "thorax": (0.0, 1.45, 0.0),
    "neck": (0.0, 1.55, 0.0), "head": (0.0, 1.7, 0.0), "left_shoulder": (0.18, 1.45, 0.0),
    "left_elbow": (0.2, 1.15, 0.0), "left_wrist": (0.22, 0.9, 0.0),
    "right_shoulder": (-0.18, 1.45, 0.0), "right_elbow": (-0.2, 1.15, 0.0),
    "right_wrist": (-0.22, 0.9, 0.0),
}  # fmt: skip
UPPER = [JOINT_INDEX[n] for n in ("spine", "thorax", "neck", "head", "left_shoulder",
                                  "left_elbow", "left_wrist", "right_shoulder", "right_elbow",
                                  "right_wrist")]  # fmt: skip


def standing_pose() -> np.ndarray:
    p = np.zeros((NUM_JOINTS, 3), np.float32)
    for name, xyz in _STAND.items():
        p[JOINT_INDEX[name]] = xyz
    p[:, 2] -= 3.0  # 3 m in front of the camera
    p[:, 1] -= 1.0  # camera 1 m above the floor
    return p


def jump_sequence(still_s=1.5, move_s=1.2, rest_s=2.5, fps=FPS, noise=0.0, seed=0, t0=100.0):
    """(timestamps, joints): still, a 1.5 m forward jump with a 0.3 m high arc, still."""
    base = standing_pose()
    n1, n2, n3 = (int(round(s * fps)) for s in (still_s, move_s, rest_s))
    frames = [base] * n1
    for i in range(n2):
        u = (i + 1) / n2
        p = base.copy()
        p[:, 2] += 1.5 * (0.5 - 0.5 * math.cos(math.pi * u))  # towards the camera
        p[:, 1] += 0.3 * math.sin(math.pi * u)
        frames.append(p)
    frames += [frames[-1]] * n3
    j = np.stack(frames).astype(np.float32)
    if noise:
        j = j + np.random.default_rng(seed).normal(0, noise, j.shape).astype(np.float32)
    t = t0 + np.arange(len(j)) / fps
    return t, j


def lying_pose(angle_deg: float) -> np.ndarray:
    """A student on their back along x, trunk raised by ``angle_deg`` about the hips."""
    p = np.zeros((NUM_JOINTS, 3), np.float32)
    # legs: hips at x = 0, knees up, feet flat
    for side, z in (("right", -0.1), ("left", 0.1)):
        p[JOINT_INDEX[f"{side}_hip"]] = (0.0, 0.1, z)
        p[JOINT_INDEX[f"{side}_knee"]] = (0.35, 0.4, z)
        p[JOINT_INDEX[f"{side}_ankle"]] = (0.7, 0.08, z)
    p[JOINT_INDEX["pelvis"]] = (0.0, 0.1, 0.0)
    a = math.radians(angle_deg)
    along = np.array([-math.cos(a), math.sin(a), 0.0])  # trunk direction (head end)
    for name, d, z in (("spine", 0.25, 0), ("thorax", 0.5, 0), ("neck", 0.6, 0),
                       ("head", 0.75, 0), ("left_shoulder", 0.5, 0.18),
                       ("right_shoulder", 0.5, -0.18), ("left_elbow", 0.6, 0.25),
                       ("right_elbow", 0.6, -0.25), ("left_wrist", 0.7, 0.1),
                       ("right_wrist", 0.7, -0.1)):  # fmt: skip
        p[JOINT_INDEX[name]] = np.array([0.0, 0.1, z]) + d * along
    p[:, 2] -= 3.0
    p[:, 1] -= 1.0
    return p


def situp_sequence(reps=3, still_s=1.5, rep_s=1.6, rest_s=3.5, fps=FPS, t0=50.0):
    n_rep = int(round(rep_s * fps))
    angles = [0.0] * int(still_s * fps)
    for _ in range(reps):
        angles += [80.0 * math.sin(math.pi * (i + 1) / n_rep) for i in range(n_rep)]
    angles += [0.0] * int(rest_s * fps)
    j = np.stack([lying_pose(a) for a in angles]).astype(np.float32)
    return t0 + np.arange(len(j)) / fps, j


class FakeScorer:
    """Deterministic scores from the input: score = 55 + 40 * (frames mod 11) / 10 clipped;
    stages split the input into quarters; stage scores around the score; the right knee
    and the right ankle carry most of the joint contribution."""

    model_version = "fake-1"

    def __init__(self, fail: bool = False):
        self.calls: list[int] = []
        self.fail = fail

    def score(self, joints: np.ndarray, movement: str) -> ScoreResult:
        assert joints.ndim == 3 and joints.shape[1:] == (NUM_JOINTS, 3)
        assert np.isfinite(joints).all(), "the live scorer must fill missing joints"
        if self.fail:
            raise RuntimeError("model exploded")
        t = len(joints)
        self.calls.append(t)
        score = float(min(100.0, 55 + 40 * (t % 11) / 10))
        q = t / 4
        bounds = np.array([[i * q, (i + 1) * q] for i in range(4)])
        contrib = np.full(NUM_JOINTS, 0.2 / (NUM_JOINTS - 2))
        contrib[JOINT_INDEX["right_knee"]] = 0.5
        contrib[JOINT_INDEX["right_ankle"]] = 0.3
        g = default_grading()
        probs = np.zeros(5)
        probs[g.grade_index(score)] = 1.0
        return ScoreResult(
            score=score, grade=g.grade(score), grade_probs=probs,
            stage_scores=np.clip(score + np.array([-6.0, 2.0, 5.0, -3.0]), 0, 100),
            stage_bounds=bounds, temporal_attention=np.full(t, 1.0 / t),
            joint_contribution=contrib, feedback=["stage:pre_swing", "fault:arms_no_swing"],
            model_version=self.model_version,
        )  # fmt: skip


class MemorySink:
    """An AttemptSink that remembers every call."""

    def __init__(self, fail_finish: int = 0):
        self.calls: list[str] = []
        self.frames = 0
        self.finished = None
        self.fail_finish = fail_finish  # fail this many finish() calls

    def begin(self, movement, first_timestamp):
        self.calls.append("begin")

    def append(self, timestamps, joints, confidence):
        self.calls.append("append")
        self.frames += len(timestamps)

    def finish(self, attempt):
        self.calls.append("finish")
        if self.fail_finish:
            self.fail_finish -= 1
            raise OSError("database is locked")
        self.finished = attempt
        return {"id": 1, "frames": len(attempt.timestamps)}

    def abort(self):
        self.calls.append("abort")
