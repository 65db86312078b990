"""Check reverse-mode gradients against central finite differences."""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .autodiff import grad
from .graph import leaves_like
from .node import Node, raw


def numerical_grad(f: Callable[..., Node], inputs: Sequence, eps: float = 1e-6) -> list:
    """Central differences (f(x+h) - f(x-h)) / 2h for every element of every input."""
    numbers = [raw(x) for x in inputs]
    scalar = [not isinstance(x, np.ndarray) for x in numbers]
    base = [np.array(x, dtype=np.float64) for x in numbers]
    out = []
    for k, x in enumerate(base):
        g = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            vals = []
            for sign in (1.0, -1.0):
                shifted = [b.copy() for b in base]
                shifted[k][idx] += sign * eps
                args = leaves_like([float(s) if sc else s for s, sc in zip(shifted, scalar)])
                vals.append(float(np.sum(f(*args).data)))
            g[idx] = (vals[0] - vals[1]) / (2 * eps)
        out.append(float(g) if scalar[k] else g)
    return out


def gradcheck(f: Callable[..., Node], inputs: Sequence, *, eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-4, raise_exception: bool = True) -> bool:
    """True when autodiff agrees with finite differences on ``sum(f(*inputs))``.

    Like ``torch.autograd.gradcheck``; on disagreement it raises with the worst
    element unless ``raise_exception=False``.
    """
    args = leaves_like(inputs)
    out = f(*args)
    seed = None if out.shape == () else np.ones(out.shape)
    analytic = grad(out, args, seed)
    numeric = numerical_grad(f, inputs, eps)
    for i, (a, n) in enumerate(zip(analytic, numeric)):
        a = np.asarray(a, dtype=float)
        n = np.asarray(n, dtype=float)
        if not np.allclose(a, n, atol=atol, rtol=rtol, equal_nan=True):
            if raise_exception:
                worst = np.unravel_index(np.argmax(np.abs(a - n)), a.shape) if a.ndim else ()
                raise AssertionError(
                    f"gradient of input {i} disagrees with finite differences at {worst}: "
                    f"autodiff {a[worst] if a.ndim else a} vs numeric {n[worst] if n.ndim else n}")
            return False
    return True
