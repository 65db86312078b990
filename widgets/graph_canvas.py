"""The graph canvas: a computational graph drawn left to right, values above, gradients below.

One ``QGraphicsItem`` paints the whole graph (edges, gates, labels) from NumPy
arrays, culled to the exposed area and with text hidden when zoomed out, so a
5,000-node MLP stays interactive and a step costs one repaint.  The canvas
draws what the explorer model computed: a :class:`~app.explorer_model.Timeline`
(texts, gradients) and a :class:`~app.explorer_model.DisplayState` (what is
revealed at this step); it never differentiates anything itself.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen, QPolygonF,
                           QStaticText, QTransform)
from PySide6.QtWidgets import (QGraphicsItem, QGraphicsScene, QGraphicsView, QStyleOptionGraphicsItem,
                               QToolTip, QWidget)

from app.explorer_model import DisplayState, Timeline, ViewGraph, number_text
from widgets.heatmap import heatmap_image
from widgets.layout import layered_layout
from widgets.theme import LIGHT, Theme

R = 24.0
"""Radius of a gate's circle, in scene units."""
FONT_PX = 22
"""Label size in scene units; the view scales it (fit-to-view caps the zoom at MAX_FIT)."""
MAX_FIT = 1.8
CARD_WIDTH = 0.5
"""The part of the view's width the chain-rule card may cover, when fitting beside it."""
HEAT = 42.0
"""Side of a tensor's heatmap thumbnail."""
MIN_TEXT_PX = 6.0
"""Below this on-screen size, labels are not drawn (level of detail)."""
CURVE_LIMIT = 600
"""With more visible edges than this, edges are straight lines drawn in one call."""


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
        self.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self.setDragMode(QGraphicsView.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.FullViewportUpdate)
        self.setMouseTracking(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.theme = theme
        self.timeline: Timeline | None = None
        self.view: ViewGraph | None = None
        self.state: DisplayState | None = None
        self.pos = np.zeros((0, 2))
        self.explain_lines: list[tuple[str, str]] = []
        self._fonts: dict[tuple[float, bool], QFont] = {}
        self.set_theme(theme)

    # -- data in --------------------------------------------------------------------------
    def set_graph(self, timeline: Timeline, view: ViewGraph) -> None:
        """Lay out ``view`` (a possibly collapsed drawing of ``timeline.graph``) and show step 0."""
        self.timeline, self.view = timeline, view
        nodes = timeline.graph.nodes
        self._tensor = np.array([_is_array(nodes[i].data) for i in view.rep], dtype=bool)
        dx, dy = (130.0, 150.0) if self._tensor.any() else (112.0, 100.0)
        layout = layered_layout(len(view), view.edges)
        self.pos = np.column_stack([layout.layer * dx, layout.slot * dy]).astype(float)
        self._dx = dx
        self._half = np.array([self._half_size(v) for v in range(len(view))]).reshape(-1, 2)
        self._magnitude = self._edge_magnitudes()
        self._heat_cache: dict[tuple[str, int], Any] = {}
        self._value_text = [number_text(n.data) for n in nodes]
        self._grad_text = [number_text(g) for g in timeline.grads]
        e = view.edges
        self._ends = np.column_stack([self.pos[e[:, 0], 0] + self._half[e[:, 0], 0], self.pos[e[:, 0], 1],
                                      self.pos[e[:, 1], 0] - self._half[e[:, 1], 0], self.pos[e[:, 1], 1]])
        self._lines = [QLineF(*row) for row in self._ends.tolist()]
        span = layout.layer[e[:, 1]] - layout.layer[e[:, 0]] if len(e) else np.zeros(0)
        self._bow = np.where(span > 1, 0.5 * dy, 0.0)
        """Edges skipping a layer arc upwards, so they do not run through the nodes in between."""
        round_gate = np.array([self.timeline.graph.nodes[i].prim is not None and view.group[v] is None
                               and not self._tensor[v] for v, i in enumerate(view.rep.tolist())], dtype=bool)
        self._dots = {kind: QPolygonF([QPointF(x, y) for x, y in self.pos[sel].tolist()])
                      for kind, sel in (("round", round_gate), ("square", ~round_gate))}
        self._item.prepare()
        self.show_state(timeline.state(0))
        self.fit()

    def show_state(self, state: DisplayState) -> None:
        """Show the animation at ``state`` (derived from the step index by the model)."""
        self.state = state
        self.explain_lines = self.timeline.explain(state) if self.timeline else []
        vis_done = np.zeros(len(self.view.edges), dtype=bool)
        sel = state.edge_done & (self.view.edge_of >= 0)
        vis_done[self.view.edge_of[sel]] = True
        self._vis_done = vis_done
        self._item.update()
        self.viewport().update()

    def set_theme(self, theme: Theme) -> None:
        """Recolour with a :mod:`widgets.theme` palette."""
        self.theme = theme
        self.colours = {k: QColor(getattr(theme, k)) for k in (
            "background", "panel", "text", "muted", "node_fill", "node_border", "edge", "value", "grad",
            "tangent", "highlight")}
        """The theme's colours as QColor, made once per theme rather than per node."""
        self.setBackgroundBrush(self.colours["background"])
        self._heat_cache = {}
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

    def node_at(self, scene_point: QPointF) -> int | None:
        """The visual node under a scene point, or None."""
        if not len(self.pos):
            return None
        d = np.abs(self.pos - (scene_point.x(), scene_point.y())) - self._half
        inside = np.flatnonzero((d <= 0).all(axis=1))
        return int(inside[0]) if len(inside) else None

    def bounds(self) -> QRectF:
        """The scene rectangle holding every node and its labels."""
        if not len(self.pos):
            return QRectF(0, 0, 1, 1)
        lo = (self.pos - self._half).min(axis=0)
        hi = (self.pos + self._half).max(axis=0)
        pad = HEAT + FONT_PX * 1.5 if self._tensor.any() else FONT_PX * 2.6
        return QRectF(lo[0] - 36, lo[1] - pad, hi[0] - lo[0] + 72, hi[1] - lo[1] + 2 * pad)

    def fit(self) -> None:
        """Fit the whole graph beside or above the chain-rule card (whichever is larger), ≤ MAX_FIT."""
        rect = self.bounds()
        self.scene().setSceneRect(rect.adjusted(-2000, -2000, 2000, 2000))
        vw, vh = self.viewport().width() - 16, self.viewport().height() - 16
        card_h, card_w = min(vh * 0.45, self._card_height(5)), vw * CARD_WIDTH
        areas = [QRectF(0, 0, vw, vh - card_h), QRectF(card_w, 0, vw - card_w, vh)]  # above, right of it
        scales = [min(a.width() / rect.width(), a.height() / rect.height(), MAX_FIT) for a in areas]
        s, area = max(zip(scales, areas), key=lambda sa: sa[0])
        self.resetTransform()
        self.scale(s, s)
        shift = QPointF(vw / 2 + 8 - area.center().x() - 8, vh / 2 + 8 - area.center().y() - 8) / s
        self.centerOn(rect.center() + shift)

    # -- geometry -------------------------------------------------------------------------------
    def _half_size(self, v: int) -> tuple[float, float]:
        node = self.timeline.graph.nodes[self.view.rep[v]]
        if self.view.group[v] is not None:
            width = QFontMetricsF(self._font(0.8)).horizontalAdvance(self.view.group[v].name)
            return (max(2 * R, width / 2 + 12), R * 1.1)
        if self._tensor[v]:
            return (R * 1.5, R * 1.05)
        if node.prim is None:
            width = QFontMetricsF(self._font(0.8)).horizontalAdvance(node.label)
            return (max(R, width / 2 + 8), R * 0.8)
        return (R, R)

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

    def _font(self, scale: float = 1.0, bold: bool = False) -> QFont:
        key = (scale, bold)
        if key not in self._fonts:
            f = QFont(self.font())
            f.setPixelSize(max(1, int(FONT_PX * scale)))
            f.setBold(bold)
            self._fonts[key] = f
        return self._fonts[key]

    def heat(self, kind: str, i: int):
        """The heatmap image of graph node ``i``'s value or grad (cached per graph)."""
        key = (kind, i)
        if key not in self._heat_cache:
            arr = self.timeline.graph.nodes[i].data if kind == "value" else self.timeline.grads[i]
            mid = QColor(self.theme.node_fill)
            self._heat_cache[key] = heatmap_image(arr, (mid.red(), mid.green(), mid.blue()))
        return self._heat_cache[key]

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
            lines.append(f"value: {np.array2string(np.asarray(node.data), precision=6, threshold=50)}")
        if self.state is not None and self.state.grad_shown[i]:
            lines.append(f"grad:  {np.array2string(np.asarray(self.timeline.grads[i]), precision=6, threshold=50)}")
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

    # -- the chain-rule card, fixed on the viewport --------------------------------------------------
    def _card_font(self) -> QFont:
        font = QFont(self.font())
        font.setPixelSize(max(17, int(self.theme.base_font_pt * 1.6)))
        return font

    def _card_height(self, lines: int) -> float:
        return QFontMetricsF(self._card_font()).height() * 1.15 * lines + 30

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        if not self.explain_lines:
            return
        painter.save()
        painter.resetTransform()
        t = self.theme
        font = self._card_font()
        painter.setFont(font)
        fm = QFontMetricsF(font)
        pad, lh = 10.0, fm.height() * 1.15
        width = min(self.viewport().width() - 20, max(fm.horizontalAdvance(s) for _, s in self.explain_lines) + 2 * pad)
        height = lh * len(self.explain_lines) + 2 * pad
        box = QRectF(10, self.viewport().height() - height - 10, width, height)
        bg = QColor(t.panel)
        bg.setAlpha(235)
        painter.setPen(QPen(QColor(t.muted), 1))
        painter.setBrush(bg)
        painter.drawRoundedRect(box, 8, 8)
        colours = {"value": t.value, "grad": t.grad, "tangent": t.tangent, "text": t.text}
        y = box.top() + pad
        for role, text in self.explain_lines:
            painter.setPen(QColor(colours[role]))
            painter.drawText(QRectF(box.left() + pad, y, width - 2 * pad, lh), Qt.AlignLeft | Qt.AlignVCenter,
                             fm.elidedText(text, Qt.ElideRight, width - 2 * pad))
            y += lh
        painter.restore()


class _GraphItem(QGraphicsItem):
    """Paints every node and edge of the canvas's graph; culls to the exposed area."""

    def __init__(self, canvas: GraphCanvas):
        super().__init__()
        self.canvas = canvas
        self.setFlag(QGraphicsItem.ItemUsesExtendedStyleOption, True)
        self._rect = QRectF()
        self._static: dict[tuple[str, tuple[float, bool]], tuple[QStaticText, float, float]] = {}

    def prepare(self) -> None:
        """Take the new layout's bounds."""
        self.prepareGeometryChange()
        self._rect = self.canvas.bounds()

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        c = self.canvas
        if c.state is None or not len(c.pos):
            return
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        exposed = option.exposedRect.adjusted(-HEAT * 2, -HEAT * 2, HEAT * 2, HEAT * 2)
        x, y = c.pos[:, 0], c.pos[:, 1]
        visible = np.flatnonzero((x >= exposed.left()) & (x <= exposed.right())
                                 & (y >= exposed.top()) & (y <= exposed.bottom()))
        zoomed_out = FONT_PX * lod < MIN_TEXT_PX
        painter.setRenderHint(QPainter.Antialiasing, not zoomed_out or len(c.pos) < 1000)
        self._paint_edges(painter, exposed, lod)
        if zoomed_out:  # every node as one fat point, one call per shape
            self._paint_dots(painter)
            if c.state.current is not None:
                self._paint_node(painter, int(c.view.owner[c.state.current]), text=False)
            return
        for v in visible.tolist():
            self._paint_node(painter, v, text=True)
        self._paint_current_edges(painter)

    def _paint_dots(self, painter: QPainter) -> None:
        t = self.canvas.theme
        for kind, cap in (("round", Qt.RoundCap), ("square", Qt.SquareCap)):
            painter.setPen(QPen(QColor(t.node_border), 2 * R, Qt.SolidLine, cap))
            painter.drawPoints(self.canvas._dots[kind])

    # edges ---------------------------------------------------------------------------------
    def _paint_edges(self, painter: QPainter, exposed: QRectF, lod: float) -> None:
        c, t = self.canvas, self.canvas.theme
        if not len(c.view.edges):
            return
        x0, y0, x1, y1 = c._ends.T
        keep = ((x1 >= exposed.left()) & (x0 <= exposed.right())
                & (np.maximum(y0, y1) >= exposed.top()) & (np.minimum(y0, y1) <= exposed.bottom()))
        idx = np.flatnonzero(keep)
        curved = len(idx) <= CURVE_LIMIT
        done = c._vis_done
        width_bucket = np.where(done, 1 + np.round(c._magnitude * 4), 0).astype(int)
        for bucket in np.unique(width_bucket[idx]).tolist():
            sel = idx[width_bucket[idx] == bucket]
            colour = QColor(t.edge if bucket == 0 else t.grad)
            pen = QPen(colour, 1.6 if bucket == 0 else 1.2 + 1.1 * bucket)
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
            path = _curve(x0, y0, x1, y1, bow=c._bow[k])
            painter.drawPath(path)
            _arrow(painter, QPointF(x0, y0), QColor(t.highlight))
            if np.size(es.contribution) == 1:  # arrays: the heatmaps tell, the card has the numbers
                label = number_text(es.contribution).replace("-", "−")
                mid = path.pointAtPercent(0.4)
                _label(painter, mid, label, c._font(0.8, bold=True), QColor(t.grad), QColor(t.background))

    # nodes ---------------------------------------------------------------------------------
    def _paint_node(self, painter: QPainter, v: int, text: bool) -> None:
        c, col = self.canvas, self.canvas.colours
        i = int(c.view.rep[v])
        node = c.timeline.graph.nodes[i]
        group = c.view.group[v]
        px, py = c.pos[v]
        hw, hh = c._half[v]
        current = c.state.current is not None and int(c.view.owner[c.state.current]) == v
        pen = QPen(col["highlight" if current else "node_border"], 4.5 if current else 2.0)
        if group is not None or (node.prim is None and not node.requires_grad):
            pen.setStyle(Qt.DashLine)
        painter.setPen(pen)
        painter.setBrush(col["panel" if group is not None else "node_fill"])
        box = QRectF(px - hw, py - hh, 2 * hw, 2 * hh)
        if node.prim is None or group is not None or c._tensor[v]:
            painter.drawRoundedRect(box, 10, 10)
        else:
            painter.drawEllipse(box)
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
        self._paint_numbers(painter, v, i, px, py - hh - 2, py + hh + 2)

    def _paint_numbers(self, painter: QPainter, v: int, i: int, px: float, top: float, bottom: float) -> None:
        """Value above (blue), gradient or tangent below, the fan-in sum under that."""
        c, col = self.canvas, self.canvas.colours
        shown = c.displayed(i)
        array = bool(c._tensor[v])
        node = c.timeline.graph.nodes[i]
        named_gate = node.prim is not None and node.name and c.view.group[v] is None
        if shown.value is not None:
            if array:
                self._paint_heat(painter, c.heat("value", i), px, top - 2, col["value"], up=True)
            else:
                painter.setPen(col["value"])
                text = shown.value.replace("-", "−")
                if named_gate and self._width(f"{node.name} = {text}", (0.9, True)) < c._dx - 8:
                    text = f"{node.name} = {text}"  # "q = 3", as on the slides, where it fits
                self._text(painter, text, (0.9, True), px, top, -1)
        elif named_gate and not array:
            painter.setPen(col["muted"])
            self._text(painter, node.name, (0.9, True), px, top, -1)
        low = shown.tangent if shown.tangent is not None else shown.grad
        colour = col["tangent" if shown.tangent is not None else "grad"]
        if low is not None:
            if array and shown.tangent is None:
                self._paint_heat(painter, c.heat("grad", i), px, bottom + 2, colour, up=False)
                bottom += HEAT + 6
            else:
                painter.setPen(colour)
                self._text(painter, low.replace("-", "−"), (0.9, True), px, bottom, 1)
                bottom += FONT_PX * 1.15
        if shown.sum and not array:
            _label(painter, QPointF(px, bottom + FONT_PX * 0.55), shown.sum, c._font(0.75, bold=True),
                   col["grad"], col["background"])

    def _static_text(self, text: str, font: tuple[float, bool]) -> tuple[QStaticText, float, float]:
        """A laid-out text and its size, cached: drawing it is 4x faster than drawText."""
        key = (text, font)
        cached = self._static.get(key)
        if cached is None:
            st = QStaticText(text)
            st.setTextFormat(Qt.PlainText)
            st.prepare(QTransform(), self.canvas._font(*font))
            cached = self._static[key] = (st, st.size().width(), st.size().height())
        return cached

    def _width(self, text: str, font: tuple[float, bool]) -> float:
        return self._static_text(text, font)[1]

    def _text(self, painter: QPainter, text: str, font: tuple[float, bool], x: float, y: float,
              anchor: int) -> None:
        """Centred at x; anchor −1: bottom at y, 0: centred on y, 1: top at y."""
        st, w, h = self._static_text(text, font)
        painter.setFont(self.canvas._font(*font))
        painter.drawStaticText(QPointF(x - w / 2, y - h * (1 - anchor) / 2), st)

    @staticmethod
    def _paint_heat(painter: QPainter, image, cx: float, edge: float, frame: QColor, up: bool) -> None:
        w, h = image.width(), image.height()
        s = HEAT / max(w, h)
        rect = QRectF(cx - w * s / 2, edge - h * s if up else edge, w * s, h * s)
        painter.drawImage(rect, image)
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


def _label(painter: QPainter, centre: QPointF, text: str, font: QFont, colour: QColor, bg: QColor) -> None:
    """Text on a rounded background patch, so it stays readable over edges."""
    fm = QFontMetricsF(font)
    w, h = fm.horizontalAdvance(text) + 10, fm.height() + 2
    rect = QRectF(centre.x() - w / 2, centre.y() - h / 2, w, h)
    bg = QColor(bg)
    bg.setAlpha(230)
    painter.setPen(QPen(colour, 1.2))
    painter.setBrush(bg)
    painter.drawRoundedRect(rect, 5, 5)
    painter.setFont(font)
    painter.setPen(colour)
    painter.drawText(rect, Qt.AlignCenter, text)
