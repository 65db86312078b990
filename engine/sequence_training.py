"""Train a plain RNN, an LSTM and a GRU on a sequence task, side by side: plain Python, no Qt.

Each :class:`SequenceTrainer` owns one recurrent layer with a linear readout, an
Adam optimizer and a seeded data stream; trainers built with the same config
see exactly the same batches, so their curves compare like with like.  Every
step reports the loss, the accuracy (for classification tasks) and the
gradient reaching each time step, ||dL/dh_t|| (and ||dL/dc_t|| for the LSTM).
A step whose loss or gradients are not finite raises :class:`NonFiniteError`
*before* the update, so the weights stay usable and the caller can pause and
say where it happened.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from . import functional as F
from . import nn
from .node import no_grad
from .nonfinite import NonFiniteError
from .optim import Adam
from .sequence_tasks import Batch, SequenceTask, make_task
from .tensor import Tensor

CELLS = ("rnn", "lstm", "gru")
"""The three recurrent cells the lab compares."""


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters shared by every model of a side-by-side run."""

    hidden_size: int = 16
    batch_size: int = 32
    lr: float = 0.01
    clip_norm: float | None = 1.0
    memory_bias: float = 2.0
    """Added to the LSTM's forget-gate and the GRU's update-gate biases, so both start by
    keeping their memory (sigmoid(2) ≈ 0.88), as Gers et al. and Jozefowicz et al. advise."""
    rnn_scale: float = 1.0
    """Multiplies the plain RNN's recurrent weights W_hh at initialisation."""
    rnn_activation: str = "tanh"
    seed: int = 0


@dataclass(frozen=True)
class StepReport:
    """What one training step of one model measured."""

    cell: str
    step: int
    loss: float
    accuracy: float | None
    grad_h: np.ndarray
    """||dL/dh_t|| for every time step t, shape (T,)."""
    grad_c: np.ndarray | None
    """||dL/dc_t|| for every t (LSTM only)."""


class SequenceModel(nn.Module):
    """One recurrent layer and a linear readout of the last step or of every step."""

    def __init__(self, cell: str, task: SequenceTask, config: TrainConfig):
        super().__init__()
        rng = np.random.default_rng(config.seed)
        h = config.hidden_size
        if cell == "rnn":
            self.rnn = nn.RNN(task.input_size, h, nonlinearity=config.rnn_activation, seed=rng)
            self.rnn.weight_hh.data = self.rnn.weight_hh.data * config.rnn_scale
        elif cell in ("lstm", "gru"):  # the keep gate is the 2nd block: LSTM f, GRU z
            self.rnn = (nn.LSTM if cell == "lstm" else nn.GRU)(task.input_size, h, seed=rng)
            self.rnn.bias_hh.data[h:2 * h] += config.memory_bias
        else:
            raise ValueError(f"cell must be one of {CELLS}, got {cell!r}")
        self.head = nn.Linear(h, task.output_size, seed=rng)
        self.cell, self.readout = cell, task.readout

    def forward(self, x):
        """Logits (B, O) after the last step, or (T, B, O) at every step."""
        out, _ = self.rnn(x)
        return self.head(out[-1] if self.readout == "last" else out)


def task_loss(outputs, batch: Batch):
    """The task's loss of the model's outputs: BCE on logits, MSE or cross-entropy."""
    if batch.loss == "bce":
        return F.binary_cross_entropy_with_logits(outputs, batch.targets)
    if batch.loss == "mse":
        return F.mse_loss(outputs, batch.targets)
    t, b, v = outputs.shape
    return F.cross_entropy(outputs.reshape(t * b, v), batch.targets.reshape(t * b))


def accuracy(outputs: np.ndarray, batch: Batch) -> float | None:
    """Fraction of right answers for classification tasks; None for regression."""
    if batch.loss == "bce":
        return float(np.mean((outputs > 0) == (batch.targets > 0.5)))
    if batch.loss == "ce":
        return float(np.mean(outputs.argmax(axis=-1) == batch.targets))
    return None


