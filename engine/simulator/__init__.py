"""Movement simulator: students doing the four movements, with faults, labels and sensor
effects (issue 5). No public data set has students doing these movements; this makes them.

Public API (imported lazily so that ``kinescore-engine --help`` stays fast)::

    from engine.simulator import simulate_attempt, generate_dataset, count_situp_reps
    att = simulate_attempt("sit_ups", seed=3, student=10, faults={"incomplete_curl": 0.7})

See ``docs/simulator.md`` for the design, figures and measured numbers.
"""

from __future__ import annotations

import importlib

_API = {
    "simulate_attempt": "engine.simulator.attempt",
    "SimulatedAttempt": "engine.simulator.attempt",
    "LABEL_KEYS": "engine.simulator.attempt",
    "generate_dataset": "engine.simulator.dataset",
    "plan_attempts": "engine.simulator.dataset",
    "write_synth": "engine.simulator.dataset",
    "count_situp_reps": "engine.simulator.reps",
    "SitupRepCounter": "engine.simulator.reps",
    "trunk_elevation": "engine.simulator.reps",
    "Student": "engine.simulator.body",
    "Body": "engine.simulator.body",
    "make_student": "engine.simulator.body",
    "make_body": "engine.simulator.body",
    "SensorConfig": "engine.simulator.sensor",
    "icc": "engine.simulator.rubric",
}

__all__ = sorted(_API)


def __getattr__(name: str):
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'engine.simulator' has no attribute {name!r}")
