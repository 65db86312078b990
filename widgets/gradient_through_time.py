"""How much gradient survives back through time: ||dL/dh_t|| (and ||dL/dc_t||) against t.

A plain RNN's curve falls off exponentially going back in time (vanishing) or
blows up (exploding); an LSTM's cell keeps it alive.  Each curve is divided by
its value at the last step, log y scale, one colour per model, dashed for the
LSTM's cell state.  The controls beside the plot set
the plain RNN's recurrent weight scale and activation so a lecturer can make it
vanish or explode on purpose; the widget only emits the choice, the lab rebuilds
the model and the engine computes the norms.  In presenter mode the controls are
hidden and the title and labels shortened, so the plot fits a narrow pane.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from widgets.gate_heatmaps import axis_label, style_plot
from widgets.log_axis import ReadableLogAxis
from widgets.theme import LIGHT, OKABE_ITO, Theme

MODEL_COLORS = {"rnn": OKABE_ITO["vermillion"], "lstm": OKABE_ITO["blue"], "gru": OKABE_ITO["green"]}
"""One colour per model, shared by every sequence-lab plot."""
MODEL_NAMES = {"rnn": "plain RNN", "lstm": "LSTM", "gru": "GRU"}

FLOOR, CEILING = 1e-12, 1e12
"""Ratios are clipped to this range so that 0 and overflow stay on a log axis."""

MIN_SPAN = (1e-3, 10.0)
"""The y axis always shows at least this range."""

ACTIVATIONS = ("tanh", "relu")


def surviving_fraction(norms: np.ndarray) -> np.ndarray:
    """||dL/dh_t|| / ||dL/dh_T||, ready for a log axis (0 to FLOOR, overflow and NaN to CEILING).

    Dividing by the last step's norm makes models with different losses comparable:
    the curve says what fraction of the gradient at the output survives back to step t.
    """
    norms = np.asarray(norms, dtype=np.float64)
    last = norms[-1] if norms.size and np.isfinite(norms[-1]) and norms[-1] > 0 else 1.0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = np.nan_to_num(norms / last, nan=CEILING, posinf=CEILING)
    return np.clip(ratio, FLOOR, CEILING)


def legend_text(entries: list[tuple[str, str, bool]], per_line: int = 0) -> str:
    """Rich text of a legend: (name, colour, dashed) each, ``per_line`` entries a line (0: one line)."""
    parts = [f'<span style="color:{color}; font-weight:bold;">{"╍╍" if dashed else "━━"}</span>'
             f'&nbsp;{name}' for name, color, dashed in entries]
    per_line = per_line or len(parts)  # (entries are joined by a breakable space: a narrow pane wraps them)
    return "<br>".join("&nbsp;&nbsp; ".join(parts[i:i + per_line]) for i in range(0, len(parts), per_line))


def legend_label(entries: list[tuple[str, str, bool]]) -> QLabel:
    """A legend under a plot (never over the curves), wrapping when the pane is narrow: (name, colour, dashed) each."""
    label = QLabel(legend_text(entries))
    label.setWordWrap(True)
    return label


class GradientThroughTime(QWidget):
    """Log-scale curves of gradient norm per time step for RNN, LSTM and GRU."""

    rnn_settings_changed = Signal(float, str)

    def __init__(self, parent: QWidget | None = None, theme: Theme = LIGHT):
        super().__init__(parent)
        self.plot_widget = pg.PlotWidget(axisItems={"left": ReadableLogAxis("left")})
        plot = self.plot = self.plot_widget.getPlotItem()
        plot.setLogMode(y=True)
        plot.showGrid(x=True, y=True, alpha=0.25)
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.getAxis("left").enableAutoSIPrefix(False)
        self._legend_entries = [(MODEL_NAMES["rnn"], MODEL_COLORS["rnn"], False),
                                (MODEL_NAMES["lstm"], MODEL_COLORS["lstm"], False),
                                ("LSTM cell c", MODEL_COLORS["lstm"], True),
                                (MODEL_NAMES["gru"], MODEL_COLORS["gru"], False)]
        self.legend = legend_label(self._legend_entries)
        self.curves: dict[tuple[str, str], pg.PlotDataItem] = {}
        self.cursor = pg.InfiniteLine(angle=90)
        plot.addItem(self.cursor)
        self._readout = "last"
        self.presenting = False
        self.set_theme(theme)

        self.scale = QDoubleSpinBox()
        self.scale.setRange(0.1, 4.0)
        self.scale.setSingleStep(0.25)
        self.scale.setValue(1.0)
        self.scale.setToolTip("Multiplies the plain RNN's recurrent weights W_hh at initialisation:\n"
                              "small → the gradient vanishes, large → it explodes")
        self.activation = QComboBox()
        self.activation.addItems(ACTIVATIONS)
        self.activation.setToolTip("The plain RNN's nonlinearity: tanh squashes (vanishes), "
                                   "relu does not (may explode)")
        self.scale.valueChanged.connect(self._emit_settings)
        self.activation.currentTextChanged.connect(self._emit_settings)
        self.controls = QWidget()
        controls = QHBoxLayout(self.controls)
        controls.setContentsMargins(4, 0, 4, 0)
        controls.addWidget(QLabel("Plain RNN: W_hh ×"))
        controls.addWidget(self.scale)
        controls.addWidget(self.activation)  # (its items, tanh and relu, say what it is)
        controls.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.plot_widget, 1)
        layout.addWidget(self.legend)
        layout.addWidget(self.controls)

    def set_presenting(self, presenting: bool) -> None:
        """Presenter mode: hide the RNN controls, shorten the title and labels to fit (False: back)."""
        self.presenting = presenting
        self.controls.setVisible(not presenting)
        # the legend stays (it says which colour is which model), on two lines to fit the pane
        self.legend.setText(legend_text(self._legend_entries, 2 if presenting else 0))
        self.set_theme(self.theme)

    def set_norms(self, model: str, h: np.ndarray, c: np.ndarray | None = None) -> None:
        """Show one model's ||dL/dh_t|| (and ||dL/dc_t||) per time step, each shaped (T,)."""
        self._set_curve(model, "h", h)
        if c is not None:
            self._set_curve(model, "c", c)

    def set_theme(self, theme: Theme) -> None:
        """Restyle for a light, dark or presenter theme; model colours keep their meaning."""
        self.theme = theme
        font_pt = theme.base_font_pt + 1
        self.plot_widget.setBackground(theme.background)
        self.legend.setStyleSheet(f"font-size: {theme.base_font_pt}pt;" if self.presenting else "")
        style_plot(self.plot, theme, font_pt - 1)
        title = "Gradient left at t" if self.presenting else "Gradient surviving back to step t"
        self.plot.setTitle(title, color=theme.text,
                           size=f"{font_pt + 1}pt")
        axis_label(self.plot, "left", "fraction left", theme, font_pt)
        self.plot.getAxis("left").setWidth(int(6.5 * font_pt))  # "0.001" and the label, never overlapping
        self.cursor.setPen(pg.mkPen(theme.error, width=2))
        self.set_readout(self._readout)

    def set_readout(self, readout: str) -> None:
        """Say under the time axis where the loss is read: "last" step or "all" steps."""
        self._readout = readout
        if self.presenting:
            text = "t (loss at the end)" if readout == "last" else "t (loss at every step)"
        else:
            text = f"time step t ({'loss read at the end' if readout == 'last' else 'a loss at every step'})"
        axis_label(self.plot, "bottom", text, self.theme,
                   self.theme.base_font_pt + 1)

    def _fit_y(self) -> None:
        """Show at least 1e-3 … 10 so that a flat curve still reads as "all survives"."""
        ys = [c.getOriginalDataset()[1] for c in self.curves.values()]
        lo = min(MIN_SPAN[0], *(float(y.min()) for y in ys))
        hi = max(MIN_SPAN[1], *(float(y.max()) for y in ys))
        self.plot.setYRange(np.log10(lo), np.log10(hi), padding=0.05)

    def _set_curve(self, model: str, which: str, norms: np.ndarray) -> None:
        values = surviving_fraction(norms)
        curve = self.curves.get((model, which))
        if curve is None:
            style = Qt.DashLine if which == "c" else Qt.SolidLine
            curve = self.plot.plot(pen=pg.mkPen(MODEL_COLORS[model], width=3, style=style),
                                   symbol="o", symbolSize=5, symbolBrush=MODEL_COLORS[model],
                                   symbolPen=None)
            self.curves[(model, which)] = curve
        curve.setData(np.arange(len(values)), values)
        self._fit_y()

    def set_rnn_settings(self, scale: float, activation: str) -> None:
        """Show the plain RNN's settings in the controls without emitting a change."""
        for control in (self.scale, self.activation):
            control.blockSignals(True)
        self.scale.setValue(scale)
        self.activation.setCurrentText(activation)
        for control in (self.scale, self.activation):
            control.blockSignals(False)

    def set_time(self, t: int) -> None:
        """Mark time step ``t`` (synchronised with the gate heatmaps' cursor)."""
        self.cursor.setValue(t)

    def _emit_settings(self, *_) -> None:
        self.rnn_settings_changed.emit(self.scale.value(), self.activation.currentText())
