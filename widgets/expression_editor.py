"""The expression editor: a small script box that underlines what the parser refused.

It hands the text on as the lecturer types (after a short pause); whoever
builds it (the explorer's view model) parses it and, on an
:class:`~engine.expr.ExpressionError`, asks the editor to underline the
offending columns and show the message with a caret, while the last good graph
stays on screen.
"""
from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QColor, QFontDatabase, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QTextEdit, QVBoxLayout, QWidget

from engine.expr import ExpressionError
from widgets.theme import LIGHT, Theme


class ExpressionEditor(QWidget):
    """A few lines of ``q = x + y`` / ``f = q * z``; emits ``source_edited`` after each pause in typing."""

    source_edited = Signal(str)
    """The text, to be parsed and built."""

    def __init__(self, parent: QWidget | None = None, delay_ms: int = 350):
        super().__init__(parent)
        self.edit = QPlainTextEdit(self)

        self.edit.setPlaceholderText("Type an expression, e.g. (x + y) * z   or   q = x + y; f = q * z")
        self.edit.setTabChangesFocus(True)
        self.error = QLabel(self)
        self.error.setVisible(False)
        self.error.setWordWrap(True)
        self.last_error: ExpressionError | None = None
        self.set_theme(LIGHT)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.edit)
        layout.addWidget(self.error)
        self._timer = QTimer(self, singleShot=True, interval=delay_ms)
        self._timer.timeout.connect(self.commit)
        self.edit.textChanged.connect(self._typed)
        self._silent = False

    def _typed(self) -> None:
        if not self._silent:
            self._timer.start()

    def set_theme(self, theme: Theme) -> None:
        """Error colour from the theme; the code a few points larger than the UI, for the back row."""
        self.theme = theme
        self.error.setStyleSheet(f"color: {theme.error};")
        mono = QFontDatabase.systemFont(QFontDatabase.FixedFont)
        mono.setPointSize(theme.base_font_pt + 3)
        self.edit.setFont(mono)
        self.error.setFont(mono)

    def text(self) -> str:
        return self.edit.toPlainText()

    def set_text(self, text: str) -> None:
        """Show the program on screen without emitting (the caller has already built it); the
        text being typed is left alone, cursor and all, when it is that program already."""
        if text != self.text():
            self._silent = True
            self.edit.setPlainText(text)
            self._silent = False
        self._timer.stop()
        self.show_error(None)

    def commit(self) -> None:
        """Hand the text on now (``source_edited``), without waiting for the pause."""
        if not self._silent:
            self._timer.stop()
            self.source_edited.emit(self.text())

    def show_error(self, exc: ExpressionError | None) -> None:
        """Underline the refused part and show the message with a caret (None: clear it)."""
        self.last_error = exc
        if exc is None:
            self.edit.setExtraSelections([])
            self.error.setVisible(False)
            return
        block = self.edit.document().findBlockByLineNumber(max(0, exc.line - 1))
        cursor = QTextCursor(block)
        start = min(exc.col, max(0, block.length() - 1))
        cursor.movePosition(QTextCursor.Right, QTextCursor.MoveAnchor, start)
        cursor.movePosition(QTextCursor.Right, QTextCursor.KeepAnchor,
                            max(1, min(exc.end_col, block.length() - 1) - start))
        fmt = QTextCharFormat()
        fmt.setUnderlineStyle(QTextCharFormat.WaveUnderline)
        fmt.setUnderlineColor(QColor(self.theme.error))
        fmt.setBackground(QColor(self.theme.error).lighter(190) if self.theme.name == "light"
                          else QColor(self.theme.error).darker(300))
        sel = QTextEdit.ExtraSelection()
        sel.cursor, sel.format = cursor, fmt
        self.edit.setExtraSelections([sel])
        self.error.setText(f"{exc.message} (line {exc.line}, column {exc.col + 1})\n{exc.pointer()}")
        self.error.setVisible(True)
