"""The network's decision boundary as a heatmap under the data, or its regression curve with
the closed-form least-squares line beside it.

Classes keep their series colour (class 0 blue, class 1 vermillion, …, as the
optimizer lab's data); the heatmap mixes the class colours by the predicted
probabilities, faded towards the background so the points stand out.  Training
points are filled, test points hollow.  One ``setImage``/``setData`` per item per frame.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Signal
from PySide6.QtGui import QColor

from viewmodel.training_lab import Frame
from widgets.curves import legend_brush, series_style
from widgets.heatmap import heatmap_rgb
from widgets.theme import LIGHT, Theme
from widgets.training_plots import small_pt, themed

FADE = 0.45
"""How far the heatmap's colours are mixed towards the background (0: full colour)."""


def class_colours(k: int) -> np.ndarray:
    """(k, 3) RGB of the first ``k`` class colours."""
    return np.array([QColor(series_style(c).color).getRgb()[:3] for c in range(k)], dtype=float)


def boundary_rgb(frame: Frame, background: str) -> np.ndarray:
    """(G, G, 3) uint8 colours of the grid: class colours mixed by probability, or ŷ as PuOr."""
    grid = frame.grid
    if grid.probabilities is None:  # regression on two inputs
        rgb = heatmap_rgb(grid.prediction).astype(float)
    else:
        p = np.nan_to_num(grid.probabilities, nan=1.0 / grid.probabilities.shape[-1])  # overflowed: no class
        rgb = p @ class_colours(p.shape[-1])
    bg = np.array(QColor(background).getRgb()[:3], dtype=float)
    return np.clip((1 - FADE) * rgb + FADE * bg, 0, 255).astype(np.uint8)


class DecisionBoundaryView(pg.PlotWidget):
    """The boundary heatmap, the points, and for 1-D regression ŷ(x) beside the closed form."""

    point_hovered = Signal(float, float)
    """The data coordinates under the mouse (the diagram's formulas use this point)."""

    def __init__(self, theme: Theme = LIGHT, parent=None):
        super().__init__(parent)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.addItem(self.image)
        self.train_points = pg.ScatterPlotItem(size=7, pxMode=True)
        self.test_points = pg.ScatterPlotItem(size=7, pxMode=True)
        self.curve = pg.PlotDataItem(name="gradient descent ŷ(x)")
        self.closed_form = pg.PlotDataItem(name="closed form (XᵀX)⁻¹Xᵀy")
        for item in (self.train_points, self.test_points, self.curve, self.closed_form):
            self.addItem(item)
        plot = self.getPlotItem()
        plot.setMenuEnabled(False)
        plot.hideButtons()
        self.legend = plot.addLegend(offset=(6, 6))
        self._extent = None
        self._points_key = None
        self.scene().sigMouseMoved.connect(self._moved)
        self.setMinimumSize(160, 140)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        themed(self, theme, "", "x₁", "x₂")
        self.curve.setPen(pg.mkPen(theme.value, width=3))
        self.closed_form.setPen(pg.mkPen(theme.text, width=2, style=pg.QtCore.Qt.DashLine))
        self.legend.setBrush(legend_brush(theme))
        self.legend.setLabelTextColor(theme.text)
        self._points_key = None  # point outlines follow the theme

    def draw(self, frame: Frame) -> None:
        """Draw the frame's grid (nothing happens for a frame without one, e.g. a CNN's)."""
        grid = frame.grid
        if grid is None:
            return
        one_d = grid.ys is None
        self._draw_points(frame, one_d)
        if one_d:
            self.image.setVisible(False)
            self.curve.setData(grid.xs, grid.prediction)
            if frame.closed_form is not None:
                w, b = frame.closed_form
                self.closed_form.setData(grid.xs, grid.xs * float(w[0]) + b)
            self._axes("x", "y")
        else:
            self.image.setVisible(True)
            self.curve.setData([], [])
            self.closed_form.setData([], [])
            self.image.setImage(boundary_rgb(frame, self.theme.background), autoLevels=False, levels=(0, 255))
            extent = (grid.xs[0], grid.ys[0], grid.xs[-1] - grid.xs[0], grid.ys[-1] - grid.ys[0])
            if extent != self._extent:
                self._extent = extent
                self.image.setRect(QRectF(*extent))
                self.getPlotItem().setRange(xRange=(extent[0], extent[0] + extent[2]),
                                            yRange=(extent[1], extent[1] + extent[3]), padding=0)
            self._axes("x₁", "x₂")
        self.legend.setVisible(one_d)

    def _axes(self, x: str, y: str) -> None:
        plot = self.getPlotItem()
        for side, text in (("bottom", x), ("left", y)):
            if plot.getAxis(side).labelText != text:
                plot.setLabel(side, text, color=self.theme.text, **{"font-size": f"{small_pt(self.theme)}pt"})

    def _draw_points(self, frame: Frame, one_d: bool) -> None:
        """The points change only with the data (a new variant or data set), not every frame."""
        (Xtr, ytr), (Xte, yte) = frame.train, frame.test
        key = (id(Xtr), id(Xte), frame.task)
        if key == self._points_key:
            return
        self._points_key = key
        outline = pg.mkPen(self.theme.background if frame.task != "regression" else self.theme.text, width=1)
        for item, X, y, filled in ((self.train_points, Xtr, ytr, True), (self.test_points, Xte, yte, False)):
            if one_d:
                xs, ys = X[:, 0], y
                brushes = [pg.mkBrush(self.theme.value if filled else self.theme.background)] * len(y)
                pens = pg.mkPen(self.theme.value, width=1.5)
            else:
                xs, ys = X[:, 0], X[:, 1]
                if frame.task == "regression":
                    colours = heatmap_rgb(np.ravel(y)).reshape(-1, 3)  # (one per point: y may be 1-D)
                    brushes = [pg.mkBrush(*c) for c in colours]
                else:
                    palette = class_colours(int(max(ytr.max(), yte.max() if len(yte) else 0)) + 1)
                    brushes = [pg.mkBrush(*palette[int(c)]) for c in y]
                pens = outline
                if not filled:  # test points: a ring in the class colour
                    pens = [pg.mkPen(b.color(), width=2) for b in brushes]
                    brushes = [pg.mkBrush(self.theme.background)] * len(y)
            item.setData(xs, ys, brush=brushes, pen=pens, symbol="o")

    def _moved(self, pos) -> None:
        point = self.getPlotItem().vb.mapSceneToView(pos)
        self.point_hovered.emit(point.x(), point.y())

    def image_shape(self) -> tuple[int, ...]:
        """The drawn heatmap's shape (for tests)."""
        return () if self.image.image is None else self.image.image.shape
