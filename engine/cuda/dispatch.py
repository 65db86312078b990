"""Device dispatch: how a primitive runs when its inputs live on the GPU.

The first array moved to ``"cuda"`` calls :func:`install`, which gives every
registered primitive that has CUDA rules (:data:`engine.cuda.rules.RULES`) its
``Primitive.kernels["cuda"]`` entry and hands this module to
:func:`engine.node.set_device_dispatch`.  From then on ``engine.node.apply`` calls
:func:`forward` for every op, and the backward loop asks :func:`vjps` for the
rules of each node: CPU data still runs the primitive's own NumPy forward and
VJPs, GPU data runs its CUDA kernel.  There is one registry; the kernels hang off
its declarations.

Policy for a primitive without a CUDA kernel: a ``NotImplementedError`` naming the
op (no silent copy to the host and back: a demo that says it trains on the GPU
does).  Mixing devices in one op is a ``TypeError`` naming the op and both
devices; a 0-d CPU array (a number made constant) goes with any device, as in
PyTorch.
"""
from __future__ import annotations

import sys
from typing import Callable, NamedTuple, Sequence

import numpy as np

from .. import node as _node
from ..registry import REGISTRY, Primitive
from .array import DeviceArray
from .device import is_device_array
from .rules import RULES


class Kernel(NamedTuple):
    """A primitive's CUDA forward and per-argument VJPs on :class:`DeviceArray` data."""

    forward: Callable
    vjps: Sequence[Callable]


def install() -> None:
    """Fill the primitives' CUDA kernels and switch the engine's dispatch on (once)."""
    if _node.device_dispatch is not None:
        return
    for prim in REGISTRY.values():
        kernel_of(prim)
    _node.set_device_dispatch(sys.modules[__name__])


def kernel_of(prim: Primitive) -> Kernel | None:
    """``prim.kernels["cuda"]``, made from the CUDA rules on first use; None without rules."""
    kernel = prim.kernels.get("cuda")
    if kernel is None and prim.name in RULES:
        rule = RULES[prim.name]
        kernel = prim.kernels["cuda"] = Kernel(_on_device(prim, rule.forward),
                                               _DeviceVJPs(prim, rule.vjps))
    return kernel


class _DeviceVJPs(Sequence):
    """A rule table's VJPs on DeviceArrays, by argument position (variadic tables too)."""

    def __init__(self, prim: Primitive, rules: Sequence[Callable]):
        self.prim, self.rules, self.made = prim, rules, {}

    def __getitem__(self, i: int) -> Callable:
        if i not in self.made:
            self.made[i] = _on_device(self.prim, self.rules[i])
        return self.made[i]

    def __len__(self) -> int:
        return len(self.rules)  # 0 for a variadic primitive, as its CPU table


def forward(prim: Primitive, data: Sequence, params: dict):
    """Run ``prim`` on ``data``: its CUDA kernel if any argument is on the GPU, else its forward."""
    for d in data:
        if d.__class__ is DeviceArray:
            return _require(prim).forward(*data, **params)
    return prim.forward(*data, **params)


def vjps(prim: Primitive, out) -> Sequence[Callable]:
    """The VJPs for a node whose value is ``out``: the CUDA ones when it is on the GPU."""
    if out.__class__ is DeviceArray:
        return _require(prim).vjps
    return prim.vjps


def _require(prim: Primitive) -> Kernel:
    kernel = kernel_of(prim)
    if kernel is None:
        raise NotImplementedError(
            f"{prim.name}: no CUDA kernel for this op; run it on the CPU "
            f"(move its inputs with .to('cpu')) or add a rule to engine/cuda/rules.py")
    return kernel


def _on_device(prim: Primitive, rule: Callable) -> Callable:
    """``rule`` on DeviceArrays: unwrapped in (numbers and 0-d CPU arrays as numbers), wrapped out."""
    def run(*args, **params):
        out = rule(*(_unwrap(prim, a) for a in args), **params)
        return DeviceArray(out) if is_device_array(out) else out
    return run


def _unwrap(prim: Primitive, a):
    if a.__class__ is DeviceArray:
        return a.array
    if isinstance(a, np.ndarray):
        if a.ndim == 0:
            return float(a)
        raise TypeError(f"{prim.name}: cannot mix devices cuda and cpu in one op (a cpu array of "
                        f"shape {a.shape}); move both with .to('cuda') or .to('cpu')")
    return a
