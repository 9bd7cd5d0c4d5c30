"""The movement simulator: physical plausibility, stages, faults, labels, determinism,
repetition counting, sensor effects, data sets and the ``synth`` command."""

import csv

import numpy as np
import pytest

from engine.cli import main as cli_main
from engine.datasets import Sample
from engine.grading import GRADES
from engine.movements import MOVEMENTS, load_movement
from engine.recording import load_recording
from engine.simulator import (
    LABEL_KEYS,
    SitupRepCounter,
    count_situp_reps,
    generate_dataset,
    make_student,
    plan_attempts,
    simulate_attempt,
)
from engine.simulator.body import HEIGHT_RANGE
from engine.simulator.kinematics import G, Track, center_of_mass
from engine.simulator.rubric import icc, rate, sample_faults
from engine.simulator.sensor import SensorConfig
from engine.skeleton import JOINT_INDEX, bone_lengths

SEEDS = range(6)
ANKLES = [JOINT_INDEX["right_ankle"], JOINT_INDEX["left_ankle"]]


def _faults(movement, seed):
    """Seed 0: clean; 1: every fault at full magnitude; others: random subsets."""
    keys = load_movement(movement).fault_keys
    if seed == 0:
        return {}
    if seed == 1:
        return {k: 1.0 for k in keys}
    rng = np.random.default_rng(seed)
    return {k: float(rng.uniform(0.2, 1.0)) for k in keys if rng.random() < 0.5}


@pytest.fixture(scope="module")
def attempts():
    """Clean-sensor and noisy attempts for every movement and a few seeds (built once)."""
    out = {}
    for mv in MOVEMENTS:
        for seed in SEEDS:
            out[mv, seed] = simulate_attempt(mv, seed=seed, student=seed, faults=_faults(mv, seed))
    return out


# --------------------------------------------------------------------------- plausibility
@pytest.mark.parametrize("movement", MOVEMENTS)
def test_bone_lengths_constant_to_1mm(attempts, movement):
    for seed in SEEDS:
        a = attempts[movement, seed]
        bl = bone_lengths(a.world_joints)
        assert np.ptp(bl, axis=0).max() < 1e-3, (movement, seed)
        assert np.allclose(bl[0], a.student.body.bone_lengths(), atol=1e-6)


@pytest.mark.parametrize("movement", MOVEMENTS)
def test_no_joint_below_the_floor(attempts, movement):
    for seed in SEEDS:
        a = attempts[movement, seed]
        assert a.world_joints[..., 1].min() >= 0.0, (movement, seed)
        # ankles never below their standing height (the foot is not modelled below it)
        ah = a.student.body.ankle_height
        assert a.world_joints[:, ANKLES, 1].min() >= ah - 1e-6, (movement, seed)


def _static(joints, frames):
    seg = joints[frames][:, ANKLES]
    return np.abs(seg - seg[:1]).max()


@pytest.mark.parametrize(
    "movement, stages",
    [("standing_long_jump", (0,)), ("sit_ups", (0, 1, 2, 3)), ("free_throw", (0, 1)),
     ("overhead_pass", (0,))],
)  # fmt: skip
def test_feet_stay_on_the_ground_while_standing(attempts, movement, stages):
    for seed in SEEDS:
        a = attempts[movement, seed]
        b = a.stage_bounds
        frames = np.arange(b[stages[0], 0], b[stages[-1], 1])
        assert _static(a.world_joints, frames) < 1e-3, (movement, seed)
        assert (
            np.abs(a.world_joints[frames][:, ANKLES, 1] - a.student.body.ankle_height).max() < 1e-3
        )


def test_feet_stay_where_the_jump_lands(attempts):
    for seed in SEEDS:
        a = attempts["standing_long_jump", seed]
        land = np.arange(a.stage_bounds[3, 0], a.stage_bounds[3, 1])
        assert _static(a.world_joints, land) < 1e-3, seed
        # and the landing is ahead of the take-off
        f = a.world_joints[land[0], ANKLES].mean(0) - a.world_joints[0, ANKLES].mean(0)
        assert np.hypot(f[0], f[2]) > 0.3, seed


