"""The graph canvas: a computational graph drawn left to right, values above, gradients below.

One ``QGraphicsItem`` paints what changes from step to step (revealed numbers,
gradient-coloured edges, the current gate); the edges and node shapes, which
never change, are painted into the view's cached background, so a step costs
one cheap repaint even on thousands of nodes.  Layers and slots are spaced by
the size of the labels they will carry, so no text overlaps another or a node.
The chain-rule card is docked under the viewport (:mod:`widgets.chain_rule_card`)
and never covers the graph.  The canvas draws what the explorer model computed:
a :class:`~app.explorer_model.Timeline` and a :class:`~app.explorer_model.DisplayState`;
it never differentiates anything itself.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen, QPolygonF,
                           QStaticText, QTransform)
from PySide6.QtWidgets import (QGraphicsItem, QGraphicsScene, QGraphicsView, QStyleOptionGraphicsItem,
                               QToolTip, QWidget)

from app.explorer_model import DisplayState, Timeline, ViewGraph, number_text
from app.value_format import value_lines
from widgets.chain_rule_card import ChainRuleCard
from widgets.heatmap import heatmap_image, thumb_size
from widgets.layout import column_x, layered_layout
from widgets.theme import LIGHT, Theme

R = 24.0
"""Radius of a gate's circle, in scene units."""
FONT_PX = 22
"""Label size in scene units; the view scales it (fit-to-view caps the zoom at MAX_FIT)."""
MAX_FIT = 1.8
HEAT = 56.0
"""Long side of a tensor's heatmap thumbnail (the short side is at least half of it)."""
MIN_TEXT_PX = 6.0
"""Below this on-screen size, labels are not drawn (level of detail)."""
CURVE_LIMIT = 600
"""With more visible edges than this, edges are straight lines drawn in one call."""
GAP = 14.0
"""Free space between two nodes' label blocks, in scene units."""
NUMBER = (0.9, True)
"""Font (scale, bold) of values, gradients and tangents."""
EDGE_LABEL = (0.8, True)
"""Font of the contribution written on an edge, and of the fan-in sum."""
LABEL_AT = sorted(np.linspace(0.1, 0.9, 17).tolist(), key=lambda t: abs(t - 0.45))
"""Where along its edge a contribution label is tried, nearest the middle first."""
CARD_SAMPLES = 400
CARD_SHARE = 0.45
"""The most of the canvas's height the card's strip takes."""
"""Steps whose chain-rule card is measured when sizing the card's strip."""


@dataclass
class NodeText:
    """What the canvas writes at a node: value (blue), gradient (vermillion), tangent (green)."""

    value: str | None = None
    grad: str | None = None
    tangent: str | None = None
    sum: str | None = None


def _is_array(x: Any) -> bool:
    """Arrays of more than one number are drawn as heatmaps, the rest as numbers."""
    return isinstance(x, np.ndarray) and x.size > 1


def _minus(text: str) -> str:
    return text.replace("-", "−")


def _overlaps(boxes: np.ndarray, r: QRectF) -> bool:
    """Whether any (x0, y0, x1, y1) row of ``boxes`` intersects ``r``."""
    return bool(np.any((boxes[:, 0] < r.right()) & (boxes[:, 2] > r.left())
                       & (boxes[:, 1] < r.bottom()) & (boxes[:, 3] > r.top())))


