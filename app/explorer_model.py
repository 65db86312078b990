"""The graph explorer's state, apart from any widget: what is shown at step k.

A :class:`Timeline` turns an engine trace into per-node "revealed at" positions,
so the display at any step is *derived* from the step index (``state(k)``):
stepping back restores the earlier picture exactly, and jumping is as cheap as
stepping.  Groups (a Linear layer, one RNN cell) are defined here, not in the
engine, and :class:`ViewGraph` collapses them into single boxes for drawing.
No Qt in this module.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np

import engine
from engine import EdgeStep, Graph, Node, Step, format_number

NEVER = np.iinfo(np.int64).max
"""Position of something a timeline never reveals."""

MODES = ("reverse", "forward", "grad-graph")
"""Reverse mode (forward pass then backprop), forward mode (one tangent pass per
input) and the gradient-as-a-graph view (backprop through ∂f/∂x itself)."""


# -- groups ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Group:
    """Nodes drawn as one collapsible box, e.g. ``"cell t=2"``; ``output`` is what it hands on."""

    name: str
    members: frozenset[int]
    """``id()`` of the member nodes."""
    output: int
    """``id()`` of the node whose value and gradient the collapsed box shows."""


def group_between(name: str, output: Node, boundary: Iterable[Node]) -> Group:
    """The nodes computing ``output`` from ``boundary`` (walked back, stopping at the boundary)."""
    stop = {id(b) for b in boundary}
    members: set[int] = set()
    stack = [output]
    while stack:
        node = stack.pop()
        if id(node) in stop or id(node) in members:
            continue
        members.add(id(node))
        stack.extend(node.parents)
    return Group(name, frozenset(members), id(output))


# -- what the canvas draws: possibly collapsed -------------------------------------------------
@dataclass
class ViewGraph:
    """The graph as drawn: graph nodes, or a collapsed group's box standing for its members.

    ``owner[i]`` is the visual node of graph node ``i``; ``rep[v]`` the graph node whose
    value/grad visual node ``v`` shows; ``edges`` are visual (parent, child) pairs and
    ``edge_of[k]`` the visual edge each graph edge is drawn on (-1 inside a box).
    """

    owner: np.ndarray
    rep: np.ndarray
    group: list[Group | None]
    edges: np.ndarray
    edge_of: np.ndarray

    def __len__(self) -> int:
        return len(self.rep)


def view_graph(graph: Graph, groups: Sequence[Group], collapsed: Iterable[str]) -> ViewGraph:
    """Collapse the named groups of ``graph`` into boxes; visual nodes stay in topological order."""
    collapsed = set(collapsed)
    n = len(graph)
    box_of = np.full(n, -1)
    active = [g for g in groups if g.name in collapsed]
    for k, g in enumerate(active):
        for i, node in enumerate(graph.nodes):
            if id(node) in g.members and box_of[i] < 0:
                box_of[i] = k
    # A box takes the place of its output node in topological order (groups are convex).
    out_index = [graph.index[g.output] for g in active]
    owner = np.full(n, -1)
    rep: list[int] = []
    vgroup: list[Group | None] = []
    for i in range(n):
        k = box_of[i]
        if k < 0:
            owner[i] = len(rep)
            rep.append(i)
            vgroup.append(None)
        elif out_index[k] == i:
            owner[np.flatnonzero(box_of == k)] = len(rep)
            rep.append(i)
            vgroup.append(active[k])
    g_edges = np.array([(p, c) for p, c, _ in graph.edges], dtype=np.int64).reshape(-1, 2)
    v_pairs = owner[g_edges] if len(g_edges) else g_edges
    edge_of = np.full(len(g_edges), -1)
    unique: dict[tuple[int, int], int] = {}
    for k, (a, b) in enumerate(v_pairs.tolist()):
        if a != b:
            edge_of[k] = unique.setdefault((a, b), len(unique))
    edges = np.array(list(unique), dtype=np.int64).reshape(-1, 2)
    return ViewGraph(owner, np.array(rep, dtype=np.int64), vgroup, edges, edge_of)


# -- text -------------------------------------------------------------------------------------------
_LETTERS = {"matmul": ("X", "W"), "linear": ("x", "W", "b"), "conv2d": ("x", "W", "b")}
"""The slides' argument letters where they are not x, y, z (``local_text`` uses them)."""
_LETTER = re.compile(r"(?<![A-Za-z0-9_])([xyzXWb])(?![A-Za-z0-9_])")
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*|\([^ ()]{1,6}\)|-?[0-9.]+")


def _letters(node: Node) -> tuple[str, ...]:
    return _LETTERS.get(node.prim.name, ("x", "y", "z")[:node.prim.arity])


