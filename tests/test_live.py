"""The live scorer: attempt detection, sliding-window and final scoring, stages, repetitions,
saving (engine/live.py, engine/live_sink.py)."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pytest

from engine.live import (
    EndReason,
    LiveScorer,
    Phase,
    config_for,
)
from tests.live_helpers import (
    FakeScorer,
    MemorySink,
    jump_sequence,
    situp_sequence,
    standing_pose,
)

ONES = np.ones(17, np.float32)


def run(live: LiveScorer, t, j, conf=None, *, every: int = 1, stop_at: float | None = None):
    """Feed frames synchronously, processing after every ``every`` frames; returns the
    phases seen in order."""
    seen = [live.state.phase]
    for k, (tk, jk) in enumerate(zip(t, j)):
        live.feed(tk, jk, ONES if conf is None else conf[k])
        if stop_at is not None and tk >= stop_at:
            live.stop()
            stop_at = None
        if (k + 1) % every == 0:
            live.process()
        if live.state.phase != seen[-1]:
            seen.append(live.state.phase)
    live.process()
    if live.state.phase != seen[-1]:
        seen.append(live.state.phase)
    return seen


def test_jump_is_detected_scored_and_saved():
    scorer, sink = FakeScorer(), MemorySink()
    live = LiveScorer(scorer)
    live.arm("standing_long_jump", sink=sink)
    t, j = jump_sequence(still_s=1.5, move_s=1.2, rest_s=2.5)
    phases = run(live, t, j)
    assert phases == [Phase.IDLE, Phase.WAITING, Phase.READY, Phase.ACTIVE, Phase.SCORING,
                      Phase.DONE] or phases == [Phase.IDLE, Phase.WAITING, Phase.READY,
                                                Phase.ACTIVE, Phase.DONE]
    st = live.state
    assert st.end_reason is EndReason.REST
    # the attempt spans the jump plus pre-roll and post-roll, not the whole stream
    move_start, move_end = 100.0 + 1.5, 100.0 + 2.7
    data = sink.finished
    assert data is not None and sink.calls[0] == "begin" and sink.calls[-1] == "finish"
    assert data.timestamps[0] < move_start - 0.3
    assert data.timestamps[0] > move_start - 1.2
    assert move_end < data.timestamps[-1] < move_end + 1.5
    assert sink.frames >= len(data.timestamps)
    # whole-attempt score: the fake's score for the attempt's length on the 30 Hz grid
    assert st.final is not None and st.final.score == pytest.approx(
        min(100, 55 + 40 * (scorer.calls[-1] % 11) / 10))
    assert st.stages_done == 4
    assert np.allclose(st.stage_scores, st.final.stage_scores)
    assert data.result is st.final and data.stage_bounds_s is not None
    assert data.stage_bounds_s[0, 0] == pytest.approx(0.0, abs=0.05)
    assert data.stage_bounds_s[-1, 1] == pytest.approx(data.timestamps[-1] - data.timestamps[0],
                                                       abs=0.05)
    assert st.windows_scored >= 1 and st.saved == {"id": 1, "frames": len(data.timestamps)}
    extra = data.extra()
    assert extra["end_reason"] == "rest" and extra["score"] == st.final.score


def test_sliding_window_scores_at_most_90_frames_at_a_modest_rate():
    scorer = FakeScorer()
    live = LiveScorer(scorer)
    live.arm("free_throw", config=config_for("free_throw", max_duration=8.0))
    # 1 s still, then 6 s of continuous arm motion -> ended by the maximum duration
    base = standing_pose()
    frames = [base] * 30
    for i in range(180):
        p = base.copy()
        p[[11, 12, 13, 14, 15, 16], 1] += 0.4 * np.sin(i / 5)
        frames.append(p)
    frames += [base] * 60
    t = 10 + np.arange(len(frames)) / 30
    run(live, t, np.stack(frames))
    window_calls = scorer.calls[:-1]
    assert 3 <= len(window_calls) <= 8  # about one per second of a ~6 s attempt
    assert max(window_calls) <= 91
    assert live.state.windows_scored == len(window_calls)


def test_stop_before_the_attempt_cancels_and_saves_nothing():
    sink = MemorySink()
    live = LiveScorer(FakeScorer())
    live.arm("standing_long_jump", sink=sink)
    t, j = jump_sequence(still_s=1.0, move_s=0.1, rest_s=0.0)
    run(live, t[:20], j[:20])
    assert live.state.phase in (Phase.WAITING, Phase.READY)
    live.stop()
    live.process()
    assert live.state.phase is Phase.CANCELLED and sink.calls == []


def test_manual_stop_ends_the_attempt_now():
    sink = MemorySink()
    live = LiveScorer(FakeScorer())
    live.arm("standing_long_jump", sink=sink)
    t, j = jump_sequence(still_s=1.5, move_s=3.0, rest_s=2.0)
    run(live, t, j, stop_at=100 + 2.5)
    assert live.state.end_reason is EndReason.MANUAL
    assert sink.finished.timestamps[-1] == pytest.approx(102.5, abs=0.1)


def test_maximum_duration_and_student_leaving_end_the_attempt():
    live = LiveScorer(FakeScorer())
    live.arm("free_throw", config=config_for("free_throw", max_duration=2.0))
    base = standing_pose()
    moving = [base] * 30 + [base + [0, 0.3 * np.sin(i / 3), 0] for i in range(200)]
    t = np.arange(len(moving)) / 30
    run(live, t, np.stack(moving).astype(np.float32))
    assert live.state.end_reason is EndReason.MAX_DURATION
    assert live.state.elapsed == pytest.approx(2.0, abs=0.1)

    sink = MemorySink()
    live.arm("free_throw", sink=sink)
    frames = [base] * 30 + [base + [0, 0.3 * np.sin(i / 3), 0] for i in range(30)]
    t2 = 100 + np.arange(len(frames) + 90) / 30
    for k, tk in enumerate(t2):
        live.feed(tk, frames[k] if k < len(frames) else None, ONES)
        live.process()
    assert live.state.end_reason is EndReason.LOST
    assert sink.finished.timestamps[-1] == pytest.approx(t2[len(frames) - 1], abs=0.05)


def test_without_a_scorer_the_attempt_is_saved_unscored():
    sink = MemorySink()
    live = LiveScorer(None)
    live.arm("standing_long_jump", sink=sink)
    run(live, *jump_sequence())
    st = live.state
    assert st.phase is Phase.DONE and st.final is None and st.error is None
    assert not st.scorer_ready and st.windows_scored == 0
    assert sink.finished is not None and sink.finished.result is None


def test_a_failing_model_is_reported_and_the_attempt_still_saved():
    sink = MemorySink()
    live = LiveScorer(FakeScorer(fail=True))
    live.arm("standing_long_jump", sink=sink)
    run(live, *jump_sequence())
    st = live.state
    assert st.phase is Phase.DONE and st.final is None
    assert "model exploded" in st.error
    assert sink.finished.score_error and "model exploded" in sink.finished.score_error


def test_saving_failure_keeps_the_attempt_and_retry_saves_it():
    sink = MemorySink(fail_finish=1)
    live = LiveScorer(FakeScorer())
    live.arm("standing_long_jump", sink=sink)
    run(live, *jump_sequence())
    st = live.state
    assert st.phase is Phase.DONE and st.saved is None
    assert st.unsaved is not None and "database is locked" in st.error
    live.retry_save()
    live.process()
    assert live.state.saved is not None and live.state.unsaved is None
    assert live.state.error is None


def test_sensor_jitter_alone_never_starts_an_attempt():
    live = LiveScorer(FakeScorer())
    live.arm("standing_long_jump")
    rng = np.random.default_rng(1)
    base = standing_pose()
    j = base + rng.normal(0, 0.01, (300, 17, 3)).astype(np.float32)
    run(live, np.arange(300) / 30, j)
    assert live.state.phase is Phase.READY  # still enough to be ready, never started


def test_noisy_jump_is_still_detected():
    sink = MemorySink()
    live = LiveScorer(FakeScorer())
    live.arm("standing_long_jump", sink=sink)
    run(live, *jump_sequence(noise=0.01))
    assert live.state.phase is Phase.DONE and live.state.end_reason is EndReason.REST
    assert 1.2 < sink.finished.timestamps[-1] - sink.finished.timestamps[0] < 3.5


def test_stages_complete_in_order_during_the_attempt():
    live = LiveScorer(FakeScorer())
    live.arm("free_throw", config=config_for("free_throw", score_interval=0.5))
    base = standing_pose()
    frames = [base] * 30 + [base + [0, 0.3 * np.sin(i / 4), 0] for i in range(150)]
    frames += [frames[-1]] * 60
    t = np.arange(len(frames)) / 30
    done = []
    for k, tk in enumerate(t):
        live.feed(tk, np.asarray(frames[k], np.float32), ONES)
        live.process()
        if live.state.phase is Phase.ACTIVE:
            done.append(live.state.stages_done)
    assert done == sorted(done)  # never goes back
    assert max(done) == 3  # the last stage completes only with the attempt
    assert live.state.stages_done == 4


def test_sit_up_repetitions_are_counted():
    sink = MemorySink()
    live = LiveScorer(FakeScorer())
    live.arm("sit_ups", sink=sink)
    t, j = situp_sequence(reps=4)
    run(live, t, j)
    assert live.state.phase is Phase.DONE
    assert live.state.repetitions == 4 and sink.finished.repetitions == 4
    assert live.state.end_reason is EndReason.REST


def test_missing_joints_are_filled_before_scoring():
    scorer = FakeScorer()
    live = LiveScorer(scorer)
    live.arm("standing_long_jump")
    t, j = jump_sequence()
    conf = np.ones((len(t), 17), np.float32)
    j = j.copy()
    j[60:70, 13] = np.nan  # left wrist lost for 10 frames in the middle
    conf[60:70, 13] = 0
    run(live, t, j, conf)
    assert live.state.final is not None and live.state.error is None


def test_worker_thread_scores_without_blocking_the_feeder():
    live = LiveScorer(FakeScorer()).start()
    try:
        sink = MemorySink()
        live.arm("standing_long_jump", sink=sink)
        t, j = jump_sequence()
        t0 = time.perf_counter()
        for tk, jk in zip(t, j):
            live.feed(tk, jk, ONES)
        assert time.perf_counter() - t0 < 1.0  # feeding never waits for scoring
        deadline = time.monotonic() + 20
        while live.state.phase is not Phase.DONE and time.monotonic() < deadline:
            time.sleep(0.01)
        assert live.state.phase is Phase.DONE and sink.finished is not None
    finally:
        live.close()
    assert live._thread is None


def test_rearming_starts_a_new_take():
    live = LiveScorer(FakeScorer())
    live.arm("standing_long_jump")
    run(live, *jump_sequence())
    first = live.state
    live.arm("standing_long_jump")
    live.process()
    assert live.state.take == first.take + 1 and live.state.phase is Phase.WAITING
    assert live.state.final is None and live.state.stages_done == 0


# --------------------------------------------------------------------------- saving to records
@pytest.fixture
def store(tmp_path):
    from engine.records import Store

    s = Store.open(tmp_path / "db.sqlite3")
    s.create_class("1A")
    s.add_student("S001", "Ann", "1A")
    yield s
    s.close()


def _live_into_store(store, **sink_kw):
    from engine.live_sink import StoreSink

    st = store.student_by_number("S001")
    sink = StoreSink(store, st.id, st.student_number, device="Simulator", **sink_kw)
    live = LiveScorer(FakeScorer())
    live.arm("standing_long_jump", sink=sink)
    t, j = jump_sequence()
    kp = np.zeros((17, 2), np.float32)
    for tk, jk in zip(t, j):
        live.feed(tk, jk, ONES, kp)
        live.process()
    return live, sink


def test_store_sink_saves_recording_score_and_live_facts(store):
    from engine.recording import load_recording

    live, _ = _live_into_store(store, extra=lambda: {"source_kind": "simulator"})
    st = live.state
    attempt = st.saved
    assert attempt.status == "scored" and attempt.score == pytest.approx(st.final.score)
    assert attempt.grade == st.final.grade
    rec = load_recording(attempt.recording_path)
    assert rec.meta.student_id == "S001" and rec.meta.device_name == "Simulator"
    assert rec.timestamps[0] == 0.0 and rec.keypoints_2d is not None
    live_extra = rec.meta.extra["live"]
    assert live_extra["end_reason"] == "rest" and live_extra["model_version"] == "fake-1"
    assert len(live_extra["stage_bounds_s"]) == 4 and rec.meta.extra["source_kind"] == "simulator"
    assert store.pending_recoveries() == []
    (res,) = store.results("1A", movements=["standing_long_jump"])
    assert res.attempt.id == attempt.id


def test_store_sink_keeps_the_attempt_when_the_database_fails(store, monkeypatch):
    from engine.live_sink import unsaved_dir
    from engine.records import RecordsError

    calls = {"n": 0}
    real = store._finish

    def locked(*a, **k):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RecordsError("the database is busy")
        return real(*a, **k)

    monkeypatch.setattr(store, "_finish", locked)
    live, sink = _live_into_store(store)
    st = live.state
    assert st.saved is None and "busy" in st.error and "unsaved" in st.error
    kept = list(unsaved_dir().glob("*.ksr"))
    assert len(kept) == 1
    live.retry_save()
    live.process()
    assert live.state.saved is not None and live.state.saved.status == "scored"
    assert not kept[0].exists()  # the copy goes once the attempt is stored
    assert len(store.attempts(movement="standing_long_jump")) == 1


def test_a_tracking_jump_to_another_person_is_not_an_attempt():
    sink = MemorySink()
    live = LiveScorer(FakeScorer())
    live.arm("standing_long_jump", sink=sink)
    base = standing_pose()
    other = base + np.array([1.5, 0.0, 0.5], np.float32)  # somebody else, 1.6 m away
    frames = [base] * 45 + [other] * 60
    t = np.arange(len(frames)) / 30
    run(live, t, np.stack(frames))
    assert live.state.phase is Phase.READY and sink.calls == []
    # a real jump after the switch is still detected, without frames of the first person
    t2, j2 = jump_sequence(still_s=1.0, t0=t[-1] + 1 / 30)
    j2 = j2 + np.array([1.5, 0.0, 0.5], np.float32)
    run(live, t2, j2)
    assert live.state.phase is Phase.DONE
    assert np.abs(sink.finished.joints[:, 0, 0] - 1.5).max() < 0.01


def test_live_check_finds_simulated_attempts_and_counts_sit_ups():
    from engine.live_check import check

    r = check("sit_ups", attempts=2, gap=3.5, seed=0)
    assert r["found"] == 2 and r["missed"] == 0 and r["merged"] == 0 and r["false"] == 0
    assert r["reps_exact"] == "2/2"
    assert abs(r["start_offset_s"]) < 1.0 and abs(r["end_offset_s"]) < 1.0


def test_live_scorer_with_the_real_network(tmp_path):
    """The torch scorer behind the live scorer (tiny random network of resources/configs/quick.yaml:
    the scores mean nothing, the plumbing is real)."""
    import torch

    from engine.config import load_config
    from engine.model.checkpoint import save_checkpoint
    from engine.model.network import KineScoreNet
    from engine.model.scorer import TorchScorer
    from engine.movements import MOVEMENTS

    torch.manual_seed(0)
    cfg = load_config("resources/configs/quick.yaml")
    cfg = replace(cfg, model=replace(cfg.model, num_movements=0, num_faults=0))
    path = save_checkpoint(tmp_path / "tiny.pt", KineScoreNet(cfg.model), cfg,
                           movements=list(MOVEMENTS))
    sink = MemorySink()
    live = LiveScorer(TorchScorer(str(path), num_threads=1))
    live.arm("standing_long_jump", sink=sink)
    run(live, *jump_sequence())
    st = live.state
    assert st.phase is Phase.DONE and st.error is None, st.error
    assert 0 <= st.final.score <= 100 and st.windows_scored >= 1
    duration = sink.finished.timestamps[-1] - sink.finished.timestamps[0]
    b = sink.finished.stage_bounds_s
    assert b.shape == (4, 2) and b.min() >= -0.05 and b.max() <= duration + 0.1
    assert np.isclose(np.sum(st.final.joint_contribution), 1.0)
