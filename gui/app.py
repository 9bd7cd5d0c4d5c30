"""Entry point of the ``kinescore`` desktop application.

``kinescore --demo``: the movement simulator, the bundled model and a demo class in a
throwaway database (a temporary folder removed at exit; the teacher's settings are read
but never written). Plain ``kinescore``: the teacher's database
(``engine.paths.default_database_path()``, or ``--database``) and the device used last.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

from engine import __version__


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kinescore",
        description="KineScore: automatic scoring of students' sports movements from 3D "
        "skeletons (standing long jump, sit-ups, free throw, volleyball overhead pass).",
    )
    p.add_argument("--version", action="version", version=f"kinescore {__version__}")
    p.add_argument("--demo", action="store_true",
                   help="run on the movement simulator with the bundled model and a demo "
                        "class in a throwaway database")
    p.add_argument("--database", metavar="PATH", help="SQLite database to use")
    p.add_argument("--device", metavar="SPEC",
                   help="device to open, e.g. simulator, webcam:0, kinect:0, replay:FILE.ksr")
    p.add_argument("--language", choices=("en", "zh_CN"), help="user-interface language")
    p.add_argument("--quit-after", type=float, metavar="SECONDS", help=argparse.SUPPRESS)
    return p


def create_window(args: argparse.Namespace):
    """The main window for parsed arguments (QApplication must exist). Returns
    ``(window, throwaway folder or None)``."""
    from engine.paths import default_database_path
    from gui import i18n
    from gui.main_window import MainWindow
    from gui.settings import load_settings

    settings = load_settings()
    if args.language:
        settings.language = args.language
    i18n.set_language(settings.effective_language)
    throwaway = None
    if args.demo:
        throwaway = Path(tempfile.mkdtemp(prefix="kinescore-demo-"))
        database = Path(args.database) if args.database else throwaway / "demo.sqlite3"
        device = args.device or "simulator"
    else:
        database = Path(args.database) if args.database else default_database_path()
        device = args.device
    win = MainWindow(settings, database=database, demo=args.demo, device=device,
                     persist=not args.demo)
    return win, throwaway


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=os.environ.get("KINESCORE_LOG", "WARNING"),
                        format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("KineScore")
    app.setOrganizationName("KineScore")
    win, throwaway = create_window(args)
    win.show()
    if args.quit_after is not None:
        QTimer.singleShot(int(args.quit_after * 1000), win.close)
    try:
        return app.exec()
    finally:
        if throwaway is not None:
            shutil.rmtree(throwaway, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
