"""A log-scale axis whose tick labels never overlap: minor ticks thinned to what fits.

pyqtgraph labels every minor tick (2·10ᵏ … 9·10ᵏ) of a log axis that spans under three
decades, so on a short axis (a 120-pixel plot in the training lab) the labels pile on
top of each other.  This axis keeps the 1-2-5 ticks, then drops any that would sit
closer than a label's height (or width, horizontally) to a tick already kept, major
levels first.
"""
from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtGui import QFontMetricsF

NICE = (1.0, 2.0, 5.0)
"""The mantissas kept first when minor ticks are too dense to label them all."""


def thinned(values: list[float], low: float, high: float, pixels: float, gap_px: float,
            kept: list[float] = ()) -> list[float]:
    """The log10 tick ``values`` between ``low`` and ``high`` (an axis ``pixels`` long) that can
    be labelled ``gap_px`` away from each other and from the ticks ``kept`` already: 1-2-5
    mantissas only if all of them do not fit, then greedily from the bottom."""
    if not values or high <= low or pixels <= 0:
        return list(values)
    per_px = (high - low) / pixels
    if len(values) * gap_px * per_px > high - low:
        values = [v for v in values if round(10 ** (v - math.floor(v + 1e-9)), 6) in NICE]
    taken, out = sorted(kept), []
    for v in sorted(values):
        if all(abs(v - k) / per_px >= gap_px for k in taken):
            out.append(v)
            taken.append(v)
    return out


class ReadableLogAxis(pg.AxisItem):
    """:class:`pg.AxisItem` whose log-mode ticks are thinned by :func:`thinned`, major levels first."""

    def logTickValues(self, minVal, maxVal, size, stdTicks):  # noqa: N802 (pyqtgraph's name)
        text_px = QFontMetricsF(self.style.get("tickFont") or self.font()).height()
        gap = 1.4 * text_px if self.orientation in ("left", "right") else 4.0 * text_px
        kept: list[float] = []
        out = []
        for spacing, values in super().logTickValues(minVal, maxVal, size, stdTicks):
            level = thinned([v for v in values if minVal <= v <= maxVal], minVal, maxVal, size, gap, kept)
            kept += level
            out.append((spacing, level))
        return out
