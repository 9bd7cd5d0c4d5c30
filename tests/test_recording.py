import json

import numpy as np
import pytest

from engine.cli import main as engine_main
from engine.recording import (
    Recording,
    RecordingError,
    RecordingMeta,
    load_recording,
    save_recording,
)  # fmt: skip


def make_recording(t: int = 30, seed: int = 0) -> Recording:
    rng = np.random.default_rng(seed)
    return Recording(
        joints=rng.normal(size=(t, 17, 3)).astype(np.float32),
        confidence=rng.uniform(0.5, 1.0, size=(t, 17)).astype(np.float32),
        timestamps=np.arange(t) / 30.0 + 100.0,
        meta=RecordingMeta(movement="standing_long_jump", student_id="S001",
                           device_name="simulator", device_serial="SIM-1",
                           calibration={"fx": 600.0}, extra={"stage_bounds": [[0, 5]]}),
        imu=rng.normal(size=(50, 7)),
    )


def test_round_trip(tmp_path):
    rec = make_recording()
    path = save_recording(rec, tmp_path / "a.ksr")
    back = load_recording(path)
    np.testing.assert_array_equal(back.joints, rec.joints)
    np.testing.assert_array_equal(back.confidence, rec.confidence)
    np.testing.assert_array_equal(back.timestamps, rec.timestamps)
    np.testing.assert_array_equal(back.imu, rec.imu)
    assert back.meta == rec.meta
    assert not list(tmp_path.glob("*.tmp"))


def test_suffix_added_and_nan_allowed_for_unseen_joints(tmp_path):
    rec = make_recording()
    rec.joints[3, 5] = np.nan
    rec.confidence[3, 5] = 0.0
    path = save_recording(rec, tmp_path / "b")
    assert path.suffix == ".ksr"
    assert np.isnan(load_recording(path).joints[3, 5]).all()


def test_failed_save_keeps_the_existing_file(tmp_path):
    good = make_recording()
    path = save_recording(good, tmp_path / "c.ksr")
    bad = make_recording()
    bad.timestamps[5] = bad.timestamps[4]
    with pytest.raises(RecordingError):
        save_recording(bad, path)
    np.testing.assert_array_equal(load_recording(path).joints, good.joints)


def _rewrite(path, **changes):
    with np.load(path) as npz:
        data = {k: npz[k] for k in npz.files}
    for k, v in changes.items():
        if v is None:
            data.pop(k)
        else:
            data[k] = v
    with open(path, "wb") as fh:  # a file object: np.savez(path) would append .npz
        np.savez(fh, **data)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda p: p.write_bytes(p.read_bytes()[:200]), "truncated or corrupt"),
        (lambda p: p.write_bytes(b"not a zip at all"), "truncated or corrupt"),
        (lambda p: _rewrite(p, confidence=None), "missing field 'confidence'"),
        (lambda p: _rewrite(p, joints=np.zeros((30, 16, 3), np.float32)), "expected \\(T, 17, 3\\)"),
        (lambda p: _rewrite(p, confidence=np.ones((29, 17), np.float32)), "'confidence' has shape"),
        (lambda p: _rewrite(p, joints=np.full((30, 17, 3), np.inf, np.float32)), "inf"),
        (lambda p: _rewrite(p, joints=np.full((30, 17, 3), np.nan, np.float32)), "NaN at frame 0"),
        (lambda p: _rewrite(p, timestamps=np.arange(30)[::-1] / 30.0), "not strictly increasing"),
        (lambda p: _rewrite(p, timestamps=np.full(30, np.nan)), "NaN or inf"),
        (lambda p: _rewrite(p, imu=np.ones((4, 5))), "'imu' has shape"),
        (lambda p: _rewrite(p, meta=np.array("{not json")), "not valid JSON"),
        (lambda p: _rewrite(p, meta=np.array(json.dumps({"movement": "x"}))), "format_version"),
    ],
)
def test_bad_files_give_one_clear_error(tmp_path, mutate, message):
    path = save_recording(make_recording(), tmp_path / "bad.ksr")
    mutate(path)
    with pytest.raises(RecordingError, match=message) as info:
        load_recording(path)
    assert str(path) in str(info.value)


def test_unknown_version_and_missing_meta_field(tmp_path):
    path = save_recording(make_recording(), tmp_path / "v.ksr")
    with np.load(path) as npz:
        meta = json.loads(str(npz["meta"]))
    _rewrite(path, meta=np.array(json.dumps({**meta, "format_version": 99})))
    with pytest.raises(RecordingError, match="unknown format version 99"):
        load_recording(path)
    del meta["device_serial"]
    _rewrite(path, meta=np.array(json.dumps(meta)))
    with pytest.raises(RecordingError, match="meta.device_serial"):
        load_recording(path)


def test_empty_recording_rejected(tmp_path):
    rec = make_recording()
    rec.joints, rec.confidence, rec.timestamps = rec.joints[:0], rec.confidence[:0], rec.timestamps[:0]
    with pytest.raises(RecordingError, match="no frames"):
        save_recording(rec, tmp_path / "e.ksr")


def test_missing_file(tmp_path):
    with pytest.raises(RecordingError, match="file not found"):
        load_recording(tmp_path / "nope.ksr")


def test_inspect_prints_summary(tmp_path, capsys):
    path = save_recording(make_recording(t=61), tmp_path / "s.ksr")
    assert engine_main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "standing_long_jump" in out and "61 over 2.00 s" in out and "S001" in out


def test_inspect_reports_bad_file(tmp_path, capsys):
    bad = tmp_path / "bad.ksr"
    bad.write_bytes(b"garbage")
    assert engine_main(["inspect", str(bad)]) == 1
    assert "truncated or corrupt" in capsys.readouterr().err
