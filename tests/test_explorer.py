"""The explorer page (Qt, offscreen): its widgets show the state, and typing, clicking and editing reach it."""
import math

import numpy as np
import pytest
from PySide6.QtCore import Qt


@pytest.fixture
def page(qtbot):
    from app.explorer import ExplorerPage
    p = ExplorerPage()
    qtbot.addWidget(p)
    p.resize(1000, 700)
    return p


def test_bad_expression_shows_an_error_and_keeps_the_last_graph(page):
    state = page.state
    state.load_example("add-mul")
    graph = state.graph
    page.editor.edit.setPlainText("q = x +* y")
    page.editor.commit()
    assert state.graph is graph
    assert page.editor.last_error is not None and page.editor.error.isVisibleTo(page)
    assert page.editor.edit.extraSelections()
    assert state.draft == "q = x +* y" and state.source == "q = x + y\nf = q * z"
    page.editor.edit.setPlainText("f = (a - b) * a")
    page.editor.commit()
    assert state.graph is not graph and [x.name for x in state.graph.inputs] == ["a", "b"]
    assert not page.editor.error.isVisibleTo(page)
    assert state.draft is None and state.source == "f = (a - b) * a"


def test_editing_an_input_reruns_the_graph(page):
    state = page.state
    state.load_example("add-mul")
    z = state.graph.index[id(state.graph.find("z"))]
    page.inputs.item(0, 1).setText("1")  # the inputs panel: x
    assert state.graph.root.data == pytest.approx(-24.0)
    state.set_position(len(state.timeline))
    assert page.canvas.displayed(z).grad == "6"


def test_double_click_toggles_a_group(page):
    state = page.state
    state.load_example("rnn-unrolled")
    n_collapsed = len(state.view)
    cell = next(g for g in state.groups if g.name == "cell t=2")
    i = state.graph.index[cell.output]
    page.canvas.node_double_clicked.emit(i)
    assert len(state.view) == n_collapsed + len(cell.members) - 1
    assert page.canvas.detail.chosen == frozenset(state.collapsed)  # the canvas draws the state's choice
    page.canvas.node_double_clicked.emit(i)
    assert len(state.view) == n_collapsed


def test_modes_switch_from_the_page(page):
    state = page.state
    state.load_example("sigmoid-neuron")
    for mode in ("forward", "grad-graph", "reverse"):
        page.mode_box.setCurrentIndex(page.mode_box.findData(mode))
        state.set_position(len(state.timeline))
        assert state.mode == mode and state.timeline is not None and state.position == len(state.timeline)
        assert page.canvas.timeline is state.timeline


def test_selected_node_shows_slide_and_pytorch_notation(page):
    state = page.state
    state.load_example("add-mul")
    state.set_position(len(state.timeline))
    state.select_node(state.graph.index[id(state.graph.find("x"))])
    text = page.inspector.text().replace("&#8203;", "")  # zero-width spaces let code names wrap
    assert "∂f/∂x" in text and "x.grad" in text and "−4" in text


def test_inspector_values_are_compact_and_never_scroll_sideways(page):
    state = page.state
    state.load_example("softmax-regression")
    state.set_position(len(state.timeline))
    state.select_node(state.graph.index[id(state.graph.find("p"))])
    text = page.inspector.text()
    assert "0.1542" in text and "0.154213" not in text  # 4 significant digits (rows, or min/max/mean)
    assert "∂(e1&nbsp;÷&nbsp;s1)/∂e1&nbsp;= 1/s1" in text  # the lecture names, wrapping after "="
    state.select_node(state.graph.index[id(state.graph.root)])
    scroll = page.inspector.parentWidget().parentWidget()
    assert scroll.horizontalScrollBarPolicy() == Qt.ScrollBarAlwaysOff
    from viewmodel.value_format import value_lines
    assert value_lines(np.arange(20.0).reshape(4, 5)) == ["shape (4, 5), min 0, max 19, mean 9.5"]


def test_an_expression_the_engine_refuses_keeps_the_last_graph(page):
    state = page.state
    state.load_example("add-mul")
    graph = state.graph
    page.editor.edit.setPlainText("f = x @ y")  # scalars have no matrix product
    page.editor.commit()
    assert state.graph is graph and "unsupported operand" in page.editor.last_error.message
    # a singularity is not a refusal: x / 0 is inf forward and backward (IEEE, as PyTorch)
    page.editor.edit.setPlainText("f = x / (y - y)")
    page.editor.commit()
    assert state.graph is not graph and math.isinf(state.graph.root.data)


def test_a_refused_program_from_a_lesson_is_shown_in_the_editor_with_its_error(page):
    state = page.state
    state.load_example("add-mul")
    assert not state.load_source("f = x @ y", {"x": 1.0, "y": 0.0})
    assert page.editor.text() == "f = x @ y" and page.editor.error.isVisibleTo(page)
    state.load_example("sigmoid-neuron")
    assert page.editor.text() == state.source and not page.editor.error.isVisibleTo(page)


def test_typing_is_never_interrupted_by_the_program_it_builds(page, qtbot):
    page.editor.edit.setPlainText("f = x * y")
    cursor = page.editor.edit.textCursor()
    cursor.setPosition(3)
    page.editor.edit.setTextCursor(cursor)
    page.editor.commit()
    assert page.state.source == "f = x * y" and page.editor.edit.textCursor().position() == 3


def test_an_array_table_that_would_not_fit_the_panel_becomes_a_summary(qtbot):
    from PySide6.QtGui import QFont, QFontMetricsF

    from widgets.node_inspector import value_html
    fm = QFontMetricsF(QFont())
    m = np.array([[-0.002073, 0.02088, 0.09], [-0.3993, 0.1084, 0.3701]])
    assert "<table" in value_html(m, "#000", fm, 1000)
    narrow = value_html(m, "#000", fm, 60)
    assert "<table" not in narrow and "shape&nbsp;(2,&nbsp;3)" in narrow and "max&nbsp;0.3701" in narrow


def test_presenting_hides_the_editing_controls_and_brings_them_back(page):
    page.state.load_example("add-mul")
    editing = (page.editor, page.example_box, page.caption, page.controls, page.mode_box, page.collapse_box,
               page.inputs)
    page.set_presenting(True)
    page.state.set_mode("grad-graph")  # a mode change must not bring the input picker back
    assert not any(w.isVisibleTo(page) for w in (*editing, page.wrt_box))
    assert page.canvas.isVisibleTo(page) and page.layout().contentsMargins().left() == 0
    page.set_presenting(False)
    assert all(w.isVisibleTo(page) for w in (*editing, page.wrt_box))
