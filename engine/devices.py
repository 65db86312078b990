"""Where a tensor's numbers live: ``"cpu"`` (a NumPy array) or ``"cuda"`` (an NVIDIA GPU).

A tensor's device is the type of its data: a NumPy array on the CPU, a
:class:`DeviceData` (``engine.cuda.array.DeviceArray``) on the GPU.  This module is
what the engine core needs to know about devices without importing Numba's CUDA
target: the names, the one function that moves data between devices, and the
marker class.  The device side registers itself (:func:`register`): ``import
engine`` imports the light :mod:`engine.cuda` package, whose array type and
dispatch hook load, with numba.cuda, only when something is moved to ``"cuda"``.
"""
from __future__ import annotations

import numpy as np

DEVICES = ("cpu", "cuda")
_BACKENDS: dict = {}
"""Device name -> ``to_device(host_array, dtype)``; :mod:`engine.cuda` registers "cuda"."""


class DeviceData:
    """Base of array types that live on an accelerator; ``device`` names it."""

    __slots__ = ()
    device = "cuda"


def register(device: str, to_device) -> None:
    """Make ``device`` reachable by :func:`move` (a backend registers itself on import)."""
    _BACKENDS[device] = to_device


def parse(device) -> str:
    """``"cpu"`` or ``"cuda"`` from a device name (``"cuda:0"`` is the one GPU there is)."""
    name = str(device).strip().lower()
    if name in ("cuda:0", "gpu"):
        name = "cuda"
    if name not in DEVICES:
        raise ValueError(f"unknown device {device!r}; use 'cpu' or 'cuda'")
    return name


def is_device_name(device) -> bool:
    """True for a name :func:`parse` accepts (``Module.to`` tells devices from dtypes by it)."""
    try:
        parse(device)
    except ValueError:
        return False
    return isinstance(device, str)


def device_of(data) -> str:
    """The device an array (or number) lives on."""
    return data.device if isinstance(data, DeviceData) else "cpu"


def move(data, device=None, dtype=None):
    """``data`` on ``device`` (itself when already there; None: where it is), optionally
    cast to ``dtype``.

    Moving to ``"cuda"`` needs ``engine.cuda.is_available()``; otherwise a RuntimeError
    says why (no GPU, no driver, or no CUDA target installed).
    """
    target = device_of(data) if device is None else parse(device)
    if isinstance(data, DeviceData):
        if target == "cpu":
            host = data.to_host()
            return host if dtype is None else host.astype(dtype, copy=False)
        return data if dtype is None else data.astype(dtype)
    if target == "cpu":
        return data if dtype is None else np.asarray(data, dtype=dtype)
    return _BACKENDS[target](data, dtype)
