"""Shared test fixtures. Tests that need ``../shared/data`` skip with a reason when it is absent;
every other test builds its own data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("KINESCORE_SHARED_DATA", REPO.parent / "shared" / "data"))
KIMORE = SHARED_DATA / "kimore" / "kimore_dev.npz"
UIPRMD = SHARED_DATA / "uiprmd" / "uiprmd_kinect_dev.npz"


@pytest.fixture(scope="session")
def kimore_path() -> Path:
    if not KIMORE.exists():
        pytest.skip(f"KIMORE not found at {KIMORE} (../shared/data is absent on this machine)")
    return KIMORE


@pytest.fixture(scope="session")
def uiprmd_path() -> Path:
    if not UIPRMD.exists():
        pytest.skip(f"UI-PRMD not found at {UIPRMD} (../shared/data is absent on this machine)")
    return UIPRMD


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """Never touch the real user's database or settings."""
    home = tmp_path_factory.mktemp("kinescore_home")
    monkeypatch.setenv("KINESCORE_HOME", str(home))
    return home


def pytest_collection_modifyitems(config, items):
    if os.environ.get("KINESCORE_HARDWARE") == "1":
        return
    skip = pytest.mark.skip(reason="needs real hardware; set KINESCORE_HARDWARE=1 to run")
    for item in items:
        if "hardware" in item.keywords:
            item.add_marker(skip)
