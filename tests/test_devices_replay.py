"""Recording replay (real speed, as fast as possible, pause, seek), the attempt recorder, and
the simulator source."""

from __future__ import annotations

import time

import numpy as np
import pytest

from devices import AttemptRecorder, DeviceError, ErrorCode, Frame, SourceState, open_source
from devices.recorder import record_frames
from devices.replay import ReplaySource
from devices.simulator import SimulatedAttempt, SimulatorSource
from engine.recording import load_recording, save_recording
from engine.skeleton import NUM_JOINTS
from tests.devices_helpers import STANDING, save_synthetic_recording, synthetic_recording


@pytest.fixture
def ksr(tmp_path):
    return save_synthetic_recording(tmp_path / "attempt.ksr", frames=45, empty=(10, 11))


# --------------------------------------------------------------------------- replay
def test_fast_replay_reproduces_the_recording(ksr, tmp_path):
    original = load_recording(ksr)
    src = open_source(f"replay:{ksr}", speed="max")
    assert src.num_frames == 45 and src.nominal_fps == 30 and src.serial == "X1"
    rec = AttemptRecorder(src, movement="sit_ups", trim=False).start()
    with src:
        frames = list(src.frames(timeout=2.0))
    again = rec.stop()
    assert [f.index for f in frames] == list(range(45)) and src.dropped_frames == 0
    assert not frames[10].has_skeleton and frames[12].has_skeleton  # nobody in view
    np.testing.assert_allclose(np.diff([f.timestamp for f in frames]),
                               np.diff(original.timestamps), atol=1e-9)  # fmt: skip
    np.testing.assert_allclose(again.joints, original.joints, atol=1e-6)  # NaN where empty
    np.testing.assert_array_equal(again.confidence, original.confidence)
    # IMU: same samples, same spacing relative to the frames
    assert again.imu.shape[0] == pytest.approx(original.imu.shape[0], abs=5)
    off_new = again.imu[:, 0] - again.timestamps[0]
    off_old = original.imu[:, 0] - original.timestamps[0]
    np.testing.assert_allclose(off_new[:50], off_old[: len(off_new)][:50], atol=1e-6)
    save_recording(again, tmp_path / "again.ksr")


def test_real_speed_replay_keeps_the_recorded_pace(ksr):
    src = open_source(f"replay:{ksr}")
    frames = []
    src.add_listener(frames.append)
    with src:
        t0 = time.monotonic()
        list(src.frames(timeout=2.0))
        took = time.monotonic() - t0
    assert len(frames) == 45
    assert took > 0.8 * 44 / 30  # 1.47 s of recording is not played in a flash


def test_pause_resume_and_seek(ksr):
    src = open_source(f"replay:{ksr}", speed=1.0)
    got = []
    src.add_listener(got.append)
    with src:
        src.read(2.0)
        src.pause()
        for _ in range(10):  # a frame may race the pause; wait until the stream is still
            n = src.frames_delivered
            time.sleep(0.2)
            if src.frames_delivered == n:
                break
        src.read(0.01)  # empty the slot
        n = src.frames_delivered
        time.sleep(0.4)
        assert src.frames_delivered == n and src.paused  # no frames while paused ...
        assert src.state is SourceState.RUNNING  # ... and no "no frames" error
        src.seek(1.0)  # while paused: the frame at 1.0 s is shown once
        f = src.read(2.0)
        assert f.index == 30 and src.frame_position == 31
        assert src.read(0.3) is None
        src.resume()
        g = src.read(2.0)
        assert g.index >= 31 and g.timestamp > f.timestamp
        src.seek_frame(5)  # backwards while playing: timestamps still increase
        for _ in range(20):
            if 5 in [x.index for x in got if x.timestamp > g.timestamp]:
                break
            src.read(2.0)
    later = [x for x in got if x.timestamp > g.timestamp]
    assert 5 in [x.index for x in later]
    assert np.all(np.diff([x.timestamp for x in got]) > 0)


def test_replay_starts_again_after_the_end(ksr):
    src = open_source(f"replay:{ksr}", speed=None)
    src.start()
    first = list(src.frames(timeout=2.0))
    assert src.ended
    src.start()
    second = list(src.frames(timeout=2.0))
    src.close()
    assert len(first) == len(second) == 45 and second[0].index == 0
    assert second[0].timestamp > first[-1].timestamp


def test_replay_of_a_bad_file(tmp_path):
    bad = tmp_path / "bad.ksr"
    bad.write_bytes(b"garbage")
    with pytest.raises(DeviceError, match="Cannot replay .*bad.ksr.*corrupt") as e:
        open_source(f"replay:{bad}")
    assert e.value.code == ErrorCode.FILE and not e.value.retry


