"""Painting the graph canvas: what the canvas plan says, in the theme's colours.

One ``QGraphicsItem`` paints what changes from step to step (revealed numbers,
gradient-coloured edges, the current gate); ``paint_static`` paints the edges
and node shapes, which never change, into the view's cached background, so a
step costs one cheap repaint even on thousands of nodes.  Zoomed out so far that
text would fall below the theme's floor (``canvas.min_text_px``), labels are left
out and nodes become one fat point each; every text painted is recorded, in screen
pixels, in ``canvas.text_record``.  The painter only reads the canvas's state, so
any QPainter (an SVG generator's too) gets the same picture.
"""
from __future__ import annotations

from typing import Protocol

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

from viewmodel.canvas_plan import EDGE_LABEL, FLOW_TICKS, HEAT, NUMBER, R, SMALLEST_PX, CanvasPlan, flow_level
from viewmodel.detail import TextRecord
from viewmodel.geometry import Rect
from viewmodel.timeline import DisplayState
from widgets.canvas_text import CanvasText

CURVE_LIMIT = 600
"""With more visible edges than this, edges are straight lines drawn in one call."""
FLOW_STEPS = 8
"""Edge pens are drawn in this many steps of the log scale (one pen per step, so one call each)."""
FLOW_WIDTH = (1.5, 9.0)
"""Edge width at the bottom and top of the log scale, in scene units."""
LEGEND_TITLE = {"grad": "|gradient|:", "value": "|value|:", "tangent": "|tangent|:"}
ARROW_SIZE = (14.0, 8.0)
"""Length and half width of the arrowhead on the current edge."""


class Picture(Protocol):
    """What the painter paints: the plan at a display state, in colours and fonts (the graph canvas)."""

    plan: CanvasPlan | None
    display: DisplayState | None
    colours: dict[str, QColor]
    text: CanvasText
    edge_labels: list[tuple[Rect, str]]
    flow: tuple[str, np.ndarray]
    min_text_px: float
    text_record: TextRecord

    def heat(self, kind: str, i: int) -> QImage: ...

    def bounds(self) -> QRectF: ...


def qrect(r: Rect) -> QRectF:
    """A plan rectangle as a QRectF."""
    return QRectF(r.left, r.top, r.width, r.height)


def screen_px(painter: QPainter, font: QFont) -> float:
    """How many pixels high ``font`` comes out on the painter's device (its zoom included)."""
    t = painter.worldTransform()
    return font.pixelSize() * abs(t.m11() * t.m22() - t.m12() * t.m21()) ** 0.5


def flow_pen(colours: dict[str, QColor], role: str, level: float) -> QPen:
    """The pen of an edge carrying ``level`` (0..1 on the fixed log scale) of ``role`` (grad, value,
    tangent): wider and more saturated for more; a negative level is zero: grey, dashed, no flow."""
    if level < 0:
        return QPen(colours["edge"], 1.6, Qt.DashLine)
    a, b = colours["edge"], colours[role]
    t = 0.3 + 0.7 * level
    mixed = QColor.fromRgbF(*(a.getRgbF()[k] * (1 - t) + b.getRgbF()[k] * t for k in range(3)))
    return QPen(mixed, FLOW_WIDTH[0] + (FLOW_WIDTH[1] - FLOW_WIDTH[0]) * level, Qt.SolidLine, Qt.RoundCap)


def paint_legend(painter: QPainter, rect: QRectF, colours: dict[str, QColor], role: str, font: QFont,
                 record: TextRecord) -> None:
    """The key to the edges' fixed log scale along the top of ``rect`` (device pixels): a sample stroke
    for each of FLOW_TICKS, and the grey dashes of no flow."""
    painter.save()
    painter.setFont(font)
    record.add("legend", screen_px(painter, font))
    fm = painter.fontMetrics()
    x, mid = rect.left() + 8, rect.top() + rect.height() / 2
    items = [(LEGEND_TITLE[role], None)] + [(t, flow_level(v)) for t, v in FLOW_TICKS.items()] \
        + [("0: no flow", -1.0)]
    for text, level in items:
        if level is not None:
            painter.setPen(flow_pen(colours, role, level))
            painter.drawLine(QLineF(x, mid, x + 26, mid))
            x += 32
        painter.setPen(colours["muted"] if level is None else colours["text"])
        width = fm.horizontalAdvance(text)
        painter.drawText(QRectF(x, rect.top(), width + 2, rect.height()), Qt.AlignLeft | Qt.AlignVCenter, text)
        x += width + 14
    painter.restore()


