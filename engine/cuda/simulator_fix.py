"""Make the CUDA simulator's shared arrays safe to allocate from many threads at once.

numba-cuda's simulator (``FakeCUDAShared.array``, as of 0.30.4) finds a block's shared
array by the source line that asks for it and creates the array on a miss, without a
lock.  Its threads are real Python threads, so two threads of one block can both miss
and each get an array of their own; the block then computes from half-filled tiles and
the tiled matmul is wrong now and then (seen as a GRU mismatch in about one simulator
run of the kernel tests in three, never once in ten runs with this fix).  A GPU never
does this.  :func:`install` makes the same lookup under one lock; it runs only under
the simulator and changes nothing else.
"""
from __future__ import annotations

import sys
import threading

import numpy as np

_LOCK = threading.Lock()


def install() -> None:
    """Replace ``FakeCUDAShared.array`` with a locked lookup (idempotent)."""
    from numba.core import types
    from numba.cuda.simulator import kernelapi
    from numba.np import numpy_support

    shared = kernelapi.FakeCUDAShared
    if getattr(shared.array, "locked_lookup", False):
        return
    unlocked = shared.array

    def array(self, shape, dtype, alignment=None):
        if shape == 0 or alignment is not None:  # dynamic shared memory, or the refusal
            return unlocked(self, shape, dtype, alignment)
        if isinstance(dtype, types.Type):
            dtype = numpy_support.as_dtype(dtype)
        frame = sys._getframe(1)
        caller = (frame.f_code.co_filename, frame.f_lineno)  # the simulator's own key
        with _LOCK:
            found = self._allocations.get(caller)
            if found is None:
                found = self._allocations[caller] = np.empty(shape, dtype)
        return found

    array.locked_lookup = True
    shared.array = array
