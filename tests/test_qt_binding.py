"""Guard against a Qt binding that corrupts the interpreter.

PySide6-Essentials 6.12.0 drops a reference to ``None`` on every call that
returns nothing, so a running app eventually aborts with "none_dealloc";
pyproject.toml excludes it, and this test catches any release that does the same.
"""
import sys

import pytest

QtGui = pytest.importorskip("PySide6.QtGui")


def test_void_calls_do_not_leak_references_to_none():
    font = QtGui.QFont()
    before = sys.getrefcount(None)
    for _ in range(1000):
        font.setPixelSize(12)
    assert abs(sys.getrefcount(None) - before) < 50
