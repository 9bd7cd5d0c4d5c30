"""Where KineScore finds its bundled resources and keeps the teacher's data."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "KineScore"


def resources_dir() -> Path:
    """The ``resources/`` folder: next to the packages in a checkout, or inside a
    PyInstaller bundle (``sys._MEIPASS``)."""
    override = os.environ.get("KINESCORE_RESOURCES")
    if override:
        return Path(override)
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)


def user_data_dir() -> Path:
    """The teacher's data: database and recordings (``KINESCORE_HOME`` overrides)."""
    override = os.environ.get("KINESCORE_HOME")
    path = Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, False))
    return path


def default_database_path() -> Path:
    return user_data_dir() / "kinescore.sqlite3"


def recordings_dir() -> Path:
    return user_data_dir() / "recordings"
