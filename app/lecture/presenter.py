"""Presenter mode: one scene at a time, full screen, PRESENTER theme, driven by a presentation remote.

Keys (what remotes send): Right/Down/Space/PageDown = next step, then next scene;
Left/Up/PageUp = previous (a previous scene opens at its last step);
Home/End = start/end of this scene, Ctrl+Home/Ctrl+End = first/last scene;
B or . = blank screen (any key brings the picture back); Z = zoom that follows the
current node (graph explorer), again for the whole graph; Esc leaves.
The next scene's title sits in a corner for the lecturer, or on a second window
when a second screen is connected.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent, QScreen
from PySide6.QtWidgets import QApplication, QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from app.lecture.lessons import Lesson, LessonError
from app.lecture.scenes import SceneHost
from widgets.theme import PRESENTER, Theme

NEXT_KEYS = {Qt.Key_Right, Qt.Key_Down, Qt.Key_Space, Qt.Key_PageDown}
PREVIOUS_KEYS = {Qt.Key_Left, Qt.Key_Up, Qt.Key_PageUp}
BLANK_KEYS = {Qt.Key_B, Qt.Key_Period}
REFERENCE_HEIGHT = 768
"""Window height (logical pixels) at which the theme's font sizes apply as they are."""


def scaled_pt(theme: Theme, height: int, factor: float = 1.0) -> int:
    """Font size for a window ``height`` pixels high: the theme's size at 768, in proportion above."""
    return max(theme.base_font_pt, round(theme.base_font_pt * factor * max(1.0, height / REFERENCE_HEIGHT)))


NO_SCENES = "This lesson has no scenes left: add one in the main window, or press Esc to leave."


class Deck(QObject):
    """Where the talk is: scene index and step, moved by next/previous; emits ``moved``."""

    moved = Signal()

    def __init__(self, lesson: Lesson, host: SceneHost, parent: QObject | None = None):
        super().__init__(parent)
        self.lesson = lesson
        self.host = host
        self.index = -1
        self.problem: str | None = None
        """Why the current scene could not be shown (the slide says it instead of its caption)."""

    @property
    def scene(self):
        """The scene on show; None when the lesson has none (all removed while presenting)."""
        scenes = self.lesson.scenes
        return scenes[min(max(self.index, 0), len(scenes) - 1)] if scenes else None

    def go_to_scene(self, index: int, at_end: bool = False) -> None:
        """Show scene ``index`` at its own start step (or at its last step)."""
        self.index = max(0, min(index, len(self.lesson.scenes) - 1))
        self.problem = None
        if not self.lesson.scenes:
            self.problem = NO_SCENES
            self.moved.emit()
            return
        try:
            self.host.show_scene(self.lesson.scenes[self.index])
            if at_end:
                self.host.set_step(self.host.story()[-1])
        except LessonError as err:  # a scene edited under the talk: say so on the slide, keep going
            self.problem = f"Scene {self.index + 1} cannot be shown as saved: {err}"
        self.moved.emit()

    def next(self) -> None:
        """One step on; past the end of the scene's story (its ``until``), the next scene."""
        if self.scene is None:
            self.go_to_scene(0)
        elif self.host.step() < self.host.story()[-1]:
            self.host.set_step(self.host.step() + 1)
            self.moved.emit()
        elif self.index < len(self.lesson.scenes) - 1:
            self.go_to_scene(self.index + 1)

    def previous(self) -> None:
        """One step back; before the first step, the previous scene at its end."""
        if self.scene is None:
            self.go_to_scene(0)
        elif self.host.step() > 0:
            self.host.set_step(self.host.step() - 1)
            self.moved.emit()
        elif self.index > 0:
            self.go_to_scene(self.index - 1, at_end=True)

    def jump(self, where: str) -> None:
        """Jump to the ``"start"`` or ``"end"`` of this scene's animation."""
        if self.scene is None:
            self.go_to_scene(0)
            return
        self.host.set_step(0 if where == "start" else self.host.step_count() - 1)
        self.moved.emit()

    def next_title(self) -> str | None:
        """The next scene's title, or None on the last scene."""
        if self.index + 1 < len(self.lesson.scenes):
            scene = self.lesson.scenes[self.index + 1]
            return scene.title or f"Scene {self.index + 2}"
        return None


