"""``torch.nn`` for Chainrule: modules, parameters and initializers (no Qt)."""
from . import init
from .layers import (ELU, MLP, SELU, AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, ConvTranspose2d,
                     Dropout, Embedding, Flatten, Identity, LayerNorm, LeakyReLU, Linear, MaxPool2d, ReLU,
                     Sequential, Sigmoid, Tanh)
from .module import Module, Parameter
from .rnn import GRU, LSTM, RNN

__all__ = [
    "init", "Module", "Parameter", "Linear", "Embedding", "Sequential", "MLP", "Conv2d",
    "ConvTranspose2d", "MaxPool2d", "AvgPool2d", "Flatten", "Dropout", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "ReLU",
    "Tanh", "Sigmoid", "LeakyReLU", "ELU", "SELU", "Identity", "RNN", "LSTM", "GRU",
]