def argument_names(node: Node) -> tuple[str, ...] | None:
    """The arguments' labels to write into the formula, or None where x, y read better.

    Labels are used when they are distinct, short (≤ 10 characters) and plain (a name,
    a number or an op like ``(×)``), so ``∂(q × z)/∂q = z`` but not ``∂((×) + (×))/∂(×)``
    or ``∂(W_hh h1 + …)``; a negative constant is bracketed.
    """
    labels = [short_label(p) for p in node.parents]
    if len(set(labels)) < len(labels) or not all(len(s) <= 10 and _PLAIN.fullmatch(s) for s in labels):
        return None
    return tuple(s if not s.startswith("-") else f"({s})".replace("-", "−") for s in labels)


def derivative_formula(node: Node, arg: int) -> str:
    """The slide's local derivative for one argument, e.g. ``∂(q × z)/∂q = z`` (``∂(x × y)/∂x = y``).

    The arguments' own labels replace the letters x, y where :func:`argument_names` allows.
    """
    prim = node.prim
    letters = _letters(node)
    names = argument_names(node) or letters
    local = prim.local_text[arg] if arg < len(prim.local_text) else "?"
    local = _LETTER.sub(lambda m: names[letters.index(m.group(1))] if m.group(1) in letters else m.group(1),
                        local)
    if prim.arity == 2:
        return f"∂({names[0]} {prim.symbol} {names[1]})/∂{names[arg]} = {local}"
    return f"∂{prim.symbol}({', '.join(names)})/∂{names[arg]} = {local}"


def short_label(node: Node) -> str:
    """A node's name, or its op symbol in parentheses, for formulas like ``∂f/∂(×)``."""
    return node.name or (f"({node.prim.symbol})" if node.prim else number_text(node.data))


def expression_text(node: Node) -> str:
    """How a node is computed from its arguments, e.g. ``x + y`` or ``exp(a)``."""
    if node.prim is None:
        return "input" if node.requires_grad else "constant"
    args = [short_label(p) for p in node.parents]
    if len(args) == 2:
        return f"{args[0]} {node.prim.symbol} {args[1]}"
    return f"{node.prim.symbol}({', '.join(args)})"


def number_text(x: Any) -> str:
    """4 significant digits for numbers; the shape for arrays (they get a heatmap)."""
    if x is None:
        return ""
    if isinstance(x, Node):
        x = x.data
    if isinstance(x, np.ndarray) and x.size == 1:
        return format_number(x.item())
    if isinstance(x, np.ndarray) and x.ndim > 0:
        if x.size <= 3:
            return "[" + ", ".join(format_number(v, 3) for v in x.ravel()) + "]"
        return "[" + "×".join(str(s) for s in x.shape) + "]"
    return format_number(x)


def sum_text(incoming: Sequence[EdgeStep]) -> str | None:
    """How a fan-out node's gradient adds up, e.g. ``−4 + 3 = −1`` (None for one consumer)."""
    if len(incoming) < 2:
        return None
    parts = [number_text(e.contribution) for e in incoming]
    total = incoming[0].contribution
    for e in incoming[1:]:
        total = total + e.contribution
    text = parts[0] + "".join(f" − {p[1:]}" if p.startswith("-") else f" + {p}" for p in parts[1:])
    return f"{text} = {number_text(total)}".replace("-", "−")


def chain_text(edge: EdgeStep) -> str:
    """upstream × local = contribution, as numbers (shapes for big tensors; a constant local as one number)."""
    if edge.local is None:
        return f"{number_text(edge.upstream)} → {number_text(edge.contribution)}".replace("-", "−")
    times = "⊙" if np.ndim(edge.upstream) or np.ndim(edge.local) else "×"
    local = np.asarray(edge.local)
    if local.size > 1 and (local == local.flat[0]).all():  # "⊙ 1", not "⊙ [1, 1, 1]"
        local = local.flat[0]
    return (f"{number_text(edge.upstream)} {times} {number_text(local)} = "
            f"{number_text(edge.contribution)}").replace("-", "−")


# -- timelines ------------------------------------------------------------------------------------
@dataclass
class DisplayState:
    """Everything the canvas shows at one position of the animation."""

    position: int
    total: int
    phase: str
    """"start", "forward", "backward", "tangent" or "end"."""
    value_shown: np.ndarray
    grad_shown: np.ndarray
    edge_done: np.ndarray
    """Graph edges whose chain-rule contribution has been passed back."""
    tangent: list[Any] | None = None
    """Forward mode: the tangent of every node this pass has reached (None elsewhere)."""
    wrt: str | None = None
    """Forward mode: the input this pass differentiates by."""
    current: int | None = None
    current_edges: list[EdgeStep] = field(default_factory=list)
    sum_text: str | None = None
    caption: str = ""


