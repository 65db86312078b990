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

from viewmodel.canvas_plan import EDGE_LABEL, HEAT, NUMBER, R, SMALLEST_PX, CanvasPlan
from viewmodel.detail import TextRecord
from viewmodel.geometry import Rect
from viewmodel.timeline import DisplayState
from widgets.canvas_text import CanvasText

CURVE_LIMIT = 600
"""With more visible edges than this, edges are straight lines drawn in one call."""
ARROW_SIZE = (14.0, 8.0)
"""Length and half width of the arrowhead on the current edge."""


class Picture(Protocol):
    """What the painter paints: the plan at a display state, in colours and fonts (the graph canvas)."""

    plan: CanvasPlan | None
    display: DisplayState | None
    colours: dict[str, QColor]
    text: CanvasText
    edge_labels: list[tuple[Rect, str]]
    done_edges: np.ndarray
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
        """The grey edges (``done=False``) or those gradient has flowed back along, thicker for more."""
        c = self.canvas
        plan = c.plan
        if not len(plan.view.edges):
            return
        keep = plan.edges_in(exposed)
        idx = np.flatnonzero(keep & c.done_edges) if done else np.flatnonzero(keep)
        curved = len(idx) <= CURVE_LIMIT
        width_bucket = (1 + np.round(plan.magnitude * 4)).astype(int) if done else np.zeros(len(keep), dtype=int)
        for bucket in np.unique(width_bucket[idx]).tolist():
            sel = idx[width_bucket[idx] == bucket]
            pen = QPen(c.colours["grad" if done else "edge"], 1.2 + 1.1 * bucket if done else 1.6)
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
