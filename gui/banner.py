"""Non-blocking messages: a strip of banners at the top of the main window.

Every problem a teacher can act on (device missing or unplugged, model missing or corrupt,
database locked or read-only, an export that failed) shows here, with buttons that fix it
(Retry, Choose device, Choose model...). No modal dialog: the app stays usable. One banner
per ``key``: showing a key again replaces its banner.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from gui.i18n import Retranslatable

Text = str | Callable[[], str]
STYLES = {
    "error": ("#fdecea", "#c0392b"),
    "warning": ("#fff4e5", "#d35400"),
    "info": ("#e8f4fd", "#1f6fb2"),
    "success": ("#eaf7ee", "#1b7f3b"),
}


def _s(text: Text) -> str:
    return text() if callable(text) else text


class Banner(Retranslatable, QFrame):
    """One message with its action buttons and a close button."""

    def __init__(self, key: str, level: str, text: Text,
                 actions: list[tuple[Text, Callable[[], None]]], on_close, parent=None):
        super().__init__(parent)
        self.key, self.level, self._text = key, level, text
        self._actions = actions
        bg, fg = STYLES.get(level, STYLES["info"])
        self.setObjectName("banner")
        self.setStyleSheet(
            f"QFrame#banner {{ background: {bg}; border: 1px solid {fg}; border-radius: 4px; }}"
            f"QLabel {{ color: #222; }}"
        )
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 4, 4, 4)
        self.label = QLabel(wordWrap=True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.label, 1)
        self.buttons: list[QPushButton] = []
        for _, fn in actions:
            b = QPushButton()
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.clicked.connect(fn)
            lay.addWidget(b)
            self.buttons.append(b)
        self.close_button = QPushButton("×")
        self.close_button.setFlat(True)
        self.close_button.setFixedWidth(24)
        self.close_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.close_button.clicked.connect(lambda: on_close(self.key))
        lay.addWidget(self.close_button)
        self.retranslate()

    @property
    def text(self) -> str:
        return self.label.text()

    def retranslate(self) -> None:
        self.label.setText(_s(self._text))
        for b, (label, _) in zip(self.buttons, self._actions):
            b.setText(_s(label))
        self.close_button.setToolTip(self.tr("Dismiss"))


class BannerArea(QWidget):
    """The column of banners; empty (and zero height) when all is well."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._lay = QVBoxLayout(self)
        self._lay.setContentsMargins(4, 2, 4, 2)
        self._lay.setSpacing(2)
        self.banners: dict[str, Banner] = {}
        self.setVisible(False)

    def show_message(self, key: str, level: str, text: Text,
                     actions: list[tuple[Text, Callable[[], None]]] | None = None) -> Banner:
        self.clear(key)
        b = Banner(key, level, text, actions or [], self.clear, self)
        self.banners[key] = b
        self._lay.addWidget(b)
        self.setVisible(True)
        return b

    def clear(self, key: str) -> None:
        b = self.banners.pop(key, None)
        if b is not None:
            self._lay.removeWidget(b)
            b.deleteLater()
        self.setVisible(bool(self.banners))

    def text(self, key: str) -> str | None:
        b = self.banners.get(key)
        return None if b is None else b.text
