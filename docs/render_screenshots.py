"""Render the explorer's screenshots for the docs: every example mid-backward, 1024x768.

``python docs/render_screenshots.py`` writes docs/example-<id>.png (light theme),
docs/example-add-mul-dark.png and docs/example-add-mul-forward-mode.png, through the
same code path as ``chainrule --screenshot`` (app.main_window.build_window/screenshot).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtWidgets import QApplication  # noqa: E402

from app.examples import EXAMPLES  # noqa: E402
from app.cli import build_parser  # noqa: E402
from app.main_window import build_window, screenshot  # noqa: E402

DOCS = Path(__file__).resolve().parent
SIZE = "1024x768"


def mid_backward(timeline) -> int:
    """Halfway through the backward pass, at a gate passing gradient on (the chain rule on screen)."""
    n_forward = len(timeline.forward_steps)
    middle = n_forward + max(1, (len(timeline) - n_forward) // 2)
    return next((k for k in range(middle, len(timeline) + 1) if timeline.state(k).current_edges), middle)


def render(example_id: str, path: Path, theme: str = "light", mode: str = "reverse") -> int:
    """One PNG; returns its size in bytes."""
    args = build_parser().parse_args(["--example", example_id, "--theme", theme, "--mode", mode,
                                    "--size", SIZE])
    window = build_window(args)
    state = window.explorer.state
    step = mid_backward(state.timeline) if mode == "reverse" else len(state.timeline) // 3
    state.set_position(step)
    screenshot(window, str(path))
    window.close()
    return path.stat().st_size


def main() -> int:
    """Render every picture and print its size."""
    QApplication.instance() or QApplication([])
    jobs = [(i, DOCS / f"example-{i}.png", "light", "reverse") for i in EXAMPLES]
    jobs += [("add-mul", DOCS / "example-add-mul-dark.png", "dark", "reverse"),
             ("add-mul", DOCS / "example-add-mul-forward-mode.png", "light", "forward")]
    for example_id, path, theme, mode in jobs:
        size = render(example_id, path, theme, mode)
        print(f"{path.name}: {size / 1024:.0f} KB")
        if size > 250 * 1024:
            print(f"  warning: {path.name} is over 250 KB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
