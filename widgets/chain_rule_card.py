"""The chain-rule card: the current step in words and numbers, docked under the graph.

It sits in the graph canvas's bottom margin, outside the viewport, so it can
never cover a node at any size or zoom.  Long lines wrap after an ``=``, ``⟵``
or ``·`` (never inside a formula), with the continuation indented.
"""
from __future__ import annotations

import re

from typing import Sequence

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QWidget

from widgets.theme import LIGHT, Theme

MIN_PX = 17
"""Smallest card font, in pixels (the theme's text floor, if higher)."""
ROOM = 24
"""The card font is at most the canvas height over this (about eight lines in a third of it)."""
PAD = 10.0
"""Inner margin of the card, in pixels."""
LINE = 1.15
"""Line height as a multiple of the font height."""
INDENT = "    "
"""Prefix of a wrapped line's continuation."""
BREAKS = (" = ", " ⟵ ", " · ", " ⊙ ", ": ")
"""Where a long line may wrap: after these (the break keeps them on the first line)."""


_BREAK = re.compile("|".join(f"(?<={re.escape(b)})" for b in BREAKS))


def wrap_line(text: str, fm: QFontMetricsF, width: float) -> list[str]:
    """``text`` cut after break points into lines no wider than ``width`` (as far as breaks allow)."""
    lines: list[str] = []
    for piece in _BREAK.split(text):
        if lines and fm.horizontalAdvance((lines[-1] + piece).rstrip()) > width:
            lines.append(INDENT + piece)
        elif lines:
            lines[-1] += piece
        else:
            lines.append(piece)
    return [line.rstrip() for line in lines]


class ChainRuleCard(QWidget):
    """Coloured lines (value blue, gradient vermillion, tangent green) on the theme's panel colour."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.theme: Theme = LIGHT
        self.lines: list[tuple[str, str]] = []

    def card_font(self) -> QFont:
        """The card's font: large enough for the back row, larger in the presenter theme, but never
        so large that the card takes more than about a third of its canvas (parent widget) height."""
        font = QFont(self.font())
        room = self.parentWidget().height() / ROOM if self.parentWidget() else float("inf")
        font.setPixelSize(int(max(MIN_PX, self.theme.min_text_px, min(self.theme.base_font_pt * 1.6, room))))
        return font

    def smallest_text_px(self) -> float | None:
        """The card's text size in pixels while it shows lines (None when it shows none)."""
        shown = self.isVisible() and self.height() > 0 and any(text for _, text in self.lines)
        return float(self.card_font().pixelSize()) if shown else None

    def wrapped(self, lines: Sequence[tuple[str, str]], width: float) -> list[tuple[str, str]]:
        """(role, text) lines as painted into a card ``width`` pixels wide."""
        fm = QFontMetricsF(self.card_font())
        return [(role, piece) for role, text in lines for piece in wrap_line(text, fm, width - 2 * PAD)]

    def height_for(self, lines: Sequence[tuple[str, str]], width: float) -> float:
        """Pixels the card needs to show ``lines`` at ``width``."""
        fm = QFontMetricsF(self.card_font())
        return fm.height() * LINE * len(self.wrapped(lines, width)) + 2 * PAD + 4

    def set_lines(self, lines: Sequence[tuple[str, str]]) -> None:
        """Show these (colour role, text) lines."""
        self.lines = list(lines)
        self.update()

    def paintEvent(self, event) -> None:
        t = self.theme
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing)
        painter.fillRect(self.rect(), QColor(t.background))
        box = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        painter.setPen(QPen(QColor(t.muted), 1))
        painter.setBrush(QColor(t.panel))
        painter.drawRoundedRect(box, 8, 8)
        font = self.card_font()
        painter.setFont(font)
        lh = QFontMetricsF(font).height() * LINE
        colours = {"value": t.value, "grad": t.grad, "tangent": t.tangent, "text": t.text}
        y = box.top() + PAD
        for role, text in self.wrapped(self.lines, box.width()):
            painter.setPen(QColor(colours[role]))
            painter.drawText(QRectF(box.left() + PAD, y, box.width() - 2 * PAD, lh),
                             Qt.AlignLeft | Qt.AlignVCenter, text)
            y += lh
