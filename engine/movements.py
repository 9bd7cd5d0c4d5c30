"""The four movements as data: display names, stages, fault library and rubric.

Each movement is described by ``resources/movements/<key>.json`` (data, not code; the GUI,
the feedback texts and the simulator's rubric all read it). :func:`load_movement` reads and
validates one file and raises :class:`MovementConfigError` naming the file and the field
when something is wrong, so that an edited file never fails somewhere far away.

File layout (all texts in English ``en`` and Chinese ``zh``)::

    {
      "key": "standing_long_jump", "en": "...", "zh": "...",
      "stages": [ {"key": "pre_swing", "en": "...", "zh": "...",
                   "description": {"en": "...", "zh": "..."}}, ... 4 stages ... ],
      "faults": [ {"key": "no_arm_swing", "stage": "pre_swing", "severity": 0.45,
                   "en": "...", "zh": "...", "feedback": {"en": "...", "zh": "..."}}, ... ],
      "rubric": {"stage_weights": {"pre_swing": 0.2, ...}}
    }

Rubric (used by ``engine.simulator.rubric`` to make labels)
    A fault has a *magnitude* ``m`` in [0, 1] in one attempt (0 = absent, 1 = as bad as the
    simulator makes it) and a *severity* ``s`` in (0, 1] in this file. The score of stage
    ``p`` is ``100 * prod_f (1 - s_f * m_f)`` over the faults of that stage, and the total is
    ``sum_p w_p * stage_p`` with the ``stage_weights`` (positive, summing to 1). The product
    keeps every stage score in [0, 100] and makes each fault lower its own stage's score.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from engine.paths import resource

#: Movement keys, in the order used everywhere (datasets, GUI lists).
MOVEMENTS: tuple[str, ...] = ("standing_long_jump", "sit_ups", "free_throw", "overhead_pass")

#: The four stages of each movement, in temporal order (the model's stage head order).
STAGES: dict[str, tuple[str, str, str, str]] = {
    "standing_long_jump": ("pre_swing", "take_off", "flight", "landing"),
    "sit_ups": ("lying", "curl_up", "top", "return"),
    "free_throw": ("set", "dip", "release", "follow_through"),
    "overhead_pass": ("ready", "move_under", "contact", "extension"),
}

LANGUAGES = ("en", "zh")


class MovementConfigError(ValueError):
    """A movement file that is missing or invalid; the message names the file and field."""


@dataclass(frozen=True)
class Stage:
    key: str
    en: str
    zh: str
    description: dict[str, str]  # {"en": ..., "zh": ...}

    def name(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Fault:
    key: str
    stage: str
    severity: float  # share of the stage score lost at full magnitude, (0, 1]
    en: str
    zh: str
    feedback: dict[str, str]  # {"en": ..., "zh": ...}

    def name(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Movement:
    key: str
    en: str
    zh: str
    stages: tuple[Stage, ...]  # 4, in STAGES order
    faults: tuple[Fault, ...]
    stage_weights: tuple[float, ...]  # 4, positive, sum 1
    path: Path

    def name(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en

    @property
    def stage_keys(self) -> tuple[str, ...]:
        return tuple(s.key for s in self.stages)

    @property
    def fault_keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.faults)

    def stage_index(self, stage_key: str) -> int:
        return self.stage_keys.index(stage_key)

    def fault(self, key: str) -> Fault:
        for f in self.faults:
            if f.key == key:
                return f
        raise KeyError(f"{self.key}: unknown fault {key!r}; known: {self.fault_keys}")

    def feedback(self, fault_key: str, lang: str = "zh") -> str:
        return self.fault(fault_key).feedback[lang]

    def stage_scores(self, magnitudes: dict[str, float]) -> np.ndarray:
        """Rubric: (4,) stage scores 0-100 from fault magnitudes ``{fault_key: m in [0, 1]}``."""
        scores = np.full(4, 100.0)
        for key, m in magnitudes.items():
            f = self.fault(key)
            m = float(m)
            if not 0.0 <= m <= 1.0:
                raise ValueError(f"{self.key}: magnitude of {key!r} must be in [0, 1], got {m}")
            scores[self.stage_index(f.stage)] *= 1.0 - f.severity * m
        return scores

    def total_score(self, stage_scores: np.ndarray) -> float:
        """Rubric: the 0-100 total as the weighted sum of the stage scores."""
        return float(np.dot(np.asarray(self.stage_weights), np.asarray(stage_scores, float)))


def _text(path: Path, where: str, value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise MovementConfigError(f"{path}: {where} must be a non-empty string, got {value!r}")
    return value


def _texts(path: Path, where: str, obj) -> dict[str, str]:
    if not isinstance(obj, dict):
        raise MovementConfigError(f"{path}: {where} must be an object with 'en' and 'zh'")
    return {lang: _text(path, f"{where}.{lang}", obj.get(lang)) for lang in LANGUAGES}


def _get(path: Path, where: str, obj: dict, key: str):
    if not isinstance(obj, dict) or key not in obj:
        raise MovementConfigError(f"{path}: field {where}{key!r} is missing")
    return obj[key]


def parse_movement(data: dict, path: Path, expected_key: str | None = None) -> Movement:
    """Validate the decoded JSON of one movement file (see the module docstring)."""
    key = _get(path, "", data, "key")
    if key not in STAGES:
        raise MovementConfigError(f"{path}: unknown movement key {key!r}; known: {MOVEMENTS}")
    if expected_key is not None and key != expected_key:
        raise MovementConfigError(f"{path}: file holds movement {key!r}, expected {expected_key!r}")
    names = {lang: _text(path, f"field {lang!r}", _get(path, "", data, lang)) for lang in LANGUAGES}

    raw_stages = _get(path, "", data, "stages")
    if not isinstance(raw_stages, list):
        raise MovementConfigError(f"{path}: field 'stages' must be a list")
    stages = []
    for i, s in enumerate(raw_stages):
        where = f"stages[{i}]."
        stages.append(Stage(
            key=_text(path, where + "key", _get(path, where, s, "key")),
            en=_text(path, where + "en", _get(path, where, s, "en")),
            zh=_text(path, where + "zh", _get(path, where, s, "zh")),
            description=_texts(path, where + "description", _get(path, where, s, "description")),
        ))  # fmt: skip
    keys = tuple(s.key for s in stages)
    if keys != STAGES[key]:
        raise MovementConfigError(
            f"{path}: field 'stages' must list {STAGES[key]} in this order, got {keys}"
        )

    raw_faults = _get(path, "", data, "faults")
    if not isinstance(raw_faults, list) or not raw_faults:
        raise MovementConfigError(f"{path}: field 'faults' must be a non-empty list")
    faults = []
    for i, f in enumerate(raw_faults):
        where = f"faults[{i}]."
        stage = _get(path, where, f, "stage")
        if stage not in keys:
            raise MovementConfigError(f"{path}: {where}stage {stage!r} is not one of {keys}")
        sev = _get(path, where, f, "severity")
        if isinstance(sev, bool) or not isinstance(sev, (int, float)) or not 0 < sev <= 1:
            raise MovementConfigError(
                f"{path}: {where}severity must be a number in (0, 1], got {sev!r}"
            )
        faults.append(Fault(
            key=_text(path, where + "key", _get(path, where, f, "key")),
            stage=stage,
            severity=float(sev),
            en=_text(path, where + "en", _get(path, where, f, "en")),
            zh=_text(path, where + "zh", _get(path, where, f, "zh")),
            feedback=_texts(path, where + "feedback", _get(path, where, f, "feedback")),
        ))  # fmt: skip
    fkeys = [f.key for f in faults]
    dup = sorted({k for k in fkeys if fkeys.count(k) > 1})
    if dup:
        raise MovementConfigError(f"{path}: duplicate fault key(s) {dup}")

    weights_obj = _get(path, "rubric.", _get(path, "", data, "rubric"), "stage_weights")
    if not isinstance(weights_obj, dict) or set(weights_obj) != set(keys):
        raise MovementConfigError(
            f"{path}: rubric.stage_weights must give one weight per stage {keys}"
        )
    weights = []
    for k in keys:
        w = weights_obj[k]
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not w > 0:
            raise MovementConfigError(f"{path}: rubric.stage_weights.{k} must be a positive number")
        weights.append(float(w))
    if not math.isclose(sum(weights), 1.0, abs_tol=1e-6):
        raise MovementConfigError(
            f"{path}: rubric.stage_weights must sum to 1, got {sum(weights):.6g}"
        )
    return Movement(
        key, names["en"], names["zh"], tuple(stages), tuple(faults), tuple(weights), path
    )


def load_movement_file(path: str | Path, expected_key: str | None = None) -> Movement:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MovementConfigError(f"{path}: movement file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MovementConfigError(f"{path}: not a readable JSON file ({exc})") from exc
    if not isinstance(data, dict):
        raise MovementConfigError(f"{path}: the file must hold one JSON object")
    return parse_movement(data, path, expected_key)


@cache
def _load_cached(key: str, resources: str) -> Movement:
    return load_movement_file(Path(resources) / f"{key}.json", expected_key=key)


def load_movement(key: str) -> Movement:
    """The validated definition of movement ``key`` from ``resources/movements/<key>.json``."""
    if key not in STAGES:
        raise MovementConfigError(f"unknown movement {key!r}; known: {MOVEMENTS}")
    return _load_cached(key, str(resource("movements")))


def load_all() -> dict[str, Movement]:
    return {k: load_movement(k) for k in MOVEMENTS}
