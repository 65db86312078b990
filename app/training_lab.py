"""The training lab: build a network, watch it learn live, look inside it; the lectures' eight
training stories one click each.

Left, the builder (:mod:`widgets.network_builder`); in the middle the decision
boundary under the data and the network diagram (a CNN: its kernels, feature maps
and a clicked cell's products); right, loss and accuracy, per-layer gradient
norms and activation histograms.  All state lives in
:class:`viewmodel.training_lab.TrainingLabState`; training runs as a background
job (``widgets.jobs.start_job``), a frame at most 60 times a second and as
often as the window draws them (training pauses while it draws), and the window
never waits for it.  A NaN pauses and says the network, layer and step.
"""
from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QIcon
from PySide6.QtWidgets import (QComboBox, QFileDialog, QGridLayout, QHBoxLayout, QLabel, QPushButton,
                               QScrollArea, QSpinBox, QSplitter, QStackedWidget, QStyle, QToolButton,
                               QVBoxLayout, QWidget)

from engine.playground import SCENARIOS
from viewmodel.jobs import Job
from viewmodel.training_lab import SPEEDS, Frame, TrainingLabState, shown_images
from widgets.cnn_views import CellExplanationView, FeatureMapsView
from widgets.decision_boundary import DecisionBoundaryView
from widgets.device_selector import DeviceSelector
from widgets.jobs import JobWatcher, start_job
from widgets.network_builder import NetworkBuilder
from widgets.network_diagram import NetworkDiagram
from widgets.step_controls import media_icon
from widgets.theme import LIGHT, Theme
from widgets.training_plots import ActivationHistograms, GradientNorms, MetricCurves

SHORT_NAMES = {"xor-linear": "XOR vs linear", "linear-collapse": "Linear collapse", "zero-init": "Zero init",
               "vanishing": "Vanishing", "exploding": "Exploding", "overfitting": "Overfitting",
               "batch-norm": "Batch norm", "cnn-digits": "CNN digits"}
"""The scenario buttons' labels (the full title is the tooltip)."""


def _compact_combo(chars: int) -> QComboBox:
    """A combo box about ``chars`` characters wide, so the toolbar fits 1024 pixels."""
    box = QComboBox()
    box.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(chars)
    return box


POLL_MS = 10
"""How often the window collects the training job's frames (well under a frame's FRAME_S)."""
CURVES_S = 0.25
"""While training, the curves, gradient norms, histograms and the network diagram redraw at
most every this many seconds (a repaint of each costs about what the boundary's does); the
decision boundary (or the CNN's feature maps) takes every frame."""


