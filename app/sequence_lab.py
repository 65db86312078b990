"""The sequence lab: a plain RNN, an LSTM and a GRU race on one sequence task.

Left, the gates of the LSTM (or GRU) opening and closing over one example
sequence; right, the gradient reaching each time step for all three models and
their learning curves.  Training runs as a background job (:mod:`viewmodel.jobs`:
the GUI never freezes) with a progress bar and Stop; a NaN pauses training and
says where.  All numbers come from :mod:`engine.sequence_training`; the widgets only draw.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QMenu, QProgressBar, QPushButton,
                               QSpinBox, QSplitter, QVBoxLayout, QWidget)

from engine.sequence_tasks import TASKS, SequenceTask, make_task
from engine.sequence_training import (CELLS, UNROLL_STEPS, SequenceTrainer, StepReport, TrainConfig,
                                      train_side_by_side, unrolled_program)
from viewmodel.device_choice import DeviceChoice
from viewmodel.explorer_state import ExplorerState
from viewmodel.jobs import Job, Outcome
from widgets.device_selector import DeviceSelector
from widgets.gate_heatmaps import GateHeatmaps, axis_label, style_plot
from widgets.gradient_through_time import (MODEL_COLORS, MODEL_NAMES, GradientThroughTime,
                                           legend_label)
from widgets.jobs import JobWatcher, start_job
from widgets.step_controls import StepControls
from widgets.theme import LIGHT, Theme

STOP_WAIT_S = 2.0
"""How long Stop waits for the training job to finish its current round."""
TRACE_EVERY = 10
"""Training rounds between two refreshes of the gate heatmaps."""
SMOOTHING = 0.9
"""Exponential moving average of the learning curves (per-batch scores are noisy)."""


@dataclass(frozen=True)
class Preset:
    """A ready-made lecture scenario: task, sequence length, budget and RNN settings."""

    task: str
    length: int
    steps: int
    rnn_scale: float = 1.0
    rnn_activation: str = "tanh"
    gate_cell: str = "lstm"
    note: str = ""
    """What to look at, added to the task's description."""
    seed: int = 0
    """Seed of every model's first weights and of the training batches (the note holds for it)."""


PRESETS = {
    "Remember the first bit (T = 20)": Preset(
        "first_bit", 20, 150,
        note="Watch the LSTM's and GRU's accuracy leave 50 % while the plain RNN's stays."),
    "Remember the first bit, long (T = 40)": Preset(
        "first_bit", 40, 300, seed=1,
        note="Twice as far back: the RNN's gradient falls twice as many decades, and trained, the LSTM and "
             "GRU learn the task while the plain RNN stays at chance."),
    "Vanishing RNN: W_hh × 0.5": Preset(
        "first_bit", 20, 150, rnn_scale=0.5,
        note="Small recurrent weights: each step back multiplies the RNN's gradient by less than 1."),
    "Exploding RNN: relu, W_hh × 4": Preset(
        "first_bit", 20, 150, 4.0, "relu",
        note="Large weights and no squashing: each step back multiplies the RNN's gradient by more "
             "than 1, so it explodes (gradient clipping keeps training alive)."),
    "Adding problem (T = 30)": Preset("adding", 30, 300),
    "Sine wave: next value (T = 30)": Preset("sine", 30, 200, gate_cell="gru"),
    "Next character of a text (T = 30)": Preset("next_char", 30, 300),
}


