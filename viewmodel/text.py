"""The explorer's words and numbers: node labels, the slides' local derivatives, chain-rule lines.

``short_label`` names a node as the formulas do (its name, or its op in
parentheses); ``derivative_formula`` writes the slide's local derivative with
the arguments' own names; ``chain_text`` and ``sum_text`` write upstream × local
= contribution and a fan-out's sum with true minus signs.
"""
from __future__ import annotations

import re
from typing import Any, Sequence

import numpy as np

from engine import EdgeStep, Node, format_number

_LETTERS = {"matmul": ("X", "W"), "linear": ("x", "W", "b"), "conv2d": ("x", "W", "b")}
"""The slides' argument letters where they are not x, y, z (``local_text`` uses them)."""
_LETTER = re.compile(r"(?<![A-Za-z0-9_])([xyzXWb])(?![A-Za-z0-9_])")
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*|\([^ ()]{1,6}\)|-?[0-9.]+")


def _letters(node: Node) -> tuple[str, ...]:
    return _LETTERS.get(node.prim.name, ("x", "y", "z")[:node.prim.arity])


def argument_names(node: Node) -> tuple[str, ...] | None:
    """The arguments' labels to write into the formula, or None where x, y read better.

    Labels are used when they are distinct, short (≤ 10 characters) and plain (a name,
    a number or an op like ``(×)``), so ``∂(q × z)/∂q = z`` but not ``∂((×) + (×))/∂(×)``
    or ``∂(W_hh h1 + …)``; a negative constant is bracketed.
    """
    labels = [short_label(p) for p in node.parents]
    if len(set(labels)) < len(labels) or not all(len(s) <= 10 and _PLAIN.fullmatch(s) for s in labels):
        return None
    return tuple(s if not s.startswith("-") else f"({s})".replace("-", "−") for s in labels)


def derivative_formula(node: Node, arg: int) -> str:
    """The slide's local derivative for one argument, e.g. ``∂(q × z)/∂q = z`` (``∂(x × y)/∂x = y``).

    The arguments' own labels replace the letters x, y where :func:`argument_names` allows.
    """
    prim = node.prim
    letters = _letters(node)
    names = argument_names(node) or letters
    local = prim.local_text[arg] if arg < len(prim.local_text) else "?"
    local = _LETTER.sub(lambda m: names[letters.index(m.group(1))] if m.group(1) in letters else m.group(1),
                        local)
    if prim.arity == 2:
        return f"∂({names[0]} {prim.symbol} {names[1]})/∂{names[arg]} = {local}"
    return f"∂{prim.symbol}({', '.join(names)})/∂{names[arg]} = {local}"


def minus(text: str) -> str:
    """``text`` with true minus signs (−), as the slides write them."""
    return text.replace("-", "−")


def short_label(node: Node) -> str:
    """A node's name, or its op symbol in parentheses, for formulas like ``∂f/∂(×)``."""
    return node.name or (f"({node.prim.symbol})" if node.prim else number_text(node.data))


def expression_text(node: Node) -> str:
    """How a node is computed from its arguments, e.g. ``x + y`` or ``exp(a)``."""
    if node.prim is None:
        return "input" if node.requires_grad else "constant"
    args = [short_label(p) for p in node.parents]
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


