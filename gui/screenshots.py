"""Screenshots of every screen for the README: ``xvfb-run -a python -m gui.screenshots``.

Drives the real app as ``kinescore --demo`` does (simulated students, the bundled model when
``resources/models/`` has one, a demo class in a throwaway database) and saves PNGs under
``docs/screenshots/``: the live view ready and during an attempt, the result, the replay
review with a teacher's override, the settings, sit-ups in Chinese, and the problem banners.
Without a bundled model the screens show the app's no-model state (no score is ever faked).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from engine.paths import resources_dir

OUT = resources_dir().parent / "docs" / "screenshots"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m gui.screenshots", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=str(OUT), help="folder for the PNGs")
    p.add_argument("--model", default="", help="model file (default: the bundled model)")
    args = p.parse_args(argv)
    os.environ.setdefault("KINESCORE_HOME", tempfile.mkdtemp(prefix="kinescore-shots-"))
    from PySide6.QtCore import QSettings
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from engine.live import Phase
    from gui import i18n
    from gui.main_window import MainWindow
    from gui.settings import Settings

    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                      tempfile.mkdtemp(prefix="kinescore-shots-settings-"))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="kinescore-shots-"))
    i18n.set_language("en")
    win = MainWindow(Settings(model=args.model, movement="standing_long_jump", language="en"),
                     database=tmp / "demo.sqlite3", demo=True, device="simulator",
                     persist=False)
    win.resize(1440, 860)
    win.show()

    def wait(cond, timeout=60.0, what=""):
        end = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > end:
                raise SystemExit(f"screenshots: timed out waiting for {what}")
            QTest.qWait(50)

    def shot(name, widget=None):
        QTest.qWait(150)
        (widget or win).grab().save(str(out / f"{name}.png"))
        print("wrote", out / f"{name}.png")

    live = win.controller.live
    wait(lambda: win.roster.table.rowCount() > 0, what="the roster")
    wait(lambda: win.controller.source is not None and win.controller.source.latest(),
         what="the simulator")
    wait(lambda: win.scorer is not None or win.banners.text("model"), what="the model")
    scored = win.scorer is not None
    win.roster.select_next(2)
    shot("01-live-ready")

    def attempt(shot_during=None):
        win.toggle_attempt()
        if shot_during:
            wait(lambda: live.state.phase is Phase.ACTIVE
                 and (not scored or live.state.windows_scored >= 2 and live.state.stages_done >= 1)
                 or live.state.phase is Phase.DONE, 60, "an attempt under way")
            if live.state.phase is Phase.ACTIVE:
                shot(shot_during)
        wait(lambda: live.state.phase is Phase.DONE and not win.armed, 60, "the attempt's end")

    attempt("02-live-attempt")
    student = win.attempt_student
    shot("03-live-result")

    # replay review of that attempt, with a teacher's override
    win.roster.select_student(student.id)
    win.tabs.setCurrentWidget(win.replay)
    wait(lambda: win.replay.attempt_list.count() > 0, what="the attempts list")
    win.replay.attempt_list.setCurrentRow(0)
    wait(lambda: win.replay.review is not None, what="the recording")
    rec = win.replay.review["recording"]
    win.replay.seek(rec.duration * 0.45)
    if win.replay.attempt.score is not None:
        win.replay.override_score.setValue(round(win.replay.attempt.score) + 4)
    else:
        win.replay.override_score.setValue(78)
    win.replay.override_note.setText("Good landing; the model missed the arm swing")
    win.replay.override_save.click()
    wait(lambda: win.replay.attempt.overridden, what="the override")
    shot("04-review")

    # settings
    win.open_settings()
    dlg = win.settings_dialog
    wait(lambda: dlg.devices_loaded, what="the device list")
    shot("05-settings", dlg)
    dlg.reject()

    # sit-ups, in Chinese
    win.tabs.setCurrentWidget(win.live_tab)
    win.set_language("zh_CN")
    win.live_panel.set_movement("sit_ups")
    wait(lambda: win.controller.source is not None and win.controller.source.latest()
         and "sit_ups" in win.controller.spec, what="the sit-up simulator")
    win.roster.select_next(1)
    attempt()
    shot("06-live-situps-zh")
    win.set_language("en")

    # problems: a camera that is not there (and, without a model, the model banner)
    win.device_spec = "webcam:7"
    win.open_device()
    wait(lambda: win.banners.text("device") is not None, what="the device banner")
    shot("07-problems")
    win.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
