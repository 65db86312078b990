"""Where a tensor's numbers live: ``"cpu"`` (a NumPy array) or ``"cuda"`` (an NVIDIA GPU).

A tensor's device is the type of its data: a NumPy array on the CPU, a
:class:`DeviceData` (``engine.cuda.array.DeviceArray``) on the GPU.  This module is
what the engine core needs to know about devices without importing Numba's CUDA
target: the names, the one function that moves data between devices, and the
marker class.  The device side itself (the dispatch hook, the array type) is in
:mod:`engine.cuda`, loaded only when something is moved to ``"cuda"``.
"""
from __future__ import annotations

import numpy as np

DEVICES = ("cpu", "cuda")


class DeviceData:
    """Base of array types that live on an accelerator; ``device`` names it."""

    __slots__ = ()
    device = "cuda"


def parse(device) -> str:
    """``"cpu"`` or ``"cuda"`` from a device name (``"cuda:0"`` is the one GPU there is)."""
    name = str(device).strip().lower()
    if name in ("cuda:0", "gpu"):
        name = "cuda"
    if name not in DEVICES:
        raise ValueError(f"unknown device {device!r}; use 'cpu' or 'cuda'")
    return name


def device_of(data) -> str:
    """The device an array (or number) lives on."""
    return data.device if isinstance(data, DeviceData) else "cpu"


def move(data, device, dtype=None):
    """``data`` on ``device`` (itself when already there), optionally cast to ``dtype``.

    Moving to ``"cuda"`` needs ``engine.cuda.is_available()``; otherwise a RuntimeError
    says why (no GPU, no driver, or no CUDA target installed).
    """
    target = parse(device)
    if isinstance(data, DeviceData):
        if target == "cpu":
            host = data.to_host()
            return host if dtype is None else host.astype(dtype, copy=False)
        return data if dtype is None else data.astype(dtype)
    if target == "cpu":
        return data if dtype is None else np.asarray(data, dtype=dtype)
    from .cuda import array
    return array.from_host(data, dtype)
