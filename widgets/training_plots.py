"""The training lab's plots over time and over values: loss and accuracy curves, per-layer
gradient norms (log scale) and the hidden layers' activation histograms.

Each takes a :class:`viewmodel.training_lab.Frame` in ``draw(frame)`` and calls one
``setData`` per line; colours and fonts follow the theme (:func:`themed`).
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QGraphicsItem, QLabel, QVBoxLayout, QWidget

from viewmodel.training_lab import Frame
from widgets.curves import series_style, style_plot
from widgets.gate_heatmaps import axis_label
from widgets.log_axis import ReadableLogAxis
from widgets.theme import LIGHT, Theme

DEPTH_MAP = "viridis"
"""Layers coloured by depth: dark purple first, yellow last (the same in every theme)."""


def small_pt(theme: Theme) -> int:
    """Tick and legend text of the lab's small plots: 4 points under the theme's (14 pt, about
    19 px, in the presenter theme)."""
    return max(theme.base_font_pt - 4, 9)


def style_small(item: pg.PlotItem, theme: Theme) -> None:
    """Axis pens and tick fonts of one of the lab's small plots; each axis is cached as a pixmap
    (drawn again only when its range or style changes, not every time a line in the plot does)."""
    style_plot(item, theme)
    font = QFont()
    font.setPointSize(small_pt(theme))
    for name in ("left", "bottom"):
        item.getAxis(name).setTickFont(font)
        item.getAxis(name).enableAutoSIPrefix(False)
        item.getAxis(name).setTickDensity(0.6)  # small plots, large fonts: fewer ticks that never overlap
        item.getAxis(name).setCacheMode(QGraphicsItem.DeviceCoordinateCache)


def themed(plot: pg.PlotWidget, theme: Theme, title: str, x: str, y: str) -> None:
    """Background, axes, fonts and axis names of one plot in ``theme``."""
    plot.setBackground(theme.background)
    item = plot.getPlotItem()
    style_small(item, theme)
    item.setTitle(title, color=theme.text, size=f"{small_pt(theme) + 1}pt")
    axis_label(item, "bottom", x, theme, small_pt(theme))
    axis_label(item, "left", y, theme, small_pt(theme))


def plain_plot(item: pg.PlotItem, grid_y: bool = True) -> pg.PlotItem:
    """A plot without pyqtgraph's context menu and buttons, with a faint grid (returns it)."""
    item.setMenuEnabled(False)
    item.hideButtons()
    item.showGrid(x=True, y=grid_y, alpha=0.25)
    return item


def depth_colours(layers: int, theme: Theme = LIGHT) -> list[str]:
    """One colour per layer, input to output, from :data:`DEPTH_MAP`: without its yellow end on
    a light background, without its dark purple end on a dark one."""
    cmap = pg.colormap.get(DEPTH_MAP)
    low, high = (0.0, 0.85) if QColor(theme.background).lightness() > 128 else (0.3, 1.0)
    return [cmap.map(low + (high - low) * k / max(layers - 1, 1), mode="qcolor").name() for k in range(layers)]


class MetricCurves(QWidget):
    """Loss (log) and accuracy against step: every variant in its series colour, train solid,
    test dashed; the legend is a line of text under the plots."""

    def __init__(self, theme: Theme = LIGHT, parent=None):
        super().__init__(parent)
        self.plots = pg.GraphicsLayoutWidget()
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.plots, 1)
        layout.addWidget(self.legend)
        self.loss = self.plots.addPlot(row=0, col=0, axisItems={"left": ReadableLogAxis("left")})
        self.accuracy = self.plots.addPlot(row=0, col=1)
        for p in (self.loss, self.accuracy):
            plain_plot(p)
        self.loss.setLogMode(y=True)
        self.accuracy.setYRange(0, 1.02, padding=0)
        self._labels: list[str] = []
        self._items: dict[tuple[str, str], pg.PlotDataItem] = {}
        self.setMinimumSize(200, 120)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.plots.setBackground(theme.background)
        for p, title in ((self.loss, "loss (log) over steps"), (self.accuracy, "accuracy")):
            style_small(p, theme)
            p.setTitle(title, color=theme.text, size=f"{small_pt(theme) + 1}pt")
        self._write_legend()

    def _write_legend(self) -> None:
        names = " ".join(f'<span style="color:{series_style(k).color}; font-weight:bold">■ {label}</span>'
                         for k, label in enumerate(self._labels))
        self.legend.setText(f"{names} &nbsp; (train —, test - -)")
        self.legend.setStyleSheet(f"background: {self.theme.background}; color: {self.theme.text}; "
                                  f"font-size: {small_pt(self.theme)}pt;")

    def draw(self, frame: Frame) -> None:
        labels = list(frame.curves)
        if {key[0] for key in self._items} != set(labels):
            self._rebuild(labels, frame.task == "regression")
        for label, curves in frame.curves.items():
            for name, (steps, values) in curves.items():
                item = self._items.get((label, name))
                if item is not None:
                    shown = np.where(values > 0, values, np.nan) if "loss" in name else values
                    item.setData(steps, shown)

    def _rebuild(self, labels: list[str], regression: bool) -> None:
        for (_, name), item in self._items.items():
            (self.loss if "loss" in name else self.accuracy).removeItem(item)
        self._labels = list(labels)
        self._items = {}
        for k, label in enumerate(labels):
            colour = series_style(k).color
            for name in ("train_loss", "test_loss") + (() if regression else ("train_accuracy", "test_accuracy")):
                pen = pg.mkPen(colour, width=2.5, style=Qt.SolidLine if name.startswith("train") else Qt.DashLine)
                plot = self.loss if "loss" in name else self.accuracy
                item = plot.plot(pen=pen, connect="finite")
                self._items[(label, name)] = item
        self.accuracy.setVisible(not regression)
        self.set_theme(self.theme)


