"""The node inspector: one node's value and gradient, op and local derivatives.

It writes the slides' notation (∂f/∂q) next to PyTorch's (``q.grad``), from
the numbers the explorer model already computed.  Numbers have 4 significant
digits, small arrays are a table of rows, big ones their shape and min/max/mean;
formulas wrap only after an ``=``, so the panel never scrolls sideways.
"""
from __future__ import annotations

import html
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from app.explorer_model import Timeline, derivative_formula, expression_text, short_label
from app.value_format import array_rows, number, summary
from widgets.theme import LIGHT, Theme


def formula_html(text: str) -> str:
    """A formula that may wrap only after ``=`` (every other space is non-breaking)."""
    parts = html.escape(text).split(" = ")
    return "&nbsp;= ".join(part.replace(" ", "&nbsp;") for part in parts)


def value_html(x: Any, colour: str) -> str:
    """A number; a small array as a table, one row per row; a big one as shape, min, max, mean."""
    if np.size(x) == 1 and np.ndim(x) == 0:
        return f"<span style='color:{colour}'>{number(x)}</span>"
    rows = array_rows(x)
    if rows is None:
        return f"<span style='color:{colour}'>{' · '.join(s.replace(' ', '&nbsp;') for s in summary(x))}</span>"
    cells = "".join("<tr>" + "".join(f"<td align='right'>{s}</td>" for s in row) + "</tr>" for row in rows)
    return f"<table cellspacing='0' cellpadding='2' style='color:{colour}'>{cells}</table>"


class NodeInspector(QLabel):
    """Rich text about the selected node; empty until a node is clicked."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.theme: Theme = LIGHT
        self.setTextFormat(Qt.RichText)
        self.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.setMargin(6)
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)  # wrap to the panel, never widen it
        self.clear_node()

    def clear_node(self) -> None:
        """Show the hint instead of a node."""
        self.setText("<i>Click a node to inspect it.</i>")

    def show_node(self, timeline: Timeline, i: int, grad_shown: bool) -> None:
        """Describe graph node ``i``; its gradient only once the animation has reached it."""
        t = self.theme
        node = timeline.graph.nodes[i]
        name = html.escape(short_label(node))
        rows = [f"<b style='font-size:large'>{name}</b> = {formula_html(expression_text(node))}",
                f"op: <code>{node.op}</code> &nbsp; shape: <code>{tuple(node.shape)}</code>",
                f"<span style='color:{t.value}'>value:</span> {value_html(node.data, t.value)}"]
        grad = timeline.grads[i]
        if grad is not None and grad_shown:
            var = html.escape(node.name or "node")
            torch_name = f"{var}.grad" if node.prim is None else f"{var}.grad after {var}.retain_grad()"
            rows.append(f"<span style='color:{t.grad}'>{formula_html(timeline.grad_name(i))}:</span> "
                        f"{value_html(grad, t.grad)}")
            rows.append(f"<span style='color:{t.muted}'>PyTorch: {torch_name.replace('.', '.&#8203;')}</span>")
        if node.prim is not None:
            rows.append("local derivatives:")
            rows += [f"&nbsp;&nbsp;w.r.t. {html.escape(short_label(p))}:<br>&nbsp;&nbsp;&nbsp;&nbsp;"
                     f"{formula_html(derivative_formula(node, k))}" for k, p in enumerate(node.parents)]
        self.setText("<br>".join(rows))
