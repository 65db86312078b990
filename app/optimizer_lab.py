"""The optimizer lab: optimizers race on 2-D loss surfaces, then train a small MLP.

Trajectories and losses come from the engine (:mod:`engine.optim`,
:mod:`engine.surfaces`, :mod:`engine.optim.training`), computed in background
jobs (:mod:`viewmodel.jobs`); the views only reveal precomputed points as the
step controls advance.
"""
from __future__ import annotations

import math

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import (QAbstractSpinBox, QCheckBox, QComboBox, QDoubleSpinBox, QGridLayout,
                               QHBoxLayout, QLabel, QProgressBar, QPushButton, QScrollArea,
                               QSpinBox, QTabWidget, QVBoxLayout, QWidget)

from engine.optim.training import train_mlp
from engine.surfaces import SURFACES, Surface, Trajectory, run
from engine.datasets import DATASETS, Dataset
from viewmodel.jobs import Job, Outcome
from widgets.curves import Curve, LossCurvesView, restyle_plot, series_style, style_plot
from widgets.device_selector import DeviceSelector
from widgets.jobs import JobWatcher, start_job
from widgets.loss_surface import LossSurfaceView, Path
from widgets.step_controls import StepControls
from widgets.theme import LIGHT, Theme


# -- what races ----------------------------------------------------------------------
@dataclass
class Racer:
    """One contestant: a label, an ``engine.optim`` class name and its hyperparameters."""

    label: str
    optimizer: str
    hyperparams: dict[str, Any]
    enabled: bool = True
    note: str = ""
    """The lecture's update rule, shown as a tooltip."""


def surface_racers() -> list[Racer]:
    """The catalogue for surfaces; a racer's position is its colour/marker everywhere."""
    return [
        Racer("SGD", "SGD", dict(lr=0.01), note="w ← w − α ∂L/∂w"),
        Racer("Momentum", "SGD", dict(lr=0.01, momentum=0.9), note="v ← α ∂L/∂w + μ v;  w ← w − v"),
        Racer("Nesterov", "SGD", dict(lr=0.01, momentum=0.9, nesterov=True),
              note="momentum, gradient taken at the look-ahead point"),
        Racer("Adagrad", "Adagrad", dict(lr=0.5), note="w ← w − η/√(G + ε) · ∂L/∂w,  G = Σ g²"),
        Racer("RMSprop", "RMSprop", dict(lr=0.01, alpha=0.99),
              note="ms ← γ ms + (1−γ) g²;  w ← w − η/√(ms + ε) · g"),
        Racer("Adadelta", "Adadelta", dict(lr=1.0, rho=0.9), note="Adagrad with a window, no η needed"),
        Racer("Adam", "Adam", dict(lr=0.05, betas=(0.9, 0.999)), note="RMSprop + momentum"),
        Racer("Newton", "Newton", dict(lr=1.0, damping=0.0),
              note="w ← w − α H⁻¹ ∂L/∂w  (H + λI when H is not positive definite)"),
        Racer("L-BFGS", "LBFGS", dict(lr=1.0, history_size=10, line_search_fn="strong_wolfe"),
              note="inverse Hessian from the last m steps, strong-Wolfe line search"),
        Racer("BFGS", "BFGS", dict(lr=1.0), enabled=False, note="dense inverse-Hessian estimate"),
        Racer("CG", "ConjugateGradient", dict(lr=1.0, beta="PR"), enabled=False,
              note="conjugate gradients (Polak-Ribière), line search"),
        Racer("Plain Newton", "Newton", dict(lr=1.0, ensure_descent=False), enabled=False,
              note="plain Newton-Raphson: heads for any stationary point"),
    ]


def mlp_racers() -> list[Racer]:
    """The catalogue for training the MLP (learning rates suited to a network)."""
    settings = {"SGD": dict(lr=0.5), "Momentum": dict(lr=0.5, momentum=0.9),
                "Nesterov": dict(lr=0.5, momentum=0.9, nesterov=True), "Adagrad": dict(lr=0.3),
                "RMSprop": dict(lr=0.01, alpha=0.99), "Adadelta": dict(lr=1.0, rho=0.9),
                "Adam": dict(lr=0.05, betas=(0.9, 0.999))}
    out = []
    for racer in surface_racers():
        hp = {**racer.hyperparams, **settings.get(racer.label, {})}
        out.append(replace(racer, hyperparams=hp,
                           enabled=racer.label in settings or racer.label == "L-BFGS"))
    return out


