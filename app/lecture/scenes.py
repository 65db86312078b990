"""Apply a scene to the views: one adapter per view kind over that view's public methods.

An adapter wraps a live page (the main window's, or one a :class:`SceneHost`
made for presenting and exporting) and gives the lecture layer one vocabulary
over the page's view model and public methods (never its widgets' insides):
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
from typing import Any, ClassVar

import numpy as np
from PySide6.QtCore import QEvent, QEventLoop, QObject, QThread
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QStackedWidget, QWidget

from app import examples
from app.lecture.lessons import LessonError, Scene, encode_numbers
from app.pages import page_info
from engine import Graph
from viewmodel.explorer_state import ExplorerState
from viewmodel.text import short_label
from widgets.palette import palette_for
from widgets.theme import LIGHT, Theme

FOLLOW_SPAN = 2.5
"""Following the current node, the zoom shows this many layer spacings either side of it."""


class ViewAdapter:
    """The lecture layer's handle on one page of the app."""

    kind: ClassVar[str]

    def __init__(self, page: QWidget):
        self.page = page

    @classmethod
    def page_class(cls) -> type:
        """The page's class (imported on first use, so a missing lab fails only when asked for)."""
        return page_info(cls.kind).load()

    @classmethod
    def module(cls):
        """The page's module (its presets and catalogues)."""
        return importlib.import_module(page_info(cls.kind).module)

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

    def facts(self) -> dict[str, Any]:
        """What the page shows now, in the terms of a scene's ``expect`` (:mod:`app.lecture.expect`)."""
        return {}

    def reframe(self) -> None:
        """Fit the drawing to the widget's new size (default: the view does it itself)."""


class ExplorerAdapter(ViewAdapter):
    """The graph explorer (:class:`app.explorer.ExplorerPage`) through its state: positions 0..len(timeline)."""

    kind = "explorer"

    @classmethod
    def check(cls, scene: Scene) -> None:
        """Load the scene into a state of its own, without a page: the same refusals as ``load``."""
        _show(ExplorerState(examples.get), scene)

    def load(self, scene: Scene) -> None:
        state = self.page.state
        _show(state, scene)
        if scene.draft is not None:  # back into the editor as it was, never used as the program
            state.restore_draft(scene.draft)

    def step_count(self) -> int:
        timeline = self.page.state.timeline
        return len(timeline) + 1 if timeline is not None else 1

    def step(self) -> int:
        return self.page.state.position

    def set_step(self, step: int) -> None:
        self.page.state.set_position(step)

    def is_empty(self) -> bool:
        return self.page.state.graph is None

    def capture(self) -> Scene:
        """The graph on screen: the example (with any edited inputs) or the last program that was
        shown, with its values — never editor text that did not become the graph."""
        state = self.page.state
        title = examples.EXAMPLES[state.example_id].title if state.example_id in examples.EXAMPLES \
            else "My expression"
        scene = Scene(view="explorer", step=state.position, mode=state.mode, title=title,
                      wrt=state.wrt if state.mode == "grad-graph" else None)
        if state.example_id is not None:
            scene.example = state.example_id
            defaults = _example_inputs(state.example_id)
            scene.values = {name: value for name, value in _leaf_values(state.graph).items()
                            if _saved_text(value) != defaults.get(name)}
        else:
            scene.expression = state.source
            scene.values = {name: np.asarray(value).tolist() for name, value in state.values.items()}
        return scene

    def capture_view_state(self) -> Scene:
        """``capture()`` plus the editor's draft (text that is not the program shown), if any."""
        scene = self.capture()
        scene.draft = self.page.state.draft
        return scene

    def picture(self) -> QWidget:
        return self.page.canvas

    def reframe(self) -> None:
        self.page.canvas.fit()

    def facts(self) -> dict[str, Any]:
        """The current node, the card's text and the texts drawn at every node, as the canvas has them."""
        canvas, display = self.page.canvas, self.page.state.display
        nodes = self.page.state.timeline.graph.nodes
        out: dict[str, Any] = {"phase": display.phase, "card": " / ".join(t for _, t in canvas.explain_lines),
                               "current": short_label(nodes[display.current]) if display.current is not None
                               else None, "values": {}, "grads": {}, "tangents": {}, "sum": None,
                               "scale": canvas.heat_legend.isVisibleTo(canvas)}
        for i, node in enumerate(nodes):
            shown = canvas.displayed(i)
            for key, text in (("values", shown.value), ("grads", shown.grad), ("tangents", shown.tangent)):
                if text is not None:
                    out[key][short_label(node)] = text
            out["sum"] = shown.sum or out["sum"]
        return out

    def follow(self) -> None:
        """Centre the canvas on the current node, zoomed to its neighbourhood."""
        display = self.page.state.display
        self.page.canvas.follow(display.current if display is not None else None, FOLLOW_SPAN)


