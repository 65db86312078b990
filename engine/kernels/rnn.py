"""Fused pointwise parts of LSTM and GRU cell steps (forward and backward).

The matrix products stay in BLAS; these loops apply the gate nonlinearities and
the cell update in one pass, and save every gate so the backward pass never
recomputes them.  Packed layouts (columns of width H):

* LSTM step output: ``[h, c, i, f, g, o]``;  pre-activations ``[i, f, g, o]``.
* GRU step output:  ``[h, r, z, n, hn]`` with ``hn = W_hn h + b_hn``.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

FAST = {"nsz", "arcp", "contract", "afn", "reassoc"}
"""Fast-math flags that let LLVM vectorize the exponentials but keep inf/nan semantics,
so 1 / (1 + e^800) is still exactly 0."""


@njit(cache=True, inline="always", fastmath=FAST)
def _sig(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v))


@njit(cache=True, inline="always", fastmath=FAST)
def _tanh(v: float) -> float:
    """tanh(v) = 2σ(2v) - 1: one exponential (absolute error ~1e-16)."""
    return 2.0 / (1.0 + math.exp(-2.0 * v)) - 1.0


@njit(cache=True, fastmath=FAST)
def lstm_forward(pre: np.ndarray, c_prev: np.ndarray) -> np.ndarray:
    """Gates from (B, 4H) pre-activations and the new state, packed (B, 6H)."""
    b, h4 = pre.shape
    h = h4 // 4
    out = np.empty((b, 6 * h), dtype=pre.dtype)
    for r in range(b):
        for k in range(h):
            i = _sig(pre[r, k])
            f = _sig(pre[r, h + k])
            g = _tanh(pre[r, 2 * h + k])
            o = _sig(pre[r, 3 * h + k])
            c = f * c_prev[r, k] + i * g
            out[r, k] = o * _tanh(c)
            out[r, h + k] = c
            out[r, 2 * h + k] = i
            out[r, 3 * h + k] = f
            out[r, 4 * h + k] = g
            out[r, 5 * h + k] = o
    return out


@njit(cache=True, fastmath=FAST)
def lstm_backward(grad: np.ndarray, packed: np.ndarray, c_prev: np.ndarray):
    """Pre-activation gradients (B, 4H) and dL/dc_prev (B, H) from dL/d(packed)."""
    b, h6 = packed.shape
    h = h6 // 6
    dpre = np.empty((b, 4 * h), dtype=packed.dtype)
    dc_prev = np.empty((b, h), dtype=packed.dtype)
    for r in range(b):
        for k in range(h):
            c = packed[r, h + k]
            i = packed[r, 2 * h + k]
            f = packed[r, 3 * h + k]
            g = packed[r, 4 * h + k]
            o = packed[r, 5 * h + k]
            gh = grad[r, k]
            tc = _tanh(c)
            dc = grad[r, h + k] + gh * o * (1.0 - tc * tc)
            di = dc * g + grad[r, 2 * h + k]
            df = dc * c_prev[r, k] + grad[r, 3 * h + k]
            dg = dc * i + grad[r, 4 * h + k]
            do = gh * tc + grad[r, 5 * h + k]
            dpre[r, k] = di * i * (1.0 - i)
            dpre[r, h + k] = df * f * (1.0 - f)
            dpre[r, 2 * h + k] = dg * (1.0 - g * g)
            dpre[r, 3 * h + k] = do * o * (1.0 - o)
            dc_prev[r, k] = dc * f
    return dpre, dc_prev


@njit(cache=True, fastmath=FAST)
def gru_forward(xi: np.ndarray, hh: np.ndarray, h_prev: np.ndarray) -> np.ndarray:
    """GRU step from input (B, 3H) and hidden (B, 3H) projections, packed (B, 5H)."""
    b, h3 = xi.shape
    h = h3 // 3
    out = np.empty((b, 5 * h), dtype=xi.dtype)
    for r in range(b):
        for k in range(h):
            rg = _sig(xi[r, k] + hh[r, k])
            z = _sig(xi[r, h + k] + hh[r, h + k])
            hn = hh[r, 2 * h + k]
            n = _tanh(xi[r, 2 * h + k] + rg * hn)
            out[r, k] = (1.0 - z) * n + z * h_prev[r, k]
            out[r, h + k] = rg
            out[r, 2 * h + k] = z
            out[r, 3 * h + k] = n
            out[r, 4 * h + k] = hn
    return out


@njit(cache=True, fastmath=FAST)
def gru_backward(grad: np.ndarray, packed: np.ndarray, h_prev: np.ndarray):
    """Input-side (B, 3H) and hidden-side (B, 3H) pre-activation gradients, and the
    direct part z * dh of dL/dh_prev, from dL/d(packed)."""
    b, h5 = packed.shape
    h = h5 // 5
    dxi = np.empty((b, 3 * h), dtype=packed.dtype)
    dhh = np.empty((b, 3 * h), dtype=packed.dtype)
    dh_direct = np.empty((b, h), dtype=packed.dtype)
    for r in range(b):
        for k in range(h):
            rg = packed[r, h + k]
            z = packed[r, 2 * h + k]
            n = packed[r, 3 * h + k]
            hn = packed[r, 4 * h + k]
            gh = grad[r, k]
            dn = gh * (1.0 - z) + grad[r, 3 * h + k]
            dz = gh * (h_prev[r, k] - n) + grad[r, 2 * h + k]
            dan = dn * (1.0 - n * n)
            dr = dan * hn + grad[r, h + k]
            dar = dr * rg * (1.0 - rg)
            daz = dz * z * (1.0 - z)
            dxi[r, k] = dar
            dxi[r, h + k] = daz
            dxi[r, 2 * h + k] = dan
            dhh[r, k] = dar
            dhh[r, h + k] = daz
            dhh[r, 2 * h + k] = dan * rg + grad[r, 4 * h + k]
            dh_direct[r, k] = gh * z
    return dxi, dhh, dh_direct
