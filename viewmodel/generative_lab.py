"""The generative lab's state, without Qt: one :class:`ModelLab` per model (seq2seq, GAN, RBM/DBN).

A model lab holds the seeded trainers of its current settings, the loss curves,
and *snapshots*: the picture of the models (NumPy arrays only, see the ``*Picture``
classes) after 0, 1/CHECKPOINTS, ..., all of a training run's steps, which a lesson's
scene steps through.  Training is a :class:`viewmodel.jobs.Job` (``training_job``):
its work trains on the job's thread and posts rounds and pictures; ``apply`` takes
them on the thread that shows the lab, updates the state and notifies the views
(``events``: ``model`` new trainers, ``curves``, ``picture``, ``status``).  While a job
runs only the job touches the models; the lab's own calls draw from the last picture.
"""
from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass
from typing import Any, ClassVar, Sequence

import numpy as np

from engine.generative import scenarios
from engine.generative.gan import GANConfig, GANReport, GANTrainer
from engine.generative.rbm import DBNConfig, DBNTrainer, GibbsStep, RBMConfig, RBMTrainer
from engine.generative.seq2seq import Decoding, Seq2SeqConfig, Seq2SeqTrainer
from engine.generative.seq2seq_tasks import encode
from engine.sequence_training import train_side_by_side
from viewmodel.device_choice import DeviceChoice, device_options
from viewmodel.events import Events
from viewmodel.jobs import Job

CHECKPOINTS = 10
"""A run keeps the picture after every tenth of its steps: a scene has CHECKPOINTS + 1 positions."""
FRAME_S = 0.15
"""While training, a fresh picture at most this often (besides the checkpoints)."""
GIBBS_STEPS = 20
"""Steps of the animated Gibbs chain."""


@dataclass(frozen=True)
class Snapshot:
    """The picture after ``step`` training steps."""

    step: int
    picture: Any


def checkpoints(start: int, steps: int) -> list[int]:
    """The step counts (after ``start``) at which a run of ``steps`` keeps a snapshot."""
    return sorted({start + math.ceil(k * steps / CHECKPOINTS) for k in range(1, CHECKPOINTS + 1)})


