"""A seeded monkey on the whole main window (``bench/monkey.py``): 2,000 random actions, nothing may break.

Every menu action and shortcut, tab, canvas, plot, spin box, combo box, button and text field it
finds by walking the widgets (so a new lab is covered without being named here), random and
edge-case expressions, training started and stopped, lessons, presenter mode, save, open and
export into a temporary folder.  It must see no exception, no Qt warning, and no job or thread
still running once the window is closed.  It runs in a subprocess, so that a crash fails this
test instead of ending the suite; the seed replays the same actions
(``python -m bench.monkey --actions 2000 --seed 11``).
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.gui
ACTIONS, SEED = 2000, 11
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.xfail(strict=False, reason="open: the process segfaults now and then while a lab trains in the "
                                        "background (memory corruption, not found yet; see README, Reliability)")
def test_two_thousand_random_actions_break_nothing(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT),
           "XDG_CONFIG_HOME": str(tmp_path / ".config"), "XDG_DATA_HOME": str(tmp_path / ".local" / "share")}
    done = subprocess.run([sys.executable, "-X", "faulthandler", "-m", "bench.monkey", "--actions", str(ACTIONS),
                           "--seed", str(SEED)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    report = done.stdout + done.stderr[-6000:]
    assert f"seed {SEED}: {ACTIONS} actions" in done.stdout, report
    assert "exceptions: 0, Qt warnings: 0, threads left running: 0" in done.stdout, report
    assert done.returncode == 0, report
