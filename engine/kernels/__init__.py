"""Numba kernels behind the primitive registry (CPU); a CUDA backend slots in beside them.

Importing Numba takes about half a second, so the primitives hold their kernel
modules through :func:`lazy`: nothing is compiled or even imported until the
first op that needs a kernel runs (the app warms them up off the GUI thread).
"""
from __future__ import annotations

import importlib
import threading
from types import ModuleType


class LazyKernels(ModuleType):
    """A stand-in for a kernel module that imports it on first attribute access."""

    def __init__(self, name: str):
        super().__init__(name)
        self._lock = threading.Lock()

    def __getattr__(self, attr: str):
        with self._lock:  # one import even when a training thread and the GUI race
            module = importlib.import_module(self.__name__)
        value = getattr(module, attr)
        setattr(self, attr, value)  # later accesses skip __getattr__
        return value


def lazy(name: str) -> LazyKernels:
    """``engine.kernels.<name>``, imported when first used."""
    return LazyKernels(f"{__name__}.{name}")


KERNEL_MODULES = ("scalar_tape", "elementwise", "conv", "loss", "rnn")


def warm_up() -> None:
    """Import every kernel module and compile (or load from cache) the scalar tape."""
    for name in KERNEL_MODULES:
        importlib.import_module(f"{__name__}.{name}")
    from .scalar_tape import warm_up as warm_tape
    warm_tape()
