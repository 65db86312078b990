"""First run: the platform check says what to install (exit 2, never Qt's abort) and the window shows the graph."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app import platform_check
from app.platform_check import DEBIAN_PACKAGES, problem

ROOT = Path(__file__).resolve().parent.parent


def _fake_missing(core=(), plugin=()):
    def missing(files):
        return list(plugin if any("plugins" in str(f) for f in files) else core)
    return missing


def test_missing_xcb_libraries_name_the_packages_and_the_headless_commands(monkeypatch):
    monkeypatch.setattr(platform_check, "missing_libraries",
                        _fake_missing(plugin=["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]))
    text = problem(environ={"DISPLAY": ":0"}, platform="linux")
    assert "sudo apt-get install libxcb-icccm4 libxcb-keysyms1" in text
    assert "--screenshot" in text and "export" in text and "\n" not in text


def test_missing_core_libraries_are_reported_even_for_headless_runs(monkeypatch):
    monkeypatch.setattr(platform_check, "missing_libraries", _fake_missing(core=["libglib-2.0.so.0", "libfoo.so.1"]))
    text = problem(headless=True, environ={}, platform="linux")
    assert "libglib2.0-0" in text and "libfoo.so.1" in text and "chainrule grad" in text


def test_no_display_at_all_says_how_to_work_headless():
    text = problem(environ={}, platform="linux")
    assert "DISPLAY" in text and "WAYLAND_DISPLAY" in text and "--screenshot" in text and "\n" not in text


def test_a_display_that_does_not_answer_is_named(monkeypatch):
    monkeypatch.setattr(platform_check, "missing_libraries", _fake_missing())
    try:
        import ctypes
        ctypes.CDLL("libxcb.so.1")
    except OSError:
        pytest.skip("libxcb is not installed")
    assert "':987' (DISPLAY) does not answer" in problem(environ={"DISPLAY": ":987"}, platform="linux")


@pytest.mark.parametrize("environ, headless", [({"QT_QPA_PLATFORM": "offscreen"}, False), ({}, True)])
def test_offscreen_works_here(environ, headless):
    assert problem(headless=headless, environ=environ) is None  # the Qt tests of this suite run so


def test_other_systems_are_not_checked():
    assert problem(environ={}, platform="darwin") is None and problem(environ={}, platform="win32") is None


@pytest.mark.parametrize("display", [None, ":987"])
def test_the_app_without_a_usable_display_exits_2_with_a_message_not_134(display):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    if display:
        env["DISPLAY"] = display
    done = subprocess.run([sys.executable, "-m", "app", "--example", "add-mul"], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("chainrule: ") and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1  # one paragraph


def _readme_apt_packages() -> list[str]:
    text = (ROOT / "README.md").read_text()
    command = re.search(r"sudo apt-get install (python3-venv.*?)\n```", text, re.S).group(1)
    return command.replace("\\", " ").split()


def test_the_readme_lists_every_library_qt_links_to_and_ci_installs_the_headless_ones():
    listed = _readme_apt_packages()
    wayland = {"libwayland-client0", "libwayland-cursor0", "libwayland-egl1"}  # optional, named in the prose
    assert set(DEBIAN_PACKAGES.values()) - wayland <= set(listed)
    ci = re.search(r'qt_libs="([^"]+)"', (ROOT / ".ci" / "run").read_text()).group(1).split()
    headless = listed[listed.index("libegl1"):listed.index("fonts-dejavu-core") + 1]
    assert set(headless) <= set(ci)


def test_the_window_shows_the_graph_fitted_to_the_canvas(qtbot):
    from app.cli import build_parser
    from app.main_window import build_window, show_fitted
    window = build_window(build_parser().parse_args(["--example", "add-mul", "--size", "1280x800"]))
    qtbot.addWidget(window)
    canvas = window.explorer.canvas

    def graph_width() -> float:
        return canvas.mapFromScene(canvas.bounds()).boundingRect().width() / canvas.viewport().width()

    window.show()
    qtbot.waitExposed(window)
    assert graph_width() > 0.3  # framed again on the first resize after showing: never a dot
    show_fitted(window)
    assert graph_width() > 0.3