class PresenterWindow(QWidget):
    """The audience's screen: title, the view, the caption; blank on B; next scene's title in the top corner."""

    closed = Signal(int)
    """Emitted with the scene index on leaving, so the main window can follow."""

    def __init__(self, lesson: Lesson, start_scene: int = 0, theme: Theme = PRESENTER,
                 parent: QWidget | None = None):
        super().__init__(parent, Qt.Window)
        self.setWindowTitle(f"Chainrule — {lesson.title}")
        self.theme = theme
        self.host = SceneHost(theme)
        self.deck = Deck(lesson, self.host, self)
        self.title = QLabel()
        self.counter = QLabel()
        self.caption = QLabel()
        self.caption.setTextFormat(Qt.MarkdownText)
        self.caption.setWordWrap(True)
        self.caption.setAlignment(Qt.AlignLeft | Qt.AlignTop)
        self.next_overlay = QLabel()
        self.next_overlay.setObjectName("nextOverlay")
        self.next_overlay.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self.title.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)  # clip, never widen the window
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.next_overlay)
        header.addSpacing(12)
        header.addWidget(self.counter)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.host, 1)
        layout.addWidget(self.caption)
        self.blank = QFrame(self)
        self.blank.setObjectName("blank")
        self.blank.hide()
        self.lecturer: LecturerWindow | None = None
        self.deck.moved.connect(self._refresh)
        self._apply_style()
        self.deck.go_to_scene(start_scene)

    # -- showing ------------------------------------------------------------------------------
    def present(self, screen: QScreen | None = None) -> None:
        """Go full screen on ``screen`` (default: the last one, usually the projector)."""
        screens = QGuiApplication.screens()
        screen = screen or screens[-1]
        self.setScreen(screen)
        self.setGeometry(screen.geometry())
        self.showFullScreen()
        others = [s for s in screens if s is not screen]
        if others:
            self.lecturer = LecturerWindow(self.deck, self.theme)
            self.lecturer.setScreen(others[0])
            self.lecturer.setGeometry(others[0].availableGeometry())
            self.lecturer.show()
        self._refresh()

    def _refresh(self) -> None:
        total = len(self.deck.lesson.scenes)
        self.deck.index = max(0, min(self.deck.index, total - 1))  # scenes removed while presenting
        scene = self.deck.scene
        if scene is None:
            self.deck.problem = NO_SCENES
        self.host.setVisible(scene is not None)
        self.title.setText((scene.title if scene else "") or self.deck.lesson.title)
        self.counter.setText(f"{self.deck.index + 1 if scene else 0} / {total}")
        caption = self.deck.problem or scene.caption
        self.caption.setText(caption)
        self.caption.setVisible(bool(caption))
        nxt = self.deck.next_title()
        text = f"Next: {nxt}" if nxt else "Last scene"
        self.next_overlay.setText(self.next_overlay.fontMetrics().elidedText(
            text, Qt.ElideRight, self.next_overlay.maximumWidth()))
        self.next_overlay.setToolTip(text)
        self.next_overlay.setVisible(self.lecturer is None)
        if self.lecturer is not None:
            self.lecturer.refresh()

    def _apply_style(self) -> None:
        t, h = self.theme, self.height()
        self.setStyleSheet(
            f"PresenterWindow {{ background: {t.background}; }}"
            f"QLabel {{ color: {t.text}; background: transparent; }}"
            f"#nextOverlay {{ color: {t.muted}; font-size: {scaled_pt(t, h, 0.6)}pt; }}"
            f"#blank {{ background: #000000; }}")
        self.setAutoFillBackground(True)
        pal = self.palette()
        pal.setColor(self.backgroundRole(), t.background)
        self.setPalette(pal)
        self.title.setStyleSheet(f"font-size: {scaled_pt(t, h, 1.4)}pt; font-weight: bold;")
        self.counter.setStyleSheet(f"font-size: {scaled_pt(t, h, 0.9)}pt; color: {t.muted};")
        self.next_overlay.setMaximumWidth(max(120, self.width() // 3))
        self.caption.setStyleSheet(f"font-size: {scaled_pt(t, h, 1.1)}pt; padding: 6px 4px;")

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        self._apply_style()
        self.blank.setGeometry(self.rect())
        if self.deck.index >= 0:
            self._refresh()

    # -- keys ------------------------------------------------------------------------------------
    def handle_key(self, key: int, modifiers: Qt.KeyboardModifier = Qt.NoModifier) -> bool:
        """Act on a key from the keyboard or a presentation remote; True if it was ours."""
        if self.blank.isVisible():  # any key brings the picture back, and does nothing else
            self.blank.hide()
            return True
        ctrl = bool(modifiers & Qt.ControlModifier)
        if key in NEXT_KEYS:
            self.deck.next()
        elif key in PREVIOUS_KEYS:
            self.deck.previous()
        elif key == Qt.Key_Home and ctrl:
            self.deck.go_to_scene(0)
        elif key == Qt.Key_End and ctrl:
            self.deck.go_to_scene(len(self.deck.lesson.scenes) - 1, at_end=True)
        elif key in (Qt.Key_Home, Qt.Key_End):
            self.deck.jump("start" if key == Qt.Key_Home else "end")
        elif key == Qt.Key_Z:
            self.host.set_following(not self.host.following)
        elif key in BLANK_KEYS:
            self.blank.setGeometry(self.rect())
            self.blank.show()
            self.blank.raise_()
        elif key == Qt.Key_Escape:
            self.close()
        else:
            return False
        return True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        """Take remote keys before any child view (a canvas, an editor) can swallow them."""
        if event.type() in (QEvent.KeyPress, QEvent.ShortcutOverride) and isinstance(watched, QWidget) \
                and watched.window() in (self, self.lecturer):
            key_event: QKeyEvent = event
            if event.type() == QEvent.ShortcutOverride:
                if self._is_ours(key_event.key()):
                    event.accept()
                    return True
                return False
            return self.handle_key(key_event.key(), key_event.modifiers())
        return False

    def _is_ours(self, key: int) -> bool:
        return key in NEXT_KEYS | PREVIOUS_KEYS | BLANK_KEYS | {Qt.Key_Home, Qt.Key_End, Qt.Key_Escape, Qt.Key_Z}

    def showEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().showEvent(event)
        QApplication.instance().installEventFilter(self)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        QApplication.instance().removeEventFilter(self)
        self.host.shutdown()
        if self.lecturer is not None:
            self.lecturer.close()
            self.lecturer = None
        self.closed.emit(self.deck.index)
        super().closeEvent(event)


class LecturerWindow(QWidget):
    """The lecturer's own screen (when there are two): where we are, what comes next, notes."""

    def __init__(self, deck: Deck, theme: Theme, parent: QWidget | None = None):
        super().__init__(parent, Qt.Window)
        self.setWindowTitle("Chainrule — lecturer view")
        self.deck = deck
        self.now = QLabel()
        self.next = QLabel()
        self.notes = QLabel()
        for label in (self.now, self.next, self.notes):
            label.setWordWrap(True)
        self.notes.setTextFormat(Qt.MarkdownText)
        layout = QVBoxLayout(self)
        layout.addWidget(self.now)
        layout.addWidget(self.next)
        layout.addWidget(self.notes, 1)
        self.setStyleSheet(f"QWidget {{ background: {theme.background}; color: {theme.text}; }}"
                           f"QLabel {{ font-size: {theme.base_font_pt}pt; }}")

    def refresh(self) -> None:
        """Show the current scene and step, the next scene, and the current scene's notes."""
        d = self.deck
        scene = d.scene
        if scene is None:
            self.now.setText(f"Now: no scenes in {d.lesson.title!r}")
            self.next.setText("")
            self.notes.setText(NO_SCENES)
            return
        self.now.setText(f"Now: {d.index + 1}/{len(d.lesson.scenes)} {scene.title} — "
                         f"step {d.host.step() + 1}/{max(1, d.host.step_count())}")
        nxt = d.next_title()
        self.next.setText(f"Next: {nxt}" if nxt else "Last scene")
        self.notes.setText(scene.notes)
