"""Train a training-lab network one batch at a time, cancellable, and keep what the lab plots.

A :class:`Trainer` builds the data split, the network and the optimizer from an
:class:`~engine.playground.spec.Experiment`, seeded, so :meth:`Trainer.reset`
returns to exactly the same initial weights and batch order, and
:meth:`Trainer.redraw` draws new ones.  Each step records the batch loss and each
layer's gradient norm; :meth:`Trainer.evaluate` adds train/test loss and accuracy.
A NaN or infinity raises :class:`~engine.nonfinite.NonFiniteError` naming the
layer and the step *before* the update (an update that would make a weight
non-finite is undone), so the weights and batch-norm statistics stay usable.
Every public method takes :attr:`Trainer.lock`, so a background job may train
while another thread reads the views, between batches.  With ``device="cuda"`` the
model, its gradients and the batches live on the GPU while it trains; evaluation
(:meth:`Trainer.evaluating`, which every view uses) runs on a host copy, so the
views' arrays are always NumPy.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Callable, Iterator

import numpy as np

from .. import functional as F
from .. import nn
from ..datasets import DATASETS, Dataset, load_digits, train_test_split, with_label_noise
from ..devices import parse
from ..node import no_grad
from ..nonfinite import NonFiniteError
from ..optim import OPTIMIZERS
from ..optim.flat import FlatOptimizer
from ..tensor import Tensor
from .network import ConvNet, DenseNet, StagedNet
from .spec import ConvSpec, DataSpec, Experiment, TrainSpec


@dataclass(frozen=True)
class Task:
    """What the network predicts: "binary" (one logit), "multiclass" (K logits) or
    "regression" (one number)."""

    kind: str
    outputs: int
    classes: int

    @classmethod
    def of(cls, data: Dataset) -> "Task":
        if not data.classification:
            return cls("regression", 1, 0)
        k = data.n_classes
        return cls("binary", 1, 2) if k <= 2 else cls("multiclass", k, k)


def prepare_data(spec: DataSpec, dataset: Dataset | None = None) -> tuple[Dataset, Dataset]:
    """(train, test) for ``spec``: the named set (or ``dataset``, e.g. from a CSV file),
    split with ``spec.seed``; label noise goes into the training set only, so the test
    set keeps the true labels and test accuracy measures what was learnt."""
    data = dataset if dataset is not None else _generate(spec)
    train, test = train_test_split(data, spec.test_fraction, spec.seed)
    if spec.label_noise:
        train = with_label_noise(train, spec.label_noise, spec.seed + 1)
    return train, test


def _generate(spec: DataSpec) -> Dataset:
    if spec.name == "digits":
        X, y = load_digits()
        if spec.n is not None:
            keep = np.sort(np.random.default_rng(spec.seed).permutation(len(y))[:spec.n])
            X, y = X[keep], y[keep]
        return Dataset("digits", X, y.astype(np.float64), True, tuple(str(d) for d in range(10)))
    if spec.name not in DATASETS:
        raise ValueError(f"unknown data set {spec.name!r}; choose one of "
                         f"{', '.join(list(DATASETS) + ['digits'])}")
    return DATASETS[spec.name](n=spec.n, noise=spec.noise, seed=spec.seed, **dict(spec.options))


@dataclass(frozen=True)
class StepReport:
    """One training step: its number (1 for the first), the batch loss (data + penalty)
    and the gradient norm ‖∂L/∂W‖ of each weighted layer, input to output."""

    step: int
    loss: float
    grad_norms: np.ndarray


@dataclass(frozen=True)
class Metrics:
    """Data loss (no penalty) and accuracy (None for regression) on train and test."""

    step: int
    train_loss: float
    test_loss: float
    train_accuracy: float | None
    test_accuracy: float | None


@dataclass
class History:
    """Everything recorded since the last reset; the lab's curves read it as arrays (safe
    while a job appends: each reader copies the lists first)."""

    layer_names: list[str]
    steps: list[int] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    grad_norms: list[np.ndarray] = field(default_factory=list)
    metrics: list[Metrics] = field(default_factory=list)

    def gradient_norms(self, most: int | None = None) -> np.ndarray:
        """(steps, layers) gradient norms ‖∂L/∂W‖, columns as ``layer_names``, for the log plot;
        with ``most``, only the steps :func:`kept` keeps (their step numbers: ``kept(n, most) + 1``)."""
        norms = list(self.grad_norms)
        if most is not None:
            norms = [norms[k] for k in kept(len(norms), most)]
        return np.array(norms, dtype=np.float64).reshape(len(norms), len(self.layer_names))

    def curve(self, name: str, most: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(steps, values) of one Metrics field, e.g. "test_loss" or "train_accuracy"; with
        ``most``, only the evaluations :func:`kept` keeps."""
        metrics = list(self.metrics)
        if most is not None:
            metrics = [metrics[k] for k in kept(len(metrics), most)]
        return (np.array([m.step for m in metrics], dtype=np.int64),
                np.array([np.nan if getattr(m, name) is None else getattr(m, name) for m in metrics],
                         dtype=np.float64))


