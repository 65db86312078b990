"""The node inspector: one node's full value and gradient, op and local derivatives.

It writes the slides' notation (∂f/∂q) next to PyTorch's (``q.grad``), from
the numbers the explorer model already computed.
"""
from __future__ import annotations

import html
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from app.explorer_model import Timeline, derivative_formula, expression_text, short_label
from widgets.theme import LIGHT, Theme


def _full(x: Any) -> str:
    """Every digit that matters: 10 significant for a number, 6 per entry for arrays."""
    if np.size(x) == 1 and np.ndim(x) == 0:
        return f"{float(x):.10g}".replace("-", "−")
    return html.escape(np.array2string(np.asarray(x), precision=6, threshold=64, max_line_width=48))


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
        self.clear_node()

    def clear_node(self) -> None:
        self.setText("<i>Click a node to inspect it.</i>")

    def show_node(self, timeline: Timeline, i: int, grad_shown: bool) -> None:
        """Describe graph node ``i``; its gradient only once the animation has reached it."""
        t = self.theme
        node = timeline.graph.nodes[i]
        name = html.escape(short_label(node))
        rows = [f"<b style='font-size:large'>{name}</b> = {html.escape(expression_text(node))}",
                f"op: <code>{node.op}</code> &nbsp; shape: <code>{tuple(node.shape)}</code>",
                f"<span style='color:{t.value}'>value:</span><pre style='color:{t.value}'>{_full(node.data)}</pre>"]
        grad = timeline.grads[i]
        if grad is not None and grad_shown:
            var = html.escape(node.name or "node")
            torch_name = f"{var}.grad" if node.prim is None else f"{var}.grad</code> after <code>{var}.retain_grad()"
            rows.append(f"<span style='color:{t.grad}'>{html.escape(timeline.grad_name(i))} "
                        f"&nbsp;(PyTorch: <code>{torch_name}</code>):</span>"
                        f"<pre style='color:{t.grad}'>{_full(grad)}</pre>")
        if node.prim is not None:
            rows.append("local derivatives:")
            rows += [f"&nbsp;&nbsp;w.r.t. {html.escape(short_label(p))}: "
                     f"<code>{html.escape(derivative_formula(node, k))}</code>"
                     for k, p in enumerate(node.parents)]
        self.setText("<br>".join(rows))
