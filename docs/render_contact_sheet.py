"""Render every built-in lesson scene in presenter mode into one contact sheet, docs/contact_sheet.png.

    python docs/render_contact_sheet.py [--size 1024x768] [--columns 7] [--thumb 256] [--frames DIR]
                                        [--out docs/contact_sheet.png]

Each scene is shown as the audience sees it (``PresenterWindow``, PRESENTER theme, at its
own step) and shrunk into a thumbnail under its lesson, number and title, so the next
person can judge every scene at once.  ``--frames DIR`` also keeps each full-size frame
(``DIR/<lesson>-<n>.png``) for a closer look.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QRect, Qt  # noqa: E402
from PySide6.QtGui import QColor, QFont, QImage, QPainter  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.lecture.export import render_image  # noqa: E402
from docs.small_png import save_small_png  # noqa: E402
from app.lecture.lessons import builtin_lessons  # noqa: E402
from app.lecture.presenter import PresenterWindow  # noqa: E402
from widgets.theme import PRESENTER  # noqa: E402

LABEL_PX = 26
"""Height of the title line under each thumbnail."""


def scene_frames(size: tuple[int, int], frames: Path | None = None):
    """Yield (lesson id, 1-based scene number, title, QImage) for every built-in scene, as presented."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    for lesson in builtin_lessons():
        window = PresenterWindow(lesson)
        window.resize(*size)
        window.show()
        app.processEvents()
        for index, scene in enumerate(lesson.scenes):
            window.deck.go_to_scene(index)
            window.host.wait_ready()
            app.processEvents()
            image = render_image(window)
            if frames is not None:
                image.save(str(frames / f"{lesson.id}-{index + 1}.png"))
            yield lesson.id, index + 1, scene.title, image
        window.close()
        app.processEvents()


def contact_sheet(size: tuple[int, int], columns: int, thumb_width: int, frames: Path | None = None) -> QImage:
    """All scenes' thumbnails in a grid, each with 'lesson n: title' underneath."""
    shots = list(scene_frames(size, frames))
    thumb_height = round(thumb_width * size[1] / size[0])
    rows = -(-len(shots) // columns)
    cell_h = thumb_height + LABEL_PX
    sheet = QImage(columns * thumb_width, rows * cell_h, QImage.Format_RGB32)
    sheet.fill(QColor(PRESENTER.panel))
    painter = QPainter(sheet)
    font = QFont()
    font.setPixelSize(13)
    painter.setFont(font)
    painter.setPen(QColor(PRESENTER.text))
    for k, (lesson_id, number, title, image) in enumerate(shots):
        x, y = (k % columns) * thumb_width, (k // columns) * cell_h
        small = image.scaled(thumb_width - 4, thumb_height - 4, Qt.KeepAspectRatio, Qt.SmoothTransformation)
        painter.drawImage(x + 2, y + 2, small)
        label = painter.fontMetrics().elidedText(f"{lesson_id} {number}: {title}", Qt.ElideRight, thumb_width - 8)
        painter.drawText(QRect(x + 4, y + thumb_height, thumb_width - 8, LABEL_PX), Qt.AlignLeft | Qt.AlignVCenter,
                         label)
    painter.end()
    return sheet


def main() -> int:
    """Parse the options, render every scene and write the sheet (256 colours, so it stays small)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", default="1024x768", help="presenter window size in logical pixels")
    p.add_argument("--columns", type=int, default=7)
    p.add_argument("--thumb", type=int, default=256, help="thumbnail width in pixels")
    p.add_argument("--frames", type=Path, default=None, help="also save every full-size frame in this folder")
    p.add_argument("--out", default=str(Path(__file__).with_name("contact_sheet.png")))
    args = p.parse_args()
    size = tuple(int(v) for v in args.size.lower().split("x"))
    if args.frames is not None:
        args.frames.mkdir(parents=True, exist_ok=True)
    sheet = contact_sheet(size, args.columns, args.thumb, args.frames)
    save_small_png(sheet, args.out)
    print(f"wrote {args.out} ({Path(args.out).stat().st_size // 1024} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
