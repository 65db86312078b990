"""Colours and fonts every view shares: Okabe-Ito (colour-blind safe), light and dark.

Forward values are blue, gradients vermillion, tangents (forward mode) bluish
green, everywhere in the app, so a colour means the same thing on every screen.
"""
from __future__ import annotations

from dataclasses import dataclass

OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
}
SERIES = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000",
          "#7F7F7F"]
"""Distinct line colours in order, for optimizer races and multi-series plots."""


@dataclass(frozen=True)
class Theme:
    """A named palette: backgrounds, text, and the meaning colours."""

    name: str
    background: str
    panel: str
    text: str
    muted: str
    node_fill: str
    node_border: str
    edge: str
    value: str
    grad: str
    tangent: str
    highlight: str
    error: str
    base_font_pt: int = 11
    min_text_px: int = 11
    """No text on the graph canvas is drawn smaller than this on screen (pixels, after zoom)."""


LIGHT = Theme("light", background="#FFFFFF", panel="#F3F4F6", text="#111111", muted="#555555",
              node_fill="#FFFFFF", node_border="#333333", edge="#777777",
              value="#0072B2", grad="#D55E00", tangent="#009E73", highlight="#E69F00",
              error="#B00020")
DARK = Theme("dark", background="#15171C", panel="#22252C", text="#F2F2F2", muted="#A8A8A8",
             node_fill="#262A33", node_border="#C8C8C8", edge="#8A8F99",
             value="#56B4E9", grad="#F08A3C", tangent="#3FC7A0", highlight="#F0E442",
             error="#FF6B6B")
PRESENTER = Theme("presenter", background="#000000", panel="#111111", text="#FFFFFF",
                  muted="#DDDDDD", node_fill="#000000", node_border="#FFFFFF", edge="#BBBBBB",
                  value="#56B4E9", grad="#FF9A3C", tangent="#3FE0B0", highlight="#F0E442",
                  error="#FF6B6B", base_font_pt=18, min_text_px=18)

THEMES = {t.name: t for t in (LIGHT, DARK, PRESENTER)}