class TrainingRun:
    """The training job's work: :func:`train_side_by_side` for ``steps`` rounds, posting as it goes.

    Posts ``("round", rounds, [StepReport])`` after every round and ``("traces", {cell: gates})``
    every TRACE_EVERY rounds (on ``example``, which the lab may swap meanwhile); a NaN ends the
    job as "paused" with the step, model and tensor in its message.  The models train on the
    device ``devices`` chose; if the GPU fails, the remaining rounds run on the CPU.
    """

    def __init__(self, trainers: dict[str, SequenceTrainer], steps: int, example: np.ndarray,
                 devices: DeviceChoice):
        self.trainers, self.steps, self.example, self.devices = trainers, steps, example, devices

    def __call__(self, job: Job) -> int:
        rounds = 0

        def on_round(reports: list[StepReport]) -> None:
            nonlocal rounds
            rounds += 1
            job.post(("round", rounds, reports))
            job.report(rounds, self.steps)
            if rounds % TRACE_EVERY == 0 or rounds == self.steps:
                job.post(("traces", gate_traces(self.trainers, self.example)))

        def train(device: str) -> int:
            for trainer in self.trainers.values():
                trainer.to(device)
            return rounds + train_side_by_side(list(self.trainers.values()), self.steps - rounds,
                                               on_round, job.should_stop)
        return self.devices.run(train)


def gate_traces(trainers: dict[str, SequenceTrainer], example: np.ndarray) -> dict:
    """Gates of every gated model (LSTM, GRU) on one example sequence (T, F)."""
    return {cell: t.gate_trace(example) for cell, t in trainers.items() if cell != "rnn"}


