"""Where a computation stopped being finite, said in words: the notes the CLI and the explorer show.

A value or gradient of inf or nan usually starts at one node: ``1/x`` at ``x = 0``,
``log(x)`` at ``x = -1``.  :func:`value_notes` walks a recorded :class:`~engine.Graph`
in topological order and reports every node whose value is not finite although its
arguments are; :func:`gradient_notes` does the same over a backward trace (an edge whose
contribution is not finite although its upstream gradient is) and :func:`tangent_notes`
over a forward-mode trace.  Each note names the operation with its arguments' names and
values.  Only loops, no recursion, so a graph of any depth is fine.

>>> from engine import Graph, Value
>>> x = Value(0.0, name="x")
>>> g = Graph(1 / x)
>>> [n.text for n in value_notes(g)]
['1/x at x = 0 divides by zero']
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .graph import Graph, Step
from .node import Node, format_number

_TEMPLATES = {"add": "{0} + {1}", "sub": "{0} - {1}", "mul": "{0} * {1}", "div": "{0}/{1}",
              "pow": "{0} ** {1}", "neg": "-{0}", "matmul": "{0} @ {1}", "maximum": "max({0}, {1})",
              "minimum": "min({0}, {1})"}
"""How an operation is written in an expression; any other op is written as a call, ``log(x)``."""
_DEPTH = 3
"""Unnamed sub-expressions are spelled out this many levels deep, then shown as ``…``."""
_DIGITS = 6


@dataclass(frozen=True)
class Note:
    """Why a value or gradient is not finite, at the node (index into ``graph.nodes``) where it began."""

    node: int
    kind: str  # "value" | "gradient"
    text: str
    inputs: tuple[str, ...] = ()
    """For a gradient note: the inputs whose gradient it explains (they depend on that node)."""


def finite(x: Any) -> bool:
    """True if ``x`` (a number or an array) holds only finite numbers."""
    try:
        return not np.iscomplexobj(x) and bool(np.all(np.isfinite(x)))
    except TypeError:  # an object array is not a finite real either
        return False


def _first_bad(x: Any) -> tuple[int, ...] | None:
    """The index of the first non-finite element of an array (None for a scalar)."""
    if np.ndim(x) == 0:
        return None
    bad = np.argwhere(~np.isfinite(np.asarray(x, dtype=float)))
    return tuple(int(i) for i in bad[0]) if len(bad) else None


def _at(x: Any, index: tuple[int, ...] | None) -> Any:
    if index is None or np.ndim(x) == 0:
        return x if np.ndim(x) == 0 else None
    if np.shape(x) != () and len(index) == np.ndim(x):
        try:
            return np.asarray(x)[index]
        except IndexError:
            return None
    return None


def _number(x: Any) -> str:
    if isinstance(x, complex) or np.iscomplexobj(x):
        return str(complex(x))
    return format_number(x, _DIGITS)


def _spell(graph: Graph, root: int) -> tuple[str, bool, list[int]]:
    """The expression computing ``graph.nodes[root]``, whether it is an atom (a name, a number, a call)
    that needs no parentheses as an operand, and the named nodes it mentions, left to right."""
    mentioned: list[int] = []
    spelled: dict[int, tuple[str, bool]] = {}
    todo = [(root, 0, False)]  # an explicit stack, spelled bottom-up: no recursion on deep graphs
    while todo:
        i, depth, ready = todo.pop()
        node = graph.nodes[i]
        parents = [graph.index[id(p)] for p in node.parents]
        if not ready:
            todo.append((i, depth, True))
            todo.extend((p, depth + 1, False) for p in reversed(parents)
                        if not _is_word(graph.nodes[p]) and depth < _DEPTH)
            continue
        args = []
        for p in parents:
            if graph.nodes[p].name and p not in mentioned:
                mentioned.append(p)
            text, atom = _word(graph.nodes[p]) if _is_word(graph.nodes[p]) else spelled.get(p, ("…", True))
            args.append(text if atom or node.prim.name not in _TEMPLATES else f"({text})")
        template = _TEMPLATES.get(node.prim.name)
        spelled[i] = (template.format(*args), False) if template else (f"{node.prim.name}({', '.join(args)})", True)
    return (*spelled[root], mentioned)


def _is_word(node: Node) -> bool:
    return bool(node.name) or node.prim is None


def _word(node: Node) -> tuple[str, bool]:
    """A named node by its name, a constant by its number (a negative one is not an atom)."""
    if node.name:
        return node.name, True
    if np.ndim(node.data) == 0:
        text = _number(node.data)
        return text, not text.startswith("-")
    return f"array{list(np.shape(node.data))}", True


def _bindings(graph: Graph, mentioned: Sequence[int], index: tuple[int, ...] | None) -> str:
    parts = []
    for i in mentioned:
        node = graph.nodes[i]
        value = node.data
        if np.ndim(value) == 0:
            parts.append(f"{node.name} = {_number(value)}")
        elif (element := _at(value, index)) is not None:
            parts.append(f"{node.name}[{', '.join(map(str, index))}] = {_number(element)}")
    return ", ".join(parts)


def _reason(node: Node, value: Any, args: list[Any]) -> str:
    """Why this operation on these (finite) numbers gave inf or nan."""
    op = node.prim.name
    if op in ("div", "pow") and len(args) == 2 and args[0] is not None and args[1] is not None:
        a, b = args
        if op == "div" and b == 0:
            return "is 0/0, undefined" if a == 0 else "divides by zero"
        if op == "pow" and a == 0 and b < 0:
            return "divides by zero"
        if op == "pow" and a < 0 and b != int(b):
            return "is undefined (a negative number to a fractional power)"
    if op == "log" and args and args[0] is not None:
        if args[0] == 0:
            return "is -inf"
        if args[0] < 0:
            return "is undefined"
    if op == "sqrt" and args and args[0] is not None and args[0] < 0:
        return "is undefined"
    if np.iscomplexobj(value) or np.isnan(value):
        return "is undefined (nan)"
    return f"overflows to {_number(value)} (beyond ±1.8e308)"


def value_notes(graph: Graph) -> list[Note]:
    """Every node whose value is not finite while all its arguments are, in topological order."""
    notes = []
    for i, node in enumerate(graph.nodes):
        value = node.data
        if finite(value):
            continue
        if node.prim is None:
            if node.name:
                notes.append(Note(i, "value", f"the input {node.name} is {_number(value)}"))
            continue
        if not all(finite(p.data) for p in node.parents):
            continue
        index = _first_bad(value)
        text, _, mentioned = _spell(graph, i)
        where = _bindings(graph, mentioned, index)
        args = [_at(p.data, index) for p in node.parents]
        reason = _reason(node, _at(value, index), args)
        notes.append(Note(i, "value", f"{text}{' at ' + where if where else ''} {reason}"))
    return notes


def _reaching(graph: Graph, start: int) -> tuple[str, ...]:
    """The named inputs that ``graph.nodes[start]`` depends on (itself included)."""
    seen, todo, names = {start}, [start], []
    while todo:
        node = graph.nodes[todo.pop()]
        if node.prim is None and node.requires_grad and node.name:
            names.append(node.name)
        for p in node.parents:
            j = graph.index[id(p)]
            if j not in seen:
                seen.add(j)
                todo.append(j)
    return tuple(sorted(names))


def _derivative(graph: Graph, child: int, parent: int) -> tuple[str, str]:
    """"∂(1/x)/∂x" for an edge, and the bindings of the child's expression."""
    text, atom, mentioned = _spell(graph, child)
    arg, arg_atom = _word(graph.nodes[parent]) if _is_word(graph.nodes[parent]) else _spell(graph, parent)[:2]
    return f"∂{text if atom else f'({text})'}/∂{arg if arg_atom else f'({arg})'}", _bindings(graph, mentioned, None)


