"""The graph explorer's state: which graph, in which mode, at which step, with which inputs.

Everything the explorer shows is derived from this object, and everything that
changes it (the editor, the inputs panel, a lesson, the command line, the
sequence lab unrolling a network) calls its methods; views subscribe to
``events`` and redraw.  It keeps the **last good program** (``source`` and
``values``: what is on screen, and what a saved scene must hold) apart from the
**draft** (editor text that does not parse or build, with its ``error``), so a
typo never reaches a saved file.  No Qt here.

Events (see :mod:`viewmodel.events`): ``graph()`` another graph is shown (its
inputs, groups, title); ``timeline()`` a new timeline or grouping of it (mode,
inputs re-run, a group opened: lay out again); ``position(display)`` the step moved;
``selection(node)`` the pinned node changed; ``text(str)`` what the editor shows
changed (the program's source, or a draft restored or refused); ``error(exc or
None)`` why the draft was refused;
``time_step(t)`` the current node of an unrolled network is at time ``t``;
``focus(node)`` bring this node into view.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Mapping, Protocol, Sequence

import numpy as np

from engine import Graph, Node
from engine.expr import ExpressionError, parse
from viewmodel.events import Events
from viewmodel.groups import Group, ViewGraph, group_between, named_groups, view_graph
from viewmodel.timeline import MODES, DisplayState, Timeline, make_timeline

PROGRAM_CAPTION = "Your expression — edit the inputs on the right, then step through."
_STEP_NAME = re.compile(r"[A-Za-z]+([0-9]+)")
"""The name of a per-step node of an unrolled network: ``x2``, ``h2``, ``f2`` (step 2)."""


class Built(Protocol):
    """What an example's builder returns: the output node and its collapsible groups."""

    output: Node
    groups: Sequence[Group]


class Example(Protocol):
    """A built-in example as the explorer needs it (``app.examples.Example`` is one)."""

    id: str
    title: str
    caption: str
    source: str | None
    values: Mapping[str, Any] | None
    collapsed: bool

    def build(self) -> Built: ...