@dataclass(frozen=True)
class Preset:
    """A lecture scene: a surface (or a data set), who races, with which settings, how long."""

    surface: str | None
    racers: tuple[str, ...]
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    start: tuple[float, float] | None = None
    steps: int = 200
    dataset: str | None = None


_ALL = ("SGD", "Momentum", "Nesterov", "Adagrad", "RMSprop", "Adadelta", "Adam", "Newton", "L-BFGS")
PRESETS: dict[str, Preset] = {
    "all together: Beale": Preset("beale", _ALL, {"Newton": dict(lr=0.5)}),
    "all together: saddle": Preset("saddle", _ALL, steps=120),
    "canyon: momentum vs SGD": Preset("canyon", ("SGD", "Momentum", "Nesterov"), {
        "SGD": dict(lr=0.38), "Momentum": dict(lr=0.2, momentum=0.7),
        "Nesterov": dict(lr=0.2, momentum=0.7, nesterov=True)}, steps=80),
    "noisy canyon: momentum averages noise": Preset("noisy canyon", ("SGD", "Momentum"), {
        "SGD": dict(lr=0.38), "Momentum": dict(lr=0.04, momentum=0.9)}, steps=150),
    "Newton jumps": Preset("rosenbrock", ("SGD", "Adam", "Newton", "L-BFGS", "BFGS", "CG"), {
        "SGD": dict(lr=0.001), "Adam": dict(lr=0.05)}, steps=100),
    "Newton on a saddle": Preset("saddle", ("SGD", "Newton", "Plain Newton"), {
        "SGD": dict(lr=0.05)}, steps=40),
    "Train an MLP: moons": Preset(None, (), dataset="moons"),
    "Train an MLP: spirals": Preset(None, (), dataset="spirals", steps=300),
}


# -- hyperparameter controls ---------------------------------------------------------
_NAMES = {"lr": ("lr", "learning rate: α (SGD) / η in the lecture"), "momentum": ("μ", "momentum"),
          "alpha": ("γ", "alpha: decay of the squared-gradient average"),
          "rho": ("ρ", "rho: decay of both averages"), "damping": ("λ", "damping added to H"),
          "history_size": ("m", "history_size: (s, y) pairs kept")}


def _spin(value: float, decimals: int = 3, maximum: float = 0.999) -> QDoubleSpinBox:
    """A compact spin box; adaptive steps so a click changes the last shown digit sensibly."""
    box = QDoubleSpinBox()
    box.setDecimals(decimals)
    box.setRange(0.0, math.floor(maximum * 10 ** decimals) / 10 ** decimals)  # rounding up to 1.0 would allow β = 1
    box.setStepType(QAbstractSpinBox.AdaptiveDecimalStepType)
    box.setValue(value)
    box.setKeyboardTracking(False)
    box.setButtonSymbols(QAbstractSpinBox.NoButtons)  # type, scroll or ↑/↓: room for three per row
    box.setToolTip("type a value, or scroll / press ↑ ↓")
    return box


