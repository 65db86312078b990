"""``chainrule examples`` and ``chainrule --screenshot``: headless rendering for docs and slides."""
import os
import subprocess
import sys

import pytest
from PySide6.QtGui import QImage

from app.cli import main
from app.examples import EXAMPLES


def test_examples_lists_one_id_per_line(capsys):
    assert main(["examples"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(EXAMPLES)
    assert "f = (x + y) z" in lines[0]


def test_screenshot_writes_a_png_of_the_requested_size(qtbot, tmp_path):
    out = tmp_path / "shot.png"
    assert main(["--screenshot", str(out), "--example", "sigmoid-neuron", "--step", "end",
                 "--size", "800x600", "--theme", "dark"]) == 0
    image = QImage(str(out))
    assert (image.width(), image.height()) == (800, 600)


@pytest.mark.parametrize("args, message", [
    (["--example", "nope"], "no example 'nope'"),
    (["--example", "add-mul", "--step", "99"], "--step 99 is past the end"),
])
def test_screenshot_fails_cleanly(qtbot, tmp_path, capsys, args, message):
    out = tmp_path / "shot.png"
    assert main(["--screenshot", str(out), *args]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_bad_step_text_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--screenshot", "x.png", "--step", "middle"])
    assert exc.value.code == 2
    assert "--step takes a step number" in capsys.readouterr().err


def test_screenshot_from_the_command_line(tmp_path):
    out = tmp_path / "cli.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    run = subprocess.run([sys.executable, "-m", "app", "--screenshot", str(out), "--example", "add-mul",
                          "--step", "8", "--size", "640x480"], capture_output=True, text=True, env=env,
                         cwd=os.path.dirname(os.path.dirname(__file__)), timeout=120)
    assert run.returncode == 0, run.stderr
    assert out.stat().st_size > 1000


def test_lab_tabs_load_when_first_shown_and_missing_labs_are_skipped(qtbot, monkeypatch):
    from app import main_window
    from app.pages import PageInfo
    monkeypatch.setattr(main_window, "LABS", [PageInfo("nope", "Not yet", "app.no_such_lab", "NoSuchLab"),
                                              PageInfo("later", "Later", "app.examples", "Built")])
    window = main_window.MainWindow(main_window.LIGHT)
    qtbot.addWidget(window)
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == ["Graph explorer", "Later"]
    assert type(window.tabs.widget(1)).__name__ == "QLabel" and not window.tabs.widget(1).text()  # placeholder
    assert window.pages().keys() == {"explorer"}
    monkeypatch.setattr("app.examples.Built", lambda: __import__("PySide6.QtWidgets").QtWidgets.QLabel("lab"))
    window.tabs.setCurrentIndex(1)
    assert window.tabs.widget(1).text() == "lab" and window.tabs.tabText(1) == "Later"
    assert window.pages()["later"] is window.tabs.widget(1) and window.current_kind() == "later"


def test_theme_switch_recolours_the_canvas(qtbot):
    from app.main_window import MainWindow
    from widgets.theme import DARK, LIGHT
    window = MainWindow(LIGHT)
    qtbot.addWidget(window)
    window._pick_theme("dark")
    assert window.explorer.canvas.theme is DARK
    assert window.explorer.canvas.backgroundBrush().color().name().upper() == DARK.background.upper()


def test_a_lab_opened_while_the_kernels_warm_up_appears_once_they_are_ready(qtbot):
    import threading

    from app.main_window import WAITING, MainWindow
    from viewmodel.jobs import Job
    from widgets.theme import LIGHT
    ready = threading.Event()
    window = MainWindow(LIGHT)
    qtbot.addWidget(window)
    window.watch_warm_up(Job(lambda job: ready.wait(10), name="warm-up stand-in"))
    index = [window.tabs.tabText(i) for i in range(window.tabs.count())].index("Sequence lab")
    window.tabs.setCurrentIndex(index)
    assert window.tabs.widget(index).text() == WAITING and window.current_kind() is None, "no compiling here"
    ready.set()
    qtbot.waitUntil(lambda: window.current_kind() == "sequence", timeout=10000)
    assert type(window.tabs.widget(index)).__name__ == "SequenceLab" and window.warm_up is None


def test_a_lesson_asking_for_a_lab_waits_for_the_warm_up_first(qtbot):
    import time

    from app.main_window import MainWindow
    from viewmodel.jobs import Job
    from widgets.theme import LIGHT
    window = MainWindow(LIGHT)
    qtbot.addWidget(window)
    window.watch_warm_up(Job(lambda job: time.sleep(0.2), name="warm-up stand-in"))
    page = window.page("optimizer")
    assert type(page).__name__ == "OptimizerLab" and window.current_kind() == "optimizer"
    assert window.warm_up is None
    page.shutdown()


def test_the_kernel_warm_up_job_compiles_what_the_labs_need():
    from app.lifecycle import kernel_warm_up
    job = kernel_warm_up()
    assert job.run().status == "done" and job.take().progress == (2, 2, "ready")
