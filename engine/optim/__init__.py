"""``engine.optim``: optimizers and learning-rate schedules with ``torch.optim``'s API.

>>> from engine import Value
>>> from engine import optim
>>> w = Value(3.0, name="w")
>>> opt = optim.SGD([w], lr=0.1)
>>> for _ in range(3):
...     opt.zero_grad()
...     loss = w * w
...     loss.backward()
...     opt.step()
>>> round(w.data, 4)
1.536

First order: SGD (momentum, Nesterov), Adagrad, RMSprop, Adadelta, Adam, AdamW.
Second order and quasi-Newton (need ``step(closure)``): Newton, BFGS, LBFGS,
ConjugateGradient.  Schedules: StepLR, ExponentialLR, CosineAnnealingLR.
"""
from .adam import Adam, AdamW
from .adaptive import Adadelta, Adagrad, RMSprop
from .lbfgs import LBFGS
from .line_search import strong_wolfe
from .lr_scheduler import CosineAnnealingLR, ExponentialLR, LRScheduler, StepLR
from .newton import Newton
from .optimizer import Optimizer
from .quasi_newton import BFGS, ConjugateGradient
from .sgd import SGD

OPTIMIZERS = {cls.__name__: cls for cls in (SGD, Adagrad, RMSprop, Adadelta, Adam, AdamW,
                                             Newton, BFGS, LBFGS, ConjugateGradient)}
"""Every optimizer class by name, for UIs and :func:`engine.surfaces.run`."""

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "Newton",
           "BFGS", "LBFGS", "ConjugateGradient", "LRScheduler", "StepLR", "ExponentialLR",
           "CosineAnnealingLR", "strong_wolfe", "OPTIMIZERS"]
