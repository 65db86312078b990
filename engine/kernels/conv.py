"""Numba loops that unfold image windows into columns and fold them back.

``im2col`` turns a convolution into one BLAS matrix product; ``col2im`` is its
adjoint (overlapping windows add), used by the gradient of ``im2col``.
"""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def im2col(xp: np.ndarray, kh: int, kw: int, sh: int, sw: int, dh: int, dw: int,
           oh: int, ow: int) -> np.ndarray:
    """Windows of a padded (N, C, H, W) array as (N, C*kh*kw, oh*ow) columns."""
    n, c = xp.shape[0], xp.shape[1]
    cols = np.empty((n, c * kh * kw, oh * ow), dtype=xp.dtype)
    for b in range(n):
        for ch in range(c):
            for i in range(kh):
                for j in range(kw):
                    row = (ch * kh + i) * kw + j
                    for y in range(oh):
                        yy = y * sh + i * dh
                        base = y * ow
                        for x in range(ow):
                            cols[b, row, base + x] = xp[b, ch, yy, x * sw + j * dw]
    return cols


@njit(cache=True)
def col2im(cols: np.ndarray, c: int, hp: int, wp: int, kh: int, kw: int, sh: int, sw: int,
           dh: int, dw: int, oh: int, ow: int) -> np.ndarray:
    """Sum (N, C*kh*kw, oh*ow) columns back into a padded (N, C, hp, wp) image."""
    n = cols.shape[0]
    xp = np.zeros((n, c, hp, wp), dtype=cols.dtype)
    for b in range(n):
        for ch in range(c):
            for i in range(kh):
                for j in range(kw):
                    row = (ch * kh + i) * kw + j
                    for y in range(oh):
                        yy = y * sh + i * dh
                        base = y * ow
                        for x in range(ow):
                            xp[b, ch, yy, x * sw + j * dw] += cols[b, row, base + x]
    return xp


@njit(cache=True, inline="always")
def _window_argmax(x, b, ch, y, xo, kh, kw, sh, sw, ph, pw):
    """Row and column of the first largest element of one pooling window (padding = -inf)."""
    h, w = x.shape[2], x.shape[3]
    best = -np.inf
    bi, bj = -1, -1
    for i in range(kh):
        yy = y * sh - ph + i
        if yy < 0 or yy >= h:
            continue
        for j in range(kw):
            xx = xo * sw - pw + j
            if xx < 0 or xx >= w:
                continue
            v = x[b, ch, yy, xx]
            if v > best or bi < 0:
                best = v
                bi, bj = yy, xx
    return bi, bj


@njit(cache=True)
def max_pool2d(x: np.ndarray, kh: int, kw: int, sh: int, sw: int, ph: int, pw: int,
               oh: int, ow: int) -> np.ndarray:
    """Largest value of every window of an (N, C, H, W) array."""
    n, c = x.shape[0], x.shape[1]
    out = np.empty((n, c, oh, ow), dtype=x.dtype)
    for b in range(n):
        for ch in range(c):
            for y in range(oh):
                for xo in range(ow):
                    i, j = _window_argmax(x, b, ch, y, xo, kh, kw, sh, sw, ph, pw)
                    out[b, ch, y, xo] = x[b, ch, i, j]
    return out


@njit(cache=True)
def max_pool2d_grad(g: np.ndarray, x: np.ndarray, kh: int, kw: int, sh: int, sw: int,
                    ph: int, pw: int) -> np.ndarray:
    """Route each window's gradient to its first largest element (as PyTorch)."""
    n, c, oh, ow = g.shape
    dx = np.zeros_like(x)
    for b in range(n):
        for ch in range(c):
            for y in range(oh):
                for xo in range(ow):
                    i, j = _window_argmax(x, b, ch, y, xo, kh, kw, sh, sw, ph, pw)
                    dx[b, ch, i, j] += g[b, ch, y, xo]
    return dx