def _edited_inputs(graph: Graph, example_id: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """A saved scene's edited inputs of an example's graph, as leaf data; ValueError for a name the
    example does not have or a value of another shape."""
    leaves = {n.name: n for n in graph.nodes if n.prim is None and n.name}
    out = {}
    for name, value in values.items():
        leaf = leaves.get(name)
        if leaf is None:
            raise ValueError(f"{name} is not an input of example {example_id!r} (its inputs: {', '.join(leaves)})")
        if np.shape(value) != np.shape(leaf.data):
            raise ValueError(f"{name} has shape {np.shape(value)}, the example's {np.shape(leaf.data)}")
        out[name] = np.asarray(value, dtype=float) if isinstance(leaf.data, np.ndarray) else float(value)
    return out


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


class ExplorerState:
    """Type or pick an expression, then step through its forward and backward passes.

    ``examples`` looks a built-in example up by id (KeyError naming the choices
    for an unknown one); the app passes ``app.examples.get``.
    """

    def __init__(self, examples: Callable[[str], Example] | None = None):
        self.events = Events("graph", "timeline", "position", "selection", "text", "error", "time_step", "focus")
        self._examples = examples
        self.graph: Graph | None = None
        self.groups: list[Group] = []
        self.collapsed: set[str] = set()
        self.collapse_groups = False
        """Whether a newly shown graph starts with its groups collapsed into boxes."""
        self.mode = "reverse"
        self.wrt: str | None = None
        """The input the gradient graph differentiates by."""
        self.timeline: Timeline | None = None
        self.view: ViewGraph | None = None
        self.position = 0
        self.display: DisplayState | None = None
        """What is on screen at ``position`` (derived from it)."""
        self.example_id: str | None = None
        self.title = ""
        self.caption = ""
        self.source: str | None = None
        """The program on screen (None for an example built in Python)."""
        self.values: dict[str, Any] = {}
        """The value of every input of the program on screen."""
        self.draft: str | None = None
        """Editor text that is not the program on screen (typed and not built yet, or refused);
        None when the editor shows ``source``.  A saved session keeps it apart, marked as a draft."""
        self.error: ExpressionError | None = None
        """Why the draft was refused."""
        self.selected: int | None = None
        """The node pinned in the inspector (None: the current step's node)."""
        self.time_steps: np.ndarray | None = None
        """Per node, its time step when the graph is an unrolled network (see ``load_source``)."""

    # -- what is shown ---------------------------------------------------------------------------
    def load_example(self, example_id: str, mode: str | None = None, wrt: str | None = None,
                     values: Mapping[str, Any] | None = None) -> None:
        """Show a built-in example in ``mode`` (default: the current one), differentiating by ``wrt``,
        with some inputs changed to ``values`` (a saved scene's edits).

        KeyError for an unknown id; ValueError (nothing changed) for a value that is not one of the
        example's inputs, has another shape, or with which the engine cannot run or step through it.
        """
        if self._examples is None:
            raise KeyError(f"no example {example_id!r}: this explorer has no examples")
        example = self._examples(example_id)
        self._check_mode(mode)
        built = example.build()
        graph = Graph(built.output)
        edits = _edited_inputs(graph, example_id, values or {})
        try:
            if edits:
                graph.forward(edits)
            timeline = self._timeline(graph, mode or self.mode, wrt or self.wrt)
        except (ValueError, TypeError, ArithmeticError) as exc:
            raise ValueError(f"the engine cannot run it with these values: {exc}") from None
        self.example_id, self.title, self.caption = example.id, example.title, example.caption
        self.values = {**(example.values or {}), **edits}
        self.collapse_groups = example.collapsed
        self._accept(example.source)
        self.mode, self.wrt = mode or self.mode, wrt or self.wrt
        self._show(graph, timeline, list(built.groups))

    def load_source(self, source: str, values: Mapping[str, Any] | None = None, mode: str | None = None,
                    wrt: str | None = None, unrolled: bool = False) -> bool:
        """Build a program: inputs take ``values`` (numbers or arrays), else keep theirs, else 1.

        True if it is on screen now (in ``mode``, differentiating by ``wrt``).  Otherwise
        it is kept as the draft with its error (``text`` and ``error`` events) and the
        last good graph stays.  ``unrolled``: the program is an unrolled network whose
        node names end in their time step (``h2``), so stepping reports ``time_step``
        and ``show_time_step`` finds a cell.
        """
        self._check_mode(mode)
        try:
            program = parse(source)
            known = {**self.values, **(values or {})}
            used = {name: known.get(name, 1.0) for name in program.inputs}
            graph = Graph(program.build(used))
            timeline = self._timeline(graph, mode or self.mode, wrt or self.wrt)
        except ExpressionError as exc:
            return self._refuse(source, exc)
        except (ValueError, TypeError, ArithmeticError) as exc:  # the engine refused: say so, keep the graph
            return self._refuse(source, ExpressionError(str(exc), source))
        self.values = used
        self.example_id, self.title, self.caption = None, "", PROGRAM_CAPTION
        self._accept(source)
        self.mode, self.wrt = mode or self.mode, wrt or self.wrt
        self._show(graph, timeline, named_groups(graph), unrolled_steps(graph) if unrolled else None)
        return True

    def show_network(self, output: Node, cells: Sequence[tuple[str, Node, Sequence[Node]]], title: str,
                     caption: str) -> None:
        """Show a network a lab built in Python (no program text): ``cells`` are (name, output,
        boundary) and become groups, collapsed into boxes at first (double-click opens one)."""
        graph = Graph(output)
        timeline = self._timeline(graph)
        self.example_id, self.title, self.caption, self.values = None, title, caption, {}
        self._accept(None)
        self.collapse_groups = True
        self._show(graph, timeline, [group_between(*cell) for cell in cells])

    def note_typing(self, text: str) -> None:
        """The editor's text now (not built yet): a draft unless it is the program on screen."""
        self.draft = None if text == (self.source or "") else text

    def restore_draft(self, text: str) -> None:
        """Put a saved session's draft back in the editor, with its parse error if it has one; the
        program on screen stays (a draft is never used as the program)."""
        if text == (self.source or ""):
            return
        try:
            parse(text)
            error = None
        except ExpressionError as exc:
            error = exc
        self.draft, self.error = text, error
        self.events.text.emit(text)
        self.events.error.emit(error)

    def set_mode(self, mode: str, wrt: str | None = None) -> None:
        """Switch between reverse mode, forward mode and the gradient graph (see ``MODES``); back to step 0."""
        self._check_mode(mode)
        self.mode = mode
        self.wrt = wrt or self.wrt
        self.position = 0
        self.selected = None
        if self.graph is not None:
            self._set_timeline(self._timeline(self.graph))

    def set_input(self, name: str, value: Any) -> None:
        """Change one input and re-run the graph (forward, traces) at the same step."""
        self.values[name] = value
        self.graph.forward({name: value})
        self._set_timeline(self._timeline(self.graph))

    # -- groups ------------------------------------------------------------------------------------
    def toggle_group_of(self, i: int) -> None:
        """Collapse the group graph node ``i`` belongs to, or expand it if it is collapsed."""
        if self.timeline is None or self.timeline.graph is not self.graph:
            return
        node_id = id(self.graph.nodes[i])
        for g in self.groups:
            if node_id in g.members:
                self.collapsed ^= {g.name}
                self._regroup()
                return

    def set_all_collapsed(self, collapsed: bool) -> None:
        """Collapse (or expand) every group into its box, now and for graphs shown later."""
        self.collapse_groups = collapsed
        self.collapsed = {g.name for g in self.groups} if collapsed else set()
        if self.graph is not None:
            self._regroup()

    # -- time --------------------------------------------------------------------------------------
    def set_position(self, k: int) -> None:
        """Show the animation after ``k`` steps (clamped); everything is derived from ``k``."""
        if self.timeline is None:
            return
        self.position = max(0, min(int(k), len(self.timeline)))
        self.display = self.timeline.state(self.position)
        self.events.position.emit(self.display)
        step = self.time_step()
        if step is not None:
            self.events.time_step.emit(step)

    def step(self, delta: int) -> None:
        """One step forward (+1) or back (−1)."""
        self.set_position(self.position + delta)

    def jump(self, where: str) -> None:
        """To the start of the current pass (again: the previous one) or the end of the current pass."""
        if self.timeline is None:
            return
        bounds = self.timeline.pass_bounds()
        if where == "start":
            self.set_position(max([b for b in bounds if b < self.position], default=0))
        else:
            self.set_position(min([b for b in bounds if b > self.position], default=len(self.timeline)))

    @property
    def at_end(self) -> bool:
        """True at the last step of the timeline."""
        return self.timeline is not None and self.position == len(self.timeline)

    def time_step(self) -> int | None:
        """Time step of the current node of an unrolled network (None if unknown)."""
        current = self.display.current if self.display is not None else None
        if self.time_steps is None or self.timeline.graph is not self.graph or current is None:
            return None
        step = int(self.time_steps[current])
        return step if step > 0 else None

    def show_time_step(self, step: int) -> None:
        """Select the first computed node of time ``step`` of an unrolled network and ask the views
        to bring it into view (``focus``), unless the current node is already in it; the step stays."""
        if self.time_steps is None or self.timeline.graph is not self.graph or self.time_step() == step:
            return
        nodes = [i for i in np.flatnonzero(self.time_steps == step).tolist()
                 if self.graph.nodes[i].prim is not None]
        if nodes:
            self.select_node(nodes[0])
            self.events.focus.emit(nodes[0])

    # -- the inspector -----------------------------------------------------------------------------
    def select_node(self, i: int) -> None:
        """Pin graph node ``i`` in the inspector (−1: follow the current step again)."""
        self.selected = i if i >= 0 else None
        self.events.selection.emit(self.selected)

    def drawn_groups(self) -> list[Group]:
        """The groups of the graph the timeline draws (none for a gradient graph)."""
        return self.groups if self.timeline is not None and self.timeline.graph is self.graph else []

    def inspected(self) -> int | None:
        """The node the inspector describes: the pinned one, else the current step's."""
        if self.selected is not None:
            return self.selected
        return self.display.current if self.display is not None else None

    # -- internals ---------------------------------------------------------------------------------
    @staticmethod
    def _check_mode(mode: str | None) -> None:
        if mode is not None and mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")

    def _wrt_for(self, graph: Graph, wrt: str | None = None) -> str | None:
        """The input the gradient graph differentiates by: the chosen one if the graph has it."""
        names = [x.name for x in graph.inputs if x.name]
        wrt = wrt or self.wrt
        return wrt if wrt in names else (names[0] if names else None)

    def _timeline(self, graph: Graph, mode: str | None = None, wrt: str | None = None) -> Timeline:
        """The timeline of ``graph`` in ``mode`` (reverse when there is nothing to differentiate by)."""
        mode = mode or self.mode
        wrt = self._wrt_for(graph, wrt)
        return make_timeline(graph, mode if wrt is not None or mode != "grad-graph" else "reverse", wrt)

    def _accept(self, source: str | None) -> None:
        """``source`` is the program on screen now: the editor shows it, no draft, no error."""
        self.source, self.draft = source, None
        self.events.text.emit(source or "")
        if self.error is not None:
            self.error = None
            self.events.error.emit(None)

    def _refuse(self, source: str, exc: ExpressionError) -> bool:
        self.draft, self.error = source, exc
        self.events.text.emit(source)
        self.events.error.emit(exc)
        return False

    def _show(self, graph: Graph, timeline: Timeline, groups: list[Group],
              time_steps: np.ndarray | None = None) -> None:
        self.graph, self.groups = graph, groups
        self.time_steps = time_steps
        self.collapsed = {g.name for g in groups} if self.collapse_groups else set()
        self.wrt = self._wrt_for(graph)
        self.position = 0
        self.selected = None
        self._set_timeline(timeline, new_graph=True)

    def _set_timeline(self, timeline: Timeline, new_graph: bool = False) -> None:
        self.timeline = timeline
        if timeline.graph is self.graph and self.mode == "grad-graph":  # nothing to differentiate by
            self.mode = "reverse"
        self._regroup(new_graph)

    def _regroup(self, new_graph: bool = False) -> None:
        """The drawing of the timeline's graph with the collapsed groups as boxes; then the step."""
        self.view = view_graph(self.timeline.graph, self.drawn_groups(), self.collapsed)
        if new_graph:
            self.events.graph.emit()
        self.events.timeline.emit()
        self.set_position(self.position)
