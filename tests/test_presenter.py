"""Presenter mode: remote keys step through a scene, then on to the next; blank, Home/End, Esc."""
import pytest
from PySide6.QtCore import Qt

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
    assert presenter.next_overlay.text() == "Next: Forward pass"


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
    assert where(presenter) == (0, presenter.host.step_count() - 1)


def test_first_and_last_scene_stop_the_deck(qtbot, presenter):
    qtbot.keyClick(presenter, Qt.Key_Left)
    assert where(presenter) == (0, 0)
    qtbot.keyClick(presenter, Qt.Key_End, Qt.ControlModifier)
    last = len(presenter.deck.lesson.scenes) - 1
    assert where(presenter) == (last, presenter.host.step_count() - 1)
    assert presenter.next_overlay.text() == "Last scene"
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


def test_zoom_follows_the_current_node(qtbot, presenter):
    canvas = presenter.host.picture()
    presenter.deck.go_to_scene(3)
    whole = canvas.transform().m11()
    presenter.host.set_following(True)
    assert canvas.transform().m11() > whole
    presenter.host.set_following(False)
    assert canvas.transform().m11() == pytest.approx(whole)
