"""The training lab's state, Qt-free: which networks train on what, the job that trains them, the frames to draw.

A :class:`TrainingLabState` holds one or more *variants* (a scenario's networks,
side by side, or the one network the builder describes), their
:class:`~engine.playground.Trainer`\\ s and the rounds trained so far.  Training
runs as a :class:`viewmodel.jobs.Job` (``play()`` until paused, ``step_once()``
for one batch), handed to whoever shows the lab through the ``job`` event
(the window starts it with ``widgets.jobs.start_job``); the work posts a
:class:`Frame` of plain arrays at most every :data:`FRAME_S`, computed on the
training thread, and the view draws the latest one.  A NaN pauses the lab
saying the variant, layer and step; that variant sits out until reset.

Events (:mod:`viewmodel.events`): ``setup()`` other variants or settings (the
builder refreshes); ``job(Job)`` start and watch this job; ``frame(Frame)`` new
pictures; ``running(bool)``; ``status(text, kind)`` with kind "info", "done",
"paused" or "error".
"""
from __future__ import annotations

import inspect
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from engine.datasets import CsvFormatError, Dataset, least_squares, load_csv
from engine.nonfinite import NonFiniteError
from engine.optim import OPTIMIZERS
from engine.playground import (SCENARIOS, CellExplanation, ConvSpec, DataSpec, DenseSpec, Experiment,
                               FeatureMap, GridView, Histogram, LayerWeights, Scenario, TrainSpec, Trainer,
                               activation_histograms, explain_cell, feature_maps, grid_view, kernels,
                               neuron_formula, weights)
from engine.playground.notation import number, subscript, superscript
from engine.playground.scenarios import measure
from engine.playground.trainer import kept
from viewmodel.device_choice import DeviceChoice
from viewmodel.events import Events
from viewmodel.jobs import Job, Outcome

FRAME_S = 1 / 60
"""At most one frame per this many seconds while training (a display's 60 a second); with a
window, fewer when it takes longer to draw one (``wait_for_drawing``)."""
GRID = 100
"""Grid points per axis of the decision boundary (fewer for a big network: :func:`grid_resolution`)."""
GRID_BUDGET = 100 * 100 * 16
"""Grid points × hidden units per frame: a 2-8-8-1 network gets the full 100x100 grid, a
20-layer one about 40x40, so a frame stays a few milliseconds."""
THUMB_SIDE = 25
"""About this many grid points per axis in each hidden neuron's thumbnail (every 4th of 100)."""
DRAW_WAIT_S = 1.0
"""The longest the training thread waits for the window to draw a frame (see ``frame_drawn``)."""
JUMP_FRAME_S = 0.25
"""Training up to a lesson scene's step as fast as it can: a frame every this many seconds."""
STOP_WAIT_S = 2.0
"""How long pausing waits for the current batch to finish."""
SPEEDS = {"slow": 10.0, "normal": 60.0, "fast": 300.0, "as fast as possible": None}
"""Training rounds per second while playing (None: no limit)."""
CURVES = ("train_loss", "test_loss", "train_accuracy", "test_accuracy")
CURVE_POINTS = 1000
"""The plots over time draw at most about this many points per line (every k-th step once there
are more: see ``engine.playground.trainer.kept``), so a frame costs the same after an hour."""
DEFAULT_EXPERIMENT = Experiment(DataSpec("circles", n=200, noise=0.05),
                                DenseSpec(hidden=(4, 4), activation="tanh"),
                                TrainSpec("Adam", {"lr": 0.03}, batch_size=10))
CUSTOM = "my network"
"""The label of the builder's own network (not a scenario's)."""
DATA_NAMES = ("xor", "circles", "spirals", "moons", "blobs", "linear", "ripple", "digits")
"""The data sets the builder offers ("linear" with one feature: the regression line)."""


