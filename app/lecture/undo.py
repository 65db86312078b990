"""Undoable edits of a lesson's scene list (add, remove, move, retitle, re-caption), on a QUndoStack.

Every edit goes through :class:`SceneList`, which announces ``changed`` so the
scene panel, the window title (modified mark) and the autosaver all follow.
"""
from __future__ import annotations

import copy

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from app.lecture.lessons import Lesson, Scene


class SceneList(QObject):
    """The lesson being built, editable only through undoable commands."""

    changed = Signal()

    def __init__(self, lesson: Lesson, parent: QObject | None = None):
        super().__init__(parent)
        self.lesson = lesson
        self.stack = QUndoStack(self)

    @property
    def scenes(self) -> list[Scene]:
        return self.lesson.scenes

    def replace_lesson(self, lesson: Lesson) -> None:
        """Start over with another lesson (opening a file is not undoable; the history is cleared)."""
        self.lesson = lesson
        self.stack.clear()
        self.stack.setClean()
        self.changed.emit()

    def insert(self, index: int, scene: Scene) -> None:
        """Insert ``scene`` at ``index`` (undoable)."""
        self.stack.push(_Insert(self, index, scene))

    def remove(self, index: int) -> None:
        """Remove the scene at ``index`` (undoable); a lesson keeps at least one scene."""
        if len(self.scenes) > 1:
            self.stack.push(_Remove(self, index))

    def move(self, index: int, to: int) -> None:
        """Move the scene at ``index`` to position ``to`` (undoable)."""
        if index != to and 0 <= to < len(self.scenes):
            self.stack.push(_Move(self, index, to))

    def edit(self, index: int, **changes: object) -> None:
        """Change fields of one scene, e.g. ``caption=...`` or ``title=...`` (undoable)."""
        self.stack.push(_Edit(self, index, changes))


class _Insert(QUndoCommand):
    def __init__(self, model: SceneList, index: int, scene: Scene):
        super().__init__(f"Add scene “{scene.title or scene.view}”")
        self.model, self.index, self.scene = model, index, scene

    def redo(self) -> None:
        self.model.scenes.insert(self.index, self.scene)
        self.model.changed.emit()

    def undo(self) -> None:
        del self.model.scenes[self.index]
        self.model.changed.emit()


class _Remove(QUndoCommand):
    def __init__(self, model: SceneList, index: int):
        super().__init__(f"Remove scene {index + 1}")
        self.model, self.index = model, index
        self.scene: Scene | None = None

    def redo(self) -> None:
        self.scene = self.model.scenes.pop(self.index)
        self.model.changed.emit()

    def undo(self) -> None:
        self.model.scenes.insert(self.index, self.scene)
        self.model.changed.emit()


class _Move(QUndoCommand):
    def __init__(self, model: SceneList, index: int, to: int):
        super().__init__(f"Move scene {index + 1} to {to + 1}")
        self.model, self.index, self.to = model, index, to

    def _shift(self, a: int, b: int) -> None:
        self.model.scenes.insert(b, self.model.scenes.pop(a))
        self.model.changed.emit()

    def redo(self) -> None:
        self._shift(self.index, self.to)

    def undo(self) -> None:
        self._shift(self.to, self.index)


class _Edit(QUndoCommand):
    def __init__(self, model: SceneList, index: int, changes: dict[str, object]):
        super().__init__(f"Edit {', '.join(changes)} of scene {index + 1}")
        self.model, self.index = model, index
        self.after = copy.deepcopy(changes)
        self.before = {k: copy.deepcopy(getattr(model.scenes[index], k)) for k in changes}

    def _apply(self, values: dict[str, object]) -> None:
        scene = self.model.scenes[self.index]
        for name, value in values.items():
            setattr(scene, name, copy.deepcopy(value))
        self.model.changed.emit()

    def redo(self) -> None:
        self._apply(self.after)

    def undo(self) -> None:
        self._apply(self.before)
