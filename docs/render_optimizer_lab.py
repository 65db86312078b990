"""Regenerate docs/optimizer_lab.png: the optimizer lab, offscreen, mid-race.

Usage: ``python docs/render_optimizer_lab.py [out.png] [preset] [step]``
(defaults: docs/optimizer_lab.png, "all together: Beale", 60).
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def render_optimizer_lab(path: str | Path = ROOT / "docs" / "optimizer_lab.png",
                         preset: str = "all together: Beale", step: int = 60,
                         size: tuple[int, int] = (1024, 768)) -> Path:
    """Load ``preset``, wait for the engine's trajectories, reveal ``step`` steps, save a PNG."""
    from PySide6.QtWidgets import QApplication

    from app.optimizer_lab import OptimizerLab

    app = QApplication.instance() or QApplication([])
    lab = OptimizerLab()
    lab.resize(*size)
    lab.show()
    lab.load_preset(preset)
    deadline = time.monotonic() + 60
    while not lab.ready and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    if not lab.ready:
        raise TimeoutError(f"preset {preset!r} did not finish computing in 60 s")
    lab.race.show_step(step)
    app.processEvents()
    path = Path(path)
    lab.grab().save(str(path))
    lab.close()
    return path


if __name__ == "__main__":
    args = sys.argv[1:]
    out = render_optimizer_lab(*(args[:2]), *[int(a) for a in args[2:3]])
    print(out, f"{out.stat().st_size // 1024} KB")
