"""Closing never crashes: mid-training in either lab, by the window, File > Quit, Ctrl+C or SIGTERM.

In-process (pytest-qt): closing the main window cancels every job and waits for its
thread, seeded at random points of the training, several times per lab.  In a fresh
``python -m app`` (``bench.shutdown`` runs the same many times): the process exits 0
with no abort, Qt thread warning or traceback, also for a SIGTERM while it is still
starting, and a signal keeps unsaved lesson edits in the autosave.
"""
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from bench.shutdown import clean, run_once, start_training
from viewmodel.jobs import running_jobs

pytestmark = pytest.mark.gui


def _job_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("job: ")]


@pytest.mark.parametrize("lab", ["sequence", "optimizer"])
def test_closing_mid_training_stops_and_waits_for_every_job(qtbot, lab):
    from app.main_window import MainWindow
    rng = np.random.default_rng(12)
    for attempt in range(2):
        window = MainWindow()
        window.resize(1024, 768)
        window.show()
        start_training(window, lab)
        qtbot.wait(int(rng.integers(0, 400)))  # somewhere in the training, a different point each time
        jobs = running_jobs()
        assert jobs, f"attempt {attempt}: training should be running"
        window.close()
        assert not running_jobs(), f"attempt {attempt}: a job survived the close"
        assert all(job.outcome.status in ("cancelled", "done") for job in jobs)
        qtbot.waitUntil(lambda: not _job_threads(), timeout=2000)  # threads have returned, none abandoned
        window.deleteLater()


def test_quitting_without_asking_keeps_unsaved_lesson_edits_in_the_autosave(qtbot, tmp_path):
    from app.lecture.menus import install_lecture_mode
    from app.main_window import MainWindow
    window = MainWindow()
    mode = install_lecture_mode(window, QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat), tmp_path)
    window.explorer.state.load_example("add-mul")
    mode.add_current_view()  # unsaved
    assert not mode.autosaver.path.exists()
    window.quit_without_asking()  # what Ctrl+C and SIGTERM do: no question, nothing lost
    assert not window.isVisible() and mode.autosaver.path.exists()
    from app.lecture.storage import Autosaver
    assert Autosaver(lambda: None, folder=mode.autosaver.folder).pending().lesson.scenes[0].example == "add-mul"


def test_quitting_without_asking_with_nothing_unsaved_leaves_no_recovery_file(qtbot, tmp_path):
    from app.lecture.menus import install_lecture_mode
    from app.main_window import MainWindow
    window = MainWindow()
    mode = install_lecture_mode(window, QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat), tmp_path)
    mode.autosaver.save_now()
    window.quit_without_asking()
    assert not mode.autosaver.path.exists()


@pytest.mark.parametrize("lab, way, edit", [("sequence", "SIGTERM", True), ("optimizer", "SIGINT", False),
                                            ("sequence", "close", False), ("optimizer", "quit", False),
                                            ("sequence", "startup", False), ("optimizer", "stuck", False)])
def test_the_app_exits_cleanly_mid_training(tmp_path, lab, way, edit):
    started = time.monotonic()
    status, output = run_once(lab, way, tmp_path, delay_ms=200, edit=edit)
    assert clean(status, output), f"exit status {status}:\n{output}"
    if way == "stuck":  # waited for once (2 s), then left behind, and said so
        assert "stuck stand-in did not stop within 2 s; leaving it behind" in output
        assert time.monotonic() - started < 45
    autosaves = list(Path(tmp_path).rglob("autosave.*.chainrule"))
    assert bool(autosaves) == edit, "a signal keeps unsaved edits for recovery; a clean quit leaves nothing"
