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
