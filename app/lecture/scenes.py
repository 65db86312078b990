"""Apply a scene to the views: one adapter per view kind over that view's public methods.

An adapter wraps a live page (the main window's, or one a :class:`SceneHost`
made for presenting and exporting) and gives the lecture layer one vocabulary:
``load(scene)``, ``step_count()``, ``step()``, ``set_step(k)``, ``capture()``
(the page's current content as a scene, for "add scene"), ``capture_view_state()``
(the same plus what only a saved session keeps, e.g. the explorer's editor draft),
``set_presenting(on)`` (hide the editing chrome) and ``picture()`` (the widget
to export).  ``check(scene)``, without a page, refuses what ``load`` would refuse, so
a file is validated before any window changes.  Views never learn about lessons.
"""
from __future__ import annotations

import functools
import importlib
import json
import time
from typing import ClassVar

import numpy as np
from PySide6.QtCore import QEvent, QEventLoop, QObject, QPointF, QRectF, Qt, QThread
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QMainWindow, QStackedWidget, QTabWidget, QWidget

from app.lecture.lessons import LessonError, Scene, encode_numbers
from widgets.theme import LIGHT, Theme

FOLLOW_SPAN = 2.5
"""Following the current node, the zoom shows this many layer spacings either side of it."""


class ViewAdapter:
    """The lecture layer's handle on one page of the app."""

    kind: ClassVar[str]
    module: ClassVar[str]
    class_name: ClassVar[str]

    def __init__(self, page: QWidget):
        self.page = page

    @classmethod
    def page_class(cls) -> type:
        """The page's class (imported on first use, so a missing lab fails only when asked for)."""
        return getattr(importlib.import_module(cls.module), cls.class_name)

    @classmethod
    def create(cls, theme: Theme) -> "ViewAdapter":
        """A new page of this kind in ``theme``, wrapped."""
        return cls(cls.page_class()(theme=theme))

    def ready(self) -> bool:
        """False while the page is still computing in the background (default: always ready)."""
        return True

    def shutdown(self) -> None:
        """Stop the page's background work before it is destroyed (default: none)."""

    @classmethod
    def check(cls, scene: Scene) -> None:
        """Raise the LessonError ``load`` would raise for this scene, without a page (default: none)."""

    def load(self, scene: Scene) -> None:
        """Show the scene's content (not its step)."""
        raise NotImplementedError

    def step_count(self) -> int:
        """How many positions the animation has (a still view has 1)."""
        raise NotImplementedError

    def step(self) -> int:
        """The position shown now, 0-based."""
        raise NotImplementedError

    def set_step(self, step: int) -> None:
        """Show position ``step`` (clamped)."""
        raise NotImplementedError

    def capture(self) -> Scene:
        """The page's current content and step as a scene."""
        raise NotImplementedError

    def capture_view_state(self) -> Scene:
        """What a saved session keeps of the page: ``capture()`` (default) plus any view-only state."""
        return self.capture()

    def is_empty(self) -> bool:
        """True while the page shows nothing that could be captured (default: never)."""
        return False

    def set_presenting(self, on: bool) -> None:
        """Hide (or show again) the page's editing controls: the page's own ``set_presenting``."""
        self.page.set_presenting(on)

    def picture(self) -> QWidget:
        """The widget an export renders: the drawing, without the controls."""
        raise NotImplementedError

    def follow(self) -> None:
        """Zoom onto what the current step is about, where the view can (default: nothing)."""

    def reframe(self) -> None:
        """Fit the drawing to the widget's new size (default: the view does it itself)."""