def test_jump_flight_is_a_ballistic_parabola(attempts):
    tested = 0
    for seed in SEEDS:
        a = attempts["standing_long_jump", seed]
        s, e = a.stage_bounds[2]
        t = a.times[s:e]
        com = center_of_mass(a.world_joints[s:e])
        assert len(t) >= 3, seed  # even the worst jump flies 0.1 s
        if len(t) < 6:
            continue
        tested += 1
        for axis in range(3):
            coef = np.polyfit(t, com[:, axis], 2)
            resid = com[:, axis] - np.polyval(coef, t)
            assert np.abs(resid).max() < 1e-3, (seed, axis)
            if axis == 1:
                assert coef[0] == pytest.approx(-G / 2, rel=1e-3)
            else:
                assert abs(coef[0]) < 1e-3  # horizontal velocity is constant
    assert tested >= 4


def test_jump_facts_are_plausible(attempts):
    clean = attempts["standing_long_jump", 0].info
    assert 1.2 < clean["jump_distance_m"] < 2.8
    assert 30 < clean["take_off_angle_deg"] < 55
    assert 0.3 < clean["flight_time_s"] < 0.7


@pytest.mark.parametrize("movement", MOVEMENTS)
def test_sequences_are_3_to_10_seconds_at_30fps(attempts, movement):
    for seed in SEEDS:
        a = attempts[movement, seed]
        assert np.allclose(np.diff(a.times), 1 / 30)
        assert 3.0 <= a.times[-1] + 1 / 30 and a.times[-1] <= 10.0


def test_bodies_span_the_height_range():
    heights = np.array([make_student(i).body.height for i in range(300)])
    assert heights.min() >= HEIGHT_RANGE[0] and heights.max() <= HEIGHT_RANGE[1]
    assert heights.min() < 1.52 and heights.max() > 1.78
    legs = np.array([make_student(i).body.thigh / make_student(i).body.height for i in range(50)])
    assert legs.std() > 0.003  # proportions vary between students


# --------------------------------------------------------------------------- stages
@pytest.mark.parametrize("movement", MOVEMENTS)
def test_stage_bounds_ordered_and_inside(attempts, movement):
    for seed in SEEDS:
        a = attempts[movement, seed]
        for bounds, n in ((a.stage_bounds, len(a.times)),
                          (a.recording_stage_bounds, a.recording.num_frames)):  # fmt: skip
            assert bounds.shape == (4, 2)
            assert bounds[0, 0] == 0 and bounds[-1, 1] <= n
            assert (bounds[:, 1] > bounds[:, 0]).all()
            assert (bounds[1:, 0] == bounds[:-1, 1]).all()  # contiguous
        if movement != "sit_ups":  # the four stages cover the whole attempt
            assert a.stage_bounds[-1, 1] == len(a.times)
        assert a.recording.meta.extra["stage_bounds"] == a.recording_stage_bounds.tolist()


def test_recording_bounds_follow_dropped_frames():
    a = simulate_attempt("free_throw", seed=3, student=3, faults={},
                         sensor=SensorConfig(drop_prob=0.2))  # fmt: skip
    ts = a.recording.timestamps
    assert a.recording.num_frames < len(a.times)
    for p in range(1, 4):
        start = a.recording_stage_bounds[p, 0]
        assert ts[start] >= a.stage_times[p, 0] - 1e-9
        assert ts[start - 1] < a.stage_times[p, 0]


def test_track_is_minimum_jerk_between_rests():
    tr = Track([0.0, 1.0], [0.0, 1.0])
    s = np.linspace(0, 1, 11)
    assert np.allclose(tr(s), 10 * s**3 - 15 * s**4 + 6 * s**5)
    vec = Track([0.0, 1.0, 2.0], [[0, 0], [1, 2], [2, 4]])
    assert vec(np.array([1.5])).shape == (1, 2) and np.allclose(vec(np.array([2.5])), [[2, 4]])


# --------------------------------------------------------------------------- faults and labels
@pytest.mark.parametrize("movement", MOVEMENTS)
def test_each_fault_lowers_its_stage_score_and_changes_the_movement(movement):
    mv = load_movement(movement)
    base = simulate_attempt(movement, seed=11, student=4, faults={}, sensor=False)
    for f in mv.faults:
        a = simulate_attempt(movement, seed=11, student=4, faults={f.key: 1.0}, sensor=False)
        p = mv.stage_index(f.stage)
        assert a.labels.true_stage_scores[p] < base.labels.true_stage_scores[p], f.key
        assert a.labels.stage_scores[p] < base.labels.stage_scores[p], f.key
        others = np.delete(np.arange(4), p)
        assert np.allclose(
            a.labels.true_stage_scores[others], base.labels.true_stage_scores[others]
        )
        assert a.labels.score < base.labels.score, f.key
        # the fault is visible: some joint moves differently by several centimetres
        n = min(len(a.times), len(base.times))
        diff = np.linalg.norm(a.world_joints[:n] - base.world_joints[:n], axis=-1).max()
        assert diff > 0.03, f.key
        assert a.recording.meta.extra["faults"] == [f.key]


