"""The app's persisted settings (QSettings, INI format in the user's config folder).

Tests point QSettings at a temporary folder (``QSettings.setPath``). Keys:

==============  =========================================================================
``device``      device spec for ``devices.open_source`` ("" = pick one at start-up)
``model``       model file ("" = the bundled model in ``resources/models/``)
``thresholds``  four minimum scores (excellent, good, medium, pass); "" = resources file
``language``    "en" or "zh_CN" ("" = the system's language)
``save_video``  false (default, for privacy: skeleton only) or true
``class_id``    the class shown last; ``movement``: the movement chosen last
==============  =========================================================================
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from PySide6.QtCore import QLocale, QSettings

from engine.grading import GRADES, Grading, GradingConfigError, default_grading

LANGUAGES = ("en", "zh_CN")
MOVEMENTS = ("standing_long_jump", "sit_ups", "free_throw", "overhead_pass")


def qsettings() -> QSettings:
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "KineScore", "KineScore")


def grading_with(thresholds: list[float] | tuple[float, ...] | None) -> Grading:
    """The grading of ``resources/grading.json`` with the four minimum scores replaced
    (excellent, good, medium, pass; fail is always 0). Raises GradingConfigError when they do
    not decrease strictly within (0, 100]."""
    base = default_grading()
    if not thresholds:
        return base
    mins = [float(x) for x in thresholds]
    if len(mins) != len(GRADES) - 1:
        raise GradingConfigError(f"need {len(GRADES) - 1} thresholds, got {len(mins)}")
    full = [*mins, 0.0]
    if any(a <= b for a, b in zip(full, full[1:])) or mins[0] > 100:
        raise GradingConfigError("grade thresholds must decrease strictly from 100 to above 0")
    levels = tuple(replace(lv, min_score=m) for lv, m in zip(base.levels, full))
    return Grading(levels, base.national_names)


def system_language() -> str:
    return "zh_CN" if QLocale.system().language() == QLocale.Language.Chinese else "en"


@dataclass
class Settings:
    device: str = ""
    model: str = ""
    thresholds: tuple[float, ...] = ()
    language: str = ""
    save_video: bool = False
    class_id: int = 0
    movement: str = MOVEMENTS[0]

    @property
    def effective_language(self) -> str:
        return self.language if self.language in LANGUAGES else system_language()

    def grading(self) -> Grading:
        try:
            return grading_with(self.thresholds)
        except GradingConfigError:
            return default_grading()


def load_settings(qs: QSettings | None = None) -> Settings:
    qs = qs or qsettings()
    s = Settings()
    s.device = str(qs.value("device", "") or "")
    s.model = str(qs.value("model", "") or "")
    raw = qs.value("thresholds", "") or ""
    try:
        vals = [float(x) for x in (raw if isinstance(raw, list) else str(raw).split(",")) if str(x).strip()]
        s.thresholds = tuple(vals) if len(vals) == len(GRADES) - 1 else ()
    except ValueError:
        s.thresholds = ()
    s.language = str(qs.value("language", "") or "")
    s.save_video = str(qs.value("save_video", "false")).lower() in ("true", "1")
    try:
        s.class_id = int(qs.value("class_id", 0) or 0)
    except (TypeError, ValueError):
        s.class_id = 0
    mv = str(qs.value("movement", MOVEMENTS[0]) or MOVEMENTS[0])
    s.movement = mv if mv in MOVEMENTS else MOVEMENTS[0]
    return s


def save_settings(s: Settings, qs: QSettings | None = None) -> None:
    qs = qs or qsettings()
    qs.setValue("device", s.device)
    qs.setValue("model", s.model)
    qs.setValue("thresholds", ",".join(f"{x:g}" for x in s.thresholds))
    qs.setValue("language", s.language)
    qs.setValue("save_video", "true" if s.save_video else "false")
    qs.setValue("class_id", int(s.class_id))
    qs.setValue("movement", s.movement)
    qs.sync()
