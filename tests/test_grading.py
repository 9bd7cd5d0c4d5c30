import json

import pytest

from engine.grading import GradingConfigError, default_grading, load_grading
from engine.paths import resource


@pytest.mark.parametrize("score, grade, national", [
    (100, "excellent", "excellent"), (90, "excellent", "excellent"), (89.99, "good", "good"),
    (75, "medium", "pass"), (60, "pass", "pass"), (59.9, "fail", "fail"), (0, "fail", "fail"),
])
def test_default_thresholds(score, grade, national):
    g = default_grading()
    assert g.grade(score) == grade
    assert g.national(grade) == national


def test_national_names_in_chinese():
    assert default_grading().national_name("medium") == "及格"


def test_bad_grading_file(tmp_path):
    data = json.loads(resource("grading.json").read_text(encoding="utf-8"))
    data["levels"][1]["min_score"] = 95
    p = tmp_path / "g.json"
    p.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(GradingConfigError, match="decrease strictly"):
        load_grading(p)
    with pytest.raises(GradingConfigError, match="not found"):
        load_grading(tmp_path / "missing.json")