class TrainingLab(QWidget):
    """The lab tab; see the module docstring."""

    def __init__(self, parent: QWidget | None = None, theme: Theme = LIGHT):
        super().__init__(parent)
        self.state = TrainingLabState()
        self.state.wait_for_drawing = True
        self._watcher: JobWatcher | None = None
        self._point: tuple[float, ...] | None = None
        self._curves_drawn = 0.0
        self._build_ui()
        events = self.state.events
        events.setup.connect(self._setup_changed)
        events.job.connect(self._watch)
        events.frame.connect(self._draw)
        events.running.connect(self._running_changed)
        events.status.connect(self._show_status)
        self.set_theme(theme)
        self.load_scenario("xor-linear")

    # -- UI ---------------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.scenario_buttons: dict[str, QToolButton] = {}
        scenarios = QGridLayout()
        scenarios.setSpacing(3)
        for k, (sid, scenario) in enumerate(SCENARIOS.items()):
            button = QToolButton()
            button.setText(SHORT_NAMES.get(sid, scenario.title))
            button.setToolTip(f"{scenario.title}: {scenario.claim}")
            button.setCheckable(True)
            button.clicked.connect(lambda _=False, s=sid: self.load_scenario(s))
            self.scenario_buttons[sid] = button
        self._scenario_grid = scenarios
        self._place_scenario_buttons(8)

        self.play_button = QPushButton("▶ Play")
        self.play_button.setToolTip("Train until paused (Space)")
        self.play_button.clicked.connect(self.toggle_play)
        self.step_button = QPushButton("Step")
        self.step_button.setToolTip("Train one batch")
        self.step_button.clicked.connect(self.step_once)
        self.reset_button = QPushButton("↺ Reset")
        self.reset_button.setToolTip("Back to the same initial weights (same seed)")
        self.reset_button.clicked.connect(self.state.reset)
        self.redraw_button = QPushButton("Re-draw")
        self.redraw_button.setToolTip("New random initial weights (the next seed)")
        self.redraw_button.clicked.connect(self.state.redraw)
        self.speed_box = _compact_combo(6)
        self.speed_box.addItems(list(SPEEDS))
        self.speed_box.setCurrentText("normal")
        self.speed_box.setToolTip("Training steps per second while playing")
        self.speed_box.currentTextChanged.connect(lambda name: setattr(self.state, "speed", SPEEDS[name]))
        self.variant_box = _compact_combo(9)
        self.variant_box.setToolTip("Which network the detailed views show (the curves show all)")
        self.variant_box.textActivated.connect(self.state.select)
        self.position = QLabel("step 0")
        controls = QHBoxLayout()
        for w in (self.play_button, self.step_button, self.reset_button, self.redraw_button, self.speed_box,
                  self.variant_box):
            controls.addWidget(w)
        controls.addWidget(self.position, 1)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextSelectableByMouse)

        self.builder = NetworkBuilder()
        self.builder.experiment_changed.connect(self.state.set_experiment)
        self.builder.training_changed.connect(self.state.set_training)
        self.builder.csv_requested.connect(self._ask_csv)
        self._builder_scroll = QScrollArea()
        self._builder_scroll.setWidget(self.builder)
        self._builder_scroll.setWidgetResizable(True)
        self._builder_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self._builder_scroll.setMinimumWidth(240)

        self.boundary = DecisionBoundaryView()
        self.boundary.point_hovered.connect(self._hover_point)
        self.diagram = NetworkDiagram()
        self.diagram.describe_unit = self._describe_unit
        self.diagram.describe_weight = self.state.weight_text
        self.readout = QLabel("Hover a neuron for its formula with the numbers, an edge for its weight.")
        self.readout.setWordWrap(True)
        self.diagram.described.connect(lambda text: text and self.readout.setText(text))
        dense = QSplitter(Qt.Vertical)
        dense.addWidget(self.boundary)
        diagram_pane = QWidget()
        diagram_layout = QVBoxLayout(diagram_pane)
        diagram_layout.setContentsMargins(0, 0, 0, 0)
        diagram_layout.addWidget(self.diagram, 1)
        diagram_layout.addWidget(self.readout)
        dense.addWidget(diagram_pane)
        dense.setSizes([330, 300])

        self.maps = FeatureMapsView()
        self.maps.cell_clicked.connect(self.explain)
        self.explanation = CellExplanationView()
        self.explanation_text = QLabel("Click a feature-map cell: the products that made it appear here.")
        self.explanation_text.setWordWrap(True)
        self.image_box = QSpinBox()
        self.image_box.setRange(0, 0)
        self.image_box.setPrefix("test image #")
        self.image_box.valueChanged.connect(self.state.set_image)
        conv = QWidget()
        conv_layout = QVBoxLayout(conv)
        conv_layout.setContentsMargins(0, 0, 0, 0)
        conv_layout.addWidget(self.image_box)
        conv_layout.addWidget(self.maps, 3)
        conv_layout.addWidget(self.explanation, 1)
        conv_layout.addWidget(self.explanation_text)
        self.center = QStackedWidget()
        self.center.addWidget(dense)
        self.center.addWidget(conv)
        self._dense_pane, self._conv_pane = dense, conv

        self.curves = MetricCurves()
        self.gradients = GradientNorms()
        self.histograms = ActivationHistograms()
        right = QSplitter(Qt.Vertical)
        for w in (self.curves, self.gradients, self.histograms):
            right.addWidget(w)

        main = QSplitter(Qt.Horizontal)
        main.addWidget(self._builder_scroll)
        main.addWidget(self.center)
        main.addWidget(right)
        main.setStretchFactor(1, 5)
        main.setStretchFactor(2, 4)
        main.setSizes([260, 420, 340])
        self.splitter = main
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(scenarios)
        layout.addLayout(controls)
        layout.addWidget(main, 1)
        self.device_selector = DeviceSelector(self.state.devices)
        layout.addWidget(self.device_selector)
        layout.addWidget(self.status)
        self._editing = (*self.scenario_buttons.values(), self.play_button, self.step_button, self.reset_button,
                         self.redraw_button, self.speed_box, self.variant_box, self._builder_scroll, self.readout,
                         self.image_box, self.device_selector)

    def _place_scenario_buttons(self, per_row: int) -> None:
        for k, button in enumerate(self.scenario_buttons.values()):
            self._scenario_grid.removeWidget(button)
            self._scenario_grid.addWidget(button, k // per_row, k % per_row)

    def set_presenting(self, presenting: bool) -> None:
        """Presenter mode: only the pictures and the status line (False: the controls come back)."""
        for w in self._editing:
            w.setVisible(not presenting)

    def set_theme(self, theme: Theme) -> None:
        """Colours and fonts of every view from ``theme`` (readable at 1024x768 in each)."""
        self.theme = theme
        font = QFont(self.font())
        font.setPointSize(theme.base_font_pt)
        self.setFont(font)
        self._place_scenario_buttons(4 if theme.base_font_pt >= 16 else 8)
        for view in (self.boundary, self.diagram, self.maps, self.explanation, self.curves, self.gradients,
                     self.histograms):
            view.set_theme(theme)
        self._show_status(self.status.text(), getattr(self, "_status_kind", "info"))
        if self.state.frame is not None:
            self._draw(self.state.frame)

    # -- scenarios and data -------------------------------------------------------------------------
    def load_scenario(self, scenario_id: str) -> None:
        """Open a built-in scenario at its initial weights (press Play to watch it)."""
        self.state.load_scenario(scenario_id)
        for sid, button in self.scenario_buttons.items():
            button.setChecked(sid == scenario_id)

    def load_csv(self, path: str) -> bool:
        """Train on your own 2-D data; a malformed file is refused with its line and the reason."""
        return self.state.load_csv(path)

    def _ask_csv(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open 2-D data", "", "CSV files (*.csv *.txt);;All files (*)")
        if path:
            self.load_csv(path)

    def _setup_changed(self) -> None:
        self.builder.set_experiment(self.state.experiment)
        self.variant_box.blockSignals(True)
        self.variant_box.clear()
        self.variant_box.addItems(list(self.state.trainers))
        self.variant_box.setCurrentText(self.state.selected)
        self.variant_box.blockSignals(False)
        self.variant_box.setVisible(len(self.state.trainers) > 1 and self.play_button.isVisibleTo(self))
        trainer = self.state.trainer
        self.center.setCurrentWidget(self._conv_pane if trainer.image_shape is not None else self._dense_pane)
        self.image_box.blockSignals(True)
        self.image_box.setRange(0, max(len(shown_images(trainer)) - 1, 0))
        self.image_box.setValue(self.state.image_index)
        self.image_box.blockSignals(False)
        self._point = None
        if self.state.scenario is None:
            for button in self.scenario_buttons.values():
                button.setChecked(False)

    # -- training -------------------------------------------------------------------------------------
    def toggle_play(self) -> None:
        """Play, or pause when playing."""
        if self.state.running:
            self.state.pause()
        else:
            self.state.play()

    def step_once(self) -> None:
        """One batch for every network."""
        self.state.step_once()

    def _watch(self, job: Job) -> None:
        """Start a job the state made and deliver its news on the GUI thread, a frame per tick."""
        watcher = start_job(job, self, interval_ms=POLL_MS)
        watcher.posted.connect(lambda items: self._received(job, items))
        watcher.finished.connect(lambda outcome: self.state.finished(job, outcome))
        self._watcher = watcher

    def _received(self, job: Job, items: list) -> None:
        """Draw and paint the job's latest frame (training waits from here), then let it train on."""
        self.state.receive(job, items)
        self.state.frame_drawn()

    def _running_changed(self, running: bool) -> None:
        self.play_button.setText("Pause" if running else "▶ Play")
        self.play_button.setIcon(media_icon(self.play_button, QStyle.SP_MediaPause) if running else QIcon())
        self.step_button.setEnabled(not running)
        if not running and self._watcher is not None:
            self._watcher.cancel()  # (already ended, or abandoned to stop at its next batch)
            self._watcher = None

    def finish_training(self, timeout: float = 60.0) -> None:
        """Block until the running job has ended and its news is shown (scripts, tests, export)."""
        if self._watcher is not None:
            self._watcher.finish(timeout)

    @property
    def ready(self) -> bool:
        """True when nothing trains in the background."""
        return not self.state.running

    def shutdown(self) -> None:
        """Cancel training (whoever closes the app waits for the job to end)."""
        self.state.shutdown()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """Closing the lab stops its training first."""
        self.shutdown()
        super().closeEvent(event)

    # -- drawing ----------------------------------------------------------------------------------------
    def _draw(self, frame: Frame) -> None:
        """One frame: the boundary (or the CNN's maps) always, the diagram and the plots over
        time at most every CURVES_S while training."""
        now = time.monotonic()
        everything = not self.state.running or now - self._curves_drawn >= CURVES_S
        if everything:
            self._curves_drawn = now
        views = self.draw_frame(frame, everything)
        if self.state.running:
            for view in views:  # now, while training waits: a paint sharing the GIL with it crawls
                view.repaint()

    def draw_frame(self, frame: Frame, everything: bool = True) -> list[QWidget]:
        """Hand ``frame`` to the boundary (or the CNN's maps), and with ``everything`` to the
        diagram and the plots over time too; returns the views it changed (they repaint when
        the event loop next runs)."""
        views: list[QWidget] = [self.maps if frame.conv else self.boundary]
        if everything:
            views += [self.curves, self.gradients, self.histograms] + ([] if frame.conv else [self.diagram])
        for view in views:
            view.draw(frame)
        target = self.state.target
        self.position.setText(f"step {frame.round}" + (f" / {target}" if target else ""))
        return views + [self.position]

    def _show_status(self, text: str, kind: str) -> None:
        self._status_kind = kind
        colour = {"info": self.theme.text, "done": self.theme.tangent}.get(kind, self.theme.error)
        self.status.setStyleSheet(f"color: {colour}; font-size: {self.theme.base_font_pt}pt;"
                                  + (" font-weight: bold;" if kind != "info" else ""))
        self.status.setText(text)

    def _hover_point(self, x: float, y: float) -> None:
        self._point = (x,) if self.state.trainer.train_data.X.shape[1] == 1 else (x, y)

    def _describe_unit(self, layer: int, unit: int) -> str:
        point = self._point or tuple(self.state.trainer.train_data.X[0])
        try:
            return self.state.formula(layer, unit, point)
        except ValueError as error:
            return str(error)

    def explain(self, stage: int, channel: int, row: int, col: int) -> None:
        """Show how one feature-map cell of the chosen image was computed."""
        explanation = self.state.explain(stage, channel, row, col)
        self.explanation.draw(explanation)
        self.explanation_text.setText(f"{explanation.name}, channel {channel + 1}, cell ({row}, {col}): "
                                      f"{explanation.text}")