def gradient_notes(graph: Graph, steps: Sequence[Step]) -> list[Note]:
    """Where backward made a gradient inf or nan from finite upstream gradients (``graph.backward_trace()``)."""
    notes = []
    for step in steps:
        if step.kind != "backward" or not finite(step.grad):
            continue
        if not all(finite(e.contribution) for e in step.incoming) and step.incoming:
            continue
        for edge in step.outgoing:
            if finite(edge.contribution):
                continue
            derivative, where = _derivative(graph, edge.child, edge.parent)
            at = f" at {where}" if where else ""
            if edge.local is not None and not finite(edge.local):
                text = f"{derivative} = {_number(edge.local)}{at}"
            else:
                text = f"the gradient through {derivative} overflows to {_number(edge.contribution)}{at}"
            notes.append(Note(edge.child, "gradient", text, _reaching(graph, edge.parent)))
    for step in steps:  # finite contributions that added up to inf at a node used more than once
        if step.kind == "backward" and not finite(step.grad) and step.incoming \
                and all(finite(e.contribution) for e in step.incoming):
            name = _word(graph.nodes[step.index])[0] if _is_word(graph.nodes[step.index]) \
                else _spell(graph, step.index)[0]
            notes.append(Note(step.index, "gradient",
                              f"the gradients reaching {name} add up to {_number(step.grad)}",
                              _reaching(graph, step.index)))
    return notes


def tangent_notes(graph: Graph, steps: Sequence[Step], wrt: str) -> list[Note]:
    """Where forward mode's tangent d(node)/d(wrt) became inf or nan from finite ones (``graph.tangent_trace``)."""
    tangents = {s.index: s.tangent for s in steps}
    notes = []
    for step in steps:
        node = graph.nodes[step.index]
        if finite(step.tangent) or node.prim is None:
            continue
        if not all(finite(tangents.get(graph.index[id(p)], 0.0)) for p in node.parents):
            continue
        text, atom, mentioned = _spell(graph, step.index)
        where = _bindings(graph, mentioned, _first_bad(step.tangent))
        numerator = text if atom else f"({text})"
        notes.append(Note(step.index, "gradient", f"∂{numerator}/∂{wrt} = {_number(step.tangent)}"
                                                  f"{' at ' + where if where else ''}", (wrt,)))
    return notes
