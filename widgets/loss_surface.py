"""A 2-D loss surface as a heatmap with contour lines, and optimizer trajectories racing on it.

Draws what the engine computed (:mod:`engine.surfaces`); computes no gradients.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal

from engine.surfaces import Surface

from .curves import LEGEND_COLUMNS, legend_brush, restyle_plot, series_style, style_plot
from .theme import LIGHT, Theme

COLORMAP = "cividis"
"""Colour-blind-safe and monotone in lightness, so it also reads in greyscale."""
CONTOUR_STRIDE = 2
"""Contour lines are traced on every 2nd row and column of the colour grid: the same lines to the eye,
a quarter of the time (pyqtgraph traces them in Python; at full resolution a surface froze the lab ~1.5 s)."""


def colour_values(surface: Surface, z: np.ndarray) -> np.ndarray:
    """What the colour encodes: f itself, or log10 of the height above the minimum."""
    if not surface.log_color:
        return z
    floor = surface.min_value if surface.min_value is not None else np.nanmin(z)
    return np.log10(np.maximum(z - floor, 0) + 1e-3)


@dataclass(frozen=True)
class Path:
    """One optimizer's trajectory, (N+1, 2) points, with its series index (for its style)."""

    label: str
    points: np.ndarray
    index: int


class LossSurfaceView(pg.PlotWidget):
    """Heatmap + contours of a surface, its minima (★), and several trajectories at once.

    Emits ``start_selected(x, y)`` when the user clicks a point of the surface.
    """

    start_selected = Signal(float, float)

    def __init__(self, parent=None, theme: Theme = LIGHT, levels: int = 14):
        super().__init__(parent, background=theme.background)
        self.theme = theme
        self.n_levels = levels
        plot = self.getPlotItem()
        plot.setMenuEnabled(False)
        style_plot(plot, theme)
        self.setLabel("bottom", "x (w₁)", color=theme.text)
        self.setLabel("left", "y (w₂)", color=theme.text)
        self.image = pg.ImageItem()
        self.image.setColorMap(pg.colormap.get(COLORMAP))
        self.image.setOpacity(0.7)  # a paler map keeps every trajectory colour readable
        plot.addItem(self.image)
        self._contours: list[pg.IsocurveItem] = []
        self.minima = pg.ScatterPlotItem(symbol="star", size=28, pen=pg.mkPen("#000000", width=2),
                                         brush=pg.mkBrush(255, 255, 255, 110))
        self.minima.setZValue(23)  # see-through, above the heads: the target stays visible
        plot.addItem(self.minima)
        self.start_marker = pg.ScatterPlotItem(symbol="o", size=16, pen=pg.mkPen("#FFFFFF", width=3),
                                               brush=pg.mkBrush(0, 0, 0, 0))
        self.start_marker.setZValue(21)
        plot.addItem(self.start_marker)
        self.legend = pg.LegendItem(labelTextSize=f"{min(theme.base_font_pt, 14)}pt",
                                    labelTextColor=theme.text, brush=legend_brush(theme),
                                    pen=pg.mkPen(theme.muted), verSpacing=-4)
        plot.layout.addItem(self.legend, 4, 1)  # under the map, outside it: it never covers a path
        self._paths: list[Path] = []
        self._lines: dict[str, pg.PlotDataItem] = {}
        self._finite: dict[str, int] = {}
        self._heads: dict[str, pg.ScatterPlotItem] = {}
        self.scene().sigMouseClicked.connect(self._clicked)

    # -- the surface ---------------------------------------------------------
    def set_surface(self, surface: Surface, resolution: int = 240) -> None:
        """Draw ``surface`` over its window: colour, contour lines and its known minima."""
        _, _, z = surface.grid(resolution)
        c = colour_values(surface, z)
        x0, x1, y0, y1 = surface.window
        lo, hi = np.nanpercentile(c, 1), np.nanpercentile(c, 99)
        self.image.setImage(c, levels=(lo, hi), autoLevels=False)
        self.image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        for item in self._contours:
            item.setParentItem(None)
            self.getPlotItem().vb.removeItem(item)
        pen = pg.mkPen(255, 255, 255, 110, width=1)
        self._contours = []
        coarse = c[::CONTOUR_STRIDE, ::CONTOUR_STRIDE]  # pyqtgraph traces contours in Python: 1/4 of the points
        for level in np.linspace(lo, hi, self.n_levels + 2)[1:-1]:
            curve = pg.IsocurveItem(coarse, level, pen)
            curve.setParentItem(self.image)
            curve.setScale(CONTOUR_STRIDE)  # back to the image's pixels
            self._contours.append(curve)
        self.minima.setData([m[0] for m in surface.minima], [m[1] for m in surface.minima])
        self.getPlotItem().setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        self.set_start(*surface.start)

    def set_theme(self, theme: Theme) -> None:
        """Background, axes and legend in ``theme`` (the map's own colours stay: they mean height)."""
        self.theme = theme
        self.setBackground(theme.background)
        restyle_plot(self.getPlotItem(), theme, self.legend)

    def set_start(self, x: float, y: float) -> None:
        """Mark where the race starts."""
        self.start_marker.setData([x], [y])

    def _clicked(self, event) -> None:
        vb = self.getPlotItem().vb
        if event.button() != Qt.LeftButton or not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        p = vb.mapSceneToView(event.scenePos())
        self.start_selected.emit(float(p.x()), float(p.y()))

    # -- the race ------------------------------------------------------------
    def set_paths(self, paths: list[Path]) -> None:
        """Replace the trajectories (drawn up to step 0 until :meth:`reveal`)."""
        plot = self.getPlotItem()
        for item in [*self._lines.values(), *self._heads.values()]:
            plot.removeItem(item)
        self.legend.clear()
        self._paths, self._lines, self._heads = list(paths), {}, {}
        # rows after a divergence are NaN: draw only the finite prefix, skipping NaN checks per frame
        self._finite = {p.label: int(np.all(np.isfinite(p.points), axis=1).cumprod().sum()) for p in paths}
        for path in paths:
            style = series_style(path.index)
            line = pg.PlotDataItem(pen=style.pen(3), skipFiniteCheck=True,
                                   shadowPen=pg.mkPen(255, 255, 255, 170, width=5))
            head = pg.ScatterPlotItem(symbol=style.marker, size=17, brush=pg.mkBrush(style.color),
                                      pen=pg.mkPen("#FFFFFF", width=1.5))
            line.setZValue(10)
            head.setZValue(22)
            plot.addItem(line)
            plot.addItem(head)
            self._lines[path.label], self._heads[path.label] = line, head
            sample = pg.PlotDataItem(pen=style.pen(3), symbol=style.marker, symbolSize=13,
                                     symbolBrush=style.color, symbolPen=pg.mkPen("#FFFFFF"))
            self.legend.addItem(sample, path.label)
        self.legend.setColumnCount(LEGEND_COLUMNS)
        self.legend.setVisible(bool(paths))
        self.reveal(0)

    def reveal(self, step: int) -> None:
        """Draw every trajectory up to point ``step`` (a diverged one stops where it left)."""
        for path in self._paths:
            pts = path.points[:min(step + 1, self._finite[path.label])]
            self._lines[path.label].setData(pts[:, 0], pts[:, 1])
            self._heads[path.label].setData(pts[-1:, 0], pts[-1:, 1])

    def drawn_labels(self) -> list[str]:
        """The trajectories on the map."""
        return list(self._lines)

    def legend_labels(self) -> list[str]:
        """The names the map's legend shows (none while it is hidden)."""
        return [label.text for _, label in self.legend.items] if self.legend.isVisible() else []

    def drawn_points(self, label: str) -> int:
        """How many points of ``label``'s trajectory are drawn (for tests)."""
        x, _ = self._lines[label].getData()
        return 0 if x is None else len(x)

