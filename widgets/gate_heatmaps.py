"""Gate activity of an LSTM or GRU over one input sequence, as heatmaps over time.

One heatmap per recorded quantity (one row per hidden unit, time along x), the
input sequence written along the time axis, a time cursor shared by every
panel and a hover readout with exact values.  Gates in [0, 1] use a sequential
map (viridis: dark = closed, yellow = open); signed quantities use a diverging
colour-blind-safe map (CET-CBD1: blue < 0 < yellow).  This widget only draws
the arrays it is given; the engine records them (``module.last_gates``).
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from widgets.theme import LIGHT, Theme

LABELS = {
    "i": "write gate i_t", "f": "forget gate f_t", "o": "read gate o_t",
    "g": "candidate c'_t", "c": "cell state c_t", "h": "hidden state h_t",
    "r": "reset gate r_t", "z": "update gate z_t", "n": "candidate n_t",
}
"""Lecture name, then PyTorch's symbol, for every key of ``module.last_gates``."""

GATES = frozenset("iforz")
"""Keys whose values are sigmoids in [0, 1] (sequential colour map)."""

LAYOUTS = {
    "lstm": (("i", "f", "o"), ("g", "c", "h")),
    "gru": (("r", "z"), ("n", "h")),
}
"""Panels per column: gates on the left, signed quantities on the right."""

GATE_MAP = "viridis"
SIGNED_MAP = "CET-CBD1"


def cell_kind(gates: dict) -> str:
    """"lstm" or "gru", read from the keys a module recorded."""
    return "lstm" if "f" in gates else "gru"


def html_label(label: str) -> str:
    """"forget gate f_t" as rich text with an italic, subscripted symbol."""
    words, _, symbol = label.rpartition(" ")
    base, _, sub = symbol.partition("_")
    return f"{words} <i>{base.replace(chr(39), '&prime;')}</i><sub>{sub}</sub>"


def style_plot(plot: pg.PlotItem, theme: Theme, font_pt: int) -> None:
    """Axis pens, tick fonts and text colour of a plot in the given theme."""
    font = QFont()
    font.setPointSize(font_pt)
    for name in ("left", "bottom", "top", "right"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(theme.muted))
        axis.setTextPen(pg.mkPen(theme.text))
        axis.setTickFont(font)


def axis_label(plot: pg.PlotItem, side: str, text: str, theme: Theme, font_pt: int) -> None:
    """Name an axis in the theme's text colour at ``font_pt`` (pyqtgraph wants CSS keys)."""
    plot.setLabel(side, text, **{"color": theme.text, "font-size": f"{font_pt}pt"})


def bar_ticks(key: str, top: float) -> list[tuple[float, str]]:
    """Colour-bar ticks: 0 and 1 for a gate; -m, 0, m for a signed range ±top, with m a
    one-digit number inside the bar so stacked bars' end labels never collide."""
    if key in GATES:
        return [(0.0, "0"), (1.0, "1")]
    inner = 0.8 * top
    unit = 10.0 ** math.floor(math.log10(inner))
    m = math.floor(inner / unit) * unit
    return [(-m, f"{-m:g}"), (0.0, "0"), (m, f"{m:g}")]


def label_stride(labels: list[str], pixels: float, char_px: float) -> int:
    """Write every k-th label so that neighbouring labels never overlap (regular ticks)."""
    if not labels or pixels <= 0:
        return 1
    widest = max(len(s) for s in labels) * char_px + char_px
    return max(1, math.ceil(widest * len(labels) / pixels))


def visible_labels(labels: list[str], pixels: float, char_px: float) -> list[int]:
    """Steps whose label is written: longest (most telling, e.g. a marked "0.6*") first,
    then any other that does not overlap one already placed."""
    step_px = pixels / max(len(labels), 1)
    spans: dict[int, tuple[float, float]] = {}
    for t in sorted(range(len(labels)), key=lambda t: -len(labels[t])):
        half = (len(labels[t]) + 1) * char_px / 2
        lo, hi = (t + 0.5) * step_px - half, (t + 0.5) * step_px + half
        if all(hi <= a or lo >= b for a, b in spans.values()):
            spans[t] = (lo, hi)
    return sorted(spans)


