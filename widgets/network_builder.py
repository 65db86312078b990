"""The training lab's network builder: data, layers, initialization, regularization, optimizer.

A form over one :class:`~engine.playground.Experiment`: ``set_experiment`` fills it,
``experiment()`` reads it back.  Editing the data or the network emits
``experiment_changed`` (the lab rebuilds the network at step 0); editing the
optimizer, its hyperparameters, the batch size or L1/L2 emits
``training_changed`` (the lab keeps the weights).  Any number of layers and
units: "+ layer" adds one, each row has its width and its activation.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QAbstractSpinBox, QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox,
                               QHBoxLayout, QLineEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from engine.optim import OPTIMIZERS
from engine.playground import ACTIVATION_NAMES, INIT_SCHEMES, ConvSpec, DenseSpec, Experiment, TrainSpec
from viewmodel.training_lab import DATA_NAMES, data_spec, hyperparameters

MAX_WIDTH = 4096
"""The widest layer the spin box takes (no small cap: the engine takes any width)."""


def _number(value: float, low: float, high: float, decimals: int = 4) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setDecimals(decimals)
    box.setRange(low, high)
    box.setStepType(QAbstractSpinBox.AdaptiveDecimalStepType)
    box.setKeyboardTracking(False)
    box.setValue(value)
    return box


def _whole(value: int, low: int, high: int) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setKeyboardTracking(False)
    box.setValue(value)
    return box


def parse_convs(text: str) -> tuple[tuple[int, int], ...]:
    """"8x3, 16x5" → ((8, 3), (16, 5)): channels × kernel size per convolution; ValueError if not."""
    out = []
    for part in filter(None, (p.strip() for p in text.replace("×", "x").split(","))):
        channels, _, size = part.partition("x")
        try:
            out.append((int(channels), int(size or 3)))
        except ValueError:
            raise ValueError(f"{part!r} is not 'channels x kernel size', e.g. 8x3") from None
    if not out:
        raise ValueError("a CNN needs at least one convolution, e.g. 8x3")
    return tuple(out)


class LayerRow(QWidget):
    """One hidden layer: its width and its activation."""

    def __init__(self, width: int, activation: str, on_change):
        super().__init__()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.width_box = _whole(width, 1, MAX_WIDTH)
        self.width_box.setToolTip("units in this layer")
        self.activation = QComboBox()
        self.activation.addItems(list(ACTIVATION_NAMES))
        self.activation.setCurrentText(activation)
        row.addWidget(self.width_box)
        row.addWidget(self.activation, 1)
        self.width_box.valueChanged.connect(lambda _: on_change())
        self.activation.currentTextChanged.connect(lambda _: on_change())


class NetworkBuilder(QWidget):
    """The form; see the module docstring."""

    experiment_changed = Signal(object)
    training_changed = Signal(object)
    csv_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._filling = False
        self._experiment = Experiment()
        self.rows: list[LayerRow] = []
        self.hyper_boxes: dict[str, Any] = {}

        self.data_box = QComboBox()
        self.data_box.addItems(list(DATA_NAMES))
        self.csv_button = QPushButton("CSV file…")
        self.csv_button.setToolTip("Your own 2-D data: rows x1, x2, label")
        self.csv_button.clicked.connect(self.csv_requested.emit)
        self.points = _whole(200, 0, 100_000)
        self.points.setSpecialValueText("all")
        self.noise = _number(0.1, 0.0, 5.0, 3)
        self.test_fraction = _number(0.5, 0.0, 0.95, 2)
        self.label_noise = _number(0.0, 0.0, 1.0, 2)
        data = QFormLayout()
        data.addRow("Data", self.data_box)
        data.addRow(self.csv_button)
        data.addRow("Points", self.points)
        data.addRow("Noise", self.noise)
        data.addRow("Test fraction", self.test_fraction)
        data.addRow("Label noise", self.label_noise)

        self.convolutional = QCheckBox("Convolutional (images)")
        self.convs = QLineEdit("8x3")
        self.convs.setToolTip("channels x kernel size per convolution, e.g. 8x3, 16x3")
        self.pool = _whole(2, 1, 4)
        self.layer_list = QVBoxLayout()
        self.layer_list.setSpacing(2)
        add, remove = QPushButton("+ layer"), QPushButton("− layer")
        add.clicked.connect(lambda: self._add_row(self.rows[-1].width_box.value() if self.rows else 4,
                                                  self.rows[-1].activation.currentText() if self.rows else "tanh"))
        remove.clicked.connect(self._remove_row)
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        self.init_box = QComboBox()
        self.init_box.addItems(list(INIT_SCHEMES))
        self.init_scale = _number(0.0, 0.0, 100.0, 3)
        self.init_scale.setSpecialValueText("default")
        self.init_scale.setToolTip("constant: the value; normal: σ; uniform: a of U(−a, a); Xavier/Kaiming: × gain")
        self.residual = QCheckBox("Residual connections")
        self.batch_norm = QCheckBox("Batch norm")
        self.dropout = _number(0.0, 0.0, 0.9, 2)
        network = QFormLayout()
        network.addRow(self.convolutional)
        network.addRow("Convolutions", self.convs)
        network.addRow("Pooling", self.pool)
        network.addRow("Hidden layers", self.layer_list)
        network.addRow(buttons)
        network.addRow("Initialization", self.init_box)
        network.addRow("Init scale", self.init_scale)
        network.addRow(self.residual)
        network.addRow(self.batch_norm)
        network.addRow("Dropout p", self.dropout)

        self.optimizer = QComboBox()
        self.optimizer.addItems(list(OPTIMIZERS))
        self.hyper_form = QFormLayout()
        self.batch_size = _whole(10, 0, 100_000)
        self.batch_size.setSpecialValueText("all")
        self.l1 = _number(0.0, 0.0, 10.0, 5)
        self.l2 = _number(0.0, 0.0, 10.0, 5)
        self.seed = _whole(0, 0, 1_000_000)
        self.seed.setToolTip("The seed of the initial weights, dropout masks and batch order")
        training = QFormLayout()
        training.addRow("Optimizer", self.optimizer)
        training.addRow(self.hyper_form)
        training.addRow("Batch size", self.batch_size)
        training.addRow("L1 λ", self.l1)
        training.addRow("L2 λ", self.l2)
        training.addRow("Seed", self.seed)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        for title, form in (("Data", data), ("Network", network), ("Training", training)):
            box = QGroupBox(title)
            box.setLayout(form)
            layout.addWidget(box)
        layout.addStretch(1)

        for box in (self.points, self.pool, self.seed):
            box.valueChanged.connect(lambda _: self._network_edited())
        for box in (self.noise, self.test_fraction, self.label_noise, self.init_scale, self.dropout):
            box.valueChanged.connect(lambda _: self._network_edited())
        for check in (self.convolutional, self.residual, self.batch_norm):
            check.toggled.connect(lambda _: self._network_edited())
        self.data_box.currentTextChanged.connect(lambda _: self._data_chosen())
        self.init_box.currentTextChanged.connect(lambda _: self._network_edited())
        self.convs.editingFinished.connect(self._network_edited)
        self.optimizer.currentTextChanged.connect(self._optimizer_chosen)
        for box in (self.batch_size, self.l1, self.l2):
            box.valueChanged.connect(lambda _: self._training_edited())
        self.set_experiment(self._experiment)

    # -- filling ------------------------------------------------------------------------------
    def set_experiment(self, experiment: Experiment) -> None:
        """Show ``experiment`` in the form (emits nothing)."""
        self._filling = True
        try:
            self._experiment = experiment
            d, n, t = experiment.data, experiment.network, experiment.training
            self.data_box.setCurrentText(d.name if d.name in DATA_NAMES else self.data_box.currentText())
            self.points.setValue(d.n or 0)
            self.points.setEnabled(d.n is not None)
            self.noise.setValue(d.noise)
            self.test_fraction.setValue(d.test_fraction)
            self.label_noise.setValue(d.label_noise)
            conv = isinstance(n, ConvSpec)
            self.convolutional.setChecked(conv)
            self.convolutional.setEnabled(d.name == "digits")
            self.convs.setEnabled(conv)
            self.pool.setEnabled(conv)
            if conv:
                self.convs.setText(", ".join(f"{c}x{k}" for c, k in n.convs))
                self.pool.setValue(n.pool)
            activations = (n.activation,) * len(n.hidden) if conv else n.activations()
            while self.rows:
                self._drop_last_row()
            for width, act in zip(n.hidden, activations):
                self._add_row(width, act, emit=False)
            self.init_box.setCurrentText(n.init)
            self.init_scale.setValue(n.init_scale or 0.0)
            self.residual.setChecked(getattr(n, "residual", False))
            self.residual.setEnabled(not conv)
            self.batch_norm.setChecked(n.batch_norm)
            self.dropout.setValue(n.dropout)
            self.optimizer.setCurrentText(t.optimizer)
            self._fill_hyperparameters(t.optimizer, dict(t.hyperparams))
            self.batch_size.setValue(t.batch_size or 0)
            self.l1.setValue(t.l1)
            self.l2.setValue(t.l2)
            self.seed.setValue(t.seed)
        finally:
            self._filling = False

    def _fill_hyperparameters(self, optimizer: str, values: dict[str, Any]) -> None:
        while self.hyper_form.rowCount():
            self.hyper_form.removeRow(0)
        self.hyper_boxes = {}
        for name, default in hyperparameters(optimizer).items():
            value = values.get(name, default)
            if isinstance(default, bool):
                box = QCheckBox(name)
                box.setChecked(bool(value))
                box.toggled.connect(lambda _: self._training_edited())
                self.hyper_form.addRow(box)
            elif isinstance(default, tuple):
                box = QLineEdit(", ".join(f"{v:g}" for v in value))
                box.editingFinished.connect(self._training_edited)
                self.hyper_form.addRow(name, box)
            elif isinstance(default, int):
                box = _whole(int(value), 1, 10_000)
                box.valueChanged.connect(lambda _: self._training_edited())
                self.hyper_form.addRow(name, box)
            else:
                box = _number(float(value), 0.0, 100.0, 6 if name.startswith(("eps", "tol")) else 4)
                box.valueChanged.connect(lambda _: self._training_edited())
                self.hyper_form.addRow("learning rate" if name == "lr" else name, box)
            self.hyper_boxes[name] = box

    def _add_row(self, width: int, activation: str, emit: bool = True) -> None:
        row = LayerRow(width, activation, self._network_edited)
        self.rows.append(row)
        self.layer_list.addWidget(row)
        if emit:
            self._network_edited()

    def _drop_last_row(self) -> None:
        row = self.rows.pop()
        self.layer_list.removeWidget(row)
        row.setParent(None)
        row.deleteLater()

    def _remove_row(self) -> None:
        if self.rows:
            self._drop_last_row()
            self._network_edited()

    # -- reading ------------------------------------------------------------------------------
    def experiment(self) -> Experiment:
        """The experiment the form describes (ValueError for a malformed convolution list)."""
        old = self._experiment
        data = replace(old.data, n=(self.points.value() or None) if old.data.n is not None else None, noise=self.noise.value(),
                       test_fraction=self.test_fraction.value(), label_noise=self.label_noise.value())
        widths = tuple(r.width_box.value() for r in self.rows)
        acts = tuple(r.activation.currentText() for r in self.rows)
        scale = self.init_scale.value() or None
        if self.convolutional.isChecked() and data.name == "digits":
            network = ConvSpec(convs=parse_convs(self.convs.text()), pool=self.pool.value(), hidden=widths,
                               activation=acts[0] if acts else "relu", init=self.init_box.currentText(),
                               init_scale=scale, batch_norm=self.batch_norm.isChecked(),
                               dropout=self.dropout.value())
        else:
            network = DenseSpec(hidden=widths, activation=acts if len(set(acts)) > 1 else (acts[0] if acts else "tanh"),
                                init=self.init_box.currentText(), init_scale=scale,
                                residual=self.residual.isChecked(), batch_norm=self.batch_norm.isChecked(),
                                dropout=self.dropout.value())
        return Experiment(data, network, self.training())

    def training(self) -> TrainSpec:
        """The optimizer settings the form describes."""
        hyper = {}
        for name, box in self.hyper_boxes.items():
            if isinstance(box, QCheckBox):
                hyper[name] = box.isChecked()
            elif isinstance(box, QLineEdit):
                try:
                    hyper[name] = tuple(float(v) for v in box.text().split(","))
                except ValueError:
                    hyper[name] = hyperparameters(self.optimizer.currentText())[name]
            else:
                hyper[name] = box.value()
        return TrainSpec(self.optimizer.currentText(), hyper, batch_size=self.batch_size.value() or None,
                         l1=self.l1.value(), l2=self.l2.value(), seed=self.seed.value())

    def _data_chosen(self) -> None:
        if self._filling:
            return
        name = self.data_box.currentText()
        old = self._experiment
        data = data_spec(name, n=old.data.n or 200, seed=old.data.seed, test_fraction=self.test_fraction.value(),
                         label_noise=self.label_noise.value())
        network = old.network
        if name == "digits" and not isinstance(network, ConvSpec):
            network = ConvSpec()
        elif name != "digits" and isinstance(network, ConvSpec):
            network = DenseSpec()
        experiment = Experiment(data, network, self.training())
        self.set_experiment(experiment)
        self.experiment_changed.emit(experiment)

    def _network_edited(self) -> None:
        if self._filling:
            return
        try:
            experiment = self.experiment()
        except ValueError as error:
            self.convs.setToolTip(str(error))
            return
        if self.convolutional.isChecked() != isinstance(self._experiment.network, ConvSpec):
            self.set_experiment(experiment)  # enable the convolution settings
        self._experiment = experiment
        self.experiment_changed.emit(experiment)

    def _optimizer_chosen(self, name: str) -> None:
        if self._filling:
            return
        self._fill_hyperparameters(name, {"lr": self.hyper_boxes["lr"].value()} if "lr" in self.hyper_boxes else {})
        self._training_edited()

    def _training_edited(self) -> None:
        if self._filling:
            return
        training = self.training()
        self._experiment = replace(self._experiment, training=training)
        self.training_changed.emit(training)
