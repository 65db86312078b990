"""The text floor, as a viewer sees it: render offscreen at projector sizes and read the smallest text painted.

Every built-in example (main window, presenter and light theme) and every built-in lesson's explorer
scene (presenter window) at 1024x768 and 1920x1080: the canvas's recorded smallest text (pixels on
screen, after zoom, card included) is at least the theme's floor, 18 px presenter, 11 px desktop.
"""
import pytest
from PySide6.QtWidgets import QApplication

from app import examples
from app.cli import build_parser
from app.lecture.lessons import builtin_lesson, builtin_lessons
from app.lecture.presenter import PresenterWindow
from app.main_window import build_window, show_fitted
from widgets.theme import THEMES

SIZES = [(1024, 768), (1920, 1080)]


def _steps(total: int) -> list[int]:
    return sorted({0, total // 3, (2 * total) // 3, total})


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("theme", ["presenter", "light"])
@pytest.mark.parametrize("example_id", list(examples.EXAMPLES))
def test_every_example_keeps_its_text_above_the_floor(qtbot, example_id, theme, size):
    window = build_window(build_parser().parse_args(["--example", example_id, "--theme", theme,
                                                     "--size", f"{size[0]}x{size[1]}"]))
    qtbot.addWidget(window)
    show_fitted(window)
    state, canvas = window.explorer.state, window.explorer.canvas
    floor = THEMES[theme].min_text_px
    for k in _steps(len(state.timeline)):
        state.set_position(k)
        canvas.viewport().grab()
        smallest = canvas.smallest_text_px()
        assert smallest is not None and smallest >= floor - 1e-6, f"step {k}: {smallest:.1f} px < {floor} px"


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("lesson_id", [lesson.id for lesson in builtin_lessons()])
def test_every_explorer_scene_keeps_its_text_above_the_floor(qtbot, lesson_id, size):
    lesson = builtin_lesson(lesson_id)
    scenes = [k for k, scene in enumerate(lesson.scenes) if scene.view == "explorer"]
    if not scenes:
        pytest.skip("no explorer scene")
    window = PresenterWindow(lesson, start_scene=scenes[0])
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    QApplication.processEvents()
    for k in scenes:
        window.deck.go_to_scene(k)
        QApplication.processEvents()
        canvas = window.host.adapter.page.canvas
        canvas.viewport().grab()
        smallest = canvas.smallest_text_px()
        assert smallest is not None and smallest >= THEMES["presenter"].min_text_px - 1e-6, \
            f"scene {k + 1} ({lesson.scenes[k].title}): {smallest:.1f} px"
    window.close()


def test_a_graph_too_big_for_the_floor_opens_the_current_group_and_follows_it(qtbot):
    window = build_window(build_parser().parse_args(["--example", "mlp-logloss", "--theme", "presenter",
                                                     "--size", "1024x768"]))
    qtbot.addWidget(window)
    show_fitted(window)
    state, canvas = window.explorer.state, window.explorer.canvas
    groups = {g.name for g in state.groups}
    opened = set()
    for k in range(1, len(state.timeline)):
        state.set_position(k)
        framing, current = canvas.framing, state.display.current
        assert framing.scale >= 18 / 17 - 1e-9  # never below the floor's zoom
        focus = canvas.detail.focus_groups(current)
        assert not focus & framing.collapsed  # the current step's group is open ...
        if focus:
            assert framing.collapsed == groups - focus  # ... and the others are boxes (focus + context)
            opened |= focus
        if not framing.whole:  # the camera follows the step
            at = canvas.mapFromScene(canvas.node_centre(current))
            assert canvas.viewport().rect().contains(at)
    assert opened == groups  # every neuron opened in turn