class SequenceLab(QWidget):
    """Train RNN, LSTM and GRU side by side; watch the gates and the gradient through time."""

    time_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None, theme: Theme = LIGHT):
        super().__init__(parent)
        self.config = TrainConfig()
        self.task: SequenceTask = make_task("first_bit", 20)
        self.trainers: dict[str, SequenceTrainer] = {}
        self.curves: dict[str, list[tuple[int, float]]] = {}
        self.latest_traces: dict[str, dict[str, np.ndarray]] = {}
        self.example = np.zeros((1, 1))
        self._example_seed = 0
        self._job: JobWatcher | None = None
        self._run: TrainingRun | None = None
        self._explorer: ExplorerState | None = None
        self._show_explorer: Callable[[], Any] = lambda: None
        self._presenting = False
        self._build_ui()
        self.set_theme(theme)
        self.load_preset(next(iter(PRESETS)))

    # -- UI ----------------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.preset_box = self._combo(15)
        self.preset_box.addItems(list(PRESETS))
        self.preset_box.setToolTip("Ready-made lecture scenarios")
        self.preset_box.textActivated.connect(self.load_preset)
        self.task_box = self._combo(11)
        for name, cls in TASKS.items():
            self.task_box.addItem(cls.title, name)
        self.task_box.activated.connect(lambda _: self._task_edited())
        self.length_box = QSpinBox()
        self.length_box.setRange(5, 100)
        self.length_box.setPrefix("T = ")
        self.length_box.setToolTip("Sequence length: how far back the gradient must travel")
        self.length_box.editingFinished.connect(self._task_edited)
        self.steps_box = QSpinBox()
        self.steps_box.setRange(10, 5000)
        self.steps_box.setSingleStep(50)
        self.steps_box.setSuffix(" steps")
        self.train_button = QPushButton("▶ Train")
        self.train_button.clicked.connect(self.start_training)
        self.cancel_button = QPushButton("■ Stop")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_training)
        self.reset_button = QPushButton("↺ Reset")
        self.reset_button.setToolTip("Start all three models again from their first weights (same seed)")
        self.reset_button.clicked.connect(self.reset_models)
        self.progress = QProgressBar()
        self.progress.setFormat("%v / %m")
        top = QVBoxLayout()
        self._toolbar = (QHBoxLayout(), QHBoxLayout())
        """The toolbar's rows: settings, then the training buttons and progress (on the first row too
        where the theme's font leaves room, see :meth:`_arrange_toolbar`)."""
        for row in self._toolbar:
            top.addLayout(row)
        for w in (self.preset_box, self.task_box, self.length_box, self.steps_box):
            self._toolbar[0].addWidget(w)

        self.description = QLabel()
        self.description.setWordWrap(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.device_selector = DeviceSelector()

        self.gate_cell_box = QComboBox()
        self.gate_cell_box.addItem("LSTM gates", "lstm")
        self.gate_cell_box.addItem("GRU gates", "gru")
        self.gate_cell_box.activated.connect(lambda _: self._show_traces())
        self.example_button = QPushButton("New example")
        self.example_button.setToolTip("Show the gates on another input sequence")
        self.example_button.clicked.connect(self.next_example)
        self.step_controls = StepControls()
        self.heatmaps = GateHeatmaps()
        self.step_controls.step_requested.connect(self._step_time)
        self.step_controls.jump_requested.connect(
            lambda where: self.heatmaps.set_time(0 if where == "start" else self.task.length - 1))
        self.heatmaps.time_changed.connect(self._on_time_changed)
        self.unroll_button = QPushButton("Unroll")
        self.unroll_button.setToolTip(f"Unroll in the graph explorer: the trained network over the example's "
                                      f"first {UNROLL_STEPS} steps, as a graph to step through")
        unroll_menu = QMenu(self.unroll_button)
        for cell in CELLS:
            unroll_menu.addAction(MODEL_NAMES[cell], lambda c=cell: self.show_unrolled(c))
        self.unroll_button.setMenu(unroll_menu)
        gate_bar = QHBoxLayout()
        gate_bar.addWidget(self.gate_cell_box)
        gate_bar.addWidget(self.example_button)
        gate_bar.addStretch(1)
        gate_bar.addWidget(self.unroll_button)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(gate_bar)
        left_layout.addWidget(self.heatmaps, 1)
        left_layout.addWidget(self.step_controls)

        self.gradients = GradientThroughTime()
        self.gradients.rnn_settings_changed.connect(self.set_rnn_settings)
        self.learning = pg.PlotWidget()
        plot = self.learning.getPlotItem()
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.showGrid(x=True, y=True, alpha=0.25)
        self.learning_curves = {cell: plot.plot(pen=pg.mkPen(MODEL_COLORS[cell], width=3))
                                for cell in CELLS}
        learning = self._learning_pane = QWidget()
        learning_layout = QVBoxLayout(learning)
        learning_layout.setContentsMargins(0, 0, 0, 0)
        learning_layout.addWidget(self.learning, 1)
        learning_layout.addWidget(legend_label(
            [(MODEL_NAMES[c], MODEL_COLORS[c], False) for c in CELLS]))
        right = QSplitter(Qt.Vertical)
        right.addWidget(self.gradients)
        right.addWidget(learning)
        right.setSizes([330, 270])

        main = QSplitter(Qt.Horizontal)
        main.addWidget(left)
        main.addWidget(right)
        main.setStretchFactor(0, 6)
        main.setStretchFactor(1, 4)
        main.setSizes([600, 400])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.description)
        layout.addWidget(main, 1)
        layout.addWidget(self.device_selector)
        layout.addWidget(self.status)

    def set_presenting(self, presenting: bool) -> None:
        """Presenter mode: hide the toolbar, pickers, step controls and learning curves (False: back)."""
        for w in (self.preset_box, self.task_box, self.length_box, self.steps_box, self.train_button,
                  self.cancel_button, self.reset_button, self.progress, self.description, self.gate_cell_box,
                  self.example_button, self.unroll_button, self.step_controls, self.heatmaps.readout,
                  self._learning_pane, self.device_selector):  # (no learning curves or devices on a slide)
            w.setVisible(not presenting)
        self._presenting = presenting
        self.progress.setVisible(not presenting or self.is_training)
        self.progress.setFormat("training the models for this scene: %v / %m" if presenting else "%v / %m")
        self.gradients.set_presenting(presenting)

    def set_theme(self, theme: Theme) -> None:
        """Light, dark or presenter: fonts one point above the theme's, colours from it."""
        self.theme = theme
        font = QFont(self.font())
        font.setPointSize(theme.base_font_pt + 1)
        self.setFont(font)
        self.status.setStyleSheet(f"color: {theme.error}; font-weight: bold;")
        self._arrange_toolbar(two_rows=theme.base_font_pt >= 16)
        self.heatmaps.set_theme(theme)
        self.gradients.set_theme(theme)
        self.learning.setBackground(theme.background)
        plot = self.learning.getPlotItem()
        style_plot(plot, theme, theme.base_font_pt)
        axis_label(plot, "bottom", "training step", theme, theme.base_font_pt + 1)
        self._title_learning_plot()

    def _arrange_toolbar(self, two_rows: bool) -> None:
        """Training buttons and progress after the settings, or on a row of their own (large fonts),
        so the toolbar never makes the window wider than a 1024-pixel screen."""
        row = self._toolbar[1 if two_rows else 0]
        for w in (self.train_button, self.cancel_button, self.reset_button, self.progress):
            for layout in self._toolbar:
                layout.removeWidget(w)
            row.addWidget(w, 1 if w is self.progress else 0)

    def _title_learning_plot(self) -> None:
        """Accuracy (0 to 1) for classification tasks, loss for regression."""
        classify = self.task.loss != "mse"
        plot = self.learning.getPlotItem()
        plot.setTitle("accuracy (moving average)" if classify else "loss (moving average)",
                      color=self.theme.text, size=f"{self.theme.base_font_pt + 2}pt")
        if classify:
            plot.setYRange(0.0, 1.05, padding=0)
        else:
            plot.enableAutoRange(y=True)

    @staticmethod
    def _combo(chars: int) -> QComboBox:
        """A combo box about ``chars`` characters wide, so the toolbar fits 1024 pixels."""
        box = QComboBox()
        box.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        box.setMinimumContentsLength(chars)
        return box

    # -- presets and tasks ----------------------------------------------------------------
    def presets(self) -> list[str]:
        """Names of the ready-made scenarios, for menus and lecture scripts."""
        return list(PRESETS)

    def load_preset(self, name: str) -> None:
        """Set task, length, budget and plain-RNN settings from a preset; rebuilds the models."""
        preset = PRESETS[name]
        self.cancel_training()
        self.preset_box.setCurrentText(name)
        self.steps_box.setValue(preset.steps)
        self.gate_cell_box.setCurrentIndex(self.gate_cell_box.findData(preset.gate_cell))
        self.config = replace(self.config, rnn_scale=preset.rnn_scale,
                              rnn_activation=preset.rnn_activation, seed=preset.seed)
        self.gradients.set_rnn_settings(preset.rnn_scale, preset.rnn_activation)
        self._set_task(preset.task, preset.length)
        if preset.note:
            self.description.setText(f"{self.description.text()} <i>{preset.note}</i>")

    def _task_edited(self) -> None:
        """The task box or the length changed: rebuild only if the task really differs."""
        name, length = self.task_box.currentData(), self.length_box.value()
        if (name, length) != (self.task.name, self.task.length):
            self._set_task(name, length)

    def _set_task(self, name: str, length: int) -> None:
        self.cancel_training()
        self.task = make_task(name, length)
        self.task_box.setCurrentIndex(self.task_box.findData(name))
        self.length_box.setValue(length)
        self.description.setText(f"<b>{self.task.title}.</b> {self.task.description}")
        self.gradients.set_readout(self.task.readout)
        self._title_learning_plot()
        self.reset_models()

    def reset_models(self) -> None:
        """Fresh weights for all three models; shows their gradient through time at init."""
        self.cancel_training()
        self.trainers = {cell: SequenceTrainer(self.task, cell, self.config) for cell in CELLS}
        self.curves = {cell: [] for cell in CELLS}
        self._example_seed = 0
        self._new_example()
        for cell in CELLS:
            self._measure_at_rest(cell)
        self._draw_curves()
        self.status.clear()
        self.progress.setRange(0, self.steps_box.value())
        self.progress.setValue(0)

    def set_rnn_settings(self, scale: float, activation: str) -> None:
        """Rebuild only the plain RNN with recurrent weights × ``scale`` and ``activation``."""
        self.cancel_training()
        self.config = replace(self.config, rnn_scale=scale, rnn_activation=activation)
        self.gradients.set_rnn_settings(scale, activation)
        self.trainers["rnn"] = SequenceTrainer(self.task, "rnn", self.config)
        self.curves["rnn"] = []
        self._measure_at_rest("rnn")
        self._draw_curves()

    def _measure_at_rest(self, cell: str) -> None:
        """Gradient through time of one model on a fixed batch, without training it."""
        batch = self.task.batch(self.config.batch_size, np.random.default_rng(self.config.seed + 2))
        report = self.trainers[cell].measure(batch)
        self.gradients.set_norms(cell, report.grad_h, report.grad_c)

    # -- example sequence and time ------------------------------------------------------
    def next_example(self) -> None:
        """Show the gates on another random input sequence."""
        self._example_seed += 1
        self._new_example()

    def _new_example(self) -> None:
        rng = np.random.default_rng(1000 + self._example_seed)
        self.example = self.task.batch(1, rng).inputs[:, 0, :]
        if self._run is not None:
            self._run.example = self.example
        else:
            self.latest_traces = gate_traces(self.trainers, self.example)
            self._show_traces()

    def _show_traces(self) -> None:
        cell = self.gate_cell_box.currentData()
        if cell in self.latest_traces:
            self.heatmaps.set_trace(self.latest_traces[cell], self.task.step_labels(self.example))

    def set_time(self, t: int) -> None:
        """Move the time cursor of the gate view and the gradient plot to step ``t``."""
        self.heatmaps.set_time(t)

    def _step_time(self, delta: int) -> None:
        t = self.heatmaps.time + delta
        if t >= self.task.length:
            self.step_controls.set_playing(False)
        self.heatmaps.set_time(t)

    def _on_time_changed(self, t: int) -> None:
        self.gradients.set_time(t)
        self.step_controls.set_position(f"t = {t} / {self.task.length - 1}")
        self.time_changed.emit(t)

    # -- unrolled graph -------------------------------------------------------------------
    def attach_explorer(self, explorer: ExplorerState, show: Callable[[], Any]) -> None:
        """Unroll networks into this graph explorer (``show`` brings its page to the front); from
        then on the lab's time cursor and the explorer's step follow each other."""
        self._explorer, self._show_explorer = explorer, show
        explorer.events.time_step.connect(self._follow_explorer)
        self.time_changed.connect(self._lead_explorer)

    def show_unrolled(self, cell: str) -> bool:
        """Show the plain RNN, LSTM or GRU unrolled over the example's first steps in the graph
        explorer; False (and a note) when the lab has none (see ``attach_explorer``)."""
        if self._explorer is None:
            self.status.setText("The unrolled graph opens in the graph explorer of the main window.")
            return False
        source, values = unrolled_program(self.trainers[cell], self.example)
        self._explorer.load_source(source, values, unrolled=True)  # the editor shows it too
        self._show_explorer()
        return True

    def _follow_explorer(self, step: int) -> None:
        """The explorer's current node is in unrolled step ``step``: the example at t = step − 1."""
        self.set_time(step - 1)

    def _lead_explorer(self, t: int) -> None:
        """Show the explorer the unrolled cell of time ``t`` (step ``t + 1``, if it was unrolled)."""
        self._explorer.show_time_step(t + 1)

    # -- training ------------------------------------------------------------------------
    @property
    def trained(self) -> bool:
        """True when every model has done the budget's rounds (``steps_box``) since its weights were made."""
        return bool(self.curves) and min(map(len, self.curves.values())) >= self.steps_box.value()

    def gate_spreads(self) -> dict[str, float]:
        """How far each shown gate moves over the example sequence: the largest max − min of one unit."""
        trace = self.latest_traces.get(self.gate_cell_box.currentData(), {})
        return {name: float(np.ptp(np.asarray(v), axis=0).max()) for name, v in trace.items()}

    def scores(self) -> dict[str, float]:
        """Each model's latest smoothed score, higher is better (accuracy, or minus the loss)."""
        sign = 1.0 if self.task.loss != "mse" else -1.0
        return {cell: sign * points[-1][1] for cell, points in self.curves.items() if points}

    @property
    def is_training(self) -> bool:
        """True while the background training job runs."""
        return self._job is not None

    def start_training(self) -> None:
        """Train the three models for the chosen number of steps in a background job."""
        if self.is_training:
            return
        self.status.clear()
        steps = self.steps_box.value()
        self.progress.setRange(0, steps)
        self.progress.setValue(0)
        self._run = TrainingRun(self.trainers, steps, self.example, self.device_selector.choice)
        self._job = start_job(Job(self._run, name="sequence training"), self)
        self._job.posted.connect(self._on_posted)
        self._job.finished.connect(self._on_finished)
        self._set_running(True)

    def cancel_training(self) -> None:
        """Stop training after the current step and show what it did (waits STOP_WAIT_S at most)."""
        if self._job is None:
            return
        job = self._job
        job.cancel(wait=STOP_WAIT_S)  # delivers the rounds done and, once ended, the outcome
        if self._job is job:  # it did not end in time: abandoned (it stops at its next round)
            self._training_ended(refresh=False)

    def shutdown(self) -> None:
        """Cancel training without waiting (whoever closes the app waits for the job to end)."""
        if self._job is not None:
            self._job.cancel()
            self._training_ended(refresh=False)

    def finish_training(self) -> None:
        """Block until the training job has done all its steps, then show the results
        (for scripts and screenshots; the GUI itself never waits)."""
        if self._job is not None:
            self._job.finish()

    def _on_posted(self, items: list) -> None:
        """Apply what the training job reported since the last tick (one redraw per tick)."""
        latest: dict[str, StepReport] = {}
        rounds = None
        for kind, *payload in items:
            if kind == "round":
                rounds, reports = payload
                self._record(reports)
                latest.update((r.cell, r) for r in reports)
            else:
                self.latest_traces = payload[0]
        if rounds is not None:
            self.progress.setValue(rounds)
            for report in latest.values():
                self.gradients.set_norms(report.cell, report.grad_h, report.grad_c)
            self._draw_curves()
            self._show_traces()

    def _on_finished(self, outcome: Outcome) -> None:
        if outcome.status == "paused":
            self._on_paused(outcome.message)
        elif outcome.status == "failed":
            self.status.setText(f"Training stopped: {outcome.message}")
        self._training_ended()

    def _training_ended(self, refresh: bool = True) -> None:
        """The lab is free again; ``refresh`` the gates from the trained models (not while an
        abandoned job may still be finishing its round on them)."""
        self._job = self._run = None
        self._set_running(False)
        if refresh:
            self.latest_traces = gate_traces(self.trainers, self.example)
            self._show_traces()

    def _record(self, reports: list[StepReport]) -> None:
        """Add one round to the smoothed learning curves."""
        for report in reports:
            curve = self.curves[report.cell]
            score = report.accuracy if report.accuracy is not None else report.loss
            previous = curve[-1][1] if curve else score
            curve.append((report.step, SMOOTHING * previous + (1 - SMOOTHING) * score))

    def _on_paused(self, message: str) -> None:
        self.status.setText(f"Paused: {message}. The weights were not updated; lower the learning "
                            "rate or the RNN's weight scale, then train again.")

    def _set_running(self, running: bool) -> None:
        self.train_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        if self._presenting:  # a scene that trains first says so with the progress line, then hides it
            self.progress.setVisible(running)

    def _draw_curves(self) -> None:
        for cell, points in self.curves.items():
            if points:
                steps, scores = zip(*points)
                self.learning_curves[cell].setData(steps, scores)
            else:
                self.learning_curves[cell].setData([], [])

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        self.cancel_training()
        super().closeEvent(event)
