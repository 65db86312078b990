"""The generative lab: an encoder-decoder with attention, a GAN on 2-D points and an RBM/DBN.

Three sub-views, one per model, each a :class:`ModelPanel`: settings, Train/Stop/Reset and
the model's view.  The state lives in :mod:`viewmodel.generative_lab` (seeded trainers,
curves, snapshots); training runs as a background job (``widgets.jobs.start_job``), so
the window never blocks, and closing cancels it (``shutdown``).  Scenarios (the engine's
seeded presets, :mod:`engine.generative.scenarios`) are what lessons open: the lab trains
the scenario's steps and a scene steps through its CHECKPOINTS + 1 snapshots.
"""
from __future__ import annotations

from typing import Any, Callable

from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QCheckBox, QComboBox, QHBoxLayout, QLabel, QLineEdit, QProgressBar,
                               QPushButton, QSpinBox, QTabWidget, QVBoxLayout, QWidget)

from engine.generative import scenarios
from engine.generative.gan import GENERATOR_LOSSES
from engine.generative.gan_targets import TARGETS
from engine.generative.rbm_data import DATASETS
from engine.generative.seq2seq import ATTENTIONS, CELLS
from engine.generative.seq2seq_tasks import TASKS
from viewmodel.explorer_state import ExplorerState
from viewmodel.generative_lab import (CHECKPOINTS, GANLab, ModelLab, RBMLab, Seq2SeqLab, attention_label,
                                      lab_for)
from viewmodel.jobs import Outcome
from widgets.device_selector import DeviceSelector
from widgets.gan_view import GANView
from widgets.jobs import JobWatcher, start_job
from widgets.rbm_view import RBMView
from widgets.seq2seq_view import Seq2SeqView
from widgets.step_controls import StepControls
from widgets.theme import LIGHT, Theme

STOP_WAIT_S = 2.0
"""How long Stop waits for the training job to finish its current step."""
TARGET_TITLES = {"ring": "ring of 8 Gaussians", "moons": "two moons", "line": "a line",
                 "points": "my points (click the map)"}
LOSS_TITLES = {"non_saturating": "non-saturating −log D(G(z))", "minimax": "minimax log(1 − D(G(z)))"}
DATA_TITLES = {"bars_and_stripes": "bars and stripes 4×4", "digits": "digits 8×8, binarised"}


def combo(items: list[tuple[str, Any]], tip: str, slot: Callable[[Any], None], chars: int = 12) -> QComboBox:
    """A combo box of (title, data) items calling ``slot(data)`` when the user picks one; about
    ``chars`` characters wide, so the rows fit 1024 pixels in every theme."""
    box = QComboBox()
    box.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(chars)
    for title, data in items:
        box.addItem(title, data)
    box.setToolTip(tip)
    box.activated.connect(lambda _: slot(box.currentData()))
    return box


def select(box: QComboBox, data: Any) -> None:
    """Show ``data``'s item without emitting ``activated``."""
    index = box.findData(data)
    if index >= 0:
        box.setCurrentIndex(index)


