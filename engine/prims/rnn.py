"""Fused recurrent primitives: LSTM and GRU cell steps (one node per time step) and
whole RNN, LSTM and GRU sequences (one node per layer and direction).

The forward computes every gate in one Numba pass and returns them packed next
to the new state (see :mod:`engine.kernels.rnn`), so the backward reuses the
saved gates instead of recomputing them.  The rules only run on raw arrays;
``create_graph=True`` or forward mode needs the cell composed from primitives
(``LSTM(..., fused=False)``), which :mod:`engine.nn.rnn` provides.
"""
from __future__ import annotations

import weakref

import numpy as np

from ..kernels import lazy
from ..node import is_node
from ..registry import register
from .dispatch import call

K = lazy("rnn")  # Numba is imported on the first op that needs it

_HIGHER_ORDER = ("the fused {} cell's gradient runs on arrays only, so it cannot record a graph "
                 "for create_graph=True or forward mode; build the layer with fused=False "
                 "(e.g. nn.{}(..., fused=False)), which composes the cell from primitives "
                 "and supports higher-order gradients")


class _OneSlot:
    """Remember the last step's kernel result: the per-argument VJPs of one node share it."""

    def __init__(self, kernel: str, cell: str):
        self.kernel, self.cell = kernel, cell
        self.key: tuple = (None, None)
        self.value = None

    def __call__(self, g, out, prev):
        """``kernel(g, out, prev)``, computed once per (g, out) pair; raw arrays only."""
        if is_node(g) or is_node(out):
            raise NotImplementedError(_HIGHER_ORDER.format(self.cell, self.cell))
        if self.key[0] is not g or self.key[1] is not out:
            self.value = getattr(K, self.kernel)(g, out, prev)
            self.key = (g, out)
        return self.value


def _no_jvp(cell):
    def jvp(*args, **kwargs):
        raise NotImplementedError(_HIGHER_ORDER.format(cell, cell))
    return jvp


# -- LSTM: packed output [h, c, i, f, g, o] ----------------------------------------------
# The weights arrive joined, w = [W_ih | W_hh] (4H, F + H) and b = b_ih + b_hh, so a step
# is one matrix product on [x, h] and the backward pass has three weight-side rules, not five.
def _lstm_forward(x, state, w, b):
    h = w.shape[0] // 4
    pre = np.concatenate([x, state[:, :h]], axis=1) @ w.T
    pre += b
    return K.lstm_forward(pre, state[:, h:2 * h])


_lstm_back = _OneSlot("lstm_backward", "LSTM")


def _lstm_dpre(g, out, state, w):
    """dL/d(pre-activations) (B, 4H), shared by the per-argument rules."""
    h = w.shape[0] // 4
    return _lstm_back(g, out, state[:, h:2 * h])[0]


def _lstm_dstate(g, out, x, state, w, b):
    h = w.shape[0] // 4
    dpre, dc_prev = _lstm_back(g, out, state[:, h:2 * h])
    dstate = np.zeros_like(state)
    dstate[:, :h] = dpre @ w[:, x.shape[1]:]
    dstate[:, h:2 * h] = dc_prev
    return dstate


def _lstm_dw(g, out, x, state, w, b):
    h = w.shape[0] // 4
    return _lstm_dpre(g, out, state, w).T @ np.concatenate([x, state[:, :h]], axis=1)


LSTM_CELL = register(
    "lstm_cell", "LSTM", _lstm_forward,
    (lambda g, out, x, s, w, b: _lstm_dpre(g, out, s, w) @ w[:, :x.shape[1]],
     _lstm_dstate,
     _lstm_dw,
     lambda g, out, x, s, w, b: _lstm_dpre(g, out, s, w).sum(0)),
    (_no_jvp("LSTM"),) * 4)


def lstm_cell(x, state, w, b):
    """One LSTM step: x (B, F), state (B, ≥2H) holding [h, c, ...], joined weights
    w = [W_ih | W_hh] (4H, F + H) and bias b = b_ih + b_hh → packed (B, 6H) [h, c, i, f, g, o]."""
    return call("lstm_cell", x, state, w, b)


# -- GRU: packed output [h, r, z, n, hn] --------------------------------------------------
def _gru_forward(x, state, w_ih, w_hh, b_ih, b_hh):
    h = w_hh.shape[1]
    xi = x @ w_ih.T
    xi += b_ih
    hh = state[:, :h] @ w_hh.T
    hh += b_hh
    return K.gru_forward(xi, hh, state[:, :h])


