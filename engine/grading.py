"""Five-level grades from a 0-100 score, and their national four-level equivalents.

The thresholds live in ``resources/grading.json`` (data, not code); a school can edit them
and :func:`load_grading` validates the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from engine.paths import resource

GRADES = ("excellent", "good", "medium", "pass", "fail")  # the model's class order
NATIONAL_LEVELS = ("excellent", "good", "pass", "fail")


class GradingConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Level:
    key: str
    min_score: float
    en: str
    zh: str
    color: str
    national: str


@dataclass(frozen=True)
class Grading:
    levels: tuple[Level, ...]  # best first, min_score strictly decreasing
    national_names: dict[str, dict[str, str]]

    def grade(self, score: float) -> str:
        for level in self.levels:
            if score >= level.min_score:
                return level.key
        return self.levels[-1].key

    def grade_index(self, score: float) -> int:
        return GRADES.index(self.grade(score))

    def level(self, key: str) -> Level:
        for level in self.levels:
            if level.key == key:
                return level
        raise KeyError(f"unknown grade {key!r}; known: {GRADES}")

    def national(self, grade: str) -> str:
        return self.level(grade).national

    def national_name(self, grade: str, lang: str = "zh") -> str:
        return self.national_names[self.national(grade)][lang]


def load_grading(path: str | Path | None = None) -> Grading:
    path = Path(path) if path else resource("grading.json")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        raw_levels = data["levels"]
        levels = tuple(
            Level(
                key=lv["key"], min_score=float(lv["min_score"]), en=lv["en"], zh=lv["zh"],
                color=lv["color"], national=lv["national"],
            )
            for lv in raw_levels
        )  # fmt: skip
        national = {n["key"]: {"en": n["en"], "zh": n["zh"]} for n in data["national_levels"]}
    except FileNotFoundError:
        raise GradingConfigError(f"{path}: grading file not found") from None
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise GradingConfigError(f"{path}: invalid grading file ({exc!r})") from exc
    keys = tuple(lv.key for lv in levels)
    if keys != GRADES:
        raise GradingConfigError(f"{path}: levels must be {GRADES} in this order, got {keys}")
    mins = [lv.min_score for lv in levels]
    if any(a <= b for a, b in zip(mins, mins[1:])) or mins[-1] != 0 or mins[0] > 100:
        raise GradingConfigError(
            f"{path}: min_score must decrease strictly from best to worst and end at 0"
        )
    for lv in levels:
        if lv.national not in NATIONAL_LEVELS or lv.national not in national:
            raise GradingConfigError(f"{path}: level {lv.key}: unknown national level {lv.national!r}")
    return Grading(levels, national)


@lru_cache(maxsize=1)
def default_grading() -> Grading:
    return load_grading()
