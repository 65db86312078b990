"""Loss-versus-step plot: one line per optimizer, revealed step by step as a race plays.

Also defines :func:`series_style`, the colour + dash + marker that identify an
optimizer in every view (distinct in greyscale and for colour-blind viewers).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont

from .log_axis import ReadableLogAxis
from .palette import SERIES_STYLES
from .theme import LIGHT, Theme


@dataclass(frozen=True)
class SeriesStyle:
    """How series ``index`` is drawn: a colour, a dash pattern and a marker symbol."""

    color: str
    dash: Qt.PenStyle
    marker: str

    def pen(self, width: float = 3.0) -> pg.QtGui.QPen:
        """A cosmetic pen in this colour and dash pattern."""
        pen = pg.mkPen(self.color, width=width)
        pen.setStyle(self.dash)
        return pen


def series_style(index: int) -> SeriesStyle:
    """The style of the ``index``-th series (:data:`widgets.palette.SERIES_STYLES`, cycling)."""
    return SeriesStyle(*SERIES_STYLES[index % len(SERIES_STYLES)])


def style_plot(plot: pg.PlotItem, theme: Theme) -> None:
    """Theme colours and the theme's base font on a plot's axes (top/right margins keep end labels whole)."""
    plot.setContentsMargins(2, 10, 12, 2)
    font = QFont()
    font.setPointSize(theme.base_font_pt)
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(theme.muted))
        axis.setTextPen(pg.mkPen(theme.text))
        axis.setTickFont(font)
        axis.label.setFont(font)


def restyle_plot(plot: pg.PlotItem, theme: Theme, legend: pg.LegendItem | None) -> None:
    """A plot (and its legend) over to ``theme``: axes, axis titles and the legend's box and text."""
    style_plot(plot, theme)
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        if axis.labelText:
            plot.setLabel(name, axis.labelText, color=theme.text)
    if legend is not None:
        legend.setBrush(legend_brush(theme))
        legend.setPen(pg.mkPen(theme.muted))
        legend.setLabelTextColor(theme.text)


LEGEND_COLUMNS = 3
"""Columns of the legend under the surface map: a few rows high, and no wider than the map."""


def legend_brush(theme: Theme) -> pg.QtGui.QBrush:
    """A legend background in the theme's panel colour, slightly see-through."""
    colour = pg.mkColor(theme.panel)
    colour.setAlpha(220)
    return pg.mkBrush(colour)


@dataclass(frozen=True)
class Curve:
    """One optimizer's losses per step and its series index (for its style)."""

    label: str
    losses: np.ndarray
    index: int


class LossCurvesView(pg.PlotWidget):
    """Loss against step, log-scaled when asked, one styled line per optimizer (legend optional)."""

    def __init__(self, parent=None, theme: Theme = LIGHT, legend: bool = False):
        super().__init__(parent, background=theme.background, axisItems={"left": ReadableLogAxis("left")})
        self.theme = theme
        self._curves: list[Curve] = []
        self._items: dict[str, pg.PlotDataItem] = {}
        self._log = True
        plot = self.getPlotItem()
        plot.showGrid(x=True, y=True, alpha=0.25)
        style_plot(plot, theme)
        self.setLabel("bottom", "step", color=theme.text)
        plot.setMenuEnabled(False)
        self.legend = None
        if legend:  # under the axis, outside the plotted area: it can never cover a curve
            self.legend = pg.LegendItem(labelTextSize=f"{min(theme.base_font_pt, 14)}pt", labelTextColor=theme.text,
                                        brush=legend_brush(theme), pen=pg.mkPen(theme.muted), verSpacing=-6,
                                        colCount=2)  # (the loss pane is the narrower one)
            plot.layout.addItem(self.legend, 4, 1)
            plot.legend = self.legend  # PlotDataItems with a name join it

    def set_curves(self, curves: list[Curve], log: bool, y_label: str = "loss L",
                   y_range: tuple[float, float] | None = None) -> None:
        """Replace the lines; the axes fit the *whole* race (or ``y_range``) so they never jump."""
        plot = self.getPlotItem()
        for item in self._items.values():
            plot.removeItem(item)
        self._curves, self._items, self._log = list(curves), {}, log
        plot.setLogMode(y=log)
        self.setLabel("left", y_label + (" (log)" if log else ""), color=self.theme.text)
        if self.legend is not None:
            self.legend.clear()
        for curve in curves:
            item = pg.PlotDataItem(pen=series_style(curve.index).pen(2.5), connect="finite",
                                   name=curve.label if self.legend is not None else None)
            plot.addItem(item)
            self._items[curve.label] = item
        self._fit(y_range)
        self.reveal(0)

    def set_theme(self, theme: Theme) -> None:
        """Background, axes and legend in ``theme``."""
        self.theme = theme
        self.setBackground(theme.background)
        restyle_plot(self.getPlotItem(), theme, self.legend)

    def _values(self, losses: np.ndarray) -> np.ndarray:
        v = np.asarray(losses, dtype=np.float64)
        if self._log:
            v = np.where(v > 0, v, np.nan)
        return v

    def _fit(self, y_range: tuple[float, float] | None) -> None:
        finite = [v[np.isfinite(v)] for v in (self._values(c.losses) for c in self._curves)]
        finite = np.concatenate(finite) if finite else np.array([])
        n = max((len(c.losses) for c in self._curves), default=2) - 1
        plot = self.getPlotItem()
        plot.setXRange(0, max(n, 1), padding=0.02)
        if y_range is not None:
            plot.setYRange(*y_range, padding=0.05)
        elif finite.size:
            lo, hi = finite.min(), finite.max()
            if self._log:  # eight decades: a method that hits 1e-30 should not flatten the rest
                lo, hi = np.log10(max(lo, hi * 1e-8)), np.log10(hi)
            plot.setYRange(lo, hi if hi > lo else lo + 1, padding=0.05)

    def reveal(self, step: int) -> None:
        """Show each curve up to and including ``step``."""
        for curve in self._curves:
            values = self._values(curve.losses[:step + 1])
            self._items[curve.label].setData(np.arange(len(values)), values)

    def legend_labels(self) -> list[str]:
        """The names the legend shows (empty without a legend)."""
        return [label.text for _, label in self.legend.items] if self.legend is not None else []

    def drawn_points(self, label: str) -> int:
        """How many steps of ``label``'s curve are drawn (for tests)."""
        x, _ = self._items[label].getData()
        return 0 if x is None else len(x)