class ModelPanel(QWidget):
    """One model's sub-view: a settings row, a training row, the view and a status line."""

    title = ""
    default_steps = 200

    def __init__(self, lab: ModelLab, view: QWidget, theme: Theme):
        super().__init__()
        self.lab, self.view, self.theme = lab, view, theme
        self.presenting = False
        self.position: int | None = None
        """The snapshot a scene shows (None: the latest picture, live while training)."""
        self._job: JobWatcher | None = None
        self.settings = QHBoxLayout()
        self.scenario_box = combo([("Scenario…", None)] + [
            (s.title, s.id) for s in scenarios.SCENARIOS.values() if s.model in lab.models()],
            "Ready-made, seeded lecture scenarios", self._pick_scenario)
        self.steps_box = QSpinBox()
        self.steps_box.setRange(1, 20000)
        self.steps_box.setSingleStep(100)
        self.steps_box.setSuffix(" steps")
        self.steps_box.setValue(self.default_steps)
        self.train_button = QPushButton("▶ Train")
        self.train_button.clicked.connect(lambda: self.start_training())
        self.stop_button = QPushButton("■ Stop")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.cancel_training)
        self.reset_button = QPushButton("↺ Reset")
        self.reset_button.setToolTip("Start again from the first weights (same seed, same run)")
        self.reset_button.clicked.connect(self.reset)
        self.progress = QProgressBar()
        self.progress.setFormat("%v / %m")
        self.progress.setMinimumWidth(60)
        self.training = QHBoxLayout()
        for w in (self.scenario_box, self.steps_box, self.train_button, self.stop_button, self.reset_button):
            self.training.addWidget(w)
        self.training.addWidget(self.progress, 1)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.device_selector = DeviceSelector(lab.devices)
        self.chrome: list[QWidget] = [self.scenario_box, self.steps_box, self.train_button,
                                      self.stop_button, self.reset_button, self.progress, self.device_selector]
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self.settings)
        layout.addLayout(self.training)
        layout.addWidget(view, 1)
        layout.addWidget(self.device_selector)
        layout.addWidget(self.status)
        lab.events.picture.connect(self._on_picture)
        lab.events.curves.connect(self._on_curves)
        lab.events.status.connect(self.status.setText)
        lab.events.model.connect(self._on_model)

    def add_setting(self, widget: QWidget) -> QWidget:
        self.settings.addWidget(widget)
        self.chrome.append(widget)
        return widget

    # -- showing -----------------------------------------------------------------------------
    def _on_picture(self, picture: Any) -> None:
        if self.position is not None:
            self.show_snapshot(self.position)
        else:
            self.view.show_picture(picture)

    def _on_curves(self, curves: dict) -> None:
        if self.position is None:
            self.view.set_curves(curves)

    def _on_model(self) -> None:
        self.progress.setValue(0)

    def show_snapshot(self, position: int) -> None:
        """Show snapshot ``position`` (the latest taken if it is not there yet) with the curves up to it."""
        self.position = position
        snap = self.lab.snapshot(position)
        if snap is None:
            self.view.show_picture(None)
            return
        self.view.show_picture(snap.picture)
        self.view.set_curves(self.lab.curves, snap.step)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.view.set_theme(theme)
        self.status.setStyleSheet(f"color: {theme.text};")

    def set_presenting(self, presenting: bool) -> None:
        """Hide the settings and training rows (True) or show them again."""
        self.presenting = presenting
        for w in self.chrome + [self.status]:  # (the presenter shows the scene's caption)
            w.setVisible(not presenting)

    # -- scenarios and settings ------------------------------------------------------------
    def _pick_scenario(self, scenario_id: str | None) -> None:
        if scenario_id is not None:
            self.load_scenario(scenario_id)

    def load_scenario(self, scenario_id: str) -> None:
        """The scenario's settings and fresh seeded models; Train runs its number of steps."""
        self.cancel_training()
        self.position = None
        scenario = self.lab.load_scenario(scenario_id)
        self.steps_box.setValue(scenario.steps)
        select(self.scenario_box, scenario_id)
        self.sync_settings()

    def sync_settings(self) -> None:
        """Show the lab's settings in the settings row (without emitting)."""

    def change(self, **changes: Any) -> None:
        """A setting changed by hand: stop, apply, start again from fresh models."""
        self.cancel_training()
        self.position = None
        try:
            self.lab.configure(**changes)
        except (ValueError, KeyError) as exc:
            self.lab.set_status(f"Not a valid setting: {exc.args[0] if exc.args else exc}")
        select(self.scenario_box, None)
        self.sync_settings()

    def reset(self) -> None:
        self.cancel_training()
        self.position = None
        self.lab.reset()

    # -- training --------------------------------------------------------------------------
    @property
    def is_training(self) -> bool:
        return self._job is not None

    def start_training(self, steps: int | None = None, action: str = "round",
                       keep_position: bool = False) -> bool:
        """Train ``steps`` (default: the steps box) in a background job; False if it cannot start."""
        if self.is_training:
            return False
        try:
            job = self.lab.training_job(steps or self.steps_box.value(), action)
        except (ValueError, RuntimeError) as exc:
            self.lab.set_status(str(exc))
            return False
        if not keep_position:
            self.position = None
        self.progress.setRange(0, steps or self.steps_box.value())
        self.progress.setValue(0)
        self._job = start_job(job, self)
        self._job.progress.connect(lambda done, total, _: self.progress.setValue(done))
        self._job.posted.connect(self.lab.apply)
        self._job.finished.connect(self._on_finished)
        self._set_running(True)
        return True

    def cancel_training(self) -> None:
        """Stop after the current step and show what was trained (waits STOP_WAIT_S at most)."""
        if self._job is None:
            return
        job = self._job
        job.cancel(wait=STOP_WAIT_S)
        if self._job is job:  # did not end in time: abandoned, it stops at its next step
            self._ended(refresh=False)

    def shutdown(self) -> None:
        """Cancel without waiting (whoever closes the app waits for the job)."""
        if self._job is not None:
            self._job.cancel()
            self._ended(refresh=False)

    def finish_training(self) -> None:
        """Block until the job is done (scripts, screenshots and tests; the GUI never waits)."""
        if self._job is not None:
            self._job.finish()

    def _on_finished(self, outcome: Outcome) -> None:
        if outcome.status == "paused":
            self.lab.set_status(f"Paused: {outcome.message}. The weights were not updated; lower a "
                                "learning rate and train again.")
        elif outcome.status == "failed":
            self.lab.set_status(f"Training stopped: {outcome.message}")
        self._ended()

    def _ended(self, refresh: bool = True) -> None:
        self._job = None
        self._set_running(False)
        if refresh:
            self.lab.training_ended()
        else:
            self.lab.busy = False  # the abandoned job stops at its next check; nothing redraws meanwhile

    def _set_running(self, running: bool) -> None:
        self.train_button.setEnabled(not running)
        self.stop_button.setEnabled(running)


