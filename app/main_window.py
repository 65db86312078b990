"""Chainrule's main window: menus, one tab per lab, light/dark theme, headless screenshots.

``run_app(args)`` is what ``chainrule`` runs with no subcommand, for its options (``app.cli``):
``--example ID``, ``--theme light|dark|presenter`` and, for docs and slides,
``--screenshot FILE.png [--step N|end] [--size WxH]`` (renders offscreen, exits).
Closing, File > Quit, Ctrl+C and SIGTERM all end the same way (:mod:`app.lifecycle`).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QTabWidget, QWidget

from app import examples
from app.explorer import MODE_TITLES, ExplorerPage
from app.lifecycle import JOB_TIMEOUT_S
from app.pages import PAGES, PageInfo
from viewmodel.jobs import Job, Outcome, cancel_all
from viewmodel.timeline import MODES
from widgets.jobs import JobWatcher, start_job
from widgets.palette import palette_for
from widgets.theme import DARK, LIGHT, THEMES, Theme

LABS: list[PageInfo] = [p for p in PAGES if p.kind != "explorer"]
"""The labs after the graph explorer, each made the first time its tab is shown."""
CHROME_PT = 12
"""Largest point size of menus, tabs and panels: the presenter theme enlarges the graph, the card and the
code, not the chrome around them."""
WAITING = "Preparing the compiled kernels (only the first start after installing takes a few seconds)…"


def system_theme() -> Theme:
    """Dark when the desktop asks for dark (QStyleHints.colorScheme), else light."""
    scheme = QGuiApplication.styleHints().colorScheme()
    return DARK if scheme == Qt.ColorScheme.Dark else LIGHT


class MainWindow(QMainWindow):
    """Menus, the tab widget (graph explorer first) and theme switching."""

    page_made = Signal(str)
    """A lab's kind, when its page has just been made (the first time its tab was shown)."""

    def __init__(self, theme: Theme | None = None):
        super().__init__()
        self.setWindowTitle("Chainrule — see the chain rule at work")
        self.tabs = QTabWidget(self)
        self.setCentralWidget(self.tabs)
        self.explorer = ExplorerPage(parent=self)
        self.tabs.addTab(self.explorer, "Graph explorer")
        self._kinds = ["explorer"]
        self._pending: dict[int, PageInfo] = {}
        for info in LABS:
            if info.available():  # a lab not written yet is left out
                self._pending[self.tabs.addTab(QLabel(), info.title)] = info
                self._kinds.append(info.kind)
        self.warm_up: JobWatcher | None = None
        """The Numba warm-up job while it runs: labs wait for it instead of compiling on the GUI thread."""
        self.ask_before_closing = True
        """False when quitting without questions (Ctrl+C, SIGTERM): unsaved work goes to the autosave."""
        self._stop_by: float | None = None
        self.tabs.currentChanged.connect(self._load_tab)
        self._build_menus()
        self.set_theme(theme or system_theme())
        QGuiApplication.styleHints().colorSchemeChanged.connect(lambda _: self._follow_system())

    # -- pages ----------------------------------------------------------------------------------
    def page(self, kind: str) -> QWidget | None:
        """The page of this view kind, shown (a lab is made now if need be); None if there is none."""
        if kind not in self._kinds:
            return None
        index = self._kinds.index(kind)
        if index in self._pending and self.warm_up is not None:
            self.warm_up.finish()  # asked for by a lesson: wait for the kernels, then make it
        self.tabs.setCurrentIndex(index)
        self._make(index)
        return self.tabs.widget(index)

    def pages(self) -> dict[str, QWidget]:
        """The pages made so far, by kind (labs not opened yet are not forced into existence)."""
        return {kind: self.tabs.widget(i) for i, kind in enumerate(self._kinds) if i not in self._pending}

    def current_kind(self) -> str | None:
        """The kind of the page on screen (None while a lab is still waiting to be made)."""
        index = self.tabs.currentIndex()
        return None if index in self._pending or index < 0 else self._kinds[index]

    def watch_warm_up(self, job: Job) -> None:
        """Run the kernel warm-up ``job``; a lab opened meanwhile shows a note and appears when it is done."""
        self.warm_up = start_job(job, self)
        self.warm_up.finished.connect(self._kernels_ready)

    def _kernels_ready(self, outcome: Outcome) -> None:
        self.warm_up = None
        if outcome.status == "failed":  # the labs compile what they need when they need it
            print(f"chainrule: warming up the kernels failed: {outcome.message}", file=sys.stderr)
        self._load_tab(self.tabs.currentIndex())

    def _load_tab(self, index: int) -> None:
        """Make a lab the first time its tab is shown (once the kernels are warm)."""
        if index not in self._pending:
            return
        if self.warm_up is not None:
            self.tabs.widget(index).setText(WAITING)
            self.tabs.widget(index).setAlignment(Qt.AlignCenter)
            return
        self._make(index)

    def _make(self, index: int) -> None:
        info = self._pending.pop(index, None)
        if info is None:
            return
        page = info.load()()
        title = self.tabs.tabText(index)
        placeholder = self.tabs.widget(index)
        self.tabs.blockSignals(True)  # swapping the tab must not make another lab
        self.tabs.removeTab(index)
        self.tabs.insertTab(index, page, title)
        self.tabs.setCurrentIndex(index)
        self.tabs.blockSignals(False)
        placeholder.deleteLater()
        if hasattr(page, "set_theme"):
            page.set_theme(self.theme)
        if hasattr(page, "attach_explorer"):  # the sequence lab unrolls networks into the explorer
            page.attach_explorer(self.explorer.state, lambda: self.tabs.setCurrentWidget(self.explorer))
        self.page_made.emit(info.kind)

    # -- closing --------------------------------------------------------------------------------
    def shutdown(self, timeout: float = JOB_TIMEOUT_S) -> list[Job]:
        """Stop all background work: every page cancels its jobs, then every job is waited for,
        ``timeout`` seconds for all together counted from the first call (closing, then the exit,
        wait once).  Returns the jobs still running, abandoned."""
        for page in self.pages().values():
            if hasattr(page, "shutdown"):
                page.shutdown()
        if self._stop_by is None:
            self._stop_by = time.monotonic() + timeout
        return cancel_all(max(0.0, self._stop_by - time.monotonic()))

    def quit_without_asking(self) -> None:
        """Close now, asking nothing (Ctrl+C, SIGTERM): unsaved lesson edits go to the autosave."""
        self.ask_before_closing = False
        self.close()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Closing (the window's button, File > Quit): stop every job before the window goes away."""
        self.shutdown()
        super().closeEvent(event)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        quit_action = QAction("&Quit", self, shortcut="Ctrl+Q", triggered=self.close)
        file_menu.addAction(quit_action)
        ex_menu = bar.addMenu("&Examples")
        for number, ex in enumerate(examples.EXAMPLES.values(), start=1):
            action = QAction(ex.title, self, shortcut=f"Ctrl+{number}",
                             triggered=lambda _=False, i=ex.id: self.explorer.state.load_example(i))
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
                                        triggered=lambda _=False, m=m: self.explorer.state.set_mode(m)))
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
        font.setPointSize(min(theme.base_font_pt, CHROME_PT))  # menus and panels never crowd the graph
        app.setFont(font)
        self.explorer.set_theme(theme)
        for i in range(self.tabs.count()):
            page = self.tabs.widget(i)
            if page is not self.explorer and hasattr(page, "set_theme"):
                page.set_theme(theme)


