"""``call`` with a lean path for tensors: what the tensor primitives' wrappers use.

Same contract as :func:`engine.prims.dispatch.call` (recorded if an argument is
a node, numeric otherwise), but tensors go through
:func:`engine.tensor.tensor_apply`, which skips the generic path's per-op work.
"""
from __future__ import annotations

from ..node import Node, apply
from ..registry import REGISTRY


def call(name: str, *args, **params):
    """Apply primitive ``name``: recorded if any argument is a node, else numeric."""
    from ..tensor import Tensor, tensor_apply
    prim = REGISTRY[name]
    for a in args:
        if isinstance(a, Tensor):
            return tensor_apply(prim, *args, **params)
        if isinstance(a, Node):
            return apply(prim, *args, **params)
    return prim.forward(*args, **params)