_gru_back = _OneSlot("gru_backward", "GRU")


def _gru_parts(g, out, state, w_hh):
    """(input-side, hidden-side, direct) gradients, shared by the six per-argument rules."""
    return _gru_back(g, out, state[:, :w_hh.shape[1]])


def _gru_dstate(g, out, x, state, w_ih, w_hh, b_ih, b_hh):
    _, dhh, dh_direct = _gru_parts(g, out, state, w_hh)
    dstate = np.zeros_like(state)
    dstate[:, :w_hh.shape[1]] = dhh @ w_hh + dh_direct
    return dstate


GRU_CELL = register(
    "gru_cell", "GRU", _gru_forward,
    (lambda g, out, x, s, wi, wh, bi, bh: _gru_parts(g, out, s, wh)[0] @ wi,
     _gru_dstate,
     lambda g, out, x, s, wi, wh, bi, bh: _gru_parts(g, out, s, wh)[0].T @ x,
     lambda g, out, x, s, wi, wh, bi, bh: _gru_parts(g, out, s, wh)[1].T @ s[:, :wh.shape[1]],
     lambda g, out, x, s, wi, wh, bi, bh: _gru_parts(g, out, s, wh)[0].sum(0),
     lambda g, out, x, s, wi, wh, bi, bh: _gru_parts(g, out, s, wh)[1].sum(0)),
    (_no_jvp("GRU"),) * 6)


def gru_cell(x, state, w_ih, w_hh, b_ih, b_hh):
    """One GRU step: x (B, F), state (B, ≥H) holding [h, ...] → packed (B, 5H) [h, r, z, n, hn]."""
    return call("gru_cell", x, state, w_ih, w_hh, b_ih, b_hh)


# -- whole sequences: one node per layer and direction --------------------------------------
# x (T, B, F), the initial state s0 (B, S·H) ([h0] or [h0, c0]), w_ih (G·H, F), w_hh (G·H, H),
# b_ih, b_hh (G·H,).  The input projection of all T steps is one product; each step adds
# h @ W_hhᵀ and runs the pointwise kernel; BPTT collects the pre-activation gradients of all
# steps and forms every weight gradient as one product over the T·B rows.  The output packs
# each step's state and gates: RNN [h], LSTM [h, c, i, f, g, o], GRU [h, r, z, n, hn].
class _Bptt:
    """One BPTT result per (output, upstream gradient): the six rules share it, and
    :func:`state_grads` reads the gradient that reached each step's state."""

    def __init__(self):
        self.entries: dict[int, tuple] = {}

    def __call__(self, backward, cell: str, g, out, *args, **params):
        if is_node(g) or is_node(out):
            raise NotImplementedError(_HIGHER_ORDER.format(cell, cell))
        entry = self.entries.get(id(out))
        if entry is not None and entry[0]() is out and entry[1]() is g:
            return entry[2]
        result = backward(g, out, *args, **params)
        self.remember(out, g, result)
        return result

    def remember(self, out, g, result: dict) -> None:
        """Keep one backward pass's result (at least its ``states``) for ``out``; the CUDA
        rules call it too, with ``out`` their device buffer and ``states`` on the host."""
        try:
            key = id(out)
            self.entries[key] = (weakref.ref(out, lambda _: self.entries.pop(key, None)),
                                 weakref.ref(g), result)
        except TypeError:  # a gradient that cannot be weakly referenced is not cached
            pass

    def state_grads(self, out):
        """The last backward pass's dL/d(state_t) (T, B, S·H) for this output, or None
        (a GPU tensor's are kept under its device buffer, ``DeviceArray.array``)."""
        out = getattr(out, "array", out)
        entry = self.entries.get(id(out))
        return entry[2]["states"] if entry is not None and entry[0]() is out else None


_BPTT = _Bptt()
state_grads = _BPTT.state_grads
remember_state_grads = _BPTT.remember


def _project(x, w, b):
    """x (T, B, F) @ wᵀ + b for all steps in one product: (T, B, G·H)."""
    t, batch, f = x.shape
    p = np.reshape(x, (t * batch, f)) @ w.T
    p += b
    return p.reshape(t, batch, w.shape[0])


def _previous(out, s0, cols):
    """Each step's previous state columns (T, B, len): s0's, then the outputs' shifted by one."""
    prev = np.empty(out.shape[:2] + (cols.stop - cols.start,), dtype=out.dtype)
    prev[0] = s0[:, cols]
    prev[1:] = out[:-1, :, cols]
    return prev


