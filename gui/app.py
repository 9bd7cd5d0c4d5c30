"""Entry point of the ``kinescore`` desktop application."""

from __future__ import annotations

import argparse
import sys

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
    p.add_argument("--quit-after", type=float, metavar="SECONDS", help=argparse.SUPPRESS)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    win = QMainWindow()
    win.setWindowTitle("KineScore" + (" — demo" if args.demo else ""))
    win.setCentralWidget(QLabel(f"KineScore {__version__}"))
    win.resize(1280, 800)
    win.show()
    if args.quit_after is not None:
        QTimer.singleShot(int(args.quit_after * 1000), app.quit)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
