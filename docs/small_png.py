"""Save a docs picture as an 8-bit palette PNG (ordered dither), so each stays well under ~150 KB."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap


def save_small_png(picture: QImage | QPixmap, path: str | Path) -> Path:
    """Write ``picture`` to ``path`` with at most 256 colours; returns the path."""
    image = picture.toImage() if isinstance(picture, QPixmap) else picture
    if not image.convertToFormat(QImage.Format_Indexed8, Qt.OrderedDither).save(str(path), "PNG"):
        raise OSError(f"could not write {path}")
    return Path(path)