class RacerPanel(QWidget):
    """A row per racer: an enable box in its series colour and marker, then its hyperparameters."""

    changed = Signal()

    def __init__(self, racers: list[Racer], per_line: int = 2, parent: QWidget | None = None):
        """``per_line`` hyperparameters per line (the rest wrap), so the panel fits beside the map."""
        super().__init__(parent)
        self.racers = racers
        self.per_line = per_line
        self.checks: dict[str, QCheckBox] = {}
        self.boxes: list[QAbstractSpinBox] = []
        grid = QGridLayout(self)
        grid.setContentsMargins(2, 2, 2, 2)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(2)
        line = 0
        for row, racer in enumerate(racers):
            style = series_style(row)
            check = QCheckBox(f"{_GLYPHS.get(style.marker, '●')} {racer.label}")
            palette = check.palette()
            palette.setColor(QPalette.WindowText, QColor(style.color))
            check.setPalette(palette)
            bold = QFont()
            bold.setBold(True)  # only boldness is set: the size still follows the lab's font
            check.setFont(bold)
            check.setChecked(racer.enabled)
            check.setToolTip(f"torch.optim.{racer.optimizer}: {racer.note}")
            check.toggled.connect(lambda on, r=racer: self._set(r, None, on))
            grid.addWidget(check, line, 0)
            self.checks[racer.label] = check
            editors = [e for key, value in racer.hyperparams.items()
                       for e in self._editors(racer, key, value)]
            for k, (name, tip, box) in enumerate(editors):
                label = QLabel(name)
                label.setToolTip(tip)
                label.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
                col = 1 + 2 * (k % self.per_line)
                grid.addWidget(label, line + k // self.per_line, col)
                grid.addWidget(box, line + k // self.per_line, col + 1)
                self.boxes.append(box)
            line += max(1, -(-len(editors) // self.per_line))
        grid.setColumnStretch(grid.columnCount(), 1)

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """Size the value boxes for the font in use (the lab's theme sets it after construction)."""
        if event.type() in (QEvent.FontChange, QEvent.Polish):
            for box in self.boxes:
                box.setFixedWidth(box.fontMetrics().horizontalAdvance("00.00000") + 8)
        super().changeEvent(event)

    def _editors(self, racer: Racer, key: str, value: Any):
        if key == "betas":
            for i in range(2):
                box = _spin(value[i], decimals=4 if i else 3, maximum=0.9999)
                box.valueChanged.connect(lambda v, r=racer, i=i: self._set_beta(r, i, v))
                yield f"β{'₁₂'[i]}", f"betas[{i}]: decay of the {'first' if i == 0 else 'second'} moment", box
        elif key == "history_size":
            box = QSpinBox()
            box.setRange(1, 100)
            box.setValue(value)
            box.valueChanged.connect(lambda v, r=racer: self._set(r, key, v))
            yield *_NAMES[key], box
        elif isinstance(value, float) and key in _NAMES:
            box = _spin(value, 4, 10.0) if key in ("lr", "damping") else _spin(value)
            if key == "momentum" and racer.hyperparams.get("nesterov"):
                box.setMinimum(0.001)  # Nesterov without momentum is refused by the optimizer
            box.valueChanged.connect(lambda v, r=racer, k=key: self._set(r, k, v))
            yield *_NAMES[key], box

    def _set(self, racer: Racer, key: str | None, value: Any) -> None:
        if key is None:
            racer.enabled = bool(value)
        else:
            racer.hyperparams[key] = value
        self.changed.emit()

    def _set_beta(self, racer: Racer, i: int, value: float) -> None:
        betas = list(racer.hyperparams["betas"])
        betas[i] = value
        self._set(racer, "betas", tuple(betas))

    def enabled(self) -> list[tuple[int, Racer]]:
        """(series index, racer) for every racer that is switched on."""
        return [(i, r) for i, r in enumerate(self.racers) if r.enabled]


_GLYPHS = {"o": "●", "s": "■", "t": "▼", "d": "◆", "p": "⬟", "h": "⬢", "t1": "▲", "x": "✕", "t2": "▶",
           "t3": "◀", "+": "✚", "crosshair": "⊕"}
"""The text glyph for each series marker (:data:`widgets.palette.SERIES_STYLES`), for the racer list."""


# -- the two tabs ------------------------------------------------------------------------
def _per_line(theme: Theme) -> int:
    return 1 if theme.base_font_pt >= 16 else 2  # presenter fonts: one value box per line


def _heading(text: str, theme: Theme, scale: float = 1.0) -> QLabel:
    label = QLabel(text)
    label.setProperty("scale", scale)
    _size_heading(label, theme)
    label.setWordWrap(True)
    return label


def _size_heading(label: QLabel, theme: Theme) -> None:
    """A heading's font: its scale (a property set by :func:`_heading`) times the theme's base size."""
    font = QFont()
    font.setPointSizeF(theme.base_font_pt * float(label.property("scale")))
    label.setFont(font)


class SurfaceRace(QWidget):
    """Optimizers racing on one surface: the map, the loss curves, the racers, the controls."""

    def __init__(self, theme: Theme = LIGHT, parent: QWidget | None = None):
        super().__init__(parent)
        self.theme = theme
        self.surface: Surface = SURFACES["beale"]
        self.start = self.surface.start
        self.steps = 200
        self.step = 0
        self.trajectories: dict[str, Trajectory] = {}
        self.ready = False
        self._job: JobWatcher | None = None

        self.surface_box = QComboBox()
        self.surface_box.addItems(list(SURFACES))
        self.surface_box.currentTextChanged.connect(self._surface_chosen)
        self.reset_button = QPushButton("Reset start")
        self.reset_button.setToolTip("Back to the surface's default start and step 0")
        self.reset_button.clicked.connect(self.reset)
        self.formula = _heading("", theme, 1.1)
        self.status = QLabel("")
        self.status.setStyleSheet(f"color: {theme.muted};")

        self.map = LossSurfaceView(theme=theme)
        self.map.start_selected.connect(self.set_start)
        self.curves = LossCurvesView(theme=theme, legend=True)
        self.panel = RacerPanel(surface_racers(), _per_line(theme))
        self.panel.changed.connect(self.recompute)
        self.controls = StepControls(steps_per_second=15)
        self.controls.step_requested.connect(self._advance)
        self.controls.jump_requested.connect(self._jump)

        surface_label = QLabel("Surface")
        top = QHBoxLayout()
        top.addWidget(surface_label)
        top.addWidget(self.surface_box)
        top.addWidget(self.formula, 1)
        top.addWidget(self.reset_button)
        self._scroll = QScrollArea()
        self._scroll.setWidget(self.panel)
        self._scroll.setWidgetResizable(True)
        right = QVBoxLayout()
        right.addWidget(self.curves, 5)
        right.addWidget(self._scroll, 4)
        middle = QHBoxLayout()
        middle.addWidget(self.map, 11)
        middle.addLayout(right, 9)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addLayout(middle, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.controls, 1)
        bottom.addWidget(self.status)
        layout.addLayout(bottom)
        self._editing = (surface_label, self.surface_box, self.reset_button, self._scroll, self.controls,
                         self.status)
        self.set_surface(self.surface)

    def set_presenting(self, presenting: bool) -> None:
        """Presenter mode: hide the surface picker, racer settings and step controls (False: back)."""
        for w in self._editing:
            w.setVisible(not presenting)

    def set_theme(self, theme: Theme) -> None:
        """Plots, headings and the racer panel in ``theme`` (the race itself is kept)."""
        self.theme = theme
        _size_heading(self.formula, theme)
        self.status.setStyleSheet(f"color: {theme.muted};")
        self.map.set_theme(theme)
        self.curves.set_theme(theme)
        self._replace_panel(self.panel.racers)

    # -- configuration -----------------------------------------------------------
    def _surface_chosen(self, name: str) -> None:
        if name and name != self.surface.name:
            self.set_surface(SURFACES[name])

    def set_surface(self, surface: Surface, start: tuple[float, float] | None = None) -> None:
        """Show ``surface`` and race from ``start`` (default: the surface's own)."""
        self.surface = surface
        self.start = surface.start if start is None else start
        self.surface_box.blockSignals(True)
        self.surface_box.setCurrentText(surface.name)
        self.surface_box.blockSignals(False)
        self.formula.setText(surface.formula)
        self.formula.setToolTip(surface.description)
        self.map.set_surface(surface)
        self.map.set_start(*self.start)
        self.recompute()

    def set_start(self, x: float, y: float) -> None:
        """Race again from the clicked point."""
        self.start = (x, y)
        self.map.set_start(x, y)
        self.recompute()

    def reset(self) -> None:
        """Default start, step 0."""
        self.set_start(*self.surface.start)

    # -- computing -----------------------------------------------------------------
    def recompute(self) -> None:
        """Run every enabled racer with the engine in a background job."""
        self.cancel()
        self._set_ready(False)
        self.controls.set_playing(False)
        jobs = [(i, r.label, r.optimizer, dict(r.hyperparams)) for i, r in self.panel.enabled()]
        surface, start, steps = self.surface, self.start, self.steps

        def work(job: Job):
            out = {}
            for k, (_, label, name, hp) in enumerate(jobs):
                job.check_cancelled()
                out[label] = run(name, hp, surface, start, steps)
                job.report(k + 1, len(jobs))
            return jobs, out

        self.status.setText("computing…")
        self._job = start_job(Job(work, name=f"race on {surface.name}"), self)
        self._job.progress.connect(self._progress)
        self._job.finished.connect(self._computed)

    def _progress(self, done: int, total: int, _text: str = "") -> None:
        self.status.setText(f"computing {done}/{total}…")

    def _computed(self, outcome: Outcome) -> None:
        self._job = None
        if outcome.status != "done":  # (a cancelled race never reports: its watcher fell silent)
            self.status.setText(f"could not compute the race: {outcome.message}")
            self._set_ready(True)
            return
        order, result = outcome.result
        self.trajectories = result
        self.map.set_paths([Path(label, result[label].points, i) for i, label, _, _ in order])
        gap = self.surface.min_value
        _, _, z = self.surface.grid(60)
        self.curves.set_curves(
            [Curve(label, result[label].losses - (gap or 0.0), i) for i, label, _, _ in order],
            log=gap is not None, y_label="L − L*" if gap is not None else "L",
            y_range=None if gap is not None else (float(z.min()), float(z.max())))
        self.status.setText("")
        self._set_ready(True)
        self.show_step(min(self.step, self.steps))

    def _set_ready(self, ready: bool) -> None:
        self.ready = ready

    def cancel(self) -> None:
        """Stop computing (the race's result is no longer wanted)."""
        if self._job is not None:
            self._job.cancel()
            self._job = None

    # -- time ----------------------------------------------------------------------
    def _advance(self, delta: int) -> None:
        self.show_step(self.step + delta)

    def _jump(self, where: str) -> None:
        self.show_step(0 if where == "start" else self.steps)

    def show_step(self, step: int) -> None:
        """Reveal every trajectory up to ``step`` (clamped; playing stops at the end)."""
        self.step = int(np.clip(step, 0, self.steps))
        if self.step == self.steps:
            self.controls.set_playing(False)
        if self.ready:
            self.map.reveal(self.step)
            self.curves.reveal(self.step)
            gone = [f"{label} (step {t.diverged_at})" for label, t in self.trajectories.items()
                    if t.diverged_at is not None and t.diverged_at <= self.step]
            self.status.setText("ran off the map: " + ", ".join(gone) if gone else "")
        self.controls.set_position(f"step {self.step} / {self.steps}")

    def apply(self, preset: Preset) -> None:
        """Set up a preset's surface, racers and settings, at step 0."""
        catalogue = surface_racers()
        for racer in catalogue:
            racer.enabled = racer.label in preset.racers
            racer.hyperparams.update(preset.overrides.get(racer.label, {}))
        self._replace_panel(catalogue)
        self.steps, self.step = preset.steps, 0
        self.set_surface(SURFACES[preset.surface], preset.start)

    def _replace_panel(self, racers: list[Racer]) -> None:
        old = self._scroll.takeWidget()  # not deleted at once: one of its boxes may be emitting right now
        if old is not None:
            for box in old.findChildren(QAbstractSpinBox):
                box.blockSignals(True)  # (a focused box would commit its text while being destroyed)
            old.blockSignals(True)
            old.deleteLater()
        self.panel = RacerPanel(racers, _per_line(self.theme))
        self.panel.changed.connect(self.recompute)
        self._scroll.setWidget(self.panel)


class MlpTraining(QWidget):
    """The same optimizers training a small network on a toy data set, loss curves overlaid."""

    def __init__(self, theme: Theme = LIGHT, parent: QWidget | None = None):
        super().__init__(parent)
        self.theme = theme
        self.losses: dict[str, np.ndarray] = {}
        self.ready = True
        self._job: JobWatcher | None = None

        self.dataset_box = QComboBox()
        self.dataset_box.addItems(list(DATASETS))
        self.dataset_box.currentTextChanged.connect(self._show_data)
        self.hidden = QSpinBox()
        self.hidden.setRange(2, 64)
        self.hidden.setValue(8)
        self.steps = QSpinBox()
        self.steps.setRange(10, 2000)
        self.steps.setValue(200)
        self.train_button = QPushButton("Train")
        self.train_button.clicked.connect(self.train)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.device_selector = DeviceSelector()

        self.data_plot = pg.PlotWidget(background=theme.background)
        self.data_plot.setAspectLocked(True)
        self.data_plot.getPlotItem().setMenuEnabled(False)
        style_plot(self.data_plot.getPlotItem(), theme)
        self.data_items = pg.ScatterPlotItem(size=9)
        self.data_plot.addItem(self.data_items)
        self.curves = LossCurvesView(theme=theme, legend=True)
        self.panel = RacerPanel(mlp_racers(), _per_line(theme))

        row = QHBoxLayout()
        editing: list[QWidget] = []
        for label, widget in (("Data", self.dataset_box), ("Hidden units", self.hidden),
                              ("Steps", self.steps)):
            editing += [QLabel(label), widget]
        editing += [self.train_button, self.cancel_button]
        for widget in editing:
            row.addWidget(widget)
        row.addWidget(self.progress, 1)
        left = QVBoxLayout()
        self.heading = _heading("tanh(X W₁ + b₁) W₂ + b₂, full batch, cross-entropy", theme)
        left.addWidget(self.heading)
        left.addWidget(self.data_plot, 1)
        scroll = self.scroll = QScrollArea()
        scroll.setWidget(self.panel)
        scroll.setWidgetResizable(True)
        left.addWidget(scroll, 1)
        left.addWidget(self.device_selector)
        self._editing = (*editing, self.progress, scroll, self.device_selector)
        middle = QHBoxLayout()
        middle.addLayout(left, 1)
        middle.addWidget(self.curves, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row)
        layout.addLayout(middle, 1)
        self._show_data(self.dataset_box.currentText())

    def set_presenting(self, presenting: bool) -> None:
        """Presenter mode: hide the training settings, buttons and racer settings (False: back)."""
        for w in self._editing:
            w.setVisible(not presenting)

    def set_theme(self, theme: Theme) -> None:
        """Plots, heading and the racer panel in ``theme`` (any training result is kept)."""
        self.theme = theme
        _size_heading(self.heading, theme)
        self.data_plot.setBackground(theme.background)
        restyle_plot(self.data_plot.getPlotItem(), theme, None)
        self.curves.set_theme(theme)
        panel = RacerPanel(self.panel.racers, _per_line(theme))
        self.scroll.setWidget(panel)
        self.panel = panel

    def dataset(self) -> Dataset:
        """The chosen data set (seeded, 100 points)."""
        return DATASETS[self.dataset_box.currentText()](n=100, seed=0)

    def _show_data(self, _name: str = "") -> None:
        data = self.dataset()
        colours = [series_style(int(c)).color for c in (data.y > 0.5)] if data.classification \
            else [pg.mkColor(pg.colormap.get("cividis").map(float(v), mode="qcolor"))
                  for v in (data.y - data.y.min()) / np.ptp(data.y)]
        self.data_items.setData(data.X[:, 0], data.X[:, 1], brush=colours, pen=pg.mkPen("#FFFFFF"))

    def train(self) -> None:
        """Train with every enabled optimizer in a background job (progress, cancel)."""
        self.cancel()
        jobs = [(i, r.label, r.optimizer, dict(r.hyperparams)) for i, r in self.panel.enabled()]
        data, steps, hidden = self.dataset(), self.steps.value(), self.hidden.value()

        def work(job: Job):
            out = {}
            for k, (_, label, name, hp) in enumerate(jobs):
                out[label] = self.device_selector.run(lambda device: train_mlp(
                    name, hp, data, steps, hidden, should_stop=job.should_stop, device=device))
                job.report(k + 1, len(jobs))
            return jobs, out

        self.progress.setRange(0, len(jobs))
        self.progress.setValue(0)
        self.progress.setFormat("%p%")
        self._set_ready(False)
        self._job = start_job(Job(work, name=f"MLP training on {self.dataset_box.currentText()}"), self)
        self._job.progress.connect(self._progress)
        self._job.finished.connect(self._trained)

    def _progress(self, done: int, _total: int, _text: str = "") -> None:
        self.progress.setValue(done)

    def cancel(self) -> None:
        """Stop a running training (its partial result is dropped)."""
        if self._job is not None:
            self._job.cancel()
            self._job = None
        self._set_ready(True)

    def _trained(self, outcome: Outcome) -> None:
        if outcome.status != "done":
            self._job = None
            self._set_ready(True)
            self.progress.setFormat(f"stopped: {outcome.message}")
            return
        order, result = outcome.result
        self.losses = result
        self.curves.set_curves([Curve(label, result[label], i) for i, label, _, _ in order],
                               log=True, y_label="training loss")
        self.curves.reveal(self.steps.value())
        self._job = None
        self._set_ready(True)

    def _set_ready(self, ready: bool) -> None:
        self.ready = ready
        self.train_button.setEnabled(ready)
        self.cancel_button.setEnabled(not ready)


class OptimizerLab(QWidget):
    """The lab tab: "Race on a surface" and "Train an MLP", with lecture presets."""

    def __init__(self, parent: QWidget | None = None, theme: Theme = LIGHT):
        super().__init__(parent)
        font = self.font()
        font.setPointSize(theme.base_font_pt)
        self.setFont(font)
        self.race = SurfaceRace(theme)
        self.mlp = MlpTraining(theme)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.race, "Race on a surface")
        self.tabs.addTab(self.mlp, "Train an MLP")
        self.preset_box = QComboBox()
        self.preset_box.addItems(self.presets())
        self.preset_box.textActivated.connect(self.load_preset)
        heading, preset_label = _heading("Optimizer lab", theme, 1.3), QLabel("Preset")
        self.heading = heading
        self._header = (heading, preset_label, self.preset_box)
        header = QHBoxLayout()
        header.addWidget(heading)
        header.addStretch(1)
        header.addWidget(preset_label)
        header.addWidget(self.preset_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(header)
        layout.addWidget(self.tabs, 1)
        self.load_preset("all together: Beale")

    def set_presenting(self, presenting: bool) -> None:
        """Presenter mode: only the current tab's picture, no header, tab bar or controls (False: back)."""
        for w in self._header:
            w.setVisible(not presenting)
        self.tabs.tabBar().setVisible(not presenting)
        self.tabs.setDocumentMode(presenting)  # no pane frame around the picture
        self.race.set_presenting(presenting)
        self.mlp.set_presenting(presenting)

    def set_theme(self, theme: Theme) -> None:
        """Light, dark or presenter: fonts, plots and panels follow (what is computed stays)."""
        font = self.font()
        font.setPointSize(theme.base_font_pt)
        self.setFont(font)
        _size_heading(self.heading, theme)
        self.race.set_theme(theme)
        self.mlp.set_theme(theme)

    @staticmethod
    def presets() -> list[str]:
        """Names of the lecture presets, in menu order."""
        return list(PRESETS)

    def load_preset(self, name: str) -> None:
        """Set up a preset (switching to its tab); MLP presets start training."""
        preset = PRESETS[name]
        self.preset_box.setCurrentText(name)
        if preset.dataset is not None:
            self.tabs.setCurrentWidget(self.mlp)
            self.mlp.dataset_box.setCurrentText(preset.dataset)
            self.mlp.steps.setValue(preset.steps)
            self.mlp.train()
        else:
            self.tabs.setCurrentWidget(self.race)
            self.race.apply(preset)

    def shutdown(self) -> None:
        """Cancel the race and the training (whoever closes the app waits for the jobs to end)."""
        self.race.cancel()
        self.mlp.cancel()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """Closing the lab stops its background jobs first."""
        self.shutdown()
        super().closeEvent(event)

    @property
    def ready(self) -> bool:
        """True when no background computation is pending."""
        return self.race.ready and self.mlp.ready
