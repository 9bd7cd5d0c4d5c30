"""The 2D skeleton view (pyqtgraph): the colour image with the skeleton drawn over it, or the
skeleton alone, projected from the canonical 3D joints.

Projections of the 3D skeleton: ``"camera"`` shows x-y (what the camera sees: x right, y up),
``"side"`` shows z-y (depth to the right), useful for sit-ups and jumps filmed from the front.
With a colour image and 2D keypoints the skeleton is drawn on the image in pixels. Left-side
bones are blue, right-side orange, the trunk grey; highlighted joints (those that cost the
most points) are red and larger. The view range only moves when the student leaves it, so the
picture does not jitter.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from engine.skeleton import EDGES, JOINTS
from gui.i18n import Retranslatable

pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)

_SIDE = np.array([1 if n.startswith("left") else 2 if n.startswith("right") else 0 for n in JOINTS])
_GROUPS = {  # bone colour by the side of the child joint
    0: [(a, b) for a, b in EDGES if _SIDE[b] == 0],
    1: [(a, b) for a, b in EDGES if _SIDE[b] == 1],
    2: [(a, b) for a, b in EDGES if _SIDE[b] == 2],
}
_COLOURS = {0: "#555555", 1: "#1f77b4", 2: "#ff7f0e"}


class SkeletonView(Retranslatable, pg.PlotWidget):
    """Draws one frame at a time; cheap enough for 60 redraws a second."""

    def __init__(self, parent=None, projection: str = "camera"):
        super().__init__(parent, background="w")
        self.projection = projection
        self.setMenuEnabled(False)
        self.hideButtons()
        self.setAspectLocked(True)
        for ax in ("left", "bottom"):
            self.getPlotItem().hideAxis(ax)
        self.setMouseEnabled(False, False)
        self.image_item = pg.ImageItem()
        self.addItem(self.image_item)
        self.bones = {}
        for g, colour in _COLOURS.items():
            item = pg.PlotDataItem(pen=pg.mkPen(colour, width=4), connect="pairs")
            self.addItem(item)
            self.bones[g] = item
        self.joints = pg.ScatterPlotItem(size=8, brush=pg.mkBrush("#222222"), pen=None)
        self.addItem(self.joints)
        self.highlight = pg.ScatterPlotItem(size=18, brush=pg.mkBrush(220, 30, 30, 170),
                                            pen=pg.mkPen("#b00000", width=2))
        self.addItem(self.highlight)
        self.message = QLabel(self)  # centred over the plot; empty when there is a skeleton
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #666666; font-size: 13pt; background: transparent;")
        self.message.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._highlighted: list[int] = []
        self._range: tuple[float, float, float, float] | None = None
        self._image_mode = False
        self._empty_text = ""
        self.frames_drawn = 0
        self.retranslate()

    # ------------------------------------------------------------------ API
    def set_highlight(self, joints: list[int]) -> None:
        self._highlighted = list(joints)

    def set_projection(self, projection: str) -> None:
        self.projection = projection
        self._range = None

    def clear_frame(self, message: str = "") -> None:
        for item in self.bones.values():
            item.setData([], [])
        self.joints.setData([], [])
        self.highlight.setData([], [])
        self.image_item.clear()
        self._show_message(message)

    def set_frame(self, joints, confidence=None, image=None, keypoints_2d=None) -> None:
        """Draw one frame: ``joints`` (17, 3) metres or None; ``image`` (H, W, 3) RGB uint8;
        ``keypoints_2d`` (17, 2) pixels in ``image``."""
        self.frames_drawn += 1
        conf = np.ones(len(JOINTS)) if confidence is None else np.asarray(confidence)
        if image is not None:
            self._set_image_mode(True)
            self.image_item.setImage(image, autoLevels=False, levels=(0, 255))
            h, w = image.shape[:2]
            if self._range != (0, w, 0, h):
                self._range = (0, w, 0, h)
                self.setRange(xRange=(0, w), yRange=(0, h), padding=0)
            pts = None if keypoints_2d is None else np.asarray(keypoints_2d, float)
        else:
            self._set_image_mode(False)
            if self.image_item.image is not None:
                self.image_item.clear()
            pts = None
            if joints is not None:
                j = np.asarray(joints, float)
                pts = j[:, [2, 1]] if self.projection == "side" else j[:, [0, 1]]
        if pts is None:
            self.clear_skeleton()
            self._show_message(self._empty_text)
            return
        ok = np.isfinite(pts).all(axis=1) & (conf >= 0.5)
        if not ok.any():
            self.clear_skeleton()
            self._show_message(self._empty_text)
            return
        self._show_message("")
        for g, edges in _GROUPS.items():
            seg = [(a, b) for a, b in edges if ok[a] and ok[b]]
            if seg:
                xy = pts[np.array(seg).reshape(-1)]
                self.bones[g].setData(xy[:, 0], xy[:, 1])
            else:
                self.bones[g].setData([], [])
        self.joints.setData(pts[ok, 0], pts[ok, 1])
        hi = [i for i in self._highlighted if ok[i]]
        self.highlight.setData(pts[hi, 0], pts[hi, 1]) if hi else self.highlight.setData([], [])
        if image is None:
            self._follow(pts[ok])

    def clear_skeleton(self) -> None:
        for item in self.bones.values():
            item.setData([], [])
        self.joints.setData([], [])
        self.highlight.setData([], [])

    # ------------------------------------------------------------------ internals
    def _set_image_mode(self, on: bool) -> None:
        if on != self._image_mode:
            self._image_mode = on
            self.getPlotItem().invertY(on)
            self._range = None

    def _follow(self, pts: np.ndarray) -> None:
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        r = self._range
        inside = r is not None and lo[0] > r[0] and hi[0] < r[1] and lo[1] > r[2] and hi[1] < r[3]
        if inside:
            return
        c = (lo + hi) / 2
        half = max(1.2, 0.65 * float(max(hi - lo)))
        self._range = (c[0] - half, c[0] + half, c[1] - half, c[1] + half)
        self.setRange(xRange=self._range[:2], yRange=self._range[2:], padding=0)

    def _show_message(self, text: str) -> None:
        if text != self.message.text():
            self.message.setText(text)
        self.message.setVisible(bool(text))

    def resizeEvent(self, ev):
        super().resizeEvent(ev)
        if "message" in self.__dict__:  # pyqtgraph resizes during construction
            self.message.setGeometry(self.rect().adjusted(20, 20, -20, -20))

    def retranslate(self) -> None:
        self._empty_text = self.tr("Nobody in view: ask the student to step into the picture")
