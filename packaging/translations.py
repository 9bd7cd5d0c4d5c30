"""Update the app's translation files: ``python packaging/translations.py``.

1. ``pyside6-lupdate`` collects every ``tr()`` / ``translate()`` / ``QT_TRANSLATE_NOOP``
   string of ``gui/`` into ``resources/translations/kinescore_zh_CN.ts`` (existing
   translations are kept; strings no longer used are marked obsolete and dropped);
2. it lists the strings that still need a Chinese translation (edit the ``.ts`` with Qt
   Linguist, ``pyside6-linguist``, or any text editor);
3. ``pyside6-lrelease`` compiles the ``.qm`` the app loads.

Exit status 1 when a string is untranslated, so CI or a reviewer notices.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TS = REPO / "resources" / "translations" / "kinescore_zh_CN.ts"
QM = TS.with_suffix(".qm")


def tool(name: str) -> str:
    """A PySide6 tool: next to the Python interpreter, or on PATH."""
    for cand in (Path(sys.executable).parent / f"pyside6-{name}", shutil.which(f"pyside6-{name}")):
        if cand and Path(cand).exists():
            return str(cand)
    import PySide6

    return str(Path(PySide6.__file__).parent / name)


def untranslated(ts: Path = TS) -> list[str]:
    root = ET.parse(ts).getroot()
    out = []
    for ctx in root.findall("context"):
        for m in ctx.findall("message"):
            t = m.find("translation")
            if t.get("type") in ("obsolete", "vanished"):
                continue
            if t.get("type") == "unfinished" or not (t.text or "").strip():
                out.append(f"{ctx.findtext('name')}: {m.findtext('source')}")
    return out


def main() -> int:
    sources = sorted(str(p.relative_to(REPO)) for p in (REPO / "gui").glob("*.py"))
    TS.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([tool("lupdate"), "-no-obsolete", "-locations", "none", *sources,
                    "-ts", str(TS.relative_to(REPO))], cwd=REPO, check=True)
    missing = untranslated()
    for m in missing:
        print(f"untranslated: {m}")
    subprocess.run([tool("lrelease"), str(TS), "-qm", str(QM)], cwd=REPO, check=True)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
