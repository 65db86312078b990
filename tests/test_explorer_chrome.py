"""The explorer's chrome gives the graph the room: geometry checked offscreen.

The card strip is as tall as its lines; the presenter theme shrinks the chrome and folds the side
panel away instead of growing them; the editor shows all of the program; the window fits the
screen; and the graph is framed on the canvas's real size, never drawn as a dot from before showing.
"""
import pytest
from PySide6.QtWidgets import QApplication

from app.cli import build_parser
from app.main_window import build_window, fit_to_screen, show_fitted
from engine import Graph
from engine.expr import parse
from viewmodel.detail import floor_zoom
from viewmodel.groups import view_graph
from viewmodel.timeline import Timeline


def _window(qtbot, theme, example="add-mul", size="1024x768"):
    window = build_window(build_parser().parse_args(["--example", example, "--theme", theme, "--size", size]))
    qtbot.addWidget(window)
    show_fitted(window)
    return window


def test_the_card_strip_takes_the_height_of_its_lines(qtbot):
    window = _window(qtbot, "presenter")
    state, canvas = window.explorer.state, window.explorer.canvas
    state.set_position(1)  # one line: "x = input = −2"
    one = canvas.card.height()
    assert one == pytest.approx(canvas.card.height_for(state.timeline.explain(1), canvas.card.width()), abs=1)
    assert one < 90  # one line is one line high, not the tallest step's height
    state.set_position(next(k for k in range(len(state.timeline)) if len(state.timeline.explain(k)) >= 3))
    assert canvas.card.height() > 2 * one
    assert canvas.viewport().geometry().bottom() < canvas.card.geometry().top()  # it never covers the graph


def test_the_presenter_theme_gives_the_graph_more_room_not_the_chrome(qtbot):
    light, presenter = _window(qtbot, "light"), _window(qtbot, "presenter")
    area = {}
    for name, window in (("light", light), ("presenter", presenter)):
        viewport = window.explorer.canvas.viewport()
        area[name] = viewport.width() * viewport.height()
    assert area["presenter"] > 1.1 * area["light"]
    assert presenter.menuBar().height() <= light.menuBar().height() + 8  # menus do not grow
    assert presenter.explorer.split.sizes()[1] == 0  # inputs and inspector folded away
    presenter.set_theme(light.theme)
    assert presenter.explorer.split.sizes()[1] > 0  # and back in the desktop themes


def test_the_editor_shows_all_of_the_program(qtbot):
    window = _window(qtbot, "presenter")
    source = "a1 = sigmoid(w1*x + b1)\na2 = sigmoid(w2*a1 + b2)\na3 = sigmoid(w3*a2 + b3)\nL = (a3 - y) * (a3 - y)"
    assert window.explorer.state.load_source(source)
    QApplication.processEvents()
    edit = window.explorer.editor.edit
    assert edit.toPlainText() == source
    assert edit.document().size().height() <= edit.viewport().height() + 1  # every line visible
    assert edit.verticalScrollBar().maximum() == 0


def test_the_window_fits_the_screen(qtbot):
    window = _window(qtbot, "light", size="1280x800")
    avail = window.screen().availableGeometry()
    window.resize(avail.width() + 300, avail.height() + 200)  # bigger than the screen
    fit_to_screen(window)
    QApplication.processEvents()
    assert avail.contains(window.frameGeometry())
    controls = window.explorer.controls
    bottom = controls.mapToGlobal(controls.rect().bottomRight())
    assert avail.contains(bottom)  # the step controls are on screen


def test_the_graph_is_framed_on_the_canvas_real_size_never_a_dot(qtbot):
    from widgets.graph_canvas import GraphCanvas
    canvas = GraphCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(60, 30)  # as a window is before it is shown
    g = Graph(parse("q = x + y\nf = q * z").build({"x": -2.0, "y": 5.0, "z": -4.0}))
    t = Timeline(g)
    canvas.set_graph(t, view_graph(g, [], []))
    assert canvas.transform().m11() >= floor_zoom(canvas.min_text_px) - 1e-9  # never smaller than the floor
    canvas.resize(900, 600)
    canvas.show()
    QApplication.processEvents()
    assert canvas.framing.whole
    seen = canvas.mapFromScene(canvas.bounds()).boundingRect()
    assert canvas.viewport().rect().contains(seen)
    assert seen.width() > 0.4 * canvas.viewport().width() or seen.height() > 0.4 * canvas.viewport().height()
