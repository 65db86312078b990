"""The one primitive registry: every differentiable op is declared here once.

A primitive bundles its forward function (on raw floats or NumPy arrays), one
vector-Jacobian product per argument (reverse mode) and one Jacobian-vector
product per argument (forward mode).  The rules are written with the
dispatching functions of :mod:`engine.dispatch`, so the same rule runs on plain
numbers for an ordinary backward pass and on recorded nodes when
``create_graph=True`` asks for a differentiable gradient.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

VJP = Callable[..., object]
"""``vjp(g, out, *args, **params) -> contribution`` to one argument's gradient."""
JVP = Callable[..., object]
"""``jvp(t, out, *args, **params) -> contribution`` of one argument's tangent."""


@dataclass(frozen=True, eq=False)
class Primitive:
    """A differentiable operation: forward, per-argument VJPs and JVPs."""

    name: str
    symbol: str
    forward: Callable[..., object]
    vjps: Sequence[VJP | None]
    jvps: Sequence[JVP | None]
    elementwise: bool = False
    """Elementwise ops have a diagonal Jacobian the trace can show as numbers."""
    opcode: int | None = None
    """Operation code in the compiled scalar tape, or None when not compiled."""
    local_text: tuple[str, ...] = ()
    """The local derivative with respect to each argument, as the slides write it."""
    kernels: dict = field(default_factory=dict)
    """Backend-specific forward implementations, e.g. ``{"cuda": fn}``."""

    @property
    def arity(self) -> int:
        return len(self.vjps)

    def __repr__(self) -> str:
        return f"Primitive({self.name!r})"


REGISTRY: dict[str, Primitive] = {}


def register(name: str, symbol: str, forward: Callable[..., object],
             vjps: Sequence[VJP | None], jvps: Sequence[JVP | None], *,
             elementwise: bool = False, opcode: int | None = None,
             local_text: tuple[str, ...] = ()) -> Primitive:
    """Declare a primitive once; a second declaration of a name is a bug."""
    if name in REGISTRY:
        raise ValueError(f"primitive {name!r} is already registered")
    if len(vjps) != len(jvps):
        raise ValueError(f"primitive {name!r}: {len(vjps)} VJPs but {len(jvps)} JVPs")
    prim = Primitive(name, symbol, forward, tuple(vjps), tuple(jvps),
                     elementwise=elementwise, opcode=opcode,
                     local_text=tuple(local_text))
    REGISTRY[name] = prim
    return prim


def get(name: str) -> Primitive:
    """Look a primitive up by name, with a clear message for a typo."""
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise KeyError(f"no primitive named {name!r}; known: {known}") from None
