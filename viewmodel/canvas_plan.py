"""The canvas plan: where every node, edge and label of a graph goes, and what each label says.

The graph canvas only paints what this plan says.  Layers and slots are spaced
by the size of the labels they will carry, so no text overlaps another or a
node; text is measured by a function passed in (``measure(text, font)`` →
(width, height) in scene units, the canvas hands in its Qt font metrics), so the
plan runs and is tested without Qt.  A font is ``(scale, bold)``: the canvas
draws it at ``scale × FONT_PX`` scene units.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator

import numpy as np

from viewmodel.geometry import Rect, centred_rect, curve_controls, free_y, merged_spans, straight
from viewmodel.groups import ViewGraph
from viewmodel.label_placement import LabelRequest, place_labels
from viewmodel.layout import column_x, layered_layout
from viewmodel.text import minus, number_text, short_label
from viewmodel.thumbnails import thumb_size
from viewmodel.timeline import DisplayState, Timeline
from viewmodel.value_format import value_lines

Font = tuple[float, bool]
"""(scale of FONT_PX, bold)."""
Measure = Callable[[str, Font], tuple[float, float]]
"""(width, height) of a text in a font, in scene units."""

R = 24.0
"""Radius of a gate's circle, in scene units."""
FONT_PX = 22
"""Label size in scene units; the view scales it (fit-to-view caps the zoom)."""
HEAT = 56.0
"""Long side of a tensor's heatmap thumbnail (the short side is at least half of it)."""
GAP = 14.0
"""Free space between two nodes' label blocks, in scene units."""
NUMBER: Font = (0.9, True)
"""Values, gradients and tangents."""
EDGE_LABEL: Font = (0.8, True)
"""The contribution written on an edge, and the fan-in sum."""
BOX_NAME: Font = (0.8, True)
"""A collapsed group's name and a tensor's name."""
LEAF_NAME: Font = (0.8, False)
SHAPE: Font = (0.8, False)
"""A tensor's shape under its name."""
SYMBOL: Font = (1.0, True)
"""A gate's op symbol."""
FONTS = (NUMBER, EDGE_LABEL, BOX_NAME, LEAF_NAME, SHAPE, SYMBOL)
"""Every font the plan writes in."""


def font_px(font: Font) -> int:
    """The pixel size of a plan font at zoom 1 (the canvas's QFonts have exactly this size)."""
    return max(1, int(FONT_PX * font[0]))


SMALLEST_PX = min(font_px(f) for f in FONTS)
"""The smallest text on the canvas at zoom 1: the zoom that keeps text ≥ N px is N / SMALLEST_PX."""
ARROW = 22.0
"""Room for the arrowhead (14) and a margin between two columns."""


FLOW_RANGE = (1e-4, 10.0)
"""The fixed logarithmic scale of edge width and colour: |x| at or below the first is the thinnest
flow, at or above the second the widest (saturated); the same for every graph, never rescaled."""
FLOW_TICKS = {"0.001": 1e-3, "0.01": 1e-2, "0.1": 0.1, "1": 1.0, "≥10": 10.0}
"""Magnitudes the canvas's legend shows, by their text."""


def flow_level(magnitude: float) -> float:
    """0..1: where ``magnitude`` (> 0) sits on the fixed log scale :data:`FLOW_RANGE`."""
    lo, hi = np.log10(FLOW_RANGE)
    return float(np.clip((np.log10(magnitude) - lo) / (hi - lo), 0.0, 1.0))


def _largest(x: Any) -> float:
    """The largest |entry| of a number or array (0 for None)."""
    return 0.0 if x is None else float(np.max(np.abs(np.asarray(x, dtype=float)))) if np.size(x) else 0.0


@dataclass
class NodeText:
    """What the canvas writes at a node: value (blue), gradient (vermillion), tangent (green)."""

    value: str | None = None
    grad: str | None = None
    tangent: str | None = None
    sum: str | None = None


def is_array(x: Any) -> bool:
    """Arrays of more than one number are drawn as heatmaps, the rest as numbers."""
    return isinstance(x, np.ndarray) and x.size > 1


