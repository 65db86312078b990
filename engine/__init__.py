"""Chainrule's autograd engine: define-by-run, PyTorch-like, NumPy in and out, no Qt.

>>> from engine import Value
>>> x, y, z = Value(-2.0, name="x"), Value(5.0, name="y"), Value(-4.0, name="z")
>>> f = (x + y) * z
>>> f.backward()
>>> x.grad, y.grad, z.grad
(-4.0, -4.0, 3.0)
"""
from .prims import core as _core  # noqa: F401  (registers the tensor primitives)
from .prims import elementwise as _elementwise  # noqa: F401
from .registry import REGISTRY, Primitive, register, unregister
from .node import Node, apply, is_node, no_grad, enable_grad, is_grad_enabled, format_number
from .value import Value
from .tensor import Tensor, tensor, as_tensor
from .tensor import arange, full, full_like, ones, ones_like, zeros, zeros_like
from .autodiff import backprop, grad, hessian, jvp, topological_order
from .graph import EdgeStep, Graph, Step, to_networkx
from .gradcheck import gradcheck, numerical_grad
from .prims.shape import concat, stack, where, clip
from . import functional, nn
from . import cuda  # noqa: F401  (registers the "cuda" device; loads no numba.cuda)

__all__ = [
    "REGISTRY", "Primitive", "register", "unregister", "Node", "apply", "is_node", "Value",
    "Tensor", "tensor", "as_tensor", "arange", "full", "full_like", "ones", "ones_like", "zeros",
    "zeros_like",
    "no_grad", "enable_grad", "is_grad_enabled", "format_number", "backprop", "grad",
    "hessian", "jvp", "topological_order", "Graph", "Step", "EdgeStep", "to_networkx",
    "gradcheck", "numerical_grad", "concat", "stack", "where", "clip", "functional", "nn",
]
