"""Regenerate docs/optimizer_lab.png (and docs/optimizer_lab-presenter.png): the optimizer lab, offscreen, mid-race.

Usage: ``python docs/render_optimizer_lab.py [out.png] [preset] [step] [--theme light|dark|presenter]``
(defaults: docs/optimizer_lab.png, "all together: Beale", 60, light; with another theme the default
file is docs/optimizer_lab-<theme>.png).
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
                         size: tuple[int, int] = (1024, 768), theme: str = "light") -> Path:
    """Load ``preset``, wait for the engine's trajectories, reveal ``step`` steps, save a PNG."""
    from PySide6.QtWidgets import QApplication

    from app.optimizer_lab import OptimizerLab
    from widgets.palette import palette_for
    from widgets.theme import THEMES

    app = QApplication.instance() or QApplication([])
    app.setPalette(palette_for(THEMES[theme]))
    lab = OptimizerLab(theme=THEMES[theme])
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
    from docs.small_png import save_small_png
    save_small_png(lab.grab(), path)
    lab.close()
    return path


if __name__ == "__main__":
    args = sys.argv[1:]
    theme = args.pop(args.index("--theme") + 1) if "--theme" in args else "light"
    args = [a for a in args if a != "--theme"]
    if not args and theme != "light":
        args = [str(ROOT / "docs" / f"optimizer_lab-{theme}.png")]
    out = render_optimizer_lab(*(args[:2]), *[int(a) for a in args[2:3]], theme=theme)
    print(out, f"{out.stat().st_size // 1024} KB")
