"""Render the training lab's screenshots in docs/: one per built-in scenario, and one in presenter mode.

``python docs/render_training_lab.py [--only ID ...]`` trains each scenario from its
seeded start to the step below (offscreen, 1024x768, light theme), shows the
variant that tells its story, and saves ``docs/training_<id>.png``; then the XOR
scenario in the presenter theme with the controls hidden, as a lesson shows it,
as ``docs/training_presenter.png``.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SHOTS = {  # scenario: (step, variant shown)
    "xor-linear": (300, "2-layer MLP"),
    "linear-collapse": (300, "two linear layers"),
    "zero-init": (500, "zero initialization"),
    "vanishing": (60, "sigmoid"),
    "exploding": (50, "weights N(0, 1)"),
    "overfitting": (500, "no regularization"),
    "batch-norm": (200, "with batch norm"),
    "cnn-digits": (90, "CNN"),
}


def small(path: Path, colours: int = 128) -> None:
    """Re-save a PNG with a 128-colour palette (Pillow, which imageio brings): about a third the
    size, well under docs/' 150 KB, and the plots' flat colours survive unchanged."""
    from PIL import Image
    with Image.open(path) as image:
        quantized = image.convert("RGB").quantize(colors=colours, method=Image.Quantize.MEDIANCUT,
                                                  dither=Image.Dither.NONE)
    quantized.save(path, optimize=True)


def render(lab, scenario: str, step: int, variant: str, path: Path) -> None:
    from PySide6.QtWidgets import QApplication
    lab.load_scenario(scenario)
    lab.state.train_to(step)
    lab.finish_training(120)
    lab.state.select(variant)
    if scenario == "cnn-digits":
        lab.explain(0, 0, 3, 4)
        lab.maps.mark(0, 0, 3, 4)
    for _ in range(5):
        QApplication.processEvents()
    if not lab.grab().save(str(path)):
        raise OSError(f"could not write {path}")
    small(path)
    print(f"{path.name}: step {lab.state.rounds}, {path.stat().st_size // 1024} KB — {lab.status.text()[:90]}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None, help="scenario ids (default: all, and the presenter shot)")
    args = parser.parse_args(argv)
    from PySide6.QtWidgets import QApplication

    from app.training_lab import TrainingLab
    from widgets.palette import palette_for
    from widgets.theme import LIGHT, PRESENTER
    app = QApplication.instance() or QApplication([])
    app.setPalette(palette_for(LIGHT))
    lab = TrainingLab(theme=LIGHT)
    lab.resize(1024, 768)
    lab.show()
    for scenario, (step, variant) in SHOTS.items():
        if args.only is None or scenario in args.only:
            render(lab, scenario, step, variant, ROOT / "docs" / f"training_{scenario}.png")
    lab.close()
    if args.only is None or "presenter" in args.only:
        app.setPalette(palette_for(PRESENTER))
        lab = TrainingLab(theme=PRESENTER)
        lab.set_presenting(True)
        lab.resize(1024, 768)
        lab.show()
        render(lab, "xor-linear", 300, "2-layer MLP", ROOT / "docs" / "training_presenter.png")
        lab.close()


if __name__ == "__main__":
    main()
