"""Plot pieces the generative lab's views share: themed plots, image panels and loss curves.

Every panel takes arrays and draws them with one ``setData``/``setImage`` per frame;
colours come from the theme (text, grid) and from the colour maps the sequence lab
uses (viridis for numbers in [0, 1], CET-CBD1 for signed ones), so a colour means
the same here as there.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pyqtgraph as pg

from widgets.curves import series_style
from widgets.gate_heatmaps import GATE_MAP, SIGNED_MAP, axis_label, style_plot
from widgets.theme import Theme


def themed_plot(theme: Theme, title: str = "", x_label: str = "", y_label: str = "") -> pg.PlotWidget:
    """A plot without pyqtgraph's menu and buttons, in ``theme``'s colours and font."""
    widget = pg.PlotWidget()
    plot = widget.getPlotItem()
    plot.setMenuEnabled(False)
    plot.hideButtons()
    widget.labels = (title, x_label, y_label)
    restyle(widget, theme)
    return widget


def restyle(widget: pg.PlotWidget, theme: Theme, title: str | None = None) -> None:
    """Apply ``theme`` (background, axes, title and axis names) to a plot made by themed_plot."""
    if title is not None:
        widget.labels = (title,) + widget.labels[1:]
    title, x_label, y_label = widget.labels
    plot = widget.getPlotItem()
    widget.setBackground(theme.background)
    style_plot(plot, theme, theme.base_font_pt - 1)
    plot.setTitle(title, color=theme.text, size=f"{theme.base_font_pt - 1}pt")
    if x_label:
        axis_label(plot, "bottom", x_label, theme, theme.base_font_pt - 1)
    if y_label:
        axis_label(plot, "left", y_label, theme, theme.base_font_pt - 1)


def image_item(signed: bool) -> pg.ImageItem:
    """An image in the signed (CET-CBD1) or the [0, 1] (viridis) colour map; rows are y."""
    item = pg.ImageItem(axisOrder="row-major")
    item.setColorMap(pg.colormap.get(SIGNED_MAP if signed else GATE_MAP))
    return item


def show_image(item: pg.ImageItem, array: np.ndarray, signed: bool, x0: float = 0.0,
               y0: float = 0.0, width: float | None = None, height: float | None = None) -> tuple[int, int]:
    """Draw ``array`` (rows top to bottom) over [x0, x0 + width] × [y0, y0 + height];
    signed arrays are scaled symmetrically around 0, others over [0, 1]."""
    a = np.asarray(array, dtype=float)
    finite = a[np.isfinite(a)]
    top = float(np.max(np.abs(finite))) if finite.size else 1.0
    levels = (-top or -1.0, top or 1.0) if signed else (0.0, 1.0)
    item.setImage(a, levels=levels)  # NaN (a mosaic's gaps) is drawn transparent
    h, w = a.shape
    item.setRect(x0, y0, w if width is None else width, h if height is None else height)
    return h, w


def fit(widget: pg.PlotWidget, shape: tuple[int, int]) -> None:
    """Show all of an image of ``shape`` (rows, columns) drawn at the origin, now and whenever the
    plot is resized (an aspect-locked view would otherwise keep a range fitted to its old size)."""
    vb = widget.getPlotItem().vb
    if getattr(widget, "fitted_shape", None) is None:
        vb.sigResized.connect(lambda *_: _refit(widget))
    widget.fitted_shape = shape
    _refit(widget)


def _refit(widget: pg.PlotWidget) -> None:
    rows, columns = widget.fitted_shape
    widget.getPlotItem().vb.setRange(xRange=(0, columns), yRange=(0, rows), padding=0.02)


class CurvesPanel:
    """Named lines on one plot, one series style each (the legend is the line's name)."""

    def __init__(self, widget: pg.PlotWidget, theme: Theme):
        self.widget = widget
        self.theme = theme
        self.items: dict[str, pg.PlotDataItem] = {}
        self.legend = widget.getPlotItem().addLegend(offset=(-6, 6), labelTextColor=theme.text,
                                                     labelTextSize=f"{theme.base_font_pt - 2}pt")
        widget.getPlotItem().showGrid(x=True, y=True, alpha=0.25)

    def set_names(self, names: Sequence[str]) -> None:
        """Lines for these names (in series order), dropping any others."""
        plot = self.widget.getPlotItem()
        if list(self.items) == list(names):
            return
        for item in self.items.values():
            plot.removeItem(item)
        self.legend.clear()
        self.items = {}
        for index, name in enumerate(names):
            item = pg.PlotDataItem(pen=series_style(index).pen(2.5), name=name, connect="finite")
            plot.addItem(item)
            self.items[name] = item
        self.legend.setVisible(len(names) > 1)  # one line: the plot's title names it

    def set_curves(self, curves: dict[str, Sequence[float]], upto: int | None = None) -> None:
        """Each line's values against their step (the first ``upto`` values only, if given)."""
        self.set_names(list(curves))
        for name, values in curves.items():
            y = np.asarray(values[:upto] if upto is not None else values, dtype=float)
            self.items[name].setData(np.arange(1, len(y) + 1), y)

    def set_theme(self, theme: Theme) -> None:
        """Legend text in the theme's colour and size (series colours mean the same in every theme)."""
        self.theme = theme
        self.legend.setLabelTextColor(theme.text)
        self.legend.setLabelTextSize(f"{theme.base_font_pt - 2}pt")
        for sample, label in self.legend.items:
            label.setText(label.text, color=theme.text, size=f"{theme.base_font_pt - 2}pt")


def token_ticks(tokens: Sequence[str]) -> list[list[tuple[float, str]]]:
    """Axis ticks at the centres of cells 0..n−1 named by ``tokens``."""
    return [[(k + 0.5, t) for k, t in enumerate(tokens)]]


def no_mouse(widget: pg.PlotWidget) -> None:
    """A picture, not a map: no panning or zooming."""
    widget.getPlotItem().setMouseEnabled(x=False, y=False)

