"""The network as a diagram: a column per layer, edges coloured and sized by their weights,
every neuron drawn as a thumbnail heatmap of its own output over the input plane.

Edge colour is the weight's sign (orange positive, purple negative, as every
heatmap in Chainrule), width and opacity its size relative to the layer's
largest, in :data:`LEVELS` steps (a path per step: a frame costs a few paths, not a pen per
edge).  Hovering a neuron shows its formula with the live numbers, hovering an
edge its weight: the texts come from the view model (``describe_unit`` and
``describe_weight``), this widget only finds what is under the mouse.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Signal
from PySide6.QtGui import QColor, QFont, QPainterPath, QPen

from viewmodel.training_lab import Frame
from widgets.heatmap import heatmap_rgb
from widgets.theme import LIGHT, Theme
from widgets.training_plots import small_pt

POSITIVE, NEGATIVE = (230, 97, 1), (94, 60, 153)
"""PuOr's ends, as in widgets.heatmap: orange > 0, purple < 0."""
THUMB_W, THUMB_H = 0.42, 0.8
"""A thumbnail's size in diagram units (a column apart is 1, two neurons of a layer 1)."""
MAX_THUMBNAILS = 400
"""Above this many neurons the diagram draws dots instead of thumbnails."""
MAX_EDGES = 20_000
"""Above this many weights the diagram draws no edges (a blur anyway, and listing 4096 × 4096
of them took the window minutes); hovering still shows each weight."""


def layer_positions(widths: list[int]) -> list[np.ndarray]:
    """(n, 2) centres of each layer's neurons: column k at x = k, centred on y = 0, top first."""
    return [np.c_[np.full(n, float(k)), (n - 1) / 2 - np.arange(n, dtype=float)] for k, n in enumerate(widths)]


LEVELS = 8
"""Edge sizes are drawn in this many steps per sign: a pen and one path per step, not one per edge."""


def edge_levels(frame: Frame) -> np.ndarray:
    """(M,) bucket per edge, in the order of :func:`edges`: ``sign * LEVELS + level``, sign 0
    for a positive weight and 1 for a negative one, level |w| / the layer's largest |w| rounded
    to a multiple of 1 / (LEVELS - 1), times LEVELS - 1."""
    out = []
    for w in frame.weights:
        W = w.weight.reshape(len(w.weight), -1).T.ravel()  # (in, out) order, as edges() lists them
        scale = float(np.max(np.abs(W))) if W.size else 1.0
        t = np.abs(W) / (scale if np.isfinite(scale) and scale > 0 else 1.0)
        level = np.clip(np.rint(np.nan_to_num(t * (LEVELS - 1), nan=0.0)), 0, LEVELS - 1).astype(int)
        out.append(np.where(W >= 0, 0, LEVELS) + level)
    return np.concatenate(out) if out else np.zeros(0, dtype=int)


def level_pen(bucket: int) -> QPen:
    """The pen of one bucket: sign colour, opacity 60 to 255 and width 0.4 to 5 px with |w|."""
    t = (bucket % LEVELS) / (LEVELS - 1)
    colour = QColor(*(POSITIVE if bucket < LEVELS else NEGATIVE), int(60 + 195 * t))
    return pg.mkPen(colour, width=0.4 + 4.6 * t)


class EdgesItem(pg.GraphicsObject):
    """Every edge of the diagram as 2 x LEVELS paths, each drawn with its bucket's pen."""

    def __init__(self):
        super().__init__()
        self._pens = [level_pen(b) for b in range(2 * LEVELS)]
        self._paths: list[tuple[QPen, QPainterPath]] = []
        self._bounds = QRectF()

    def set_edges(self, points: np.ndarray, buckets: np.ndarray) -> None:
        """``points`` (M, 2, 2): each edge's two ends; ``buckets`` (M,) from :func:`edge_levels`."""
        self._paths = []
        for bucket in np.unique(buckets):
            ends = points[buckets == bucket].reshape(-1, 2)
            self._paths.append((self._pens[bucket], pg.arrayToQPath(ends[:, 0], ends[:, 1], connect="pairs")))
        self.prepareGeometryChange()
        ends = points.reshape(-1, 2)
        self._bounds = QRectF() if not len(ends) else \
            QRectF(*(ends.min(axis=0) - 0.1), *(np.ptp(ends, axis=0) + 0.2))  # (a flat layer still shows)
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt API)
        return self._bounds

    def paint(self, painter, *args) -> None:
        for pen, path in self._paths:
            painter.setPen(pen)
            painter.drawPath(path)


