"""What a training-lab experiment is, as plain data: the data set, the network and the training.

Frozen dataclasses of numbers, strings and tuples, so a scenario, a lesson scene
or a saved file can describe an experiment and rebuild it exactly
(:func:`experiment_from_dict` reads back what :func:`experiment_to_dict` wrote).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Mapping


@dataclass(frozen=True)
class DataSpec:
    """Which data set, how many points, how noisy, and how it is split.

    ``name`` is a generator of :data:`engine.datasets.DATASETS` or ``"digits"``
    (the 8×8 images; ``n`` then caps how many are used, None for all of them).
    ``options`` are the generator's extra arguments (e.g. ``{"classes": 4}`` for blobs).
    """

    name: str = "xor"
    n: int | None = 200
    noise: float = 0.1
    seed: int = 0
    test_fraction: float = 0.5
    label_noise: float = 0.0
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DenseSpec:
    """A fully connected network: hidden layer widths and, per layer, its activation.

    ``activation`` is one name of :data:`~engine.playground.network.ACTIVATIONS` for every
    hidden layer or one per layer; ``init`` one of :data:`engine.nn.init.SCHEMES`.  The output
    layer is linear (logits, or the prediction for regression).  ``init_scale`` is
    the constant for "constant", the standard deviation for "normal" and the bound a
    of U(-a, a) for "uniform"; it multiplies the gain of Xavier and Kaiming.
    ``residual`` adds a layer's input to its output wherever the widths agree.
    Batch norm sits between the linear map and the activation; dropout after it.
    """

    hidden: tuple[int, ...] = (4,)
    activation: str | tuple[str, ...] = "tanh"
    init: str = "xavier_uniform"
    init_scale: float | None = None
    residual: bool = False
    batch_norm: bool = False
    dropout: float = 0.0

    def activations(self) -> tuple[str, ...]:
        """The activation of each hidden layer."""
        if isinstance(self.activation, str):
            return (self.activation,) * len(self.hidden)
        return tuple(self.activation)


@dataclass(frozen=True)
class ConvSpec:
    """A small CNN: convolutions ``(channels, kernel size)`` each followed by batch norm
    (optional), the activation and a ``pool``×``pool`` max-pool (none when 1), then
    fully connected ``hidden`` layers and a linear output layer.  Convolutions pad to
    keep the image size ("same")."""

    convs: tuple[tuple[int, int], ...] = ((8, 3),)
    pool: int = 2
    hidden: tuple[int, ...] = ()
    activation: str = "relu"
    init: str = "kaiming_uniform"
    init_scale: float | None = None
    batch_norm: bool = False
    dropout: float = 0.0


@dataclass(frozen=True)
class TrainSpec:
    """The optimizer (a name of :data:`engine.optim.OPTIMIZERS`) with its hyperparameters,
    the batch size (None: the whole training set), L1/L2 strengths and the weight seed.

    The loss is the data loss + ``l1``·Σ|w| + ``l2``·Σw² over the weights (not the
    biases, not batch norm's γ and β).
    """

    optimizer: str = "Adam"
    hyperparams: Mapping[str, Any] = field(default_factory=lambda: {"lr": 0.03})
    batch_size: int | None = 10
    l1: float = 0.0
    l2: float = 0.0
    seed: int = 0


@dataclass(frozen=True)
class Experiment:
    """Everything needed to build and train one network, reproducibly."""

    data: DataSpec = DataSpec()
    network: DenseSpec | ConvSpec = DenseSpec()
    training: TrainSpec = TrainSpec()


def experiment_to_dict(experiment: Experiment) -> dict[str, Any]:
    """JSON-ready nested dicts (``network["kind"]`` says "dense" or "conv")."""
    network = asdict(experiment.network)
    network["kind"] = "conv" if isinstance(experiment.network, ConvSpec) else "dense"
    return {"data": asdict(experiment.data), "network": network,
            "training": asdict(experiment.training)}


def experiment_from_dict(d: Mapping[str, Any]) -> Experiment:
    """The Experiment described by :func:`experiment_to_dict`'s output (lists become tuples).

    Raises ValueError naming an unknown section or field.
    """
    unknown = set(d) - {"data", "network", "training"}
    if unknown:
        raise ValueError(f"unknown experiment section(s) {sorted(unknown)}; "
                         "expected data, network, training")
    network = dict(d.get("network", {}))
    kind = network.pop("kind", "dense")
    if kind not in ("dense", "conv"):
        raise ValueError(f"network kind must be 'dense' or 'conv', got {kind!r}")
    return Experiment(_build(DataSpec, d.get("data", {})),
                      _build(ConvSpec if kind == "conv" else DenseSpec, network),
                      _build(TrainSpec, d.get("training", {})))


def _build(cls: type, values: Mapping[str, Any]):
    names = {f.name for f in fields(cls)}
    unknown = set(values) - names
    if unknown:
        raise ValueError(f"unknown {cls.__name__} field(s) {sorted(unknown)}; "
                         f"expected some of {sorted(names)}")
    return cls(**{k: _tuples(v) for k, v in values.items()})


def _tuples(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value
