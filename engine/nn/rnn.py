"""Recurrent networks (RNN, LSTM, GRU) with PyTorch's weights, shapes and options.

Input is (T, B, F) (``batch_first``: (B, T, F)); layer k, direction d has ``weight_ih_lk``
(G·H, F_k), ``weight_hh_lk`` (G·H, H), ``bias_ih_lk``/``bias_hh_lk`` (G·H,), with the suffix
``_reverse`` for the backward direction, and G gates in PyTorch's order (LSTM i, f, g, o;
GRU r, z, n).  ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh`` name layer 0's forward
weights.  ``fused=True`` runs each layer and direction as one primitive over the whole
sequence (:func:`engine.prims.rnn.sequence`); ``fused=False`` composes every step from
primitives (slower, but supports ``create_graph=True`` for higher-order gradients).

For the sequence lab every step is kept: ``gate_records()`` (``last_gates`` for the top layer)
gives the gate activations as (T, B, H) arrays, built only when asked for, and after
``backward()``, ``hidden_grads()`` (and ``cell_grads()`` for the LSTM) give dL/dh_t for each
t, the quantity whose decay over t shows vanishing gradients.
"""
from __future__ import annotations

import numpy as np

from .. import functional as F
from ..devices import move
from ..node import Node, is_node
from ..prims import core as C
from ..prims.rnn import sequence, state_grads
from ..prims.shape import concat, getitem, stack
from . import init
from .module import Module, Parameter, as_generator

_LAYER0 = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
_REVERSED = slice(None, None, -1)


