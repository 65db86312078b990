"""The graph canvas: a computational graph drawn left to right, values above, gradients below.

The canvas draws what the view model computed: a :class:`~viewmodel.timeline.Timeline`,
its :class:`~viewmodel.canvas_plan.CanvasPlan` (where everything goes, measured
with :mod:`widgets.canvas_text`) and the :class:`~viewmodel.timeline.DisplayState`
of the current step; it never differentiates anything itself.  Painting is
:mod:`widgets.graph_painter`; the chain-rule card sits in a strip under the
viewport (:mod:`widgets.card_strip`) and never covers the graph.  This module
holds the camera and the mouse.  The camera never zooms out so far that text falls
below the theme's floor: :mod:`viewmodel.detail` decides which groups collapse and
where to look (it follows the current step, panning smoothly, when the graph is too
big), and ``smallest_text_px()`` reports the smallest text painted.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from PySide6.QtCore import QEasingCurve, QPointF, QRectF, Qt, QVariantAnimation, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QGuiApplication, QPainter
from PySide6.QtWidgets import QGraphicsScene, QGraphicsView, QToolTip, QWidget

from viewmodel.canvas_plan import CanvasPlan, NodeText
from viewmodel.detail import Detail, Framing, TextRecord, floor_zoom
from viewmodel.geometry import Rect
from viewmodel.groups import Group, ViewGraph
from viewmodel.timeline import DisplayState, Timeline
from widgets.canvas_text import CanvasText
from widgets.card_strip import CardStrip
from widgets.graph_painter import GraphItem, paint_legend, qrect
from widgets.heatmap import HeatLegend, heatmap_image
from widgets.theme import LIGHT, Theme

MAX_FIT = 1.8
"""Fit-to-view never zooms in further than this."""
ZOOM_RANGE = (0.01, 6.0)
"""The wheel zooms within these scales (zoomed out below the text floor, nodes become dots)."""
PAN_MS = 280
"""How long the camera takes to glide to the next step when it follows the step."""
HEADLESS = ("offscreen", "minimal")
"""Platforms that only render pictures (screenshots, exports, tests): the camera jumps, never glides."""


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
        self.detail: Detail | None = None
        self.framing: Framing | None = None
        """Where the camera looks now, when it frames the graph itself (None after wheel or follow)."""
        self.text_record = TextRecord()
        """The smallest text each paint pass drew, in pixels on screen."""
        self._pan = QVariantAnimation(self)
        self._pan.setDuration(PAN_MS)
        self._pan.setEasingCurve(QEasingCurve.InOutCubic)
        self._pan.valueChanged.connect(self.centerOn)
        self.display: DisplayState | None = None
        self.edge_labels: list[tuple[Rect, str]] = []
        self.flow: tuple[str, np.ndarray] = ("grad", np.zeros(0))
        """What the edges carry now and how much (``CanvasPlan.flow``)."""
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

    def set_graph(self, timeline: Timeline, view: ViewGraph, groups: Sequence[Group] = ()) -> None:
        """Plan ``view`` (a possibly collapsed drawing of ``timeline.graph``) and show step 0; ``groups``
        are what level of detail may collapse when the graph is too big for the text floor."""
        self.detail = Detail(timeline, view, groups, self.text.measure)
        self.display = None  # (the last graph's)
        self._heat_cache = {}
        self._use(self.detail.plan(self.detail.chosen))
        self.strip.set_timeline(timeline)
        self.heat_legend.setVisible(bool(self.plan.tensor.any()))
        self.framing = None
        self.show_state(timeline.state(0))
        self.fit()

    def _use(self, plan: CanvasPlan) -> None:
        """Draw ``plan`` from now on (another grouping of the same timeline)."""
        self.plan = plan
        if self.display is not None:
            self.flow = plan.flow(self.display)
            self.edge_labels = plan.edge_labels(self.display)
        self._item.prepare()
        self.scene().setSceneRect(self.bounds().adjusted(-2000, -2000, 2000, 2000))
        self.resetCachedContent()

    def show_state(self, display: DisplayState) -> None:
        """Show the animation at ``display`` (derived from the step index by the view model)."""
        self.display = display
        self.explain_lines = self.plan.timeline.explain(display.position)
        self.strip.show(self.explain_lines)
        if self.framing is not None:
            self._frame(animate=True)
        self.flow = self.plan.flow(display)
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
        if self.framing is not None and self.plan is not None:  # another floor: frame again
            self._frame(animate=False)

    @property
    def min_text_px(self) -> float:
        """The theme's text floor: no text is painted smaller (pixels on screen)."""
        return float(self.theme.min_text_px)

    def smallest_text_px(self) -> float | None:
        """The smallest text painted on the canvas and its card at the last paint, in screen pixels."""
        sizes = [px for px in (self.text_record.smallest(), self.card.smallest_text_px()) if px is not None]
        return min(sizes, default=None)

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
        """Frame the graph from now on (also after every step and resize): all of it, ≤ MAX_FIT, if it
        fits at the text floor; else its groups collapsed around the current step, followed."""
        if self.plan is None:
            return
        self.framing = None
        self._frame(animate=False)

    def _frame(self, animate: bool) -> None:
        """Apply :meth:`viewmodel.detail.Detail.frame` for the viewport now; glide when only panning."""
        legend = self.legend_height()
        framing = self.detail.frame((self.viewport().width(), self.viewport().height() - legend),
                                    floor_zoom(self.min_text_px), MAX_FIT, self._focus())
        same_plan = self.detail.plan(framing.collapsed) is self.plan
        if not same_plan:
            self._use(self.detail.plan(framing.collapsed))
        pan = animate and same_plan and self.framing is not None and self.framing.scale == framing.scale \
            and self.isVisible() and QGuiApplication.platformName() not in HEADLESS
        self.framing = framing
        self._pan.stop()
        centre = QPointF(framing.centre[0], framing.centre[1] - legend / 2 / framing.scale)  # below the legend
        if pan:
            self._pan.setStartValue(self.mapToScene(self.viewport().rect().center()))
            self._pan.setEndValue(centre)
            self._pan.start()
            return
        self.resetTransform()
        self.scale(framing.scale, framing.scale)
        self.centerOn(centre)

    def _focus(self) -> int | None:
        """The node the camera is about: the current step's; before the first step the first step's
        node, after the last the output."""
        display, timeline = self.display, self.plan.timeline
        if display is None or display.current is not None or not timeline.steps:
            return display.current if display is not None else None
        return timeline.steps[0].index if display.position == 0 else len(timeline.graph) - 1

    def settle(self) -> None:
        """End a camera glide now, at its target (before grabbing a frame)."""
        if self._pan.state() == QVariantAnimation.Running:
            self._pan.stop()
            self.centerOn(self._pan.endValue())

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
        self.framing = None
        self._pan.stop()
        centre = self.node_centre(i)
        half = min(span * self.plan.column_spacing(), self.bounds().width() / 3)
        self.fitInView(QRectF(centre.x() - half, centre.y() - half * 0.6, 2 * half, 1.2 * half), Qt.KeepAspectRatio)
        if self.transform().m11() < floor_zoom(self.min_text_px):  # never below the text floor
            self.resetTransform()
            self.scale(floor_zoom(self.min_text_px), floor_zoom(self.min_text_px))
        self.centerOn(centre)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        self.strip.resized()
        self.heat_legend.move(self.viewport().width() - self.heat_legend.width() - 8, 8)
        if self.framing is not None:  # the first resize after showing included: never a 2 px dot
            self._frame(animate=False)

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
            self.framing = None  # the lecturer's zoom: stop framing until F
            self._pan.stop()
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

    def legend_font(self) -> QFont:
        """The legend's font: the theme's text floor, at least 13 px."""
        font = QFont(self.font())
        font.setPixelSize(max(13, int(self.min_text_px)))
        return font

    def legend_height(self) -> int:
        """Pixels along the top of the viewport kept for the edges' legend (no graph is framed there)."""
        return int(QFontMetricsF(self.legend_font()).height() + 10) if self.plan is not None else 0

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802 (Qt API)
        """The legend of the edges' log scale, fixed to the top of the viewport."""
        self.text_record.begin("legend")
        if self.plan is None or not len(self.plan.view.edges):
            return
        painter.save()
        painter.resetTransform()
        paint_legend(painter, QRectF(0, 0, self.viewport().width(), self.legend_height()), self.colours,
                     self.flow[0], self.legend_font(), self.text_record)
        painter.restore()

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802 (Qt API)
        """The static picture (grey edges, node shapes and names), cached by the view."""
        super().drawBackground(painter, rect)
        if self.display is not None and self.plan is not None and len(self.plan):
            self._item.paint_static(painter, rect)
