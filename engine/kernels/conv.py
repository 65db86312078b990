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
def _window_argmax(plane, y0, x0, kh, kw):
    """Row and column of the first largest element of the window at (y0, x0) of a 2-D
    plane; rows and columns outside the plane count as -inf (padding)."""
    h, w = plane.shape
    i0, i1 = max(0, -y0), min(kh, h - y0)
    j0, j1 = max(0, -x0), min(kw, w - x0)
    bi, bj = y0 + i0, x0 + j0
    best = plane[bi, bj]
    for i in range(i0, i1):
        for j in range(j0, j1):
            v = plane[y0 + i, x0 + j]
            if v > best:
                best = v
                bi, bj = y0 + i, x0 + j
    return bi, bj


@njit(cache=True)
def max_pool2d(x: np.ndarray, kh: int, kw: int, sh: int, sw: int, ph: int, pw: int,
               oh: int, ow: int) -> np.ndarray:
    """Largest value of every window of an (N, C, H, W) array."""
    n, c = x.shape[0], x.shape[1]
    out = np.empty((n, c, oh, ow), dtype=x.dtype)
    for b in range(n):
        for ch in range(c):
            plane = x[b, ch]
            for y in range(oh):
                for xo in range(ow):
                    i, j = _window_argmax(plane, y * sh - ph, xo * sw - pw, kh, kw)
                    out[b, ch, y, xo] = plane[i, j]
    return out


@njit(cache=True)
def max_pool2d_grad(g: np.ndarray, x: np.ndarray, kh: int, kw: int, sh: int, sw: int,
                    ph: int, pw: int) -> np.ndarray:
    """Route each window's gradient to its first largest element (as PyTorch)."""
    n, c, oh, ow = g.shape
    dx = np.zeros_like(x)
    for b in range(n):
        for ch in range(c):
            plane = x[b, ch]
            for y in range(oh):
                for xo in range(ow):
                    i, j = _window_argmax(plane, y * sh - ph, xo * sw - pw, kh, kw)
                    dx[b, ch, i, j] += g[b, ch, y, xo]
    return dx
