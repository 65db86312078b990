"""Small heatmap thumbnails of tensors: a colour-blind-safe diverging map (purple–white–orange).

Blue and vermillion already mean "value" and "gradient" in Chainrule, so the
heatmap uses PuOr (sign: purple negative, orange positive) and the frame
around it says whether it is a value or a gradient.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage

from viewmodel.thumbnails import grid_shape

_NEG = np.array([94, 60, 153], dtype=float)   # PuOr purple
_POS = np.array([230, 97, 1], dtype=float)    # PuOr orange


def heatmap_rgb(array: np.ndarray, mid: tuple[int, int, int] = (247, 247, 247)) -> np.ndarray:
    """(h, w, 3) uint8 colours for a 0-, 1- or 2-D array, symmetric around zero."""
    a = np.asarray(array, dtype=float)
    a = a.reshape(grid_shape(a.shape))
    scale = np.nanmax(np.abs(a)) if a.size and np.isfinite(a).any() else 0.0
    t = np.clip(np.nan_to_num(a / scale), -1.0, 1.0) if scale > 0 else np.zeros_like(a)
    white = np.asarray(mid, dtype=float)
    end = np.where(t[..., None] < 0, _NEG, _POS)
    rgb = white + np.abs(t)[..., None] * (end - white)
    return rgb.round().astype(np.uint8)


def heatmap_image(array: np.ndarray, mid: tuple[int, int, int] = (247, 247, 247)) -> QImage:
    """A QImage, one pixel per entry (scale it when drawing, without smoothing)."""
    rgb = np.ascontiguousarray(heatmap_rgb(array, mid))
    h, w, _ = rgb.shape
    image = QImage(rgb.data, w, h, 3 * w, QImage.Format_RGB888)
    return image.copy()  # own the pixels: ``rgb`` is freed on return
