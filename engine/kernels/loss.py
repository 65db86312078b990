"""Fused softmax cross-entropy: log-sum-exp, loss and gradient in one pass per row."""
from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def _row_max(logits: np.ndarray, r: int) -> float:
    """The largest logit of row ``r``, subtracted before exponentiating for stability."""
    m = logits[r, 0]
    for k in range(1, logits.shape[1]):
        if logits[r, k] > m:
            m = logits[r, k]
    return m


@njit(cache=True)
def cross_entropy_rows(logits: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Per-row -log softmax(logits)[target], stable (the row max is subtracted)."""
    n, c = logits.shape
    out = np.empty(n, dtype=logits.dtype)
    for r in range(n):
        m = _row_max(logits, r)
        s = 0.0
        for k in range(c):
            s += math.exp(logits[r, k] - m)
        out[r] = m + math.log(s) - logits[r, target[r]]
    return out


@njit(cache=True)
def cross_entropy_grad(logits: np.ndarray, target: np.ndarray, row_scale: np.ndarray) -> np.ndarray:
    """(softmax(logits) - onehot(target)) * row_scale, row by row."""
    n, c = logits.shape
    out = np.empty_like(logits)
    for r in range(n):
        m = _row_max(logits, r)
        s = 0.0
        for k in range(c):
            e = math.exp(logits[r, k] - m)
            out[r, k] = e
            s += e
        w = row_scale[r] / s
        for k in range(c):
            out[r, k] *= w
        out[r, target[r]] -= row_scale[r]
    return out