@dataclass(frozen=True)
class Frame:
    """Everything the lab draws at one moment, as copies (safe to hand across threads).

    ``curves[label][name]`` is (steps, values) for every variant and each of :data:`CURVES`;
    the rest is for the selected ``variant``: ``grid`` (None for a CNN or more than two
    inputs) with ``thumbnails`` (units, g, g) per hidden layer, ``grad_norms`` (rows, layers)
    at the steps ``grad_steps``, ``histograms``, ``weights``; for a CNN
    ``kernels`` and the chosen image's ``maps``.  ``closed_form`` is the least-squares
    (w, b) of a regression set, ``data`` the (X, y) of train and test points.  The curves and
    norms keep at most about :data:`CURVE_POINTS` points each.
    """

    round: int
    variant: str
    conv: bool
    task: str
    curves: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]]
    layer_names: list[str]
    grad_steps: np.ndarray
    grad_norms: np.ndarray
    histograms: list[Histogram]
    weights: list[LayerWeights]
    grid: GridView | None = None
    thumbnails: list[np.ndarray] = field(default_factory=list)
    thumb_stride: int = 1
    closed_form: tuple[np.ndarray, float] | None = None
    kernels: list[tuple[str, np.ndarray]] = field(default_factory=list)
    maps: list[FeatureMap] = field(default_factory=list)
    image: np.ndarray | None = None
    train: tuple[np.ndarray, np.ndarray] | None = None
    test: tuple[np.ndarray, np.ndarray] | None = None


def shown_images(trainer: Trainer) -> Dataset:
    """The images the CNN's feature maps can show: the test set's, or the training set's when
    the split leaves no test set (test fraction 0)."""
    return trainer.test_data if len(trainer.test_data) else trainer.train_data


def grid_resolution(hidden_units: int) -> int:
    """Grid points per axis for a network with this many hidden units (40 to GRID)."""
    return int(np.clip(np.sqrt(GRID_BUDGET / max(hidden_units, 1)), 40, GRID))


def hyperparameters(optimizer: str) -> dict[str, Any]:
    """The numeric and yes/no hyperparameters of an ``engine.optim`` optimizer with their defaults
    (``betas`` as a pair), the ones the builder offers; ValueError for an unknown optimizer."""
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")
    out = {}
    for name, p in inspect.signature(OPTIMIZERS[optimizer].__init__).parameters.items():
        value = p.default
        if isinstance(value, bool) or (isinstance(value, (int, float)) and name != "max_eval") \
                or (name == "betas" and isinstance(value, tuple)):
            out[name] = value
    return out


def data_spec(name: str, n: int | None = 200, **changes: Any) -> DataSpec:
    """A DataSpec for one of :data:`DATA_NAMES` ("linear" as the 1-D regression line)."""
    if name not in DATA_NAMES:
        raise ValueError(f"unknown data set {name!r}; choose one of {', '.join(DATA_NAMES)}")
    options = {"features": 1} if name == "linear" else {"classes": 3} if name == "blobs" else {}
    return replace(DataSpec(name, n=None if name == "digits" else n, options=options), **changes)