class _Recurrent(Module):
    """Weights, initial states, layers, directions and per-step records of RNN, LSTM and GRU.

    Each step produces one *state* whose first H columns are h_t (LSTM and GRU pack their
    gates after it); a layer and direction's run keeps the packed states, so the gradient
    that reached them after a backward pass is the total gradient reaching h_t.
    """

    cell = "rnn"
    gates = 1
    state_width = 1  # columns of H the recurrence carries (LSTM: h and c)
    gate_names = ""  # the packed columns after h: LSTM "cifgo", GRU "rzn"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, *,
                 fused: bool = True, seed=None, dtype=None):
        super().__init__()
        if int(num_layers) != num_layers or num_layers < 1:
            raise ValueError(f"num_layers must be a positive integer, got {num_layers!r}")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"dropout must be a probability in [0, 1], got {dropout!r}")
        rng = as_generator(seed)
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, int(num_layers)
        self.bias, self.batch_first, self.dropout = bias, batch_first, dropout
        self.bidirectional, self.fused = bidirectional, fused
        self._rng = rng
        g = self.gates * hidden_size
        for layer in range(self.num_layers):
            width = input_size if layer == 0 else hidden_size * self.directions
            for suffix in self._suffixes(layer):
                setattr(self, "weight_ih" + suffix, Parameter(np.empty((g, width))))
                setattr(self, "weight_hh" + suffix, Parameter(np.empty((g, hidden_size))))
                if bias:
                    setattr(self, "bias_ih" + suffix, Parameter(np.empty(g)))
                    setattr(self, "bias_hh" + suffix, Parameter(np.empty(g)))
        for p in self.parameters():
            init.default_uniform_(p, hidden_size, rng)
        if dtype is not None:
            self.to(dtype)
        self._runs: list = []

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    def _suffixes(self, layer: int) -> list[str]:
        return [f"_l{layer}" + ("_reverse" if d else "") for d in range(self.directions)]

    def __getattr__(self, name: str):
        if name in _LAYER0:
            return super().__getattr__(name + "_l0")
        return super().__getattr__(name)

    def _weights(self, layer: int, direction: int) -> tuple:
        suffix = self._suffixes(layer)[direction]
        w_ih, w_hh = getattr(self, "weight_ih" + suffix), getattr(self, "weight_hh" + suffix)
        if self.bias:
            return w_ih, w_hh, getattr(self, "bias_ih" + suffix), getattr(self, "bias_hh" + suffix)
        zero = self._on_device(np.zeros(w_hh.shape[0], dtype=w_hh.dtype))
        return w_ih, w_hh, zero, zero

    def _on_device(self, constant: np.ndarray):
        """A constant (zero state, absent bias) where the weights live."""
        device = self.weight_hh_l0.device
        return constant if device == "cpu" else move(constant, device)

    # -- running -------------------------------------------------------------------------
    def _run(self, x, states):
        """(out, final packed states per layer and direction) of the whole stack."""
        dtype = self.weight_hh_l0.dtype
        if not is_node(x):
            x = np.asarray(x, dtype=dtype)
        if len(x.shape) != 3:
            raise ValueError(f"{type(self).__name__} takes a (T, B, F) sequence"
                             f"{' (B, T, F) with batch_first' if self.batch_first else ''}, "
                             f"got shape {tuple(x.shape)}")
        if self.batch_first:
            x = C.transpose(x, (1, 0, 2))
        if x.shape[0] == 0:
            raise ValueError(f"{type(self).__name__} got an empty sequence (T = 0)")
        if x.shape[2] != self.input_size:
            raise ValueError(f"{type(self).__name__}: input has {x.shape[2]} features per step, "
                             f"the layer expects input_size = {self.input_size}")
        initial = self._initial(states, x.shape[1], dtype)
        self._runs, finals = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(self.directions):
                seq = x if d == 0 else getitem(x, _REVERSED)
                hseq, final, record = self._layer(seq, initial[len(finals)], *self._weights(layer, d))
                outs.append(hseq if d == 0 else getitem(hseq, _REVERSED))
                finals.append(final)
                self._runs.append((d, record))
            x = outs[0] if len(outs) == 1 else concat(outs, axis=2)
            if self.dropout and self.training and layer + 1 < self.num_layers:
                x = F.dropout(x, self.dropout, True, self._rng)
        if self.batch_first:
            x = C.transpose(x, (1, 0, 2))
        return x, finals

    def _layer(self, seq, s0, w_ih, w_hh, b_ih, b_hh):
        """One layer and direction: (h sequence (T, B, H), final packed state, record)."""
        h, width = self.hidden_size, self.state_width * self.hidden_size
        if self.fused:
            packed = sequence(self.cell, seq, s0, w_ih, w_hh, b_ih, b_hh, **self._params())
            return (getitem(packed, (slice(None), slice(None), slice(0, h))),
                    getitem(packed, (-1, slice(None), slice(0, width))), packed)
        xs = [getitem(seq, t) for t in range(seq.shape[0])] if is_node(seq) else list(seq)
        states, s = [], s0
        for xt in xs:
            s = self._step(xt, s, w_ih, w_hh, b_ih, b_hh)
            states.append(s)
        packed = stack(states)
        return (getitem(packed, (slice(None), slice(None), slice(0, h))),
                getitem(states[-1], (slice(None), slice(0, width))), states)

    def _params(self) -> dict:
        return {}

    def _initial(self, states, batch: int, dtype) -> list:
        """The packed initial state [h0, (c0)] of each layer and direction, (B, S·H)."""
        h, n = self.hidden_size, self.num_layers * self.directions
        if states is None:
            return [self._on_device(np.zeros((batch, self.state_width * h), dtype=dtype))] * n
        out = []
        for s in states:
            if np.size(s.data if is_node(s) else s) != n * batch * h:
                raise ValueError(f"{type(self).__name__}: an initial state must have shape "
                                 f"{(n, batch, h)}, got {tuple(np.shape(s.data if is_node(s) else s))}")
            out.append(C.reshape(s if is_node(s) else np.asarray(s, dtype=dtype), (n, batch, h)))
        result = []
        for k in range(n):
            parts = [getitem(s, k) for s in out]
            if len(parts) == 1:
                result.append(parts[0])
            elif any(is_node(p) for p in parts):
                result.append(concat(parts, axis=1))
            else:
                result.append(np.concatenate(parts, axis=1))
        return result

    def _last(self, finals: list, block: int):
        """h_n (block 0) or c_n (block 1), (layers·directions, B, H)."""
        h = self.hidden_size
        return stack([getitem(f, (slice(None), slice(block * h, (block + 1) * h))) for f in finals])

    # -- records for views -----------------------------------------------------------------
    def _record(self, layer: int, direction: int):
        if not self._runs:
            raise RuntimeError(f"run the {type(self).__name__} forward before reading its records")
        layer %= self.num_layers
        return self._runs[layer * self.directions + direction]

    def packed_states(self, layer: int = -1, direction: int = 0) -> np.ndarray:
        """Every step's packed state and gates of one layer and direction, (T, B, ·),
        in input time order."""
        d, record = self._record(layer, direction)
        packed = record.data if isinstance(record, Node) else np.stack([s.data for s in record])
        return packed[::-1] if d else packed

    def hidden_states(self, layer: int = -1, direction: int = 0) -> np.ndarray:
        """h_t for t = 1..T as (T, B, H) of one layer and direction (the top layer by default)."""
        return self.packed_states(layer, direction)[:, :, :self.hidden_size]

    def gate_records(self, layer: int = -1, direction: int = 0) -> dict[str, np.ndarray]:
        """The gate activations, cell and hidden state of one layer and direction, each
        (T, B, H), computed from the last forward pass when asked for."""
        packed, h = self.packed_states(layer, direction), self.hidden_size
        names = "h" + self.gate_names if self.gate_names else ""
        return {k: packed[:, :, j * h:(j + 1) * h].copy() for j, k in enumerate(names)}

    @property
    def last_gates(self) -> dict[str, np.ndarray]:
        """:meth:`gate_records` of the top layer's forward direction ({} before the first forward)."""
        return self.gate_records() if self._runs else {}

    def hidden_grads(self, layer: int = -1, direction: int = 0) -> np.ndarray:
        """dL/dh_t for t = 1..T as (T, B, H), after ``backward()`` (zeros where none reached)."""
        return self._state_grads(0, layer, direction)

    def _state_grads(self, block: int, layer: int = -1, direction: int = 0) -> np.ndarray:
        h = self.hidden_size
        d, record = self._record(layer, direction)
        cols = slice(block * h, (block + 1) * h)
        if isinstance(record, Node):
            grads = state_grads(record.data)
            out = (np.zeros(record.shape[:2] + (h,), dtype=record.dtype) if grads is None
                   else grads[:, :, cols])
        else:
            out = np.stack([np.zeros(s.shape[:1] + (h,), dtype=s.dtype) if s.grad is None
                            else s.grad[:, cols] for s in record])
        return out[::-1] if d else out

    def extra_repr(self) -> str:
        options = [f"num_layers={self.num_layers}" if self.num_layers != 1 else "",
                   "bias=False" if not self.bias else "",
                   "batch_first=True" if self.batch_first else "",
                   f"dropout={self.dropout}" if self.dropout else "",
                   "bidirectional=True" if self.bidirectional else "", f"fused={self.fused}"]
        return ", ".join([f"{self.input_size}, {self.hidden_size}"] + [o for o in options if o])