def kept(n: int, most: int) -> np.ndarray:
    """Indices of the points a plot draws of ``n`` recorded ones: all of them up to ``most``, else
    every k-th (k the smallest power of two that leaves at most ``most``) and the last.  (A power of
    two: the points kept stay the same as ``n`` grows, so a long curve does not flicker; a plot then
    costs the same after an hour of training as after a minute.)"""
    if n <= most:
        return np.arange(n)
    k = 1 << int(np.ceil(np.log2(n / most)))
    every = np.arange(k - 1, n, k)
    return every if every[-1] == n - 1 else np.append(every, n - 1)


_PARAM_NAMES = {"linear.weight": "its weights W", "linear.bias": "its bias b",
                "weight": "its weights W", "bias": "its bias b",
                "norm.weight": "its batch-norm scale γ", "norm.bias": "its batch-norm shift β"}


class Trainer:
    """Builds and trains one network; see the module docstring."""

    def __init__(self, experiment: Experiment, dataset: Dataset | None = None, device: str = "cpu"):
        self.experiment = experiment
        self.device = parse(device)
        self.lock = threading.RLock()
        train, test = prepare_data(experiment.data, dataset)
        self.task = Task.of(train)
        self.image_shape = train.X.shape[1:] if train.X.ndim == 4 else None
        if isinstance(experiment.network, ConvSpec):
            if self.image_shape is None:
                raise ValueError(f"a convolutional network needs images, but {train.name!r} "
                                 f"has {train.X.shape[1]} numbers per point")
        else:  # a dense network sees an image as one long vector
            width = int(np.prod(train.X.shape[1:]))
            train, test = (replace(d, X=d.X.reshape(len(d), width)) for d in (train, test))
        self.train_data, self.test_data = train, test
        self.seed = experiment.training.seed
        self.reset()

    # -- building --------------------------------------------------------------------------------
    def reset(self, seed: int | None = None) -> None:
        """Back to the initial weights of ``seed`` (default: the current one) and step 0:
        the same seed gives the same weights, dropout masks and batch order."""
        with self.lock:
            self.seed = self.seed if seed is None else seed
            network = self.experiment.network
            if isinstance(network, ConvSpec):
                self.model: StagedNet = ConvNet(network, self.image_shape, self.task.outputs, self.seed)
            else:
                self.model = DenseNet(network, self.train_data.X.shape[1], self.task.outputs, self.seed)
            self.model.train()
            self.model.to(self.device)
            self.layers = self.model.weighted()
            self._named = self._named_parameters()
            self.optimizer = self._make_optimizer(self.experiment.training)
            self._batch_rng = np.random.default_rng([self.seed, 1])
            self._order, self._cursor = np.zeros(0, dtype=np.int64), 0
            self.steps_done = 0
            self.history = History([name for name, _ in self.layers])

    def to(self, device: str) -> None:
        """Train on ``device`` ("cpu" or "cuda") from the next step on: the model and the
        optimizer's state move there (weights and history are kept)."""
        with self.lock:
            device = parse(device)
            self.model.to(device)
            self.optimizer.to(device)
            self.device = device

    def redraw(self) -> None:
        """New initial weights (the next seed), then as :meth:`reset`."""
        self.reset(self.seed + 1)

    def set_training(self, training: TrainSpec) -> None:
        """Change optimizer, hyperparameters, batch size or L1/L2 from here on, keeping the
        weights and the history (the optimizer starts with fresh state)."""
        with self.lock:
            self.optimizer = self._make_optimizer(training)
            self.experiment = replace(self.experiment, training=training)

    def _make_optimizer(self, training: TrainSpec):
        if training.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {training.optimizer!r}; choose one of "
                             f"{', '.join(OPTIMIZERS)}")
        return OPTIMIZERS[training.optimizer](list(self.model.parameters()), **dict(training.hyperparams))

    def _named_parameters(self) -> list[tuple[str, str, nn.Parameter]]:
        """(stage name, what the parameter is, parameter) for every parameter, input to output."""
        named = []
        for stage_name, stage in zip(self.model.stage_names, self.model.stages):
            for name, p in stage.named_parameters():
                named.append((stage_name, _PARAM_NAMES.get(name, name), p))
        return named

    # -- training ---------------------------------------------------------------------------------
    def step(self) -> StepReport:
        """Train on the next batch: forward, backward, checks, one optimizer update."""
        with self.lock:
            X, y = self._next_batch()
            step = self.steps_done
            saved = self.model.state_dict()  # weights and batch-norm statistics, kept on failure
            try:
                loss = self._forward_backward(X, y, step)
                norms = np.array([_norm(layer.weight.grad) for _, layer in self.layers])
                if isinstance(self.optimizer, FlatOptimizer):  # Newton, BFGS, L-BFGS, CG re-evaluate
                    self.optimizer.step(lambda: self._closure(X, y))
                else:
                    self.optimizer.step()
                self._check_updated(step)
            except NonFiniteError:
                self.model.to("cpu")  # (device arrays are not written in place)
                self.model.load_state_dict(saved)
                self.model.to(self.device)
                raise
            self.steps_done += 1
            report = StepReport(self.steps_done, loss, norms)
            self.history.steps.append(report.step)
            self.history.losses.append(loss)
            self.history.grad_norms.append(norms)
            return report

    def _closure(self, X: np.ndarray, y: np.ndarray) -> Tensor:
        self.optimizer.zero_grad()
        total = self._objective(X, y)
        total.backward()
        return total

    def run(self, steps: int, should_stop: Callable[[], bool] | None = None,
            on_step: Callable[[StepReport], None] | None = None,
            eval_every: int | None = None) -> int:
        """Up to ``steps`` steps; before each batch ``should_stop()`` may end the run.

        ``on_step`` sees every report; with ``eval_every`` the train/test metrics are
        recorded every that many steps and after the last.  Returns the steps done.
        NonFiniteError ends the run at the failing step, weights as before it.
        """
        done = 0
        while done < steps and not (should_stop is not None and should_stop()):
            report = self.step()
            done += 1
            if eval_every and report.step % eval_every == 0:
                self.evaluate()
            if on_step is not None:
                on_step(report)
        if eval_every and done and self.steps_done % eval_every:
            self.evaluate()
        return done

    def _next_batch(self) -> tuple[np.ndarray, np.ndarray]:
        """The next mini-batch of a reshuffled pass over the training set."""
        n = len(self.train_data)
        size = self.experiment.training.batch_size or n
        if size < 1:
            raise ValueError(f"batch size must be at least 1, got {size}")
        if self._cursor >= len(self._order):
            self._order, self._cursor = self._batch_rng.permutation(n), 0
        index = self._order[self._cursor:self._cursor + size]
        self._cursor += size
        return self.train_data.X[index], self.train_data.y[index]

    def _objective(self, X: np.ndarray, y: np.ndarray) -> Tensor:
        """Data loss + L1/L2 penalty of the model on one batch."""
        total = self.loss(self.model(Tensor(X, device=self.device)), y)
        training = self.experiment.training
        weights = [layer.weight for _, layer in self.layers]
        if training.l1:
            total = total + F.l1_penalty(weights, training.l1)
        if training.l2:
            total = total + F.l2_penalty(weights, training.l2)
        return total

    def loss(self, outputs, y: np.ndarray):
        """The task's data loss: BCE on the logit, cross-entropy on K logits, or MSE."""
        if self.task.kind == "multiclass":
            return F.cross_entropy(outputs, y.astype(np.int64))
        outputs = outputs.reshape(-1)
        y = Tensor(y, device=outputs.device)
        if self.task.kind == "binary":
            return F.binary_cross_entropy_with_logits(outputs, y)
        return F.mse_loss(outputs, y)

    def _forward_backward(self, X: np.ndarray, y: np.ndarray, step: int) -> float:
        """Loss and gradients of one batch, raising NonFiniteError where a value first fails."""
        self.optimizer.zero_grad()
        with np.errstate(all="ignore"):
            total = self._objective(X, y)
            for name, out in zip(self.model.stage_names, self.model.outputs):
                if not np.all(np.isfinite(out.data)):
                    raise NonFiniteError(step, name, "its output (forward pass)")
            loss = total.item()
            if not np.isfinite(loss):
                raise NonFiniteError(step, "the loss", "the loss value")
            total.backward()
        for stage_name, what, p in reversed(self._named):  # backward order: where it began
            if p.grad is not None and not np.all(np.isfinite(p.grad)):
                raise NonFiniteError(step, stage_name, f"the gradient of {what}")
        return loss

    def _check_updated(self, step: int) -> None:
        for stage_name, what, p in self._named:
            if not np.all(np.isfinite(p.data)):
                raise NonFiniteError(step, stage_name, f"{what} after the update (undone)")

    # -- measuring --------------------------------------------------------------------------------
    @contextmanager
    def evaluating(self) -> Iterator[StagedNet]:
        """The model in evaluation mode (no dropout, batch norm's running statistics), no graph
        recorded, training locked out, on the CPU (the views read NumPy arrays); the previous
        mode and device come back afterwards."""
        with self.lock, no_grad(), np.errstate(all="ignore"):
            was_training = self.model.training
            self.model.eval()
            self.model.to("cpu")
            try:
                yield self.model
            finally:
                self.model.to(self.device)
                self.model.train(was_training)

    def evaluate(self) -> Metrics:
        """Train and test data loss and accuracy now, recorded in the history."""
        with self.evaluating():
            train = self._measure(self.train_data)
            test = self._measure(self.test_data)
            metrics = Metrics(self.steps_done, train[0], test[0], train[1], test[1])
            if self.history.metrics and self.history.metrics[-1].step == self.steps_done:
                self.history.metrics[-1] = metrics
            else:
                self.history.metrics.append(metrics)
            return metrics

    def _measure(self, data: Dataset) -> tuple[float, float | None]:
        if len(data) == 0:
            return float("nan"), None
        outputs = self.model(Tensor(data.X))
        return float(self.loss(outputs, data.y).item()), accuracy(self.task, outputs.data, data.y)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Outputs in evaluation mode: P(class 1) (N,), class probabilities (N, K), or ŷ (N,)."""
        with self.evaluating():
            return self.readout(self.model(Tensor(np.asarray(X, dtype=np.float64))).data)

    def readout(self, raw: np.ndarray) -> np.ndarray:
        """The network's raw outputs (logits or ŷ) as :meth:`predict` gives them."""
        if self.task.kind == "multiclass":
            return np.asarray(F.softmax(raw, 1))
        raw = raw.reshape(-1)
        return np.asarray(F.sigmoid(raw)) if self.task.kind == "binary" else raw.copy()


def accuracy(task: Task, outputs: np.ndarray, y: np.ndarray) -> float | None:
    """Fraction classified right (logit > 0, or the largest logit); None for regression."""
    if task.kind == "binary":
        return float(np.mean((outputs.reshape(-1) > 0) == (y > 0.5)))
    if task.kind == "multiclass":
        return float(np.mean(outputs.argmax(axis=1) == y))
    return None


def _norm(g) -> float:
    with np.errstate(over="ignore"):
        return 0.0 if g is None else float(np.sqrt(np.sum(np.square(g))))