class Seq2SeqPanel(ModelPanel):
    """Encoder-decoder: task, GRU/LSTM, attention, teacher forcing, with/without attention curves."""

    title = "Seq2seq"
    default_steps = 300

    def __init__(self, theme: Theme):
        super().__init__(Seq2SeqLab(), Seq2SeqView(theme=theme), theme)
        lab: Seq2SeqLab = self.lab
        self.task_box = self.add_setting(combo([(cls.title, name) for name, cls in TASKS.items()],
                                               "The toy task", lambda v: self.change(task=v, length=None), 10))
        self.cell_box = self.add_setting(combo([(c.upper(), c) for c in CELLS], "Encoder and decoder cell",
                                               lambda v: self.change(cell=v), 4))
        self.attention_box = self.add_setting(combo(
            [(attention_label(a), a) for a in ATTENTIONS],
            "Score of attention a_tj: none, h_(t−1)·h_j, vᵀ tanh(W h_(t−1) + U h_j), or location-aware: "
            "h_(t−1)·h_j plus a learnt shift of the previous weights a_(t−1)",
            lambda v: self.change(attention=v), 10))
        self.forcing = self.add_setting(QCheckBox("teacher forcing"))
        self.forcing.setToolTip("Feed the true previous token while training (off: the model's own guess)")
        self.forcing.toggled.connect(lambda on: self.change(teacher_forcing=1.0 if on else 0.0))
        self.compare = self.add_setting(QCheckBox("compare"))
        self.compare.setToolTip("Train the same model with/without attention alongside, for the loss curves")
        self.compare.toggled.connect(self._compare)
        self.settings.addStretch(1)
        self.steps = StepControls()
        self.steps.step_requested.connect(lambda d: self._step_output(self.view.output_step + d))
        self.steps.jump_requested.connect(lambda w: self._step_output(0 if w == "start" else 10 ** 6))
        below = QHBoxLayout()
        below.addWidget(self.steps, 1)
        self.below = below
        self.example_edit = self._below(QLineEdit())
        self.example_edit.setPlaceholderText("input x")
        self.example_edit.setMaximumWidth(160)
        self.example_edit.setMinimumWidth(90)
        self.example_edit.setToolTip("Type an input and press Enter to decode it")
        self.example_edit.returnPressed.connect(lambda: lab.set_example(self.example_edit.text()))
        self.next_button = self._below(QPushButton("New x"))
        self.next_button.setToolTip("Another seeded input")
        self.next_button.clicked.connect(lab.next_example)
        self.unroll_button = self._below(QPushButton("Unroll"))
        self.unroll_button.setToolTip("Open this input in the graph explorer: encoder and decoder unrolled, "
                                      "cells collapsed, to step backward through time across the summary s")
        self.unroll_button.clicked.connect(self.show_unrolled)
        self.chrome.append(self.steps)
        self.layout().insertLayout(3, below)
        self._explorer: ExplorerState | None = None
        self._show_explorer: Callable[[], Any] = lambda: None
        lab.events.picture.connect(self._picture_changed)
        self.sync_settings()
        self.view.show_picture(lab.picture)
        self._picture_changed(lab.picture)

    def _below(self, widget: QWidget) -> QWidget:
        """A control in the row under the view, beside the decoder's step controls."""
        self.below.addWidget(widget)
        self.chrome.append(widget)
        return widget

    def sync_settings(self) -> None:
        lab: Seq2SeqLab = self.lab
        select(self.task_box, lab.config.task)
        select(self.cell_box, lab.config.cell)
        select(self.attention_box, lab.config.attention)
        for box, on in ((self.forcing, lab.config.teacher_forcing > 0), (self.compare, lab.compare)):
            box.blockSignals(True)
            box.setChecked(on)
            box.blockSignals(False)

    def _compare(self, on: bool) -> None:
        self.cancel_training()
        self.lab.set_compare(on)

    def _picture_changed(self, picture) -> None:
        if picture is not None:
            self.example_edit.setText(picture.decoding.source)
            self._step_output(self.view.output_step)

    def _step_output(self, t: int) -> None:
        self.view.set_output_step(t)
        n = self.view.output_steps()
        if self.view.output_step >= n - 1:
            self.steps.set_playing(False)
        self.steps.set_position(f"output step t = {self.view.output_step + 1} / {n}")

    def attach_explorer(self, explorer: ExplorerState, show: Callable[[], Any]) -> None:
        """Unroll into this graph explorer (``show`` brings its page to the front)."""
        self._explorer, self._show_explorer = explorer, show

    def show_unrolled(self) -> bool:
        """The current input unrolled through encoder and decoder, in the graph explorer."""
        if self._explorer is None:
            self.lab.set_status("The unrolled graph opens in the graph explorer of the main window.")
            return False
        if self.is_training:
            self.lab.set_status("Stop training first: the unrolled graph copies the weights as they are.")
            return False
        lab: Seq2SeqLab = self.lab
        unrolled = lab.trainers[0].unrolled(lab.example)
        self._explorer.show_network(unrolled.loss, unrolled.groups,
                                    f"Encoder-decoder on {lab.example!r}",
                                    "The loss L of one example; cells are collapsed (double-click to open). "
                                    "Backward runs from L through the decoder, across s = the encoder's "
                                    "last state, back through the encoder.")
        self._show_explorer()
        return True


