"""The lesson browser (a dialog listing the built-in lessons) and the scene panel (the lesson being built).

The browser only chooses; the panel only shows the scene list and turns clicks
and buttons into :class:`~app.lecture.undo.SceneList` edits, so every change is undoable.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem,
                               QPlainTextEdit, QPushButton, QVBoxLayout, QWidget)

from app.lecture.lessons import Lesson, builtin_lessons
from app.lecture.undo import SceneList


class LessonBrowser(QDialog):
    """Pick a built-in lesson: title and scene count in a list, its summary below; Open or Present."""

    PRESENT = 2
    """``exec()`` result when the lecturer chose Present (Open gives ``QDialog.Accepted``)."""

    def __init__(self, parent: QWidget | None = None, lessons: list[Lesson] | None = None):
        super().__init__(parent)
        self.setWindowTitle("Lessons")
        self.lessons = lessons if lessons is not None else builtin_lessons()
        self.list = QListWidget()
        for lesson in self.lessons:
            item = QListWidgetItem(f"{lesson.title}  ({len(lesson.scenes)} scenes)")
            item.setToolTip(lesson.summary)
            self.list.addItem(item)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setMinimumHeight(60)
        self.list.currentRowChanged.connect(lambda row: self.summary.setText(self.lessons[row].summary))
        self.list.itemDoubleClicked.connect(lambda _: self.accept())
        buttons = QDialogButtonBox(QDialogButtonBox.Open | QDialogButtonBox.Cancel)
        present = buttons.addButton("Present (F5)", QDialogButtonBox.ActionRole)
        present.setShortcut("F5")
        present.clicked.connect(lambda: self.done(self.PRESENT))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.summary)
        layout.addWidget(buttons)
        self.resize(560, 420)
        self.list.setCurrentRow(0)

    def chosen(self) -> Lesson:
        """The highlighted lesson."""
        return self.lessons[max(0, self.list.currentRow())]


class ScenePanel(QWidget):
    """The scene list of the lesson being built, with add / remove / move / caption editing."""

    scene_activated = Signal(int)
    """The lecturer picked scene ``index`` (click or Enter): show it."""
    add_requested = Signal()
    """The add button was pressed: the owner captures the current view and inserts it."""

    def __init__(self, scenes: SceneList, parent: QWidget | None = None):
        super().__init__(parent)
        self.scenes = scenes
        self.list = QListWidget()
        self.list.currentRowChanged.connect(self._row_changed)
        self.caption = QPlainTextEdit()
        self.caption.setPlaceholderText("Caption (Markdown), shown under the scene in presenter mode")
        self.caption.setMaximumHeight(90)
        self.apply_caption = QPushButton("Set caption")
        self.apply_caption.clicked.connect(self._commit_caption)
        buttons = QHBoxLayout()
        for text, tip, slot in (("+", "Add the current view as a scene", self.add_requested.emit),
                                ("−", "Remove the selected scene", lambda: self._edit("remove")),
                                ("↑", "Move the selected scene up", lambda: self._edit("up")),
                                ("↓", "Move the selected scene down", lambda: self._edit("down"))):
            b = QPushButton(text)
            b.setToolTip(tip)
            b.setMaximumWidth(36)
            b.clicked.connect(slot)
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.caption)
        layout.addWidget(self.apply_caption, 0, Qt.AlignRight)
        scenes.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """Re-list the scenes, keeping the selection where it was."""
        row = self.list.currentRow()
        self.list.blockSignals(True)
        self.list.clear()
        for i, scene in enumerate(self.scenes.scenes):
            item = QListWidgetItem(f"{i + 1}. {scene.title or scene.view}")
            item.setToolTip(f"{scene.view} view, step {'last' if scene.step < 0 else scene.step}\n{scene.caption}")
            self.list.addItem(item)
        self.list.blockSignals(False)
        if self.scenes.scenes:
            self.select(min(max(row, 0), len(self.scenes.scenes) - 1), emit=False)

    def select(self, index: int, emit: bool = True) -> None:
        """Highlight scene ``index`` (and show it, unless ``emit`` is False)."""
        self.list.blockSignals(not emit)
        self.list.setCurrentRow(index)
        self.list.blockSignals(False)
        self.caption.setPlainText(self.scenes.scenes[index].caption if 0 <= index < len(self.scenes.scenes) else "")

    def current(self) -> int:
        """The highlighted scene's index (-1 when none)."""
        return self.list.currentRow()

    def _row_changed(self, row: int) -> None:
        if 0 <= row < len(self.scenes.scenes):
            self.caption.setPlainText(self.scenes.scenes[row].caption)
            self.scene_activated.emit(row)

    def _commit_caption(self) -> None:
        row = self.current()
        if 0 <= row < len(self.scenes.scenes) and self.caption.toPlainText() != self.scenes.scenes[row].caption:
            self.scenes.edit(row, caption=self.caption.toPlainText())

    def _edit(self, what: str) -> None:
        row = self.current()
        if row < 0:
            return
        if what == "remove":
            self.scenes.remove(row)
        else:
            to = row - 1 if what == "up" else row + 1
            self.scenes.move(row, to)
            if 0 <= to < len(self.scenes.scenes):
                self.select(to, emit=False)
