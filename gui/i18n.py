"""Languages: English (the source strings) and Simplified Chinese
(``resources/translations/kinescore_zh_CN.qm``, compiled from the ``.ts`` next to it).

:func:`set_language` swaps the installed translator at run time; Qt then sends every widget a
``LanguageChange`` event and each widget re-reads its texts (``retranslate()``).
Regenerate the files after changing strings: ``python packaging/translations.py``.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QEvent, QLibraryInfo, QTranslator

from engine.paths import resource

log = logging.getLogger("gui")
_installed: list[QTranslator] = []
_language = "en"


def translation_file(language: str):
    return resource("translations", f"kinescore_{language}.qm")


def current_language() -> str:
    return _language


def set_language(language: str) -> bool:
    """Install the translators of ``language`` ("en" or "zh_CN"); returns False (and stays
    in English) when its file is missing."""
    global _language
    app = QCoreApplication.instance()
    for tr in _installed:
        app.removeTranslator(tr)
    _installed.clear()
    _language = "en"
    if language == "en":
        return True
    ours = QTranslator(app)
    if not ours.load(str(translation_file(language))):
        log.warning("translation %s not found at %s", language, translation_file(language))
        return False
    qt = QTranslator(app)  # Qt's own strings (standard buttons, file dialogs)
    if qt.load(f"qtbase_{language}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(qt)
        _installed.append(qt)
    app.installTranslator(ours)
    _installed.append(ours)
    _language = language
    return True


class Retranslatable:
    """Mixin for widgets: ``retranslate()`` runs when the language changes (put it first
    among the base classes: ``class Panel(Retranslatable, QWidget)``)."""

    def changeEvent(self, ev):  # noqa: N802 - Qt name
        if ev.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(ev)
