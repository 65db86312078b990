"""The chain-rule card's strip: docked under the canvas's viewport, tall enough for any step's card.

The strip is the scroll area's bottom viewport margin, so the card never covers
the graph.  Its height is measured once per graph on a sample of steps and grows
(never shrinks) when a step the samples missed needs more; at most CARD_SHARE of
the canvas, so a thumbnail-sized canvas clips the card rather than the graph.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from PySide6.QtWidgets import QAbstractScrollArea

from viewmodel.timeline import Timeline
from widgets.chain_rule_card import ChainRuleCard
from widgets.theme import Theme

CARD_SAMPLES = 400
"""Steps whose chain-rule card is measured when sizing the card's strip."""
CARD_SHARE = 0.45
"""The most of the canvas's height the card's strip takes."""

Lines = Sequence[tuple[str, str]]


class CardStrip:
    """A :class:`ChainRuleCard` in the bottom margin of ``area`` (the graph canvas)."""

    def __init__(self, area: QAbstractScrollArea):
        self.area = area
        self.card = ChainRuleCard(area)
        self.height = 0
        self._samples: list[Lines] = []

    def set_timeline(self, timeline: Timeline) -> None:
        """Measure the card on a sample of the timeline's steps and size the strip for the tallest."""
        steps = np.unique(np.linspace(0, len(timeline), min(len(timeline) + 1, CARD_SAMPLES)).round())
        self._samples = [timeline.explain(int(k)) for k in steps]
        self.height = 0
        self.reserve()

    def show(self, lines: Lines) -> bool:
        """Put ``lines`` on the card; True if the strip had to grow for them (refit the graph then)."""
        self.card.set_lines(lines)
        if self.card.height_for(lines, self.card.width()) <= self.height:
            return False
        self._samples.append(lines)  # a step the samples missed
        if self.reserve():
            return True
        self._samples.pop()
        return False

    def set_theme(self, theme: Theme) -> None:
        """The card's colours and font size follow the theme: measure again."""
        self.card.theme = theme
        if self._samples:
            self.height = 0
            self.reserve()
        self.card.update()

    def resized(self) -> None:
        """The canvas changed size: the card's font and wrapping follow it."""
        self.height = 0
        self.reserve()
        self.place()

    def reserve(self) -> bool:
        """Make the strip tall enough for the card at any step measured so far; True if it changed."""
        width = self.area.width() - 2 * self.area.frameWidth()
        need = max((self.card.height_for(lines, width) for lines in self._samples), default=0.0)
        height = int(min(np.ceil(need) + 4, CARD_SHARE * self.area.height()))
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
