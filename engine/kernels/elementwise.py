"""Fused Numba loops for piecewise activations (value and derivative in one pass), and erf.

NumPy needs a mask, an ``expm1`` and a ``where`` (three passes and temporaries);
these loops read each element once.  NumPy has no erf, and SciPy is no runtime
dependency, so erf on arrays is a loop over ``math.erf`` here.  They work on flat
contiguous arrays.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def leaky_relu(x: np.ndarray, slope: float) -> np.ndarray:
    out = np.empty_like(x)
    for k in range(x.size):
        v = x[k]
        out[k] = v if v > 0.0 else slope * v
    return out


@njit(cache=True)
def leaky_relu_grad(g: np.ndarray, x: np.ndarray, slope: float) -> np.ndarray:
    out = np.empty_like(g)
    for k in range(g.size):
        out[k] = g[k] if x[k] > 0.0 else slope * g[k]
    return out


@njit(cache=True)
def elu(x: np.ndarray, alpha: float, scale: float) -> np.ndarray:
    """scale * (x if x > 0 else alpha (e^x - 1)): ELU (scale 1) and SELU."""
    out = np.empty_like(x)
    for k in range(x.size):
        v = x[k]
        out[k] = scale * v if v > 0.0 else scale * alpha * np.expm1(v)
    return out


@njit(cache=True)
def elu_grad(g: np.ndarray, x: np.ndarray, out: np.ndarray, alpha: float, scale: float) -> np.ndarray:
    """g * d(elu)/dx, using out + scale*alpha = scale*alpha*e^x on the negative side."""
    res = np.empty_like(g)
    sa = scale * alpha
    for k in range(g.size):
        res[k] = g[k] * scale if x[k] > 0.0 else g[k] * (out[k] + sa)
    return res


@njit(cache=True)
def erf(x: np.ndarray) -> np.ndarray:
    """The error function elementwise (``math.erf``), for arrays without SciPy."""
    out = np.empty_like(x)
    for k in range(x.size):
        out[k] = math.erf(x[k])
    return out
