"""The GAN sub-view: D(x) as a heatmap, real and generated points, the generator's gradient as
arrows on its points, the image G(z) of a regular grid of z, and both players' losses.

It draws a :class:`engine.generative.gan.GANFrame` (arrays only).  A click on the map emits
``point_clicked(x, y)`` in data coordinates: the lab adds it to the user's target.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from widgets.generative_plots import CurvesPanel, restyle, themed_plot
from widgets.gradient_through_time import legend_text
from widgets.theme import LIGHT, OKABE_ITO, Theme

REAL = OKABE_ITO["green"]
"""Real points x: bluish green, in every theme."""
FAKE = OKABE_ITO["purple"]
"""Generated points G(z): reddish purple, in every theme."""
ARROW_SCALE = 0.6
"""Arrow length per unit of gradient (capped at MAX_ARROW), so the push is visible but local."""
MAX_ARROW = 0.5


def arrow_segments(points: np.ndarray, gradient: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x and y of segments from each point along −gradient (where G moves it), for one
    ``connect="pairs"`` setData: (2n,) each."""
    step = -ARROW_SCALE * gradient
    length = np.linalg.norm(step, axis=1, keepdims=True)
    step = np.where(length > MAX_ARROW, step * MAX_ARROW / np.maximum(length, 1e-12), step)
    ends = points + step
    xy = np.stack([points, ends], axis=1).reshape(-1, 2)
    return xy[:, 0], xy[:, 1]


def grid_polyline(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The grid's lines (L, P, 2) as one polyline with NaN breaks, for one setData."""
    padded = np.concatenate([lines, np.full((lines.shape[0], 1, 2), np.nan)], axis=1).reshape(-1, 2)
    return padded[:, 0], padded[:, 1]


def _blend(a: str, b: str, t: np.ndarray) -> np.ndarray:
    """(n, 4) uint8 colours from a (t = 0) to b (t = 1)."""
    ca, cb = np.array(pg.mkColor(a).getRgb(), float), np.array(pg.mkColor(b).getRgb(), float)
    return (ca + t[:, None] * (cb - ca)).round().astype(np.uint8)


class GANView(QWidget):
    """The map (D(x), points, arrows, warped grid) and the two loss curves."""

    point_clicked = Signal(float, float)

    def __init__(self, parent: QWidget | None = None, theme: Theme = LIGHT):
        super().__init__(parent)
        self.theme = theme
        self.frame = None
        self.map = themed_plot(theme, "D(x): how real x looks to D", "x₁", "x₂")
        self.map.setAspectLocked(True)
        self.map.getPlotItem().setMouseEnabled(x=False, y=False)
        self.heat = pg.ImageItem(axisOrder="row-major")
        self.map.addItem(self.heat)
        self.grid = pg.PlotDataItem(connect="finite")
        self.map.addItem(self.grid)
        self.real = pg.ScatterPlotItem(size=6, pen=None)
        self.fake = pg.ScatterPlotItem(size=6, pen=None)
        self.arrows = pg.PlotDataItem(connect="pairs")
        for item in (self.real, self.arrows, self.fake):
            self.map.addItem(item)
        self.map.scene().sigMouseClicked.connect(self._clicked)
        self.losses = themed_plot(theme, "losses", "training step", "loss")
        self.curves = CurvesPanel(self.losses, theme)
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        self.readout = QLabel()
        self.readout.setWordWrap(True)
        right = QVBoxLayout()
        right.addWidget(self.losses, 1)
        right.addWidget(self.readout)
        left = QVBoxLayout()
        left.addWidget(self.map, 1)
        left.addWidget(self.legend)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(left, 3)
        layout.addLayout(right, 2)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        restyle(self.map, theme)
        restyle(self.losses, theme)
        self.curves.set_theme(theme)
        self.grid.setPen(pg.mkPen(theme.edge, width=1))
        self.arrows.setPen(pg.mkPen(theme.grad, width=2))
        self.real.setBrush(pg.mkBrush(REAL))
        self.fake.setBrush(pg.mkBrush(FAKE))
        self.fake.setPen(pg.mkPen(theme.background, width=0.5))
        self.real.setPen(pg.mkPen(theme.background, width=0.5))
        self.legend.setText(legend_text([("real x", REAL, False), ("generated G(z)", FAKE, False),
                                         ("−∂L_G/∂G(z): G's push", theme.grad, False),
                                         ("G of a grid of z", theme.edge, False)], per_line=2))
        self.readout.setStyleSheet(f"color: {theme.text};")
        if self.frame is not None:
            self.show_picture(self.frame)

    def heat_rgba(self, heat: np.ndarray) -> np.ndarray:
        """D(x) from the background (0: "fake") to a grey (1: "real"), so the points' colours stay free."""
        towards = self.theme.muted
        rgba = _blend(self.theme.background, towards, 0.75 * np.clip(heat.ravel(), 0, 1))
        return rgba.reshape(heat.shape + (4,))

    def show_picture(self, frame) -> None:
        """Draw one GANFrame (None: an empty map, waiting for points)."""
        self.frame = frame
        if frame is None:
            for item in (self.real, self.fake):
                item.setData([], [])
            self.arrows.setData([], [])
            self.grid.setData([], [])
            self.heat.clear()
            return
        self.heat.setImage(self.heat_rgba(frame.heat), levels=(0, 255))
        x0, x1, y0, y1 = frame.xs[0], frame.xs[-1], frame.ys[0], frame.ys[-1]
        self.heat.setRect(x0, y0, x1 - x0, y1 - y0)
        self.grid.setData(*grid_polyline(frame.grid_lines))
        self.real.setData(frame.real[:, 0], frame.real[:, 1])
        self.fake.setData(frame.fake[:, 0], frame.fake[:, 1])
        self.arrows.setData(*arrow_segments(frame.fake, frame.gradient))
        self.map.getPlotItem().vb.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)

    def set_curves(self, curves: dict, upto: int | None = None) -> None:
        self.curves.set_curves(curves, upto)

    def _clicked(self, event) -> None:
        if event.button() != Qt.LeftButton:
            return
        vb = self.map.getPlotItem().vb
        if not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        point = vb.mapSceneToView(event.scenePos())
        self.point_clicked.emit(point.x(), point.y())
