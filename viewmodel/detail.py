"""Level of detail: which groups the canvas draws as boxes and where its camera looks, so text stays readable.

Text never shrinks below the theme's floor (``min_text_px``): the camera's zoom
is at least ``min_text_px / SMALLEST_PX``.  A graph that does not fit at that zoom
is not shrunk further; instead (focus + context) every group collapses into a
labelled box except the one holding the current step, and if that still does not
fit, the camera follows the current step at the floor zoom.  The canvas records
the smallest text it actually drew (:class:`TextRecord`), so tests read what a
viewer would see.  No Qt here: plans are measured by the function the canvas passes in.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from viewmodel.canvas_plan import SMALLEST_PX, CanvasPlan, Measure
from viewmodel.groups import Group, ViewGraph, view_graph
from viewmodel.timeline import Timeline

MARGIN = 16.0
"""Pixels of the viewport kept free around a fitted graph."""


def floor_zoom(min_text_px: float) -> float:
    """The smallest zoom at which every canvas font is at least ``min_text_px`` pixels."""
    return min_text_px / SMALLEST_PX


@dataclass(frozen=True)
class Framing:
    """What the camera shows: the graph drawn with ``collapsed`` groups as boxes, at ``scale``
    (pixels per scene unit) centred on ``centre``; ``whole`` when all of it is in view."""

    collapsed: frozenset[str]
    scale: float
    centre: tuple[float, float]
    whole: bool


class TextRecord:
    """The smallest text (pixels on screen, after zoom) each paint pass drew; passes are named
    (the cached background, the step's labels, the legend, the card) and each starts afresh."""

    def __init__(self) -> None:
        self._px: dict[str, float] = {}

    def begin(self, layer: str) -> None:
        """A paint pass of ``layer`` starts: forget what it drew before."""
        self._px.pop(layer, None)

    def add(self, layer: str, px: float) -> None:
        """``layer`` drew text ``px`` pixels high."""
        self._px[layer] = min(px, self._px.get(layer, float("inf")))

    def smallest(self) -> float | None:
        """The smallest text drawn on screen now, or None if no text was drawn."""
        return min(self._px.values(), default=None)


class Detail:
    """One timeline's plans at every grouping the camera needs (cached), and the framing for a viewport."""

    def __init__(self, timeline: Timeline, view: ViewGraph, groups: Sequence[Group], measure: Measure):
        self.timeline, self.groups, self.measure = timeline, list(groups), measure
        self.chosen = frozenset(g.name for g in view.group if g is not None)
        """The groups collapsed by choice (the explorer's state); detail may collapse more."""
        self._plans: dict[frozenset[str], CanvasPlan] = {self.chosen: CanvasPlan(timeline, view, measure)}

    def plan(self, collapsed: frozenset[str]) -> CanvasPlan:
        """The plan with these groups as boxes."""
        if collapsed not in self._plans:
            view = view_graph(self.timeline.graph, self.groups, collapsed)
            self._plans[collapsed] = CanvasPlan(self.timeline, view, self.measure)
        return self._plans[collapsed]

    def focus_groups(self, node: int | None) -> frozenset[str]:
        """The groups holding graph node ``node`` (they stay open)."""
        if node is None:
            return frozenset()
        key = id(self.timeline.graph.nodes[node])
        return frozenset(g.name for g in self.groups if key in g.members)

    def frame(self, viewport: tuple[float, float], min_scale: float, max_scale: float,
              focus: int | None) -> Framing:
        """The framing of a ``viewport`` (w, h pixels) with zoom ≥ ``min_scale``: the chosen grouping
        fitted whole if it fits; else every group but the focus node's collapsed, fitted if it fits;
        else that grouping at ``min_scale``, centred on the focus node (kept inside the graph)."""
        w, h = max(viewport[0] - MARGIN, 1.0), max(viewport[1] - MARGIN, 1.0)
        candidates = [self.chosen]
        if self.groups:
            candidates.append(frozenset(g.name for g in self.groups) - self.focus_groups(focus))
        for collapsed in candidates:
            b = self.plan(collapsed).bounds()
            scale = min(w / b.width, h / b.height, max_scale)
            if scale >= min_scale:
                return Framing(collapsed, scale, b.center, True)
        collapsed = candidates[-1]
        plan = self.plan(collapsed)
        b = plan.bounds()
        target = plan.pos[int(plan.view.owner[focus])] if focus is not None else np.array(b.center)
        centre = (_inside(float(target[0]), b.left, b.right, w / min_scale),
                  _inside(float(target[1]), b.top, b.bottom, h / min_scale))
        return Framing(collapsed, min_scale, centre, False)


def _inside(x: float, lo: float, hi: float, span: float) -> float:
    """``x`` moved so that a window ``span`` wide centred on it stays within [lo, hi] (the middle if
    the window is wider)."""
    if span >= hi - lo:
        return (lo + hi) / 2
    return min(max(x, lo + span / 2), hi - span / 2)
