"""The training lab's engine: build a network from data, train it live, look inside it.

Qt-free; the lab's window only draws what these return.

>>> from engine.playground import DataSpec, DenseSpec, Experiment, TrainSpec, Trainer, grid_view
>>> trainer = Trainer(Experiment(DataSpec("xor", n=200), DenseSpec(hidden=(4,), activation="tanh"),
...                              TrainSpec("Adam", {"lr": 0.03}, batch_size=10)))
>>> trainer.run(300, eval_every=50)
300
>>> trainer.evaluate().test_accuracy
1.0
>>> grid_view(trainer, 100).prediction.shape        # P(class 1) under the data
(100, 100)
"""
from ..nonfinite import NonFiniteError
from .convolution import CellExplanation, FeatureMap, explain_cell, feature_maps, kernels
from ..nn.init import SCHEMES as INIT_SCHEMES
from .network import ACTIVATION_NAMES, ACTIVATIONS, ConvNet, DenseBlock, DenseNet
from .scenarios import SCENARIOS, Scenario, ScenarioResult, Variant, run_scenario, train_scenario
from .spec import (ConvSpec, DataSpec, DenseSpec, Experiment, TrainSpec, experiment_from_dict,
                   experiment_to_dict)
from .trainer import History, Metrics, StepReport, Task, Trainer, prepare_data
from .views import (GridView, Histogram, LayerWeights, NeuronFormula, activation_histograms,
                    collapse_linear, data_extent, grid_view, neuron_formula, weights)

__all__ = [
    "NonFiniteError", "CellExplanation", "FeatureMap", "explain_cell", "feature_maps", "kernels",
    "ACTIVATIONS", "ConvNet", "DenseBlock", "DenseNet", "SCENARIOS", "Scenario", "ScenarioResult",
    "Variant", "run_scenario", "train_scenario", "ACTIVATION_NAMES", "INIT_SCHEMES", "ConvSpec",
    "DataSpec", "DenseSpec", "Experiment", "TrainSpec", "experiment_from_dict",
    "experiment_to_dict", "History", "Metrics", "StepReport", "Task", "Trainer", "prepare_data",
    "GridView", "Histogram", "LayerWeights", "NeuronFormula", "activation_histograms",
    "collapse_linear", "data_extent", "grid_view", "neuron_formula", "weights",
]
