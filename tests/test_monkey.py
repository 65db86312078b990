"""A seeded monkey on the whole main window (``bench/monkey.py``): 2,000 random actions, nothing may break.

Every menu action and shortcut, tab, canvas, plot, spin box, combo box, button and text field it
finds by walking the widgets (so a new lab is covered without being named here), random and
edge-case expressions, training started and stopped, lessons, presenter mode, save, open and
export into a temporary folder.  It must see no exception, no Qt warning, and no job or thread
still running once the window is closed.  A failure prints the report: the seed replays the
same actions (``python -m bench.monkey --actions 2000 --seed 11``).
"""
import pytest

from bench.monkey import run

pytestmark = pytest.mark.gui
ACTIONS, SEED = 2000, 11


def test_two_thousand_random_actions_break_nothing(qapp, tmp_path):
    report = run(ACTIONS, SEED, folder=tmp_path)
    print(report.summary())
    assert report.actions == ACTIONS and sum(report.kinds.values()) == ACTIONS
    assert len(report.kinds) >= 20, "every kind of action was tried"
    assert not report.exceptions, report.summary()
    assert not report.warnings, report.summary()
    assert not report.threads_left, report.summary()
