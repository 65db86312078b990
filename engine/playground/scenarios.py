"""The lectures' training stories as built-in scenarios: data that says what to train, and
the code that measures whether the effect the lecture claims really shows.

A :class:`Scenario` is plain data (an id, a title, the claim, experiments to train
side by side, a step budget), so the lab's menu and a lesson scene can open it by
id.  :func:`run_scenario` trains its variants round by round (cancellable) and
returns a :class:`ScenarioResult` with the numbers behind the claim.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, Mapping

import numpy as np

from ..nonfinite import NonFiniteError
from ..tensor import Tensor
from .spec import ConvSpec, DataSpec, DenseSpec, Experiment, TrainSpec, experiment_to_dict
from .trainer import StepReport, Trainer
from .views import collapse_linear


@dataclass(frozen=True)
class Variant:
    """One network of a scenario, with the label the lab shows for it."""

    label: str
    experiment: Experiment


@dataclass(frozen=True)
class Scenario:
    """A lecture claim and the experiments that show it; ``measure`` names the function
    of :data:`MEASURES` that turns the trained variants into numbers."""

    id: str
    title: str
    claim: str
    variants: tuple[Variant, ...]
    steps: int
    eval_every: int
    measure: str

    def build(self) -> dict[str, Trainer]:
        """A fresh, seeded trainer per variant, by label."""
        return {v.label: Trainer(v.experiment) for v in self.variants}

    def to_dict(self) -> dict:
        """JSON-ready, for lessons and saved files."""
        return {"id": self.id, "title": self.title, "claim": self.claim, "steps": self.steps,
                "eval_every": self.eval_every, "measure": self.measure,
                "variants": [{"label": v.label, "experiment": experiment_to_dict(v.experiment)}
                             for v in self.variants]}


@dataclass(frozen=True)
class ScenarioResult:
    """The trained variants, the numbers behind the claim, whether it holds, in words."""

    scenario: Scenario
    trainers: dict[str, Trainer]
    failures: dict[str, NonFiniteError]
    numbers: dict[str, float]
    holds: bool
    summary: str
    arrays: dict[str, np.ndarray] = field(default_factory=dict)


def train_scenario(trainers: Mapping[str, Trainer], steps: int, eval_every: int,
                   should_stop: Callable[[], bool] | None = None,
                   on_round: Callable[[dict[str, StepReport]], None] | None = None
                   ) -> tuple[int, dict[str, NonFiniteError]]:
    """Step every trainer once per round, ``steps`` rounds (fewer if ``should_stop()``).

    A variant whose step raises NonFiniteError stops there (its weights as before that
    step) while the others go on; returns (rounds done, the errors by label).
    """
    failures: dict[str, NonFiniteError] = {}
    rounds = 0
    while rounds < steps and not (should_stop is not None and should_stop()):
        reports = {}
        for label, trainer in trainers.items():
            if label in failures:
                continue
            try:
                reports[label] = trainer.step()
            except NonFiniteError as error:
                failures[label] = error
                continue
            if reports[label].step % eval_every == 0:
                trainer.evaluate()
        rounds += 1
        if on_round is not None:
            on_round(reports)
        if len(failures) == len(trainers):
            break
    for trainer in trainers.values():
        if not trainer.history.metrics or trainer.history.metrics[-1].step != trainer.steps_done:
            trainer.evaluate()
    return rounds, failures


def run_scenario(scenario: str | Scenario, steps: int | None = None,
                 should_stop: Callable[[], bool] | None = None,
                 on_round: Callable[[dict[str, StepReport]], None] | None = None) -> ScenarioResult:
    """Build, train (``steps`` rounds, default the scenario's) and measure one scenario."""
    scenario = SCENARIOS[scenario] if isinstance(scenario, str) else scenario
    trainers = scenario.build()
    _, failures = train_scenario(trainers, scenario.steps if steps is None else steps,
                                 scenario.eval_every, should_stop, on_round)
    return measure(scenario, trainers, failures)


def measure(scenario: Scenario, trainers: dict[str, Trainer],
            failures: dict[str, NonFiniteError]) -> ScenarioResult:
    """The scenario's numbers for trainers trained by :func:`train_scenario`."""
    numbers, holds, summary, arrays = MEASURES[scenario.measure](trainers, failures)
    return ScenarioResult(scenario, trainers, failures, numbers, holds, summary, arrays)


# -- the measures ------------------------------------------------------------------------------
Measured = tuple[dict[str, float], bool, str, dict[str, np.ndarray]]


def _last(trainer: Trainer):
    return trainer.history.metrics[-1]


def _xor_gap(trainers, failures) -> Measured:
    linear, mlp = _last(trainers["linear model"]), _last(trainers["2-layer MLP"])
    numbers = {"linear train accuracy": linear.train_accuracy, "linear test accuracy": linear.test_accuracy,
               "MLP train accuracy": mlp.train_accuracy, "MLP test accuracy": mlp.test_accuracy}
    holds = max(linear.train_accuracy, linear.test_accuracy) <= 0.75 and min(
        mlp.train_accuracy, mlp.test_accuracy) == 1.0
    summary = (f"The linear model classifies {linear.test_accuracy:.0%} of the test points right; "
               f"with one hidden layer the network gets {mlp.test_accuracy:.0%}.")
    return numbers, holds, summary, {}


def _linear_collapse(trainers, failures) -> Measured:
    deep, single = trainers["two linear layers"], trainers["one linear layer"]
    W, b = collapse_linear(deep)
    X = deep.test_data.X
    with deep.evaluating() as model:
        net = model(Tensor(X)).data.reshape(-1)
    error = float(np.max(np.abs(net - (X @ W.T + b).reshape(-1))))
    two, one = _last(deep), _last(single)
    numbers = {"largest |network − W₂W₁x − b|": error, "two linear layers test accuracy": two.test_accuracy,
               "one linear layer test accuracy": one.test_accuracy}
    holds = error < 1e-9 and max(two.test_accuracy, one.test_accuracy) <= 0.75
    summary = (f"W₂W₁ = {np.array2string(W, precision=2)}: the two layers compute exactly one linear "
               f"map (largest difference {error:.1e}), so both stay at or below 75% on XOR "
               f"({two.test_accuracy:.0%} and {one.test_accuracy:.0%}).")
    return numbers, holds, summary, {"W2W1": W, "b": b}


def _unit_spread(trainer: Trainer) -> list[float]:
    """Per hidden layer: the largest difference between two units' incoming weights and bias."""
    spreads = []
    for block in trainer.model.blocks:
        rows = np.c_[block.linear.weight.data, block.linear.bias.data]
        spreads.append(float(np.max(np.abs(rows - rows[0]))))
    return spreads


def _symmetry(trainers, failures) -> Measured:
    zeros, random = trainers["zero initialization"], trainers["Xavier initialization"]
    moved = max(float(np.max(np.abs(b.linear.weight.data))) for b in zeros.model.blocks)
    numbers = {"zeros: largest difference between units of a layer": max(_unit_spread(zeros)),
               "zeros: largest weight after training": moved,
               "Xavier: smallest difference between units of a layer": min(_unit_spread(random)),
               "zeros test accuracy": _last(zeros).test_accuracy,
               "Xavier test accuracy": _last(random).test_accuracy}
    holds = max(_unit_spread(zeros)) < 1e-12 and moved > 0 and min(_unit_spread(random)) > 1e-3
    summary = (f"Started at zero, every unit of a layer got the same gradient at every step: the "
               f"weights moved (up to {moved:.2f}) but all units of a layer stayed identical, so "
               f"the network is as good as one unit per layer ({_last(zeros).test_accuracy:.0%} vs "
               f"{_last(random).test_accuracy:.0%} with Xavier).")
    return numbers, holds, summary, {}


def _first_gap(trainer: Trainer) -> float:
    """‖∂L/∂W‖ of the last layer ÷ that of the first, at the first step."""
    norms = trainer.history.gradient_norms()[0]
    return float(norms[-1] / norms[0])


def _vanishing(trainers, failures) -> Measured:
    gaps = {label: _first_gap(t) for label, t in trainers.items()}
    narrowing = gaps["sigmoid"] / gaps["sigmoid + batch norm"]
    numbers = {f"{label}: last ÷ first layer gradient": g for label, g in gaps.items()}
    numbers["batch norm narrows the gap by"] = narrowing
    holds = gaps["sigmoid"] >= 100 and narrowing >= 10
    summary = (f"In 20 sigmoid layers the first layer's gradient is {gaps['sigmoid']:.1e} times smaller "
               f"than the last one's (each σ′ ≤ 1/4 multiplies in); with ReLU the ratio is "
               f"{gaps['ReLU']:.2g} and batch norm brings it to {gaps['sigmoid + batch norm']:.2g}.")
    norms = {label: t.history.gradient_norms()[0] for label, t in trainers.items()}
    return numbers, holds, summary, norms


def _exploding(trainers, failures) -> Measured:
    bad, good = trainers["weights N(0, 1)"], trainers["Kaiming"]
    first_bad, first_good = bad.history.gradient_norms()[0], good.history.gradient_norms()[0]
    growth = float(np.max(first_bad) / np.max(first_good))
    error = failures.get("weights N(0, 1)")
    numbers = {"first-step loss, N(0, 1)": bad.history.losses[0],
               "first-step loss, Kaiming": good.history.losses[0],
               "largest gradient norm, N(0, 1) ÷ Kaiming": growth,
               "step of the first non-finite value": float(error.step) if error else float("nan")}
    holds = error is not None and "Kaiming" not in failures and growth >= 100
    where = f"it overflowed at step {error.step} in {error.where}" if error else "it did not overflow"
    summary = (f"With weights of standard deviation 1 each ReLU layer multiplies the signal by about "
               f"√(fan_in/2): the gradients are {growth:.1e} times Kaiming's and {where}.")
    return numbers, holds, summary, {}


def _overfitting(trainers, failures) -> Measured:
    losses = {label: _last(t).test_loss for label, t in trainers.items()}
    plain = losses["no regularization"]
    numbers = {f"{label}: test loss": v for label, v in losses.items()}
    numbers.update({f"{label}: train loss": _last(t).train_loss for label, t in trainers.items()})
    holds = all(v < plain for label, v in losses.items() if label != "no regularization")
    summary = (f"Unregularized, the network memorises the 40 noisy points (train loss "
               f"{_last(trainers['no regularization']).train_loss:.2f}) and its test loss climbs to "
               f"{plain:.2f}; L2 keeps it at {losses['L2 (λ = 0.003)']:.2f}, dropout at "
               f"{losses['dropout (p = 0.3)']:.2f}.")
    return numbers, holds, summary, {}


def _batch_norm_speed(trainers, failures) -> Measured:
    plain, normed = _last(trainers["without batch norm"]), _last(trainers["with batch norm"])
    numbers = {"train loss without batch norm": plain.train_loss,
               "train loss with batch norm": normed.train_loss,
               "train accuracy without batch norm": plain.train_accuracy,
               "train accuracy with batch norm": normed.train_accuracy}
    holds = normed.train_loss < 0.5 * plain.train_loss
    summary = (f"After {plain.step} steps of SGD the 8-layer sigmoid net without batch norm is at "
               f"loss {plain.train_loss:.2f} ({plain.train_accuracy:.0%} right); with batch norm "
               f"{normed.train_loss:.2f} ({normed.train_accuracy:.0%}).")
    return numbers, holds, summary, {}


def _cnn(trainers, failures) -> Measured:
    m = _last(trainers["CNN"])
    numbers = {"test accuracy": m.test_accuracy, "train accuracy": m.train_accuracy}
    summary = (f"After {m.step} steps (two passes over {len(trainers['CNN'].train_data)} images) "
               f"the CNN reads {m.test_accuracy:.1%} of the unseen digits right.")
    return numbers, m.test_accuracy >= 0.9, summary, {}


MEASURES: dict[str, Callable[..., Measured]] = {
    "xor_gap": _xor_gap, "linear_collapse": _linear_collapse, "symmetry": _symmetry,
    "vanishing": _vanishing, "exploding": _exploding, "overfitting": _overfitting,
    "batch_norm_speed": _batch_norm_speed, "cnn": _cnn}


# -- the scenarios -----------------------------------------------------------------------------
_XOR = DataSpec("xor", n=200, noise=0.1)
_ADAM = TrainSpec("Adam", {"lr": 0.03}, batch_size=10)


def _deep(activation: str, init: str, batch_norm: bool = False) -> Experiment:
    return Experiment(DataSpec("circles", n=200, noise=0.05),
                      DenseSpec(hidden=(8,) * 19, activation=activation, init=init,
                                batch_norm=batch_norm),
                      TrainSpec("SGD", {"lr": 0.1}, batch_size=20))


def _small_noisy(**network) -> Experiment:
    return Experiment(DataSpec("moons", n=400, noise=0.25, test_fraction=0.9, label_noise=0.1),
                      DenseSpec(hidden=(32, 32), activation="relu", init="kaiming_uniform", **network),
                      TrainSpec("Adam", {"lr": 0.01}, batch_size=None))


_NOISY = _small_noisy()
_BN_DATA = DataSpec("moons", n=400, noise=0.1)
_BN_NET = DenseSpec(hidden=(16,) * 8, activation="sigmoid")
_BN_TRAIN = TrainSpec("SGD", {"lr": 0.1}, batch_size=20)
_EXPLODE_DATA = DataSpec("circles", n=200, noise=0.05)
_EXPLODE_NET = DenseSpec(hidden=(16,) * 10, activation="relu", init="normal", init_scale=1.0)
_EXPLODE_SGD = TrainSpec("SGD", {"lr": 0.01}, batch_size=None)
_KAIMING_NET = replace(_EXPLODE_NET, init="kaiming_uniform", init_scale=None)

SCENARIOS: dict[str, Scenario] = {s.id: s for s in (
    Scenario("xor-linear", "A linear model cannot solve XOR",
             "No line separates XOR's four clusters: a linear model gets at most three of them "
             "right. One hidden layer bends the boundary and solves it.",
             (Variant("linear model", Experiment(_XOR, DenseSpec(hidden=()), _ADAM)),
              Variant("2-layer MLP",
                      Experiment(_XOR, DenseSpec(hidden=(4,), activation="tanh"), _ADAM))),
             steps=300, eval_every=10, measure="xor_gap"),
    Scenario("linear-collapse", "Two linear layers are one linear layer",
             "Without an activation, W₂(W₁x + b₁) + b₂ = (W₂W₁)x + (W₂b₁ + b₂): stacking linear "
             "layers adds nothing, the product matrix W₂W₁ is the whole network.",
             (Variant("two linear layers",
                      Experiment(_XOR, DenseSpec(hidden=(4,), activation="linear"), _ADAM)),
              Variant("one linear layer", Experiment(_XOR, DenseSpec(hidden=()), _ADAM))),
             steps=300, eval_every=10, measure="linear_collapse"),
    Scenario("zero-init", "Zero initialization never breaks symmetry",
             "W ← 0: every unit of a layer computes the same thing and gets the same gradient, "
             "so they stay twins forever. Random initialization breaks the symmetry.",
             (Variant("zero initialization",
                      Experiment(_XOR, DenseSpec(hidden=(4, 4), activation="sigmoid", init="zeros"), _ADAM)),
              Variant("Xavier initialization",
                      Experiment(_XOR, DenseSpec(hidden=(4, 4), activation="sigmoid"), _ADAM))),
             steps=500, eval_every=10, measure="symmetry"),
    Scenario("vanishing", "Deep sigmoid nets vanish, ReLU and batch norm rescue them",
             "∂C/∂b₁ = σ′(z₁) w₂ σ′(z₂) w₃ ⋯: with σ′ ≤ 1/4 in every layer, the gradient reaching "
             "the first of 20 sigmoid layers all but vanishes. ReLU (σ′ = 1 where active) and batch "
             "norm keep it alive.",
             (Variant("sigmoid", _deep("sigmoid", "xavier_uniform")),
              Variant("ReLU", _deep("relu", "kaiming_uniform")),
              Variant("sigmoid + batch norm", _deep("sigmoid", "xavier_uniform", batch_norm=True))),
             steps=200, eval_every=10, measure="vanishing"),
    Scenario("exploding", "Bad scaling explodes",
             "Initialize a deep ReLU net with weights too large and every layer multiplies the signal "
             "and the gradient: the loss overflows within a few steps. Kaiming's scale √(2/fan_in) "
             "keeps them steady.",
             (Variant("weights N(0, 1)", Experiment(_EXPLODE_DATA, _EXPLODE_NET, _EXPLODE_SGD)),
              Variant("Kaiming", Experiment(_EXPLODE_DATA, _KAIMING_NET, _EXPLODE_SGD))),
             steps=50, eval_every=5, measure="exploding"),
    Scenario("overfitting", "Dropout and L2 against overfitting on a small noisy set",
             "40 training points, 10% of them mislabelled, and 1,000+ weights: the network memorises "
             "the noise. L2 (λ‖w‖²) and dropout keep the boundary smooth and the test loss low.",
             (Variant("no regularization", _NOISY),
              Variant("L2 (λ = 0.003)", replace(_NOISY, training=replace(_NOISY.training, l2=0.003))),
              Variant("dropout (p = 0.3)", _small_noisy(dropout=0.3))),
             steps=500, eval_every=10, measure="overfitting"),
    Scenario("batch-norm", "Batch norm speeds up a deep net",
             "Normalizing each layer's z to zero mean and unit variance keeps the sigmoids in their "
             "steep middle: the deep net learns at once instead of sitting at chance.",
             (Variant("without batch norm", Experiment(_BN_DATA, _BN_NET, _BN_TRAIN)),
              Variant("with batch norm",
                      Experiment(_BN_DATA, replace(_BN_NET, batch_norm=True), _BN_TRAIN))),
             steps=200, eval_every=10, measure="batch_norm_speed"),
    Scenario("cnn-digits", "A CNN on digits",
             "Eight 3×3 kernels shared across the image, a 2×2 max-pool and one linear layer read "
             "handwritten digits: local receptive fields and shared weights.",
             (Variant("CNN", Experiment(DataSpec("digits", n=None, test_fraction=0.2), ConvSpec(),
                                        TrainSpec("Adam", {"lr": 0.01}, batch_size=32))),),
             steps=90, eval_every=15, measure="cnn"),
)}
"""Every built-in scenario by id, in the order the lectures tell them."""