def test_fault_magnitude_changes_the_movement_continuously():
    small = simulate_attempt(
        "free_throw", seed=5, student=2, faults={"low_release": 0.3}, sensor=False
    )
    big = simulate_attempt(
        "free_throw", seed=5, student=2, faults={"low_release": 0.9}, sensor=False
    )
    none = simulate_attempt("free_throw", seed=5, student=2, faults={}, sensor=False)
    wrist = (
        JOINT_INDEX["right_wrist"] if not none.student.left_handed else JOINT_INDEX["left_wrist"]
    )
    top = [x.world_joints[:, wrist, 1].max() for x in (none, small, big)]
    assert top[0] > top[1] > top[2]  # the release point drops steadily
    assert none.labels.true_score > small.labels.true_score > big.labels.true_score


def test_unknown_fault_or_bad_magnitude_is_rejected():
    with pytest.raises(ValueError, match="unknown fault 'double_dribble'"):
        simulate_attempt("free_throw", faults={"double_dribble": 1.0})
    with pytest.raises(ValueError, match="must be in"):
        simulate_attempt("free_throw", faults={"low_release": 2.0})
    with pytest.raises(ValueError, match="unknown movement"):
        simulate_attempt("shot_put")


@pytest.mark.parametrize("movement", MOVEMENTS)
def test_label_scores_span_the_grades_and_raters_agree_like_teachers(movement):
    mv = load_movement(movement)
    labels = []
    for i in range(600):
        rng = np.random.default_rng([7, i])
        labels.append(rate(mv, sample_faults(mv, make_student(i % 180).skill, rng), rng))
    grades = {g: sum(lab.grade == g for lab in labels) for g in GRADES}
    assert all(n >= 15 for n in grades.values()), grades  # every grade is represented
    scores = np.array([lab.score for lab in labels])
    assert 70 < scores.mean() < 88 and scores.std() > 9
    agreement = icc(np.array([lab.rater_scores for lab in labels]))["ICC(2,1)"]
    assert 0.85 < agreement < 0.95
    # the label is the raters' mean and the total is the rubric of the stage labels
    lab = labels[0]
    assert lab.score == pytest.approx(lab.rater_scores.mean())
    assert lab.score == pytest.approx(mv.total_score(lab.stage_scores), abs=1e-9)


def test_icc_of_identical_raters_is_one_and_of_noise_is_low():
    rng = np.random.default_rng(0)
    truth = rng.normal(70, 15, 200)
    assert icc(np.stack([truth] * 3, 1))["ICC(2,1)"] == pytest.approx(1.0)
    assert icc(rng.normal(70, 15, (200, 3)))["ICC(2,1)"] < 0.2


# --------------------------------------------------------------------------- determinism
@pytest.mark.parametrize("movement", MOVEMENTS)
def test_same_seed_same_output(movement):
    a = simulate_attempt(movement, seed=[3, 9], student=5)
    b = simulate_attempt(movement, seed=[3, 9], student=5)
    c = simulate_attempt(movement, seed=[3, 10], student=5)
    for x, y in ((a.world_joints, b.world_joints), (a.recording.joints, b.recording.joints),
                 (a.recording.confidence, b.recording.confidence),
                 (a.recording.timestamps, b.recording.timestamps)):  # fmt: skip
        assert np.array_equal(x, y)
    assert a.faults == b.faults and a.labels.score == b.labels.score
    assert a.recording.meta.extra == b.recording.meta.extra
    assert not (
        a.world_joints.shape == c.world_joints.shape and np.allclose(a.world_joints, c.world_joints)
    )


def test_explicit_faults_keep_the_style_and_sensor_off_keeps_the_movement():
    a = simulate_attempt("overhead_pass", seed=4, student=1, faults={})
    b = simulate_attempt("overhead_pass", seed=4, student=1, faults={}, sensor=False)
    assert np.array_equal(a.world_joints, b.world_joints)
    assert a.labels.score == b.labels.score