def clip_grad_norm(parameters: Sequence[nn.Parameter], max_norm: float) -> float:
    """Scale all gradients down together so their joint norm is at most ``max_norm``."""
    grads = [p.grad for p in parameters if p.grad is not None]
    total = float(np.sqrt(sum(float(np.sum(g * g)) for g in grads)))
    if total > max_norm:
        for p in parameters:
            if p.grad is not None:
                p.grad = p.grad * (max_norm / total)
    return total


class SequenceTrainer:
    """Trains one model (``cell`` in CELLS) on one task with Adam, on ``device`` ("cpu" or "cuda")."""

    def __init__(self, task: SequenceTask, cell: str, config: TrainConfig = TrainConfig(),
                 device: str = "cpu"):
        self.task, self.cell, self.config, self.device = task, cell, config, "cpu"
        self.model = SequenceModel(cell, task, config)
        self.parameters = list(self.model.parameters())
        self.names = [name for name, _ in self.model.named_parameters()]
        self.optimizer = Adam(self.parameters, lr=config.lr)
        self.data_rng = np.random.default_rng(config.seed + 1)
        self.steps_done = 0
        self.to(device)

    def to(self, device: str) -> None:
        """Move the model and the optimizer's state to ``device``; training goes on there."""
        self.model.to(device)
        self.optimizer.to(device)
        self.device = device

    def _on_device(self, batch: Batch) -> Batch:
        """The batch as tensors on the model's device (class-index targets stay indices)."""
        if self.device == "cpu":
            return batch
        targets = batch.targets if batch.loss == "ce" else Tensor(batch.targets, device=self.device)
        return batch._replace(inputs=Tensor(batch.inputs, device=self.device), targets=targets)

    def train_step(self) -> StepReport:
        """One batch, one backward pass, one Adam update; NonFiniteError instead of a bad update."""
        report = self.measure(self.task.batch(self.config.batch_size, self.data_rng))
        self._check_finite(report)
        if self.config.clip_norm is not None:
            clip_grad_norm(self.parameters, self.config.clip_norm)
        self.optimizer.step()
        self.steps_done += 1
        return report

    def measure(self, batch: Batch) -> StepReport:
        """Forward and backward on ``batch`` without updating: loss, accuracy, gradient per step."""
        self.optimizer.zero_grad()
        outputs = self.model(self._on_device(batch).inputs)
        loss = task_loss(outputs, self._on_device(batch))
        loss.backward()
        rnn = self.model.rnn
        grad_c = _norms(rnn.cell_grads()) if self.cell == "lstm" else None
        return StepReport(self.cell, self.steps_done, loss.item(), accuracy(outputs.numpy(), batch),
                          _norms(rnn.hidden_grads()), grad_c)

    def _check_finite(self, report: StepReport) -> None:
        """Raise NonFiniteError naming the first non-finite tensor of this step."""
        step, cell = self.steps_done, self.cell.upper()
        hidden = self.model.rnn.hidden_states()
        for t, state in enumerate(hidden):
            if not np.all(np.isfinite(state)):
                raise NonFiniteError(step, cell, f"hidden state h_t at t = {t} (forward pass)")
        if not np.isfinite(report.loss):
            raise NonFiniteError(step, cell, "the loss")
        for name, p in zip(self.names, self.parameters):
            if p.grad is not None and not np.all(np.isfinite(p.grad)):
                raise NonFiniteError(step, cell, f"the gradient of {name}")

    def gate_trace(self, inputs: np.ndarray) -> dict[str, np.ndarray]:
        """The recorded gates, cell and hidden state for one sequence (T, F), each (T, H)."""
        with no_grad():
            self.model(Tensor(inputs[:, None, :], device=self.device))
        return {k: v[:, 0, :] for k, v in self.model.rnn.last_gates.items()}


UNROLL_STEPS = 3
"""Steps the unrolled graph shows: enough to see the chain, small enough to read."""

_LSTM_GATES = (("i", "sigmoid"), ("f", "sigmoid"), ("g", "tanh"), ("o", "sigmoid"))