def _weight_grads(d_in, d_hid, x, h_prev):
    """dW_ih, dW_hh, db_ih, db_hh from pre-activation gradients of all T·B rows."""
    t, batch, f = x.shape
    d_in2 = d_in.reshape(t * batch, -1)
    d_hid2 = d_hid.reshape(t * batch, -1)
    return (d_in2.T @ x.reshape(t * batch, f), d_hid2.T @ h_prev.reshape(t * batch, -1),
            d_in2.sum(0), d_hid2.sum(0))


def _rnn_seq_forward(x, s0, w_ih, w_hh, b_ih, b_hh, nonlinearity="tanh"):
    p = _project(x, w_ih, b_ih + b_hh)
    h = s0[:, :w_hh.shape[1]]
    out = np.empty(p.shape, dtype=p.dtype)
    act = np.tanh if nonlinearity == "tanh" else (lambda v, out: np.maximum(v, 0, out=out))
    for t in range(len(p)):
        pre = p[t]
        pre += h @ w_hh.T
        h = act(pre, out=out[t])
    return out


def _rnn_seq_backward(g, out, x, s0, w_ih, w_hh, b_ih, b_hh, nonlinearity="tanh"):
    states = np.array(g, dtype=out.dtype)  # becomes dL/dh_t, the total reaching each step
    dpre = np.empty_like(out)
    for t in range(len(out) - 1, -1, -1):
        if t + 1 < len(out):
            states[t] += dpre[t + 1] @ w_hh
        h = out[t]
        # relu passes NaN's gradient, as the engine's relu and torch
        dpre[t] = states[t] * (1.0 - h * h) if nonlinearity == "tanh" else np.where(h <= 0, 0.0, states[t])
    ds0 = np.zeros_like(s0)
    if len(out):
        ds0[:, :w_hh.shape[1]] = dpre[0] @ w_hh
    h_prev = _previous(out, s0, slice(0, w_hh.shape[1]))
    return dict(states=states, dx=dpre @ w_ih, ds0=ds0,
                weights=_weight_grads(dpre, dpre, x, h_prev))


def _sigmoid(x, out):
    """σ(x) = 1 / (1 + e^-x) into ``out`` with NumPy's vectorised exp (e^800 = inf gives 0)."""
    np.negative(x, out=out)
    np.exp(out, out=out)
    out += 1.0
    np.reciprocal(out, out=out)


def _lstm_seq_forward(x, s0, w_ih, w_hh, b_ih, b_hh):
    h = w_hh.shape[1]
    p = _project(x, w_ih, b_ih + b_hh)
    w = np.ascontiguousarray(w_hh.T)  # a contiguous (H, 4H) and h make the per-step product fast
    out = np.empty(p.shape[:2] + (6 * h,), dtype=p.dtype)
    h_t, c_prev = np.ascontiguousarray(s0[:, :h]), s0[:, h:2 * h]
    ig = np.empty_like(h_t)
    with np.errstate(over="ignore"):
        for t in range(len(p)):
            pre, y = p[t], out[t]
            pre += h_t @ w
            # every gate through one contiguous sigmoid, g as tanh(v) = 2σ(2v) - 1
            pre[:, 2 * h:3 * h] *= 2.0
            _sigmoid(pre, pre)
            g = pre[:, 2 * h:3 * h]
            g *= 2.0
            g -= 1.0
            y[:, 2 * h:] = pre
            c = y[:, h:2 * h]
            np.multiply(pre[:, h:2 * h], c_prev, out=c)
            np.multiply(pre[:, :h], g, out=ig)
            c += ig
            h_t = np.tanh(c)
            h_t *= pre[:, 3 * h:]
            y[:, :h] = h_t
            c_prev = c
    return out


