"""The pages of the main window, in tab order: the view kind lessons name, the tab's title, the class.

One table for the main window (which makes a lab the first time its tab is
shown, so start-up never imports pyqtgraph) and for the lecture layer (which
finds the page a scene names).  Importing this module imports no page and no Qt.
"""
from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class PageInfo:
    """One page: ``kind`` as lessons name it, its tab ``title``, and where its class lives."""

    kind: str
    title: str
    module: str
    class_name: str

    def available(self) -> bool:
        """False for a lab not written yet (its module does not exist)."""
        return importlib.util.find_spec(self.module) is not None

    def load(self) -> type:
        """The page's class (imports its module)."""
        return getattr(importlib.import_module(self.module), self.class_name)


PAGES: tuple[PageInfo, ...] = (
    PageInfo("explorer", "Graph explorer", "app.explorer", "ExplorerPage"),
    PageInfo("optimizer", "Optimizer lab", "app.optimizer_lab", "OptimizerLab"),
    PageInfo("sequence", "Sequence lab", "app.sequence_lab", "SequenceLab"),
    PageInfo("generative", "Generative lab", "app.generative_lab", "GenerativeLab"),
    PageInfo("training", "Training lab", "app.training_lab", "TrainingLab"),
)
"""Every page, in tab order; the graph explorer is always first and always made."""


def page_info(kind: str) -> PageInfo | None:
    """The page of this view kind, or None."""
    return next((p for p in PAGES if p.kind == kind), None)


class PageHost(Protocol):
    """A window of pages, as the lecture layer uses it (``app.main_window.MainWindow`` is one)."""

    ask_before_closing: bool
    """False while quitting without questions (Ctrl+C, SIGTERM)."""

    def page(self, kind: str) -> Any:
        """The page of this kind, made if need be and brought to the front; None if there is none."""

    def pages(self) -> dict[str, Any]:
        """The pages made so far, by kind."""

    def current_kind(self) -> str | None:
        """The kind of the page on screen."""
