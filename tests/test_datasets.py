"""Loaders: every source becomes the same Sample; files with other subjects load too."""

from __future__ import annotations

import numpy as np
import pytest

from engine.datasets import (
    DatasetError,
    Sample,
    load_any,
    load_kimore,
    load_recording_sample,
    load_simulated,
    load_uiprmd,
)
from engine.preprocess import prepare_sample
from engine.recording import Recording, RecordingMeta, save_recording
from engine.skeleton import KINECT_V2, UIPRMD_KINECT
from tests.preprocess_helpers import confidence_ones, moving_skeleton


def _kimore_like(path, subjects=("X_ID1", "X_ID2"), frames=(40, 55)):
    rng = np.random.default_rng(0)
    pos = rng.normal(0, 0.3, (sum(frames), 25, 3)).astype(np.float32)
    pos[..., 2] += 2.5
    t = np.concatenate([np.cumsum(np.r_[0, rng.uniform(0.03, 0.036, n - 1)]) for n in frames])
    np.savez(path, positions=pos, offsets=np.r_[0, np.cumsum(frames)],
             joint_names=np.array(KINECT_V2.joint_names), exercise=np.array([1, 3]),
             subject=np.array(subjects), ts=np.array([40.0, 25.5]), po=np.array([12.0, 8.0]),
             cf=np.array([28.0, 17.5]), group=np.array(["CG/Expert", "GPP/Stroke"]),
             tracking=np.full((sum(frames), 25), 2, np.uint8), time_s=t, take=np.array([0, 1]),
             exercise_names=np.array(["a", "b", "c", "d", "e"]))


def test_kimore_format_file_with_other_subjects(tmp_path):
    p = tmp_path / "other.npz"
    _kimore_like(p)
    s = load_kimore(p)
    assert [x.subject for x in s] == ["X_ID1", "X_ID2"]
    assert s[1].score == 51.0 and s[1].sub_scores == {"po": 16.0, "cf": 35.0}
    assert s[1].movement == "c" and s[1].group == "GPP/Stroke"
    assert s[0].joints.shape == (40, 17, 3) and len(s[0].timestamps) == 40
    assert [x.subject for x in load_any(p)] == ["X_ID1", "X_ID2"]


def test_uiprmd_format_file(tmp_path):
    p = tmp_path / "u.npz"
    np.savez(p, positions=np.zeros((30, 22, 3), np.float32), offsets=np.array([0, 10, 30]),
             joint_names=np.array(UIPRMD_KINECT.joint_names), subject=np.array([8, 9]),
             movement=np.array([1, 2]), correct=np.array([1, 0]), episode=np.array([1, 1]))
    s = load_uiprmd(p)
    assert [x.correct for x in s] == [1, 0] and s[0].score is None and s[1].subject == "9"
    assert load_any(p)[1].correct == 0


def test_real_kimore_labels(kimore_path):
    s = load_kimore(kimore_path)
    assert len(s) == 312 and sum(len(x.joints) for x in s) == 234205
    assert all(0 <= x.score <= 100 for x in s)
    x = s[0]
    assert x.score == pytest.approx(x.sub_scores["po"] + x.sub_scores["cf"])


def test_bad_npz_files(tmp_path):
    with pytest.raises(DatasetError, match="not found"):
        load_kimore(tmp_path / "nope.npz")
    p = tmp_path / "half.npz"
    np.savez(p, positions=np.zeros((3, 25, 3)), offsets=np.array([0, 3]))
    with pytest.raises(DatasetError, match="missing field"):
        load_kimore(p)
    with pytest.raises(DatasetError, match="neither KIMORE"):
        load_any(p)


def _recording(movement="standing_long_jump", t_len=60, extra=None, student="S1"):
    return Recording(
        joints=moving_skeleton(t_len).astype(np.float32),
        confidence=confidence_ones(t_len),
        timestamps=np.arange(t_len) / 30.0,
        meta=RecordingMeta(movement=movement, student_id=student, extra=extra or {}),
    )


LABELS = {"score": 72.5, "stage_scores": [80, 70, 65, 75],
          "stage_bounds": [[0, 15], [15, 30], [30, 45], [45, 60]], "faults": ["knee_valgus"]}


def test_recording_sample_reads_simulator_labels(tmp_path):
    p = save_recording(_recording(extra=LABELS), tmp_path / "a.ksr")
    s = load_recording_sample(p)
    assert isinstance(s, Sample)
    assert s.score == 72.5 and s.subject == "S1" and s.movement == "standing_long_jump"
    np.testing.assert_array_equal(s.stage_scores, [80, 70, 65, 75])
    assert s.stage_bounds.shape == (4, 2) and s.meta["faults"] == ["knee_valgus"]
    prep = prepare_sample(s)
    assert prep.joints.shape == (90, 17, 3)
    assert prep.stage_bounds[0, 0] == 0 and prep.stage_bounds[-1, -1] == pytest.approx(89)


def test_recording_without_labels_and_bad_labels(tmp_path):
    s = load_recording_sample(save_recording(_recording(), tmp_path / "b.ksr"))
    assert s.score is None and s.stage_bounds is None and s.meta["faults"] == []
    p = save_recording(_recording(extra={"score": 140}), tmp_path / "c.ksr")
    with pytest.raises(DatasetError, match=r"c\.ksr.*'score'.*outside"):
        load_recording_sample(p)
    p = save_recording(_recording(extra={"stage_bounds": [[0, 10], [10, 99]]}), tmp_path / "d.ksr")
    with pytest.raises(DatasetError, match="stage_bounds"):
        load_recording_sample(p)
    (tmp_path / "e.ksr").write_bytes(b"not a zip")
    with pytest.raises(DatasetError, match="e.ksr"):
        load_recording_sample(tmp_path / "e.ksr")


def test_load_simulated_directory_with_labels_table(tmp_path):
    d = tmp_path / "sim"
    save_recording(_recording(extra={**LABELS, "group": "novice"}, student="sim_001"),
                   d / "sim_001" / "a1.ksr")
    save_recording(_recording("sit_ups", student=""), d / "b2.ksr")
    (d / "labels.csv").write_text("file,score,subject,group\nb2.ksr,55,sim_002,expert\n")
    s = load_simulated(d)
    assert [x.subject for x in s] == ["sim_002", "sim_001"]  # sorted paths: b2 < sim_001/a1
    assert s[0].score == 55 and s[0].group == "expert" and s[0].movement == "sit_ups"
    assert s[1].score == 72.5 and s[1].group == "novice"
    assert len(load_any(d)) == 2
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="no .ksr"):
        load_simulated(tmp_path / "empty")
