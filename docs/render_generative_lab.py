"""Regenerate the generative lab's screenshots: its three sub-views at 1024x768, each after its
seeded scenario (docs/generative_lab_seq2seq.png, _gan.png, _rbm.png), and the mode-collapse
scene as the presenter shows it (docs/generative_lab_presenter.png).

Run from the repository root:  python docs/render_generative_lab.py [output folder]
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtWidgets import QApplication  # noqa: E402

from app.generative_lab import GenerativeLab  # noqa: E402
from app.lecture.lessons import Scene  # noqa: E402
from app.lecture.scenes import SceneHost  # noqa: E402
from widgets.palette import palette_for  # noqa: E402
from widgets.theme import LIGHT, PRESENTER, Theme  # noqa: E402

VIEWS = {"seq2seq": "seq2seq-reverse", "gan": "gan-ring", "rbm": "rbm-bars"}
"""Sub-view: the scenario it is shown after."""
PRESENTED = "gan-collapse"


def use_theme(app: QApplication, theme: Theme) -> None:
    """Palette and base font as the main window sets them."""
    app.setPalette(palette_for(theme))
    font = app.font()
    font.setPointSize(theme.base_font_pt)
    app.setFont(font)


def render(folder: Path) -> list[Path]:
    """Train each view's scenario in the lab's background job, wait for it, grab the lab."""
    app = QApplication.instance() or QApplication([])
    use_theme(app, LIGHT)
    lab = GenerativeLab(theme=LIGHT)
    lab.resize(1024, 768)
    lab.show()
    paths = []
    for model, scenario in VIEWS.items():
        panel = lab.show_scenario(scenario)
        panel.finish_training()
        app.processEvents()
        if model == "seq2seq":
            panel.view.set_output_step(2)
        paths.append(folder / f"generative_lab_{model}.png")
        lab.grab().save(str(paths[-1]))
    lab.close()
    use_theme(app, PRESENTER)
    host = SceneHost(PRESENTER)
    host.resize(1024, 768)
    host.show()
    host.show_scene(Scene(view="generative", preset=PRESENTED, step=-1))
    host.wait_ready(300)
    app.processEvents()
    paths.append(folder / "generative_lab_presenter.png")
    host.grab().save(str(paths[-1]))
    host.shutdown()
    host.close()
    return paths


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent
    for path in render(out):
        print(path, f"{path.stat().st_size // 1024} KB")
