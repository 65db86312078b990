"""Regenerate docs/sequence_lab.png: the sequence lab at 1024x768 after a short training run.

Run from the repository root:  python docs/render_sequence_lab.py [output.png]
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtWidgets import QApplication  # noqa: E402

from app.sequence_lab import SequenceLab  # noqa: E402

PRESET = "Remember the first bit (T = 20)"
STEPS = 120


def render(path: Path, steps: int = STEPS) -> Path:
    """Train the first-bit preset for ``steps`` rounds in the lab's thread, then grab it."""
    app = QApplication.instance() or QApplication([])
    lab = SequenceLab()
    lab.resize(1024, 768)
    lab.show()
    lab.load_preset(PRESET)
    lab.steps_box.setValue(steps)
    lab.start_training()
    lab.finish_training()
    app.processEvents()
    lab.set_time(0)
    app.processEvents()
    lab.grab().save(str(path))
    lab.close()
    return path


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("sequence_lab.png")
    print(render(out))
