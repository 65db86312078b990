"""Chainrule's main window: menus, one tab per lab, light/dark theme, headless screenshots.

``run_app(argv)`` is what ``chainrule`` runs with no subcommand or with options:
``--example ID``, ``--theme light|dark|presenter`` and, for docs and slides,
``--screenshot FILE.png [--step N|end] [--size WxH]`` (renders offscreen, exits).
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
import threading
from typing import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QMainWindow, QTabWidget, QWidget

from app import examples
from app.explorer import MODE_TITLES, ExplorerPage
from app.explorer_model import MODES
from widgets.theme import DARK, LIGHT, THEMES, Theme

TABS: list[tuple[str, str, str]] = [
    ("Optimizer lab", "app.optimizer_lab", "OptimizerLab"),
    ("Sequence lab", "app.sequence_lab", "SequenceLab"),
]
"""(title, module, class) of the labs after the graph explorer, imported when first shown."""


def palette_for(theme: Theme) -> QPalette:
    """A Qt palette from a Chainrule theme, so plain widgets match the canvas."""
    p = QPalette()
    colours = {QPalette.Window: theme.panel, QPalette.Base: theme.background, QPalette.AlternateBase: theme.panel,
               QPalette.Text: theme.text, QPalette.WindowText: theme.text, QPalette.Button: theme.panel,
               QPalette.ButtonText: theme.text, QPalette.ToolTipBase: theme.panel, QPalette.ToolTipText: theme.text,
               QPalette.Highlight: theme.value, QPalette.HighlightedText: theme.background,
               QPalette.PlaceholderText: theme.muted}
    for role, colour in colours.items():
        p.setColor(role, QColor(colour))
    return p


def system_theme() -> Theme:
    """Dark when the desktop asks for dark (QStyleHints.colorScheme), else light."""
    scheme = QGuiApplication.styleHints().colorScheme()
    return DARK if scheme == Qt.ColorScheme.Dark else LIGHT


class MainWindow(QMainWindow):
    """Menus, the tab widget (graph explorer first) and theme switching."""

    def __init__(self, theme: Theme | None = None):
        super().__init__()
        self.setWindowTitle("Chainrule — see the chain rule at work")
        self.tabs = QTabWidget(self)
        self.setCentralWidget(self.tabs)
        self.explorer = ExplorerPage(parent=self)
        self.tabs.addTab(self.explorer, "Graph explorer")
        self._pending: dict[int, tuple[str, str]] = {}
        for title, module, cls in TABS:
            if importlib.util.find_spec(module) is not None:  # a lab not written yet is left out
                self._pending[self.tabs.addTab(QWidget(), title)] = (module, cls)
        self.tabs.currentChanged.connect(self._load_tab)
        self._build_menus()
        self.set_theme(theme or system_theme())
        QGuiApplication.styleHints().colorSchemeChanged.connect(lambda _: self._follow_system())

    def _load_tab(self, index: int) -> None:
        """Import a lab the first time its tab is shown."""
        if index not in self._pending:
            return
        module, cls = self._pending.pop(index)
        page = getattr(importlib.import_module(module), cls)()
        title = self.tabs.tabText(index)
        self.tabs.removeTab(index)
        self.tabs.insertTab(index, page, title)
        self.tabs.setCurrentIndex(index)
        if hasattr(page, "set_theme"):
            page.set_theme(self.theme)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        quit_action = QAction("&Quit", self, shortcut="Ctrl+Q", triggered=self.close)
        file_menu.addAction(quit_action)
        ex_menu = bar.addMenu("&Examples")
        for number, ex in enumerate(examples.EXAMPLES.values(), start=1):
            action = QAction(ex.title, self, shortcut=f"Ctrl+{number}",
                             triggered=lambda _=False, i=ex.id: self.explorer.load_example(i))
            action.setToolTip(ex.caption)
            ex_menu.addAction(action)
        view = bar.addMenu("&View")
        self.theme_actions = QActionGroup(self)
        for number, name in enumerate(("system", *THEMES), start=1):
            action = QAction(f"{name.title()} theme", self, checkable=True, shortcut=f"Ctrl+Shift+{number}")
            action.triggered.connect(lambda _=False, n=name: self._pick_theme(n))
            self.theme_actions.addAction(action)
            view.addAction(action)
        self.theme_actions.actions()[0].setChecked(True)
        view.addSeparator()
        view.addAction(QAction("&Fit graph", self, shortcut="F", triggered=self.explorer.canvas.fit))
        mode_menu = bar.addMenu("&Mode")
        for number, m in enumerate(MODES, start=1):
            mode_menu.addAction(QAction(MODE_TITLES[m], self, shortcut=f"Alt+{number}",
                                        triggered=lambda _=False, m=m: self.explorer.set_mode(m)))
        self._follow = True

    def _pick_theme(self, name: str) -> None:
        self._follow = name == "system"
        self.set_theme(system_theme() if self._follow else THEMES[name])

    def _follow_system(self) -> None:
        if self._follow:
            self.set_theme(system_theme())

    def set_theme(self, theme: Theme) -> None:
        """Apply a palette and font size everywhere, canvas included."""
        self.theme = theme
        app = QApplication.instance()
        app.setPalette(palette_for(theme))
        font = app.font()
        font.setPointSize(theme.base_font_pt)
        app.setFont(font)
        self.explorer.set_theme(theme)
        for i in range(self.tabs.count()):
            page = self.tabs.widget(i)
            if page is not self.explorer and hasattr(page, "set_theme"):
                page.set_theme(theme)


def gui_parser() -> argparse.ArgumentParser:
    """The ``chainrule`` parser (app.cli), the one place the app's options are declared."""
    from app.cli import build_parser
    return build_parser()


