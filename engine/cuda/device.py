"""Device arrays for the CUDA kernels: copies in and out, allocation, launch geometry.

Every kernel wrapper in :mod:`engine.cuda` takes and returns numba.cuda device
arrays (``DeviceNDArray``; ``FakeCUDAArray`` under the simulator) and Python
numbers; nothing is copied back to the host unless :func:`to_host` is called.
Kernels loop grid-stride, so any launch geometry is correct: the simulator (which
starts one Python thread per CUDA thread) gets a small grid and stays quick, a
GPU gets enough blocks to fill it.
"""
from __future__ import annotations

import functools
import math
import warnings

import numpy as np
from numba import cuda

try:
    from numba.core.errors import NumbaPerformanceWarning
except ImportError:  # pragma: no cover - every supported Numba has it
    NumbaPerformanceWarning = Warning

SIMULATED = cuda.to_device.__module__.startswith("numba.cuda.simulator")
"""True under Numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1`` before Numba loaded)."""
if SIMULATED:  # the simulator's shared-array lookup races between its threads
    from .simulator_fix import install as _lock_simulated_shared_arrays

    _lock_simulated_shared_arrays()

THREADS = 16 if SIMULATED else 256
"""Threads per block of the 1-D kernels and of the block reductions."""
MAX_BLOCKS = 2 if SIMULATED else 1024
"""Most blocks of a 1-D launch; the grid-stride loops cover the rest."""

FLOAT_TYPES = (np.dtype(np.float32), np.dtype(np.float64))

# Small demo-sized launches under-fill a GPU by design; Numba would warn on every one.
warnings.filterwarnings("ignore", message="Grid size", category=NumbaPerformanceWarning)


def is_device_array(x) -> bool:
    """True for a numba.cuda device array (or the simulator's stand-in)."""
    return cuda.devicearray.is_cuda_ndarray(x)


def to_device(a, dtype=None):
    """Copy a NumPy array (or number) to the device, C-contiguous, optionally cast."""
    host = np.asarray(a, dtype=dtype, order="C")  # ascontiguousarray would make 0-d 1-d
    return cuda.to_device(host)


def to_host(d) -> np.ndarray:
    """Copy a device array back into a new NumPy array (waits for the kernels before it)."""
    return d.copy_to_host()


def empty(shape, dtype):
    """An uninitialised C-contiguous device array."""
    return cuda.device_array(tuple(int(s) for s in shape), dtype=np.dtype(dtype))


def zeros(shape, dtype):
    """A device array of zeros, filled on the device."""
    out = empty(shape, dtype)
    if out.size:
        flat = out.reshape(out.size)
        _fill[launch(flat.size)](flat, 0)
    return out


def launch(n: int) -> tuple[int, int]:
    """(blocks, threads) for a grid-stride loop over ``n`` items."""
    return max(1, min(math.ceil(n / THREADS), MAX_BLOCKS)), THREADS


def flat(d):
    """A C-contiguous device array viewed as 1-D (no copy)."""
    return d.reshape(d.size)


def float_dtype(*arrays) -> np.dtype:
    """The one float dtype (float32 or float64) shared by ``arrays``; a clear error otherwise."""
    dtypes = {np.dtype(a.dtype) for a in arrays}
    if len(dtypes) != 1:
        names = " and ".join(sorted(str(d) for d in dtypes))
        raise TypeError(f"CUDA kernels need one dtype for all arrays, got {names}")
    dtype = dtypes.pop()
    if dtype not in FLOAT_TYPES:
        raise TypeError(f"CUDA kernels run on float32 or float64, got {dtype}")
    return dtype


def constant(value: float, dtype) -> object:
    """A 0-d device array holding ``value``, cached: numbers in binary ops cost no copy."""
    return _constant(np.float64(value).tobytes(), str(np.dtype(dtype)))  # bytes keep -0.0 and NaN apart


@functools.lru_cache(maxsize=256)
def _constant(bits: bytes, dtype: str):
    return to_device(np.frombuffer(bits, np.float64)[0], dtype)


def contiguous(d):
    """``d`` itself when C-contiguous, else a contiguous copy (2-D views such as ``state[:, :h]``)."""
    if d.is_c_contiguous():
        return d
    if d.ndim != 2:
        raise ValueError(f"only 2-D views are copied on the device, got a {d.ndim}-D view {d.shape}")
    out = empty(d.shape, d.dtype)
    copy_columns(d, 0, out, 0, d.shape[1])
    return out


def copy_columns(src, src_col: int, dst, dst_col: int, ncols: int) -> None:
    """dst[:, dst_col:dst_col+ncols] = src[:, src_col:src_col+ncols] for 2-D arrays (views allowed)."""
    if src.shape[0] != dst.shape[0]:
        raise ValueError(f"copy_columns: {src.shape} and {dst.shape} have different row counts")
    n = src.shape[0] * ncols
    if n:
        _copy_columns[launch(n)](src, src_col, dst, dst_col, ncols)


def concat_columns(a, b):
    """[a, b] joined along axis 1 (2-D, rows must match), as ``np.concatenate(..., axis=1)``."""
    float_dtype(a, b)
    out = empty((a.shape[0], a.shape[1] + b.shape[1]), a.dtype)
    copy_columns(a, 0, out, 0, a.shape[1])
    copy_columns(b, 0, out, a.shape[1], b.shape[1])
    return out


@cuda.jit(cache=True)
def _fill(out, value):
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        out[t] = value


@cuda.jit(cache=True)
def _copy_columns(src, src_col, dst, dst_col, ncols):
    for t in range(cuda.grid(1), src.shape[0] * ncols, cuda.gridsize(1)):
        r = t // ncols
        k = t - r * ncols
        dst[r, dst_col + k] = src[r, src_col + k]
