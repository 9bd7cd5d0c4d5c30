"""A demo class with plausible students and scored attempts (``kinescore --demo``).

The attempts have no recording files: they exist so that class lists, history charts and
exports have something to show. Scores come from a per-student ability (normal, mean 75,
sd 10) plus a per-attempt noise (sd 5) and a small improvement over the weeks; stage scores
scatter around the attempt's score; grades follow ``resources/grading.json``.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import numpy as np

from engine.records.schema import MOVEMENT_KEYS
from engine.records.store import ClassInfo, Store
from engine.scoring import ScoreResult

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
_GIVEN_M = ["浩然", "子轩", "宇航", "俊杰", "博文", "天佑", "明轩", "志强", "一鸣", "嘉豪", "睿", "晨阳", "梓涵", "文博", "思远", "泽宇", "昊天", "鹏", "涛", "子豪"]  # fmt: skip
_GIVEN_F = ["欣怡", "梓萱", "诗涵", "雨桐", "语嫣", "思琪", "佳怡", "婉清", "一诺", "可馨", "静", "雪", "子涵", "梦瑶", "心怡", "晓彤", "雅琪", "嘉欣", "若曦", "悦"]  # fmt: skip
_EN_M = ["James Smith", "Oliver Brown", "Lucas Miller", "Daniel Wilson", "Ethan Taylor", "Noah Davis"]  # fmt: skip
_EN_F = ["Emma Johnson", "Sophia Clark", "Mia Lewis", "Chloe Walker", "Grace Hall", "Lily Young"]  # fmt: skip


def demo_names(n: int, seed: int = 0, english_share: float = 0.1) -> list[tuple[str, str]]:
    """``n`` distinct (name, gender) pairs, about ``english_share`` of them English."""
    rng = random.Random(seed)
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    while len(out) < n:
        gender = rng.choice("MF")
        if rng.random() < english_share:
            name = rng.choice(_EN_M if gender == "M" else _EN_F)
        else:
            name = rng.choice(_SURNAMES) + rng.choice(_GIVEN_M if gender == "M" else _GIVEN_F)
        if name not in seen:
            seen.add(name)
            out.append((name, gender))
    return out


def create_demo_class(
    store: Store,
    n_students: int = 30,
    seed: int = 0,
    *,
    class_name: str = "Demo 高一(1)班",
    attempts_per_movement: int = 3,
    movements: tuple[str, ...] = MOVEMENT_KEYS,
    number_prefix: str = "D",
) -> ClassInfo:
    """Create (or fill, if it exists and is empty) a demo class; returns it.

    Student numbers are ``<prefix><year><nnn>`` (e.g. ``D2024001``); each student gets
    ``attempts_per_movement`` scored attempts per movement spread over the last six weeks.
    """
    rng = np.random.default_rng(seed)
    try:
        cls = store.get_class(class_name)
        if cls.n_students:
            return cls
    except KeyError:
        cls = store.create_class(class_name, school_year=str(datetime.now().year))
    year = datetime.now().year
    names = demo_names(n_students, seed)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    rows = []
    for i, (name, gender) in enumerate(names, start=1):
        st = store.add_student(
            f"{number_prefix}{year}{i:03d}", name, cls.id, gender=gender,
            birth_year=year - 15 - int(rng.integers(0, 2)),
        )  # fmt: skip
        ability = float(np.clip(rng.normal(75, 10), 35, 98))
        for movement in movements:
            for k in range(attempts_per_movement):
                days_ago = 42 * (attempts_per_movement - k) / attempts_per_movement
                t = now - timedelta(days=float(days_ago + rng.uniform(0, 3)))
                score = float(np.clip(ability + 2.0 * k + rng.normal(0, 5), 0, 100))
                stages = np.clip(score + rng.normal(0, 8, 4), 0, 100)
                rows.append((st.id, movement, t, ScoreResult(
                    score=score, grade=store.grading.grade(score), grade_probs=np.full(5, 0.2),
                    stage_scores=stages, stage_bounds=np.zeros((4, 2)),
                    temporal_attention=np.ones(1), joint_contribution=np.full(17, 1 / 17),
                    feedback=[], model_version="demo",
                )))  # fmt: skip
    store.add_attempts_bulk(rows)
    return store.get_class(cls.id)