def test_replay_in_memory_recording_loops():
    rec = synthetic_recording(frames=10, imu=False)
    with ReplaySource(rec, speed=None, loop=True) as src:
        idx = [src.read(2.0).index for _ in range(25)]
    assert idx[:12] == list(range(10)) + [0, 1]


# --------------------------------------------------------------------------- recorder
def _frame(t, i, person=True, imu=None, kp=True):
    if not person:
        return Frame.empty(t, i, imu=imu)
    k = np.full((NUM_JOINTS, 2), 100.0, np.float32) if kp else None
    return Frame(t, i, STANDING + [0, 0, -3], np.full(NUM_JOINTS, 0.8), None, k, imu)


def test_recorder_trims_and_keeps_gaps():
    frames = [_frame(i / 30, i, person=2 <= i <= 8 and i != 5) for i in range(12)]
    rec = record_frames(frames, movement="sit_ups", student_id="S3")
    assert rec.num_frames == 7  # frames 2..8
    assert np.isnan(rec.joints[3]).all() and not rec.confidence[3].any()  # frame 5 kept empty
    assert rec.meta.extra["frames_without_skeleton"] == 1
    assert rec.keypoints_2d is not None and np.isnan(rec.keypoints_2d[3]).all()
    untrimmed = record_frames(frames, movement="sit_ups", trim=False)
    assert untrimmed.num_frames == 12


def test_recorder_rejects_empty_attempts():
    with pytest.raises(DeviceError, match="camera sent no frames"):
        record_frames([], movement="sit_ups")
    with pytest.raises(DeviceError, match="Nobody was seen") as e:
        record_frames([_frame(i / 30, i, person=False) for i in range(5)], movement="sit_ups")
    assert e.value.code == ErrorCode.NO_FRAMES


def test_recorder_imu_is_sorted_and_cut_to_the_attempt():
    imu = lambda t: np.array([[t - 0.01, 0, -9.8, 0, 0, 0, 0], [t, 0, -9.8, 0, 0, 0, 0]])  # noqa: E731
    frames = [_frame(i / 30, i, person=1 <= i <= 5, imu=imu(i / 30)) for i in range(10)]
    rec = record_frames(frames, movement="sit_ups")
    assert np.all(np.diff(rec.imu[:, 0]) >= 0)
    assert rec.imu[0, 0] >= rec.timestamps[0] - 1 / 30 - 1e-9
    assert rec.imu[-1, 0] <= rec.timestamps[-1] + 1 / 30 + 1e-9


def test_recorder_caps_long_attempts_and_ignores_time_going_back():
    r = AttemptRecorder(movement="sit_ups", max_seconds=1.0).start()
    for i in range(60):
        r.add(_frame(i / 30, i))
    r.add(_frame(0.5, 99))  # back in time: ignored
    assert r.full and r.frame_count == 31
    assert r.stop().num_frames == 31


def test_recorder_drops_non_finite_joints_to_confidence_zero():
    bad = _frame(0.0, 0)
    bad.joints[4] = np.inf
    rec = record_frames([bad, _frame(1 / 30, 1)], movement="sit_ups")
    assert np.isnan(rec.joints[0, 4]).all() and rec.confidence[0, 4] == 0


# --------------------------------------------------------------------------- simulator
def _gen_factory(calls, frames=20, fps=60.0, drop=()):
    def gen(movement, index, seed):
        calls.append((movement, index, seed))
        t = np.arange(frames) / fps
        j = np.repeat(STANDING[None], frames, 0) + np.array([0, 0, -3.5], np.float32)
        j[:, :, 1] += t[:, None]
        conf = np.full((frames, NUM_JOINTS), 0.9, np.float32)
        keep = np.setdiff1d(np.arange(frames), drop)
        return SimulatedAttempt(j[keep], conf[keep], t[keep],
                                {"student_id": f"S{index}", "score": 70.0 + index})  # fmt: skip

    return gen