# --------------------------------------------------------------------------- sit-up repetitions
def test_counted_situp_repetitions_equal_the_generated_ones():
    for seed in range(24):
        faults = _faults("sit_ups", seed % 6)
        a = simulate_attempt("sit_ups", seed=[5, seed], student=seed, faults=faults)
        reps = a.repetitions
        assert 2 <= reps <= 7
        assert count_situp_reps(a.world_joints) == reps, (seed, faults)
        rec = a.recording  # after camera yaw, noise, occlusion and dropped frames
        assert count_situp_reps(rec.joints, rec.confidence) == reps, (seed, faults)
        assert rec.meta.extra["repetitions"] == reps
        assert len(rec.meta.extra["rep_frames"]) == reps


def test_rep_counter_hysteresis_and_streaming():
    def frame(elev_deg):
        j = np.zeros((17, 3))
        e = np.radians(elev_deg)
        j[JOINT_INDEX["thorax"]] = [0.5 * np.cos(e), 0.5 * np.sin(e), 0.0]
        return j

    c = SitupRepCounter(alpha=1.0)
    # wobbling around one threshold never counts; a full cycle counts once
    for e in [0, 10, 30, 20, 30, 20, 60, 40, 50, 40, 70, 10, 80, 5]:
        c.update(frame(e))
    assert c.count == 2
    # a sequence that starts at the top counts only after going down once
    c2 = SitupRepCounter(alpha=1.0)
    for e in [80, 85, 80, 10, 80]:
        c2.update(frame(e))
    assert c2.count == 1
    # low-confidence frames are ignored
    conf = np.ones(17)
    conf[JOINT_INDEX["thorax"]] = 0.0
    c2.update(frame(5), conf)
    c2.update(frame(80), conf)
    assert c2.count == 1


# --------------------------------------------------------------------------- sensor effects
def test_sensor_effects():
    a = simulate_attempt("standing_long_jump", seed=2, student=2,
                         sensor=SensorConfig(yaw_deg=25, distance=4.0, height=1.1, time_jitter=0.002,
                                             drop_prob=0.05, jitter=0.008, drift=0.005,
                                             self_occlusion=True,
                                             occlusions=[{"region": "left_arm", "t0": 0.5, "t1": 1.2}]))  # fmt: skip
    rec = a.recording
    assert rec.num_frames < len(a.times)  # dropped frames
    dt = np.diff(rec.timestamps)
    assert (dt > 0).all() and not np.allclose(dt[dt < 0.05], 1 / 30)  # frame-time jitter
    assert rec.confidence.min() < 0.5 and rec.confidence.max() <= 1.0
    occluded = (rec.timestamps >= 0.5) & (rec.timestamps < 1.2)
    assert rec.confidence[occluded][:, JOINT_INDEX["left_wrist"]].max() < 0.5
    assert np.isfinite(rec.joints).all()
    # noise: bone lengths are no longer constant after the sensor
    assert np.ptp(bone_lengths(rec.joints), axis=0).max() > 0.01
    # camera: at 4 m, 1.1 m high, the student is in front of the camera, feet below it
    assert rec.joints[..., 2].max() < -2.0
    assert rec.joints[:, ANKLES, 1].mean() == pytest.approx(
        a.student.body.ankle_height - 1.1, abs=0.05
    )


def test_ideal_sensor_keeps_the_clean_sequence_up_to_the_camera():
    a = simulate_attempt("sit_ups", seed=1, student=1, sensor=False)
    rec = a.recording
    assert rec.num_frames == len(a.times) and np.allclose(rec.timestamps, a.times)
    assert (rec.confidence == 1).all()
    assert np.allclose(bone_lengths(rec.joints), bone_lengths(a.world_joints), atol=1e-5)


def test_random_cameras_span_the_yaw_range():
    yaws = [simulate_attempt("free_throw", seed=s, student=0).sensor.yaw_deg for s in range(40)]
    assert min(yaws) >= -30 and max(yaws) <= 30 and max(yaws) - min(yaws) > 40


# --------------------------------------------------------------------------- data sets
def test_plan_matches_the_paper_split():
    plan = plan_attempts("sit_ups", 600, 180, seed=0)
    count = {s: sum(p.split == s for p in plan) for s in ("train", "val", "test")}
    assert count == {"train": 360, "val": 120, "test": 120}
    students = {s: {p.student for p in plan if p.split == s} for s in count}
    assert [len(students[s]) for s in count] == [108, 36, 36]
    assert not (students["train"] & students["val"]) and not (students["train"] & students["test"])
    per = np.bincount([p.student for p in plan])
    assert per.min() >= 3 and per.max() <= 4
    # the same student lands in the same split in every movement
    other = plan_attempts("free_throw", 600, 180, seed=0)
    assert {p.student: p.split for p in plan} == {p.student: p.split for p in other}


