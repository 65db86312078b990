"""A seeded monkey on the whole main window: ``python -m bench.monkey --actions 20000 --seed N``.

It builds the main window with lecture mode offscreen (settings, recovery, saves and exports
in a temporary folder), then performs a seeded stream of random actions a user could do:
every menu action and keyboard shortcut, tab switches, typing random, fuzzed and edge-case
expressions, clicks, drags and wheel turns on every canvas and plot, extreme values (nan,
inf, 1e308, -0, huge integers, junk) in every spin box, combo box, slider, check box and
line edit, every button (so training starts and stops in every lab), lessons and scenes,
presenter mode in and out, save, open and export.  Modal dialogs are answered by stubs
(:class:`Dialogs`): a file dialog returns a temporary path, a question a random button, a
dialog such as the lesson browser gets a random row and a random button.

The action set is a table (:meth:`Monkey.table`) and every widget action finds its targets
by walking the visible widget tree, so a lab added later is exercised without naming it.
While it runs, :class:`Counters` counts every exception (``sys.excepthook``, exceptions
out of an action, ``threading.excepthook``, a background job that failed, a logged error)
and every Qt warning (``qInstallMessageHandler``), and records resident memory (from
``/proc/self/statm``) and thread count.  At the end the window is closed as a user closes
it, and no job or thread may be left running.  ``tests/test_monkey.py`` runs 2,000 actions.
"""
from __future__ import annotations

import argparse
import ctypes
import gc
import logging
import math
import os
import random
import sys
import tempfile
import threading
import time
import traceback
import warnings as pywarnings
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QPoint, QPointF, QSettings, Qt, QtMsgType, qInstallMessageHandler  # noqa: E402
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QShortcut, QWheelEvent  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import (QAbstractButton, QAbstractSlider, QAbstractSpinBox, QApplication,  # noqa: E402
                               QCheckBox, QComboBox, QDialog, QFileDialog, QGraphicsView, QLineEdit,
                               QListWidget, QMenu, QMessageBox, QPlainTextEdit, QTableWidget, QTabWidget,
                               QWidget)

from bench.fuzz_parser import deep_source, grammar_source, mutate, random_text, valid_source  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EXTREME_TEXTS = ("nan", "inf", "-inf", "1e308", "-1e308", "1e999", "-0", "0", "99999999999999999999999",
                 "-99999999999999999999999", "2147483648", "-2147483649", "5e-324", "1e-320", "abc", "", " ",
                 "1,5", "0x10", "−3", "3.7", "-1", "1e5", "٣", "½")
"""What the monkey types into spin boxes, line edits and table cells."""
EXTREME_VALUES = (math.nan, math.inf, -math.inf, 1e308, -1e308, -0.0, 0.0, 1e-320, 2**31 - 1, -2**31, 2**63, 10**30)
"""What the monkey gives ``setValue``-style calls (clamped to what the widget takes: see _set_value)."""
EDGE_EXPRESSIONS = ("1/x", "log(x)", "sqrt(x)", "x ** y", "x**0.5", "y**10", "exp(1e308)", "1e999", "0/0",
                    "x - x", "f = x @ y", "#x @ y", "\ufeffx", "x\r\ny", "é = 1; f = é * x", "x" * 300,
                    "(" * 201 + "x" + ")" * 201, "+".join(["x"] * 2000), "max(x)", "sum()", "mean(x, y, z)")
ANIMATIONS_CANCELLED = 0.8
"""How often the monkey cancels the file dialog of a GIF or MP4 export (each one it lets through renders
every step of the view: a second or more, the costliest action there is)."""
SKIPPED_ACTIONS = ("&Quit",)
"""Menu actions the monkey leaves alone (quitting ends the session: :meth:`Monkey.close` does it at the end)."""
KEYS = (Qt.Key_Right, Qt.Key_Left, Qt.Key_Up, Qt.Key_Down, Qt.Key_Space, Qt.Key_Home, Qt.Key_End,
        Qt.Key_PageUp, Qt.Key_PageDown, Qt.Key_Escape, Qt.Key_Return, Qt.Key_Tab, Qt.Key_Delete,
        Qt.Key_Backspace, Qt.Key_B, Qt.Key_Z, Qt.Key_Period, Qt.Key_F, Qt.Key_Plus, Qt.Key_Minus)
"""Keys pressed on whatever has the focus (the presenter's remote keys among them)."""
PLATFORM_NOISE = {"offscreen": ("This plugin does not support propagateSizeHints()",
                                "This plugin does not support raise()",
                                "This plugin does not support grabbing the keyboard")}
"""Qt warnings a platform plugin prints whatever the app does (the offscreen plugin does not implement
QPlatformWindow::propagateSizeHints, raise and the keyboard grab an open popup menu asks for: 2 in a
18,317-action run); every other Qt warning counts."""


