"""What the graph explorer shows at step k: a :class:`Timeline` per differentiation mode.

A timeline turns an engine trace into per-node "revealed at" positions, so the
display at any step is *derived* from the step index (``state(k)``): stepping
back restores the earlier picture exactly, and jumping is as cheap as stepping.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

import engine
from engine import EdgeStep, Graph, Node, Step
from viewmodel.text import (argument_names, chain_text, derivative_formula, expression_text, number_text,
                            node_names, short_label, sum_text)

NEVER = np.iinfo(np.int64).max
"""Position of something a timeline never reveals."""

MODES = ("reverse", "forward", "grad-graph")
"""Reverse mode (forward pass then backprop), forward mode (one tangent pass per
input) and the gradient-as-a-graph view (backprop through ∂f/∂x itself)."""


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


def _names(graph: Graph, output_name: str) -> dict[int, str]:
    """The graph's labels (:func:`viewmodel.text.node_names`); an unnamed output is ``output_name``, as in ∂f/∂x."""
    names = node_names(graph.nodes)
    if not graph.root.name and output_name not in names.values():
        names[id(graph.root)] = output_name
    return names


class Timeline:
    """Reverse mode: the forward pass node by node, then backprop node by node.

    Position ``k`` means the first ``k`` steps have happened (0: nothing shown).
    """

    phase_names = ("forward", "backward")
    start_caption = "Nothing computed yet: the forward pass goes node by node"

    def __init__(self, graph: Graph, output_name: str = "f"):
        self.graph = graph
        self.output_name = output_name
        n = len(graph)
        self.names = _names(graph, output_name)
        """Every node's label (``id(node)`` → name), the same on the canvas, the card and the inspector."""
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
        return f"∂{self.output_name}/∂{short_label(self.graph.nodes[i], self.names)}"

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
            return [("value", f"{short_label(node, self.names)} = {expression_text(node, self.names)} = "
                              f"{number_text(node.data)}".replace("-", "−"))]
        lines = [("grad", f"{self.grad_name(i)} = {number_text(self.grads[i])}".replace("-", "−"))]
        total = sum_text(step.incoming)
        if total:
            lines.append(("grad", f"sum over its consumers: {total}"))
        for e in step.outgoing:
            parent = self.graph.nodes[e.parent]
            local = f"∂{short_label(node, self.names)}/∂{short_label(parent, self.names)}"
            sep = " =" if argument_names(node, self.names) else ":"
            lines.append(("text", f"{local}{sep} {derivative_formula(node, e.arg, self.names)}"))
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
                          f"{short_label(node, self.names)} = {number_text(step.value)}")
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
        self.names = _names(graph, output_name)
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
                      f"d{short_label(node, self.names)}/d{st.wrt} = {number_text(st.tangent[r])}")
        return st

    def explain(self, k: int) -> list[tuple[str, str]]:
        """Forward mode at step ``k``: the value and its tangent, e.g. ``dq/dx = dx/dx + dy/dx = 1``,
        then what every earlier pass found for the output (``pass 1: df/dx = 2``), so no pass is lost."""
        if k <= 0 or not self.passes:
            return [("text", self.start_caption)]
        p, r = divmod(min(k, len(self.steps)) - 1, len(self.graph))
        step, wrt = self.passes[p][r], self.wrt[p]
        node = self.graph.nodes[step.index]
        t = number_text(step.tangent).replace("-", "−")
        name = short_label(node, self.names)
        rule = " + ".join(f"∂{name}/∂{short_label(q, self.names)}·d{short_label(q, self.names)}/d{wrt}"
                          for q in node.parents if q.requires_grad)
        value = f"{name} = {expression_text(node, self.names)} = {number_text(node.data)}".replace("-", "−")
        earlier = [("tangent", f"pass {q + 1}: d{short_label(self.graph.root, self.names)}/d{self.wrt[q]} = "
                               f"{number_text(self.passes[q][-1].tangent)}".replace("-", "−")) for q in range(p)]
        return [("value", value), ("tangent", f"d{name}/d{wrt} = {rule + ' = ' if rule else ''}{t}")] + earlier

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
