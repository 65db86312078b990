"""Plain geometry for planning a drawing without Qt: rectangles and the canvas's edge curves.

Scene units throughout (the canvas scales them to pixels).  An edge is a path of
cubic Bézier segments, (m, 4, 2) control points, defined once here, so the painter
draws the very path along which the label placement looks for room and which the
tests check against every label.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

@dataclass(frozen=True)
class Rect:
    """An axis-aligned rectangle: left, top, width, height (y grows downwards, as on screen)."""

    left: float
    top: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + self.height

    @property
    def center(self) -> tuple[float, float]:
        return self.left + self.width / 2, self.top + self.height / 2

    def translated(self, dx: float, dy: float) -> "Rect":
        """The same rectangle moved by (dx, dy)."""
        return Rect(self.left + dx, self.top + dy, self.width, self.height)

    def centred_at(self, x: float, y: float) -> "Rect":
        """The same size, centred at (x, y)."""
        return Rect(x - self.width / 2, y - self.height / 2, self.width, self.height)

    def row(self) -> list[float]:
        """[x0, y0, x1, y1], the row format of box arrays."""
        return [self.left, self.top, self.right, self.bottom]


def centred_rect(width: float, height: float, x: float, y: float) -> Rect:
    """A ``width`` × ``height`` rectangle centred at (x, y)."""
    return Rect(x - width / 2, y - height / 2, width, height)


def overlaps(boxes: np.ndarray, r: Rect) -> bool:
    """Whether any (x0, y0, x1, y1) row of ``boxes`` intersects ``r``."""
    return bool(np.any((boxes[:, 0] < r.right) & (boxes[:, 2] > r.left)
                       & (boxes[:, 1] < r.bottom) & (boxes[:, 3] > r.top)))


def overlap_area(boxes: np.ndarray, r: Rect) -> float:
    """How much of ``r`` the (x0, y0, x1, y1) rows of ``boxes`` cover, summed over the rows."""
    w = np.minimum(boxes[:, 2], r.right) - np.maximum(boxes[:, 0], r.left)
    h = np.minimum(boxes[:, 3], r.bottom) - np.maximum(boxes[:, 1], r.top)
    return float(np.sum(np.clip(w, 0, None) * np.clip(h, 0, None)))


def straight(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    """The (4, 2) control points of a straight segment."""
    return np.array([[x0, y0], [x0 + (x1 - x0) / 3, y0 + (y1 - y0) / 3],
                     [x0 + 2 * (x1 - x0) / 3, y0 + 2 * (y1 - y0) / 3], [x1, y1]], dtype=float)


def curve_controls(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    """The (4, 2) control points of an S-curve from (x0, y0) to (x1, y1), level at both ends; it never
    leaves the band x0..x1 (its control points lie inside it)."""
    dx = (x1 - x0) * 0.5
    return np.array([[x0, y0], [x0 + dx, y0], [x1 - dx, y1], [x1, y1]], dtype=float)


def path_points(segments: np.ndarray, per_segment: int = 24) -> np.ndarray:
    """Points along a path of (m, 4, 2) Bézier segments, ends included (for hit tests and bounds)."""
    t = np.linspace(0.0, 1.0, per_segment)
    return np.concatenate([bezier(seg, t) for seg in segments]) if len(segments) else np.zeros((0, 2))


def merged_spans(spans: np.ndarray, margin: float) -> np.ndarray:
    """The union of (y0, y1) rows, each widened by ``margin``, as sorted disjoint (y0, y1) rows."""
    if not len(spans):
        return np.zeros((0, 2))
    spans = spans[np.argsort(spans[:, 0])] + (-margin, margin)
    out = [spans[0].tolist()]
    for lo, hi in spans[1:].tolist():
        if lo <= out[-1][1]:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return np.array(out)


def free_y(merged: np.ndarray, want: float) -> float:
    """The height nearest ``want`` outside every row of ``merged`` (from :func:`merged_spans`)."""
    k = int(np.searchsorted(merged[:, 0], want, side="right")) - 1
    if k < 0 or want >= merged[k, 1]:
        return want
    lo, hi = merged[k]
    return float(lo if want - lo <= hi - want else hi)


def bezier(controls: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Points of a cubic Bézier curve at parameters ``t`` (shape (len(t), 2)); for a one-curve path
    these are exactly ``QPainterPath.pointAtPercent(t)``."""
    t = np.asarray(t, dtype=float)[:, None]
    p0, p1, p2, p3 = controls
    u = 1.0 - t
    return u ** 3 * p0 + 3 * u ** 2 * t * p1 + 3 * u * t ** 2 * p2 + t ** 3 * p3
