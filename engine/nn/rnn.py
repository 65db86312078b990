"""Single-layer recurrent networks (RNN, LSTM, GRU) with PyTorch's weights and shapes.

Input is (T, B, F); weights are ``weight_ih`` (G·H, F), ``weight_hh`` (G·H, H),
``bias_ih``/``bias_hh`` (G·H,) with G gates in PyTorch's order (LSTM i, f, g, o;
GRU r, z, n).  For the sequence lab every step is kept: ``last_gates`` holds
the gate activations as (T, B, H) arrays and, after ``backward()``,
``hidden_grads()`` (and ``cell_grads()`` for the LSTM) give dL/dh_t for each t,
the quantity whose decay over t shows vanishing gradients.
"""
from __future__ import annotations

import numpy as np

from .. import functional as F
from ..node import Node
from ..prims import core as C
from ..prims.rnn import gru_cell, lstm_cell
from ..prims.shape import concat, getitem, stack
from . import init
from .module import Module, Parameter, as_generator


class _Recurrent(Module):
    """Weights, initial state and per-step bookkeeping shared by RNN, LSTM and GRU.

    Each step produces one *state* tensor whose first H columns are h_t (LSTM and
    GRU pack their gates after it); ``last_states`` keeps them, so their ``.grad``
    after a backward pass is the total gradient reaching h_t.
    """

    gates = 1
    state_width = 1  # columns of H the recurrence carries (LSTM: h and c)

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, *,
                 fused: bool = True, seed=None):
        super().__init__()
        rng = as_generator(seed)
        self.input_size, self.hidden_size, self.fused = input_size, hidden_size, fused
        g = self.gates * hidden_size
        self.weight_ih = Parameter(np.empty((g, input_size)))
        self.weight_hh = Parameter(np.empty((g, hidden_size)))
        self.bias_ih = Parameter(np.empty(g)) if bias else np.zeros(g)
        self.bias_hh = Parameter(np.empty(g)) if bias else np.zeros(g)
        for p in self.parameters():
            init.default_uniform_(p, hidden_size, rng)
        self.last_states: list = []
        self.last_gates: dict[str, np.ndarray] = {}

    def _inputs(self, x) -> list:
        """Per-step inputs; a constant sequence is sliced without recording a graph."""
        if isinstance(x, Node) and not x.requires_grad:
            x = x.data
        if isinstance(x, Node):
            return [getitem(x, t) for t in range(x.shape[0])]
        return list(np.asarray(x))

    def _initial(self, states, batch: int):
        """The packed initial state [h0, (c0)] from tensors of shape (B, H) or (1, B, H)."""
        h = self.hidden_size
        if states is None:
            return np.zeros((batch, self.state_width * h), dtype=self.weight_hh.dtype)
        parts = [C.reshape(s, (batch, h)) for s in states]
        if all(not isinstance(p, Node) for p in parts):
            return np.concatenate(parts, axis=1)
        return concat(parts, axis=1) if len(parts) > 1 else parts[0]

    def _outputs(self, states: list):
        """out (T, B, H) and h_n (1, B, H) from the per-step states."""
        h = self.hidden_size
        self.last_states = states
        seq = stack(states)
        out = getitem(seq, (slice(None), slice(None), slice(0, h)))
        batch = out.shape[1]
        return out, C.reshape(getitem(states[-1], (slice(None), slice(0, h))), (1, batch, h))

    def _record_gates(self, names: str) -> None:
        packed = np.stack([s.data for s in self.last_states])
        h = self.hidden_size
        self.last_gates = {k: packed[:, :, j * h:(j + 1) * h].copy() for j, k in enumerate(names)}

    def hidden_grads(self) -> np.ndarray:
        """dL/dh_t for t = 1..T as (T, B, H), after ``backward()`` (zeros where none reached)."""
        return self._state_grads(0)

    def _state_grads(self, block: int) -> np.ndarray:
        h = self.hidden_size
        out = []
        for s in self.last_states:
            g = s.grad
            out.append(np.zeros(s.shape[:1] + (h,)) if g is None else g[:, block * h:(block + 1) * h])
        return np.stack(out)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, fused={self.fused}"


