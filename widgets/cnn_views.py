"""A CNN from the inside: the chosen image, the learned kernels, the feature maps after every
convolution, activation and pooling, and, for a clicked cell, the numbers that made it.

:class:`FeatureMapsView` lays every picture out on one canvas (a row per stage)
and emits ``cell_clicked(stage, channel, row, col)``; :class:`CellExplanationView`
draws a :class:`~engine.playground.CellExplanation`: the input window, the kernel
and their element-wise products, each cell with its number, and the sum written
out.  Heatmaps are PuOr (widgets.heatmap), symmetric around zero.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Signal
from PySide6.QtGui import QFont

from engine.playground import CellExplanation
from viewmodel.training_lab import Frame
from widgets.heatmap import heatmap_rgb
from widgets.theme import LIGHT, Theme
from widgets.training_plots import small_pt

BOX = 8.0
"""Every picture is drawn BOX units wide (an 8x8 digit: one unit per pixel)."""
GAP = 1.5
LABEL_W = 22.0
"""Room for the row names at the left."""


def short_name(stage: str) -> str:
    """"convolution 1 (8 kernels 3×3)" → "conv 1", "max-pool 1 (2×2)" → "pool 1"."""
    name = stage.split(" (")[0]
    return name.replace("convolution", "conv").replace("max-pool", "pool").replace("batch norm", "BN")


def _canvas(widget: pg.PlotWidget) -> None:
    plot = widget.getPlotItem()
    plot.setMenuEnabled(False)
    plot.hideButtons()
    plot.hideAxis("left")
    plot.hideAxis("bottom")
    plot.setMouseEnabled(False, False)
    plot.invertY(True)
    plot.setAspectLocked(True)


class FeatureMapsView(pg.PlotWidget):
    """Image, kernels and feature maps on one canvas; click a feature-map cell to explain it."""

    cell_clicked = Signal(int, int, int, int)
    """(stage, channel, row, col) of the clicked feature-map cell."""

    def __init__(self, theme: Theme = LIGHT, parent=None):
        super().__init__(parent)
        _canvas(self)
        self.images: list[pg.ImageItem] = []
        self.rects: list[QRectF] = []
        self.texts: list[pg.TextItem] = []
        self.cells: list[tuple[QRectF, int, int, tuple[int, int]]] = []
        """(rect, stage, channel, map shape) of every clickable feature map."""
        self.marker = pg.PlotDataItem(pen=pg.mkPen("#F0E442", width=3))
        self.addItem(self.marker)
        self._layout_key = None
        self.scene().sigMouseClicked.connect(self._clicked)
        self.setMinimumSize(200, 160)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.setBackground(theme.background)
        self.marker.setPen(pg.mkPen(theme.highlight, width=3))
        self._layout_key = None

    def draw(self, frame: Frame) -> None:
        if not frame.conv:
            return
        first = frame.kernels[0][1] if frame.kernels else np.zeros((0, 1, 1, 1))
        kernel_row = [first[c, 0] for c in range(len(first))]
        rows = [("image", [frame.image[0]], None), ("kernels", kernel_row, None)]
        rows += [(short_name(m.name), list(m.maps), m.stage) for m in frame.maps]
        key = tuple((name, len(p), p[0].shape if p else None) for name, p, _ in rows)
        if key != self._layout_key:
            self._build(rows)
            self._layout_key = key
        pictures = [p for _, pics, _ in rows for p in pics]
        for image, rect, picture in zip(self.images, self.rects, pictures):
            image.setImage(heatmap_rgb(picture), autoLevels=False, levels=(0, 255), rect=rect)

    def _build(self, rows) -> None:
        for item in self.images + self.texts:
            self.removeItem(item)
        self.images, self.texts, self.cells, self.rects = [], [], [], []
        font = QFont()
        font.setPointSize(small_pt(self.theme))
        y = 0.0
        widest = 0.0
        for name, pictures, stage in rows:
            text = pg.TextItem(name, color=self.theme.text, anchor=(0, 0.5))
            text.setFont(font)
            text.setPos(0, y + BOX / 2)
            self.addItem(text)
            self.texts.append(text)
            x = LABEL_W
            for channel, picture in enumerate(pictures):
                image = pg.ImageItem(axisOrder="row-major")
                rect = QRectF(x, y, BOX, BOX)
                self.rects.append(rect)
                self.addItem(image)
                self.images.append(image)
                if stage is not None:
                    self.cells.append((rect, stage, channel, picture.shape))
                x += BOX + GAP
            widest = max(widest, x)
            y += BOX + GAP
        self.getPlotItem().setRange(xRange=(0, widest), yRange=(0, y), padding=0.02)

    def cell_at(self, x: float, y: float) -> tuple[int, int, int, int] | None:
        """(stage, channel, row, col) of the feature-map cell at canvas point (x, y), or None."""
        for rect, stage, channel, (h, w) in self.cells:
            if rect.contains(x, y):
                row = min(int((y - rect.top()) / rect.height() * h), h - 1)
                col = min(int((x - rect.left()) / rect.width() * w), w - 1)
                return stage, channel, row, col
        return None

    def mark(self, stage: int, channel: int, row: int, col: int) -> None:
        """Outline the chosen cell."""
        for rect, s, c, (h, w) in self.cells:
            if (s, c) == (stage, channel):
                cw, ch = rect.width() / w, rect.height() / h
                x0, y0 = rect.left() + col * cw, rect.top() + row * ch
                self.marker.setData([x0, x0 + cw, x0 + cw, x0, x0], [y0, y0, y0 + ch, y0 + ch, y0])
                return

    def _clicked(self, event) -> None:
        point = self.getPlotItem().vb.mapSceneToView(event.scenePos())
        cell = self.cell_at(point.x(), point.y())
        if cell is not None:
            self.mark(*cell)
            self.cell_clicked.emit(*cell)


class CellExplanationView(pg.PlotWidget):
    """Window × kernel = products (each cell with its number), or a pooling window with its winner."""

    def __init__(self, theme: Theme = LIGHT, parent=None):
        super().__init__(parent)
        _canvas(self)
        self.items: list = []
        self.explanation: CellExplanation | None = None
        self.setMinimumSize(200, 90)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.setBackground(theme.background)
        if self.explanation is not None:
            self.draw(self.explanation)

    def draw(self, explanation: CellExplanation) -> None:
        """Draw one cell's computation (the three grids of a convolution's first input channel)."""
        self.explanation = explanation
        for item in self.items:
            self.removeItem(item)
        self.items = []
        if explanation.kind == "convolution":
            panels = [("window", explanation.window[0]), ("× kernel", explanation.kernel[0]),
                      ("= products", explanation.products[0])]
        else:
            panels = [(explanation.kind, explanation.window)]
        font = QFont()
        font.setPointSize(max(small_pt(self.theme) - 2, 8))
        x = 0.0
        for title, grid in panels:
            h, w = grid.shape
            image = pg.ImageItem(axisOrder="row-major")
            image.setImage(heatmap_rgb(grid), levels=(0, 255), rect=QRectF(x, 0, w, h))
            self.addItem(image)
            self.items.append(image)
            label = pg.TextItem(title, color=self.theme.text, anchor=(0, 1))
            label.setFont(font)
            label.setPos(x, 0)
            self.addItem(label)
            self.items.append(label)
            for (r, c), v in np.ndenumerate(grid):
                text = pg.TextItem(f"{v:.1f}".replace("-", "−"), color="#111111", anchor=(0.5, 0.5))
                text.setFont(font)
                text.setPos(x + c + 0.5, r + 0.5)
                self.addItem(text)
                self.items.append(text)
            x += w + 1.5
        self.getPlotItem().setRange(xRange=(0, x), yRange=(-0.8, max(g.shape[0] for _, g in panels)), padding=0.05)