class RNN(_Recurrent):
    """Elman RNN: h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), act tanh or relu;
    returns ``out, h_n`` with h_n shaped (layers·directions, B, H)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, *, fused: bool = True,
                 seed=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, fused=fused, seed=seed, dtype=dtype)
        self.nonlinearity = nonlinearity

    def _params(self) -> dict:
        return {"nonlinearity": self.nonlinearity}

    def forward(self, x, h0=None):
        out, finals = self._run(x, None if h0 is None else (h0,))
        return out, self._last(finals, 0)

    def _step(self, xt, state, w_ih, w_hh, b_ih, b_hh):
        act = F.tanh if self.nonlinearity == "tanh" else F.relu
        return act(F.linear(xt, w_ih, b_ih) + F.linear(state, w_hh, b_hh))


class LSTM(_Recurrent):
    """Long short-term memory; returns ``out, (h_n, c_n)`` with h_n, c_n shaped
    (layers·directions, B, H).

    Gates, in the lecture's words: i = write (input) gate, f = forget gate,
    o = read (output) gate, g = the candidate cell value c'_t; then
    c_t = f ⊙ c_{t-1} + i ⊙ g and h_t = o ⊙ tanh(c_t).  ``gate_records()`` has keys
    "i", "f", "g", "o", "c", "h".
    """

    cell = "lstm"
    gates = 4
    state_width = 2
    gate_names = "cifgo"

    def forward(self, x, state=None):
        out, finals = self._run(x, state)
        return out, (self._last(finals, 0), self._last(finals, 1))

    def _step(self, xt, s, w_ih, w_hh, b_ih, b_hh):
        """One step composed from primitives (supports create_graph=True)."""
        h = self.hidden_size
        pre = F.linear(xt, w_ih, b_ih) + F.linear(getitem(s, (slice(None), slice(0, h))), w_hh, b_hh)
        i, f, o = (F.sigmoid(getitem(pre, (slice(None), slice(k * h, (k + 1) * h)))) for k in (0, 1, 3))
        g = F.tanh(getitem(pre, (slice(None), slice(2 * h, 3 * h))))
        c = f * getitem(s, (slice(None), slice(h, 2 * h))) + i * g
        return concat([o * F.tanh(c), c, i, f, g, o], axis=1)

    def cell_grads(self, layer: int = -1, direction: int = 0) -> np.ndarray:
        """Total dL/dc_t for t = 1..T as (T, B, H), after ``backward()``.

        The packed state's c column only holds the gradient arriving from the next
        step; c_t also reaches the loss through h_t = o_t ⊙ tanh(c_t), so that
        path (dL/dh_t · o_t · (1 - tanh² c_t)) is added here.
        """
        g = self.gate_records(layer, direction)
        return (self._state_grads(1, layer, direction)
                + self.hidden_grads(layer, direction) * g["o"] * (1.0 - np.tanh(g["c"]) ** 2))


class GRU(_Recurrent):
    """Gated recurrent unit; returns ``out, h_n`` with h_n shaped (layers·directions, B, H).

    r = reset gate, z = update gate, n = candidate; h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}.
    ``gate_records()`` has keys "r", "z", "n", "h".
    """

    cell = "gru"
    gates = 3
    gate_names = "rzn"

    def forward(self, x, h0=None):
        out, finals = self._run(x, None if h0 is None else (h0,))
        return out, self._last(finals, 0)

    def _step(self, xt, s, w_ih, w_hh, b_ih, b_hh):
        h = self.hidden_size
        h_prev = getitem(s, (slice(None), slice(0, h)))
        xi = F.linear(xt, w_ih, b_ih)
        hh = F.linear(h_prev, w_hh, b_hh)

        def part(a, k):
            return getitem(a, (slice(None), slice(k * h, (k + 1) * h)))
        r = F.sigmoid(part(xi, 0) + part(hh, 0))
        z = F.sigmoid(part(xi, 1) + part(hh, 1))
        hn = part(hh, 2)
        n = F.tanh(part(xi, 2) + r * hn)
        return concat([(1.0 - z) * n + z * h_prev, r, z, n, hn], axis=1)
