"""The one primitive registry: every differentiable op is declared here once, and its
public names come from the same declaration.

A primitive bundles its forward function (on floats or NumPy arrays), one
vector-Jacobian product per argument (reverse mode), one Jacobian-vector product
per argument (forward mode), its lecture notation and, where it has them, its
float kernels for the compiled scalar tape and kernels for other backends.
The rules are written with the dispatching functions of
:mod:`engine.prims.dispatch`, so the same rule runs on plain numbers for an
ordinary backward pass and on recorded nodes when ``create_graph=True`` asks for
a differentiable gradient.

The registry is also the namespace.  Each declaration lists its :class:`Export`\\ s
(a method or operator on ``Value``/``Tensor``, a function of ``engine.functional``,
a name of the expression language), and the modules that show those names
subscribe with :func:`bind`, so registering a primitive makes it appear
everywhere at once and :func:`unregister` takes it away again.
"""
from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass, field, replace
from typing import Callable, Mapping, Sequence

VJP = Callable[..., object]
"""``vjp(g, out, *args, **params) -> contribution`` to one argument's gradient."""
JVP = Callable[..., object]
"""``jvp(t, out, *args, **params) -> contribution`` of one argument's tangent."""

VALUE, TENSOR = "Value", "Tensor"
BOTH = (VALUE, TENSOR)

OPERATORS: dict[str, tuple[str, str | None]] = {
    "add": ("__add__", "__radd__"), "sub": ("__sub__", "__rsub__"),
    "mul": ("__mul__", "__rmul__"), "truediv": ("__truediv__", "__rtruediv__"),
    "pow": ("__pow__", "__rpow__"), "matmul": ("__matmul__", "__rmatmul__"),
    "neg": ("__neg__", None), "abs": ("__abs__", None),
}
"""Python operators an export can provide: the method and its reflected twin."""


@dataclass(frozen=True, eq=False)
class Export:
    """Where one public function appears: methods, an operator, functional names, expressions.

    ``function(x, ...)`` takes the node first, so the same function is a method
    (``x.atan()``), a function (``F.atan(x)``) and an expression call (``atan(x)``).
    """

    function: Callable[..., object]
    methods: tuple[str, ...] = ()
    """Method names on the node kinds in ``kinds`` (``("clip", "clamp")``)."""
    kinds: tuple[str, ...] = (TENSOR,)
    operator: str | None = None
    """A key of :data:`OPERATORS`; binary operators also get the reflected method."""
    reflected: Callable[..., object] | None = None
    """``reflected(x, y) = function(y, x)``, the ``__radd__`` of a binary operator."""
    functional: tuple[str, ...] = ()
    """Names in ``engine.functional`` and :mod:`engine.prims.dispatch`."""
    expression: str | None = None
    """The name the expression language calls it by."""
    is_property: bool = False
    """Installed as a read-only property (``Tensor.T``)."""
    owner: str = ""
    """The primitive (or composite function) this export belongs to."""

    @functools.cached_property
    def arity(self) -> int:
        """How many positional arguments an expression passes: the required parameters."""
        params = inspect.signature(self.function).parameters.values()
        return sum(1 for p in params if p.default is p.empty
                   and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))


@dataclass(frozen=True)
class ScalarKernels:
    """A primitive's float functions: Value graphs run them and the compiled tape compiles them.

    ``forward(x)`` or ``forward(x, y)`` uses only ``math``, arithmetic, builtins,
    numeric constants and ``D.<name>`` of other scalar primitives, so Numba can
    compile it unchanged; the derivatives are the primitive's ``partials``
    (written once, see :func:`engine.prims.elementwise.elementwise`).
    """

    forward: Callable[..., float]
    partials: tuple[Callable[..., object], ...]


@dataclass(frozen=True, eq=False)
class Primitive:
    """A differentiable operation: forward, per-argument VJPs and JVPs, notation, kernels."""

    name: str
    symbol: str
    forward: Callable[..., object]
    vjps: Sequence[VJP | None]
    jvps: Sequence[JVP | None]
    elementwise: bool = False
    """Elementwise ops have a diagonal Jacobian the trace can show as numbers."""
    local_text: tuple[str, ...] = ()
    """The local derivative with respect to each argument, as the slides write it."""
    partials: tuple[Callable[..., object], ...] | None = None
    """Elementwise ops: ∂out/∂arg_i as ``partial(*args, out)``; the VJPs and JVPs multiply by it."""
    scalar: ScalarKernels | None = None
    """Float kernels: Value graphs and the compiled scalar tape run them (None: not compiled)."""
    kernels: Mapping[str, object] = field(default_factory=dict)
    """Per-backend implementations, keyed by backend (``{"cuda": ...}``): an object with
    that backend's forward and per-argument VJPs for its own array type.  The CPU rules
    above are the reference; a backend plugs in here without a second declaration."""
    exports: tuple[Export, ...] = ()
    """The public names of this op (methods, operators, functional, expressions)."""

    @property
    def arity(self) -> int:
        return len(self.vjps)

    def __repr__(self) -> str:
        return f"Primitive({self.name!r})"