def build_window(args: argparse.Namespace) -> MainWindow:
    """The window for parsed options, at the requested example, mode and step (KeyError/ValueError if bad)."""
    example_id = args.example or "add-mul"
    examples.get(example_id)  # an unknown id fails before any window exists
    window = MainWindow(None if args.theme == "system" else THEMES[args.theme])
    window.resize(*args.size)
    window.explorer.load_example(example_id)
    window.explorer.set_mode(args.mode)
    total = len(window.explorer.timeline)
    step = total if args.step == "end" else args.step
    if step > total:
        window.close()
        raise ValueError(f"--step {step} is past the end: example {example_id!r} in {args.mode} mode "
                         f"has {total} steps (use 0..{total} or 'end')")
    window.explorer.set_position(step)
    return window


def show_fitted(window: MainWindow) -> None:
    """Show and lay out the window, then fit the graph to the canvas's real size (not the size before showing)."""
    window.show()
    QApplication.processEvents()
    window.explorer.canvas.fit()


def screenshot(window: MainWindow, path: str) -> None:
    """Lay out, fit the graph to the final size and save the window as a PNG."""
    show_fitted(window)
    QApplication.processEvents()
    if not window.grab().save(path):
        raise OSError(f"could not write {path}")


def run_app(argv: Sequence[str]) -> int:
    """Start the app (or render a screenshot); returns the exit status."""
    args = gui_parser().parse_args(list(argv))
    headless = args.screenshot is not None
    if headless and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication.instance() or QApplication([sys.argv[0]])
    try:
        window = build_window(args)
    except (KeyError, ValueError) as exc:
        print(f"chainrule: {exc.args[0]}", file=sys.stderr)
        return 2
    if headless:
        screenshot(window, args.screenshot)
        window.close()
        return 0
    from engine.kernels import warm_up
    threading.Thread(target=warm_up, name="numba-warm-up", daemon=True).start()
    # lecture mode (menus, recent files, crash recovery) only in the interactive app,
    # so tests and --screenshot never touch the user's settings or recovery folder
    from app.lecture.menus import install_lecture_mode
    install_lecture_mode(window)
    show_fitted(window)
    return app.exec()