def test_generate_dataset_small():
    data = generate_dataset(per_movement=10, n_students=10, seed=3)
    assert [len(data[s]) for s in ("train", "val", "test")] == [24, 8, 8]
    subjects = {s: {x.subject for x in data[s]} for s in data}
    assert not (subjects["train"] & subjects["test"]) and not (subjects["val"] & subjects["test"])
    for s in data.values():
        for x in s:
            assert isinstance(x, Sample)
            t = x.joints.shape[0]
            assert x.joints.shape == (t, 17, 3) and x.confidence.shape == (t, 17)
            assert x.stage_scores.shape == (4,) and x.stage_bounds.shape == (4, 2)
            assert 0 <= x.score <= 100 and x.movement in MOVEMENTS
            assert isinstance(x.meta["faults"], list)
            assert ("repetitions" in x.meta) == (x.movement == "sit_ups")
    again = generate_dataset(per_movement=10, n_students=10, seed=3, movements=["free_throw"])
    first = [x for x in data["train"] if x.movement == "free_throw"][0]
    assert np.array_equal(again["train"][0].joints, first.joints)


def test_synth_command_writes_recordings_and_labels(tmp_path, capsys):
    out = tmp_path / "synth"
    assert cli_main(["synth", "--movement", "sit_ups", "--n", "4", "--seed", "2",
                     "--out", str(out), "--quiet"]) == 0  # fmt: skip
    assert "wrote 4 recordings" in capsys.readouterr().out
    files = sorted(out.glob("*.ksr"))
    assert len(files) == 4
    with (out / "labels.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["file"] for r in rows] == [f.name for f in files]
    for f, row in zip(files, rows):
        rec = load_recording(f)
        extra = rec.meta.extra
        assert set(LABEL_KEYS) <= set(extra) and "repetitions" in extra
        assert float(row["score"]) == pytest.approx(extra["score"], abs=1e-3)
        assert int(row["repetitions"]) == extra["repetitions"]
        assert len(extra["stage_scores"]) == 4 and len(extra["raters"]) == 3
        assert np.array(extra["stage_bounds"]).shape == (4, 2)
        assert extra["stage_bounds"][-1][1] <= rec.num_frames
        assert count_situp_reps(rec.joints, rec.confidence) == extra["repetitions"]


def test_synth_command_rejects_bad_arguments(tmp_path, capsys):
    assert cli_main(["synth", "--movement", "sit_ups", "--n", "0", "--out", str(tmp_path)]) == 2
    assert "--n must be at least 1" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli_main(["synth", "--movement", "marathon", "--n", "1", "--out", str(tmp_path)])


@pytest.mark.parametrize("movement", MOVEMENTS)
def test_many_random_attempts_stay_plausible(movement):
    """Fuzz: random students, faults (often at full magnitude) and styles."""
    keys = load_movement(movement).fault_keys
    rng = np.random.default_rng(123)
    for i in range(30):
        faults = {k: float(rng.choice([1.0, rng.uniform()])) for k in keys if rng.random() < 0.5}
        a = simulate_attempt(
            movement, seed=[42, i], student=int(rng.integers(0, 1000)), faults=faults
        )
        assert np.ptp(bone_lengths(a.world_joints), axis=0).max() < 1e-3, (i, faults)
        assert a.world_joints[..., 1].min() >= 0.0, (i, faults)
        assert 3.0 <= a.times[-1] + 1 / 30 and a.times[-1] <= 10.0
        # no joint teleports: at most 15 m/s between clean frames (a fast wrist is ~10 m/s)
        assert (np.linalg.norm(np.diff(a.world_joints, axis=0), axis=-1) * 30).max() < 15.0, (
            i,
            faults,
        )


def test_a_given_body_is_used_for_the_demo():
    from engine.simulator import make_body

    body = make_body(1.80, legs=1.05)
    a = simulate_attempt("overhead_pass", seed=1, student=body, faults={"no_extension": 0.5})
    assert a.student.body == body and a.student.id == "sim-custom"
    assert np.allclose(bone_lengths(a.world_joints)[0], body.bone_lengths())
    assert a.recording.meta.student_id == "sim-custom"
