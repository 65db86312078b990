"""The "Graph explorer" page: the editor, inputs, canvas, inspector and step controls around one state.

The state is a :class:`~viewmodel.explorer_state.ExplorerState` (``page.state``):
lessons, the command line and the sequence lab drive it, never these widgets.
This page only wires the widgets' signals to the state's methods and the
state's events to the widgets, and hides the editing chrome in presenter mode.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetricsF, QKeySequence, QShortcut
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFrame, QHBoxLayout, QLabel, QScrollArea, QSplitter,
                               QVBoxLayout, QWidget)

from app import examples
from viewmodel.explorer_state import ExplorerState
from viewmodel.timeline import MODES, DisplayState
from widgets.expression_editor import ExpressionEditor
from widgets.graph_canvas import GraphCanvas
from widgets.inputs_panel import InputsPanel
from widgets.node_inspector import NodeInspector
from widgets.step_controls import StepControls
from widgets.theme import LIGHT, Theme

SIDE_WIDTH = 210
"""Width of the inputs and inspector panel beside the canvas (folded away in the presenter theme)."""
EDITOR_LINES = (2, 6)
"""The editor shows the program's lines, at least and at most this many."""
MODE_TITLES = {"reverse": "Reverse mode (backprop)", "forward": "Forward mode (tangents)",
               "grad-graph": "Gradient as a graph"}