def route_path(segments: np.ndarray) -> QPainterPath:
    """The edge through these (m, 4, 2) Bézier segments (``CanvasPlan.route``)."""
    path = QPainterPath(QPointF(*segments[0, 0]))
    for _, c1, c2, end in segments.tolist():
        path.cubicTo(QPointF(*c1), QPointF(*c2), QPointF(*end))
    return path


class GraphItem(QGraphicsItem):
    """Paints the canvas's plan at its display state; culls to the exposed area."""

    def __init__(self, canvas: Picture):
        super().__init__()
        self.canvas = canvas
        self.setFlag(QGraphicsItem.ItemUsesExtendedStyleOption, True)
        self._rect = QRectF()
        self._dots: dict[str, QPolygonF] = {}
        self._lines: list[QLineF] = []

    def prepare(self) -> None:
        """Take a new plan: its bounds, the straight edges and the fat points used when zoomed out."""
        self.prepareGeometryChange()
        plan = self.canvas.plan
        self._rect = self.canvas.bounds()
        self._lines = [QLineF(*row) for row in plan.ends.tolist()]
        self._dots = {kind: QPolygonF([QPointF(x, y) for x, y in plan.pos[sel].tolist()])
                      for kind, sel in (("round", plan.round), ("square", ~plan.round))}

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt API)
        return self._rect

    def _zoomed_out(self, painter: QPainter) -> tuple[float, bool]:
        """(zoom, whether text would fall below the floor there)."""
        lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        return lod, SMALLEST_PX * lod < self.canvas.min_text_px - 1e-6

    @staticmethod
    def _exposed(rect: QRectF) -> Rect:
        """The exposed area, widened so thumbnails and labels reaching into it are painted."""
        r = rect.adjusted(-HEAT * 2, -HEAT * 2, HEAT * 2, HEAT * 2)
        return Rect(r.left(), r.top(), r.width(), r.height())

    def paint_static(self, painter: QPainter, rect: QRectF) -> None:
        """Edges in the theme's edge colour, every node's shape and name (what no step changes)."""
        plan = self.canvas.plan
        self.canvas.text_record.begin("static")
        lod, zoomed_out = self._zoomed_out(painter)
        exposed = self._exposed(rect)
        painter.setRenderHint(QPainter.Antialiasing, not zoomed_out or len(plan) < 1000)
        self._paint_edges(painter, exposed, lod, done=False)
        if zoomed_out:  # every node as one fat point, one call per shape
            self._paint_dots(painter)
            return
        for v in plan.nodes_in(exposed).tolist():
            self._paint_shape(painter, v, current=False)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        c = self.canvas
        c.text_record.begin("step")
        if c.display is None or c.plan is None or not len(c.plan):
            return
        lod, zoomed_out = self._zoomed_out(painter)
        exposed = self._exposed(option.exposedRect)
        painter.setRenderHint(QPainter.Antialiasing, not zoomed_out or len(c.plan) < 1000)
        self._paint_edges(painter, exposed, lod, done=True)
        current = c.display.current
        if current is not None:
            self._paint_shape(painter, int(c.plan.view.owner[current]), current=True, text=not zoomed_out)
        if zoomed_out:
            return
        for v in c.plan.nodes_in(exposed).tolist():
            self._paint_labels(painter, v)
        self._paint_current_edges(painter)

    def _paint_dots(self, painter: QPainter) -> None:
        border = self.canvas.colours["node_border"]
        for kind, cap in (("round", Qt.RoundCap), ("square", Qt.SquareCap)):
            painter.setPen(QPen(border, 2 * R, Qt.SolidLine, cap))
            painter.drawPoints(self._dots[kind])

    # edges ---------------------------------------------------------------------------------
    def _paint_edges(self, painter: QPainter, exposed: Rect, lod: float, done: bool) -> None:
        """The grey edges (``done=False``), or those something has flowed along, by how much (``flow_pen``)."""
        c = self.canvas
        plan = c.plan
        if not len(plan.view.edges):
            return
        keep = plan.edges_in(exposed)
        role, mags = c.flow
        idx = np.flatnonzero(keep & ~np.isnan(mags)) if done else np.flatnonzero(keep)
        curved = len(idx) <= CURVE_LIMIT
        bucket_of = np.zeros(len(keep), dtype=int)
        if done:  # zero: −1 (no flow); else the fixed log scale in FLOW_STEPS steps
            flowing = mags[idx] > 0
            bucket_of[idx] = -1
            bucket_of[idx[flowing]] = [round(flow_level(m) * FLOW_STEPS) for m in mags[idx[flowing]].tolist()]
        for bucket in np.unique(bucket_of[idx]).tolist():
            sel = idx[bucket_of[idx] == bucket]
            pen = flow_pen(c.colours, role, bucket / FLOW_STEPS) if done else QPen(c.colours["edge"], 1.6)
            pen.setCosmetic(lod < 0.5)
            painter.setPen(pen)
            painter.setBrush(Qt.NoBrush)
            if curved:
                for k in sel.tolist():
                    painter.drawPath(route_path(plan.route(k)))
            else:
                painter.drawLines([self._lines[k] for k in sel.tolist()])

    def _paint_current_edges(self, painter: QPainter) -> None:
        """Backward: the edges the current gate sends gradient along, with the contribution."""
        c = self.canvas
        highlight = c.colours["highlight"]
        for k, _ in c.plan.current_edges(c.display):
            x0, y0 = c.plan.ends[k, :2]
            painter.setPen(QPen(highlight, 5))
            painter.setBrush(Qt.NoBrush)
            painter.drawPath(route_path(c.plan.route(k)))
            _arrow(painter, QPointF(x0, y0), highlight)
        for rect, text in c.edge_labels:  # arrays: the heatmaps tell, the card has the numbers
            self._text_on_patch(painter, qrect(rect), text, c.text.font(EDGE_LABEL), c.colours["grad"])

    # nodes ---------------------------------------------------------------------------------
    def _paint_shape(self, painter: QPainter, v: int, current: bool, text: bool = True) -> None:
        """Node ``v``'s circle or box and the name or symbol in it; highlighted when ``current``."""
        c, col, plan = self.canvas, self.canvas.colours, self.canvas.plan
        px, py = plan.pos[v]
        hw, hh = plan.half[v]
        pen = QPen(col["highlight" if current else "node_border"], 4.5 if current else 2.0)
        if plan.dashed(v):
            pen.setStyle(Qt.DashLine)
        painter.setPen(pen)
        painter.setBrush(col["panel" if plan.view.group[v] is not None else "node_fill"])
        box = QRectF(px - hw, py - hh, 2 * hw, 2 * hh)
        if plan.round[v]:
            painter.drawEllipse(box)
        else:
            painter.drawRoundedRect(box, 10, 10)
        if not text:
            return
        for role, words, font, anchor in plan.shape_texts(v):
            painter.setPen(col[role])
            painter.setFont(c.text.font(font))
            c.text_record.add("step" if current else "static", screen_px(painter, c.text.font(font)))
            y = py + (2 if anchor > 0 else 0)
            painter.drawStaticText(qrect(plan.text_rect(words, font, px, y, anchor)).topLeft(),
                                   c.text.static_text(words, font))

    def _paint_labels(self, painter: QPainter, v: int) -> None:
        """Value above (blue), gradient or tangent below, the fan-in sum under that."""
        c, col = self.canvas, self.canvas.colours
        colour = {"value": col["value"], "name": col["muted"], "grad": col["grad"], "tangent": col["tangent"]}
        for kind, rect, what in c.plan.labels(v, c.display):
            if kind.startswith("heat"):
                _paint_heat(painter, c.heat(*what), qrect(rect), col["value" if kind == "heat-value" else "grad"],
                            col["background"])
            elif kind == "sum":
                self._text_on_patch(painter, qrect(rect), what, c.text.font(EDGE_LABEL), col["grad"])
            else:
                painter.setPen(colour[kind])
                painter.setFont(c.text.font(NUMBER))
                c.text_record.add("step", screen_px(painter, c.text.font(NUMBER)))
                painter.drawStaticText(QPointF(rect.left, rect.top), c.text.static_text(what, NUMBER))


    def _text_on_patch(self, painter: QPainter, rect: QRectF, text: str, font: QFont, colour: QColor) -> None:
        self.canvas.text_record.add("step", screen_px(painter, font))
        _label(painter, rect, text, font, colour, self.canvas.colours["background"])


def _paint_heat(painter: QPainter, image: QImage, rect: QRectF, frame: QColor, grid: QColor) -> None:
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


def _arrow(painter: QPainter, tip: QPointF, colour: QColor) -> None:
    """An arrowhead pointing left at ``tip``: the gradient flows back to the argument."""
    length, half = ARROW_SIZE
    painter.setBrush(colour)
    painter.setPen(Qt.NoPen)
    painter.drawPolygon(QPolygonF([tip, tip + QPointF(length, -half), tip + QPointF(length, half)]))


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