def _show(state: ExplorerState, scene: Scene) -> None:
    """Load an explorer scene into ``state`` in one go (one timeline), or a LessonError naming the field."""
    if scene.example is not None:
        try:
            state.load_example(scene.example, mode=scene.mode, wrt=scene.wrt, values=scene.values)
        except KeyError as exc:
            raise LessonError(exc.args[0], field_name="example") from None
        except ValueError as exc:
            raise LessonError(str(exc), field_name="values") from None
    elif not state.load_source(scene.expression, scene.values, mode=scene.mode, wrt=scene.wrt):
        raise LessonError(f"the engine cannot build it: {state.error}", field_name="expression")
    names = [x.name for x in state.graph.inputs if x.name]
    if scene.wrt is not None and scene.wrt not in names:
        raise LessonError(f"{scene.wrt!r} is not an input to differentiate by (inputs: {', '.join(names)})",
                          field_name="wrt")


def _leaf_values(graph) -> dict[str, object]:
    """Every named leaf's value (what the inputs panel lists), as plain numbers and lists."""
    return {n.name: np.asarray(n.data).tolist() for n in graph.nodes if n.prim is None and n.name}


def _saved_text(value: object) -> str:
    """A value as a file spells it, so NaN equals NaN and −0 differs from 0."""
    return json.dumps(encode_numbers(value))


@functools.lru_cache(maxsize=None)
def _example_inputs(example_id: str) -> dict[str, str]:
    """A built-in example's own input values, as saved (examples are built deterministically)."""
    return {name: _saved_text(v) for name, v in _leaf_values(Graph(examples.get(example_id).build().output)).items()}


def _unknown(what: str, name: str, known: list[str], field_name: str) -> LessonError:
    return LessonError(f"no {what} {name!r}; choose one of: {', '.join(known)}", field_name=field_name)


class OptimizerAdapter(ViewAdapter):
    """The optimizer lab's surface race (:class:`app.optimizer_lab.OptimizerLab`): steps 0..N."""

    kind = "optimizer"

    @classmethod
    def check(cls, scene: Scene) -> None:
        module = cls.module()
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
        module = self.module()
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
        racers = tuple(r.label for _, r in race.panel.enabled())
        chosen = self.module().PRESETS.get(preset)
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

    def facts(self) -> dict[str, Any]:
        """The racers drawn, whether every path is drawn to its end, and whether both plots name them."""
        race = self.page.race
        drawn = sorted(race.map.drawn_labels()) if self._racing() else []
        return {"racers": drawn, "finished": self._racing() and race.step == race.steps,
                "legend": self._racing() and sorted(race.map.legend_labels()) == drawn
                and sorted(race.curves.legend_labels()) == drawn}


class SequenceAdapter(ViewAdapter):
    """The sequence lab (:class:`app.sequence_lab.SequenceLab`): one step per time step t."""

    kind = "sequence"

    @classmethod
    def check(cls, scene: Scene) -> None:
        presets = cls.module().PRESETS
        if scene.preset not in presets:
            raise _unknown("sequence preset", scene.preset, list(presets), "preset")

    def load(self, scene: Scene) -> None:
        """The preset (the same preset on screen keeps what was trained), trained first if the scene says so."""
        lab = self.page
        self.check(scene)
        preset = self.module().PRESETS[scene.preset]
        if (lab.preset_box.currentText(), lab.task.name, lab.task.length) != (scene.preset, preset.task, preset.length):
            lab.load_preset(scene.preset)
        if scene.train and not lab.trained:
            lab.start_training()

    def step_count(self) -> int:
        return self.page.task.length

    def step(self) -> int:
        return self.page.heatmaps.time

    def set_step(self, step: int) -> None:
        self.page.set_time(step)

    def ready(self) -> bool:
        return not self.page.is_training

    def shutdown(self) -> None:
        self.page.shutdown()

    def capture(self) -> Scene:
        preset = self.page.preset_box.currentText()
        return Scene(view="sequence", title=preset, preset=preset, step=self.step())

    def picture(self) -> QWidget:
        return self.page

    def facts(self) -> dict[str, Any]:
        """Whether the models shown were trained, each gate's spread over the sequence, and the scores."""
        lab = self.page
        return {"trained": lab.trained, "gates": lab.gate_spreads(), "scores": lab.scores()}


