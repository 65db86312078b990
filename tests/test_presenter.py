"""Presenter mode: remote keys step through a scene, then on to the next; blank, Home/End, Esc."""
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

from app.lecture.lessons import builtin_lesson
from app.lecture.presenter import PRESENTER, PresenterWindow, scaled_pt


@pytest.fixture
def presenter(qtbot):
    window = PresenterWindow(builtin_lesson("chain-rule"))
    qtbot.addWidget(window)
    window.resize(1024, 768)
    window.show()
    return window


def where(w: PresenterWindow) -> tuple[int, int]:
    return w.deck.index, w.host.step()


def test_opens_at_the_first_scene_start_step(presenter):
    assert where(presenter) == (0, 0)
    assert presenter.title.text() == "Computational graphs"
    assert presenter.counter.text() == "1 / 8"
    assert "Computational graphs are a nice way" in presenter.caption.text()
    assert presenter.next_overlay.toolTip() == "Next: Forward pass"


@pytest.mark.parametrize("key", [Qt.Key_Right, Qt.Key_Down, Qt.Key_Space, Qt.Key_PageDown])
def test_next_keys_step_then_move_to_the_next_scene(qtbot, presenter, key):
    qtbot.keyClick(presenter, key)
    assert where(presenter) == (0, 1)
    presenter.deck.jump("end")
    qtbot.keyClick(presenter, key)
    assert where(presenter) == (1, 5), "the next scene opens at its own start step"


@pytest.mark.parametrize("key", [Qt.Key_Left, Qt.Key_Up, Qt.Key_PageUp])
def test_previous_keys_step_back_then_open_the_previous_scene_at_its_end(qtbot, presenter, key):
    presenter.deck.go_to_scene(1)
    qtbot.keyClick(presenter, key)
    assert where(presenter) == (1, 4)
    presenter.deck.jump("start")
    qtbot.keyClick(presenter, key)
    assert where(presenter) == (0, presenter.deck.lesson.scenes[0].until), "at the end of its story"


def test_a_scene_story_ends_at_its_until(qtbot, presenter):
    until = presenter.deck.lesson.scenes[0].until
    assert 0 < until < presenter.host.step_count() - 1
    for _ in range(until):
        qtbot.keyClick(presenter, Qt.Key_Right)
    assert where(presenter) == (0, until)
    qtbot.keyClick(presenter, Qt.Key_Right)
    assert presenter.deck.index == 1, "past its until the next scene follows"


def test_first_and_last_scene_stop_the_deck(qtbot, presenter):
    qtbot.keyClick(presenter, Qt.Key_Left)
    assert where(presenter) == (0, 0)
    qtbot.keyClick(presenter, Qt.Key_End, Qt.ControlModifier)
    last = len(presenter.deck.lesson.scenes) - 1
    assert where(presenter) == (last, presenter.host.step_count() - 1)
    assert presenter.next_overlay.toolTip() == "Last scene"
    qtbot.keyClick(presenter, Qt.Key_Right)
    assert where(presenter) == (last, presenter.host.step_count() - 1)


def test_home_and_end_jump_within_the_scene(qtbot, presenter):
    presenter.deck.go_to_scene(2)
    qtbot.keyClick(presenter, Qt.Key_End)
    assert where(presenter) == (2, 10)
    qtbot.keyClick(presenter, Qt.Key_Home)
    assert where(presenter) == (2, 0)
    qtbot.keyClick(presenter, Qt.Key_Home, Qt.ControlModifier)
    assert where(presenter) == (0, 0)


@pytest.mark.parametrize("key", [Qt.Key_B, Qt.Key_Period])
def test_blank_screen_and_back_without_moving(qtbot, presenter, key):
    qtbot.keyClick(presenter, key)
    assert presenter.blank.isVisible()
    qtbot.keyClick(presenter, Qt.Key_Right)
    assert not presenter.blank.isVisible()
    assert where(presenter) == (0, 0), "the key that un-blanks does not also advance"


def test_keys_reach_the_presenter_even_when_the_canvas_has_focus(qtbot, presenter):
    canvas = presenter.host.picture()
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key_Right)
    assert where(presenter) == (0, 1)


def test_escape_leaves_and_reports_the_scene(qtbot, presenter):
    presenter.deck.go_to_scene(3)
    with qtbot.waitSignal(presenter.closed) as left:
        qtbot.keyClick(presenter, Qt.Key_Escape)
    assert left.args == [3]
    assert not presenter.isVisible()


def test_editing_chrome_is_hidden_and_fonts_grow_with_the_screen(presenter):
    page = presenter.host.adapter.page
    assert not page.editor.isVisible() and not page.controls.isVisible()
    assert presenter.host.picture().isVisible()
    assert scaled_pt(PRESENTER, 768) == PRESENTER.base_font_pt
    assert scaled_pt(PRESENTER, 2160) > 2.5 * PRESENTER.base_font_pt


def test_z_toggles_a_zoom_that_follows_the_current_node(qtbot, presenter):
    canvas = presenter.host.picture()
    presenter.deck.go_to_scene(3)
    whole = canvas.transform().m11()
    qtbot.keyClick(presenter, Qt.Key_Z)
    near = canvas.transform().m11()
    assert near > whole
    centre = canvas.mapToScene(canvas.viewport().rect().center())
    qtbot.keyClick(presenter, Qt.Key_Right)
    assert canvas.mapToScene(canvas.viewport().rect().center()) != centre, "the zoom moved with the step"
    qtbot.keyClick(presenter, Qt.Key_Z)
    assert canvas.framing.whole and canvas.transform().m11() < near  # the whole graph again (framed for
    seen = canvas.mapFromScene(canvas.bounds()).boundingRect()      # this step's card, so not exactly `whole`)
    assert canvas.viewport().rect().contains(seen)