def build_window(args: argparse.Namespace) -> MainWindow:
    """The window for parsed options, at the requested example, mode and step (KeyError/ValueError if bad)."""
    example_id = args.example or "add-mul"
    examples.get(example_id)  # an unknown id fails before any window exists
    window = MainWindow(None if args.theme == "system" else THEMES[args.theme])
    window.resize(*args.size)
    state = window.explorer.state
    state.load_example(example_id, mode=args.mode)
    total = len(state.timeline)
    step = total if args.step == "end" else args.step
    if step > total:
        window.close()
        raise ValueError(f"--step {step} is past the end: example {example_id!r} in {args.mode} mode "
                         f"has {total} steps (use 0..{total} or 'end')")
    state.set_position(step)
    return window


def show_fitted(window: MainWindow) -> None:
    """Show and lay out the window, then fit the graph to the canvas's real size (not the size before showing;
    the canvas frames the graph again on every resize, the window manager's first one included)."""
    window.show()
    QApplication.processEvents()
    window.explorer.canvas.fit()


def fit_to_screen(window: MainWindow) -> None:
    """Shrink and move the window so all of it, its frame included, lies on the screen's available area
    (a 1280x800 window on a 1280x800 screen with a panel would hide the step controls)."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        return
    avail = screen.availableGeometry()
    frame = window.frameGeometry().size() - window.geometry().size()
    width = min(window.width(), avail.width() - frame.width())
    height = min(window.height(), avail.height() - frame.height())
    window.resize(max(width, window.minimumSizeHint().width()), max(height, window.minimumSizeHint().height()))
    window.move(max(avail.left(), min(window.x(), avail.right() - window.frameGeometry().width())),
                max(avail.top(), min(window.y(), avail.bottom() - window.frameGeometry().height())))


def screenshot(window: MainWindow, path: str) -> None:
    """Lay out, fit the graph to the final size and save the window as a PNG."""
    show_fitted(window)
    QApplication.processEvents()
    if not window.grab().save(path):
        raise OSError(f"could not write {path}")


def run_app(args: argparse.Namespace) -> int:
    """Start the app (or render a screenshot) for ``chainrule``'s parsed options; returns the exit status."""
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
    from app import lifecycle
    window.watch_warm_up(lifecycle.kernel_warm_up())
    # lecture mode (menus, recent files, crash recovery) only in the interactive app,
    # so tests and --screenshot never touch the user's settings or recovery folder
    from app.lecture.menus import install_lecture_mode
    install_lecture_mode(window)
    lifecycle.install_signal_handlers(window)
    fit_to_screen(window)
    show_fitted(window)
    return lifecycle.finish(window, app.exec())
