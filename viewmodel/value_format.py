"""Numbers and arrays as short text for the inspector and tooltips (no Qt here).

A number gets ``digits`` significant digits (:func:`engine.format_number`), a
small array its entries row by row, a big one its shape and min/max/mean, so
nothing needs more width than a side panel has.  Minus signs are true minus signs.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from engine import format_number

MAX_COLUMNS = 4
"""Arrays with more columns than this (or more than MAX_ROWS rows, or ndim > 2) are summarised."""
MAX_ROWS = 6


def number(x: Any, digits: int = 4) -> str:
    """One number, e.g. ``−0.5146``."""
    return format_number(float(x), digits).replace("-", "−")


def array_rows(x: Any, digits: int = 4) -> list[list[str]] | None:
    """The entries of a small array as rows of text (a vector is one row), or None if too big."""
    a = np.asarray(x)
    if a.ndim == 0 or a.ndim > 2:
        return None
    a = a.reshape(1, -1) if a.ndim == 1 else a
    if a.shape[0] > MAX_ROWS or a.shape[1] > MAX_COLUMNS:
        return None
    return [[number(v, digits) for v in row] for row in a.tolist()]


def summary(x: Any, digits: int = 4) -> list[str]:
    """Shape, min, max and mean of an array, one item per entry (callers join or wrap them)."""
    a = np.asarray(x, dtype=float)
    return [f"shape {tuple(a.shape)}", f"min {number(np.min(a), digits)}", f"max {number(np.max(a), digits)}",
            f"mean {number(np.mean(a), digits)}"]


def value_lines(x: Any, digits: int = 4) -> list[str]:
    """Plain-text lines: the number, the rows of a small array, or its summary."""
    if np.size(x) == 1 and np.ndim(x) == 0:
        return [number(x, digits)]
    rows = array_rows(x, digits)
    if rows is None:
        return [", ".join(summary(x, digits))]
    width = max(len(s) for row in rows for s in row)
    return ["[" + "  ".join(s.rjust(width) for s in row) + "]" for row in rows]
