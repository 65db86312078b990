"""The step/play toolbar shared by every animated view.

It owns only time: it emits ``step_requested(+1/-1)``, ``jump_requested("start"|"end")``
and, while playing, a ``step_requested(+1)`` per tick; views decide what a step is.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, QTimer, Qt, Signal
from PySide6.QtGui import QIcon, QPainter, QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QStyle, QToolButton, QWidget


def media_icon(widget: QWidget, which: QStyle.StandardPixmap) -> QIcon:
    """The style's media icon in ``widget``'s button-text colour (the stock ones are dim on dark
    themes; glyphs such as ⏸ are missing from common Linux fonts and drawn as boxes)."""
    pixmap = widget.style().standardIcon(which).pixmap(32, 32)
    painter = QPainter(pixmap)
    painter.setCompositionMode(QPainter.CompositionMode_SourceIn)
    painter.fillRect(pixmap.rect(), widget.palette().color(QPalette.ButtonText))
    painter.end()
    return QIcon(pixmap)


class StepControls(QWidget):
    """⏮ ◀ ▶/⏸ ▶ ⏭ buttons, a speed slider (steps per second) and a position label."""

    step_requested = Signal(int)
    jump_requested = Signal(str)
    playing_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None, steps_per_second: float = 4.0):
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.timeout.connect(lambda: self.step_requested.emit(1))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        self.start_button = self._button("⏮", "Jump to the start (Home)", lambda: self.jump_requested.emit("start"))
        self.back_button = self._button("◀", "Step back (Left)", lambda: self.step_requested.emit(-1))
        self.play_button = self._button("▶", "Play / pause (Space)", self.toggle_play)
        self.next_button = self._button("▶|", "Step forward (Right)", lambda: self.step_requested.emit(1))
        self.end_button = self._button("⏭", "Jump to the end (End)", lambda: self.jump_requested.emit("end"))
        for b in (self.start_button, self.back_button, self.play_button, self.next_button, self.end_button):
            layout.addWidget(b)
        # Icons as well as glyphs: ⏮ ⏸ ⏭ are missing from common Linux fonts (drawn as boxes).
        self._tint_icons()
        layout.addSpacing(12)
        layout.addWidget(QLabel("Speed"))
        self.speed = QSlider(Qt.Horizontal)
        self.speed.setRange(1, 60)
        self.speed.setValue(int(steps_per_second))
        self.speed.setToolTip("Steps per second while playing")
        self.speed.setMaximumWidth(160)
        self.speed.valueChanged.connect(self._apply_speed)
        layout.addWidget(self.speed)
        self.position = QLabel("")
        self.position.setMinimumWidth(160)
        layout.addSpacing(12)
        layout.addWidget(self.position, 1)
        self._apply_speed(self.speed.value())

    def _tint_icons(self) -> None:
        self.start_button.setIcon(media_icon(self, QStyle.SP_MediaSkipBackward))
        self.end_button.setIcon(media_icon(self, QStyle.SP_MediaSkipForward))
        self.play_button.setIcon(media_icon(self, QStyle.SP_MediaPause) if self.playing else QIcon())

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.PaletteChange and hasattr(self, "end_button"):  # not while constructing
            self._tint_icons()

    def _button(self, text: str, tip: str, slot) -> QToolButton:
        b = QToolButton(self)
        b.setText(text)
        b.setToolTip(tip)
        b.setMinimumSize(40, 32)
        b.setIconSize(QSize(24, 24))
        b.clicked.connect(slot)
        return b

    def _apply_speed(self, value: int) -> None:
        self._timer.setInterval(max(1, int(1000 / max(1, value))))

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def toggle_play(self) -> None:
        self.set_playing(not self.playing)

    def set_playing(self, playing: bool) -> None:
        if playing == self.playing:
            return
        if playing:
            self._timer.start()
        else:
            self._timer.stop()
        self.play_button.setText("⏸" if playing else "▶")
        self._tint_icons()
        self.playing_changed.emit(playing)

    def set_position(self, text: str) -> None:
        """Show where the animation is, e.g. "backward 3 / 7"."""
        self.position.setText(text)