def edges(widths: list[int]) -> np.ndarray:
    """(M, 2) node indices of every edge, layer by layer, input unit major."""
    starts = np.cumsum([0] + widths)
    out = [np.array([(starts[k] + i, starts[k + 1] + j) for i in range(widths[k]) for j in range(widths[k + 1])],
                    dtype=int).reshape(-1, 2) for k in range(len(widths) - 1)]
    return np.concatenate(out) if out else np.zeros((0, 2), dtype=int)


def _centred(unit: np.ndarray) -> np.ndarray:
    """A neuron's outputs around the middle of their own range, so its pattern shows even where
    all of them are positive (sigmoid); values that overflowed count as 0."""
    finite = np.where(np.isfinite(unit), unit, 0.0)
    return finite - (finite.max() + finite.min()) / 2


class NetworkDiagram(pg.PlotWidget):
    """The diagram; hover texts come from ``describe_unit(layer, unit)`` (layer 1 = first hidden,
    the last = output) and ``describe_weight(layer, out, inp)`` (0-based weighted layer)."""

    described = Signal(str)
    """The text for what is under the mouse ("" when nothing is)."""

    def __init__(self, theme: Theme = LIGHT, parent=None):
        super().__init__(parent)
        self.edges = EdgesItem()
        self.addItem(self.edges)
        self.dots = pg.ScatterPlotItem(size=10, pxMode=True, pen=None)
        self.addItem(self.dots)
        plot = self.getPlotItem()
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.hideAxis("left")
        plot.hideAxis("bottom")
        plot.setMouseEnabled(False, False)
        self.describe_unit: Callable[[int, int], str] = lambda layer, unit: ""
        self.describe_weight: Callable[[int, int, int], str] = lambda layer, out, inp: ""
        self.widths: list[int] = []
        self.positions: list[np.ndarray] = []
        self.thumbnails: list[list[pg.ImageItem]] = []
        self._rects: list[list[QRectF]] = []
        self.labels: list[pg.TextItem] = []
        self._weights: list[np.ndarray] = []
        self._ends = np.zeros((0, 2, 2))
        """Each edge's two end points, (edges, 2, 2), for the widths drawn."""
        self._inputs_drawn: tuple = ()
        """The grid the input neurons' pictures show (they change only with it)."""
        self.scene().sigMouseMoved.connect(self._moved)
        self.setMinimumSize(160, 120)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.setBackground(theme.background)
        for label in self.labels:
            label.setColor(theme.text)
        self.widths = []  # rebuild (node outlines) at the next frame

    def draw(self, frame: Frame) -> None:
        if frame.conv:
            return
        widths = [frame.weights[0].weight.shape[1]] + [len(w.weight) for w in frame.weights]
        if widths != self.widths:
            self._rebuild(widths, frame)
        self._weights = [w.weight for w in frame.weights]
        self.edges.set_edges(self._ends, edge_levels(frame) if len(self._ends) else np.zeros(0, dtype=int))
        if self.thumbnails:
            pictures = self._pictures(frame)
            grid = frame.grid
            inputs = (grid.xs[0], grid.xs[-1], len(grid.xs)) + (() if grid.ys is None else (grid.ys[0], grid.ys[-1]))
            first = 1 if inputs == self._inputs_drawn else 0  # the inputs' pictures change only with the grid
            self._inputs_drawn = inputs
            for images, rects, column in list(zip(self.thumbnails, self._rects, pictures))[first:]:
                for image, rect, picture in zip(images, rects, column):
                    image.setImage(heatmap_rgb(picture), autoLevels=False, levels=(0, 255), rect=rect)

    def _pictures(self, frame: Frame) -> list[list[np.ndarray]]:
        """What each column's thumbnails show: the inputs x₁, x₂, each hidden neuron, the output."""
        grid = frame.grid
        stride = frame.thumb_stride
        if grid.ys is None:
            inputs = [grid.xs[::stride]]
            out = grid.prediction[::stride]
        else:
            gx, gy = np.meshgrid(grid.xs[::stride], grid.ys[::stride])
            inputs = [gx, gy]
            out = grid.prediction[::stride, ::stride]
        centred = out - 0.5 if frame.task == "binary" else out
        hidden = [[_centred(u) for u in t] for t in frame.thumbnails]
        return [inputs] + hidden + [[centred]]

    def _rebuild(self, widths: list[int], frame: Frame) -> None:
        for images in self.thumbnails:
            for image in images:
                self.removeItem(image)
        for label in self.labels:
            self.removeItem(label)
        self.widths, self.positions = widths, layer_positions(widths)
        pos = np.concatenate(self.positions)
        n_weights = sum(a * b for a, b in zip(widths, widths[1:]))
        self._ends = pos[edges(widths)] if n_weights <= MAX_EDGES else np.zeros((0, 2, 2))
        self.thumbnails, self.labels, self._rects = [], [], []
        self._inputs_drawn = ()
        if frame.grid is not None and sum(widths) <= MAX_THUMBNAILS:
            for column in self.positions:
                images, rects = [], []
                for x, y in column:
                    image = pg.ImageItem(axisOrder="row-major")
                    image.setBorder(pg.mkPen(self.theme.muted))
                    self.addItem(image)
                    images.append(image)
                    rects.append(QRectF(x - THUMB_W / 2, y - THUMB_H / 2, THUMB_W, THUMB_H))
                self.thumbnails.append(images)
                self._rects.append(rects)
        self.dots.setData(pos=pos[:0] if self.thumbnails else pos, brush=pg.mkBrush(self.theme.value))
        font = QFont()
        font.setPointSize(small_pt(self.theme))
        many = len(widths) > 6
        names = ["in" if many else "inputs"] + [str(k) if many else f"layer {k}" for k in range(1, len(widths) - 1)] \
            + ["out" if many else "output"]
        top = max((len(c) - 1) / 2 for c in self.positions)
        places = [(name, (k, top + THUMB_H / 2 + 0.05), (0.5, 1.0)) for k, name in enumerate(names)]
        if not len(self._ends):
            places.append((f"{n_weights:,} weights: too many edges to draw (hover for each weight)",
                           ((len(widths) - 1) / 2, -top - THUMB_H / 2), (0.5, 0.0)))
        for name, (x, y), anchor in places:
            label = pg.TextItem(name, color=self.theme.text, anchor=anchor)
            label.setFont(font)
            label.setPos(x, y)
            self.addItem(label)
            self.labels.append(label)
        self.getPlotItem().setRange(xRange=(-0.4, len(widths) - 0.6), yRange=(-top - 0.5, top + 0.9), padding=0.02)

    # -- hover --------------------------------------------------------------------------------------
    def text_at(self, x: float, y: float) -> str:
        """The hover text at diagram coordinates (x, y): a neuron's formula, an edge's weight, or ""."""
        if not self.positions:
            return ""
        column = int(round(x))
        if 0 <= column < len(self.positions) and abs(x - column) <= THUMB_W / 2:
            ys = self.positions[column][:, 1]
            unit = int(np.argmin(np.abs(ys - y)))
            if abs(ys[unit] - y) <= THUMB_H / 2:
                return f"input x{'₁₂'[unit] if unit < 2 else unit + 1}" if column == 0 \
                    else self.describe_unit(column, unit)
        left = int(np.floor(x))
        if not 0 <= left < len(self.positions) - 1 or left >= len(self._weights):
            return ""
        t = x - left
        y_in, y_out = self.positions[left][:, 1], self.positions[left + 1][:, 1]
        at = (1 - t) * y_in[:, None] + t * y_out[None, :]  # (in, out): each edge's height at x
        inp, out = np.unravel_index(np.argmin(np.abs(at - y)), at.shape)
        if abs(at[inp, out] - y) > 0.15:
            return ""
        return self.describe_weight(left, int(out), int(inp))

    def _moved(self, pos) -> None:
        point = self.getPlotItem().vb.mapSceneToView(pos)
        text = self.text_at(point.x(), point.y())
        self.setToolTip(text)
        self.described.emit(text)