class TrainingLabState:
    """The lab's variants, their trainers and the training job; see the module docstring."""

    def __init__(self, experiment: Experiment = DEFAULT_EXPERIMENT, devices: DeviceChoice | None = None):
        self.events = Events("setup", "job", "frame", "running", "status")
        self.scenario: Scenario | None = None
        self.experiments: dict[str, Experiment] = {}
        self.datasets: dict[str, Dataset] = {}
        """A CSV file's data per variant (instead of its DataSpec's generator)."""
        self.trainers: dict[str, Trainer] = {}
        self.failures: dict[str, NonFiniteError] = {}
        self.selected = CUSTOM
        self.rounds = 0
        self.target: int | None = None
        """Playing stops once this many rounds are done (a scenario's budget, or a scene's step)."""
        self.speed: float | None = SPEEDS["normal"]
        self.image_index = 0
        self.job: Job | None = None
        self.frame: Frame | None = None
        self.summary = ""
        """The scenario's result in words, once its budget is trained."""
        self.holds: bool | None = None
        """Whether the scenario's claim showed, once its budget is trained."""
        self.wait_for_drawing = False
        """True when the window calls :meth:`frame_drawn` after drawing each frame it received:
        training then pauses while it draws (so the GUI thread is not slowed by a thread holding
        the GIL), and the next frame is computed only once the window has taken the last one (the
        window's pace decides the frame rate, up to one per FRAME_S; no frame is computed for
        nothing)."""
        self._idle = threading.Event()
        """Set while the window is not drawing a frame (cleared from ``receive`` to ``frame_drawn``)."""
        self._taken = threading.Event()
        """Set once the window has taken the last frame posted."""
        self._idle.set()
        self._taken.set()
        self._drawing_since: float | None = None
        self._draw_s = 0.0
        """How long the window took to draw the last frame (training keeps time beside it)."""
        self.devices = DeviceChoice() if devices is None else devices
        """Where the networks train (the lab's device selector draws it); the CPU if the GPU fails."""
        self._done_in_job = 0
        self._generation = 0
        """Counts resets, so a job abandoned by a pause that timed out never trains the new start."""
        self._set_variants({CUSTOM: experiment})

    # -- what trains ------------------------------------------------------------------------------
    @property
    def trainer(self) -> Trainer:
        """The selected variant's trainer (the detailed views show it)."""
        return self.trainers[self.selected]

    @property
    def experiment(self) -> Experiment:
        return self.experiments[self.selected]

    @property
    def running(self) -> bool:
        return self.job is not None

    def load_scenario(self, scenario_id: str) -> None:
        """Every network of a built-in scenario, side by side, at its initial weights; playing
        stops after its step budget and says whether its claim showed."""
        if scenario_id not in SCENARIOS:
            raise ValueError(f"no scenario {scenario_id!r}; choose one of {', '.join(SCENARIOS)}")
        scenario = SCENARIOS[scenario_id]
        self.pause()
        self._set_variants({v.label: v.experiment for v in scenario.variants}, scenario)
        self.set_status(f"{scenario.title}. {scenario.claim}", "info")

    def set_experiment(self, experiment: Experiment) -> bool:
        """Rebuild the selected variant from ``experiment`` (the builder's settings), at step 0.

        A setting the engine refuses keeps the network as it was and says why; returns False then."""
        self.pause()
        try:
            trainer = Trainer(experiment, self._csv_for(self.selected, experiment))
        except (ValueError, TypeError) as error:
            self.set_status(f"Cannot build that network: {error}", "error")
            return False
        self.experiments[self.selected] = experiment
        self.trainers[self.selected] = trainer
        self._restart()
        self.events.setup.emit()
        return True

    def load_csv(self, path: str) -> bool:
        """Train the selected variant on the 2-D points of a CSV file; a malformed file is refused
        with its line and the reason, and nothing changes.  Returns whether it was loaded."""
        try:
            dataset = load_csv(path)
            experiment = replace(self.experiment, data=replace(self.experiment.data, name=f"csv:{dataset.name}"))
            network = experiment.network
            if isinstance(network, ConvSpec):
                experiment = replace(experiment, network=DenseSpec())
            trainer = Trainer(experiment, dataset)
        except (CsvFormatError, ValueError) as error:
            self.set_status(f"Cannot use that file: {error}", "error")
            return False
        self.pause()
        self.datasets[self.selected] = dataset
        self.experiments[self.selected] = experiment
        self.trainers[self.selected] = trainer
        self._restart()
        self.events.setup.emit()
        self.set_status(f"{dataset.name}: {len(dataset)} points from {path}", "info")
        return True

    def _csv_for(self, label: str, experiment: Experiment) -> Dataset | None:
        return self.datasets.get(label) if experiment.data.name.startswith("csv:") else None

    def select(self, label: str) -> None:
        """Show ``label``'s network in the detailed views."""
        if label not in self.trainers:
            raise ValueError(f"no variant {label!r}; the variants are {', '.join(self.trainers)}")
        self.selected = label
        self.image_index = 0
        self.events.setup.emit()
        self.refresh()

    def _set_variants(self, experiments: dict[str, Experiment], scenario: Scenario | None = None) -> None:
        self.scenario = scenario
        self.experiments = dict(experiments)
        self.datasets = {}
        self.trainers = {label: Trainer(e) for label, e in self.experiments.items()}
        self.selected = next(iter(self.trainers))
        self.image_index = 0
        self._restart()
        self.events.setup.emit()

    def _restart(self) -> None:
        self._generation += 1
        self.rounds = 0
        self.failures = {}
        self.summary, self.holds = "", None
        self.target = self.scenario.steps if self.scenario is not None else None
        for trainer in self.trainers.values():
            trainer.evaluate()  # the curves start at step 0
        self.refresh()

    def reset(self) -> None:
        """Every variant back to its initial weights (the same seed: identical weights, batch order)."""
        self.pause()
        for trainer in self.trainers.values():
            trainer.reset()
        self._restart()
        self.set_status("Back to the same initial weights.", "info")

    def redraw(self) -> None:
        """New initial weights for every variant (the next seed), at step 0."""
        self.pause()
        for trainer in self.trainers.values():
            trainer.redraw()
        self._restart()
        self.set_status(f"New initial weights (seed {self.trainer.seed}).", "info")

    def set_training(self, training: TrainSpec) -> None:
        """Optimizer, hyperparameters, batch size, L1/L2 of the selected variant, from now on
        (the weights stay)."""
        self.pause()
        try:
            self.trainer.set_training(training)
        except (ValueError, TypeError) as error:
            self.set_status(f"Cannot use those settings: {error}", "error")
            return
        self.experiments[self.selected] = replace(self.experiment, training=training)

    def set_image(self, index: int) -> None:
        """Which test image the CNN's feature maps show."""
        self.image_index = int(index) % len(shown_images(self.trainer))
        self.refresh()

    def set_status(self, text: str, kind: str = "info") -> None:
        self.events.status.emit(text, kind)

    # -- training -----------------------------------------------------------------------------------
    def play(self, until: int | None = None) -> Job | None:
        """Train in a background job until paused (or round ``until``, or the scenario's budget)."""
        if self.running:
            return None
        if until is not None:
            self.target = until
        elif self.target is not None and self.rounds >= self.target:
            self.target = None  # the budget is done: playing again goes on
        return self._launch(None, self.speed, FRAME_S)

    def train_to(self, rounds: int) -> Job | None:
        """Show round ``rounds``: back to the initial weights if it lies behind, then train up
        to it as fast as possible (a lesson scene's step)."""
        self.pause()
        if rounds < self.rounds:
            for trainer in self.trainers.values():
                trainer.reset()
            self._restart()
        self.target = max(rounds, 0)
        return self._launch(None, None, JUMP_FRAME_S) if rounds > self.rounds else None

    def step_once(self) -> Job | None:
        """Train one batch (every variant), in the same kind of job."""
        if self.running:
            return None
        return self._launch(1, None, FRAME_S)

    def _launch(self, steps: int | None, speed: float | None, frame_s: float) -> Job | None:
        live = [label for label in self.trainers if label not in self.failures]
        if not live:
            self.set_status("Every network stopped at a non-finite value: reset or change the settings.",
                            "paused")
            return None
        self._done_in_job = 0
        self._idle.set()
        self._taken.set()
        job = Job(lambda j: self._train(j, steps, speed, frame_s), name="training lab")
        self.job = job
        self.events.running.emit(True)
        self.events.job.emit(job)
        return job

    def _train(self, job: Job, steps: int | None, speed: float | None, frame_s: float) -> int:
        """The job's work: rounds of one batch per variant (``speed`` rounds a second at most),
        a frame at most every ``frame_s`` seconds."""
        return self.devices.run(lambda device: self._train_on(device, job, steps, speed, frame_s))

    def _train_on(self, device: str, job: Job, steps: int | None, speed: float | None,
                  frame_s: float) -> int:
        """:meth:`_train` with every network on ``device`` (after a GPU failure: the rest of
        the rounds on the CPU, ``steps`` counted from where it failed)."""
        for trainer in self.trainers.values():
            trainer.to(device)
        done, last_frame, cost, started = 0, 0.0, 0.0, time.monotonic()
        generation = self._generation
        every = self.scenario.eval_every if self.scenario is not None else 10
        steps = None if steps is None else steps - self._done_in_job
        while not job.should_stop() and (steps is None or done < steps) \
                and (self.target is None or self.rounds < self.target):
            for label, trainer in self.trainers.items():  # a round is whole: cancelling ends it after
                if label in self.failures:
                    continue
                with trainer.lock:
                    if self._generation != generation:  # reset meanwhile (a pause that timed out)
                        return self._done_in_job
                    try:
                        report = trainer.step()
                    except NonFiniteError as error:
                        job.post(("failed", label, error))
                        raise NonFiniteError(error.step, f"{label}: {error.where}", error.tensor) from error
                    if report.step % every == 0:
                        trainer.evaluate()
            done += 1
            self._done_in_job += 1
            self.rounds += 1
            if self.wait_for_drawing:
                self._idle.wait(DRAW_WAIT_S)  # the window is drawing the last frame
            now = time.monotonic()
            # training keeps at least half the time beside computing a frame, a third beside drawing it too
            due = now - last_frame >= max(frame_s, 2 * cost, 1.5 * (cost + self._draw_s))
            if due and (self._taken.is_set() or not self.wait_for_drawing):
                self._taken.clear()
                job.post(("frame", self.compute_frame()))
                last_frame, cost = now, time.monotonic() - now
            if speed is not None:
                wait = started + done / speed - time.monotonic()
                if wait > 0:
                    time.sleep(min(wait, 0.25))
        return self._done_in_job

    def receive(self, job: Job, items: list) -> None:
        """What the job posted (on the thread that shows the lab); a stale job's news is dropped."""
        if job is not self.job:
            return
        frames = []
        for kind, *payload in items:
            if kind == "failed":
                self.failures[payload[0]] = payload[1]
            else:
                frames.append(payload[0])
        if frames:
            if self.wait_for_drawing:
                self._idle.clear()  # (until frame_drawn)
                self._drawing_since = time.monotonic()
                self._taken.set()
            self.frame = frames[-1]
            self.events.frame.emit(self.frame)

    def frame_drawn(self) -> None:
        """The window has drawn the frame it received (any thread): training goes on."""
        if self._drawing_since is not None:
            self._draw_s, self._drawing_since = time.monotonic() - self._drawing_since, None
        self._idle.set()

    def finished(self, job: Job, outcome: Outcome) -> None:
        """The job ended: a NaN pauses and says where; a scenario's budget done shows its result."""
        if job is not self.job:
            return
        self.job = None
        for trainer in self.trainers.values():
            if not trainer.history.metrics or trainer.history.metrics[-1].step != trainer.steps_done:
                trainer.evaluate()
        self.refresh()
        self.events.running.emit(False)
        if outcome.status == "paused":
            self.set_status(f"Paused at a non-finite value: {outcome.message}. The weights are as before "
                            "that step; lower the learning rate or change the initialization, then reset.",
                            "paused")
        elif outcome.status == "failed":
            self.set_status(f"Training stopped: {outcome.message}", "error")
        elif self.scenario is not None and self.target == self.scenario.steps and self.rounds >= self.target:
            result = measure(self.scenario, self.trainers, dict(self.failures))
            self.summary, self.holds = result.summary, result.holds
            self.set_status(("✓ " if result.holds else "✗ ") + result.summary, "done")

    def pause(self) -> None:
        """Stop training after the current batch (waits STOP_WAIT_S at most) and show where it is."""
        job = self.job
        if job is None:
            return
        job.cancel()
        self._idle.set()
        job.wait(STOP_WAIT_S)
        news = job.take()
        self.receive(job, news.posted)
        self.finished(job, news.outcome or Outcome("cancelled"))
        self.job = None

    def shutdown(self) -> None:
        """Cancel training without waiting (closing: whoever closes waits for every job)."""
        if self.job is not None:
            self.job.cancel()
            self._idle.set()
            self.job = None
            self.events.running.emit(False)

    # -- what the views draw --------------------------------------------------------------------------
    def refresh(self) -> None:
        """Compute a frame now (when no job is running) and hand it to the views."""
        self.frame = self.compute_frame()
        self.events.frame.emit(self.frame)

    def compute_frame(self) -> Frame:
        """The current pictures, under each trainer's lock (any thread)."""
        curves = {}
        for label, trainer in self.trainers.items():
            with trainer.lock:
                curves[label] = {name: trainer.history.curve(name, CURVE_POINTS) for name in CURVES}
        trainer = self.trainer
        with trainer.lock:
            conv = isinstance(trainer.experiment.network, ConvSpec)
            X, y = trainer.train_data.X, trainer.train_data.y
            frame = dict(round=self.rounds, variant=self.selected, conv=conv, task=trainer.task.kind,
                         curves=curves, layer_names=list(trainer.history.layer_names),
                         grad_steps=kept(len(trainer.history.grad_norms), CURVE_POINTS) + 1,
                         grad_norms=trainer.history.gradient_norms(CURVE_POINTS),
                         histograms=activation_histograms(trainer), weights=weights(trainer))
            if conv:
                image = self._shown_image(trainer)
                frame.update(kernels=kernels(trainer), maps=feature_maps(trainer, image), image=image.copy())
            elif X.shape[1] in (1, 2):
                units = sum(w.weight.shape[0] for w in frame["weights"][:-1])
                grid = grid_view(trainer, grid_resolution(units) if X.shape[1] == 2 else GRID)
                step = max(1, len(grid.xs) // 25) if X.shape[1] == 2 else 1
                thumbs = [h[(slice(None),) + (slice(None, None, step),) * (h.ndim - 1)].copy()
                          for h in grid.hidden]
                frame.update(grid=grid, thumbnails=thumbs, train=(X, y),
                             test=(trainer.test_data.X, trainer.test_data.y))
                frame["thumb_stride"] = step
                if trainer.task.kind == "regression" and len(y) > X.shape[1]:
                    try:
                        frame["closed_form"] = least_squares(X, y)
                    except ValueError:
                        pass
        return Frame(**frame)

    def formula(self, layer: int, unit: int, point) -> str:
        """A neuron's formula with its weights and, on the next line, the numbers at ``point``."""
        f = neuron_formula(self.trainer, layer, unit, point)
        return f"{f.text}\n{f.substituted}"

    def weight_text(self, layer: int, out: int, inp: int) -> str:
        """One weight's live value, named as the lecture writes it (w⁽ˡ⁾ᵢⱼ: input j → unit i)."""
        w = weights(self.trainer)[layer]
        value = float(w.weight[out, inp])
        return (f"w⁽{superscript(layer + 1)}⁾{subscript(out + 1)},{subscript(inp + 1)} = {number(value, 3)}"
                f"  ({w.layer}: input {inp + 1} → unit {out + 1})")

    def explain(self, stage: int, channel: int, row: int, col: int) -> CellExplanation:
        """How one feature-map cell of the chosen image was computed, with its numbers."""
        return explain_cell(self.trainer, stage, channel, row, col, self._shown_image(self.trainer))

    def _shown_image(self, trainer: Trainer) -> np.ndarray:
        """The image the CNN's feature maps show (``image_index`` of :func:`shown_images`)."""
        images = shown_images(trainer)
        return images.X[self.image_index % len(images)]
