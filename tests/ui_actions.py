"""Seeded random user actions on the main window with lecture mode, for property and monkey tests.

``UIActions(window, lecture, rng).run(n)`` performs ``n`` actions chosen by ``rng`` and returns
their descriptions (print them when a check fails: the same seed replays the same session).
Actions go through the widgets a user touches (editor, inputs table, combo boxes, step
controls, tabs) or the slots their menus and buttons call, and never wait for background
work, so a seed replays the same way.  Values include the awkward ones: NaN, ±inf, 1e999,
overflow, subnormals, text that is not a number; expressions include ones that do not parse.
"""
from __future__ import annotations

import random
from typing import Callable

from PySide6.QtCore import Qt

VALID_EXPRESSIONS = (
    "x * y", "q = x + y\nf = q * z", "f = exp(x) / (1 + exp(x))", "sin(a) * b + c", "f = x ** 2",
    "sqrt(x) + log(y)", "x / y", "tanh(w0*x0 + w1)", "max(x, y) - min(x, y)", "h = relu(x - 1); f = h * h",
    "f = softplus(u) * abs(v)", "x = 1; f = x + y",
)
INVALID_EXPRESSIONS = (
    "f = q * ", "x +* y", "(x + y", "f = exp(", "import os", "x.y", "1 +", "", "   ", "f = nope(x)",
    "lambda: 1", "f = x[0]", "f = x;; g = y", "ü = 1 +",
)
INPUT_TEXTS = (
    "nan", "NaN", "inf", "-inf", "1e999", "-1e999", "1e308", "-1.7976931348623157e308", "0", "-0", "2.5",
    "-3", "−3", "1e-320", "5e-324", "abc", "", "1,5", "0x10",
)
CAPTIONS = ("", "**Forward**: values flow left to right", "∂f/∂x = 3 — ünïcödé ✓", "line one\nline two",
            '"quotes" and \\ backslashes', "nan")