class ExplorerAdapter(ViewAdapter):
    """The graph explorer (:class:`app.explorer.ExplorerPage`): positions 0..len(timeline)."""

    kind = "explorer"
    module = "app.explorer"
    class_name = "ExplorerPage"

    @classmethod
    def check(cls, scene: Scene) -> None:
        """Build the scene's graph and its timeline as the explorer does (Qt-free engine calls)."""
        from app.explorer_model import make_timeline
        from engine import Graph
        if scene.example is not None:
            graph = Graph(_example(scene.example).build().output)
            _set_inputs(graph, _overrides(graph, scene.example, scene.values))
        else:
            from engine.expr import parse
            try:  # (an ExpressionError is a ValueError)
                graph = Graph(parse(scene.expression).build(scene.values))
            except (ValueError, TypeError, ArithmeticError) as exc:
                raise LessonError(f"the engine cannot build it: {exc}", field_name="expression") from None
        names = [x.name for x in graph.inputs if x.name]
        if scene.wrt is not None and scene.wrt not in names:
            raise LessonError(f"{scene.wrt!r} is not an input to differentiate by (inputs: {', '.join(names)})",
                              field_name="wrt")
        mode = scene.mode if names or scene.mode != "grad-graph" else "reverse"
        try:
            make_timeline(graph, mode, scene.wrt or (names[0] if names else None))
        except (ValueError, TypeError, ArithmeticError) as exc:
            raise LessonError(f"the engine cannot step through it: {exc}",
                              field_name="expression" if scene.expression is not None else "values") from None

    def load(self, scene: Scene) -> None:
        page = self.page
        if scene.example is not None:
            page.load_example(_example(scene.example).id)
            for name, value in _overrides(page.graph, scene.example, scene.values).items():
                page.set_input(name, value)
        else:
            from engine.expr import parse
            page.editor.set_text(scene.expression)
            page.load_program(parse(scene.expression), scene.values)
            if page.editor.last_error is not None:  # the engine refused it (e.g. 1/0): shown inline
                raise LessonError(str(page.editor.last_error), field_name="expression")
        page.set_mode(scene.mode, scene.wrt)
        if scene.draft is not None:  # back into the editor as it was, never used as the program
            from engine.expr import ExpressionError, parse
            page.editor.set_text(scene.draft)
            try:
                parse(scene.draft)
            except ExpressionError as exc:
                page.editor.show_error(exc)

    def step_count(self) -> int:
        return len(self.page.timeline) + 1 if self.page.timeline is not None else 1

    def step(self) -> int:
        return self.page.position

    def set_step(self, step: int) -> None:
        self.page.set_position(step)

    def is_empty(self) -> bool:
        return self.page.graph is None

    def capture(self) -> Scene:
        """The graph on screen: the example (with any edited inputs) or the last program that was
        shown, with its values — never editor text that did not become the graph."""
        page = self.page
        from app.examples import EXAMPLES
        title = EXAMPLES[page.example_id].title if page.example_id in EXAMPLES else "My expression"
        scene = Scene(view="explorer", step=page.position, mode=page.mode, title=title,
                      wrt=page.wrt if page.mode == "grad-graph" else None)
        if page.example_id is not None:
            scene.example = page.example_id
            defaults = _example_inputs(page.example_id)
            scene.values = {name: value for name, value in _leaf_values(page.graph).items()
                            if _saved_text(value) != defaults.get(name)}
        else:
            scene.expression = page.program_source
            scene.values = {x.name: np.asarray(x.data).tolist() for x in page.graph.inputs if x.name}
        return scene

    def capture_view_state(self) -> Scene:
        """``capture()`` plus the editor's text as ``draft`` when it is not the program shown."""
        scene = self.capture()
        if self.page.editor.text() != self.page.program_source:
            scene.draft = self.page.editor.text()
        return scene

    def picture(self) -> QWidget:
        return self.page.canvas

    def reframe(self) -> None:
        self.page.canvas.fit()

    def follow(self) -> None:
        """Centre the canvas on the current node, zoomed to its neighbourhood."""
        canvas = self.page.canvas
        state = canvas.state
        if state is None or state.current is None or not len(canvas.pos):
            canvas.fit()
            return
        x, y = canvas.pos[int(canvas.view.owner[state.current])]
        spacing = float(np.diff(np.unique(canvas.pos[:, 0])).min()) if len(np.unique(canvas.pos[:, 0])) > 1 else 150.0
        # a few columns around the node; on a small graph, closer than the whole graph
        half = min(FOLLOW_SPAN * spacing, canvas.bounds().width() / 3)
        canvas.fitInView(QRectF(x - half, y - half * 0.6, 2 * half, 1.2 * half), Qt.KeepAspectRatio)
        canvas.centerOn(QPointF(x, y))