class GANPanel(ModelPanel):
    """GAN: targets (user-drawn too), step D / step G / both, generator loss, the collapse scenario."""

    title = "GAN"
    default_steps = 1200

    def __init__(self, theme: Theme):
        super().__init__(GANLab(), GANView(theme=theme), theme)
        lab: GANLab = self.lab
        self.target_box = self.add_setting(combo([(TARGET_TITLES[t], t) for t in TARGETS],
                                                 "What the generator must imitate",
                                                 lambda v: self.change(target=v), 10))
        self.loss_box = self.add_setting(combo([(LOSS_TITLES[l], l) for l in GENERATOR_LOSSES],
                                               "The generator's loss L_G", lambda v: self.change(generator_loss=v), 11))
        for text, action, tip in (("D step", "d", "One discriminator update"),
                                  ("G step", "g", "One generator update"),
                                  ("D+G", "round", "One round: D, then G")):
            button = self.add_setting(QPushButton(text))
            button.setToolTip(tip)
            button.clicked.connect(lambda _=False, a=action: self.start_training(1, a))
        self.clear_button = self.add_setting(QPushButton("Clear"))
        self.clear_button.setToolTip("Forget the points drawn by clicking on the map")
        self.clear_button.clicked.connect(self._clear)
        self.collapse_button = self.add_setting(QPushButton("Collapse!"))
        self.collapse_button.setToolTip(scenarios.get("gan-collapse").caption)
        self.collapse_button.clicked.connect(self.play_collapse)
        self.settings.addStretch(1)
        self.view.point_clicked.connect(self._clicked)
        self.sync_settings()
        self.view.show_picture(lab.picture)

    def sync_settings(self) -> None:
        lab: GANLab = self.lab
        select(self.target_box, lab.target)
        select(self.loss_box, lab.config.generator_loss)
        if not lab.trainers:
            lab.set_status(lab.empty_message())

    def _clicked(self, x: float, y: float) -> None:
        if self.presenting:
            return  # presenting a scene: the map is a picture
        self.cancel_training()
        self.position = None
        self.lab.add_point(x, y)
        select(self.scenario_box, None)
        self.sync_settings()
        self.lab.set_status(f"{len(self.lab.points)} points drawn: train to make G imitate them.")

    def _clear(self) -> None:
        self.cancel_training()
        self.lab.clear_points()
        self.sync_settings()

    def play_collapse(self) -> None:
        """One click: the mode-collapse scenario, trained at once."""
        self.load_scenario("gan-collapse")
        self.start_training()


