"""Every name the app shows for a key of the engine (movements, stages, grades, joints,
feedback, phases), translatable with Qt's translation files.

Fault cues come from ``resources/movements/<movement>.json`` through ``engine.movements``
(English and Chinese, written with the movement simulator) when that file names the fault;
otherwise the key itself is made readable.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

CTX = "Texts"

MOVEMENT_NAMES = {
    "standing_long_jump": QT_TRANSLATE_NOOP("Texts", "Standing long jump"),
    "sit_ups": QT_TRANSLATE_NOOP("Texts", "Sit-ups"),
    "free_throw": QT_TRANSLATE_NOOP("Texts", "Free throw"),
    "overhead_pass": QT_TRANSLATE_NOOP("Texts", "Overhead pass"),
}
MOVEMENT_SHORT_NAMES = {  # roster column headers
    "standing_long_jump": QT_TRANSLATE_NOOP("Texts", "Long jump"),
    "sit_ups": QT_TRANSLATE_NOOP("Texts", "Sit-ups"),
    "free_throw": QT_TRANSLATE_NOOP("Texts", "Free throw"),
    "overhead_pass": QT_TRANSLATE_NOOP("Texts", "Overhead pass"),
}
STAGES = {
    "standing_long_jump": ("pre_swing", "take_off", "flight", "landing"),
    "sit_ups": ("lying", "curl_up", "top", "return"),
    "free_throw": ("set", "dip", "release", "follow_through"),
    "overhead_pass": ("ready", "move_under", "contact", "extension"),
}
STAGE_NAMES = {
    "pre_swing": QT_TRANSLATE_NOOP("Texts", "Pre-swing"),
    "take_off": QT_TRANSLATE_NOOP("Texts", "Take-off"),
    "flight": QT_TRANSLATE_NOOP("Texts", "Flight"),
    "landing": QT_TRANSLATE_NOOP("Texts", "Landing"),
    "lying": QT_TRANSLATE_NOOP("Texts", "Lying"),
    "curl_up": QT_TRANSLATE_NOOP("Texts", "Curl-up"),
    "top": QT_TRANSLATE_NOOP("Texts", "Top"),
    "return": QT_TRANSLATE_NOOP("Texts", "Return"),
    "set": QT_TRANSLATE_NOOP("Texts", "Set"),
    "dip": QT_TRANSLATE_NOOP("Texts", "Dip"),
    "release": QT_TRANSLATE_NOOP("Texts", "Release"),
    "follow_through": QT_TRANSLATE_NOOP("Texts", "Follow-through"),
    "ready": QT_TRANSLATE_NOOP("Texts", "Ready"),
    "move_under": QT_TRANSLATE_NOOP("Texts", "Move under"),
    "contact": QT_TRANSLATE_NOOP("Texts", "Contact"),
    "extension": QT_TRANSLATE_NOOP("Texts", "Extension"),
}
GRADE_NAMES = {
    "excellent": QT_TRANSLATE_NOOP("Texts", "Excellent"),
    "good": QT_TRANSLATE_NOOP("Texts", "Good"),
    "medium": QT_TRANSLATE_NOOP("Texts", "Medium"),
    "pass": QT_TRANSLATE_NOOP("Texts", "Pass"),
    "fail": QT_TRANSLATE_NOOP("Texts", "Fail"),
}
JOINT_NAMES = {
    "pelvis": QT_TRANSLATE_NOOP("Texts", "pelvis"),
    "right_hip": QT_TRANSLATE_NOOP("Texts", "right hip"),
    "right_knee": QT_TRANSLATE_NOOP("Texts", "right knee"),
    "right_ankle": QT_TRANSLATE_NOOP("Texts", "right ankle"),
    "left_hip": QT_TRANSLATE_NOOP("Texts", "left hip"),
    "left_knee": QT_TRANSLATE_NOOP("Texts", "left knee"),
    "left_ankle": QT_TRANSLATE_NOOP("Texts", "left ankle"),
    "spine": QT_TRANSLATE_NOOP("Texts", "spine"),
    "thorax": QT_TRANSLATE_NOOP("Texts", "chest"),
    "neck": QT_TRANSLATE_NOOP("Texts", "neck"),
    "head": QT_TRANSLATE_NOOP("Texts", "head"),
    "left_shoulder": QT_TRANSLATE_NOOP("Texts", "left shoulder"),
    "left_elbow": QT_TRANSLATE_NOOP("Texts", "left elbow"),
    "left_wrist": QT_TRANSLATE_NOOP("Texts", "left wrist"),
    "right_shoulder": QT_TRANSLATE_NOOP("Texts", "right shoulder"),
    "right_elbow": QT_TRANSLATE_NOOP("Texts", "right elbow"),
    "right_wrist": QT_TRANSLATE_NOOP("Texts", "right wrist"),
}
PHASES = {
    "idle": QT_TRANSLATE_NOOP("Texts", "Choose a student and click Start (Space)"),
    "waiting": QT_TRANSLATE_NOOP("Texts", "Waiting for the student to keep still…"),
    "ready": QT_TRANSLATE_NOOP("Texts", "Ready: the attempt starts when the student moves"),
    "active": QT_TRANSLATE_NOOP("Texts", "Attempt under way"),
    "scoring": QT_TRANSLATE_NOOP("Texts", "Scoring and saving…"),
    "done": QT_TRANSLATE_NOOP("Texts", "Attempt finished"),
    "cancelled": QT_TRANSLATE_NOOP("Texts", "Stopped before an attempt started"),
}
END_REASONS = {
    "rest": QT_TRANSLATE_NOOP("Texts", "ended when the student came to rest"),
    "manual": QT_TRANSLATE_NOOP("Texts", "stopped by the teacher"),
    "max_duration": QT_TRANSLATE_NOOP("Texts", "reached the maximum duration"),
    "lost": QT_TRANSLATE_NOOP("Texts", "the student left the picture"),
}


def t(text: str) -> str:
    return QCoreApplication.translate(CTX, text)


def movement_name(key: str) -> str:
    return t(MOVEMENT_NAMES[key]) if key in MOVEMENT_NAMES else key


def movement_short_name(key: str) -> str:
    return t(MOVEMENT_SHORT_NAMES[key]) if key in MOVEMENT_SHORT_NAMES else movement_name(key)


def stage_keys(movement: str) -> tuple[str, ...]:
    return STAGES.get(movement, ("stage_1", "stage_2", "stage_3", "stage_4"))


def stage_name(key: str) -> str:
    return t(STAGE_NAMES[key]) if key in STAGE_NAMES else _readable(key)


def grade_name(key: str | None) -> str:
    return t(GRADE_NAMES[key]) if key in GRADE_NAMES else "—"


def joint_name(key: str) -> str:
    return t(JOINT_NAMES[key]) if key in JOINT_NAMES else _readable(key)


def phase_text(phase: str) -> str:
    return t(PHASES.get(phase, phase))


def end_reason_text(reason: str | None) -> str:
    return t(END_REASONS[reason]) if reason in END_REASONS else ""


def _readable(key: str) -> str:
    return key.replace("_", " ").strip().capitalize()


def _movement(movement: str):
    """The movement definition (``engine.movements``), or None when unreadable."""
    from engine.movements import MovementConfigError, load_movement

    try:
        return load_movement(movement)
    except (MovementConfigError, OSError, ValueError):
        return None


def _lang() -> str:
    from gui.i18n import current_language

    return "zh" if current_language().startswith("zh") else "en"


def _fault(movement: str, fault: str):
    m = _movement(movement)
    if m is None:
        return None
    try:
        return m.fault(fault)
    except KeyError:
        return None


def fault_text(movement: str, fault: str) -> str:
    """The cue for a fault from the movement file (what to do better), in the UI language."""
    f = _fault(movement, fault)
    if f is None:
        return _readable(fault)
    lang = _lang()
    return f.feedback.get(lang) or f.name(lang)


def fault_stage(movement: str, fault: str) -> str | None:
    """The stage a fault belongs to (None when the movement file does not know it)."""
    f = _fault(movement, fault)
    return None if f is None else f.stage


def feedback_text(movement: str, key: str) -> str:
    """A teacher-readable cue for a feedback key (``fault:<name>`` or ``stage:<name>``)."""
    kind, _, name = key.partition(":")
    if kind == "fault":
        return fault_text(movement, name)
    if kind == "stage":
        return QCoreApplication.translate(
            "Texts", "Practise the {stage} stage: it scored below the rest"
        ).format(stage=stage_name(name))
    return _readable(key)