REGISTRY: dict[str, Primitive] = {}
EXPORTS: dict[str, tuple[Export, ...]] = {}
"""Every export by owner: the primitives' own and those of composite functions."""

_listeners: list[Callable[[Export, bool], None]] = []
_version = 0


def version() -> int:
    """A counter that changes on every (un)registration (caches of derived tables check it)."""
    return _version


def register(name: str, symbol: str, forward: Callable[..., object],
             vjps: Sequence[VJP | None], jvps: Sequence[JVP | None], *,
             elementwise: bool = False, local_text: tuple[str, ...] = (),
             partials: tuple[Callable[..., object], ...] | None = None,
             scalar: ScalarKernels | None = None, kernels: Mapping[str, object] | None = None,
             exports: Sequence[Export] = ()) -> Primitive:
    """Declare a primitive once; a second declaration of a name is a bug."""
    if name in REGISTRY:
        raise ValueError(f"primitive {name!r} is already registered")
    if len(vjps) != len(jvps):
        raise ValueError(f"primitive {name!r}: {len(vjps)} VJPs but {len(jvps)} JVPs")
    return add(Primitive(name, symbol, forward, tuple(vjps), tuple(jvps), elementwise=elementwise,
                         local_text=tuple(local_text), partials=partials, scalar=scalar,
                         kernels=dict(kernels or {}), exports=tuple(exports)))


def add(prim: Primitive) -> Primitive:
    """Put a built :class:`Primitive` into the registry and publish its exports."""
    if prim.name in REGISTRY:
        raise ValueError(f"primitive {prim.name!r} is already registered")
    REGISTRY[prim.name] = prim
    _publish(prim.name, prim.exports)
    return prim


def export(function: Callable[..., object], **where) -> Callable[..., object]:
    """Publish a composite function (not a primitive) under the names in ``where``
    (the fields of :class:`Export`); returns ``function`` so it reads as a declaration."""
    owner = where.pop("owner", function.__name__)
    _publish(owner, (Export(function, owner=owner, **where),))
    return function


def unregister(name: str) -> None:
    """Remove a primitive (or a composite export) and every name it published."""
    global _version
    REGISTRY.pop(name, None)
    for e in EXPORTS.pop(name, ()):
        for listener in _listeners:
            listener(e, False)
    _version += 1


def _publish(owner: str, exports: Sequence[Export]) -> None:
    global _version
    if not exports:
        return
    if owner in EXPORTS:
        raise ValueError(f"{owner!r} already has exports")
    exports = tuple(e if e.owner else replace(e, owner=owner) for e in exports)
    EXPORTS[owner] = exports
    for e in exports:
        for listener in _listeners:
            listener(e, True)
    _version += 1


def bind(listener: Callable[[Export, bool], None]) -> None:
    """Subscribe ``listener(export, added)`` to every export, past and future."""
    _listeners.append(listener)
    for exports in EXPORTS.values():
        for e in exports:
            listener(e, True)


def exports() -> list[Export]:
    """Every current export, in declaration order."""
    return [e for group in EXPORTS.values() for e in group]


def get(name: str) -> Primitive:
    """Look a primitive up by name, with a clear message for a typo."""
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise KeyError(f"no primitive named {name!r}; known: {known}") from None


# -- the subscribers' side: install exports as methods or module functions -------------
def bind_methods(cls: type, kind: str) -> None:
    """Keep ``cls``'s op methods and operators equal to the exports for node kind ``kind``."""
    def table(e: Export) -> list[tuple[str, Callable]]:
        if kind not in e.kinds:
            return []
        rows = [(m, property(e.function) if e.is_property else e.function) for m in e.methods]
        if e.operator is not None:
            method, reflected = OPERATORS[e.operator]
            rows.append((method, e.function))
            if reflected is not None:
                rows.append((reflected, e.reflected))
        return rows

    def listener(e: Export, added: bool) -> None:
        for name, fn in table(e):
            if added:
                setattr(cls, name, fn)
            elif name in cls.__dict__:
                delattr(cls, name)
                for other in exports():  # a name another export also gives comes back
                    for again, fn2 in table(other):
                        if again == name:
                            setattr(cls, name, fn2)
    bind(listener)


def bind_module(namespace: dict) -> None:
    """Keep a module's functions (its ``globals()``) equal to the functional exports."""
    def listener(e: Export, added: bool) -> None:
        names = namespace.setdefault("__all__", [])
        for name in e.functional:
            if added:
                namespace[name] = e.function
                if name not in names:
                    names.append(name)
                continue
            namespace.pop(name, None)
            if name in names:
                names.remove(name)
            for other in exports():
                if name in other.functional:
                    namespace[name] = other.function
                    names.append(name)
    bind(listener)


_expression_table: list = [-1, {}]


def expression_functions() -> dict[str, Export]:
    """The expression language's functions by name (current exports)."""
    if _expression_table[0] != _version:
        _expression_table[:] = [_version, {e.expression: e for e in exports()
                                           if e.expression is not None}]
    return _expression_table[1]
