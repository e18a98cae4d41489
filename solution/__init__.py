"""A feed-forward neural network in NumPy.

The six modules import each other relatively, so this package works under any name
(``solution``, ``starter``, or a student's submission).
"""

from .activations import Linear, ReLU, Sigmoid, SoftMax, TanH, initialize_activation
from .layers import FullyConnectedLayer, initialize_weights
from .loss import CrossEntropyLoss, MSELoss, initialize_loss
from .model import NeuralNetworkModel
from .optimizer import SGD, Adam, initialize_optimizer
from .util import DataLoader, Logger, load_dataset, numerical_gradient, one_hot

__all__ = [
    "Adam",
    "CrossEntropyLoss",
    "DataLoader",
    "FullyConnectedLayer",
    "Linear",
    "Logger",
    "MSELoss",
    "NeuralNetworkModel",
    "ReLU",
    "SGD",
    "Sigmoid",
    "SoftMax",
    "TanH",
    "initialize_activation",
    "initialize_loss",
    "initialize_optimizer",
    "initialize_weights",
    "load_dataset",
    "numerical_gradient",
    "one_hot",
]