class Timeline:
    """Reverse mode: the forward pass node by node, then backprop node by node.

    Position ``k`` means the first ``k`` steps have happened (0: nothing shown).
    """

    phase_names = ("forward", "backward")
    start_caption = "Press ▶| to run the forward pass node by node"

    def __init__(self, graph: Graph, output_name: str = "f"):
        self.graph = graph
        self.output_name = output_name
        n = len(graph)
        graph.zero_grad()
        self.forward_steps: list[Step] = graph.forward_trace()
        seed = None if graph.root.shape == () else np.ones(graph.root.shape)
        self.backward_steps: list[Step] = graph.backward_trace(seed)
        self.steps = self.forward_steps + self.backward_steps
        self.grads: list[Any] = [None] * n
        self.value_at = np.full(n, NEVER)
        self.grad_at = np.full(n, NEVER)
        for k, s in enumerate(self.forward_steps):
            self.value_at[s.index] = k + 1
        self.edge_key = {(p, c, a): k for k, (p, c, a) in enumerate(graph.edges)}
        """Graph edge (parent, child, arg) → its index in ``graph.edges``."""
        self.edge_at = np.full(len(self.edge_key), NEVER)
        self.contribution: list[Any] = [None] * len(self.edge_key)
        for k, s in enumerate(self.backward_steps, start=len(self.forward_steps) + 1):
            self.grads[s.index] = s.grad
            self.grad_at[s.index] = k
            for e in s.outgoing:
                j = self.edge_key[(e.parent, e.child, e.arg)]
                self.edge_at[j] = k
                self.contribution[j] = e.contribution
        self.fan_in_sums: dict[int, list[str]] = {}
        """Node → the fan-in sums (``−4 + 3 = −1``) shown at it during backprop."""
        for s in self.backward_steps:
            text = sum_text(s.incoming)
            if text:
                self.fan_in_sums.setdefault(s.index, []).append(text)
        self.tangents: dict[int, list[Any]] = {}
        """Forward mode: node → its tangent in every pass (empty in reverse mode)."""

    def __len__(self) -> int:
        return len(self.steps)

    def grad_name(self, i: int) -> str:
        """The slides' name for node ``i``'s gradient, e.g. ``∂f/∂q``."""
        return f"∂{self.output_name}/∂{short_label(self.graph.nodes[i])}"

    def explain(self, k: int) -> list[tuple[str, str]]:
        """Step ``k`` in words and numbers, as (colour role, line) pairs (the chain-rule card).

        Forward: ``q = x + y = 3``.  Backward: the node's gradient, how its
        consumers' contributions add up, and for every argument the local
        derivative (``∂q/∂x = ∂(x + y)/∂x = 1``) and the chain rule
        ``∂f/∂x ⟵ ∂f/∂q · ∂q/∂x`` with numbers.  Cheap: no display state is built.
        """
        if k <= 0:
            return [("text", self.start_caption)]
        step = self.steps[min(k, len(self.steps)) - 1]
        i = step.index
        node = self.graph.nodes[i]
        if step.kind == "forward":
            return [("value", f"{short_label(node)} = {expression_text(node)} = "
                              f"{number_text(node.data)}".replace("-", "−"))]
        lines = [("grad", f"{self.grad_name(i)} = {number_text(self.grads[i])}".replace("-", "−"))]
        total = sum_text(step.incoming)
        if total:
            lines.append(("grad", f"sum over its consumers: {total}"))
        for e in step.outgoing:
            parent = self.graph.nodes[e.parent]
            local = f"∂{short_label(node)}/∂{short_label(parent)}"
            sep = " =" if argument_names(node) else ":"
            lines.append(("text", f"{local}{sep} {derivative_formula(node, e.arg)}"))
            lines.append(("grad", f"{self.grad_name(e.parent)} ⟵ {self.grad_name(i)} · {local}"
                                  f" = {chain_text(e)}"))
        return lines

    def state(self, k: int) -> DisplayState:
        """What is on screen after ``k`` steps (clamped to the timeline)."""
        k = max(0, min(int(k), len(self.steps)))
        st = DisplayState(k, len(self.steps), self._phase(k), self.value_at <= k,
                          self.grad_at <= k, self.edge_at <= k)
        if k == 0:
            st.caption = self.start_caption
            return st
        step = self.steps[k - 1]
        st.current = step.index
        node = self.graph.nodes[step.index]
        if step.kind == "forward":
            st.caption = (f"forward {k}/{len(self.forward_steps)}: "
                          f"{short_label(node)} = {number_text(step.value)}")
        else:
            st.current_edges = list(step.outgoing)
            st.sum_text = sum_text(step.incoming)
            kb = k - len(self.forward_steps)
            st.caption = (f"backward {kb}/{len(self.backward_steps)}: "
                          f"{self.grad_name(step.index)} = {number_text(step.grad)}")
        return st

    def _phase(self, k: int) -> str:
        if k == 0:
            return "start"
        if k == len(self.steps):
            return "end"
        return "forward" if k <= len(self.forward_steps) else "backward"

    def pass_bounds(self) -> list[int]:
        """Positions where a pass starts or ends (for jumping between passes)."""
        return sorted({0, len(self.forward_steps), len(self.steps)})