class GradientNorms(pg.PlotWidget):
    """‖∂L/∂W‖ of every weighted layer against step on a log scale, coloured by depth."""

    def __init__(self, theme: Theme = LIGHT, parent=None):
        super().__init__(parent, axisItems={"left": ReadableLogAxis("left")})
        self._items: list[pg.PlotDataItem] = []
        plain_plot(self.getPlotItem(), grid_y=True).setLogMode(y=True)
        self.setMinimumSize(120, 90)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        themed(self, theme, "gradient norm per layer (log)", "step", "‖∂L/∂W‖")
        self._clear()

    def _clear(self) -> None:
        """Drop the lines (the next frame makes them again, in the theme's depth colours)."""
        for item in self._items:
            self.removeItem(item)
        self._items = []

    def draw(self, frame: Frame) -> None:
        norms = frame.grad_norms
        layers = len(frame.layer_names)
        if len(self._items) != layers:
            self._clear()
            self._items = [self.plot(pen=pg.mkPen(c, width=2), connect="finite")
                           for c in depth_colours(layers, self.theme)]
            for item, name in zip(self._items, frame.layer_names):
                item.opts["name"] = name
        steps = frame.grad_steps
        for k, item in enumerate(self._items):
            values = norms[:, k] if len(norms) else np.zeros(0)
            item.setData(steps, np.where(values > 0, values, np.nan))

    def last_norms(self) -> np.ndarray:
        """The most recent norm drawn for each layer (for tests)."""
        return np.array([item.yData[-1] if item.yData is not None and len(item.yData) else np.nan
                         for item in self._items])


class ActivationHistograms(pg.PlotWidget):
    """One ridge per hidden layer (first at the bottom): the distribution of its outputs over
    the training set, each scaled to its own peak, coloured by depth."""

    def __init__(self, theme: Theme = LIGHT, parent=None):
        super().__init__(parent, axisItems={"left": ReadableLogAxis("left")})
        self._items: list[pg.PlotDataItem] = []
        plain_plot(self.getPlotItem(), grid_y=False)
        self.setMinimumSize(120, 90)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        themed(self, theme, "activations per hidden layer", "output a", "layer")
        for item in self._items:
            self.removeItem(item)
        self._items = []

    def draw(self, frame: Frame) -> None:
        hists = frame.histograms
        if len(self._items) != len(hists):
            for item in self._items:
                self.removeItem(item)
            colours = depth_colours(len(hists), self.theme)
            self._items = []
            for k, c in enumerate(colours):
                fill = pg.mkColor(c)
                fill.setAlpha(110)
                self._items.append(self.plot(stepMode="center", fillLevel=k, brush=fill, pen=pg.mkPen(c, width=1.5)))
            self.getPlotItem().getAxis("left").setTicks(
                [[(k + 0.4, str(k + 1)) for k in range(0, len(hists), max(1, -(-len(hists) // 5)))]])
        for k, (item, h) in enumerate(zip(self._items, hists)):
            peak = max(int(h.counts.max()), 1)
            item.setData(h.edges, k + 0.9 * h.counts / peak)
