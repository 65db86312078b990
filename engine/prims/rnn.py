"""Fused LSTM and GRU cell steps: one primitive, one node per time step.

The forward computes every gate in one Numba pass and returns them packed next
to the new state (see :mod:`engine.kernels.rnn`), so the backward reuses the
saved gates instead of recomputing them.  The rules only run on raw arrays;
``create_graph=True`` or forward mode needs the cell composed from primitives
(``LSTM(..., fused=False)``), which :mod:`engine.nn.rnn` provides.
"""
from __future__ import annotations

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