def mosaic(images: np.ndarray, columns: int, pad_value: float = np.nan) -> np.ndarray:
    """Images (n, h, w) tiled row by row into one (rows·(h+1) − 1, columns·(w+1) − 1) array,
    one ``pad_value`` pixel between tiles (NaN: drawn as background)."""
    n, h, w = images.shape
    columns = max(1, min(columns, n))
    rows = -(-n // columns)
    out = np.full((rows * (h + 1) - 1, columns * (w + 1) - 1), pad_value)
    for k, image in enumerate(images):
        r, c = divmod(k, columns)
        out[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = image
    return out


class ModelLab:
    """What every model's sub-view shares: trainers, curves, snapshots and the training job."""

    model: ClassVar[str]
    curve_names: ClassVar[tuple[str, ...]]
    cuda_unsupported: ClassVar[str] = ""
    """Why this model cannot train on the GPU ("" where it can): its device selector says so."""

    def __init__(self) -> None:
        self.events = Events("model", "curves", "picture", "status")
        self.trainers: list = []
        self.labels: list[str] = []
        self.curves: dict[str, list[float]] = {}
        self.snapshots: list[Snapshot] = []
        self.picture: Any = None
        self.scenario: str | None = None
        """The scenario on screen (None once a setting was changed by hand)."""
        self.busy = False
        """True while a training job owns the models."""
        self.status = ""
        self.devices = DeviceChoice(device_options(self.cuda_unsupported))
        """Where the job trains (the sub-view's device selector draws it); the CPU if the GPU fails."""

    # -- settings -----------------------------------------------------------------------------
    def make_trainers(self) -> tuple[list, list[str]]:
        """Fresh seeded trainers for the current settings, with their legend labels."""
        raise NotImplementedError

    def reset(self) -> None:
        """Fresh trainers (same seeds: the same run again), empty curves, the first snapshot."""
        self._refuse_if_busy()
        self.trainers, self.labels = self.make_trainers()
        self.curves = {name: [] for name in self.curve_names_for()}
        self.picture = self.draw() if self.trainers else None
        self.snapshots = [Snapshot(0, self.picture)] if self.trainers else []
        self.events.model.emit()
        self.events.curves.emit(self.curves)
        self.events.picture.emit(self.picture)

    def curve_names_for(self) -> list[str]:
        """The curves drawn: each of ``curve_names`` per trainer when there are several."""
        if len(self.labels) <= 1:
            return list(self.curve_names)
        return [f"{name} ({label})" for label in self.labels for name in self.curve_names]

    def load_scenario(self, scenario_id: str) -> scenarios.Scenario:
        """Take a scenario's settings (KeyError naming the ids for an unknown one) and reset."""
        scenario = scenarios.get(scenario_id)
        if scenario.model not in self.models():
            raise KeyError(f"scenario {scenario_id!r} is a {scenario.model} scenario, not {self.model}")
        self._take_scenario(scenario)
        self.reset()
        self.scenario = scenario_id
        self.set_status(scenario.caption)
        return scenario

    @classmethod
    def models(cls) -> tuple[str, ...]:
        """The scenario models this lab shows."""
        return (cls.model,)

    def _take_scenario(self, scenario: scenarios.Scenario) -> None:
        raise NotImplementedError

    def set_status(self, text: str) -> None:
        self.status = text
        self.events.status.emit(text)

    def _refuse_if_busy(self) -> None:
        if self.busy:
            raise RuntimeError(f"the {self.model} models are training: stop first")

    @property
    def steps_done(self) -> int:
        return self.trainers[0].steps_done if self.trainers else 0

    # -- what the views draw ------------------------------------------------------------------
    def draw(self) -> Any:
        """The picture of the models now (on the thread that owns them)."""
        raise NotImplementedError

    def snapshot(self, position: int) -> Snapshot | None:
        """Snapshot ``position`` (clamped to those taken so far; None before any)."""
        if not self.snapshots:
            return None
        return self.snapshots[max(0, min(position, len(self.snapshots) - 1))]

    def redraw(self) -> None:
        """Draw the models again (after a view setting changed); not while training."""
        if self.trainers and not self.busy:
            self.picture = self.draw()
            if self.snapshots:
                self.snapshots[-1] = Snapshot(self.snapshots[-1].step, self.picture)
            self.events.picture.emit(self.picture)

    # -- training -----------------------------------------------------------------------------
    def training_job(self, steps: int, action: str = "round") -> Job:
        """A job training ``steps`` rounds (``action``: see ``_act``); start it with start_job."""
        if not self.trainers:
            raise ValueError(self.empty_message())
        self._refuse_if_busy()
        marks = set(checkpoints(self.steps_done, steps))
        self.busy = True

        def work(job: Job) -> int:
            last = time.monotonic()
            done = 0

            def on_round(reports: list) -> None:
                nonlocal last, done
                done += 1
                job.post(("round", reports))
                job.report(done, steps)
                now = time.monotonic()
                if self.steps_done in marks or now - last > FRAME_S:
                    job.post(("picture", self.steps_done in marks, self.steps_done, self.draw()))
                    last = now

            def train(device: str) -> int:  # after a GPU failure: the remaining rounds on the CPU
                for trainer in self.trainers:
                    trainer.to(device)
                return done + train_side_by_side([_Act(self, action)], steps - done, on_round,
                                                 job.should_stop)

            return self.devices.run(train)

        return Job(work, name=f"{self.model} training")

    def empty_message(self) -> str:
        return "nothing to train"

    def apply(self, items: Sequence) -> None:
        """What the job posted since the last call: rounds extend the curves, pictures are shown."""
        rounds = False
        picture = None
        for kind, *payload in items:
            if kind == "round":
                self._record(payload[0])
                rounds = True
            else:
                keep, step, picture = payload
                if keep:
                    self.snapshots.append(Snapshot(step, picture))
        if rounds:
            self.events.curves.emit(self.curves)
        if picture is not None:
            self.picture = picture
            self.events.picture.emit(picture)

    def training_ended(self) -> None:
        """The job ended (any way): the lab owns the models again and shows them as they are."""
        self.busy = False
        self.redraw()

    def _act(self, action: str) -> list:
        """One round of training: a list with one report per trainer."""
        return [t.train_step() for t in self.trainers]

    def _record(self, reports: list) -> None:
        raise NotImplementedError


class _Act:
    """One trainer-like object that does a lab's round (what train_side_by_side steps)."""

    def __init__(self, lab: ModelLab, action: str):
        self.lab, self.action = lab, action

    def train_step(self) -> list:
        return self.lab._act(self.action)


# -- seq2seq ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Seq2SeqPicture:
    """One example greedily decoded by the main model (:class:`Decoding`: attention, top-k,
    encoder states) and, if there is one, by the comparison model."""

    decoding: Decoding
    comparison: Decoding | None
    target: str


class Seq2SeqLab(ModelLab):
    """An encoder-decoder on a toy task and, for the loss curves, the same model with or
    without attention (``compare``)."""

    model = "seq2seq"
    curve_names = ("loss",)
    cuda_unsupported = "the encoder-decoder trains on the CPU only"

    def __init__(self, config: Seq2SeqConfig = Seq2SeqConfig(), compare: bool = True):
        super().__init__()
        self.config = config
        self.compare = compare
        self.comparison_config: Seq2SeqConfig | None = None
        self.example = ""
        self.example_seed = 0
        self.example_length: int | None = None  # a scenario's longer test inputs
        self.reset()

    def configure(self, **changes: Any) -> None:
        """Change settings (task, cell, attention, teacher_forcing, ...) and start again."""
        self._refuse_if_busy()
        self.config = dataclasses.replace(self.config, **changes)
        self.comparison_config = None
        self.scenario = None
        if "task" in changes or "length" in changes or self.example_length is not None:
            self.example = ""
        self.example_length = None
        self.reset()

    def set_compare(self, on: bool) -> None:
        self._refuse_if_busy()
        self.compare = on
        self.comparison_config = None
        self.reset()

    def _take_scenario(self, scenario: scenarios.Scenario) -> None:
        self.config = scenario.configs[0]
        self.compare = len(scenario.configs) > 1
        self.comparison_config = scenario.configs[1] if self.compare else None
        self.example_length = scenario.example_length
        self.example = ""

    def make_trainers(self) -> tuple[list, list[str]]:
        main = Seq2SeqTrainer(self.config)
        if not self.example:
            self.example = self.new_example(main)
        if not self.compare:
            return [main], [attention_label(self.config.attention)]
        other = self.comparison_config or dataclasses.replace(
            self.config, attention="none" if self.config.attention != "none" else "dot")
        return [main, Seq2SeqTrainer(other)], [attention_label(self.config.attention),
                                               attention_label(other.attention)]

    def new_example(self, trainer: Seq2SeqTrainer | None = None) -> str:
        """A seeded source of the task at its longest length, or the scenario's longer
        ``example_length`` (seed ``example_seed``)."""
        task = (trainer or self.trainers[0]).task
        if self.example_length is not None:
            task = task.with_length(self.example_length)
        rng = np.random.default_rng(100 + self.example_seed)
        for _ in range(50):  # the longest inputs show attention best
            source = task.source(rng)
            if len(source) >= task.length:
                return source
        return source

    def next_example(self) -> None:
        """Another seeded example input."""
        self.example_seed += 1
        self.example = self.new_example()
        self.redraw()

    def set_example(self, source: str) -> bool:
        """Decode the user's own input; False (and a status line) when the task refuses it."""
        task = self.trainers[0].task
        try:
            if not source:  # (the training thread decodes the example too: it must stay decodable)
                raise ValueError("the input is empty: type at least one symbol")
            task.answer(source)
            encode(source, task.vocabulary)
        except (ValueError, KeyError) as exc:
            self.set_status(f"Not an input of this task: {exc.args[0] if exc.args else exc}")
            return False
        self.example = source
        self.redraw()
        return True

    def draw(self) -> Seq2SeqPicture:
        main = self.trainers[0]
        other = self.trainers[1].decode(self.example) if len(self.trainers) > 1 else None
        return Seq2SeqPicture(main.decode(self.example), other, main.task.answer(self.example))

    def _record(self, reports: list) -> None:
        for name, group in zip(self.curves, reports[0]):
            self.curves[name].append(group.loss)


def attention_label(kind: str) -> str:
    return "no attention" if kind == "none" else f"{kind} attention"


# -- GAN --------------------------------------------------------------------------------------
GAN_ACTIONS = ("round", "d", "g")
"""A round (d_steps of D, then g_steps of G), one discriminator step, one generator step."""


class GANLab(ModelLab):
    """A GAN on a 2-D target; the user's target is the points clicked on the plot."""

    model = "gan"
    curve_names = ("D loss", "G loss")

    def __init__(self, config: GANConfig = GANConfig()):
        super().__init__()
        self.config = config
        self.target = config.target
        """The chosen target; "points" may have no points yet (then ``config`` is the previous one's)."""
        self.points: list[tuple[float, float]] = list(config.points or ())
        self.reset()

    def configure(self, **changes: Any) -> None:
        """Change settings (target, generator_loss, d_steps, ...) and start again; the target
        "points" is the user's clicked points (nothing to train until there is one)."""
        self._refuse_if_busy()
        target = changes.pop("target", self.target)
        self.target = target
        if target != "points":
            changes.update(target=target, points=None)
        elif self.points:
            changes.update(target="points", points=tuple(self.points))
        self.config = dataclasses.replace(self.config, **changes)
        self.scenario = None
        self.reset()

    def add_point(self, x: float, y: float) -> None:
        """A clicked point joins the user's target (the target becomes "points"); starts again."""
        if not (math.isfinite(x) and math.isfinite(y)):
            return
        self.points.append((float(x), float(y)))
        self.configure(target="points")

    def clear_points(self) -> None:
        """Forget the clicked points (a "points" target then waits for new clicks)."""
        self.points = []
        if self.target == "points":
            self.configure()

    def _take_scenario(self, scenario: scenarios.Scenario) -> None:
        self.config = scenario.configs[0]
        self.target = self.config.target

    def make_trainers(self) -> tuple[list, list[str]]:
        if self.target == "points" and not self.points:
            return [], []
        return [GANTrainer(self.config)], ["GAN"]

    def empty_message(self) -> str:
        return "Click on the plot to draw the target's points first."

    def draw(self):
        return self.trainers[0].frame()

    def _act(self, action: str) -> list:
        trainer: GANTrainer = self.trainers[0]
        if action == "round":
            return [trainer.train_step()]
        if action == "d":
            loss, real, fake = trainer.step_discriminator()
            report = GANReport(trainer.steps_done, loss, None, real, fake)
        elif action == "g":
            report = GANReport(trainer.steps_done, None, trainer.step_generator(), None, None)
        else:
            raise ValueError(f"action must be one of {GAN_ACTIONS}, got {action!r}")
        return [trainer._finish(report)]

    def _record(self, reports: list) -> None:
        report = reports[0][0]
        nan = float("nan")
        self.curves["D loss"].append(nan if report.d_loss is None else report.d_loss)
        self.curves["G loss"].append(nan if report.g_loss is None else report.g_loss)


# -- RBM / DBN --------------------------------------------------------------------------------
@dataclass(frozen=True)
class RBMPicture:
    """Filters (n_hidden, h, w) of the layer shown, inputs and reconstructions (n, h, w), a
    Gibbs chain (GIBBS_STEPS + 1 states of (chains, h, w) probabilities), the DBN layer."""

    filters: np.ndarray
    inputs: np.ndarray
    reconstructions: np.ndarray
    chain: list[GibbsStep]
    layer: int
    layers: int


class RBMLab(ModelLab):
    """A binary RBM trained by CD-k or PCD, or a DBN trained greedily layer by layer."""

    model = "rbm"
    curve_names = ("reconstruction error", "free energy")
    cuda_unsupported = "the RBM's Gibbs sampling has no CUDA kernels"

    def __init__(self, config: RBMConfig = RBMConfig(), dbn: DBNConfig | None = None):
        super().__init__()
        self.config = config
        self.dbn = dbn
        self.reset()

    @classmethod
    def models(cls) -> tuple[str, ...]:
        return ("rbm", "dbn")

    def configure(self, dbn: bool | None = None, **changes: Any) -> None:
        """Change the RBM's settings (data, k, persistent, n_hidden...), or switch to a DBN."""
        self._refuse_if_busy()
        self.config = dataclasses.replace(self.config, **changes)
        if dbn is not None:
            self.dbn = DBNConfig(rbm=self.config, layers=(16, 12), steps_per_layer=800) if dbn else None
        elif self.dbn is not None:
            self.dbn = dataclasses.replace(self.dbn, rbm=self.config)
        self.scenario = None
        self.reset()

    def _take_scenario(self, scenario: scenarios.Scenario) -> None:
        config = scenario.configs[0]
        if isinstance(config, DBNConfig):
            self.config, self.dbn = config.rbm, config
        else:
            self.config, self.dbn = config, None

    def make_trainers(self) -> tuple[list, list[str]]:
        if self.dbn is not None:
            return [DBNTrainer(self.dbn)], ["DBN"]
        return [RBMTrainer(self.config)], ["RBM"]

    def draw(self) -> RBMPicture:
        trainer = self.trainers[0]
        if isinstance(trainer, DBNTrainer):
            layer = trainer.layer
            filters = trainer.filters(layer)
            inputs = trainer.data[:8].reshape((-1,) + trainer.image_shape)
            recon = trainer.reconstruct(trainer.data[:8]).reshape(inputs.shape)
            chain = trainer.trainers[0].gibbs_chain(GIBBS_STEPS, 8)
            return RBMPicture(filters, inputs, recon, chain, layer, len(trainer.config.layers))
        inputs, recon = trainer.reconstructions(8)
        return RBMPicture(trainer.filters(), inputs, recon, trainer.gibbs_chain(GIBBS_STEPS, 8), 0, 1)

    def _record(self, reports: list) -> None:
        report = reports[0][0]
        report = getattr(report, "report", report)  # a DBN's report wraps its layer's
        self.curves["reconstruction error"].append(report.reconstruction_error)
        self.curves["free energy"].append(report.free_energy)


LABS: dict[str, type[ModelLab]] = {"seq2seq": Seq2SeqLab, "gan": GANLab, "rbm": RBMLab}
"""Every model lab by its sub-view's name."""


def lab_for(scenario_id: str) -> str:
    """The sub-view that shows a scenario ("dbn" scenarios are the RBM lab's)."""
    model = scenarios.get(scenario_id).model
    return "rbm" if model == "dbn" else model