def _example(example_id: str):
    """The built-in example, or a LessonError on the scene's 'example' field."""
    from app import examples
    try:
        return examples.get(example_id)
    except KeyError as exc:
        raise LessonError(exc.args[0], field_name="example") from None


def _leaf_values(graph) -> dict[str, object]:
    """Every named leaf's value (what the inputs panel lists), as plain numbers and lists."""
    return {n.name: np.asarray(n.data).tolist() for n in graph.nodes if n.prim is None and n.name}


def _saved_text(value: object) -> str:
    """A value as a file spells it, so NaN equals NaN and −0 differs from 0."""
    return json.dumps(encode_numbers(value))


@functools.lru_cache(maxsize=None)
def _example_inputs(example_id: str) -> dict[str, str]:
    """A built-in example's own input values, as saved (examples are built deterministically)."""
    from engine import Graph
    return {name: _saved_text(v) for name, v in _leaf_values(Graph(_example(example_id).build().output)).items()}


def _overrides(graph, example_id: str, values: dict[str, object]) -> dict[str, object]:
    """A scene's edited input values for an example's graph, as leaf data (LessonError on 'values'
    for a name the example does not have or a value of another shape)."""
    leaves = {n.name: n for n in graph.nodes if n.prim is None and n.name}
    out = {}
    for name, value in values.items():
        leaf = leaves.get(name)
        if leaf is None:
            raise LessonError(f"{name} is not an input of example {example_id!r} (its inputs: "
                              f"{', '.join(leaves)})", field_name="values")
        if np.shape(value) != np.shape(leaf.data):
            raise LessonError(f"{name} has shape {np.shape(value)}, the example's {np.shape(leaf.data)}",
                              field_name="values")
        out[name] = np.asarray(value, dtype=float) if isinstance(leaf.data, np.ndarray) else float(value)
    return out


def _set_inputs(graph, values: dict[str, object]) -> None:
    try:
        graph.forward(values)
    except (ValueError, TypeError, ArithmeticError) as exc:
        raise LessonError(f"the engine cannot run it with these values: {exc}", field_name="values") from None


def _unknown(what: str, name: str, known: list[str], field_name: str) -> LessonError:
    return LessonError(f"no {what} {name!r}; choose one of: {', '.join(known)}", field_name=field_name)


class OptimizerAdapter(ViewAdapter):
    """The optimizer lab's surface race (:class:`app.optimizer_lab.OptimizerLab`): steps 0..N."""

    kind = "optimizer"
    module = "app.optimizer_lab"
    class_name = "OptimizerLab"

    @classmethod
    def check(cls, scene: Scene) -> None:
        module = importlib.import_module(cls.module)
        if scene.preset is not None and scene.preset not in module.PRESETS:
            raise _unknown("optimizer preset", scene.preset, list(module.PRESETS), "preset")
        if scene.surface is not None:
            from engine.surfaces import SURFACES
            if scene.surface not in SURFACES:
                raise _unknown("surface", scene.surface, list(SURFACES), "surface")
            labels = [r.label for r in module.surface_racers()]
            for name in scene.optimizers:
                if name not in labels:
                    raise _unknown("optimizer", name, labels, "optimizers")

    def load(self, scene: Scene) -> None:
        lab = self.page
        module = importlib.import_module(self.module)
        self.check(scene)
        shown = self.capture()
        if (shown.preset, shown.surface, shown.optimizers) == (scene.preset, scene.surface, scene.optimizers):
            return  # already on screen: keep the computed race (and any training) instead of redoing it
        if scene.preset is not None:
            lab.load_preset(scene.preset)
        if scene.surface is not None:
            racers = tuple(scene.optimizers) or tuple(r.label for r in module.surface_racers() if r.enabled)
            lab.tabs.setCurrentWidget(lab.race)
            lab.race.apply(module.Preset(scene.surface, racers))

    def _racing(self) -> bool:
        return self.page.tabs.currentWidget() is self.page.race

    def step_count(self) -> int:
        return self.page.race.steps + 1 if self._racing() else 1

    def step(self) -> int:
        return self.page.race.step if self._racing() else 0

    def set_step(self, step: int) -> None:
        if self._racing():
            self.page.race.show_step(step)

    def ready(self) -> bool:
        return self.page.ready

    def shutdown(self) -> None:
        self.page.shutdown()

    def capture(self) -> Scene:
        lab, race = self.page, self.page.race
        preset = lab.preset_box.currentText()
        module = importlib.import_module(self.module)
        racers = tuple(r.label for _, r in race.panel.enabled())
        chosen = module.PRESETS.get(preset)
        scene = Scene(view="optimizer", title=preset, step=self.step())
        if chosen is not None and (not self._racing() or (chosen.surface == race.surface.name
                                                           and tuple(chosen.racers) == racers)):
            scene.preset = preset
        else:
            scene.title = f"{', '.join(racers)} on {race.surface.name}"
            scene.surface, scene.optimizers = race.surface.name, list(racers)
        return scene

    def picture(self) -> QWidget:
        return self.page.tabs.currentWidget()