class GraphCanvas(QGraphicsView):
    """Zoom (wheel), pan (drag), fit (``fit()``/F), hover for full numbers, click to inspect."""

    node_clicked = Signal(int)
    """A graph node index when a node is clicked, −1 for the background."""
    node_double_clicked = Signal(int)
    """A graph node index, when a node (or a collapsed box) is double-clicked."""

    def __init__(self, theme: Theme = LIGHT, parent: QWidget | None = None):
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self._item = _GraphItem(self)
        self.scene().addItem(self._item)
        self.card = ChainRuleCard(self)
        self.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self.setDragMode(QGraphicsView.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.FullViewportUpdate)
        self.setCacheMode(QGraphicsView.CacheBackground)
        self.setMouseTracking(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.theme = theme
        self.timeline: Timeline | None = None
        self.view: ViewGraph | None = None
        self.state: DisplayState | None = None
        self.pos = np.zeros((0, 2))
        self.explain_lines: list[tuple[str, str]] = []
        self._card_samples: list[list[tuple[str, str]]] = []
        self._card_height = 0
        self._fonts: dict[tuple[float, bool], QFont] = {}
        self._static: dict[tuple[str, tuple[float, bool]], QStaticText] = {}
        self._metrics: dict[tuple[float, bool], QFontMetricsF] = {}
        self.set_theme(theme)

    # -- data in --------------------------------------------------------------------------
    def set_graph(self, timeline: Timeline, view: ViewGraph) -> None:
        """Lay out ``view`` (a possibly collapsed drawing of ``timeline.graph``) and show step 0."""
        self.timeline, self.view = timeline, view
        nodes = timeline.graph.nodes
        self._tensor = np.array([_is_array(nodes[i].data) for i in view.rep], dtype=bool)
        self._value_text = [number_text(n.data) for n in nodes]
        self._grad_text = [number_text(g) for g in timeline.grads]
        self._heat_cache: dict[tuple[str, int], Any] = {}
        self._place_nodes()
        self._magnitude = self._edge_magnitudes()
        e = view.edges
        self._ends = np.column_stack([self.pos[e[:, 0], 0] + self._half[e[:, 0], 0], self.pos[e[:, 0], 1],
                                      self.pos[e[:, 1], 0] - self._half[e[:, 1], 0], self.pos[e[:, 1], 1]])
        self._lines = [QLineF(*row) for row in self._ends.tolist()]
        span = self._layer[e[:, 1]] - self._layer[e[:, 0]] if len(e) else np.zeros(0)
        self._bow = np.where(span > 1, 0.5 * self._row, 0.0)
        """Edges skipping a layer arc upwards, so they do not run through the nodes in between."""
        round_gate = np.array([nodes[i].prim is not None and view.group[v] is None and not self._tensor[v]
                               for v, i in enumerate(view.rep.tolist())], dtype=bool)
        self._round = round_gate
        self._dots = {kind: QPolygonF([QPointF(x, y) for x, y in self.pos[sel].tolist()])
                      for kind, sel in (("round", round_gate), ("square", ~round_gate))}
        self._item.prepare()
        self.resetCachedContent()
        self._card_samples = [timeline.explain(int(k)) for k in
                              np.unique(np.linspace(0, len(timeline), min(len(timeline) + 1, CARD_SAMPLES)).round())]
        self._card_height = 0
        self._reserve_card()
        self.show_state(timeline.state(0))
        self.fit()

    def show_state(self, state: DisplayState) -> None:
        """Show the animation at ``state`` (derived from the step index by the model)."""
        self.state = state
        self.explain_lines = self.timeline.explain(state.position) if self.timeline else []
        self.card.set_lines(self.explain_lines)
        if self.card.height_for(self.explain_lines, self.card.width()) > self._card_height:
            self._card_samples.append(self.explain_lines)  # a step the samples missed: grow the strip
            if self._reserve_card():
                self.fit()
            else:
                self._card_samples.pop()
        vis_done = np.zeros(len(self.view.edges), dtype=bool)
        sel = state.edge_done & (self.view.edge_of >= 0)
        vis_done[self.view.edge_of[sel]] = True
        self._vis_done = vis_done
        self._edge_labels = self._place_edge_labels()
        self._item.update()
        self.viewport().update()

    def set_theme(self, theme: Theme) -> None:
        """Recolour with a :mod:`widgets.theme` palette (the card's font follows its size)."""
        self.theme = theme
        self.card.theme = theme
        self.colours = {k: QColor(getattr(theme, k)) for k in (
            "background", "panel", "text", "muted", "node_fill", "node_border", "edge", "value", "grad",
            "tangent", "highlight")}
        """The theme's colours as QColor, made once per theme rather than per node."""
        self.setBackgroundBrush(self.colours["background"])
        self._heat_cache = {}
        self.resetCachedContent()
        if self._card_samples:
            self._card_height = 0
            self._reserve_card()
        self.card.update()
        self._item.update()
        self.viewport().update()

    # -- what is drawn, for painting and for tests ---------------------------------------------
    def displayed(self, i: int) -> NodeText:
        """The texts drawn at graph node ``i`` now (empty when inside a collapsed box)."""
        v = int(self.view.owner[i])
        if self.view.rep[v] != i or self.state is None:
            return NodeText()
        st = self.state
        out = NodeText()
        if st.value_shown[i]:
            out.value = self._value_text[i]
        if st.grad_shown[i]:
            out.grad = self._grad_text[i]
        if st.tangent is not None and st.tangent[i] is not None:
            out.tangent = number_text(st.tangent[i])
        if st.current == i:
            out.sum = st.sum_text
        return out

    def labels(self, v: int) -> Iterator[tuple[str, QRectF, Any]]:
        """What visual node ``v`` shows now beside its shape: (kind, scene rect, text or image key).

        Kinds: "value", "name" (a gate's name before its value), "grad", "tangent",
        "heat-value", "heat-grad" and "sum".  Painting and the overlap tests both use this.
        """
        i = int(self.view.rep[v])
        node = self.timeline.graph.nodes[i]
        shown = self.displayed(i)
        px, py = self.pos[v]
        hw, hh = self._half[v]
        top, bottom = py - hh - 2, py + hh + 2
        array = bool(self._tensor[v])
        if shown.value is not None and array:
            w, h = thumb_size(node.shape, HEAT)
            yield "heat-value", QRectF(px - w / 2, top - h, w, h), ("value", i)
        elif shown.value is not None:
            yield "value", self.text_rect(self._value_label(v), NUMBER, px, top, -1), self._value_label(v)
        elif self._named_gate(v) and not array:
            yield "name", self.text_rect(node.name, NUMBER, px, top, -1), node.name
        if shown.tangent is not None:
            rect = self.text_rect(_minus(shown.tangent), NUMBER, px, bottom, 1)
            yield "tangent", rect, _minus(shown.tangent)
            bottom = rect.bottom() + 2
        elif shown.grad is not None and array:
            w, h = thumb_size(node.shape, HEAT)
            yield "heat-grad", QRectF(px - w / 2, bottom, w, h), ("grad", i)
            bottom += h + 2
        elif shown.grad is not None:
            rect = self.text_rect(_minus(shown.grad), NUMBER, px, bottom, 1)
            yield "grad", rect, _minus(shown.grad)
            bottom = rect.bottom() + 2
        if shown.sum and not array:
            rect = self.label_rect(shown.sum, QPointF(px, 0))
            yield "sum", rect.translated(0, bottom - rect.top()), shown.sum

    def drawn_boxes(self) -> list[tuple[str, QRectF]]:
        """Every text, thumbnail and node shape on screen now, in scene coordinates (for tests)."""
        boxes: list[tuple[str, QRectF]] = []
        for v in range(len(self.view)):
            hw, hh = self._half[v]
            boxes.append(("node", QRectF(self.pos[v, 0] - hw, self.pos[v, 1] - hh, 2 * hw, 2 * hh)))
            boxes += [(kind, rect) for kind, rect, _ in self.labels(v)]
        boxes += [("edge", rect) for rect, _ in self._edge_labels]
        return boxes

    def node_at(self, scene_point: QPointF) -> int | None:
        """The visual node under a scene point, or None."""
        if not len(self.pos):
            return None
        d = np.abs(self.pos - (scene_point.x(), scene_point.y())) - self._half
        inside = np.flatnonzero((d <= 0).all(axis=1))
        return int(inside[0]) if len(inside) else None

    def bounds(self) -> QRectF:
        """The scene rectangle holding every node, its labels and the arcs of long edges."""
        if not len(self.pos):
            return QRectF(0, 0, 1, 1)
        box = self._boxes
        x0, y0, x1, y1 = box[:, 0].min(), box[:, 1].min(), box[:, 2].max(), box[:, 3].max()
        if len(self._ends) and self._bow.any():
            y0 = min(y0, float((np.minimum(self._ends[:, 1], self._ends[:, 3]) - self._bow)[self._bow > 0].min()))
        return QRectF(x0 - 12, y0 - 12, x1 - x0 + 24, y1 - y0 + 24)

    def fit(self) -> None:
        """Fit the whole graph into the viewport (the card has its own strip below it), ≤ MAX_FIT."""
        rect = self.bounds()
        self.scene().setSceneRect(rect.adjusted(-2000, -2000, 2000, 2000))
        vw, vh = self.viewport().width() - 16, self.viewport().height() - 16
        s = min(vw / rect.width(), vh / rect.height(), MAX_FIT)
        self.resetTransform()
        self.scale(s, s)
        self.centerOn(rect.center())

    # -- geometry -------------------------------------------------------------------------------
    def _place_nodes(self) -> None:
        """Shapes, label blocks and positions: layers and slots spaced by the labels they carry."""
        n = len(self.view)
        self._half = np.array([self._half_size(v) for v in range(n)]).reshape(-1, 2)
        top = np.array([self._top_block(v) for v in range(n)]).reshape(-1, 2)
        low = np.array([self._low_block(v) for v in range(n)]).reshape(-1, 2)
        above = self._half[:, 1] + 2 + top[:, 1] + GAP / 2
        below = self._half[:, 1] + 2 + low[:, 1] + GAP / 2
        e = self.view.edges
        layout = layered_layout(n, e, above=above, below=below)
        self._layer = layout.layer
        half = np.maximum(self._half[:, 0], np.maximum(top[:, 0], low[:, 0]) / 2)
        n_layers = layout.n_layers
        label = np.zeros(max(n_layers - 1, 0))  # room for the widest contribution label in each gap
        for k, w in self._edge_label_widths().items():
            gap = int(layout.layer[e[k, 1]]) - 1
            label[gap] = max(label[gap], w)
        widest_shape = np.zeros(n_layers)
        np.maximum.at(widest_shape, layout.layer, self._half[:, 0])
        widest = np.zeros(n_layers)
        np.maximum.at(widest, layout.layer, half)
        need = widest_shape[:-1] + widest_shape[1:] + label + 22  # the arrowhead (14) and a margin
        gap = np.maximum(GAP, need - widest[:-1] - widest[1:])
        x = column_x(layout.layer, half, gap)
        self.pos = np.column_stack([x[layout.layer], layout.slot]).astype(float)
        self._row = float(np.median(above + below)) if n else 0.0
        px, py = self.pos[:, 0], self.pos[:, 1]
        hw, hh = self._half[:, 0], self._half[:, 1]
        self._boxes = np.concatenate([  # every node's shape and the largest label blocks it will show
            np.column_stack([px - hw, py - hh, px + hw, py + hh]),
            np.column_stack([px - top[:, 0] / 2, py - hh - 2 - top[:, 1], px + top[:, 0] / 2, py - hh]),
            np.column_stack([px - low[:, 0] / 2, py + hh, px + low[:, 0] / 2, py + hh + 2 + low[:, 1]])])

    def _half_size(self, v: int) -> tuple[float, float]:
        node = self.timeline.graph.nodes[self.view.rep[v]]
        if self.view.group[v] is not None:
            return (max(2 * R, self.text_size(self.view.group[v].name, (0.8, True))[0] / 2 + 12), R * 1.1)
        if self._tensor[v]:
            return (max(R * 1.5, self.text_size(node.label, (0.8, True))[0] / 2 + 8), R * 1.05)
        if node.prim is None:
            return (max(R, self.text_size(node.label, (0.8, False))[0] / 2 + 8), R * 0.8)
        return (max(R, self.text_size(node.prim.symbol, (1.0, True))[0] / 2 + 8), R)

    def _named_gate(self, v: int) -> bool:
        node = self.timeline.graph.nodes[self.view.rep[v]]
        return bool(node.prim is not None and node.name and self.view.group[v] is None)

    def _value_label(self, v: int) -> str:
        """The value above a node; a named gate's as on the slides, ``q = 3``."""
        i = int(self.view.rep[v])
        text = _minus(self._value_text[i])
        return f"{self.timeline.graph.nodes[i].name} = {text}" if self._named_gate(v) else text

    def _top_block(self, v: int) -> tuple[float, float]:
        """(width, height) of the largest thing drawn above node ``v``."""
        if self._tensor[v]:
            return thumb_size(self.timeline.graph.nodes[self.view.rep[v]].shape, HEAT)
        return self.text_size(self._value_label(v), NUMBER)

    def _low_block(self, v: int) -> tuple[float, float]:
        """(width, height) of the largest things drawn below node ``v``: gradient or tangent, fan-in sum."""
        i = int(self.view.rep[v])
        lows = [_minus(self._grad_text[i])] + [_minus(number_text(t)) for t in self.timeline.tangents.get(i, [])]
        sizes = [self.text_size(t, NUMBER) for t in lows if t]
        if self._tensor[v] and self.timeline.grads[i] is not None:
            sizes.append(thumb_size(self.timeline.graph.nodes[i].shape, HEAT))
        w, h = max(sizes, default=(0.0, 0.0))[0], max((s[1] for s in sizes), default=0.0)
        sums = [self.label_rect(s, QPointF()) for s in self.timeline.fan_in_sums.get(i, [])] if not self._tensor[v] else []
        if sums:
            w, h = max(w, max(r.width() for r in sums)), h + 2 + max(r.height() for r in sums)
        return w, h

    def _edge_label_widths(self) -> dict[int, float]:
        """Visual edge → width of the widest scalar contribution label it will carry."""
        widths: dict[int, float] = {}
        for j, c in enumerate(self.timeline.contribution):
            k = int(self.view.edge_of[j])
            if c is not None and k >= 0 and np.size(c) == 1:
                widths[k] = max(widths.get(k, 0.0), self.label_rect(_minus(number_text(c)), QPointF()).width())
        return widths

    def _place_edge_labels(self) -> list[tuple[QRectF, str]]:
        """Backward: where each contribution now sent along an edge is written, clear of every label block."""
        placed: list[tuple[QRectF, str]] = []
        taken = self._boxes
        for es in self.state.current_edges if self.state else []:
            k = self.view.edge_of[self.timeline.edge_key[(es.parent, es.child, es.arg)]]
            if k < 0 or np.size(es.contribution) != 1:
                continue
            text = _minus(number_text(es.contribution))
            path = _curve(*self._ends[k], bow=self._bow[k])
            first = self.label_rect(text, path.pointAtPercent(LABEL_AT[0]))
            candidates = (first.translated(path.pointAtPercent(t) + QPointF(0, dy) - first.center())
                          for t in LABEL_AT for dy in (0.0, -8.0, 8.0, -16.0, 16.0, -24.0, 24.0))
            rect = next((r for r in candidates if not _overlaps(taken, r)), first)
            placed.append((rect, text))
            taken = np.vstack([taken, [rect.left(), rect.top(), rect.right(), rect.bottom()]])
        return placed

    def _edge_magnitudes(self) -> np.ndarray:
        """Per visual edge, 0..1: how big the largest gradient flowing back along it is (log scale)."""
        mags = np.zeros(len(self.view.edges))
        logs = np.array([np.log10(float(np.linalg.norm(np.atleast_1d(c))) + 1e-12) if c is not None else np.nan
                         for c in self.timeline.contribution])
        ok = np.isfinite(logs) & (self.view.edge_of >= 0)
        if not ok.any():
            return mags
        lo, hi = logs[ok].min(), logs[ok].max()
        scaled = (logs[ok] - lo) / (hi - lo) if hi > lo else np.ones(ok.sum())
        np.maximum.at(mags, self.view.edge_of[ok], scaled)
        return mags

    # -- text ---------------------------------------------------------------------------------------
    def font_for(self, font: tuple[float, bool]) -> QFont:
        """The canvas font at ``(scale, bold)`` of FONT_PX."""
        if font not in self._fonts:
            f = QFont(self.font())
            f.setPixelSize(max(1, int(FONT_PX * font[0])))
            f.setBold(font[1])
            self._fonts[font] = f
        return self._fonts[font]

    def static_text(self, text: str, font: tuple[float, bool]) -> QStaticText:
        """A laid-out text, cached: drawing it is 4x faster than drawText."""
        key = (text, font)
        st = self._static.get(key)
        if st is None:
            st = self._static[key] = QStaticText(text)
            st.setTextFormat(Qt.PlainText)
            st.prepare(QTransform(), self.font_for(font))
        return st

    def metrics(self, font: tuple[float, bool]) -> QFontMetricsF:
        """Font metrics of :meth:`font_for` (cached: measuring thousands of labels is most of a layout)."""
        if font not in self._metrics:
            self._metrics[font] = QFontMetricsF(self.font_for(font))
        return self._metrics[font]

    def text_size(self, text: str, font: tuple[float, bool]) -> tuple[float, float]:
        """(width, height) of ``text`` in scene units."""
        fm = self.metrics(font)
        return fm.horizontalAdvance(text), fm.height()

    def text_rect(self, text: str, font: tuple[float, bool], x: float, y: float, anchor: int) -> QRectF:
        """Where ``text`` goes, centred at x; anchor −1: bottom at y, 0: centred on y, 1: top at y."""
        w, h = self.text_size(text, font)
        return QRectF(x - w / 2, y - h * (1 - anchor) / 2, w, h)

    def label_rect(self, text: str, centre: QPointF) -> QRectF:
        """The rounded patch of an edge label or fan-in sum centred at ``centre``."""
        w, h = self.text_size(text, EDGE_LABEL)
        w, h = w + 10, h + 2
        return QRectF(centre.x() - w / 2, centre.y() - h / 2, w, h)

    def heat(self, kind: str, i: int):
        """The heatmap image of graph node ``i``'s value or grad (cached per graph)."""
        key = (kind, i)
        if key not in self._heat_cache:
            arr = self.timeline.graph.nodes[i].data if kind == "value" else self.timeline.grads[i]
            mid = QColor(self.theme.node_fill)
            self._heat_cache[key] = heatmap_image(arr, (mid.red(), mid.green(), mid.blue()))
        return self._heat_cache[key]

    # -- the card strip -----------------------------------------------------------------------------
    def _reserve_card(self) -> bool:
        """Make the strip under the viewport tall enough for the card at any step measured so far
        (at most CARD_SHARE of the canvas: a thumbnail-sized canvas clips the card, not the graph).
        Returns whether the strip changed."""
        width = self.width() - 2 * self.frameWidth()
        need = max((self.card.height_for(lines, width) for lines in self._card_samples), default=0.0)
        height = int(min(np.ceil(need) + 4, CARD_SHARE * self.height()))
        if height == self._card_height:
            return False
        self._card_height = height
        self.setViewportMargins(0, 0, 0, height)
        self._place_card()
        return True

    def _place_card(self) -> None:
        f = self.frameWidth()
        self.card.setGeometry(f, self.height() - f - self._card_height, self.width() - 2 * f, self._card_height)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._card_height = 0  # the card's font and wrapping follow the canvas size
        self._reserve_card()
        self._place_card()

    # -- interaction -----------------------------------------------------------------------------
    def wheelEvent(self, event) -> None:
        factor = 1.15 ** (event.angleDelta().y() / 120.0)
        s = self.transform().m11() * factor
        if 0.01 <= s <= 6.0:
            self.scale(factor, factor)

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key_F:
            self.fit()
        else:
            super().keyPressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        super().mouseMoveEvent(event)
        v = self.node_at(self.mapToScene(event.position().toPoint()))
        if v is None:
            QToolTip.hideText()
            return
        QToolTip.showText(event.globalPosition().toPoint(), self.tooltip(int(self.view.rep[v])), self)

    def tooltip(self, i: int) -> str:
        """Full value and gradient of graph node ``i`` (as far as the animation has revealed them)."""
        node = self.timeline.graph.nodes[i]
        lines = [f"{node.label}  ({node.op}, shape {tuple(node.shape)})"]
        if self.state is not None and self.state.value_shown[i]:
            lines += ["value:", *value_lines(node.data, 6)]
        if self.state is not None and self.state.grad_shown[i]:
            lines += [f"{self.timeline.grad_name(i)}:", *value_lines(self.timeline.grads[i], 6)]
        return "\n".join(lines)

    def mousePressEvent(self, event) -> None:
        v = self.node_at(self.mapToScene(event.position().toPoint()))
        if event.button() == Qt.LeftButton and self.view is not None:
            self.node_clicked.emit(-1 if v is None else int(self.view.rep[v]))
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:
        v = self.node_at(self.mapToScene(event.position().toPoint()))
        if v is not None:
            self.node_double_clicked.emit(int(self.view.rep[v]))
        else:
            self.fit()

    # -- the static picture: edges and node shapes, cached by the view ------------------------------
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        super().drawBackground(painter, rect)
        if self.state is not None and len(self.pos):
            self._item.paint_static(painter, rect)


class _GraphItem(QGraphicsItem):
    """Paints what changes per step (numbers, coloured edges, the current gate); culls to the exposed area.

    ``paint_static`` paints the rest (grey edges, node shapes and their names) into the view's cached background.
    """

    def __init__(self, canvas: GraphCanvas):
        super().__init__()
        self.canvas = canvas
        self.setFlag(QGraphicsItem.ItemUsesExtendedStyleOption, True)
        self._rect = QRectF()

    def prepare(self) -> None:
        """Take the new layout's bounds."""
        self.prepareGeometryChange()
        self._rect = self.canvas.bounds()

    def boundingRect(self) -> QRectF:
        return self._rect

    def _visible(self, exposed: QRectF) -> np.ndarray:
        x, y = self.canvas.pos[:, 0], self.canvas.pos[:, 1]
        return np.flatnonzero((x >= exposed.left()) & (x <= exposed.right())
                              & (y >= exposed.top()) & (y <= exposed.bottom()))

    @staticmethod
    def _zoomed_out(painter: QPainter) -> tuple[float, bool]:
        lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        return lod, FONT_PX * lod < MIN_TEXT_PX

    def paint_static(self, painter: QPainter, rect: QRectF) -> None:
        """Edges in the theme's edge colour, every node's shape and name (what no step changes)."""
        c = self.canvas
        lod, zoomed_out = self._zoomed_out(painter)
        exposed = rect.adjusted(-HEAT * 2, -HEAT * 2, HEAT * 2, HEAT * 2)
        painter.setRenderHint(QPainter.Antialiasing, not zoomed_out or len(c.pos) < 1000)
        self._paint_edges(painter, exposed, lod, done=False)
        if zoomed_out:  # every node as one fat point, one call per shape
            self._paint_dots(painter)
            return
        for v in self._visible(exposed).tolist():
            self._paint_shape(painter, v, current=False)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        c = self.canvas
        if c.state is None or not len(c.pos):
            return
        lod, zoomed_out = self._zoomed_out(painter)
        exposed = option.exposedRect.adjusted(-HEAT * 2, -HEAT * 2, HEAT * 2, HEAT * 2)
        painter.setRenderHint(QPainter.Antialiasing, not zoomed_out or len(c.pos) < 1000)
        self._paint_edges(painter, exposed, lod, done=True)
        current = int(c.view.owner[c.state.current]) if c.state.current is not None else None
        if current is not None:
            self._paint_shape(painter, current, current=True, text=not zoomed_out)
        if zoomed_out:
            return
        for v in self._visible(exposed).tolist():
            self._paint_labels(painter, v)
        self._paint_current_edges(painter)

    def _paint_dots(self, painter: QPainter) -> None:
        t = self.canvas.theme
        for kind, cap in (("round", Qt.RoundCap), ("square", Qt.SquareCap)):
            painter.setPen(QPen(QColor(t.node_border), 2 * R, Qt.SolidLine, cap))
            painter.drawPoints(self.canvas._dots[kind])

    # edges ---------------------------------------------------------------------------------
    def _paint_edges(self, painter: QPainter, exposed: QRectF, lod: float, done: bool) -> None:
        """The grey edges (``done=False``) or those gradient has flowed back along, thicker for more."""
        c, t = self.canvas, self.canvas.theme
        if not len(c.view.edges):
            return
        x0, y0, x1, y1 = c._ends.T
        keep = ((x1 >= exposed.left()) & (x0 <= exposed.right())
                & (np.maximum(y0, y1) >= exposed.top()) & (np.minimum(y0, y1) - c._bow <= exposed.bottom()))
        idx = np.flatnonzero(keep & c._vis_done) if done else np.flatnonzero(keep)
        curved = len(idx) <= CURVE_LIMIT
        width_bucket = (1 + np.round(c._magnitude * 4)).astype(int) if done else np.zeros(len(keep), dtype=int)
        for bucket in np.unique(width_bucket[idx]).tolist():
            sel = idx[width_bucket[idx] == bucket]
            pen = QPen(QColor(t.grad if done else t.edge), 1.2 + 1.1 * bucket if done else 1.6)
            pen.setCosmetic(lod < 0.5)
            painter.setPen(pen)
            painter.setBrush(Qt.NoBrush)
            if curved:
                for k in sel.tolist():
                    painter.drawPath(_curve(*c._ends[k], bow=c._bow[k]))
            else:
                lines = c._lines
                painter.drawLines([lines[k] for k in sel.tolist()])

    def _paint_current_edges(self, painter: QPainter) -> None:
        """Backward: the edges the current gate sends gradient along, with the contribution."""
        c, t = self.canvas, self.canvas.theme
        for es in c.state.current_edges:
            k = c.view.edge_of[c.timeline.edge_key[(es.parent, es.child, es.arg)]]
            if k < 0:
                continue
            x0, y0, x1, y1 = c._ends[k]
            painter.setPen(QPen(QColor(t.highlight), 5))
            painter.setBrush(Qt.NoBrush)
            painter.drawPath(_curve(x0, y0, x1, y1, bow=c._bow[k]))
            _arrow(painter, QPointF(x0, y0), QColor(t.highlight))
        for rect, text in c._edge_labels:  # arrays: the heatmaps tell, the card has the numbers
            _label(painter, rect, text, c.font_for(EDGE_LABEL), QColor(t.grad), QColor(t.background))

    # nodes ---------------------------------------------------------------------------------
    def _paint_shape(self, painter: QPainter, v: int, current: bool, text: bool = True) -> None:
        """Node ``v``'s circle or box and the name or symbol in it; highlighted when ``current``."""
        c, col = self.canvas, self.canvas.colours
        node = c.timeline.graph.nodes[int(c.view.rep[v])]
        group = c.view.group[v]
        px, py = c.pos[v]
        hw, hh = c._half[v]
        pen = QPen(col["highlight" if current else "node_border"], 4.5 if current else 2.0)
        if group is not None or (node.prim is None and not node.requires_grad):
            pen.setStyle(Qt.DashLine)
        painter.setPen(pen)
        painter.setBrush(col["panel" if group is not None else "node_fill"])
        box = QRectF(px - hw, py - hh, 2 * hw, 2 * hh)
        if c._round[v]:
            painter.drawEllipse(box)
        else:
            painter.drawRoundedRect(box, 10, 10)
        if not text:
            return
        painter.setPen(col["text"])
        if group is not None:
            self._text(painter, group.name, (0.8, True), px, py, 0)
        elif c._tensor[v]:
            self._text(painter, node.label, (0.8, True), px, py, -1)
            painter.setPen(col["muted"])
            self._text(painter, "×".join(map(str, node.shape)), (0.65, False), px, py + 2, 1)
        elif node.prim is not None:
            self._text(painter, node.prim.symbol, (1.0, True), px, py, 0)
        else:
            self._text(painter, node.label, (0.8, False), px, py, 0)

    def _paint_labels(self, painter: QPainter, v: int) -> None:
        """Value above (blue), gradient or tangent below, the fan-in sum under that."""
        c, col = self.canvas, self.canvas.colours
        colour = {"value": col["value"], "name": col["muted"], "grad": col["grad"], "tangent": col["tangent"]}
        for kind, rect, what in c.labels(v):
            if kind.startswith("heat"):
                self._paint_heat(painter, c.heat(*what), rect, col["value" if kind == "heat-value" else "grad"],
                                 col["background"])
            elif kind == "sum":
                _label(painter, rect, what, c.font_for(EDGE_LABEL), col["grad"], col["background"])
            else:
                painter.setPen(colour[kind])
                painter.setFont(c.font_for(NUMBER))
                painter.drawStaticText(rect.topLeft(), c.static_text(what, NUMBER))

    def _text(self, painter: QPainter, text: str, font: tuple[float, bool], x: float, y: float,
              anchor: int) -> None:
        """Centred at x; anchor −1: bottom at y, 0: centred on y, 1: top at y."""
        painter.setFont(self.canvas.font_for(font))
        painter.drawStaticText(self.canvas.text_rect(text, font, x, y, anchor).topLeft(),
                               self.canvas.static_text(text, font))

    @staticmethod
    def _paint_heat(painter: QPainter, image, rect: QRectF, frame: QColor, grid: QColor) -> None:
        """The thumbnail in ``rect``, cells separated by thin lines where there is room, in a coloured frame."""
        painter.drawImage(rect, image)
        rows, cols = image.height(), image.width()
        if max(rows, cols) <= 12:
            painter.setPen(QPen(grid, 1))
            xs = [rect.left() + rect.width() * k / cols for k in range(1, cols)]
            ys = [rect.top() + rect.height() * k / rows for k in range(1, rows)]
            painter.drawLines([QLineF(x, rect.top(), x, rect.bottom()) for x in xs]
                              + [QLineF(rect.left(), y, rect.right(), y) for y in ys])
        painter.setPen(QPen(frame, 2.5))
        painter.setBrush(Qt.NoBrush)
        painter.drawRect(rect)


def _curve(x0: float, y0: float, x1: float, y1: float, bow: float = 0.0) -> QPainterPath:
    """An S-curve from a node's right side to the next one's left; ``bow`` lifts long edges."""
    path = QPainterPath(QPointF(x0, y0))
    if bow:
        top = min(y0, y1) - bow
        path.cubicTo(QPointF(x0 + 40, top), QPointF(x1 - 40, top), QPointF(x1, y1))
        return path
    dx = (x1 - x0) * 0.5
    path.cubicTo(QPointF(x0 + dx, y0), QPointF(x1 - dx, y1), QPointF(x1, y1))
    return path


def _arrow(painter: QPainter, tip: QPointF, colour: QColor) -> None:
    """An arrowhead pointing left at ``tip``: the gradient flows back to the argument."""
    painter.setBrush(colour)
    painter.setPen(Qt.NoPen)
    painter.drawPolygon(QPolygonF([tip, tip + QPointF(14, -8), tip + QPointF(14, 8)]))


def _label(painter: QPainter, rect: QRectF, text: str, font: QFont, colour: QColor, bg: QColor) -> None:
    """Text on a rounded background patch, so it stays readable over edges."""
    bg = QColor(bg)
    bg.setAlpha(230)
    painter.setPen(QPen(colour, 1.2))
    painter.setBrush(bg)
    painter.drawRoundedRect(rect, 5, 5)
    painter.setFont(font)
    painter.setPen(colour)
    painter.drawText(rect, Qt.AlignCenter, text)