class ExplorerPage(QWidget):
    """Type or pick an expression, then step through its forward and backward passes."""

    def __init__(self, theme: Theme = LIGHT, parent: QWidget | None = None, state: ExplorerState | None = None):
        super().__init__(parent)
        self.state = state or ExplorerState(examples.get)
        self.presenting = False
        self._build_ui()
        self._subscribe()
        self.set_theme(theme)

    # -- layout -------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        state = self.state
        self.editor = ExpressionEditor(self)
        self.editor.source_edited.connect(state.load_source)
        self.editor.edit.textChanged.connect(lambda: state.note_typing(self.editor.text()))
        self.example_box = QComboBox(self)
        self.example_box.addItem("Examples…", None)
        for ex in examples.EXAMPLES.values():
            self.example_box.addItem(ex.title, ex.id)
        self.example_box.activated.connect(
            lambda row: self.example_box.itemData(row) and state.load_example(self.example_box.itemData(row)))
        self.caption = QLabel(self)
        self.caption.setWordWrap(True)

        self.canvas = GraphCanvas(parent=self)
        self.canvas.node_clicked.connect(state.select_node)
        self.canvas.node_double_clicked.connect(state.toggle_group_of)
        self.inputs = InputsPanel(self)
        self.inputs.value_edited.connect(state.set_input)
        self.inspector = NodeInspector(self)
        scroll = QScrollArea(self)
        scroll.setWidget(self.inspector)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)  # the inspector wraps instead
        side = QSplitter(Qt.Vertical, self)
        side.addWidget(self.inputs)
        side.addWidget(scroll)
        side.setSizes([220, 380])
        split = QSplitter(Qt.Horizontal, self)
        split.addWidget(self.canvas)
        split.addWidget(side)
        split.setStretchFactor(0, 1)
        split.setSizes([800, 210])
        self.split = split

        self.controls = StepControls(self)
        self.controls.step_requested.connect(state.step)
        self.controls.jump_requested.connect(state.jump)
        self.mode_box = QComboBox(self)
        for m in MODES:
            self.mode_box.addItem(MODE_TITLES[m], m)
        self.mode_box.currentIndexChanged.connect(lambda _: state.set_mode(self.mode_box.currentData()))
        self.wrt_box = QComboBox(self)
        self.wrt_box.setToolTip("Differentiate with respect to this input")
        self.wrt_box.activated.connect(lambda _: state.set_mode(state.mode, self.wrt_box.currentText()))
        self.collapse_box = QCheckBox("Collapse groups", self)
        self.collapse_box.toggled.connect(state.set_all_collapsed)
        pickers = QVBoxLayout()
        pickers.setSpacing(2)
        pickers.addWidget(self.example_box)
        mode_row = QHBoxLayout()
        mode_row.addWidget(self.mode_box, 1)
        mode_row.addWidget(self.wrt_box)
        pickers.addLayout(mode_row)
        pickers.addWidget(self.collapse_box)
        top = QHBoxLayout()
        top.addLayout(pickers)
        top.addWidget(self.editor, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.caption)
        layout.addWidget(split, 1)
        layout.addWidget(self.controls)
        for key, slot in ((Qt.Key_Right, lambda: state.step(1)), (Qt.Key_Left, lambda: state.step(-1)),
                          (Qt.Key_Space, self.controls.toggle_play), (Qt.Key_Home, lambda: state.jump("start")),
                          (Qt.Key_End, lambda: state.jump("end"))):
            QShortcut(QKeySequence(key), self, slot)

    def _subscribe(self) -> None:
        events = self.state.events
        events.graph.connect(self._show_graph)
        events.timeline.connect(self._show_timeline)
        events.position.connect(self._show_position)
        events.selection.connect(self._refresh_inspector)
        events.text.connect(self.editor.set_text)
        events.text.connect(lambda _: self._fit_editor())
        events.error.connect(self.editor.show_error)
        events.focus.connect(self.canvas.center_on_node)

    def set_presenting(self, presenting: bool) -> None:
        """Presenter mode: hide the editing controls, inputs and inspector, leaving the canvas (False: back)."""
        self.presenting = presenting
        self.layout().setContentsMargins(*((0,) * 4 if presenting else (6,) * 4))
        self.canvas.setFrameShape(QFrame.NoFrame if presenting else QFrame.StyledPanel)
        for w in (self.editor, self.example_box, self.caption, self.controls, self.mode_box,
                  self.collapse_box, self.inputs.parentWidget()):
            w.setVisible(not presenting)
        self.wrt_box.setVisible(not presenting and self.state.mode == "grad-graph")

    def set_theme(self, theme: Theme) -> None:
        """Recolour the canvas, editor and inspector.  The presenter theme folds the inputs and the
        inspector away (the splitter's handle brings them back) so the graph gets the room."""
        self.theme = theme
        self.canvas.set_theme(theme)
        self.editor.set_theme(theme)
        self.inspector.theme = theme
        self.caption.setStyleSheet(f"color: {theme.muted};")
        sizes = self.split.sizes()
        if theme.name == "presenter":
            self.split.setSizes([max(sum(sizes), 1), 0])
        elif sizes[1] == 0:  # folded by the presenter theme: unfold
            width = max(sum(sizes), 4 * SIDE_WIDTH)
            self.split.setSizes([width - SIDE_WIDTH, SIDE_WIDTH])
        self._fit_editor()
        self._refresh_inspector()

    def _fit_editor(self) -> None:
        """The editor as tall as the program on screen (EDITOR_LINES[0]..[1] lines), so all of it shows."""
        edit = self.editor.edit
        lines = min(max(edit.toPlainText().count("\n") + 1, EDITOR_LINES[0]), EDITOR_LINES[1])
        spacing = QFontMetricsF(edit.font()).lineSpacing()
        margins = 2 * (edit.frameWidth() + edit.document().documentMargin()) + spacing / 2  # (the last line's descent)
        edit.setFixedHeight(int(lines * spacing + margins))

    # -- the state's events ----------------------------------------------------------------------
    def _show_graph(self) -> None:
        """Another graph: its title, the pickers and the inputs panel follow."""
        state = self.state
        self.caption.setText(f"<b>{state.title}</b> — {state.caption}" if state.title else state.caption)
        self.example_box.setCurrentIndex(self.example_box.findData(state.example_id) if state.example_id else 0)
        self.collapse_box.blockSignals(True)
        self.collapse_box.setChecked(state.collapse_groups)
        self.collapse_box.blockSignals(False)
        self.collapse_box.setEnabled(bool(state.groups))
        self.wrt_box.clear()
        self.wrt_box.addItems([x.name for x in state.graph.inputs if x.name])
        self.inputs.set_inputs([n for n in state.graph.nodes if n.prim is None and n.name])

    def _show_timeline(self) -> None:
        """A new timeline or grouping: the mode pickers follow and the canvas plans the drawing."""
        state = self.state
        self.controls.set_playing(False)
        self.mode_box.blockSignals(True)
        self.mode_box.setCurrentIndex(MODES.index(state.mode))
        self.mode_box.blockSignals(False)
        self.wrt_box.setCurrentText(state.wrt or "")
        self.wrt_box.setVisible(not self.presenting and state.mode == "grad-graph")
        self.canvas.set_graph(state.timeline, state.view, state.drawn_groups())

    def _show_position(self, display: DisplayState) -> None:
        self.canvas.show_state(display)
        self.controls.set_position(f"step {display.position}/{display.total}  ({display.phase})")
        if self.state.at_end:
            self.controls.set_playing(False)
        self._refresh_inspector()

    def _refresh_inspector(self, _selected: int | None = None) -> None:
        """The pinned node, or else the node of the current step."""
        state = self.state
        node = state.inspected()
        if node is None or state.timeline is None:
            self.inspector.clear_node()
            return
        self.inspector.show_node(state.timeline, node, bool(state.display.grad_shown[node]))