def test_simulator_source_plays_attempts_with_labels():
    calls = []
    src = SimulatorSource(generator=_gen_factory(calls), speed=None, attempts=3,
                          gap_seconds=0.1, seed=3)  # fmt: skip
    seen_labels = []
    with src:
        frames = []
        for f in src.frames(timeout=2.0):
            frames.append(f)
            seen_labels.append(src.current_attempt)
    assert calls == [("standing_long_jump", 0, 3), ("sit_ups", 1, 3), ("free_throw", 2, 3)]
    assert len(frames) == 3 * (20 + 3)  # each attempt's frames + 0.1 s standing still
    assert {d["student_id"] for d in seen_labels if d} == {"S0", "S1", "S2"}
    assert seen_labels[0]["movement"] == "standing_long_jump" and seen_labels[0]["score"] == 70
    assert seen_labels[20] is None  # the pause after the first attempt
    ts = np.array([f.timestamp for f in frames])
    np.testing.assert_allclose(np.diff(ts[:20]), 1 / 60, atol=1e-9)  # the attempt's own pace
    assert np.all(np.diff(ts) > 0)
    assert frames[0].joints[0, 2] == pytest.approx(-3.5)


def test_simulator_counts_the_frames_its_sensor_dropped():
    src = SimulatorSource("sit_ups", generator=_gen_factory([], fps=30.0, drop=(5, 6, 7)),
                          speed=None, attempts=1, gap_seconds=0)  # fmt: skip
    with src:
        idx = [f.index for f in src.frames(timeout=2.0)]
    assert src.dropped_frames == 3 and idx[:6] == [0, 1, 2, 3, 4, 8]


def test_simulator_real_speed_and_labels_go_into_the_recording():
    src = SimulatorSource("sit_ups", generator=_gen_factory([], frames=15, fps=30.0),
                          attempts=1, gap_seconds=0.5)  # fmt: skip
    src.open()
    rec = AttemptRecorder(src, movement="sit_ups").start()
    t0 = time.monotonic()
    with src:
        for _ in range(17):
            src.read(2.0)
        took = time.monotonic() - t0
        assert src.current_attempt is None  # stopped during the pause after the attempt
        recording = rec.stop()
    assert took > 0.8 * 16 / 30  # played at the recorded pace
    assert recording.meta.extra["simulated_attempt"]["student_id"] == "S0"
    assert recording.meta.extra["simulated_attempt"]["movement"] == "sit_ups"


def test_simulator_rejects_unknown_movement_and_bad_generator_output():
    with pytest.raises(DeviceError, match="Unknown movement"):
        open_source("simulator:cartwheel")
    bad = SimulatorSource(generator=lambda m, i, s: SimulatedAttempt(
        np.zeros((5, 3)), np.zeros((5, 17)), np.arange(5.0)))  # fmt: skip
    with bad:
        with pytest.raises(DeviceError, match="expected \\(T, 17, 3\\)"):
            bad.read(2.0)


def test_simulator_with_the_engine_simulator():
    """The default generator drives engine.simulator.simulate_attempt."""
    with open_source("simulator", speed=None, attempts=2, gap_seconds=0.2) as src:
        rec = AttemptRecorder(src, movement="standing_long_jump").start()
        frames = []
        labels = None
        for f in src.frames(timeout=10.0):
            frames.append(f)
            labels = labels or src.current_attempt
        recording = rec.stop()
    assert len(frames) > 60 and all(f.has_skeleton for f in frames)
    assert labels["movement"] == "standing_long_jump" and 0 <= labels["score"] <= 100
    assert labels["grade"] in ("excellent", "good", "medium", "pass", "fail")
    assert isinstance(labels["faults"], list) and labels["student_id"]
    z = np.array([f.joints[0, 2] for f in frames])
    assert np.all((z < -1.0) & (z > -8.0))  # in front of the (simulated) camera
    assert np.all(np.diff([f.timestamp for f in frames]) > 0)
    assert recording.meta.extra["simulated_attempt"]["movement"] == "sit_ups"
    # the same seed replays the same class
    with open_source("simulator", speed=None, attempts=1) as again:
        first = again.read(10.0)
    np.testing.assert_allclose(first.joints, frames[0].joints)


# --------------------------------------------------------------------------- python -m devices
def test_command_line_list_probe_record(ksr, tmp_path, capsys):
    from devices.__main__ import main

    assert main(["list", "--all"]) == 0
    assert "simulator" in capsys.readouterr().out
    assert main(["probe", f"replay:{ksr}", "--seconds", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "measured" in out and "Replay attempt.ksr" in out
    dest = tmp_path / "copy.ksr"
    assert main(["record", f"replay:{ksr}", "--movement", "sit_ups", "--seconds", "3",
                 "--student", "S9", "-o", str(dest)]) == 0  # fmt: skip
    back = load_recording(dest)
    assert back.meta.student_id == "S9" and back.num_frames >= 30
    assert main(["probe", f"replay:{tmp_path / 'missing.ksr'}"]) == 1
    assert "Cannot replay" in capsys.readouterr().err
