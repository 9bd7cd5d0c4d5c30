"""One simulated attempt: movement + student + faults -> clean sequence, recording and labels.

:func:`simulate_attempt` is the API the demo, the live source and the data generator use::

    att = simulate_attempt("free_throw", seed=7, student=12, faults={"low_release": 0.8})
    att.recording          # engine.recording.Recording: sensor joints, confidence, timestamps,
                           # meta.extra with the labels (see LABEL_KEYS)
    att.labels.score       # 0-100 label (mean of three simulated raters)
    att.world_joints       # clean (T, 17, 3) world-frame sequence, floor at y = 0
    att.to_sample()        # engine.datasets.Sample for training

Determinism
    Everything follows from ``seed`` (an int or a sequence of ints for
    ``numpy.random.default_rng``). Four independent streams are spawned from it: faults,
    motion style, raters and sensor. So the same seed with other explicit faults keeps the
    same style (speed, amplitudes, camera), and turning the sensor off does not change the
    movement. Students come from ``make_student(index, population_seed)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine import __version__
from engine.datasets import Sample
from engine.movements import MOVEMENTS, Movement, load_movement
from engine.recording import Recording, RecordingMeta
from engine.simulator import free_throw, jump, overhead_pass, situps
from engine.simulator.body import Body, Student, make_student, sample_body
from engine.simulator.kinematics import to_world
from engine.simulator.motion import Motion, times_to_bounds
from engine.simulator.rubric import Labels, rate, rater_biases, sample_faults, validate_faults
from engine.simulator.sensor import (
    FPS,
    SensorConfig,
    camera_pose,
    frame_times,
    ideal_sensor,
    observe,
    sample_sensor,
    to_camera,
)

BUILDERS = {
    "standing_long_jump": jump.build,
    "sit_ups": situps.build,
    "free_throw": free_throw.build,
    "overhead_pass": overhead_pass.build,
}

#: Keys written into ``RecordingMeta.extra`` (the loaders of simulator output read these).
LABEL_KEYS = ("score", "stage_scores", "stage_bounds", "faults", "raters")

#: Nominal heading (degrees, see ``kinematics.to_world``) and its random spread: the jump,
#: sit-ups and free throw are filmed from the side (either side), the pass from the front.
HEADINGS = {
    "standing_long_jump": ((0.0, 180.0), 10.0),
    "sit_ups": ((0.0, 180.0), 10.0),
    "free_throw": ((0.0, 180.0), 25.0),
    "overhead_pass": ((-90.0,), 15.0),
}


@dataclass
class SimulatedAttempt:
    movement: str
    student: Student
    seed: object
    faults: dict[str, float]  # magnitudes in [0, 1] of the faults shown
    labels: Labels
    times: np.ndarray  # (T,) clean frame times, exactly 1/30 s apart
    world_joints: np.ndarray  # (T, 17, 3) clean, world frame, floor at y = 0
    stage_times: np.ndarray  # (4, 2) seconds
    stage_bounds: np.ndarray  # (4, 2) [start, end) frames of the clean sequence
    recording: Recording  # what the sensor saw
    recording_stage_bounds: np.ndarray  # (4, 2) frames of the recording
    sensor: SensorConfig
    heading_deg: float
    info: dict = field(default_factory=dict)  # movement facts (jump distance, repetitions ...)

    @property
    def repetitions(self) -> int | None:
        return self.info.get("repetitions")

    def fault_keys(self) -> list[str]:
        """Faults shown, the most costly (severity x magnitude) first."""
        mv = load_movement(self.movement)
        return sorted(self.faults, key=lambda k: -mv.fault(k).severity * self.faults[k])

    def to_sample(self) -> Sample:
        rec = self.recording
        mv = load_movement(self.movement)
        meta = {
            "faults": self.fault_keys(),
            "fault_magnitudes": dict(self.faults),
            "grade": self.labels.grade,
            "raters": [float(x) for x in self.labels.rater_scores],
            "true_score": self.labels.true_score,
            "seed": self.seed,
        }
        if self.repetitions is not None:
            meta["repetitions"] = self.repetitions
        return Sample(
            joints=rec.joints,
            score=self.labels.score,
            subject=self.student.id,
            movement=self.movement,
            confidence=rec.confidence,
            timestamps=rec.timestamps,
            sub_scores={k: float(v) for k, v in zip(mv.stage_keys, self.labels.stage_scores)},
            group="simulated",
            stage_bounds=self.recording_stage_bounds.copy(),
            stage_scores=self.labels.stage_scores.astype(np.float32),
            meta=meta,
        )


def _resolve_student(student, rng: np.random.Generator, population_seed: int) -> Student:
    if isinstance(student, Student):
        return student
    if isinstance(student, Body):  # a given body: an average, right-handed student
        return Student("sim-custom", student, 0.6, False)
    if student is None:
        return Student(
            "sim-anon", sample_body(rng), float(rng.beta(2.2, 1.6)), bool(rng.random() < 0.12)
        )
    return make_student(int(student), population_seed)


def simulate_attempt(
    movement: str,
    seed=0,
    student: Student | Body | int | None = None,
    faults: dict[str, float] | None = None,
    sensor: bool | SensorConfig = True,
    population_seed: int = 0,
    rater_panel: int = 0,
) -> SimulatedAttempt:
    """Simulate one attempt (see the module docstring).

    movement: one of ``engine.movements.MOVEMENTS``.
    student: a :class:`Student`, a :class:`Body` (an average right-handed student with
        that body, e.g. ``make_body(1.72)``), an index into the population of
        ``population_seed``, or None for a random student drawn from the seed.
    faults: ``{fault_key: magnitude in [0, 1]}`` to show exactly these faults (``{}`` for a
        clean attempt), or None to draw them from the student's skill.
    sensor: True for random sensor effects, False for an ideal sensor (camera at yaw 0,
        3.5 m, no noise, exact frame times), or an explicit :class:`SensorConfig`.
    """
    if movement not in BUILDERS:
        raise ValueError(f"unknown movement {movement!r}; known: {MOVEMENTS}")
    mv: Movement = load_movement(movement)
    root = np.random.SeedSequence(
        list(np.atleast_1d(seed).astype(np.int64) % (2**32)) + [MOVEMENTS.index(movement)]
    )
    r_student, r_faults, r_motion, r_raters, r_sensor = (
        np.random.default_rng(s) for s in root.spawn(5)
    )
    stu = _resolve_student(student, r_student, population_seed)
    fl = sample_faults(mv, stu.skill, r_faults) if faults is None else validate_faults(mv, faults)

    motion: Motion = BUILDERS[movement](stu, fl, r_motion)
    headings, spread = HEADINGS[movement]
    heading = float(r_motion.choice(headings) + r_motion.uniform(-spread, spread))
    origin = np.array([r_motion.uniform(-0.3, 0.3), 0.0, r_motion.uniform(-0.3, 0.3)])

    n = int(np.floor(motion.duration * FPS + 1e-9)) + 1
    times = np.arange(n) / FPS
    world = to_world(motion.pose(times), heading, origin)
    stage_bounds = times_to_bounds(motion.stage_times, times)
    labels = rate(mv, fl, r_raters, rater_biases(rater_panel))

    if sensor is True:
        cfg = sample_sensor(movement, motion.duration, r_sensor)
    elif sensor is False or sensor is None:
        cfg = ideal_sensor()
    else:
        cfg = sensor
    centre = 0.5 * (world[:, 0].min(axis=0) + world[:, 0].max(axis=0))
    cam_pos, axes = camera_pose(cfg, centre)
    t_rec = frame_times(motion.duration, cfg, r_sensor)
    clean_rec = (
        world if np.array_equal(t_rec, times) else to_world(motion.pose(t_rec), heading, origin)
    )
    joints, conf = observe(to_camera(clean_rec, cam_pos, axes), t_rec, cfg, r_sensor)
    rec_bounds = times_to_bounds(motion.stage_times, t_rec)

    extra = {
        "score": round(labels.score, 3),
        "stage_scores": [round(float(x), 3) for x in labels.stage_scores],
        "stage_bounds": rec_bounds.tolist(),
        "faults": sorted(fl, key=lambda k: -mv.fault(k).severity * fl[k]),
        "raters": [round(float(x), 3) for x in labels.rater_scores],
        "grade": labels.grade,
        "fault_magnitudes": {k: round(v, 4) for k, v in fl.items()},
        "rater_stage_scores": [[round(float(x), 3) for x in r] for r in labels.rater_stage_scores],
        "true_score": round(labels.true_score, 3),
        "stage_keys": list(mv.stage_keys),
        "simulator": {
            "seed": np.atleast_1d(seed).astype(int).tolist(),
            "population_seed": population_seed,
            "rater_panel": rater_panel,
            "heading_deg": round(heading, 3),
            "sensor": cfg.as_dict(),
            "student": stu.as_dict(),
        },  # fmt: skip
    }
    info = {k: v for k, v in motion.info.items() if k != "flight_com"}
    if "repetitions" in motion.info:
        extra["repetitions"] = int(motion.info["repetitions"])
        # frames where each repetition's curl-up, top, return start and where it ends
        extra["rep_frames"] = np.searchsorted(
            t_rec, np.array(motion.info["rep_times"]) - 1e-9
        ).tolist()
    extra["movement_info"] = info
    meta = RecordingMeta(
        movement=movement,
        student_id=stu.id,
        device_name="KineScore simulator",
        device_serial=f"sim-{__version__}",
        frame_rate=FPS,
        calibration={
            "camera_position": [round(float(x), 4) for x in cam_pos],
            "yaw_deg": round(cfg.yaw_deg, 3),
            "height_m": round(cfg.height, 3),
            "distance_m": round(cfg.distance, 3),
        },  # fmt: skip
        extra=extra,
    )
    rec = Recording(joints=joints, confidence=conf, timestamps=t_rec.astype(np.float64), meta=meta)
    rec.validate()
    return SimulatedAttempt(
        movement=movement, student=stu, seed=seed, faults=fl, labels=labels, times=times,
        world_joints=world, stage_times=motion.stage_times, stage_bounds=stage_bounds,
        recording=rec, recording_stage_bounds=rec_bounds, sensor=cfg, heading_deg=heading,
        info={**info, "flight_com": motion.info.get("flight_com")},
    )  # fmt: skip