def unrolled_program(trainer: SequenceTrainer, inputs: np.ndarray,
                     steps: int = UNROLL_STEPS) -> tuple[str, dict[str, np.ndarray]]:
    """The plain RNN, LSTM or GRU unrolled over the first ``steps`` inputs (T, F), as source for
    :func:`engine.expr.parse` plus the trained weights as values (column vectors), so the
    graph explorer can show it.  L = sum(h_T) stands in for the loss."""
    rnn, h = trainer.model.rnn, trainer.config.hidden_size
    w_ih, w_hh = rnn.weight_ih.numpy().copy(), rnn.weight_hh.numpy().copy()
    b_ih, b_hh = rnn.bias_ih.numpy(), rnn.bias_hh.numpy()
    bias = (b_ih + b_hh)[:, None]
    values = {f"x{t}": inputs[t - 1][:, None] for t in range(1, steps + 1)}
    values["h0"] = np.zeros((h, 1))
    lines = []
    if trainer.cell == "rnn":
        values.update(W_xh=w_ih, W_hh=w_hh, b=bias)
        act = trainer.config.rnn_activation
        lines = [f"h{t} = {act}(W_xh @ x{t} + W_hh @ h{t - 1} + b)" for t in range(1, steps + 1)]
    elif trainer.cell == "lstm":
        values["c0"] = np.zeros((h, 1))
        values.update(_gate_blocks("ifgo", w_ih, w_hh, bias))
        for t in range(1, steps + 1):
            lines += [f"{g}{t} = {act}(W_x{g} @ x{t} + W_h{g} @ h{t - 1} + b_{g})" for g, act in _LSTM_GATES]
            lines += [f"c{t} = f{t} * c{t - 1} + i{t} * g{t}", f"h{t} = o{t} * tanh(c{t})"]
    else:  # GRU: n keeps its two biases apart, because r multiplies only the recurrent one
        bias[2 * h:] = b_ih[2 * h:, None]
        values.update(_gate_blocks("rzn", w_ih, w_hh, bias), b_hn=b_hh[2 * h:, None])
        for t in range(1, steps + 1):
            lines += [f"{g}{t} = sigmoid(W_x{g} @ x{t} + W_h{g} @ h{t - 1} + b_{g})" for g in "rz"]
            lines += [f"n{t} = tanh(W_xn @ x{t} + b_n + r{t} * (W_hn @ h{t - 1} + b_hn))",
                      f"h{t} = (1 - z{t}) * n{t} + z{t} * h{t - 1}"]
    lines.append(f"L = sum(h{steps})")
    return "\n".join(lines), values


def _gate_blocks(gates: Sequence[str], w_ih: np.ndarray, w_hh: np.ndarray,
                 bias: np.ndarray) -> dict[str, np.ndarray]:
    """Each gate's rows of the stacked weights and of ``bias``, named W_x{g}, W_h{g} and b_{g}."""
    h = len(w_hh) // len(gates)
    blocks = {}
    for k, gate in enumerate(gates):
        rows = slice(k * h, (k + 1) * h)
        blocks.update({f"W_x{gate}": w_ih[rows], f"W_h{gate}": w_hh[rows], f"b_{gate}": bias[rows]})
    return blocks


def _norms(grads: np.ndarray) -> np.ndarray:
    """||g_t|| over batch and units for each t of a (T, B, H) gradient."""
    return np.sqrt(np.sum(grads * grads, axis=(1, 2)))


def train_side_by_side(trainers: Sequence[SequenceTrainer], steps: int,
                       on_step: Callable[[list[StepReport]], None],
                       should_stop: Callable[[], bool] = lambda: False) -> int:
    """Give every trainer ``steps`` updates in turn, calling ``on_step`` after each round.

    Returns the number of rounds done (fewer when ``should_stop()`` turned true);
    a non-finite step raises :class:`NonFiniteError` and stops the run there.
    """
    for done in range(steps):
        if should_stop():
            return done
        on_step([trainer.train_step() for trainer in trainers])
    return steps


def warm_up() -> None:
    """Compile (or load from Numba's cache) the recurrent cells' kernels on a tiny task, so the
    sequence lab opens without a pause (the app calls this off the GUI thread at start-up)."""
    task = make_task("first_bit", 3)
    config = TrainConfig(hidden_size=2, batch_size=2)
    for cell in CELLS:
        trainer = SequenceTrainer(task, cell, config)
        trainer.measure(task.batch(config.batch_size, np.random.default_rng(0)))
        trainer.gate_trace(task.batch(1, np.random.default_rng(1)).inputs[:, 0, :])
