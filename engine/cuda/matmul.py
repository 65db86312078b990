"""Tiled matrix product on the GPU: TILE x TILE blocks staged in shared memory.

Each block computes a TILE x TILE tile of the output; per step along the inner
dimension its threads load one tile of each operand into shared memory (zeros
past the edges, so any size works) and accumulate from there, reading global
memory TILE times less often than a naive product.  ``trans_a`` / ``trans_b``
multiply by a transposed operand without copying it (the gradients need
``g @ Bᵀ`` and ``Aᵀ @ g``); transposed tiles are loaded along rows so reads stay
coalesced.  A leading batch axis rides on the grid's z dimension, and a 2-D
operand is shared by every batch entry.  numba-cuda ships no cuBLAS binding, so
this is the library's only product; ``bench.cuda`` compares it with PyTorch's
(cuBLAS) where PyTorch with CUDA is installed.
"""
from __future__ import annotations

from numba import cuda

from . import device as D
from . import elementwise as E

TILE = 4 if D.SIMULATED else 16
"""Output tile edge; a block has TILE x TILE threads.  The simulator starts one Python
thread per CUDA thread, so it multiplies in 4 x 4 tiles (the same code, a smaller constant)."""
_ROW = TILE + 1
"""Shared-memory row length: one spare column keeps transposed stores free of bank conflicts
(a module constant, because shared-array shapes must be known when the kernel compiles)."""


@cuda.jit(cache=True)
def _matmul_kernel(a, b, out, trans_a, trans_b):
    """out[z] = op(a[z]) @ op(b[z]) on (batch, rows, cols) arrays; batch 1 broadcasts."""
    sa = cuda.shared.array((TILE, _ROW), dtype=out.dtype)
    sb = cuda.shared.array((TILE, _ROW), dtype=out.dtype)
    zero = out.dtype.type(0)
    tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
    row0, col0 = cuda.blockIdx.y * TILE, cuda.blockIdx.x * TILE
    z = cuda.blockIdx.z
    za = z if a.shape[0] > 1 else 0
    zb = z if b.shape[0] > 1 else 0
    m, n = out.shape[1], out.shape[2]
    inner = a.shape[1] if trans_a else a.shape[2]
    acc = zero
    for k0 in range(0, inner, TILE):
        # sa[i, k] = op(a)[row0 + i, k0 + k]; sb[k, j] = op(b)[k0 + k, col0 + j]
        if trans_a:  # a is (inner, m): neighbouring threads read neighbouring columns
            r, k = row0 + tx, k0 + ty
            sa[tx, ty] = a[za, k, r] if (r < m and k < inner) else zero
        else:
            r, k = row0 + ty, k0 + tx
            sa[ty, tx] = a[za, r, k] if (r < m and k < inner) else zero
        if trans_b:  # b is (n, inner)
            c, k = col0 + ty, k0 + tx
            sb[tx, ty] = b[zb, c, k] if (c < n and k < inner) else zero
        else:
            c, k = col0 + tx, k0 + ty
            sb[ty, tx] = b[zb, k, c] if (c < n and k < inner) else zero
        cuda.syncthreads()
        for k in range(TILE):
            acc += sa[ty, k] * sb[k, tx]
        cuda.syncthreads()
    r, c = row0 + ty, col0 + tx
    if r < m and c < n:
        out[z, r, c] = acc


def _as_batch(x):
    """A (batch, rows, cols) contiguous view of a 2-D or 3-D array."""
    x = D.contiguous(x)
    return x.reshape(1, *x.shape) if x.ndim == 2 else x


def _matrix_shape(shape, trans: bool) -> tuple[int, int]:
    return (shape[-1], shape[-2]) if trans else (shape[-2], shape[-1])


def matmul(a, b, trans_a: bool = False, trans_b: bool = False):
    """``op(a) @ op(b)`` as ``np.matmul`` for 1-D, 2-D and 3-D operands (op transposes the
    last two axes when asked); a 2-D operand broadcasts against a 3-D one."""
    D.float_dtype(a, b)
    if a.ndim > 3 or b.ndim > 3:
        raise ValueError(f"matmul on the GPU takes up to 3-D operands, got {tuple(a.shape)} "
                         f"and {tuple(b.shape)}; reshape the leading axes into one")
    vec_a, vec_b = a.ndim == 1, b.ndim == 1
    if vec_a:
        a, trans_a = E.reshape(a, (1, a.shape[0])), False
    if vec_b:
        b, trans_b = E.reshape(b, (b.shape[0], 1)), False
    (m, ka), (kb, n) = _matrix_shape(tuple(a.shape), trans_a), _matrix_shape(tuple(b.shape), trans_b)
    batch_a = a.shape[0] if a.ndim == 3 else 1
    batch_b = b.shape[0] if b.ndim == 3 else 1
    if ka != kb or (batch_a != batch_b and 1 not in (batch_a, batch_b)):
        raise ValueError(f"matmul: shapes {tuple(a.shape)}{'ᵀ' if trans_a else ''} and "
                         f"{tuple(b.shape)}{'ᵀ' if trans_b else ''} do not match")
    batch = max(batch_a, batch_b)
    out = D.empty((batch, m, n), a.dtype)
    if out.size:
        if ka == 0:
            out = D.zeros((batch, m, n), a.dtype)
        else:
            grid = ((n + TILE - 1) // TILE, (m + TILE - 1) // TILE, batch)
            _matmul_kernel[grid, (TILE, TILE)](_as_batch(a), _as_batch(b), out, trans_a, trans_b)
    shape = ((batch,) if 3 in (a.ndim, b.ndim) else ()) + ((m,) if not vec_a else ()) + \
        ((n,) if not vec_b else ())
    return out.reshape(shape)

