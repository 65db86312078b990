"""Chainrule's colour table for widgets: a Qt palette from a theme, and the style of every plotted series."""
from __future__ import annotations

from PySide6.QtCore import Qt
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


SERIES_STYLES: tuple[tuple[str, Qt.PenStyle, str], ...] = (
    ("#3388DD", Qt.SolidLine, "o"),          # blue
    ("#D55E00", Qt.DashLine, "s"),           # vermillion
    ("#009E73", Qt.DotLine, "t"),            # bluish green
    ("#CC79A7", Qt.DashDotLine, "d"),        # reddish purple
    ("#C08000", Qt.DashDotDotLine, "p"),     # dark orange
    ("#9C755F", Qt.DashLine, "h"),           # brown
    ("#8877DD", Qt.SolidLine, "t1"),         # violet
    ("#808080", Qt.DotLine, "x"),            # grey
    ("#999933", Qt.DashDotLine, "t2"),       # olive
    ("#2A9D8F", Qt.DashDotDotLine, "t3"),    # teal
    ("#BB5566", Qt.SolidLine, "+"),          # rose
    ("#AA4499", Qt.DashLine, "crosshair"),   # purple
)
"""Colour, dash and marker of the ``i``-th series (optimizer races, model curves): every colour
has at least 3:1 contrast on the light, dark and presenter backgrounds alike (no black, no yellow;
Okabe-Ito first, then Paul Tol's), colour and dash together tell every series apart in greyscale,
and no marker is the star that marks a surface's minimum."""


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two #RRGGBB colours (1 to 21)."""
    def luminance(colour: str) -> float:
        c = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b_ = (x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4 for x in c)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b_
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)