class TangentTimeline(Timeline):
    """Forward mode: one pass per input, the tangent riding forward with every value."""

    start_caption = "Forward mode: one pass per input, the tangent rides along (green)"

    def __init__(self, graph: Graph, output_name: str = "f"):
        self.graph = graph
        self.output_name = output_name
        n = len(graph)
        self.wrt = [x.name or f"input {i}" for i, x in enumerate(graph.inputs)]
        self.passes = [graph.tangent_trace(x) for x in graph.inputs]
        self.steps = [s for p in self.passes for s in p]
        self.grads = [None] * n
        self.value_at = np.zeros(n, dtype=np.int64)  # forward mode computes values as it goes
        self.grad_at = np.full(n, NEVER)
        self.edge_key = {(p, c, a): k for k, (p, c, a) in enumerate(graph.edges)}
        self.edge_at = np.full(len(self.edge_key), NEVER)
        self.contribution = [None] * len(self.edge_key)
        self.fan_in_sums = {}
        self.tangents = {}
        for s in self.steps:
            self.tangents.setdefault(s.index, []).append(s.tangent)

    def state(self, k: int) -> DisplayState:
        """After ``k`` steps: the current pass's tangents for the nodes it has reached."""
        k = max(0, min(int(k), len(self.steps)))
        n = len(self.graph)
        st = DisplayState(k, len(self.steps), self._phase(k), np.ones(n, dtype=bool),
                          np.zeros(n, dtype=bool), np.zeros(len(self.edge_at), dtype=bool))
        if k == 0 or not self.passes:
            st.caption = self.start_caption
            return st
        p, r = divmod(k - 1, n)
        st.wrt = self.wrt[p]
        st.tangent = [s.tangent if j <= r else None for j, s in enumerate(self.passes[p])]
        st.current = self.passes[p][r].index
        node = self.graph.nodes[st.current]
        st.caption = (f"forward mode, pass {p + 1}/{len(self.passes)} (d/d{st.wrt}): "
                      f"d{short_label(node)}/d{st.wrt} = {number_text(st.tangent[r])}")
        return st

    def explain(self, k: int) -> list[tuple[str, str]]:
        """Forward mode at step ``k``: the value and its tangent, e.g. ``dq/dx = dx/dx + dy/dx = 1``."""
        if k <= 0 or not self.passes:
            return [("text", self.start_caption)]
        p, r = divmod(min(k, len(self.steps)) - 1, len(self.graph))
        step, wrt = self.passes[p][r], self.wrt[p]
        node = self.graph.nodes[step.index]
        t = number_text(step.tangent).replace("-", "−")
        rule = " + ".join(f"∂{short_label(node)}/∂{short_label(q)}·d{short_label(q)}/d{wrt}"
                          for q in node.parents if q.requires_grad)
        return [("value", f"{short_label(node)} = {expression_text(node)} = {number_text(node.data)}".replace("-", "−")),
                ("tangent", f"d{short_label(node)}/d{wrt} = {rule + ' = ' if rule else ''}{t}")]

    def _phase(self, k: int) -> str:
        return "start" if k == 0 else ("end" if k == len(self.steps) else "tangent")

    def pass_bounds(self) -> list[int]:
        n = len(self.graph)
        return [p * n for p in range(len(self.passes) + 1)]


def gradient_graph(graph: Graph, wrt: str | Node) -> Graph:
    """∂(output)/∂(wrt) recorded as a graph of its own (``create_graph=True``), to step through."""
    x = graph.find(wrt) if isinstance(wrt, str) else wrt
    (g,) = engine.grad(graph.root, [x], create_graph=True)
    g.name = f"∂f/∂{x.name}"
    return Graph(g, compiled=False)


def make_timeline(graph: Graph, mode: str, wrt: str | None = None) -> Timeline:
    """The timeline of one mode (see :data:`MODES`) over ``graph``."""
    if mode == "reverse":
        return Timeline(graph, graph.root.name or "f")
    if mode == "forward":
        return TangentTimeline(graph, graph.root.name or "f")
    if mode == "grad-graph":
        name = wrt or (graph.inputs[0].name if graph.inputs else None)
        return Timeline(gradient_graph(graph, name), "g")
    raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
