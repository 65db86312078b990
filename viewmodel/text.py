"""The explorer's words and numbers: node labels, the slides' local derivatives, chain-rule lines.

``node_names`` gives every node of a graph its one label (the user's name, else
the lecture's notation: z1 for a sum, a1 for an activation, ...; never an op
symbol, never two nodes alike); ``short_label`` looks it up; ``derivative_formula`` writes the slide's local derivative with
the arguments' own names; ``chain_text`` and ``sum_text`` write upstream × local
= contribution and a fan-out's sum with true minus signs.
"""
from __future__ import annotations

import re
from collections import Counter
from typing import Any, Mapping, Sequence

import numpy as np

from engine import EdgeStep, Node, format_number

_LETTERS = {"matmul": ("X", "W"), "linear": ("x", "W", "b"), "conv2d": ("x", "W", "b")}
"""The slides' argument letters where they are not x, y, z (``local_text`` uses them)."""
_LETTER = re.compile(r"(?<![A-Za-z0-9_])([xyzXWb])(?![A-Za-z0-9_])")
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*′*|\([^ ()]{1,6}\)|-?[0-9.]+′*")


Names = Mapping[int, str]
"""``id(node)`` → its label, from :func:`node_names`."""
_NOTATION = {"add": "z", "sub": "z", "matmul": "z", "linear": "z", "conv2d": "z", "sum": "s", "mean": "m",
             "mul": "p", "div": "r", "neg": "n", "pow": "u", "exp": "e", "log": "ln", "sigmoid": "a", "tanh": "a",
             "relu": "a", "leaky_relu": "a", "elu": "a", "softplus": "a", "softmax": "a"}
"""The lecture's letter for an unnamed gate's result (z = weighted sum, a = activation); others get v."""


def node_names(nodes: Sequence[Node]) -> dict[int, str]:
    """Every node's label, by ``id``: its own name; else the lecture's notation numbered in order
    (``z1``, ``a1``, ``p2``), skipping names the graph already uses; a constant its value.  A label
    two nodes would share gets primes (``1``, ``1′``), so no two different nodes look alike."""
    used = {n.name for n in nodes if n.name}
    count: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    names: dict[int, str] = {}
    for node in nodes:
        if node.name or node.prim is None:
            base = node.name or number_text(node.data)
            name = base + "′" * seen[base]
            seen[base] += 1
        else:
            letter = _NOTATION.get(node.prim.name, "v")
            count[letter] += 1
            while f"{letter}{count[letter]}" in used:
                count[letter] += 1
            name = f"{letter}{count[letter]}"
        used.add(name)
        names[id(node)] = name
    return names


def _letters(node: Node) -> tuple[str, ...]:
    return _LETTERS.get(node.prim.name, ("x", "y", "z")[:node.prim.arity])


def argument_names(node: Node, names: Names | None = None) -> tuple[str, ...] | None:
    """The arguments' labels to write into the formula, or None where x, y read better.

    Labels are used when they are distinct, short (≤ 10 characters) and plain (a name,
    a number), so ``∂(q × z)/∂q = z`` but not ``∂(W_hh h1 + W_xh x2)/∂…``;
    a negative constant is bracketed.
    """
    labels = [short_label(p, names) for p in node.parents]
    if len(set(labels)) < len(labels) or not all(len(s) <= 10 and _PLAIN.fullmatch(s) for s in labels):
        return None
    return tuple(s if not s.startswith("-") else f"({s})".replace("-", "−") for s in labels)


def derivative_formula(node: Node, arg: int, names: Names | None = None) -> str:
    """The slide's local derivative for one argument, e.g. ``∂(q × z)/∂q = z`` (``∂(x × y)/∂x = y``).

    The arguments' own labels replace the letters x, y where :func:`argument_names` allows.
    """
    prim = node.prim
    letters = _letters(node)
    names = argument_names(node, names) or letters
    local = prim.local_text[arg] if arg < len(prim.local_text) else "?"
    local = _LETTER.sub(lambda m: names[letters.index(m.group(1))] if m.group(1) in letters else m.group(1),
                        local)
    if prim.arity == 2:
        return f"∂({names[0]} {prim.symbol} {names[1]})/∂{names[arg]} = {local}"
    return f"∂{prim.symbol}({', '.join(names)})/∂{names[arg]} = {local}"


def minus(text: str) -> str:
    """``text`` with true minus signs (−), as the slides write them."""
    return text.replace("-", "−")


def short_label(node: Node, names: Names | None = None) -> str:
    """A node's label in ``names`` (:func:`node_names`), else its own name, else its op in parentheses."""
    label = names.get(id(node)) if names else None
    return label or node.name or (f"({node.prim.symbol})" if node.prim else number_text(node.data))


def expression_text(node: Node, names: Names | None = None) -> str:
    """How a node is computed from its arguments, e.g. ``x + y`` or ``exp(a)``."""
    if node.prim is None:
        return "input" if node.requires_grad else "constant"
    args = [short_label(p, names) for p in node.parents]
    if len(args) == 2:
        return f"{args[0]} {node.prim.symbol} {args[1]}"
    return f"{node.prim.symbol}({', '.join(args)})"


def number_text(x: Any) -> str:
    """4 significant digits for numbers; the shape for arrays (they get a heatmap)."""
    if x is None:
        return ""
    if isinstance(x, Node):
        x = x.data
    if isinstance(x, np.ndarray) and x.size == 1:
        return format_number(x.item())
    if isinstance(x, np.ndarray) and x.ndim > 0:
        if x.size <= 3:
            return "[" + ", ".join(format_number(v, 3) for v in x.ravel()) + "]"
        return "[" + "×".join(str(s) for s in x.shape) + "]"
    return format_number(x)


def sum_text(incoming: Sequence[EdgeStep]) -> str | None:
    """How a fan-out node's gradient adds up, e.g. ``−4 + 3 = −1`` (None for one consumer)."""
    if len(incoming) < 2:
        return None
    parts = [number_text(e.contribution) for e in incoming]
    total = incoming[0].contribution
    for e in incoming[1:]:
        total = total + e.contribution
    text = parts[0] + "".join(f" − {p[1:]}" if p.startswith("-") else f" + {p}" for p in parts[1:])
    return f"{text} = {number_text(total)}".replace("-", "−")


def chain_text(edge: EdgeStep) -> str:
    """upstream × local = contribution, as numbers (shapes for big tensors; a constant local as one number)."""
    if edge.local is None:
        return f"{number_text(edge.upstream)} → {number_text(edge.contribution)}".replace("-", "−")
    times = "⊙" if np.ndim(edge.upstream) or np.ndim(edge.local) else "×"
    local = np.asarray(edge.local)
    if local.size > 1 and (local == local.flat[0]).all():  # "⊙ 1", not "⊙ [1, 1, 1]"
        local = local.flat[0]
    return (f"{number_text(edge.upstream)} {times} {number_text(local)} = "
            f"{number_text(edge.contribution)}").replace("-", "−")


