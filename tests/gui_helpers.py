"""Fixtures and fakes for the GUI tests: a scripted fake camera registered as device kind
``fake``, the deterministic fake scorer, QSettings in a temporary folder, a real temporary
records database, and a guard that fails the test on any modal dialog.

Import the fixtures into a test module with ``from tests.gui_helpers import *``.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from devices.base import (
    DeviceError,
    ErrorCode,
    Frame,
    SkeletonSource,
    clock,
    register_source,
    source_kinds,
)
from tests.live_helpers import FakeScorer, jump_sequence

UNPLUG = threading.Event()  # set: the fake camera fails as if unplugged


class FakeCamera(SkeletonSource):
    """Loops a standing long jump (still 1.5 s, jump 1.2 s, still 2.5 s) at ``speed`` times
    real time; frame timestamps keep the 30 fps spacing. ``fake:image`` adds a small colour
    image with 2D keypoints."""

    def __init__(self, arg: str | None = None, speed: float = 6.0):
        super().__init__("Fake camera", serial="FAKE-1", nominal_fps=30.0)
        self.speed = speed
        self.image = arg == "image"
        t, j = jump_sequence(still_s=1.5, move_s=1.2, rest_s=2.5, t0=0.0)
        self._joints = j
        self._n = 0
        self._anchor = 0.0

    @classmethod
    def from_spec(cls, arg, **options):
        return cls(arg, **options)

    def _open(self):
        if UNPLUG.is_set():
            raise DeviceError("The fake camera is not connected. Plug it in and click Retry.",
                              code=ErrorCode.NOT_FOUND, device=self.name)

    def _on_start(self):
        self._anchor = clock()
        self._n = 0

    def _capture(self, timeout):
        if UNPLUG.is_set():
            raise DeviceError("The fake camera was unplugged. Plug it back in and click Retry.",
                              code=ErrorCode.DISCONNECTED, device=self.name)
        due = self._anchor + self._n / (30.0 * self.speed)
        wait = due - clock()
        if wait > timeout:
            self._stop_event.wait(timeout)
            return None
        if wait > 0 and self._stop_event.wait(wait):
            return None
        j = self._joints[self._n % len(self._joints)]
        ts = self._anchor + self._n / 30.0
        kw = {}
        if self.image:
            img = np.full((48, 64, 3), 200, np.uint8)
            kw = {"image": img, "keypoints_2d": np.stack([j[:, 0] * 10 + 32, 40 - j[:, 1] * 10], 1)}
        f = Frame(ts, self._n, j, np.ones(17, np.float32), **kw)
        self._n += 1
        return f


if "fake" not in source_kinds():
    register_source("fake")(FakeCamera)


@pytest.fixture(autouse=True)
def no_modal_dialogs(monkeypatch):
    """Any modal dialog fails the test (the app must use banners)."""
    from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox

    def fail(*_a, **_k):
        pytest.fail("a modal dialog was opened")

    for name in ("exec", "critical", "warning", "question", "information", "about"):
        monkeypatch.setattr(QMessageBox, name, fail)
    monkeypatch.setattr(QDialog, "exec", fail)
    for name in ("getSaveFileName", "getOpenFileName", "getExistingDirectory"):
        monkeypatch.setattr(QFileDialog, name, fail)


@pytest.fixture(autouse=True)
def temp_settings(tmp_path_factory):
    """QSettings in a temporary folder."""
    from PySide6.QtCore import QSettings

    folder = tmp_path_factory.mktemp("settings")
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    yield folder


@pytest.fixture(autouse=True)
def fake_model(monkeypatch):
    """The window loads the fake scorer instead of a model file."""
    import gui.main_window as mw

    scorer = FakeScorer()
    monkeypatch.setattr(mw, "load_scorer", lambda path: scorer)
    UNPLUG.clear()
    return scorer


@pytest.fixture
def database(tmp_path):
    """A real records database with one class of three students."""
    from engine.records import Store

    path = tmp_path / "records.sqlite3"
    with Store.open(path) as s:
        s.create_class("1A")
        for i, name in enumerate(("Ann", "Bob", "Cai"), start=1):
            s.add_student(f"S00{i}", name, "1A")
    return path


@pytest.fixture
def make_window(qtbot, database):
    """``make_window(**kw)`` -> a shown MainWindow on the fake camera and fake model, with the
    roster loaded; closed at the end of the test."""
    from gui.main_window import MainWindow
    from gui.settings import load_settings

    made = []

    def make(device="fake", database_path=None, **kw):
        win = MainWindow(load_settings(), database=database_path or database, device=device, **kw)
        qtbot.addWidget(win)
        win.show()
        made.append(win)
        return win

    yield make
    for w in made:
        w.close()


def wait_roster(qtbot, win, rows=3):
    qtbot.waitUntil(lambda: win.roster.table.rowCount() == rows, timeout=10000)


def wait_device(qtbot, win):
    qtbot.waitUntil(lambda: win.controller.source is not None
                    and win.controller.source.latest() is not None, timeout=10000)


__all__ = ["FakeCamera", "UNPLUG", "database", "fake_model", "make_window", "no_modal_dialogs",
           "temp_settings", "wait_device", "wait_roster"]