class GenerativeAdapter(ViewAdapter):
    """The generative lab (:class:`app.generative_lab.GenerativeLab`) at a scenario: it trains the
    scenario's seeded steps, and position k is the snapshot after k tenths of them."""

    kind = "generative"

    @classmethod
    def check(cls, scene: Scene) -> None:
        from engine.generative.scenarios import SCENARIOS
        if scene.preset not in SCENARIOS:
            raise _unknown("generative scenario", scene.preset, list(SCENARIOS), "preset")

    def load(self, scene: Scene) -> None:
        self.check(scene)
        self.page.show_scenario(scene.preset)  # (the same scenario on screen keeps its training)

    def step_count(self) -> int:
        return self.page.positions()

    def step(self) -> int:
        position = self.page.current.position
        return self.step_count() - 1 if position is None else min(position, self.step_count() - 1)

    def set_step(self, step: int) -> None:
        self.page.current.show_snapshot(max(0, min(step, self.step_count() - 1)))

    def ready(self) -> bool:
        return not self.page.is_training

    def shutdown(self) -> None:
        self.page.shutdown()

    def is_empty(self) -> bool:
        return self.page.current.lab.scenario is None

    def capture(self) -> Scene:
        from engine.generative.scenarios import SCENARIOS
        scenario = SCENARIOS[self.page.current.lab.scenario]
        return Scene(view="generative", title=scenario.title, preset=scenario.id, step=self.step(),
                     caption=scenario.caption)

    def picture(self) -> QWidget:
        return self.page.current.view


class TrainingAdapter(ViewAdapter):
    """The training lab (:class:`app.training_lab.TrainingLab`) at a scenario (the scene's
    ``preset``): step k shows the networks after k training rounds from their seeded start."""

    kind = "training"

    @classmethod
    def check(cls, scene: Scene) -> None:
        from engine.playground import SCENARIOS
        if scene.preset not in SCENARIOS:
            raise _unknown("training scenario", scene.preset, list(SCENARIOS), "preset")

    def load(self, scene: Scene) -> None:
        self.check(scene)
        shown = self.page.state.scenario
        if shown is None or shown.id != scene.preset:  # (the same scenario keeps what was trained)
            self.page.load_scenario(scene.preset)

    def step_count(self) -> int:
        scenario = self.page.state.scenario
        return scenario.steps + 1 if scenario is not None else 1

    def step(self) -> int:
        state = self.page.state
        shown = state.target if state.running and state.target is not None else state.rounds
        return min(shown, self.step_count() - 1)

    def set_step(self, step: int) -> None:
        self.page.state.train_to(int(np.clip(step, 0, self.step_count() - 1)))

    def ready(self) -> bool:
        return self.page.ready

    def shutdown(self) -> None:
        self.page.shutdown()

    def capture(self) -> Scene:
        scenario = self.page.state.scenario
        if scenario is None:
            raise LessonError("the training lab shows your own network, not a built-in scenario: "
                              "open a scenario to add it as a scene")
        return Scene(view="training", title=scenario.title, preset=scenario.id, step=self.step())

    def is_empty(self) -> bool:
        return self.page.state.scenario is None

    def facts(self) -> dict[str, Any]:
        """The scenario shown, the rounds trained, and whether its claim was measured to hold."""
        state = self.page.state
        return {"scenario": state.scenario.id if state.scenario else None, "step": state.rounds,
                "claim": state.holds is True}

    def picture(self) -> QWidget:
        return self.page


ADAPTERS: dict[str, type[ViewAdapter]] = {a.kind: a for a in (ExplorerAdapter, OptimizerAdapter, SequenceAdapter,
                                                              GenerativeAdapter, TrainingAdapter)}
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
        self.scene: Scene | None = None
        self.following = False
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
        self.scene = scene
        self.set_step(last if scene.step < 0 else scene.step)

    def story(self) -> range:
        """The current scene's steps, from its own start step to its ``until`` (default: the end)."""
        last = self.step_count() - 1
        if self.scene is None:
            return range(last + 1)
        start = last if self.scene.step < 0 else min(self.scene.step, last)
        end = last if self.scene.until < 0 else min(max(self.scene.until, start), last)
        return range(start, end + 1)

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
