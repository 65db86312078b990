"""Regenerate docs/sequence_lab.png: the sequence lab at 1024x768 after a short training run.

Run from the repository root:  python docs/render_sequence_lab.py [output.png] [--theme light|dark|presenter]
(with another theme than light the default file is docs/sequence_lab-<theme>.png).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtWidgets import QApplication  # noqa: E402

from app.sequence_lab import SequenceLab  # noqa: E402
from docs.small_png import save_small_png  # noqa: E402
from widgets.palette import palette_for  # noqa: E402
from widgets.theme import THEMES  # noqa: E402

PRESET = "Remember the first bit (T = 20)"
STEPS = 120


def render(path: Path, steps: int = STEPS, theme: str = "light") -> Path:
    """Train the first-bit preset for ``steps`` rounds in the lab's thread, then grab it."""
    app = QApplication.instance() or QApplication([])
    app.setPalette(palette_for(THEMES[theme]))
    lab = SequenceLab(theme=THEMES[theme])
    lab.resize(1024, 768)
    lab.show()
    lab.load_preset(PRESET)
    lab.steps_box.setValue(steps)
    lab.start_training()
    lab.finish_training()
    app.processEvents()
    lab.set_time(0)
    app.processEvents()
    save_small_png(lab.grab(), path)
    lab.close()
    return path


if __name__ == "__main__":
    args = sys.argv[1:]
    theme = args.pop(args.index("--theme") + 1) if "--theme" in args else "light"
    args = [a for a in args if a != "--theme"]
    name = "sequence_lab.png" if theme == "light" else f"sequence_lab-{theme}.png"
    out = Path(args[0]) if args else Path(__file__).with_name(name)
    print(render(out, theme=theme))