ROUTE_BUDGET = 5000
"""Most skipped columns, summed over all edges, that get routed around nodes: a flat sum of n terms
skips ~n²/2 columns (22 s on the GUI thread at n = 2,000), so past this every edge is one S-curve
(such a graph is drawn collapsed or followed at the text floor anyway)."""


class CanvasPlan:
    """The drawing of one timeline's graph (possibly collapsed, see ``view``) in scene units.

    ``pos[v]`` is visual node ``v``'s centre, ``half[v]`` its shape's half size,
    ``ends[k]`` edge ``k``'s end points (x0, y0, x1, y1), ``bow[k]`` how far it
    arcs up over the layers it skips, ``boxes`` every shape and largest label block.
    """

    def __init__(self, timeline: Timeline, view: ViewGraph, measure: Measure):
        self.timeline, self.view, self.measure = timeline, view, measure
        nodes = timeline.graph.nodes
        self.tensor = np.array([is_array(nodes[i].data) for i in view.rep], dtype=bool)
        """Visual nodes drawn with heatmaps."""
        self.value_text = [number_text(n.data) for n in nodes]
        self.grad_text = [number_text(g) for g in timeline.grads]
        self._place_nodes()
        e = view.edges
        self.ends = np.column_stack([self.pos[e[:, 0], 0] + self.half[e[:, 0], 0], self.pos[e[:, 0], 1],
                                     self.pos[e[:, 1], 0] - self.half[e[:, 1], 0], self.pos[e[:, 1], 1]])
        n = len(self.view)
        spans = np.column_stack([self.boxes[n:2 * n, 1], self.boxes[2 * n:, 3]])
        self._column_blocks = [merged_spans(spans[self.layer == L], GAP)
                               for L in range(int(self.layer.max()) + 1 if n else 0)]
        """Per layer, the heights its nodes and their labels take (GAP added around), merged."""
        skipped = int(np.maximum(self.layer[e[:, 1]] - self.layer[e[:, 0]] - 1, 0).sum()) if len(e) else 0
        route = self._route if skipped <= ROUTE_BUDGET else self._direct
        self.routes = [route(k) for k in range(len(e))]
        """Each visual edge's path, (m, 4, 2) Bézier segments: level inside a column (at its ends' height,
        or where a skipped column is free), S-curves only in the empty gaps between columns, so an edge
        never runs through a node or its labels."""
        hulls = [r.reshape(-1, 2) for r in self.routes]  # a Bézier path lies inside its control points' box
        self.edge_box = np.array([[*h.min(axis=0), *h.max(axis=0)] for h in hulls]).reshape(-1, 4)
        """(x0, y0, x1, y1) around every edge's path."""
        self.round = np.array([nodes[i].prim is not None and view.group[v] is None and not self.tensor[v]
                               for v, i in enumerate(view.rep.tolist())], dtype=bool)
        """Visual nodes drawn as circles (gates); the rest are rounded boxes."""

    def __len__(self) -> int:
        return len(self.view)

    # -- text boxes -----------------------------------------------------------------------------
    def text_rect(self, text: str, font: Font, x: float, y: float, anchor: int) -> Rect:
        """Where ``text`` goes, centred at x; anchor −1: bottom at y, 0: centred on y, 1: top at y."""
        w, h = self.measure(text, font)
        return Rect(x - w / 2, y - h * (1 - anchor) / 2, w, h)

    def label_rect(self, text: str, x: float = 0.0, y: float = 0.0) -> Rect:
        """The rounded patch of an edge label or fan-in sum centred at (x, y)."""
        w, h = self.measure(text, EDGE_LABEL)
        return centred_rect(w + 10, h + 2, x, y)

    # -- what is shown at a step ------------------------------------------------------------------
    def displayed(self, i: int, state: DisplayState | None) -> NodeText:
        """The texts drawn at graph node ``i`` in ``state`` (empty when inside a collapsed box)."""
        v = int(self.view.owner[i])
        if self.view.rep[v] != i or state is None:
            return NodeText()
        out = NodeText()
        if state.value_shown[i]:
            out.value = self.value_text[i]
        if state.grad_shown[i]:
            out.grad = self.grad_text[i]
        if state.tangent is not None and state.tangent[i] is not None:
            out.tangent = number_text(state.tangent[i])
        if state.current == i:
            out.sum = state.sum_text
        return out

    def labels(self, v: int, state: DisplayState | None) -> Iterator[tuple[str, Rect, Any]]:
        """What visual node ``v`` shows in ``state`` beside its shape: (kind, scene rect, text or image key).

        Kinds: "value", "name" (a gate's name before its value), "grad", "tangent",
        "heat-value", "heat-grad" and "sum".  Painting and the overlap tests both use this.
        """
        i = int(self.view.rep[v])
        node = self.timeline.graph.nodes[i]
        shown = self.displayed(i, state)
        px, py = self.pos[v]
        hw, hh = self.half[v]
        top, bottom = py - hh - 2, py + hh + 2
        array = bool(self.tensor[v])
        if shown.value is not None and array:
            w, h = thumb_size(node.shape, HEAT)
            yield "heat-value", Rect(px - w / 2, top - h, w, h), ("value", i)
        elif shown.value is not None:
            yield "value", self.text_rect(self._value_label(v), NUMBER, px, top, -1), self._value_label(v)
        elif self._named_gate(v) and not array:
            yield "name", self.text_rect(self.name(i), NUMBER, px, top, -1), self.name(i)
        if shown.tangent is not None:
            rect = self.text_rect(minus(shown.tangent), NUMBER, px, bottom, 1)
            yield "tangent", rect, minus(shown.tangent)
            bottom = rect.bottom + 2
        elif shown.grad is not None and array:
            w, h = thumb_size(node.shape, HEAT)
            yield "heat-grad", Rect(px - w / 2, bottom, w, h), ("grad", i)
            bottom += h + 2
        elif shown.grad is not None:
            rect = self.text_rect(minus(shown.grad), NUMBER, px, bottom, 1)
            yield "grad", rect, minus(shown.grad)
            bottom = rect.bottom + 2
        if shown.sum and not array:
            rect = self.label_rect(shown.sum)
            yield "sum", rect.translated(px, bottom - rect.top), shown.sum

    def shape_texts(self, v: int) -> list[tuple[str, str, Font, int]]:
        """What is written inside visual node ``v``'s shape: (colour role, text, font, anchor) at its centre.

        A box shows its group's name; a tensor its name over its shape; a gate its op
        symbol; a leaf its name.
        """
        i = int(self.view.rep[v])
        node = self.timeline.graph.nodes[i]
        group = self.view.group[v]
        if group is not None:
            return [("text", group.name, BOX_NAME, 0)]
        if self.tensor[v]:
            return [("text", self.name(i), BOX_NAME, -1), ("muted", "×".join(map(str, node.shape)), SHAPE, 1)]
        if node.prim is not None:
            return [("text", node.prim.symbol, SYMBOL, 0)]
        return [("text", self.name(i), LEAF_NAME, 0)]

    def dashed(self, v: int) -> bool:
        """Boxes and constants get a dashed outline."""
        node = self.timeline.graph.nodes[int(self.view.rep[v])]
        return self.view.group[v] is not None or (node.prim is None and not node.requires_grad)

    def flow(self, state: DisplayState) -> tuple[str, np.ndarray]:
        """What the edges carry at ``state`` and how much: (colour role, |x| per visual edge, NaN where
        nothing has flowed yet, 0 for a zero).  Backward: the gradient contributions passed back;
        forward mode: the argument's tangent; the forward pass: the argument's value."""
        e = self.timeline.graph.edges
        mags = np.full(len(self.view.edges), np.nan)
        if state.tangent is not None:
            role = "tangent"
            rows = [(j, _largest(state.tangent[p])) for j, (p, c, _) in enumerate(e) if state.tangent[c] is not None]
        elif state.edge_done.any():
            role = "grad"
            rows = [(j, _largest(self.timeline.contribution[j])) for j in np.flatnonzero(state.edge_done).tolist()]
        else:
            role = "value"
            nodes = self.timeline.graph.nodes
            rows = [(j, _largest(nodes[p].data)) for j, (p, c, _) in enumerate(e) if state.value_shown[c]]
        for j, mag in rows:
            k = int(self.view.edge_of[j])
            if k >= 0:
                mags[k] = mag if np.isnan(mags[k]) else max(mags[k], mag)
        return role, mags

    def current_edges(self, state: DisplayState) -> list[tuple[int, Any]]:
        """(visual edge, contribution) of every edge the current gate sends gradient along now."""
        out = []
        for es in state.current_edges:
            k = int(self.view.edge_of[self.timeline.edge_key[(es.parent, es.child, es.arg)]])
            if k >= 0:
                out.append((k, es.contribution))
        return out

    def edge_labels(self, state: DisplayState | None) -> list[tuple[Rect, str]]:
        """Backward: where each scalar contribution now sent along an edge is written, clear of every
        label block (array contributions are told by the heatmaps and the card)."""
        if state is None:
            return []
        requests = []
        for k, contribution in self.current_edges(state):
            if np.size(contribution) != 1:
                continue
            text = minus(number_text(contribution))
            patch = self.label_rect(text)
            requests.append(LabelRequest(text, patch.width, patch.height, self.label_segment(k)))
        return place_labels(self.boxes, requests)

    def drawn_boxes(self, state: DisplayState | None) -> list[tuple[str, Rect]]:
        """Every text, thumbnail and node shape on screen in ``state``, in scene coordinates (for tests)."""
        boxes: list[tuple[str, Rect]] = []
        for v in range(len(self.view)):
            hw, hh = self.half[v]
            boxes.append(("node", Rect(self.pos[v, 0] - hw, self.pos[v, 1] - hh, 2 * hw, 2 * hh)))
            boxes += [(kind, rect) for kind, rect, _ in self.labels(v, state)]
        boxes += [("edge", rect) for rect, _ in self.edge_labels(state)]
        return boxes

    def tooltip(self, i: int, state: DisplayState | None) -> str:
        """Full value and gradient of graph node ``i`` (as far as ``state`` has revealed them)."""
        node = self.timeline.graph.nodes[i]
        lines = [f"{self.name(i)}  ({node.op}, shape {tuple(node.shape)})"]
        if state is not None and state.value_shown[i]:
            lines += ["value:", *value_lines(node.data, 6)]
        if state is not None and state.grad_shown[i]:
            lines += [f"{self.timeline.grad_name(i)}:", *value_lines(self.timeline.grads[i], 6)]
        return "\n".join(lines)

    # -- geometry queries ------------------------------------------------------------------------
    def route(self, k: int) -> np.ndarray:
        """The (m, 4, 2) Bézier segments of visual edge ``k``."""
        return self.routes[k]

    def label_segment(self, k: int) -> np.ndarray:
        """The S-curve of edge ``k`` in the gap before its child's column, where the layout left room
        for its contribution label."""
        route = self.routes[k]
        tail = route[-1]  # a level segment into the child, when the child is narrower than its column
        return route[-2] if len(route) > 1 and tail[0, 1] == tail[3, 1] and tail[0, 0] >= self.col_left[
            self.layer[self.view.edges[k, 1]]] - 1e-9 else tail

    def node_at(self, x: float, y: float) -> int | None:
        """The visual node under the scene point (x, y), or None."""
        if not len(self.pos):
            return None
        d = np.abs(self.pos - (x, y)) - self.half
        inside = np.flatnonzero((d <= 0).all(axis=1))
        return int(inside[0]) if len(inside) else None

    def bounds(self) -> Rect:
        """The scene rectangle holding every node, its labels and the arcs of long edges."""
        if not len(self.pos):
            return Rect(0, 0, 1, 1)
        box = self.boxes
        x0, y0, x1, y1 = box[:, 0].min(), box[:, 1].min(), box[:, 2].max(), box[:, 3].max()
        if len(self.edge_box):
            x0, y0 = min(x0, self.edge_box[:, 0].min()), min(y0, self.edge_box[:, 1].min())
            x1, y1 = max(x1, self.edge_box[:, 2].max()), max(y1, self.edge_box[:, 3].max())
        return Rect(float(x0) - 12, float(y0) - 12, float(x1 - x0) + 24, float(y1 - y0) + 24)

    def nodes_in(self, rect: Rect) -> np.ndarray:
        """Visual nodes whose centre lies in ``rect``."""
        x, y = self.pos[:, 0], self.pos[:, 1]
        return np.flatnonzero((x >= rect.left) & (x <= rect.right) & (y >= rect.top) & (y <= rect.bottom))

    def edges_in(self, rect: Rect) -> np.ndarray:
        """Visual edges that may pass through ``rect`` (their end points' box and arc)."""
        if not len(self.ends):
            return np.zeros(0, dtype=bool)
        x0, y0, x1, y1 = self.edge_box.T
        return ((x1 >= rect.left) & (x0 <= rect.right)
                & (y1 >= rect.top) & (y0 <= rect.bottom))

    def column_spacing(self) -> float:
        """The smallest distance between two columns (150 for a one-column graph)."""
        xs = np.unique(self.pos[:, 0])
        return float(np.diff(xs).min()) if len(xs) > 1 else 150.0

    # -- placing ---------------------------------------------------------------------------------
    def _place_nodes(self) -> None:
        """Shapes, label blocks and positions: layers and slots spaced by the labels they carry."""
        n = len(self.view)
        self.half = np.array([self._half_size(v) for v in range(n)]).reshape(-1, 2)
        top = np.array([self._top_block(v) for v in range(n)]).reshape(-1, 2)
        low = np.array([self._low_block(v) for v in range(n)]).reshape(-1, 2)
        above = self.half[:, 1] + 2 + top[:, 1] + GAP / 2
        below = self.half[:, 1] + 2 + low[:, 1] + GAP / 2
        e = self.view.edges
        layout = layered_layout(n, e, above=above, below=below)
        self.layer = layout.layer
        half = np.maximum(self.half[:, 0], np.maximum(top[:, 0], low[:, 0]) / 2)
        n_layers = layout.n_layers
        label = np.zeros(max(n_layers - 1, 0))  # room for the widest contribution label in each gap
        for k, w in self._edge_label_widths().items():
            gap = int(layout.layer[e[k, 1]]) - 1
            label[gap] = max(label[gap], w)
        widest_shape = np.zeros(n_layers)
        np.maximum.at(widest_shape, layout.layer, self.half[:, 0])
        widest = np.zeros(n_layers)
        np.maximum.at(widest, layout.layer, half)
        need = widest_shape[:-1] + widest_shape[1:] + label + ARROW
        gap = np.maximum(np.maximum(GAP, need - widest[:-1] - widest[1:]), np.where(label > 0, label + 6, 0))
        """Columns are apart by room for their widest contribution label between the label blocks."""
        x = column_x(layout.layer, half, gap)
        self.pos = np.column_stack([x[layout.layer], layout.slot]).astype(float)
        self.col_left, self.col_right = x - widest, x + widest
        """Each layer's column: its widest node or label block either side of its centre."""
        px, py = self.pos[:, 0], self.pos[:, 1]
        hw, hh = self.half[:, 0], self.half[:, 1]
        self.boxes = np.concatenate([  # every node's shape and the largest label blocks it will show
            np.column_stack([px - hw, py - hh, px + hw, py + hh]),
            np.column_stack([px - top[:, 0] / 2, py - hh - 2 - top[:, 1], px + top[:, 0] / 2, py - hh]),
            np.column_stack([px - low[:, 0] / 2, py + hh, px + low[:, 0] / 2, py + hh + 2 + low[:, 1]])])

    def _direct(self, k: int) -> np.ndarray:
        """Edge ``k`` as one S-curve from end to end (graphs past :data:`ROUTE_BUDGET`)."""
        x0, y0, x1, y1 = self.ends[k].tolist()
        return np.array([curve_controls(x0, y0, x1, y1)], dtype=float)

    def _route(self, k: int) -> np.ndarray:
        """Edge ``k``'s path: out of the parent level to its column's edge, across each skipped column
        at the free height nearest the straight line, into the child level (see ``routes``)."""
        a, b = self.view.edges[k]
        first, last = int(self.layer[a]), int(self.layer[b])
        x0, y0, x1, y1 = self.ends[k].tolist()
        segs = [straight(x0, y0, self.col_right[first], y0)] if self.col_right[first] > x0 else []
        x, y = max(x0, float(self.col_right[first])), y0
        for L in range(first + 1, last):
            yl = free_y(self._column_blocks[L], y0 + (y1 - y0) * (L - first) / (last - first))
            segs += [curve_controls(x, y, self.col_left[L], yl), straight(self.col_left[L], yl, self.col_right[L], yl)]
            x, y = float(self.col_right[L]), yl
        segs.append(curve_controls(x, y, min(x1, float(self.col_left[last])), y1))
        if x1 > self.col_left[last]:
            segs.append(straight(self.col_left[last], y1, x1, y1))
        return np.array(segs, dtype=float)

    def _half_size(self, v: int) -> tuple[float, float]:
        i = int(self.view.rep[v])
        node = self.timeline.graph.nodes[i]
        if self.view.group[v] is not None:
            return (max(2 * R, self.measure(self.view.group[v].name, BOX_NAME)[0] / 2 + 12), R * 1.1)
        if self.tensor[v]:
            return (max(R * 1.5, self.measure(self.name(i), BOX_NAME)[0] / 2 + 8), R * 1.05)
        if node.prim is None:
            return (max(R, self.measure(self.name(i), LEAF_NAME)[0] / 2 + 8), R * 0.8)
        return (max(R, self.measure(node.prim.symbol, SYMBOL)[0] / 2 + 8), R)

    def name(self, i: int) -> str:
        """Graph node ``i``'s label: its name or the lecture's notation (``viewmodel.text.node_names``)."""
        return short_label(self.timeline.graph.nodes[i], self.timeline.names)

    def _named_gate(self, v: int) -> bool:
        node = self.timeline.graph.nodes[self.view.rep[v]]
        return bool(node.prim is not None and self.view.group[v] is None)

    def _value_label(self, v: int) -> str:
        """The value above a node; a named gate's as on the slides, ``q = 3``."""
        i = int(self.view.rep[v])
        text = minus(self.value_text[i])
        return f"{self.name(i)} = {text}" if self._named_gate(v) else text

    def _top_block(self, v: int) -> tuple[float, float]:
        """(width, height) of the largest thing drawn above node ``v``."""
        if self.tensor[v]:
            return thumb_size(self.timeline.graph.nodes[self.view.rep[v]].shape, HEAT)
        return self.measure(self._value_label(v), NUMBER)

    def _low_block(self, v: int) -> tuple[float, float]:
        """(width, height) of the largest things drawn below node ``v``: gradient or tangent, fan-in sum."""
        i = int(self.view.rep[v])
        lows = [minus(self.grad_text[i])] + [minus(number_text(t)) for t in self.timeline.tangents.get(i, [])]
        sizes = [self.measure(t, NUMBER) for t in lows if t]
        if self.tensor[v] and self.timeline.grads[i] is not None:
            sizes.append(thumb_size(self.timeline.graph.nodes[i].shape, HEAT))
        w, h = max(sizes, default=(0.0, 0.0))[0], max((s[1] for s in sizes), default=0.0)
        sums = [self.label_rect(s) for s in self.timeline.fan_in_sums.get(i, [])] if not self.tensor[v] else []
        if sums:
            w, h = max(w, max(r.width for r in sums)), h + 2 + max(r.height for r in sums)
        return w, h

    def _edge_label_widths(self) -> dict[int, float]:
        """Visual edge → width of the widest scalar contribution label it will carry."""
        widths: dict[int, float] = {}
        for j, c in enumerate(self.timeline.contribution):
            k = int(self.view.edge_of[j])
            if c is not None and k >= 0 and np.size(c) == 1:
                widths[k] = max(widths.get(k, 0.0), self.label_rect(minus(number_text(c))).width)
        return widths