class SequenceAdapter(ViewAdapter):
    """The sequence lab (:class:`app.sequence_lab.SequenceLab`): one step per time step t."""

    kind = "sequence"
    module = "app.sequence_lab"
    class_name = "SequenceLab"

    @classmethod
    def check(cls, scene: Scene) -> None:
        presets = importlib.import_module(cls.module).PRESETS
        if scene.preset not in presets:
            raise _unknown("sequence preset", scene.preset, list(presets), "preset")

    def load(self, scene: Scene) -> None:
        lab = self.page
        self.check(scene)
        preset = importlib.import_module(self.module).PRESETS[scene.preset]
        if (lab.preset_box.currentText(), lab.task.name, lab.task.length) != (scene.preset, preset.task, preset.length):
            lab.load_preset(scene.preset)  # (the same preset on screen keeps what was trained)

    def step_count(self) -> int:
        return self.page.task.length

    def step(self) -> int:
        return self.page.heatmaps.time

    def set_step(self, step: int) -> None:
        self.page.set_time(step)

    def ready(self) -> bool:
        return not self.page.is_training

    def shutdown(self) -> None:
        self.page.cancel_training()

    def capture(self) -> Scene:
        preset = self.page.preset_box.currentText()
        return Scene(view="sequence", title=preset, preset=preset, step=self.step())

    def picture(self) -> QWidget:
        return self.page


ADAPTERS: dict[str, type[ViewAdapter]] = {a.kind: a for a in (ExplorerAdapter, OptimizerAdapter, SequenceAdapter)}
"""Adapter class for every view kind a lesson may name."""


def adapter_for(kind: str, page: QWidget) -> ViewAdapter:
    """Wrap a live page of the given kind."""
    return ADAPTERS[kind](page)


def check_scene(scene: Scene) -> None:
    """Refuse (LessonError naming the field) a scene its view would not show: see ``ViewAdapter.check``."""
    cls = ADAPTERS.get(scene.view)
    if cls is None:
        raise LessonError(f"this version of Chainrule has no {scene.view!r} view", field_name="view")
    cls.check(scene)


def main_tabs(root: QWidget) -> QTabWidget | None:
    """The window's own tab widget of pages (its central widget), not a tab widget inside a lab."""
    central = root.centralWidget() if isinstance(root, QMainWindow) else None
    return central if isinstance(central, QTabWidget) else root.findChild(QTabWidget, "", Qt.FindDirectChildrenOnly)


def find_page(root: QWidget, kind: str) -> QWidget | None:
    """The page of this kind inside ``root`` (e.g. the main window), made current in its tabs.

    A lab the main window creates lazily (``app.main_window.TABS``) is created by
    switching to its tab.
    """
    cls = ADAPTERS[kind]
    tabs = main_tabs(root)
    if tabs is None:
        pages = root.findChildren(cls.page_class())
        return pages[0] if pages else None
    from app.main_window import TABS
    titles = {title for title, module, name in TABS if (module, name) == (cls.module, cls.class_name)}
    for i in range(tabs.count()):
        if type(tabs.widget(i)).__name__ == cls.class_name or tabs.tabText(i) in titles:
            tabs.setCurrentIndex(i)
            return tabs.widget(i)
    return None


