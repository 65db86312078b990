"""Numbers and indices as the lecture writes them: a few significant digits, a real minus
sign (−), sub- and superscript digits (a⁽¹⁾₂)."""
from __future__ import annotations

import math


def number(v: float, digits: int = 2) -> str:
    """``digits`` significant digits, no exponent between 1e-4 and 1e4, Unicode minus."""
    if v == 0 or not math.isfinite(v):
        return "0" if v == 0 else str(v)
    magnitude = math.floor(math.log10(abs(v)))
    if -4 <= magnitude < 4:
        text = f"{v:.{max(digits - 1 - magnitude, 0)}f}"
    else:
        text = f"{v:.{digits - 1}e}"
    return text.replace("-", "−")


def factor(v: float, digits: int = 2) -> str:
    """A number as a factor in a product: negative ones in parentheses, (−0.5)."""
    return f"({number(v, digits)})" if v < 0 else number(v, digits)


_SUB, _SUP = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"), str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def subscript(n: int) -> str:
    """12 → ₁₂"""
    return str(n).translate(_SUB)


def superscript(n: int) -> str:
    """12 → ¹²"""
    return str(n).translate(_SUP)
