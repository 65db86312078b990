"""Optional CUDA backend: numba.cuda kernels for the engine's hot primitives.

``import engine`` never imports this package, and importing it does not load
``numba.cuda`` either: the kernel modules do, when first imported, and
:func:`is_available` does when first called.  :mod:`.device` copies arrays in and
out; :mod:`.elementwise`, :mod:`.reduce`, :mod:`.matmul`, :mod:`.indexing`,
:mod:`.loss`, :mod:`.conv` and :mod:`.rnn` hold the kernels and their host wrappers
(device arrays in, device arrays out); :mod:`.rules` lists each registered
primitive's CUDA forward and VJPs in the registry's calling convention.  The CUDA target comes from the
``numba-cuda`` distribution (``pip install -e ".[cuda]"``); Numba's own deprecated
built-in target works too where it is still shipped.

Numba's CUDA simulator runs the same kernels as plain Python on the CPU.  It is
switched on only by ``NUMBA_ENABLE_CUDASIM=1`` in the environment before Numba is
imported (Numba reads it once): that is how the tests opt in, in a subprocess
(``tests/test_cuda.py``).  Under the simulator :func:`is_available` is True and
:func:`is_simulator` tells the two apart; tests that need real hardware ask for
``is_available() and not is_simulator()``.
"""
from __future__ import annotations

import functools
import importlib.util
import os

from ..devices import register


@functools.cache
def _cuda():
    """``numba.cuda``, imported on first use; None when no CUDA target is installed."""
    if importlib.util.find_spec("numba") is None:
        return None
    try:
        from numba import cuda
    except (ImportError, OSError):  # numba-cuda without working bindings, or no target at all
        return None
    return cuda


def is_simulator() -> bool:
    """True when Numba runs CUDA kernels in its simulator (``NUMBA_ENABLE_CUDASIM=1``)."""
    cuda = _cuda()
    return cuda is not None and cuda.to_device.__module__.startswith("numba.cuda.simulator")


def is_available() -> bool:
    """True when CUDA kernels can run here: a GPU with a working driver, or the simulator
    when it was asked for with ``NUMBA_ENABLE_CUDASIM=1``.  Never raises."""
    cuda = _cuda()
    if cuda is None:
        return False
    try:
        return bool(cuda.is_available())
    except Exception:  # a broken driver install reports itself here, not at import
        return False


def unavailable_reason() -> str:
    """One line saying why :func:`is_available` is False (empty when it is True)."""
    if is_available():
        return ""
    if _cuda() is None:
        return 'no CUDA target for Numba is installed (pip install -e ".[cuda]")'
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        return "NUMBA_ENABLE_CUDASIM=1 was set after Numba was imported"
    return "numba.cuda found no usable NVIDIA GPU and driver"


def _to_device(data, dtype=None):
    """The "cuda" backend of :func:`engine.devices.move`: a host array copied to the GPU
    (the first call loads numba.cuda and switches device dispatch on)."""
    if not is_available():
        raise RuntimeError(f"cannot use the 'cuda' device: {unavailable_reason()}")
    from . import dispatch
    from .array import from_host
    dispatch.install()
    return from_host(data, dtype)


register("cuda", _to_device)


def device_name() -> str:
    """The GPU's name ("CUDA simulator" under the simulator); empty when none is available."""
    if not is_available():
        return ""
    if is_simulator():
        return "CUDA simulator"
    name = _cuda().get_current_device().name
    return name.decode() if isinstance(name, bytes) else str(name)
