"""The "Graph explorer" page: wires the editor, inputs, canvas, inspector and step controls.

The state lives in :mod:`app.explorer_model` (graph, groups, timeline); this
controller only holds *which* graph, mode and step are shown, and every
display is recomputed from the step index, so stepping back is exact.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

import numpy as np
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFrame, QHBoxLayout, QLabel, QScrollArea, QSplitter,
                               QVBoxLayout, QWidget)

from app import examples
from app.explorer_model import MODES, Group, Timeline, make_timeline, view_graph
from engine import Graph
from engine.expr import ExpressionError, Program
from widgets.expression_editor import ExpressionEditor
from widgets.graph_canvas import GraphCanvas
from widgets.inputs_panel import InputsPanel
from widgets.node_inspector import NodeInspector
from widgets.step_controls import StepControls
from widgets.theme import LIGHT, Theme

MODE_TITLES = {"reverse": "Reverse mode (backprop)", "forward": "Forward mode (tangents)",
               "grad-graph": "Gradient as a graph"}
_STEP_NAME = re.compile(r"[A-Za-z]+([0-9]+)")
"""The name of a per-step node of an unrolled network: ``x2``, ``h2``, ``f2`` (step 2)."""


def unrolled_steps(graph: Graph) -> np.ndarray:
    """Time step of each node of an unrolled network: from its name (``h2``: 2), or for an
    unnamed node from the node it feeds; -1 for weights, biases and the loss."""
    steps = np.full(len(graph), -1)
    child = {p: c for p, c, _ in graph.edges}
    for i in range(len(graph) - 1, -1, -1):  # children come after their parents
        name = graph.nodes[i].name
        match = _STEP_NAME.fullmatch(name or "")
        if match:
            steps[i] = int(match[1])
        elif name is None and i in child:
            steps[i] = steps[child[i]]
    return steps


class ExplorerPage(QWidget):
    """Type or pick an expression, then step through its forward and backward passes."""

    time_step_changed = Signal(int)
    """An unrolled network (see ``show_unrolled_steps``): the time step of the current node."""

    def __init__(self, theme: Theme = LIGHT, parent: QWidget | None = None):
        super().__init__(parent)
        self.graph: Graph | None = None
        self.groups: list[Group] = []
        self.collapsed: set[str] = set()
        self.mode = "reverse"
        self.wrt: str | None = None
        self.timeline: Timeline | None = None
        self.position = 0
        self.example_id: str | None = None
        self.program_source: str | None = None
        """The source of what is shown (an example's, or the last program that built), which the
        editor's text may differ from while the lecturer types: saved sessions keep both."""
        self._values: dict[str, Any] = {}
        self._selected: int | None = None
        self.time_steps: np.ndarray | None = None
        self.presenting = False
        self._build_ui()
        self.set_theme(theme)

    # -- layout -------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.editor = ExpressionEditor(self)
        self.editor.edit.setMaximumHeight(84)
        self.editor.program_changed.connect(self.load_program)
        self.example_box = QComboBox(self)
        self.example_box.addItem("Examples…", None)
        for ex in examples.EXAMPLES.values():
            self.example_box.addItem(ex.title, ex.id)
        self.example_box.activated.connect(
            lambda row: self.example_box.itemData(row) and self.load_example(self.example_box.itemData(row)))
        self.caption = QLabel(self)
        self.caption.setWordWrap(True)

        self.canvas = GraphCanvas(parent=self)
        self.canvas.node_clicked.connect(self.select_node)
        self.canvas.node_double_clicked.connect(self.toggle_group_of)
        self.inputs = InputsPanel(self)
        self.inputs.value_edited.connect(self.set_input)
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

        self.controls = StepControls(self)
        self.controls.step_requested.connect(self.step)
        self.controls.jump_requested.connect(self.jump)
        self.mode_box = QComboBox(self)
        for m in MODES:
            self.mode_box.addItem(MODE_TITLES[m], m)
        self.mode_box.currentIndexChanged.connect(lambda _: self.set_mode(self.mode_box.currentData()))
        self.wrt_box = QComboBox(self)
        self.wrt_box.setToolTip("Differentiate with respect to this input")
        self.wrt_box.activated.connect(lambda _: self.set_mode(self.mode, self.wrt_box.currentText()))
        self.collapse_box = QCheckBox("Collapse groups", self)
        self.collapse_box.toggled.connect(self.set_all_collapsed)
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
        for key, slot in ((Qt.Key_Right, lambda: self.step(1)), (Qt.Key_Left, lambda: self.step(-1)),
                          (Qt.Key_Space, self.controls.toggle_play), (Qt.Key_Home, lambda: self.jump("start")),
                          (Qt.Key_End, lambda: self.jump("end"))):
            QShortcut(QKeySequence(key), self, slot)

    def set_presenting(self, presenting: bool) -> None:
        """Presenter mode: hide the editing controls, inputs and inspector, leaving the canvas (False: back)."""
        self.presenting = presenting
        self.layout().setContentsMargins(*((0,) * 4 if presenting else (6,) * 4))
        self.canvas.setFrameShape(QFrame.NoFrame if presenting else QFrame.StyledPanel)
        for w in (self.editor, self.example_box, self.caption, self.controls, self.mode_box,
                  self.collapse_box, self.inputs.parentWidget()):
            w.setVisible(not presenting)
        self.wrt_box.setVisible(not presenting and self.mode == "grad-graph")

    def set_theme(self, theme: Theme) -> None:
        """Recolour the canvas, editor and inspector."""
        self.theme = theme
        self.canvas.set_theme(theme)
        self.editor.set_theme(theme)
        self.inspector.theme = theme
        self.caption.setStyleSheet(f"color: {theme.muted};")
        self._refresh_inspector()

    # -- what is shown ---------------------------------------------------------------------------
    def load_example(self, example_id: str) -> None:
        """Show a built-in example (KeyError for an unknown id)."""
        ex = examples.get(example_id)
        built = ex.build()
        self.example_id = ex.id
        self.program_source = ex.source or ""
        self.caption.setText(f"<b>{ex.title}</b> — {ex.caption}")
        self.editor.set_text(ex.source or "")
        self._values = dict(ex.values or {})
        self.example_box.setCurrentIndex(self.example_box.findData(ex.id))
        self.collapse_box.blockSignals(True)
        self.collapse_box.setChecked(ex.collapsed)
        self.collapse_box.blockSignals(False)
        self._show_graph(*self._trace(Graph(built.output)), built.groups)

    def load_program(self, program: Program, values: Mapping[str, Any] | None = None) -> None:
        """Build a parsed expression: inputs take ``values`` (numbers or arrays), else keep theirs, else 1."""
        known = {**self._values, **(values or {})}
        values = {name: known.get(name, 1.0) for name in program.inputs}
        try:
            out = program.build(values)
            graph, timeline = self._trace(Graph(out))
        except ExpressionError as exc:
            self.editor.show_error(exc)
            return
        except (ValueError, TypeError, ArithmeticError) as exc:  # the engine refused: say so, keep the graph
            self.editor.show_error(ExpressionError(str(exc), program.source))
            return
        self._values = values
        self.example_id = None
        self.program_source = program.source
        self.example_box.setCurrentIndex(0)
        self.caption.setText("Your expression — edit the inputs on the right, then step through.")
        self._show_graph(graph, timeline, [])

    def _wrt_for(self, graph: Graph) -> str | None:
        """The input the gradient graph differentiates by: the chosen one if the graph has it."""
        names = [x.name for x in graph.inputs if x.name]
        return self.wrt if self.wrt in names else (names[0] if names else None)

    def _trace(self, graph: Graph) -> tuple[Graph, Timeline]:
        """The timeline of ``graph`` in the chosen mode (reverse when there is nothing to differentiate by)."""
        wrt = self._wrt_for(graph)
        mode = self.mode if wrt is not None or self.mode != "grad-graph" else "reverse"
        return graph, make_timeline(graph, mode, wrt)

    def _show_graph(self, graph: Graph, timeline: Timeline, groups: list[Group]) -> None:
        self.graph, self.groups = graph, groups
        self.time_steps = None
        self.collapsed = {g.name for g in groups} if self.collapse_box.isChecked() else set()
        self.collapse_box.setEnabled(bool(groups))
        self.wrt = self._wrt_for(graph)
        self.wrt_box.clear()
        self.wrt_box.addItems([x.name for x in graph.inputs if x.name])
        self.wrt_box.setCurrentText(self.wrt or "")
        self.position = 0
        self._selected = None
        self.inputs.set_inputs([n for n in graph.nodes if n.prim is None and n.name])
        self._set_timeline(timeline)

    def _set_timeline(self, timeline: Timeline) -> None:
        self.controls.set_playing(False)
        self.timeline = timeline
        if timeline.graph is self.graph and self.mode == "grad-graph":  # nothing to differentiate by
            self.mode = "reverse"
        self.mode_box.blockSignals(True)
        self.mode_box.setCurrentIndex(MODES.index(self.mode))
        self.mode_box.blockSignals(False)
        self.wrt_box.setVisible(not self.presenting and self.mode == "grad-graph")
        self._redraw()

    def _retime(self) -> None:
        """New timeline for the current graph and mode."""
        self._set_timeline(self._trace(self.graph)[1])

    def _redraw(self) -> None:
        groups = self.groups if self.timeline.graph is self.graph else []
        self.view = view_graph(self.timeline.graph, groups, self.collapsed)
        self.canvas.set_graph(self.timeline, self.view)
        self.set_position(self.position)

    def set_mode(self, mode: str, wrt: str | None = None) -> None:
        """Switch between reverse mode, forward mode and the gradient graph (see ``MODES``)."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.mode = mode
        self.wrt = wrt or self.wrt
        self.position = 0
        self._selected = None
        if self.graph is not None:
            self._retime()

    def set_input(self, name: str, value: float) -> None:
        """Change one input and re-run the graph (forward, traces) at the same step."""
        self._values[name] = value
        self.graph.forward({name: value})
        self._retime()

    # -- groups ---------------------------------------------------------------------------------
    def toggle_group_of(self, i: int) -> None:
        """Collapse the group graph node ``i`` belongs to, or expand it if it is collapsed."""
        if self.timeline.graph is not self.graph:
            return
        node_id = id(self.graph.nodes[i])
        for g in self.groups:
            if node_id in g.members:
                self.collapsed ^= {g.name}
                self._redraw()
                return

    def set_all_collapsed(self, collapsed: bool) -> None:
        """Collapse (or expand) every group into its box."""
        self.collapsed = {g.name for g in self.groups} if collapsed else set()
        if self.graph is not None:
            self._redraw()

    # -- time ---------------------------------------------------------------------------------------
    def show_unrolled_steps(self) -> None:
        """Treat the shown graph as an unrolled network: stepping emits ``time_step_changed``
        and ``show_time_step`` finds a step's cell (until another graph is shown)."""
        self.time_steps = unrolled_steps(self.graph)

    def _current_step(self) -> int | None:
        """Time step of the current node of an unrolled network (None if unknown)."""
        state = self.canvas.state
        if self.time_steps is None or self.timeline.graph is not self.graph or state.current is None:
            return None
        step = int(self.time_steps[state.current])
        return step if step > 0 else None

    def show_time_step(self, step: int) -> None:
        """Select and centre the first computed node of time ``step`` of an unrolled network,
        unless the current node is already in it; the animation step stays."""
        if self.time_steps is None or self.timeline.graph is not self.graph or self._current_step() == step:
            return
        nodes = [i for i in np.flatnonzero(self.time_steps == step).tolist()
                 if self.graph.nodes[i].prim is not None]
        if nodes:
            self.select_node(nodes[0])
            self.canvas.centerOn(QPointF(*self.canvas.pos[self.view.owner[nodes[0]]]))

    def set_position(self, k: int) -> None:
        """Show the animation after ``k`` steps (clamped); everything is derived from ``k``."""
        if self.timeline is None:
            return
        self.position = max(0, min(int(k), len(self.timeline)))
        state = self.timeline.state(self.position)
        self.canvas.show_state(state)
        self.controls.set_position(f"step {self.position}/{len(self.timeline)}  ({state.phase})")
        self._refresh_inspector()
        if self.position == len(self.timeline):
            self.controls.set_playing(False)
        step = self._current_step()
        if step is not None:
            self.time_step_changed.emit(step)

    def step(self, delta: int) -> None:
        """One step forward (+1) or back (−1)."""
        self.set_position(self.position + delta)

    def jump(self, where: str) -> None:
        """To the start of the current pass (again: the previous one) or the end of the current pass."""
        bounds = self.timeline.pass_bounds()
        if where == "start":
            self.set_position(max([b for b in bounds if b < self.position], default=0))
        else:
            self.set_position(min([b for b in bounds if b > self.position], default=len(self.timeline)))

    def select_node(self, i: int) -> None:
        """Pin graph node ``i`` in the inspector (−1: follow the current step again)."""
        self._selected = i if i >= 0 else None
        self._refresh_inspector()

    def _refresh_inspector(self) -> None:
        """The clicked node, or else the node of the current step."""
        state = self.canvas.state
        node = self._selected if self._selected is not None else (state.current if state else None)
        if node is None or self.timeline is None:
            self.inspector.clear_node()
            return
        self.inspector.show_node(self.timeline, node, bool(state.grad_shown[node]))