def _lstm_seq_backward(g, out, x, s0, w_ih, w_hh, b_ih, b_hh):
    h = w_hh.shape[1]
    t_len, batch = out.shape[:2]
    states = np.array(g, dtype=out.dtype)  # dL/d(packed output_t), the recurrence added in
    # every factor that does not depend on the recurrence, for all steps at once
    gates, gate_g, f = out[:, :, 2 * h:], out[:, :, 4 * h:5 * h], out[:, :, 3 * h:4 * h]
    tc = np.tanh(out[:, :, h:2 * h])
    o_dtanh = out[:, :, 5 * h:] * (1.0 - tc * tc)
    deriv = gates * (1.0 - gates)                    # σ' of i, f, o ...
    deriv[:, :, 2 * h:3 * h] = 1.0 - gate_g * gate_g  # ... and tanh' of g
    factors = np.empty((t_len, batch, 3, h), dtype=out.dtype)  # dc times these: di, df, dg
    factors[:, :, 0] = gate_g
    factors[:, :, 1] = _previous(out, s0, slice(h, 2 * h))
    factors[:, :, 2] = out[:, :, 2 * h:3 * h]
    gate_grads = bool(np.any(states[:, :, 2 * h:]))  # gates used outside the layer (rarely)
    dpre = np.empty((t_len, batch, 4 * h), dtype=out.dtype)
    blocks = dpre.reshape(t_len, batch, 4, h)
    carry = None
    for t in range(t_len - 1, -1, -1):
        G = states[t]
        gh = G[:, :h]
        if carry is not None:
            gh += dpre[t + 1] @ w_hh
            G[:, h:2 * h] += carry
        dc = gh * o_dtanh[t]
        dc += G[:, h:2 * h]
        np.multiply(factors[t], dc[:, None, :], out=blocks[t, :, :3])
        np.multiply(gh, tc[t], out=blocks[t, :, 3])
        if gate_grads:
            dpre[t] += G[:, 2 * h:]
        dpre[t] *= deriv[t]
        carry = dc * f[t]
    ds0 = np.zeros_like(s0)
    if t_len:
        ds0[:, :h] = dpre[0] @ w_hh
        ds0[:, h:2 * h] = carry
    h_prev = _previous(out, s0, slice(0, h))
    return dict(states=states, dx=dpre @ w_ih, ds0=ds0,
                weights=_weight_grads(dpre, dpre, x, h_prev))


def _gru_seq_forward(x, s0, w_ih, w_hh, b_ih, b_hh):
    h = w_hh.shape[1]
    xi = _project(x, w_ih, b_ih)
    out = np.empty(xi.shape[:2] + (5 * h,), dtype=xi.dtype)
    h_prev = np.ascontiguousarray(s0[:, :h])
    for t in range(len(xi)):
        hh = h_prev @ w_hh.T
        hh += b_hh
        out[t] = K.gru_forward(xi[t], hh, h_prev)
        h_prev = out[t, :, :h]
    return out


def _gru_seq_backward(g, out, x, s0, w_ih, w_hh, b_ih, b_hh):
    h = w_hh.shape[1]
    states = np.array(g, dtype=out.dtype)
    d_in = np.empty(out.shape[:2] + (3 * h,), dtype=out.dtype)
    d_hid = np.empty_like(d_in)
    h_prev = _previous(out, s0, slice(0, h))
    direct = None
    for t in range(len(out) - 1, -1, -1):
        if direct is not None:
            states[t, :, :h] += d_hid[t + 1] @ w_hh + direct
        d_in[t], d_hid[t], direct = K.gru_backward(states[t], out[t], h_prev[t])
    ds0 = np.zeros_like(s0)
    if len(out):
        ds0[:, :h] = d_hid[0] @ w_hh + direct
    return dict(states=states, dx=d_in @ w_ih, ds0=ds0,
                weights=_weight_grads(d_in, d_hid, x, h_prev))


def _sequence_rules(backward, cell: str) -> tuple:
    """The six VJPs (x, s0, w_ih, w_hh, b_ih, b_hh) of one BPTT result."""
    def part(pick):
        return lambda g, out, *args, **params: pick(_BPTT(backward, cell, g, out, *args, **params))
    return (part(lambda r: r["dx"]), part(lambda r: r["ds0"]),
            *(part(lambda r, k=k: r["weights"][k]) for k in range(4)))


for _name, _cell, _forward, _backward in (
        ("rnn_seq", "RNN", _rnn_seq_forward, _rnn_seq_backward),
        ("lstm_seq", "LSTM", _lstm_seq_forward, _lstm_seq_backward),
        ("gru_seq", "GRU", _gru_seq_forward, _gru_seq_backward)):
    register(_name, _cell, _forward, _sequence_rules(_backward, _cell), (_no_jvp(_cell),) * 6)


def sequence(cell: str, x, s0, w_ih, w_hh, b_ih, b_hh, **params):
    """A whole sequence through one layer and direction of ``cell`` ("rnn", "lstm", "gru"):
    x (T, B, F), s0 (B, S·H) → packed (T, B, ·): RNN [h], LSTM [h, c, i, f, g, o],
    GRU [h, r, z, n, hn] per step (``params``: the RNN's ``nonlinearity``)."""
    return call(f"{cell}_seq", x, s0, w_ih, w_hh, b_ih, b_hh, **params)