class RNN(_Recurrent):
    """Elman RNN: h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), act tanh or relu;
    returns ``out, h_n``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", *, fused: bool = True, seed=None):
        super().__init__(input_size, hidden_size, bias, fused=fused, seed=seed)
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity

    def forward(self, x, h0=None):
        xs = self._inputs(x)
        state = self._initial(None if h0 is None else (h0,), xs[0].shape[0])
        states = []
        for xt in xs:
            act = F.tanh if self.nonlinearity == "tanh" else F.relu
            state = act(F.linear(xt, self.weight_ih, self.bias_ih)
                        + F.linear(state, self.weight_hh, self.bias_hh))
            states.append(state)
        return self._outputs(states)


class LSTM(_Recurrent):
    """Long short-term memory; returns ``out, (h_n, c_n)`` with h_n, c_n shaped (1, B, H).

    Gates, in the lecture's words: i = write (input) gate, f = forget gate,
    o = read (output) gate, g = the candidate cell value c'_t; then
    c_t = f ⊙ c_{t-1} + i ⊙ g and h_t = o ⊙ tanh(c_t).  ``last_gates`` has keys
    "i", "f", "g", "o", "c", "h".  ``fused=True`` runs each step as one Numba
    primitive; ``fused=False`` composes it from primitives (slower, but
    supports ``create_graph=True`` for higher-order gradients).
    """

    gates = 4
    state_width = 2

    def forward(self, x, state=None):
        xs = self._inputs(x)
        s = self._initial(state, xs[0].shape[0])
        step = self._fused_step() if self.fused else self._step
        states = []
        for xt in xs:
            s = step(xt, s)
            states.append(s)
        out, h_n = self._outputs(states)
        self._record_gates("hcifgo")
        h = self.hidden_size
        c_n = C.reshape(getitem(states[-1], (slice(None), slice(h, 2 * h))), h_n.shape)
        return out, (h_n, c_n)

    def _fused_step(self):
        """One Numba primitive per step, on the weights joined once per sequence."""
        w = concat([self.weight_ih, self.weight_hh], axis=1)
        b = self.bias_ih + self.bias_hh
        return lambda xt, s: lstm_cell(xt, s, w, b)

    def _step(self, xt, s):
        """The same step composed from primitives (supports create_graph=True)."""
        h = self.hidden_size
        pre = F.linear(xt, self.weight_ih, self.bias_ih) + F.linear(
            getitem(s, (slice(None), slice(0, h))), self.weight_hh, self.bias_hh)
        i, f, o = (F.sigmoid(getitem(pre, (slice(None), slice(k * h, (k + 1) * h)))) for k in (0, 1, 3))
        g = F.tanh(getitem(pre, (slice(None), slice(2 * h, 3 * h))))
        c = f * getitem(s, (slice(None), slice(h, 2 * h))) + i * g
        return concat([o * F.tanh(c), c, i, f, g, o], axis=1)

    def cell_grads(self) -> np.ndarray:
        """Total dL/dc_t for t = 1..T as (T, B, H), after ``backward()``.

        The packed state's c column only holds the gradient arriving from the next
        step; c_t also reaches the loss through h_t = o_t ⊙ tanh(c_t), so that
        path (dL/dh_t · o_t · (1 - tanh² c_t)) is added here.
        """
        g = self.last_gates
        return self._state_grads(1) + self.hidden_grads() * g["o"] * (1.0 - np.tanh(g["c"]) ** 2)


class GRU(_Recurrent):
    """Gated recurrent unit; returns ``out, h_n`` with h_n shaped (1, B, H).

    r = reset gate, z = update gate, n = candidate; h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}.
    ``last_gates`` has keys "r", "z", "n", "h".  ``fused`` as for :class:`LSTM`.
    """

    gates = 3

    def forward(self, x, h0=None):
        xs = self._inputs(x)
        s = self._initial(None if h0 is None else (h0,), xs[0].shape[0])
        states = []
        for xt in xs:
            s = self._step(xt, s)
            states.append(s)
        out, h_n = self._outputs(states)
        self._record_gates("hrzn")
        return out, h_n

    def _step(self, xt, s):
        args = (self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        if self.fused:
            return gru_cell(xt, s, *args)
        h = self.hidden_size
        h_prev = getitem(s, (slice(None), slice(0, h)))
        xi = F.linear(xt, self.weight_ih, self.bias_ih)
        hh = F.linear(h_prev, self.weight_hh, self.bias_hh)

        def part(a, k):
            return getitem(a, (slice(None), slice(k * h, (k + 1) * h)))
        r = F.sigmoid(part(xi, 0) + part(hh, 0))
        z = F.sigmoid(part(xi, 1) + part(hh, 1))
        hn = part(hh, 2)
        n = F.tanh(part(xi, 2) + r * hn)
        return concat([(1.0 - z) * n + z * h_prev, r, z, n, hn], axis=1)
