"""Heatmap thumbnails of tensors in one diverging map (purple − · grey 0 · yellow +), and its legend.

Blue, vermillion and green already mean value, gradient and tangent in Chainrule,
so the heatmap's ends are none of them: purple for negative, yellow for positive,
and a middle grey for zero that stands out on the light, dark and presenter
backgrounds alike (so a zero entry is never mistaken for the canvas).  The frame
around a thumbnail says whether it is a value or a gradient; every map is scaled
to its own largest |entry|, which the legend (:class:`HeatLegend`) says.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QLinearGradient, QPainter, QPen
from PySide6.QtWidgets import QWidget

from viewmodel.thumbnails import grid_shape
from widgets.theme import LIGHT, Theme

NEGATIVE = (94, 60, 153)
"""The map's colour at −max|entry| (PuOr purple)."""
ZERO = (150, 150, 150)
"""The map's colour at zero: a middle grey, visible on white and on black."""
POSITIVE = (240, 228, 66)
"""The map's colour at +max|entry| (Okabe-Ito yellow)."""


def heatmap_rgb(array: np.ndarray) -> np.ndarray:
    """(h, w, 3) uint8 colours for a 0-, 1- or 2-D array, symmetric around zero."""
    a = np.asarray(array, dtype=float)
    a = a.reshape(grid_shape(a.shape))
    scale = np.nanmax(np.abs(a)) if a.size and np.isfinite(a).any() else 0.0
    t = np.clip(np.nan_to_num(a / scale), -1.0, 1.0) if scale > 0 else np.zeros_like(a)
    mid = np.asarray(ZERO, dtype=float)
    end = np.where(t[..., None] < 0, np.asarray(NEGATIVE, dtype=float), np.asarray(POSITIVE, dtype=float))
    rgb = mid + np.abs(t)[..., None] * (end - mid)
    return rgb.round().astype(np.uint8)


def heatmap_image(array: np.ndarray) -> QImage:
    """A QImage, one pixel per entry (scale it when drawing, without smoothing)."""
    rgb = np.ascontiguousarray(heatmap_rgb(array))
    h, w, _ = rgb.shape
    image = QImage(rgb.data, w, h, 3 * w, QImage.Format_RGB888)
    return image.copy()  # own the pixels: ``rgb`` is freed on return


class HeatLegend(QWidget):
    """The heatmaps' colour scale, for a corner of the canvas: "−max  0  +max", each map its own max."""

    def __init__(self, parent: QWidget | None = None, theme: Theme = LIGHT):
        super().__init__(parent)
        self.setAttribute(Qt.WA_TransparentForMouseEvents)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        """Text in the theme's colours and size (18 px and more in the presenter theme)."""
        self.theme = theme
        font = self.font()
        font.setPixelSize(max(13, round(theme.base_font_pt * 1.0)))
        self.setFont(font)
        metrics = self.fontMetrics()
        self.setFixedSize(metrics.horizontalAdvance("−max|x|") * 2 + 150, metrics.height() * 2 + 14)
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt API)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing)
        t, metrics = self.theme, self.fontMetrics()
        panel = QColor(t.panel)
        panel.setAlpha(225)
        painter.setPen(QPen(QColor(t.muted), 1))
        painter.setBrush(panel)
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
        line = metrics.height()
        bar = QRectF(8, 6, self.width() - 16, line * 0.9)
        gradient = QLinearGradient(bar.topLeft(), bar.topRight())
        for stop, colour in ((0.0, NEGATIVE), (0.5, ZERO), (1.0, POSITIVE)):
            gradient.setColorAt(stop, QColor(*colour))
        painter.setBrush(gradient)
        painter.setPen(QPen(QColor(t.text), 1))
        painter.drawRect(bar)
        painter.setPen(QColor(t.text))
        labels = QRectF(8, bar.bottom() + 2, bar.width(), line)
        painter.drawText(labels, Qt.AlignLeft | Qt.AlignVCenter, "−max|x|")
        painter.drawText(labels, Qt.AlignHCenter | Qt.AlignVCenter, "0")
        painter.drawText(labels, Qt.AlignRight | Qt.AlignVCenter, "+max|x|")
        painter.end()
