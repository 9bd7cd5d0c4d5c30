import json
import shutil

import numpy as np
import pytest

from engine.movements import (
    MOVEMENTS,
    STAGES,
    MovementConfigError,
    load_all,
    load_movement,
    load_movement_file,
)
from engine.paths import resource


@pytest.mark.parametrize("key", MOVEMENTS)
def test_movement_files_are_complete(key):
    mv = load_movement(key)
    assert mv.stage_keys == STAGES[key]
    assert mv.en and mv.zh and mv.name("zh") == mv.zh
    for st in mv.stages:
        assert st.en and st.zh and st.description["en"] and st.description["zh"]
    assert len(mv.faults) >= 5  # the issue asks for at least five per movement
    for f in mv.faults:
        assert f.stage in mv.stage_keys and 0 < f.severity <= 1
        assert f.feedback["en"].strip() and f.feedback["zh"].strip()
        # the Chinese text is Chinese
        assert any("\u4e00" <= ch <= "\u9fff" for ch in f.feedback["zh"])
    assert np.isclose(sum(mv.stage_weights), 1.0)


def test_every_stage_of_every_movement_has_a_fault():
    for mv in load_all().values():
        assert {f.stage for f in mv.faults} == set(mv.stage_keys), mv.key


@pytest.mark.parametrize("key", MOVEMENTS)
def test_each_fault_lowers_only_its_stage_in_the_rubric(key):
    mv = load_movement(key)
    clean = mv.stage_scores({})
    assert np.allclose(clean, 100) and mv.total_score(clean) == pytest.approx(100)
    for f in mv.faults:
        s = mv.stage_scores({f.key: 0.5})
        p = mv.stage_index(f.stage)
        assert s[p] < 100
        assert np.allclose(np.delete(s, p), 100)
        assert mv.stage_scores({f.key: 1.0})[p] < s[p]  # bigger fault, lower score


def test_rubric_rejects_bad_magnitudes_and_keys():
    mv = load_movement("free_throw")
    with pytest.raises(ValueError, match="must be in"):
        mv.stage_scores({"low_release": 1.5})
    with pytest.raises(KeyError, match="unknown fault"):
        mv.stage_scores({"travelling": 0.5})


def test_unknown_movement_is_a_clear_error():
    with pytest.raises(MovementConfigError, match="unknown movement 'marathon'"):
        load_movement("marathon")


def _copy(tmp_path, key="sit_ups"):
    path = tmp_path / f"{key}.json"
    shutil.copy(resource("movements", f"{key}.json"), path)
    return path, json.loads(path.read_text(encoding="utf-8"))


def _write(path, data):
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d["stages"].reverse(), "must list"),
        (lambda d: d["faults"][0].update(stage="warm_up"), "faults\\[0\\]\\.stage 'warm_up'"),
        (lambda d: d["faults"][1].update(severity=1.5), "faults\\[1\\]\\.severity"),
        (lambda d: d["faults"][2]["feedback"].pop("zh"), "faults\\[2\\]\\.feedback\\.zh"),
        (lambda d: d["rubric"]["stage_weights"].update(top=0.9), "sum to 1"),
        (lambda d: d.pop("zh"), "'zh'"),
        (lambda d: d["faults"].append(dict(d["faults"][0])), "duplicate fault"),
    ],
)
def test_broken_movement_file_names_file_and_field(tmp_path, edit, message):
    path, data = _copy(tmp_path)
    edit(data)
    _write(path, data)
    with pytest.raises(MovementConfigError, match=message) as exc:
        load_movement_file(path, "sit_ups")
    assert str(path) in str(exc.value)


def test_unreadable_or_missing_movement_file(tmp_path):
    bad = tmp_path / "sit_ups.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(MovementConfigError, match="not a readable JSON"):
        load_movement_file(bad)
    with pytest.raises(MovementConfigError, match="not found"):
        load_movement_file(tmp_path / "nope.json")


def test_file_for_another_movement_is_rejected(tmp_path):
    path, data = _copy(tmp_path, "free_throw")
    with pytest.raises(MovementConfigError, match="expected 'sit_ups'"):
        load_movement_file(path, "sit_ups")


def test_resources_override_is_used(tmp_path, monkeypatch):
    folder = tmp_path / "movements"
    folder.mkdir()
    for key in MOVEMENTS:
        shutil.copy(resource("movements", f"{key}.json"), folder / f"{key}.json")
    data = json.loads((folder / "sit_ups.json").read_text(encoding="utf-8"))
    data["zh"] = "仰卧起坐（测试）"
    _write(folder / "sit_ups.json", data)
    monkeypatch.setenv("KINESCORE_RESOURCES", str(tmp_path))
    assert load_movement("sit_ups").zh == "仰卧起坐（测试）"