class GateHeatmaps(QWidget):
    """Heatmaps of i, f, o, c', c, h (LSTM) or r, z, n, h (GRU) against time."""

    time_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None, theme: Theme = LIGHT):
        super().__init__(parent)
        self.gates: dict[str, np.ndarray] = {}
        self.step_labels: list[str] = []
        self.plots: dict[str, pg.PlotItem] = {}
        self.images: dict[str, pg.ImageItem] = {}
        self._cursors: list[pg.InfiniteLine] = []
        self._bars: dict[str, pg.ColorBarItem] = {}
        self._time = 0
        self._kind = ""
        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.canvas.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        self.readout = QLabel("Train or pick a sequence to see the gates.")
        self.readout.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.readout)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        """Restyle for a light, dark or presenter theme (panels are rebuilt in its fonts)."""
        self.theme = theme
        self.font_pt = theme.base_font_pt + 1
        self.canvas.setBackground(theme.background)
        self._kind = ""
        if self.gates:
            self.set_trace(self.gates, self.step_labels)

    # -- data ------------------------------------------------------------------
    @property
    def time(self) -> int:
        """The time step under the cursor."""
        return self._time

    def set_trace(self, gates: dict[str, np.ndarray], step_labels: list[str] | None = None) -> None:
        """Show recorded activations, each (T, H) for one sequence, and the inputs' labels."""
        gates = {k: np.asarray(v, dtype=np.float64) for k, v in gates.items() if k in LABELS}
        rebuild = cell_kind(gates) != self._kind or set(gates) != set(self.gates)
        steps = next(iter(gates.values())).shape[0]
        self.gates = gates
        self.step_labels = list(step_labels) if step_labels else [str(t) for t in range(steps)]
        if rebuild:
            self._build(cell_kind(gates))
        for key, image in self.images.items():
            values = gates[key]
            image.setImage(values, autoLevels=False)
            lo, hi = self._levels(key, values)
            bar = self._bars[key]
            bar.setLevels((lo, hi))
            bar.getAxis("right").setTicks([bar_ticks(key, hi), []])
            image.setRect(QRectF(-0.5, -0.5, values.shape[0], values.shape[1]))
            self.plots[key].setLimits(xMin=-0.5, xMax=steps - 0.5)
            self.plots[key].setRange(xRange=(-0.5, steps - 0.5), yRange=(-0.5, values.shape[1] - 0.5),
                                     padding=0)
        for cursor in self._cursors:
            cursor.setBounds((0, steps - 1))
        self._update_time_axis()
        self.set_time(min(self._time, steps - 1), force=True)

    @staticmethod
    def _levels(key: str, values: np.ndarray) -> tuple[float, float]:
        """[0, 1] for gates, [-1, 1] for tanh outputs, symmetric around 0 for the cell state."""
        if key in GATES:
            return (0.0, 1.0)
        finite = np.abs(values[np.isfinite(values)])
        m = max(1.0, float(finite.max())) if key == "c" and finite.size else 1.0
        return (-m, m)

    # -- building --------------------------------------------------------------
    def _build(self, kind: str) -> None:
        self.canvas.clear()
        self.plots.clear()
        self.images.clear()
        self._cursors.clear()
        self._bars.clear()
        self._kind = kind
        columns = LAYOUTS[kind]
        rows = max(len(c) for c in columns)
        for col, keys in enumerate(columns):
            for row, key in enumerate(keys):
                self._add_panel(key, row, 2 * col, top=row == 0, bottom=row == len(keys) - 1)
            if keys[0] in GATES:
                self._add_colorbar(keys, 0, 2 * col + 1, rows)
            else:
                for row, key in enumerate(keys):
                    self._add_colorbar((key,), row, 2 * col + 1, 1)
        self.canvas.ci.layout.setHorizontalSpacing(4)
        self.canvas.ci.layout.setVerticalSpacing(2)

    def _add_panel(self, key: str, row: int, col: int, top: bool, bottom: bool) -> None:
        plot = self.canvas.addPlot(row=row, col=col)
        plot.setTitle(html_label(LABELS[key]), color=self.theme.text, size=f"{self.font_pt + 1}pt")
        plot.setMenuEnabled(False)
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        plot.invertY(True)
        style_plot(plot, self.theme, self.font_pt - 1)
        plot.showAxis("top", top)
        plot.getAxis("bottom").setStyle(showValues=bottom)
        plot.getAxis("left").setWidth(28)
        if bottom:
            axis_label(plot, "bottom", "time step t", self.theme, self.font_pt)
        colormap = pg.colormap.get(GATE_MAP if key in GATES else SIGNED_MAP)
        image = pg.ImageItem(axisOrder="col-major")
        image.setColorMap(colormap)
        plot.addItem(image)
        cursor = pg.InfiniteLine(angle=90, movable=True, pen=pg.mkPen(self.theme.error, width=2),
                                 hoverPen=pg.mkPen(self.theme.highlight, width=3))
        cursor.sigPositionChanged.connect(self._on_cursor_dragged)
        plot.addItem(cursor)
        plot.vb.sigResized.connect(self._update_time_axis)
        self._cursors.append(cursor)
        self.plots[key] = plot
        self.images[key] = image

    def _add_colorbar(self, keys: tuple[str, ...], row: int, col: int, rowspan: int) -> None:
        """One bar for all the gates (all in [0, 1]); one per signed panel (ranges differ)."""
        gate = keys[0] in GATES
        bar = pg.ColorBarItem(values=(0, 1) if gate else (-1, 1), interactive=False, width=12,
                              colorMap=pg.colormap.get(GATE_MAP if gate else SIGNED_MAP),
                              colorMapMenu=False)
        style_plot(bar, self.theme, self.font_pt - 2)
        if gate:
            axis_label(bar, "right", "0 closed … 1 open", self.theme, self.font_pt - 1)
        bar.setImageItem([self.images[k] for k in keys])
        for key in keys:
            self._bars[key] = bar
        self.canvas.addItem(bar, row=row, col=col, rowspan=rowspan)

    def _update_time_axis(self, *_) -> None:
        """Input symbols along the top axis of the first row, thinned so they never overlap."""
        if not self.plots or not self.gates:
            return
        width = next(iter(self.plots.values())).vb.width() or 300.0
        shown = set(visible_labels(self.step_labels, width, self.font_pt * 0.9))
        major = [(t, s) for t, s in enumerate(self.step_labels) if t in shown]
        minor = [(t, "") for t in range(len(self.step_labels)) if t not in shown]
        steps = [str(t) for t in range(len(self.step_labels))]
        times = [(t, s) for t, s in enumerate(steps)
                 if t % label_stride(steps, width, self.font_pt * 0.9) == 0]
        for key, plot in self.plots.items():
            plot.getAxis("top").setTicks([major, minor])
            plot.getAxis("bottom").setTicks([times, []])
            units = self.gates[key].shape[1]
            unit_stride = max(1, math.ceil(units / 4))
            plot.getAxis("left").setTicks([[(u, str(u + 1)) for u in range(0, units, unit_stride)], []])

    # -- time cursor -------------------------------------------------------------
    def set_time(self, t: int, force: bool = False) -> None:
        """Move the time cursor to step ``t`` (clamped); emits ``time_changed`` when it moves."""
        steps = len(self.step_labels)
        t = int(min(max(int(t), 0), max(steps - 1, 0)))
        changed = t != self._time
        self._time = t
        for cursor in self._cursors:
            if cursor.value() != t:
                cursor.blockSignals(True)
                cursor.setValue(t)
                cursor.blockSignals(False)
        if steps:
            self.readout.setText(f"t = {t}, input {self.step_labels[t]}. Hover a cell for its "
                                 "value; drag the red line to move in time.")
        if changed or force:
            self.time_changed.emit(t)

    def _on_cursor_dragged(self, cursor: pg.InfiniteLine) -> None:
        self.set_time(round(cursor.value()))

    # -- hover and click ---------------------------------------------------------
    def cell_at(self, scene_pos: QPointF) -> tuple[str, int, int] | None:
        """(key, t, unit) of the heatmap cell under a scene position, or None."""
        for key, plot in self.plots.items():
            if plot.vb.sceneBoundingRect().contains(scene_pos):
                p = plot.vb.mapSceneToView(scene_pos)
                t, unit = round(p.x()), round(p.y())
                steps, units = self.gates[key].shape
                if 0 <= t < steps and 0 <= unit < units:
                    return key, t, unit
        return None

    def describe(self, key: str, t: int, unit: int) -> str:
        """The exact value of one cell in words, as the hover readout shows it."""
        value = self.gates[key][t, unit]
        return (f"{LABELS[key]}   unit {unit + 1}, t = {t} (input {self.step_labels[t]}):   "
                f"{value:.4f}")

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        cell = self.cell_at(scene_pos)
        if cell is not None:
            text = self.describe(*cell)
            self.readout.setText(text)
            self.canvas.setToolTip(text)

    def _on_mouse_clicked(self, event) -> None:
        cell = self.cell_at(event.scenePos())
        if cell is not None:
            self.set_time(cell[1])
