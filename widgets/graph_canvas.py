"""The graph canvas: a computational graph drawn left to right, values above, gradients below.

The canvas draws what the view model computed: a :class:`~viewmodel.timeline.Timeline`,
its :class:`~viewmodel.canvas_plan.CanvasPlan` (where everything goes, measured
with :mod:`widgets.canvas_text`) and the :class:`~viewmodel.timeline.DisplayState`
of the current step; it never differentiates anything itself.  Painting is
:mod:`widgets.graph_painter`; the chain-rule card sits in a strip under the
viewport (:mod:`widgets.card_strip`) and never covers the graph.  This module
holds the camera (fit, zoom, follow a node) and the mouse.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QGraphicsScene, QGraphicsView, QToolTip, QWidget

from viewmodel.canvas_plan import CanvasPlan, NodeText
from viewmodel.geometry import Rect
from viewmodel.groups import ViewGraph
from viewmodel.timeline import DisplayState, Timeline
from widgets.canvas_text import CanvasText
from widgets.card_strip import CardStrip
from widgets.graph_painter import GraphItem, qrect
from widgets.heatmap import HeatLegend, heatmap_image
from widgets.theme import LIGHT, Theme

MAX_FIT = 1.8
"""Fit-to-view never zooms in further than this."""
ZOOM_RANGE = (0.01, 6.0)
"""The wheel zooms within these scales."""


class GraphCanvas(QGraphicsView):
    """Zoom (wheel), pan (drag), fit (``fit()``/F), hover for full numbers, click to inspect."""

    node_clicked = Signal(int)
    """A graph node index when a node is clicked, −1 for the background."""
    node_double_clicked = Signal(int)
    """A graph node index, when a node (or a collapsed box) is double-clicked."""

    def __init__(self, theme: Theme = LIGHT, parent: QWidget | None = None):
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.plan: CanvasPlan | None = None
        self.display: DisplayState | None = None
        self.edge_labels: list[tuple[Rect, str]] = []
        self.done_edges = np.zeros(0, dtype=bool)
        self.explain_lines: list[tuple[str, str]] = []
        self.text = CanvasText(self.font())
        self._heat_cache: dict[tuple[str, int], Any] = {}
        self._item = GraphItem(self)
        self.scene().addItem(self._item)
        self.strip = CardStrip(self)
        self.card = self.strip.card
        self.heat_legend = HeatLegend(self.viewport(), theme)
        """The heatmaps' colour scale, top right, shown while the graph has tensors."""
        self.heat_legend.hide()
        self.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self.setDragMode(QGraphicsView.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.FullViewportUpdate)
        self.setCacheMode(QGraphicsView.CacheBackground)
        self.setMouseTracking(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.set_theme(theme)

    # -- data in --------------------------------------------------------------------------
    @property
    def timeline(self) -> Timeline | None:
        return self.plan.timeline if self.plan is not None else None

    def set_graph(self, timeline: Timeline, view: ViewGraph) -> None:
        """Plan ``view`` (a possibly collapsed drawing of ``timeline.graph``) and show step 0."""
        self.plan = CanvasPlan(timeline, view, self.text.measure)
        self._heat_cache = {}
        self._item.prepare()
        self.resetCachedContent()
        self.strip.set_timeline(timeline)
        self.heat_legend.setVisible(bool(self.plan.tensor.any()))
        self.show_state(timeline.state(0))
        self.fit()

    def show_state(self, display: DisplayState) -> None:
        """Show the animation at ``display`` (derived from the step index by the view model)."""
        self.display = display
        self.explain_lines = self.plan.timeline.explain(display.position)
        if self.strip.show(self.explain_lines):
            self.fit()
        self.done_edges = self.plan.done_edges(display)
        self.edge_labels = self.plan.edge_labels(display)
        self._item.update()
        self.viewport().update()

    def set_theme(self, theme: Theme) -> None:
        """Recolour with a :mod:`widgets.theme` palette (the card's font follows its size)."""
        self.theme = theme
        self.colours = {k: QColor(getattr(theme, k)) for k in (
            "background", "panel", "text", "muted", "node_fill", "node_border", "edge", "value", "grad",
            "tangent", "highlight")}
        """The theme's colours as QColor, made once per theme rather than per node."""
        self.setBackgroundBrush(self.colours["background"])
        self._heat_cache = {}
        self.resetCachedContent()
        self.strip.set_theme(theme)
        self.heat_legend.set_theme(theme)
        self._item.update()
        self.viewport().update()

    # -- what is drawn, for painting and for tests ---------------------------------------------
    def displayed(self, i: int) -> NodeText:
        """The texts drawn at graph node ``i`` now (empty when inside a collapsed box)."""
        return self.plan.displayed(i, self.display)

    def drawn_boxes(self) -> list[tuple[str, Rect]]:
        """Every text, thumbnail and node shape on screen now, in scene coordinates (for tests)."""
        return self.plan.drawn_boxes(self.display)

    def heat(self, kind: str, i: int):
        """The heatmap image of graph node ``i``'s value or grad (cached per graph)."""
        key = (kind, i)
        if key not in self._heat_cache:
            timeline = self.plan.timeline
            arr = timeline.graph.nodes[i].data if kind == "value" else timeline.grads[i]
            self._heat_cache[key] = heatmap_image(arr)
        return self._heat_cache[key]

    def tooltip(self, i: int) -> str:
        """Full value and gradient of graph node ``i`` (as far as the animation has revealed them)."""
        return self.plan.tooltip(i, self.display)

    # -- the camera ------------------------------------------------------------------------------
    def bounds(self) -> QRectF:
        """The scene rectangle holding every node, its labels and the arcs of long edges."""
        return qrect(self.plan.bounds()) if self.plan is not None else QRectF(0, 0, 1, 1)

    def fit(self) -> None:
        """Fit the whole graph into the viewport (the card has its own strip below it), ≤ MAX_FIT."""
        rect = self.bounds()
        self.scene().setSceneRect(rect.adjusted(-2000, -2000, 2000, 2000))
        vw, vh = self.viewport().width() - 16, self.viewport().height() - 16
        s = min(vw / rect.width(), vh / rect.height(), MAX_FIT)
        self.resetTransform()
        self.scale(s, s)
        self.centerOn(rect.center())

    def node_centre(self, i: int) -> QPointF:
        """Where graph node ``i`` (or the box it is collapsed into) is drawn, in scene coordinates."""
        return QPointF(*self.plan.pos[int(self.plan.view.owner[i])])

    def center_on_node(self, i: int) -> None:
        """Scroll graph node ``i`` to the middle of the viewport, keeping the zoom."""
        self.centerOn(self.node_centre(i))

    def follow(self, i: int | None, span: float) -> None:
        """Zoom onto graph node ``i``: ``span`` column spacings either side (on a small graph, closer
        than the whole graph); the whole graph when there is no node to follow."""
        if i is None or self.plan is None or not len(self.plan):
            self.fit()
            return
        centre = self.node_centre(i)
        half = min(span * self.plan.column_spacing(), self.bounds().width() / 3)
        self.fitInView(QRectF(centre.x() - half, centre.y() - half * 0.6, 2 * half, 1.2 * half), Qt.KeepAspectRatio)
        self.centerOn(centre)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        self.strip.resized()
        self.heat_legend.move(self.viewport().width() - self.heat_legend.width() - 8, 8)

    # -- interaction -----------------------------------------------------------------------------
    def _node_under(self, event) -> int | None:
        """The visual node under the mouse, or None."""
        if self.plan is None:
            return None
        p = self.mapToScene(event.position().toPoint())
        return self.plan.node_at(p.x(), p.y())

    def wheelEvent(self, event) -> None:  # noqa: N802 (Qt API)
        factor = 1.15 ** (event.angleDelta().y() / 120.0)
        s = self.transform().m11() * factor
        if ZOOM_RANGE[0] <= s <= ZOOM_RANGE[1]:
            self.scale(factor, factor)

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if event.key() == Qt.Key_F:
            self.fit()
        else:
            super().keyPressEvent(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().mouseMoveEvent(event)
        v = self._node_under(event)
        if v is None:
            QToolTip.hideText()
            return
        QToolTip.showText(event.globalPosition().toPoint(), self.tooltip(int(self.plan.view.rep[v])), self)

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt API)
        v = self._node_under(event)
        if event.button() == Qt.LeftButton and self.plan is not None:
            self.node_clicked.emit(-1 if v is None else int(self.plan.view.rep[v]))
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802 (Qt API)
        v = self._node_under(event)
        if v is not None:
            self.node_double_clicked.emit(int(self.plan.view.rep[v]))
        else:
            self.fit()

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802 (Qt API)
        """The static picture (grey edges, node shapes and names), cached by the view."""
        super().drawBackground(painter, rect)
        if self.display is not None and self.plan is not None and len(self.plan):
            self._item.paint_static(painter, rect)