def test_f5_in_the_main_window_presents_the_lesson(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    from app.lecture.menus import install_lecture_mode
    from app.lecture.storage import Document
    from app.main_window import MainWindow
    window = MainWindow()
    qtbot.addWidget(window)
    mode = install_lecture_mode(window, QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat), tmp_path)
    mode.set_document(Document(lesson=builtin_lesson("forward-vs-reverse"), scene=1), None)
    present = next(a for a in window.findChildren(QAction) if a.text() == "&Presenter mode")
    present.trigger()
    assert mode.presenter.isVisible() and mode.presenter.deck.index == 0
    assert mode.presenter.geometry() == mode.presenter.screen().geometry(), "full screen"
    qtbot.keyClick(mode.presenter, Qt.Key_PageDown)
    qtbot.keyClick(mode.presenter, Qt.Key_Escape)
    assert mode.panel.current() == 0


TWO_SCREENS = """
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
app = QApplication([])
from app.lecture.lessons import builtin_lesson
from app.lecture.presenter import PresenterWindow
window = PresenterWindow(builtin_lesson("chain-rule"))
window.present()
window.handle_key(Qt.Key_Right)
print(window.screen().name(), window.lecturer.screen().name(), window.next_overlay.isVisible())
print(window.lecturer.now.text())
print(window.lecturer.next.text())
window.close()
"""


def test_with_two_screens_the_lecturer_gets_a_window_of_their_own(tmp_path):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path
    screen = {"x": 0, "y": 0, "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}
    config = tmp_path / "screens.json"
    config.write_text(json.dumps({"screens": [
        {**screen, "name": "laptop", "width": 1280, "height": 800},
        {**screen, "name": "projector", "x": 1280, "width": 1024, "height": 768}]}))
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}",
           "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    out = subprocess.run([sys.executable, "-c", TWO_SCREENS], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "projector laptop False", "audience on the projector, notes on the laptop, no overlay"
    assert lines[1] == "Now: 1/8 Computational graphs — step 2/11"
    assert lines[2] == "Next: Forward pass"


def test_presenter_mode_asks_each_page_to_present_instead_of_hiding_its_widgets():
    import inspect

    from app.lecture import scenes
    source = inspect.getsource(scenes)
    assert "setVisible" not in source and "hide()" not in source  # pages hide their own controls
    assert inspect.getsource(scenes.ViewAdapter.set_presenting).count("self.page.set_presenting(on)") == 1


def test_sequence_scene_at_1024_hides_the_lab_controls_and_the_gradient_plot_fits_its_pane(qtbot):
    window = PresenterWindow(builtin_lesson("lstm-gates"), start_scene=5)  # "Gradient through time"
    qtbot.addWidget(window)
    window.resize(1024, 768)
    window.show()
    window.host.wait_ready()
    lab = window.host.adapter.page
    g = lab.gradients
    assert not lab.preset_box.isVisible() and not g.controls.isVisible() and g.legend.isVisible()
    needed = g.plot.effectiveSizeHint(Qt.SizeHint.MinimumSize).width()
    assert needed <= g.plot_widget.width(), "title and axis text must fit, or the plot is cut off on the right"
    window.close()


def test_a_scene_edited_past_its_end_is_refused_on_the_slide_not_raised(qtbot, presenter):
    """A scene whose step no longer exists (edited while presenting) says why instead of raising."""
    import dataclasses
    scenes = presenter.deck.lesson.scenes
    scenes[1] = dataclasses.replace(scenes[1], step=999)
    presenter.deck.jump("end")
    qtbot.keyClick(presenter, Qt.Key_Right)
    assert presenter.deck.index == 1
    assert "Scene 2 cannot be shown as saved: field 'step': step 999 is past the end" in presenter.caption.text()
    del scenes[1:]  # scenes removed under the talk: the counter and title follow
    presenter._refresh()
    assert presenter.counter.text() == "1 / 1"


@pytest.mark.parametrize("key", [Qt.Key_Right, Qt.Key_Left, Qt.Key_Home, Qt.Key_End])
def test_every_scene_removed_under_the_talk_says_so_on_the_slide_and_every_key_still_works(qtbot, presenter, key):
    """Found by the monkey (seed 3): the main window deleted the last scene while presenting."""
    presenter.deck.lesson.scenes.clear()
    qtbot.keyClick(presenter, key)
    assert presenter.counter.text() == "0 / 0"
    assert "no scenes left" in presenter.caption.text() and not presenter.host.isVisible()
    assert presenter.title.text() == presenter.deck.lesson.title
    presenter.deck.go_to_scene(3)
    assert presenter.deck.scene is None and presenter.deck.index == 0
    from app.lecture.presenter import LecturerWindow
    lecturer = LecturerWindow(presenter.deck, presenter.theme)  # the second screen's notes, likewise
    qtbot.addWidget(lecturer)
    lecturer.refresh()
    assert "no scenes" in lecturer.now.text() and "no scenes left" in lecturer.notes.text()
