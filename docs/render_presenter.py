"""Render presenter mode offscreen at 1024x768, mid-backward, to docs/presenter.png.

    python docs/render_presenter.py [--lesson chain-rule] [--scene 4] [--size 1024x768] [--out docs/presenter.png]

Scene numbers are 1-based, as on the presenter's counter.  This is how the
picture in the docs is made, and a quick way to judge readability from the back
of a lecture hall (``--size 1920x1080 --scale 2`` is a 4K projector at 200% scaling).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtWidgets import QApplication  # noqa: E402

from app.lecture.export import save_png  # noqa: E402
from app.lecture.presenter import PresenterWindow  # noqa: E402
from app.lecture.storage import open_lesson_or_file  # noqa: E402


def main() -> int:
    """Parse the options, render one presenter frame and write it as a PNG."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lesson", default="chain-rule", help="built-in lesson id, lesson .json or .chainrule file")
    p.add_argument("--scene", type=int, default=4, help="1-based scene number")
    p.add_argument("--size", default="1024x768", help="window size in logical pixels")
    p.add_argument("--scale", type=float, default=1.0,
                   help="device pixel ratio: 2 with --size 1920x1080 is a 4K projector at 200%% scaling")
    p.add_argument("--out", default=str(Path(__file__).with_name("presenter.png")))
    args = p.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = PresenterWindow(open_lesson_or_file(args.lesson).lesson, start_scene=args.scene - 1)
    window.resize(width, height)
    window.show()
    app.processEvents()
    window.deck.go_to_scene(args.scene - 1)
    window.host.wait_ready()
    app.processEvents()
    save_png(window, args.out, args.scale)
    window.close()
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
