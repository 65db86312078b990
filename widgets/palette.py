"""A Qt palette from a Chainrule theme, so plain widgets (buttons, lists, tables) match the canvas."""
from __future__ import annotations

from PySide6.QtGui import QColor, QPalette

from widgets.theme import Theme


def palette_for(theme: Theme) -> QPalette:
    """The palette of ``theme``: panels, text, selection and placeholder colours."""
    p = QPalette()
    colours = {QPalette.Window: theme.panel, QPalette.Base: theme.background, QPalette.AlternateBase: theme.panel,
               QPalette.Text: theme.text, QPalette.WindowText: theme.text, QPalette.Button: theme.panel,
               QPalette.ButtonText: theme.text, QPalette.ToolTipBase: theme.panel, QPalette.ToolTipText: theme.text,
               QPalette.Highlight: theme.value, QPalette.HighlightedText: theme.background,
               QPalette.PlaceholderText: theme.muted}
    for role, colour in colours.items():
        p.setColor(role, QColor(colour))
    return p
