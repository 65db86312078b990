"""Fused LSTM and GRU cell steps: one primitive, one node per time step.

The forward computes every gate in one Numba pass and returns them packed next
to the new state (see :mod:`engine.kernels.rnn`), so the backward reuses the
saved gates instead of recomputing them.  The rules only run on raw arrays;
``create_graph=True`` or forward mode needs the cell composed from primitives
(``LSTM(..., fused=False)``), which :mod:`engine.nn.rnn` provides.
"""
from __future__ import annotations

import numpy as np

from ..kernels import rnn as K
from ..registry import register
from .fastcall import call

_HIGHER_ORDER = ("the fused {} cell's gradient runs on arrays only, so it cannot record a graph "
                 "for create_graph=True or forward mode; build the layer with fused=False "
                 "(e.g. nn.{}(..., fused=False)), which composes the cell from primitives "
                 "and supports higher-order gradients")


class _OneSlot:
    """Remember the last backward step: the per-argument VJPs of one node share it."""

    def __init__(self):
        self.key = (None, None)
        self.value = None

    def get(self, g, out, compute):
        if self.key[0] is not g or self.key[1] is not out:
            self.value = compute()
            self.key = (g, out)
        return self.value


# -- LSTM: packed output [h, c, i, f, g, o] ----------------------------------------------
def _lstm_forward(x, state, w_ih, w_hh, b_ih, b_hh):
    h = w_hh.shape[1]
    pre = x @ w_ih.T
    pre += state[:, :h] @ w_hh.T
    pre += b_ih
    pre += b_hh
    return K.lstm_forward(pre, state[:, h:2 * h])


_lstm_cache = _OneSlot()


def _lstm_grads(g, out, x, state, w_ih, w_hh, b_ih, b_hh):
    if hasattr(g, "prim") or hasattr(out, "prim"):
        raise NotImplementedError(_HIGHER_ORDER.format("LSTM", "LSTM"))

    def compute():
        h = w_hh.shape[1]
        dpre, dc_prev = K.lstm_backward(g, out, state[:, h:2 * h])
        dstate = np.zeros_like(state)
        dstate[:, :h] = dpre @ w_hh
        dstate[:, h:2 * h] = dc_prev
        db = dpre.sum(0)
        return dpre @ w_ih, dstate, dpre.T @ x, dpre.T @ state[:, :h], db, db
    return _lstm_cache.get(g, out, compute)


def _no_jvp(cell):
    def jvp(*args, **kwargs):
        raise NotImplementedError(_HIGHER_ORDER.format(cell, cell))
    return jvp


LSTM_CELL = register("lstm_cell", "LSTM", _lstm_forward,
                     tuple((lambda k: lambda *a: _lstm_grads(*a)[k])(k) for k in range(6)),
                     (_no_jvp("LSTM"),) * 6)


def lstm_cell(x, state, w_ih, w_hh, b_ih, b_hh):
    """One LSTM step: x (B, F), state (B, ≥2H) holding [h, c, ...] → packed (B, 6H) [h, c, i, f, g, o]."""
    return call("lstm_cell", x, state, w_ih, w_hh, b_ih, b_hh)


# -- GRU: packed output [h, r, z, n, hn] --------------------------------------------------
def _gru_forward(x, state, w_ih, w_hh, b_ih, b_hh):
    h = w_hh.shape[1]
    xi = x @ w_ih.T
    xi += b_ih
    hh = state[:, :h] @ w_hh.T
    hh += b_hh
    return K.gru_forward(xi, hh, state[:, :h])


_gru_cache = _OneSlot()


def _gru_grads(g, out, x, state, w_ih, w_hh, b_ih, b_hh):
    if hasattr(g, "prim") or hasattr(out, "prim"):
        raise NotImplementedError(_HIGHER_ORDER.format("GRU", "GRU"))

    def compute():
        h = w_hh.shape[1]
        h_prev = state[:, :h]
        dxi, dhh, dh_direct = K.gru_backward(g, out, h_prev)
        dstate = np.zeros_like(state)
        dstate[:, :h] = dhh @ w_hh + dh_direct
        return dxi @ w_ih, dstate, dxi.T @ x, dhh.T @ h_prev, dxi.sum(0), dhh.sum(0)
    return _gru_cache.get(g, out, compute)


GRU_CELL = register("gru_cell", "GRU", _gru_forward,
                    tuple((lambda k: lambda *a: _gru_grads(*a)[k])(k) for k in range(6)),
                    (_no_jvp("GRU"),) * 6)


def gru_cell(x, state, w_ih, w_hh, b_ih, b_hh):
    """One GRU step: x (B, F), state (B, ≥H) holding [h, ...] → packed (B, 5H) [h, r, z, n, hn]."""
    return call("gru_cell", x, state, w_ih, w_hh, b_ih, b_hh)
