"""How a tensor is drawn as a small heatmap: its grid of cells and the thumbnail's size (no colours here)."""
from __future__ import annotations

import numpy as np


def grid_shape(shape: tuple[int, ...]) -> tuple[int, int]:
    """(rows, columns) a tensor of this shape is drawn as (a vector is one row)."""
    if len(shape) < 2:
        return 1, max(1, int(np.prod(shape)))
    return int(shape[0]), max(1, int(np.prod(shape[1:])))


def thumb_size(shape: tuple[int, ...], side: float) -> tuple[float, float]:
    """(width, height) of a thumbnail whose long side is ``side``: cells keep the array's
    proportions, except that the short side is never under half the long one (no thin bars)."""
    rows, cols = grid_shape(shape)
    long = max(rows, cols)
    w, h = side * cols / long, side * rows / long
    return max(w, side / 2), max(h, side / 2)