class UIActions:
    """Random actions on a ``MainWindow`` with lecture mode (``app.lecture.menus.LectureMode``).

    ``training=False`` leaves out what starts background training (the optimizer lab's MLP
    presets), so a run stays quick and deterministic; a monkey test may turn it on.
    """

    def __init__(self, window, lecture, rng: random.Random, training: bool = False):
        self.window, self.lecture, self.rng, self.training = window, lecture, rng, training
        self.actions: list[tuple[float, Callable[[], str]]] = [
            (4, self.type_valid), (3, self.type_invalid), (4, self.edit_input), (2, self.choose_example),
            (2, self.choose_mode), (1, self.choose_wrt), (4, self.step), (2, self.switch_tab),
            (2, self.add_scene), (1, self.select_scene), (1, self.edit_scenes), (1, self.undo_redo),
            (1, self.sequence_preset), (1, self.sequence_time), (2, self.unroll), (1, self.optimizer_preset),
        ]

    def run(self, n: int) -> list[str]:
        """Perform ``n`` random actions; their descriptions, in order."""
        weights = [w for w, _ in self.actions]
        return [self.rng.choices(self.actions, weights)[0][1]() for _ in range(n)]

    # -- helpers ---------------------------------------------------------------------------------
    @property
    def explorer(self):
        return self.window.explorer

    def _lab(self, class_name: str):
        tabs = self.window.tabs
        return next((tabs.widget(i) for i in range(tabs.count()) if type(tabs.widget(i)).__name__ == class_name),
                    None)

    # -- the explorer ------------------------------------------------------------------------------
    def _type(self, text: str) -> str:
        editor = self.explorer.editor
        editor.edit.setPlainText(text)
        if self.rng.random() < 0.7:  # the pause after typing that lets the editor parse
            editor.commit()
            return f"type {text!r} and pause"
        return f"type {text!r} (still typing)"

    def type_valid(self) -> str:
        return self._type(self.rng.choice(VALID_EXPRESSIONS))

    def type_invalid(self) -> str:
        return self._type(self.rng.choice(INVALID_EXPRESSIONS))

    def edit_input(self) -> str:
        table = self.explorer.inputs
        rows = [r for r in range(table.rowCount())
                if table.item(r, 1) is not None and table.item(r, 1).flags() & Qt.ItemIsEditable]
        if not rows:
            return "edit input: none editable"
        row, text = self.rng.choice(rows), self.rng.choice(INPUT_TEXTS)
        table.item(row, 1).setText(text)
        return f"input {table.item(row, 0).text()} = {text!r}"

    def _choose(self, box, first: int = 0, activate: bool = True) -> int:
        """Pick a random row of a combo box as a click would (``activated`` is what a user's pick emits)."""
        row = self.rng.randrange(first, box.count())
        box.setCurrentIndex(row)
        if activate:
            box.activated.emit(row)
        return row

    def choose_example(self) -> str:
        box = self.explorer.example_box
        return f"example {box.itemData(self._choose(box, first=1))}"

    def choose_mode(self) -> str:
        box = self.explorer.mode_box
        return f"mode {box.itemData(self._choose(box, activate=False))}"

    def choose_wrt(self) -> str:
        box = self.explorer.wrt_box
        if box.count() == 0:
            return "wrt: no inputs"
        return f"wrt {box.itemText(self._choose(box))}"

    def step(self) -> str:
        controls = self.explorer.controls
        kind = self.rng.choice(("+1", "-1", "start", "end", "+5"))
        if kind in ("start", "end"):
            controls.jump_requested.emit(kind)
        else:
            for _ in range(abs(int(kind))):
                controls.step_requested.emit(1 if kind[0] == "+" else -1)
        return f"step {kind}"

    # -- tabs and lessons --------------------------------------------------------------------------
    def switch_tab(self) -> str:
        tabs = self.window.tabs
        index = self.rng.randrange(tabs.count())
        tabs.setCurrentIndex(index)
        return f"tab {tabs.tabText(index)}"

    def add_scene(self) -> str:
        self.lecture.add_current_view()
        return "add current view as scene"

    def select_scene(self) -> str:
        n = len(self.lecture.scenes.scenes)
        if not n:
            return "select scene: none"
        index = self.rng.randrange(n)
        self.lecture.panel.select(index)
        return f"show scene {index + 1}"

    def edit_scenes(self) -> str:
        scenes = self.lecture.scenes
        n = len(scenes.scenes)
        if not n:
            return "edit scenes: none"
        i = self.rng.randrange(n)
        what = self.rng.choice(("remove", "move", "caption", "title"))
        if what == "remove":
            scenes.remove(i)
        elif what == "move":
            scenes.move(i, self.rng.randrange(n))
        else:
            scenes.edit(i, **{what: self.rng.choice(CAPTIONS)})
        return f"scene {i + 1}: {what}"

    def undo_redo(self) -> str:
        stack = self.lecture.scenes.stack
        if self.rng.random() < 0.6:
            stack.undo()
            return "undo"
        stack.redo()
        return "redo"

    # -- the labs ------------------------------------------------------------------------------------
    def _show_lab(self, class_name: str):
        """The lab, created (by showing its tab, as a user would) if it was not yet."""
        lab = self._lab(class_name)
        if lab is None:
            tabs = self.window.tabs
            titles = {"SequenceLab": "Sequence lab", "OptimizerLab": "Optimizer lab"}
            index = next(i for i in range(tabs.count()) if tabs.tabText(i) == titles[class_name])
            tabs.setCurrentIndex(index)
            lab = self._lab(class_name)
        return lab

    def sequence_preset(self) -> str:
        lab = self._show_lab("SequenceLab")
        name = self.rng.choice(lab.presets())
        lab.preset_box.setCurrentText(name)
        lab.preset_box.textActivated.emit(name)
        return f"sequence preset {name!r}"

    def sequence_time(self) -> str:
        lab = self._show_lab("SequenceLab")
        t = self.rng.randrange(lab.task.length)
        lab.set_time(t)
        return f"sequence time t = {t}"

    def unroll(self) -> str:
        lab = self._show_lab("SequenceLab")
        cell = self.rng.choice(("rnn", "lstm", "gru"))
        lab.show_unrolled(cell)
        return f"unroll the {cell} in the graph explorer"

    def optimizer_preset(self) -> str:
        lab = self._show_lab("OptimizerLab")
        from app.optimizer_lab import PRESETS
        names = [n for n, p in PRESETS.items() if self.training or p.dataset is None]
        name = self.rng.choice(names)
        lab.load_preset(name)
        return f"optimizer preset {name!r}"
