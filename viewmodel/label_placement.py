"""Where an edge's chain-rule contribution is written: along its curve, clear of every other label.

A label is tried at points along its edge, nearest the middle first, nudged a
little up or down; the first spot that overlaps nothing placed so far wins
(the least covered one, if none is free).  Boxes are (x0, y0, x1, y1) rows in scene units.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from viewmodel.geometry import Rect, bezier, centred_rect, overlap_area, overlaps

LABEL_AT = sorted(np.linspace(0.1, 0.9, 17).tolist(), key=lambda t: abs(t - 0.45))
"""Where along its edge a label is tried (the curve's parameter), nearest the middle first."""
NUDGES = (0.0, -8.0, 8.0, -16.0, 16.0, -24.0, 24.0)
"""Vertical offsets tried at each point, in scene units."""


@dataclass(frozen=True)
class LabelRequest:
    """A label to place: its text and size, and the control points of the edge it belongs to."""

    text: str
    width: float
    height: float
    controls: np.ndarray


def place_labels(taken: np.ndarray, requests: Sequence[LabelRequest]) -> list[tuple[Rect, str]]:
    """Each request's rectangle, in order; a placed label is taken for the ones after it."""
    placed: list[tuple[Rect, str]] = []
    taken = np.asarray(taken, dtype=float).reshape(-1, 4)
    for req in requests:
        points = bezier(req.controls, np.array(LABEL_AT))
        candidates = [centred_rect(req.width, req.height, x, y + dy) for x, y in points.tolist() for dy in NUDGES]
        rect = next((r for r in candidates if not overlaps(taken, r)), None) \
            or min(candidates, key=lambda r: overlap_area(taken, r))
        placed.append((rect, req.text))
        taken = np.vstack([taken, [rect.row()]])
    return placed