# -- what counts as a failure ------------------------------------------------------------------------
@dataclass
class Counters:
    """Every exception and Qt warning seen while installed, with resident memory and thread samples."""

    exceptions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    python_warnings: list[str] = field(default_factory=list)
    """Python warnings (numpy's RuntimeWarning, ...), with where in the app they came from."""
    rss: list[int] = field(default_factory=list)
    threads: list[int] = field(default_factory=list)
    action: str = ""
    """The action being performed (named in each record)."""

    def exception(self, text: str) -> None:
        self.exceptions.append(f"during {self.action!r}: {text}")

    def sample(self) -> None:
        """Record resident memory (bytes) and the process's thread count (Qt's and Python's)."""
        self.rss.append(rss_bytes())
        self.threads.append(process_threads())

    @contextmanager
    def installed(self) -> Iterator["Counters"]:
        """Count through sys.excepthook, threading.excepthook, Qt's message handler, failed jobs and logging."""
        from viewmodel import jobs
        old_hook, old_thread_hook, old_end = sys.excepthook, threading.excepthook, jobs.Job._end
        counters = self

        def end(job, status=None, result=None, error=None, trace=""):
            if status == "failed" and not is_message(error):
                counters.exception(f"job {job.name!r} failed:\n{trace}")
            old_end(job, status, result, error, trace)

        class Logged(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                counters.exception(f"logged: {record.getMessage()}\n{record.exc_text or ''}")

        def qt_message(kind, context, message):
            if message in PLATFORM_NOISE.get(QApplication.platformName(), ()):
                return
            if kind in (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg):
                counters.warnings.append(f"during {counters.action!r}: {message}")
            if kind == QtMsgType.QtFatalMsg:  # Qt aborts the process next: say why first
                print(f"Qt fatal error during {counters.action!r}: {message}", file=sys.stderr, flush=True)

        def python_warning(message, category, filename, lineno, file=None, line=None):
            ours = [f for f in traceback.extract_stack()[:-1]
                    if f.filename.startswith(str(ROOT)) and "/bench/" not in f.filename]
            where = f"{ours[-1].filename}:{ours[-1].lineno}" if ours else f"{filename}:{lineno}"
            counters.python_warnings.append(f"during {counters.action!r}: {category.__name__}: {message} at {where}")

        handler = Logged(logging.ERROR)
        old_showwarning = pywarnings.showwarning
        pywarnings.showwarning = python_warning
        sys.excepthook = lambda kind, value, tb: self.exception("".join(traceback.format_exception(kind, value, tb)))
        threading.excepthook = lambda args: self.exception(
            "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback)))
        jobs.Job._end = end
        logging.getLogger().addHandler(handler)
        previous = qInstallMessageHandler(qt_message)
        try:
            yield self
        finally:
            qInstallMessageHandler(previous)
            pywarnings.showwarning = old_showwarning
            logging.getLogger().removeHandler(handler)
            jobs.Job._end = old_end
            sys.excepthook, threading.excepthook = old_hook, old_thread_hook


def is_message(error: BaseException | None) -> bool:
    """True for the project's own errors (ExportError, LessonError, ExpressionError, ...): raised on purpose
    to tell the user something in words, which a job hands on as its failure message.  Any other
    exception ending a job is a bug the monkey counts."""
    return error is not None and type(error).__module__.split(".")[0] in ("app", "engine", "viewmodel", "widgets")


def rss_bytes() -> int:
    """Resident set size of this process (Linux: /proc/self/statm; 0 elsewhere)."""
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def object_counts() -> dict[str, int]:
    """Live objects the garbage collector tracks, by type name (to see what grows in a long run)."""
    gc.collect()
    counts: dict[str, int] = {}
    for obj in gc.get_objects():
        name = type(obj).__qualname__
        counts[name] = counts.get(name, 0) + 1
    return counts


def trimmed_rss_bytes() -> int:
    """Resident memory after handing the C heap's free pages back (glibc's ``malloc_trim``; else as is):
    what the process still uses, without memory freed but kept by the allocator for reuse."""
    gc.collect()
    with suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    return rss_bytes()


def process_threads() -> int:
    """Threads of this process, Qt's included (Linux: /proc/self/status; Python's count elsewhere)."""
    try:
        line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith("Threads:"))
        return int(line.split()[1])
    except (OSError, StopIteration, ValueError):
        return threading.active_count()


# -- modal dialogs, answered ---------------------------------------------------------------------------
class Dialogs:
    """Stand-ins for every modal dialog (a monkey has no one to answer them): file dialogs return a path
    in ``folder`` (sometimes a bad one), questions a random offered button, other dialogs a random row
    and a random button.  Everything asked is counted in ``asked``."""

    def __init__(self, rng: random.Random, folder: Path):
        self.rng, self.folder = rng, folder
        self.asked: dict[str, int] = {}
        self._saved: list[Path] = []
        (folder / "a folder.chainrule").mkdir(exist_ok=True)
        (folder / "junk.chainrule").write_text('{"schema": 1, "lesson": ', encoding="utf-8")
        (folder / "empty.json").write_text("", encoding="utf-8")

    def _count(self, what: str) -> None:
        self.asked[what] = self.asked.get(what, 0) + 1

    def open_name(self, *_args, **_kwargs) -> tuple[str, str]:
        self._count("open file")
        choices = [*self._saved[-5:], self.folder / "junk.chainrule", self.folder / "empty.json",
                   self.folder / "a folder.chainrule", self.folder / "missing.chainrule"]
        return (str(self.rng.choice(choices)) if self.rng.random() < 0.9 else "", "")

    def save_name(self, _parent=None, _title="", suggested="", *_args, **_kwargs) -> tuple[str, str]:
        self._count("save file")
        suffix = Path(suggested).suffix or ".chainrule"
        r = self.rng.random()
        if r < 0.08 or (suffix in (".gif", ".mp4") and self.rng.random() < ANIMATIONS_CANCELLED):
            return "", ""  # cancelled
        if r < 0.14:
            return str(self.folder / "a folder.chainrule"), ""
        if r < 0.18:
            return str(self.folder / "no such folder" / f"x{suffix}"), ""
        path = self.folder / f"monkey{self.rng.randrange(6)}{suffix}"
        if suffix == ".chainrule":
            self._saved.append(path)
        return str(path), ""

    def folder_name(self, *_args, **_kwargs) -> str:
        self._count("choose folder")
        return str(self.folder)

    def question(self, _parent, _title, _text, buttons=QMessageBox.Yes | QMessageBox.No, *_args):
        self._count("question")
        offered = [b for b in (QMessageBox.Yes, QMessageBox.No, QMessageBox.Save, QMessageBox.Discard,
                               QMessageBox.Cancel, QMessageBox.Ok) if buttons & b]
        return self.rng.choice(offered or [QMessageBox.Ok])

    def message(self, *_args, **_kwargs):
        self._count("message")
        return QMessageBox.Ok

    def run_dialog(self, dialog: QDialog) -> int:
        """A dialog's ``exec()``: pick a random row in its lists, then press a random button of it."""
        self._count(type(dialog).__name__)
        for view in dialog.findChildren(QListWidget):
            if view.count():
                view.setCurrentRow(self.rng.randrange(view.count()))
        buttons = [b for b in dialog.findChildren(QAbstractButton) if b.isEnabled()]
        dialog.setResult(QDialog.Rejected)
        if buttons:
            self.rng.choice(buttons).click()
        return dialog.result()

    @contextmanager
    def installed(self) -> Iterator["Dialogs"]:
        patches = [(QFileDialog, "getOpenFileName", staticmethod(self.open_name)),
                   (QFileDialog, "getSaveFileName", staticmethod(self.save_name)),
                   (QFileDialog, "getExistingDirectory", staticmethod(self.folder_name)),
                   (QMessageBox, "question", staticmethod(self.question)),
                   (QMessageBox, "warning", staticmethod(self.message)),
                   (QMessageBox, "information", staticmethod(self.message)),
                   (QMessageBox, "critical", staticmethod(self.message)),
                   (QMessageBox, "exec", lambda box: self.message()),
                   (QDialog, "exec", lambda dialog, *_: self.run_dialog(dialog))]
        saved = [(owner, name, owner.__dict__.get(name)) for owner, name, _ in patches]
        for owner, name, value in patches:
            setattr(owner, name, value)
        try:
            yield self
        finally:
            for owner, name, value in saved:
                if value is None:
                    delattr(owner, name)
                else:
                    setattr(owner, name, value)


# -- the monkey ----------------------------------------------------------------------------------------
Action = Callable[[], str]


class Monkey:
    """Random actions on a main window with lecture mode; :meth:`table` names them with their weights."""

    def __init__(self, window, lecture, rng: random.Random, folder: Path):
        from tests.ui_actions import UIActions
        self.window, self.lecture, self.rng, self.folder = window, lecture, rng, folder
        self.ui = UIActions(window, lecture, rng, training=True)

    def table(self) -> dict[str, tuple[float, Action]]:
        """Every kind of action by name, with its weight (the chance it is picked, relatively)."""
        ui = self.ui
        return {  # the costly ones (menus: themes, exports; combos: presets; tabs; presenter) less often
            "menu action": (3, self.menu_action), "shortcut": (3, self.shortcut), "key": (6, self.key),
            "tab": (3, self.switch_tab), "type expression": (8, self.type_expression),
            "type keys": (1, self.type_keys), "edit input": (4, ui.edit_input), "example": (2, ui.choose_example),
            "canvas": (10, self.canvas), "spin box": (8, self.spin_box), "combo box": (3, self.combo_box),
            "button": (6, self.button), "check box": (2, self.check_box), "slider": (3, self.slider),
            "text field": (3, self.text_field), "table cell": (2, self.table_cell),
            "training": (2, self.training), "lesson": (0.5, self.lesson), "scene": (3, self.scene),
            "presenter": (1, self.presenter), "save or open": (2, self.save_or_open),
            "resize": (1, self.resize), "wait": (2, self.wait),
        }

    # -- finding targets ---------------------------------------------------------------------------
    def _visible(self, kind: type) -> list[QWidget]:
        """Every visible, enabled widget of ``kind`` in every visible top-level window."""
        found = []
        for top in QApplication.topLevelWidgets():
            if top.isVisible() and not isinstance(top, QMenu):
                found += [w for w in top.findChildren(kind) if w.isVisible() and w.isEnabled()]
                if isinstance(top, kind) and top.isEnabled():
                    found.append(top)
        return found

    def _pick(self, kind: type) -> QWidget | None:
        found = self._visible(kind)
        return self.rng.choice(found) if found else None

    def _actions(self) -> list[QAction]:
        """Every action of the window's menus (submenus too) and of the window itself."""
        seen: list[QAction] = []

        def walk(actions):
            for a in actions:
                if a.menu() is not None:
                    a.menu().aboutToShow.emit()  # a menu filled when shown (recent files, screens)
                    walk(a.menu().actions())
                elif not a.isSeparator() and a not in seen:
                    seen.append(a)
        walk(self.window.menuBar().actions())
        walk(self.window.actions())
        return [a for a in seen if a.isEnabled() and a.text() not in SKIPPED_ACTIONS]

    @staticmethod
    def _name(widget: QWidget) -> str:
        text = widget.text() if hasattr(widget, "text") and callable(widget.text) else ""
        return f"{type(widget).__name__}{f' {text!r}' if isinstance(text, str) and text else ''}"

    # -- menus and keys ------------------------------------------------------------------------------
    def menu_action(self) -> str:
        action = self.rng.choice(self._actions())
        action.trigger()
        return f"menu {action.text()!r}"

    def shortcut(self) -> str:
        keyed = [(a.text(), a.shortcut()) for a in self._actions() if not a.shortcut().isEmpty()]
        keyed += [(f"shortcut of {type(s.parent()).__name__}", s.key()) for s in self.window.findChildren(QShortcut)
                  if not s.key().isEmpty()]
        name, sequence = self.rng.choice(keyed)
        if sequence.toString() == QKeySequence("Ctrl+Q").toString():
            return "shortcut Ctrl+Q: left out"
        combo = sequence[0]
        target = QApplication.focusWidget() or self.window
        QTest.keyClick(target, combo.key(), combo.keyboardModifiers())
        return f"shortcut {sequence.toString()} ({name}) on {type(target).__name__}"

    def key(self) -> str:
        key = self.rng.choice(KEYS)
        target = QApplication.focusWidget() or self.window
        QTest.keyClick(target, key)
        return f"key {QKeySequence(key).toString()!r} on {type(target).__name__}"

    def switch_tab(self) -> str:
        tabs = self._pick(QTabWidget)
        if tabs is None or tabs.count() == 0:
            return "tab: none"
        index = self.rng.randrange(tabs.count())
        tabs.setCurrentIndex(index)
        return f"tab {tabs.tabText(index)!r}"

    # -- the explorer's editor ------------------------------------------------------------------------
    def _expression(self) -> str:
        rng, r = self.rng, self.rng.random()
        if r < 0.2:
            return valid_source(rng)
        if r < 0.4:
            return grammar_source(rng)
        if r < 0.55:
            return mutate(rng, grammar_source(rng))
        if r < 0.65:
            return random_text(rng)
        if r < 0.67:
            return deep_source(rng, scale=1000)
        if r < 0.85:
            from tests.ui_actions import INVALID_EXPRESSIONS, VALID_EXPRESSIONS
            return rng.choice(VALID_EXPRESSIONS + INVALID_EXPRESSIONS)
        return rng.choice(EDGE_EXPRESSIONS)

    def type_expression(self) -> str:
        editor = self.window.explorer.editor
        text = self._expression()
        editor.edit.setPlainText(text)
        if self.rng.random() < 0.8:
            editor.commit()
            return f"type {text[:60]!r} and pause"
        return f"type {text[:60]!r} (still typing)"

    def type_keys(self) -> str:
        """Type a few characters with real key presses into whatever text field has the focus."""
        target = QApplication.focusWidget()
        if not isinstance(target, (QLineEdit, QPlainTextEdit)):
            target = self.window.explorer.editor.edit
            target.setFocus()
        text = self.rng.choice(("x", "+ y", "*", "(", ")", "1e999", "\t", "é", " ")) * self.rng.randrange(1, 4)
        type_text(target, text)
        return f"keys {text!r} into {type(target).__name__}"

    # -- canvases and plots ----------------------------------------------------------------------------
    def _canvases(self) -> list[QWidget]:
        """Views (the graph canvas, every pyqtgraph plot) and custom-drawn widgets that take the mouse."""
        found = []
        for w in self._visible(QWidget):
            if isinstance(w, QGraphicsView):
                found.append(w)
            elif type(w).__module__.startswith(("widgets.", "app.")) and any(
                    name in vars(cls) for cls in type(w).__mro__[:-1] if cls.__module__.startswith(("widgets.", "app."))
                    for name in ("mousePressEvent", "mouseMoveEvent", "wheelEvent", "paintEvent")):
                found.append(w)
        return found

    def canvas(self) -> str:
        canvases = self._canvases()
        if not canvases:
            return "canvas: none"
        view = self.rng.choice(canvases)
        target = view.viewport() if isinstance(view, QGraphicsView) else view
        w, h = max(1, target.width()), max(1, target.height())
        point = lambda: QPoint(self.rng.randrange(-5, w + 5), self.rng.randrange(-5, h + 5))  # noqa: E731
        gesture = self.rng.choice(("click", "double-click", "drag", "wheel", "hover", "right-click"))
        p = point()
        if gesture == "click":
            QTest.mouseClick(target, Qt.LeftButton, Qt.NoModifier, p)
        elif gesture == "right-click":
            QTest.mouseClick(target, Qt.RightButton, Qt.NoModifier, p)
            for menu in QApplication.topLevelWidgets():  # a context menu (pyqtgraph's) goes away again
                if isinstance(menu, QMenu) and menu.isVisible():
                    menu.close()
        elif gesture == "double-click":
            QTest.mouseDClick(target, Qt.LeftButton, Qt.NoModifier, p)
        elif gesture == "drag":
            button = self.rng.choice((Qt.LeftButton, Qt.LeftButton, Qt.MiddleButton, Qt.RightButton))
            QTest.mousePress(target, button, Qt.NoModifier, p)
            for _ in range(self.rng.randrange(1, 5)):
                QTest.mouseMove(target, point())
            QTest.mouseRelease(target, button, Qt.NoModifier, point())
        elif gesture == "wheel":
            delta = self.rng.choice((120, -120, 360, -360, 1200, -1200, 15))
            event = QWheelEvent(QPointF(p), QPointF(target.mapToGlobal(p)), QPoint(0, 0), QPoint(0, delta),
                                Qt.NoButton, Qt.NoModifier, Qt.NoScrollPhase, False)
            QApplication.sendEvent(target, event)
        else:
            QTest.mouseMove(target, p)
        return f"{gesture} at ({p.x()}, {p.y()}) on {type(view).__name__}"

    # -- value editors ---------------------------------------------------------------------------------
    def _set_value(self, box, value: float) -> None:
        """``setValue`` as code would call it: a spin box's own range and type (it clamps the rest)."""
        if isinstance(value, float) and math.isnan(value) and not hasattr(box, "decimals"):
            value = 0
        if not hasattr(box, "decimals"):  # an integer spin box or slider takes a C int
            value = int(max(-2**31, min(2**31 - 1, value if math.isfinite(value) else math.copysign(2**31 - 1, value))))
        box.setValue(value)

    def spin_box(self) -> str:
        box = self._pick(QAbstractSpinBox)
        if box is None:
            return "spin box: none"
        how = self.rng.choice(("type", "type", "value", "step", "limit", "wheel"))
        if how == "type":
            text = self.rng.choice(EXTREME_TEXTS)
            box.setFocus()
            box.selectAll()
            type_text(box, text)
            QTest.keyClick(box, Qt.Key_Return)
            what = f"type {text!r}"
        elif how == "value" and hasattr(box, "setValue"):
            value = self.rng.choice(EXTREME_VALUES)
            self._set_value(box, value)
            what = f"value {value!r}"
        elif how == "limit" and hasattr(box, "setValue"):
            value = self.rng.choice((box.minimum(), box.maximum()))
            box.setValue(value)
            what = f"value {value!r} (its limit)"
        elif how == "wheel":
            QApplication.sendEvent(box, QWheelEvent(QPointF(5, 5), QPointF(box.mapToGlobal(QPoint(5, 5))), QPoint(),
                                                    QPoint(0, self.rng.choice((120, -120))), Qt.NoButton,
                                                    Qt.NoModifier, Qt.NoScrollPhase, False))
            what = "wheel"
        else:
            steps = self.rng.choice((1, -1, 10, -10, 1000, -1000))
            box.stepBy(steps)
            what = f"step {steps:+d}"
        box.editingFinished.emit()
        return f"{type(box).__name__} {box.objectName() or box.toolTip()[:30]!r}: {what}"

    def combo_box(self) -> str:
        box = self._pick(QComboBox)
        rows = [] if box is None else [r for r in range(box.count())  # a user cannot pick a disabled entry
                                       if box.model().flags(box.model().index(r, 0)) & Qt.ItemIsEnabled]
        if not rows:
            return "combo box: none"
        row = self.rng.choice(rows)
        box.setCurrentIndex(row)
        box.activated.emit(row)  # what a user's pick emits, besides the change
        box.textActivated.emit(box.itemText(row))
        return f"combo {box.itemText(row)!r}"

    def button(self) -> str:
        buttons = [b for b in self._visible(QAbstractButton) if not isinstance(b, QCheckBox)]
        if not buttons:
            return "button: none"
        button = self.rng.choice(buttons)
        menu = getattr(button, "menu", lambda: None)()
        if menu is not None:  # a button with a menu: pick from the menu (its popup would wait for a click)
            actions = [a for a in menu.actions() if a.isEnabled() and not a.isSeparator()]
            if actions:
                action = self.rng.choice(actions)
                action.trigger()
                return f"{self._name(button)} > {action.text()!r}"
            return f"{self._name(button)}: empty menu"
        button.click()
        return f"click {self._name(button)}"

    def check_box(self) -> str:
        box = self._pick(QCheckBox)
        if box is None:
            return "check box: none"
        box.click()
        return f"toggle {self._name(box)}"

    def slider(self) -> str:
        slider = self._pick(QAbstractSlider)
        if slider is None:
            return "slider: none"
        value = self.rng.choice((slider.minimum(), slider.maximum(), self.rng.randint(slider.minimum(), slider.maximum())))
        slider.setValue(value)
        slider.sliderReleased.emit()
        return f"{type(slider).__name__} = {value}"

    def text_field(self) -> str:
        fields = [w for w in self._visible(QLineEdit) if not isinstance(w.parent(), (QAbstractSpinBox, QComboBox))]
        fields += [w for w in self._visible(QPlainTextEdit) if w is not self.window.explorer.editor.edit]
        if not fields:
            return "text field: none"
        field_ = self.rng.choice(fields)
        text = self.rng.choice((*EXTREME_TEXTS, "∂f/∂x ✓", "line\nbreak", "x" * 500))
        if isinstance(field_, QLineEdit):
            field_.setText(text)
            field_.editingFinished.emit()
            field_.returnPressed.emit()
        else:
            field_.setPlainText(text)
        return f"text {text[:30]!r} into {type(field_).__name__}"

    def table_cell(self) -> str:
        tables = self._visible(QTableWidget)
        cells = [(t, t.item(r, c)) for t in tables for r in range(t.rowCount()) for c in range(t.columnCount())
                 if t.item(r, c) is not None and t.item(r, c).flags() & Qt.ItemIsEditable]
        if not cells:
            return "table cell: none"
        table, item = self.rng.choice(cells)
        text = self.rng.choice(EXTREME_TEXTS)
        item.setText(text)
        return f"cell ({item.row()}, {item.column()}) of {type(table).__name__} = {text!r}"

    # -- the app's own work ----------------------------------------------------------------------------
    TRAIN_WORDS = ("train", "stop", "cancel", "reset", "pause", "run", "start")

    def training(self) -> str:
        """Start or stop training in a lab: any visible button whose text says so."""
        if self.rng.random() < 0.3:
            self.window.page(self.rng.choice([k for k in self.window._kinds if k != "explorer"]))
        buttons = [b for b in self._visible(QAbstractButton)
                   if any(word in b.text().lower() for word in self.TRAIN_WORDS)]
        if not buttons:
            return "training: no button here"
        button = self.rng.choice(buttons)
        button.click()
        return f"click {self._name(button)}"

    def lesson(self) -> str:
        self.lecture.browse()
        return "browse lessons"

    def scene(self) -> str:
        ui = self.ui
        return self.rng.choice((ui.add_scene, ui.select_scene, ui.edit_scenes, ui.undo_redo, ui.select_scene))()

    def presenter(self) -> str:
        presenter = self.lecture.presenter
        if presenter is None or not presenter.isVisible():
            start = self.rng.randrange(-1, 4)
            self.lecture.present(start)
            return f"presenter mode from scene {start}"
        if self.rng.random() < 0.3:
            QTest.keyClick(presenter, Qt.Key_Escape)
            return "presenter: Esc"
        key = self.rng.choice(KEYS)
        QTest.keyClick(presenter, key)
        return f"presenter key {QKeySequence(key).toString()!r}"

    def save_or_open(self) -> str:
        what = self.rng.choice(("save", "save as", "open"))
        lecture = self.lecture
        {"save": lecture.save, "save as": lecture.save_as, "open": lecture.open_dialog}[what]()
        return what

    def resize(self) -> str:
        w, h = self.rng.choice(((1024, 768), (640, 480), (1280, 800), (200, 150), (1920, 1080), (1024, 768)))
        self.window.resize(w, h)
        return f"resize to {w}x{h}"

    def wait(self) -> str:
        ms = self.rng.choice((10, 30, 80))
        settle(ms)
        return f"wait {ms} ms"


def type_text(widget: QWidget, text: str) -> None:
    """Key presses for ``text``, as a keyboard sends them (QTest.keyClicks takes only ASCII)."""
    for char in text:
        if char.isascii():
            QTest.keyClicks(widget, char)
        else:
            for kind in (QEvent.KeyPress, QEvent.KeyRelease):
                QApplication.sendEvent(widget, QKeyEvent(kind, 0, Qt.NoModifier, char))


def settle(ms: int = 0) -> None:
    """Let Qt process what is pending (timers, posted events, deferred deletes), for about ``ms``."""
    end = time.monotonic() + ms / 1000
    while True:
        QApplication.processEvents()
        QApplication.sendPostedEvents(None, 0)
        if time.monotonic() >= end:
            return
        time.sleep(0.002)


# -- a session -------------------------------------------------------------------------------------
@dataclass
class Report:
    """What a run saw: counts, the failures themselves, memory and threads, the actions done."""

    seed: int
    actions: int
    seconds: float
    cpu_seconds: float
    """CPU time of the whole process, background jobs included (the wall time depends on the machine's load)."""
    exceptions: list[str]
    warnings: list[str]
    python_warnings: list[str]
    threads_left: list[str]
    rss_mb: tuple[float, float, float]
    """Resident memory in MB: after the first 10% of actions, at the end, and the peak."""
    trimmed_mb: tuple[float, float]
    """Resident memory in MB after 10% of the actions and at the end, with the C heap's free pages handed back."""
    heap_blocks: tuple[int, int]
    """Python's allocated memory blocks (``sys.getallocatedblocks``) at the same two moments."""
    grown: list[tuple[str, int]]
    """The types of Python object whose count grew most between those moments."""
    threads: tuple[int, int]
    """The process's threads: most seen during the run, and after closing."""
    asked: dict[str, int]
    done: list[str]
    kinds: dict[str, int]
    kind_seconds: dict[str, float]
    kind_rss_mb: dict[str, float]
    """Resident memory each kind of action added in all (MB; growth during the action, net of what it freed)."""
    slowest: list[tuple[float, str]]

    def ok(self) -> bool:
        return not (self.exceptions or self.warnings or self.threads_left)

    def summary(self) -> str:
        lines = [f"seed {self.seed}: {self.actions} actions in {self.seconds:.1f} s "
                 f"({1000 * self.seconds / max(1, self.actions):.0f} ms each; {self.cpu_seconds:.1f} s of CPU time)",
                 f"exceptions: {len(self.exceptions)}, Qt warnings: {len(self.warnings)}, "
                 f"threads left running: {len(self.threads_left)} (Python warnings: {len(self.python_warnings)})",
                 f"RSS: {self.rss_mb[0]:.0f} MB after 10% of the actions, {self.rss_mb[1]:.0f} MB at the end, "
                 f"peak {self.rss_mb[2]:.0f} MB; threads: at most {self.threads[0]}, {self.threads[1]} after closing",
                 f"after malloc_trim: {self.trimmed_mb[0]:.0f} MB after 10%, {self.trimmed_mb[1]:.0f} MB at the end; "
                 f"Python blocks {self.heap_blocks[0]:,} -> {self.heap_blocks[1]:,}; objects grown: "
                 + ", ".join(f"{name} {n:+,}" for name, n in self.grown),
                 "actions (count, seconds): " + ", ".join(f"{k} {n} {self.kind_seconds[k]:.1f}"
                                                          for k, n in sorted(self.kinds.items())),
                 "RSS growth by action (MB): " + ", ".join(f"{k} {mb:+.0f}" for k, mb in sorted(
                     self.kind_rss_mb.items(), key=lambda item: -item[1]) if abs(mb) >= 1),
                 "dialogs answered: " + ", ".join(f"{k} {n}" for k, n in sorted(self.asked.items())),
                 "slowest: " + "; ".join(f"{s * 1000:.0f} ms {d[:60]}" for s, d in self.slowest[:5])]
        for title, items in (("exception", self.exceptions), ("Qt warning", self.warnings),
                             ("still running", self.threads_left), ("Python warning", self.python_warnings)):
            lines += [f"--- {title} {i + 1}:\n{text}" for i, text in enumerate(items[:10])]
        return "\n".join(lines)


def run(actions: int, seed: int, folder: Path | None = None, pause_ms: int = 0,
        minutes: float | None = None) -> Report:
    """Build the window, perform ``actions`` seeded random actions (fewer if ``minutes`` run out first),
    close it, and report."""
    from app.lecture.menus import install_lecture_mode
    from app.main_window import MainWindow
    from viewmodel.jobs import cancel_all, running_jobs
    app = QApplication.instance() or QApplication(["chainrule-monkey"])
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="chainrule-monkey-") as temp:
        folder = folder or Path(temp)
        counters, dialogs = Counters(), Dialogs(rng, folder)
        threads_before = set(threading.enumerate())
        done: list[str] = []
        kinds: dict[str, int] = {}
        timings: list[tuple[float, str]] = []
        kind_seconds: dict[str, float] = {}
        kind_rss: dict[str, int] = {}
        started, cpu = time.monotonic(), time.process_time()
        with counters.installed(), dialogs.installed():
            counters.action = "building the window"
            window = MainWindow()
            lecture = install_lecture_mode(window, QSettings(str(folder / "settings.ini"), QSettings.IniFormat),
                                           folder / "recovery")
            window.explorer.state.load_example("add-mul")
            window.resize(1024, 768)
            window.show()
            window.activateWindow()
            settle()
            monkey = Monkey(window, lecture, rng, folder)
            table = monkey.table()
            names, weights = list(table), [w for w, _ in table.values()]
            rss_early = rss_bytes()  # (replaced by the figures after a tenth of the actions)
            early = (trimmed_rss_bytes(), sys.getallocatedblocks(), object_counts())
            stop_by = time.monotonic() + 60 * minutes if minutes else math.inf
            for i in range(actions):
                if time.monotonic() > stop_by:
                    actions = i
                    break
                name = rng.choices(names, weights)[0]
                counters.action = f"#{i} {name}"
                t0, rss0 = time.monotonic(), rss_bytes()
                try:
                    description = table[name][1]()
                except Exception:  # noqa: BLE001 — counted, and the monkey goes on
                    description = f"{name} (raised)"
                    counters.exception(traceback.format_exc())
                counters.action = f"#{i} {description}"
                settle(pause_ms)
                spent = time.monotonic() - t0
                timings.append((spent, f"#{i} {description}"))
                kind_seconds[name] = kind_seconds.get(name, 0.0) + spent
                kind_rss[name] = kind_rss.get(name, 0) + rss_bytes() - rss0
                done.append(description)
                kinds[name] = kinds.get(name, 0) + 1
                if i % 50 == 0 or i == actions // 10:
                    counters.sample()
                if i == actions // 10:
                    rss_early = counters.rss[-1]
                    early = (trimmed_rss_bytes(), sys.getallocatedblocks(), object_counts())
            counters.action = "measuring memory"
            rss_end = rss_bytes()
            late = (trimmed_rss_bytes(), sys.getallocatedblocks(), object_counts())
            counters.action = "closing the window"
            peak_threads = max(counters.threads or [process_threads()])
            window.ask_before_closing = True
            lecture.scenes.stack.setClean()  # closing must not stop to ask: the monkey's work is thrown away
            window.close()
            settle()
            left = running_jobs()
            cancel_all(2.0)  # (so a failure here does not leave threads behind for the next test)
            window.deleteLater()
            settle()
        seconds, cpu = time.monotonic() - started, time.process_time() - cpu
        for t in set(threading.enumerate()) - threads_before:
            t.join(timeout=0.5)
        strays = [t for t in set(threading.enumerate()) - threads_before if t.is_alive()]
        mb = 1 / 2**20
        del app
        return Report(seed=seed, actions=actions, seconds=seconds, cpu_seconds=cpu, exceptions=counters.exceptions,
                      warnings=counters.warnings, python_warnings=counters.python_warnings,
                      threads_left=[f"job {j.name!r}" for j in left] + [f"thread {t.name!r}" for t in strays],
                      rss_mb=(rss_early * mb, rss_end * mb, max(counters.rss + [rss_end]) * mb),
                      trimmed_mb=(early[0] * mb, late[0] * mb), heap_blocks=(early[1], late[1]),
                      grown=sorted(((k, n - early[2].get(k, 0)) for k, n in late[2].items()), key=lambda kn: -kn[1])[:8],
                      threads=(peak_threads, process_threads()), asked=dialogs.asked, done=done, kinds=kinds, kind_seconds=kind_seconds,
                      kind_rss_mb={k: b * mb for k, b in kind_rss.items()}, slowest=sorted(timings, reverse=True)[:10])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--actions", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--minutes", type=float, default=None, help="stop after this long, whatever the count")
    parser.add_argument("--pause-ms", type=int, default=0, help="extra time to let Qt and jobs run after each action")
    args = parser.parse_args(argv)
    report = run(args.actions, args.seed, pause_ms=args.pause_ms, minutes=args.minutes)
    print(report.summary())
    return 0 if report.ok() else 1


if __name__ == "__main__":
    sys.exit(main())
