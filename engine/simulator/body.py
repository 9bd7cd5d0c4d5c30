"""Simulated students: body dimensions, flexibility, skill and handedness.

Bone lengths are fractions of standing height after the anthropometric tables of Drillis &
Contini (as reprinted in Winter, *Biomechanics and Motor Control of Human Movement*), adapted
to the joint *centres* of the 17-joint layout (e.g. the hip joints sit closer together than
the hip breadth). Each student scales the leg, trunk, arm and width fractions by their own
factors (about ±3-5 %), so proportions vary between students; a student's bones never change
length within or between sequences.

Heights are drawn from N(1.65 m, 0.09 m) clipped to 145-185 cm (12-18 year-olds of both
sexes, as in the paper's section 6.1). ``flexibility`` (0-1) widens the ranges of motion the
movements use (crouch depth, trunk lean, curl); ``skill`` (0-1) is the latent ability that
makes faults rarer and milder (``engine.simulator.rubric``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

HEIGHT_RANGE = (1.45, 1.85)


@dataclass(frozen=True)
class Body:
    height: float
    thigh: float  # hip -> knee
    shank: float  # knee -> ankle
    ankle_height: float  # ankle joint above the floor, foot flat
    foot: float  # ankle -> ball of the foot, horizontally
    hip_width: float  # pelvis -> each hip joint
    lumbar: float  # pelvis -> spine
    thoracic: float  # spine -> thorax
    neck: float  # thorax -> neck
    head: float  # neck -> head
    shoulder_width: float  # thorax -> each shoulder, across
    shoulder_drop: float  # shoulders sit this far below the thorax, along the trunk
    upper_arm: float  # shoulder -> elbow
    forearm: float  # elbow -> wrist
    back_depth: float  # pelvis/thorax joint height above the mat when lying
    flexibility: float  # 0 (stiff) .. 1 (supple)

    @property
    def leg(self) -> float:
        return self.thigh + self.shank

    @property
    def arm(self) -> float:
        return self.upper_arm + self.forearm

    def bone_lengths(self) -> np.ndarray:
        """The 16 bone lengths in the order of ``engine.skeleton.EDGES``."""
        sh = float(np.hypot(self.shoulder_width, self.shoulder_drop))
        return np.array([
            self.hip_width, self.thigh, self.shank, self.hip_width, self.thigh, self.shank,
            self.lumbar, self.thoracic, self.neck, self.head, sh, self.upper_arm, self.forearm,
            sh, self.upper_arm, self.forearm,
        ])  # fmt: skip

    def as_dict(self) -> dict:
        return {k: round(float(v), 5) for k, v in asdict(self).items()}


def make_body(
    height: float,
    legs: float = 1.0,
    trunk: float = 1.0,
    arms: float = 1.0,
    width: float = 1.0,
    flexibility: float = 0.5,
) -> Body:
    """A body of ``height`` metres with proportion factors (1 = average proportions)."""
    h = float(height)
    return Body(
        height=h,
        thigh=0.245 * h * legs,
        shank=0.246 * h * legs,
        ankle_height=0.039 * h,
        foot=0.10 * h,
        hip_width=0.055 * h * width,
        lumbar=0.14 * h * trunk,
        thoracic=0.15 * h * trunk,
        neck=0.06 * h,
        head=0.065 * h,
        shoulder_width=0.10 * h * width,
        shoulder_drop=0.02 * h,
        upper_arm=0.186 * h * arms,
        forearm=0.146 * h * arms,
        back_depth=0.058 * h * width,
        flexibility=float(flexibility),
    )


def sample_body(rng: np.random.Generator) -> Body:
    height = float(np.clip(rng.normal(1.65, 0.09), *HEIGHT_RANGE))
    f = np.clip(rng.normal(1.0, [0.03, 0.03, 0.035, 0.05]), 0.9, 1.1)
    return make_body(height, *f, flexibility=float(rng.beta(2.0, 2.0)))


@dataclass(frozen=True)
class Student:
    """One simulated student: the same body, skill and handedness in every movement."""

    id: str
    body: Body
    skill: float  # 0 (many, large faults) .. 1 (few, small faults)
    left_handed: bool

    def as_dict(self) -> dict:
        return {"id": self.id, "skill": round(self.skill, 4), "left_handed": self.left_handed,
                "body": self.body.as_dict()}  # fmt: skip


def student_id(index: int) -> str:
    return f"sim{index:04d}"


def make_student(index: int, population_seed: int = 0) -> Student:
    """Student number ``index`` of the population drawn from ``population_seed`` (the same
    index and seed always give the same student)."""
    rng = np.random.default_rng([int(population_seed), 0x5717, int(index)])
    body = sample_body(rng)
    skill = float(rng.beta(2.2, 1.6))
    return Student(student_id(index), body, skill, bool(rng.random() < 0.12))