class RBMPanel(ModelPanel):
    """RBM / DBN: data, CD-k or PCD, a greedy DBN, and the Gibbs chain animated."""

    title = "RBM / DBN"
    default_steps = 1000

    def __init__(self, theme: Theme):
        super().__init__(RBMLab(), RBMView(theme=theme), theme)
        self.data_box = self.add_setting(combo([(DATA_TITLES[d], d) for d in DATASETS], "Binary images",
                                               lambda v: self.change(data=v, n_hidden=32 if v == "digits" else 16)))
        self.k_box = self.add_setting(QSpinBox())
        self.k_box.setRange(1, 25)
        self.k_box.setPrefix("CD-k: k = ")
        self.k_box.setToolTip("Gibbs steps per negative sample")
        self.k_box.editingFinished.connect(self._k_edited)
        self.pcd = self.add_setting(QCheckBox("persistent (PCD)"))
        self.pcd.toggled.connect(lambda on: self.change(persistent=on))
        self.dbn = self.add_setting(QCheckBox("DBN 16-12"))
        self.dbn.setToolTip("A deep belief net: two RBMs (16 and 12 hidden units) trained greedily, layer by layer")
        self.dbn.toggled.connect(lambda on: self.change(dbn=on))
        self.settings.addStretch(1)
        self.gibbs = StepControls()
        self.gibbs.step_requested.connect(lambda d: self._gibbs(self.view.gibbs_step + d))
        self.gibbs.jump_requested.connect(lambda w: self._gibbs(0 if w == "start" else 10 ** 6))
        self.chrome.append(self.gibbs)
        self.layout().insertWidget(3, self.gibbs)
        lab = self.lab
        lab.events.picture.connect(lambda _: self._gibbs(self.view.gibbs_step))
        self.sync_settings()
        self.view.show_picture(lab.picture)
        self._gibbs(self.view.gibbs_step)

    def sync_settings(self) -> None:
        lab: RBMLab = self.lab
        select(self.data_box, lab.config.data)
        self.k_box.setValue(lab.config.k)
        for box, on in ((self.pcd, lab.config.persistent), (self.dbn, lab.dbn is not None)):
            box.blockSignals(True)
            box.setChecked(on)
            box.blockSignals(False)

    def _k_edited(self) -> None:
        if self.k_box.value() != self.lab.config.k:
            self.change(k=self.k_box.value())

    def _gibbs(self, k: int) -> None:
        self.view.set_gibbs_step(k)
        n = self.view.gibbs_steps()
        if self.view.gibbs_step >= n - 1:
            self.gibbs.set_playing(False)
        self.gibbs.set_position(f"Gibbs step k = {self.view.gibbs_step} / {max(n - 1, 0)}")


class GenerativeLab(QWidget):
    """The tab: a sub-view per model, and the scenario a lesson's scene names."""

    def __init__(self, parent: QWidget | None = None, theme: Theme = LIGHT):
        super().__init__(parent)
        self.panels: dict[str, ModelPanel] = {"seq2seq": Seq2SeqPanel(theme), "gan": GANPanel(theme),
                                              "rbm": RBMPanel(theme)}
        self.tabs = QTabWidget()
        for panel in self.panels.values():
            self.tabs.addTab(panel, panel.title)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        self.set_theme(theme)

    def panel(self, model: str) -> ModelPanel:
        """The sub-view of "seq2seq", "gan" or "rbm", brought to the front."""
        panel = self.panels[model]
        self.tabs.setCurrentWidget(panel)
        return panel

    @property
    def current(self) -> ModelPanel:
        return self.tabs.currentWidget()

    @property
    def is_training(self) -> bool:
        return any(p.is_training for p in self.panels.values())

    def show_scenario(self, scenario_id: str) -> ModelPanel:
        """Bring the scenario's sub-view up and train it (KeyError for an unknown id); the same
        scenario already trained or training stays as it is."""
        panel = self.panel(lab_for(scenario_id))
        lab = panel.lab
        planned = scenarios.get(scenario_id).steps
        if lab.scenario == scenario_id and (panel.is_training or lab.steps_done == planned):
            return panel
        panel.load_scenario(scenario_id)
        panel.start_training(planned, keep_position=True)
        return panel

    def positions(self) -> int:
        """A scene's positions: the snapshots after 0, 1/10, ..., all of the steps."""
        return CHECKPOINTS + 1

    def attach_explorer(self, explorer: ExplorerState, show: Callable[[], Any]) -> None:
        self.panels["seq2seq"].attach_explorer(explorer, show)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        font = QFont(self.font())
        font.setPointSize(theme.base_font_pt)
        self.setFont(font)
        for panel in self.panels.values():
            panel.set_theme(theme)

    def set_presenting(self, presenting: bool) -> None:
        """Presenter mode: only the pictures (and the sub-view tabs' bar hidden too)."""
        self.tabs.tabBar().setVisible(not presenting)
        for panel in self.panels.values():
            panel.set_presenting(presenting)

    def shutdown(self) -> None:
        for panel in self.panels.values():
            panel.shutdown()

    def finish_training(self) -> None:
        for panel in self.panels.values():
            panel.finish_training()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        for panel in self.panels.values():
            panel.cancel_training()
        super().closeEvent(event)

