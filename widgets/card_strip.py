"""The chain-rule card's strip: docked under the canvas's viewport, as tall as the card's lines now.

The strip is the scroll area's bottom viewport margin, so the card never covers
the graph.  It takes the height of the current step's card (none when there is
nothing to say) and at most CARD_SHARE of the canvas, so a thumbnail-sized
canvas clips the card rather than the graph; the canvas frames the graph again
whenever the strip changes.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from PySide6.QtWidgets import QAbstractScrollArea

from viewmodel.timeline import Timeline
from widgets.chain_rule_card import ChainRuleCard
from widgets.theme import Theme

CARD_SHARE = 0.45
"""The most of the canvas's height the card's strip takes."""

Lines = Sequence[tuple[str, str]]


class CardStrip:
    """A :class:`ChainRuleCard` in the bottom margin of ``area`` (the graph canvas)."""

    def __init__(self, area: QAbstractScrollArea):
        self.area = area
        self.card = ChainRuleCard(area)
        self.height = 0
        self._lines: Lines = []

    def set_timeline(self, timeline: Timeline) -> None:
        """A new timeline: the card shows its first step."""
        self.show(timeline.explain(0))

    def show(self, lines: Lines) -> bool:
        """Put ``lines`` on the card and fit the strip to them; True if its height changed."""
        self._lines = list(lines)
        self.card.set_lines(lines)
        return self.reserve()

    def set_theme(self, theme: Theme) -> None:
        """The card's colours and font size follow the theme: measure again."""
        self.card.theme = theme
        self.reserve()
        self.card.update()

    def resized(self) -> None:
        """The canvas changed size: the card's font and wrapping follow it."""
        self.reserve()
        self.place()

    def reserve(self) -> bool:
        """Make the strip exactly as tall as the card's lines need; True if it changed."""
        width = self.area.width() - 2 * self.area.frameWidth()
        need = self.card.height_for(self._lines, width) if any(text for _, text in self._lines) else 0.0
        height = int(min(np.ceil(need), CARD_SHARE * self.area.height()))
        if height == self.height:
            return False
        self.height = height
        self.area.setViewportMargins(0, 0, 0, height)
        self.place()
        return True

    def place(self) -> None:
        """Put the card into the strip."""
        f = self.area.frameWidth()
        self.card.setGeometry(f, self.area.height() - f - self.height, self.area.width() - 2 * f, self.height)