def _resize_target(picture: QWidget) -> QWidget:
    """The widget whose resize means the drawing area changed (a scroll area's viewport, which
    is resized after the scroll area's own event filters have run)."""
    return picture.viewport() if isinstance(picture, QAbstractScrollArea) else picture


class SceneHost(QStackedWidget):
    """Pages made on demand, one per view kind, showing one scene at a time (presenter, export)."""

    def __init__(self, theme: Theme = LIGHT, presenting: bool = True, parent: QWidget | None = None):
        super().__init__(parent)
        self.theme = theme
        self.presenting = presenting
        self.adapters: dict[str, ViewAdapter] = {}
        self.adapter: ViewAdapter | None = None
        self.following = False
        from app.main_window import palette_for
        self.setPalette(palette_for(theme))  # plain widgets in the labs follow the theme too
        self.setAutoFillBackground(True)

    def _adapter(self, kind: str) -> ViewAdapter:
        if kind not in self.adapters:
            cls = ADAPTERS.get(kind)
            if cls is None:
                raise LessonError(f"this version of Chainrule has no {kind!r} view", field_name="view")
            adapter = cls.create(self.theme)
            adapter.set_presenting(self.presenting)
            self.addWidget(adapter.page)
            _resize_target(adapter.picture()).installEventFilter(self)
            self.adapters[kind] = adapter
        return self.adapters[kind]

    def show_scene(self, scene: Scene) -> None:
        """Load the scene into its page, bring the page to front and go to the scene's step."""
        adapter = self._adapter(scene.view)
        adapter.load(scene)
        self.setCurrentWidget(adapter.page)
        self.adapter = adapter
        adapter.reframe()
        last = adapter.step_count() - 1
        if scene.step > last:
            raise LessonError(f"step {scene.step} is past the end of this scene (0..{last}, or -1 for the end)",
                              field_name="step")
        self.set_step(last if scene.step < 0 else scene.step)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        """Refit the current picture whenever it changes size (window resized, full screen)."""
        if event.type() == QEvent.Resize and self.adapter is not None \
                and watched is _resize_target(self.adapter.picture()):
            self._frame()
        return False

    def _frame(self) -> None:
        if self.following:
            self.adapter.follow()
        else:
            self.adapter.reframe()

    def step_count(self) -> int:
        """Positions in the current scene's animation."""
        return self.adapter.step_count() if self.adapter else 1

    def step(self) -> int:
        """The current position."""
        return self.adapter.step() if self.adapter else 0

    def set_step(self, step: int) -> None:
        """Go to a position of the current scene (and follow it with the zoom when asked to)."""
        self.adapter.set_step(step)
        if self.following:
            self.adapter.follow()

    def set_following(self, on: bool) -> None:
        """Zoom onto the current node at every step (explorer), or show the whole picture."""
        self.following = on
        if self.adapter is not None:
            self._frame()

    def picture(self) -> QWidget:
        """The picture to export: the current page's drawing."""
        return self.adapter.picture()

    def ready(self) -> bool:
        """True when the current page has finished any background computation."""
        return self.adapter is None or self.adapter.ready()

    def wait_ready(self, timeout_s: float = 120.0) -> None:
        """Process events until the current page has finished computing (for headless export)."""
        deadline = time.monotonic() + timeout_s
        while not self.ready():
            if time.monotonic() > deadline:
                raise LessonError(f"the {self.adapter.kind} view was still computing after {timeout_s:.0f} s")
            QApplication.processEvents(QEventLoop.AllEvents, 50)
            QThread.msleep(5)

    def shutdown(self) -> None:
        """Stop every page's background work (call before the pages go away)."""
        for adapter in self.adapters.values():
            adapter.shutdown()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        self.shutdown()
        super().closeEvent(event)
