"""The node inspector: one node's value and gradient, op and local derivatives.

It writes the slides' notation (∂f/∂q) next to PyTorch's (``q.grad``), from
the numbers the view model already computed.  Numbers have 4 significant
digits, small arrays are a table of rows, big ones their shape and min/max/mean;
formulas wrap only after an ``=``, so the panel never scrolls sideways.
"""
from __future__ import annotations

import html
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from viewmodel.text import derivative_formula, expression_text, short_label
from viewmodel.timeline import Timeline
from viewmodel.value_format import array_rows, number, summary
from widgets.theme import LIGHT, Theme


CELL_PAD = 3
"""Padding of a table cell, in pixels."""


def formula_html(text: str) -> str:
    """A formula that may wrap only after ``=`` (every other space is non-breaking)."""
    parts = html.escape(text).split(" = ")
    return "&nbsp;= ".join(part.replace(" ", "&nbsp;") for part in parts)


def value_html(x: Any, colour: str, fm: QFontMetricsF, width: float) -> str:
    """A number; a small array as a table, one row per row (if it fits in ``width`` pixels);
    else its shape, min, max and mean."""
    if np.size(x) == 1 and np.ndim(x) == 0:
        return f"<span style='color:{colour}'>{number(x)}</span>"
    rows = array_rows(x)
    if rows is not None and sum(max(fm.horizontalAdvance(r[k]) for r in rows) + 2 * CELL_PAD
                                for k in range(len(rows[0]))) > width:
        rows = None
    if rows is None:
        return f"<span style='color:{colour}'>{' · '.join(s.replace(' ', '&nbsp;') for s in summary(x))}</span>"
    cells = "".join("<tr>" + "".join(f"<td align='right'>{s}</td>" for s in row) + "</tr>" for row in rows)
    return f"<table cellspacing='0' cellpadding='{CELL_PAD}' style='color:{colour}'>{cells}</table>"


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
        self._shown: tuple[Timeline, int, bool] | None = None
        self.clear_node()

    def clear_node(self) -> None:
        """Show the hint instead of a node."""
        self._shown = None
        self.setText("<i>Click a node to inspect it.</i>")

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._shown is not None and event.oldSize().width() != event.size().width():
            self.show_node(*self._shown)  # a table may fit now, or no longer

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if self._shown is not None and event.type() == QEvent.FontChange:
            self.show_node(*self._shown)

    def show_node(self, timeline: Timeline, i: int, grad_shown: bool) -> None:
        """Describe graph node ``i``; its gradient only once the animation has reached it."""
        self._shown = (timeline, i, grad_shown)
        t = self.theme
        fm, width = QFontMetricsF(self.font()), self.contentsRect().width() - 2 * self.margin()
        node = timeline.graph.nodes[i]
        names = timeline.names
        name = html.escape(short_label(node, names))
        rows = [f"<b style='font-size:large'>{name}</b> = {formula_html(expression_text(node, names))}",
                f"op: <code>{node.op}</code> &nbsp; shape: <code>{str(tuple(node.shape)).replace(' ', '&nbsp;')}</code>",
                f"<span style='color:{t.value}'>value:</span> {value_html(node.data, t.value, fm, width)}"]
        grad = timeline.grads[i]
        if grad is not None and grad_shown:
            var = html.escape(node.name or short_label(node, names))
            torch_name = f"{var}.grad" if node.prim is None else f"{var}.grad after {var}.retain_grad()"
            rows.append(f"<span style='color:{t.grad}'>{formula_html(timeline.grad_name(i))}:</span> "
                        f"{value_html(grad, t.grad, fm, width)}")
            rows.append(f"<span style='color:{t.muted}'>PyTorch: {torch_name.replace('.', '.&#8203;')}</span>")
        if node.prim is not None:
            rows.append("local derivatives:")
            rows += [f"&nbsp;&nbsp;w.r.t. {html.escape(short_label(p, names))}:<br>&nbsp;&nbsp;&nbsp;&nbsp;"
                     f"{formula_html(derivative_formula(node, k, names))}" for k, p in enumerate(node.parents)]
        self.setText("<br>".join(rows))
