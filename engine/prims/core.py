"""Core tensor primitives: reductions, reshaping, broadcasting and matmul.

Their rules are written with the dispatching functions at the bottom, so every
gradient is itself differentiable (``create_graph=True``); the same functions,
exported, are the ``Tensor`` methods (``t.sum(dim=0)``, ``t.reshape(2, -1)``,
``t.T``, ``a @ b``).
"""
from __future__ import annotations

import numpy as np

from ..devices import DeviceData
from ..node import apply
from ..registry import Export, export, register
from .dispatch import call


def dim_index(dim, ndim: int, op: str, *, new: bool = False, name: str = "dim") -> int:
    """One ``dim`` as a non-negative axis, checked as PyTorch does: an IndexError outside
    [-n, n - 1] (a 0-d tensor counts as 1-d; ``new=True``: a new axis, n + 1 places)."""
    n = max(ndim + (1 if new else 0), 1)
    try:
        d = int(dim.__index__())
    except AttributeError:
        raise TypeError(f"{op}: {name} must be an integer, got {type(dim).__name__}") from None
    if not -n <= d < n:
        raise IndexError(f"{op}: {name} {d} is out of range for a tensor of {ndim} dimensions "
                         f"(expected to be in range of [{-n}, {n - 1}])")
    return d % n


def normalize_axis(axis, ndim: int, op: str = "reduction") -> tuple[int, ...] | None:
    """NumPy's ``axis`` argument as a sorted tuple of non-negative axes (None = all); an
    out-of-range axis is an IndexError, as in PyTorch (a 0-d tensor has dimension 0 or -1
    and nothing to reduce)."""
    if axis is None:
        return None
    if isinstance(axis, (int, np.integer)):
        axis = (int(axis),)
    out = [dim_index(a, ndim, op) for a in axis]
    return () if ndim == 0 else tuple(sorted(out))


def _reduced_shape(shape: tuple, axis) -> tuple:
    """The shape with reduced axes kept as size 1, for broadcasting a gradient back."""
    if axis is None:
        return (1,) * len(shape)
    return tuple(1 if i in axis else s for i, s in enumerate(shape))


def _count(shape: tuple, axis) -> int:
    if axis is None:
        return int(np.prod(shape)) if shape else 1
    return int(np.prod([shape[i] for i in axis]))


def _sum_to_forward(x, shape):
    """Sum a broadcast array back down to ``shape`` (the adjoint of broadcasting)."""
    shape = tuple(shape)
    if np.shape(x) == shape:
        return x
    x = np.asarray(x)
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(shape) if s == 1 and x.shape[i + lead] != 1)
    return np.sum(x, axis=axes, keepdims=True).reshape(shape)


def shape_of(x) -> tuple:
    """The shape of a node, array or number."""
    return tuple(x.shape) if hasattr(x, "shape") else ()


def _sum_vjp(g, out, x, axis=None, keepdims=False):
    if not keepdims:
        g = reshape(g, _reduced_shape(x.shape, axis))
    return broadcast_to(g, x.shape)


def _mean_vjp(g, out, x, axis=None, keepdims=False):
    return _sum_vjp(g, out, x, axis, keepdims) / _count(x.shape, axis)


def _inverse_axes(axes) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argsort(axes))


def _swap_last(x):
    nd = len(x.shape)
    axes = tuple(range(nd - 2)) + (nd - 1, nd - 2)
    return transpose(x, axes)


def _matmul_vjp_a(g, out, a, b):
    if len(a.shape) == 1 and len(b.shape) == 1:   # (k,) @ (k,) -> (): a dot product
        return g * b
    if len(b.shape) == 1:            # (..., k) @ (k,) -> (...)
        return sum_to(reshape(g, g.shape + (1,)) * b, a.shape)
    if len(a.shape) == 1:            # (k,) @ (..., k, n) -> (..., n)
        ga = matmul(b, reshape(g, g.shape + (1,)))
        return sum_to(reshape(ga, ga.shape[:-1]), a.shape)
    return sum_to(matmul(g, _swap_last(b)), a.shape)


def _matmul_vjp_b(g, out, a, b):
    if len(a.shape) == 1 and len(b.shape) == 1:
        return g * a
    if len(a.shape) == 1:            # (k,) @ (..., k, n)
        return sum_to(reshape(a, a.shape + (1,)) * reshape(g, g.shape[:-1] + (1,) + g.shape[-1:]), b.shape)
    if len(b.shape) == 1:            # (..., m, k) @ (k,) -> (..., m)
        return sum_to(sum(_swap_last(a) * reshape(g, g.shape[:-1] + (1,) + g.shape[-1:]), axis=-1), b.shape)
    return sum_to(matmul(_swap_last(a), g), b.shape)


SUM = register("sum", "Σ", lambda x, axis=None, keepdims=False: np.sum(x, axis=axis, keepdims=keepdims),
               (_sum_vjp,),
               (lambda t, out, x, axis=None, keepdims=False: sum(t, axis, keepdims),),
               local_text=("1",))
MEAN = register("mean", "mean", lambda x, axis=None, keepdims=False: np.mean(x, axis=axis, keepdims=keepdims),
                (_mean_vjp,),
                (lambda t, out, x, axis=None, keepdims=False: mean(t, axis, keepdims),),
                local_text=("1/n",))
RESHAPE = register("reshape", "reshape", lambda x, shape: np.reshape(x, shape),
                   (lambda g, out, x, shape: reshape(g, x.shape),),
                   (lambda t, out, x, shape: reshape(t, shape),))
TRANSPOSE = register("transpose", "ᵀ", lambda x, axes: np.transpose(x, axes),
                     (lambda g, out, x, axes: transpose(g, _inverse_axes(axes)),),
                     (lambda t, out, x, axes: transpose(t, axes),))
BROADCAST_TO = register("broadcast_to", "broadcast",
                        lambda x, shape: np.broadcast_to(x, shape),
                        (lambda g, out, x, shape: sum_to(g, x.shape),),
                        (lambda t, out, x, shape: broadcast_to(t, shape),))
SUM_TO = register("sum_to", "Σ↓", _sum_to_forward,
                  (lambda g, out, x, shape: broadcast_to(g, x.shape),),
                  (lambda t, out, x, shape: sum_to(t, shape),))
MATMUL = register("matmul", "@", np.matmul, (_matmul_vjp_a, _matmul_vjp_b),
                  (lambda t, out, a, b: matmul(t, b), lambda t, out, a, b: matmul(a, t)),
                  local_text=("(·) Wᵀ", "Xᵀ (·)"),
                  exports=(Export(lambda a, b: apply(MATMUL, a, b), operator="matmul",
                                  reflected=lambda a, b: apply(MATMUL, b, a)),))


def _is_scalar_value(x) -> bool:
    """A ``Value`` or plain number: summing or averaging it over no axes is itself."""
    if isinstance(x, np.ndarray):
        return False
    return not isinstance(getattr(x, "data", x), (np.ndarray, DeviceData))


def pick_axis(axis, dim):
    """NumPy's ``axis`` or PyTorch's ``dim`` (giving both is an error)."""
    if dim is not None:
        if axis is not None:
            raise TypeError("give axis or dim, not both")
        return dim
    return axis


def sum(x, axis=None, keepdims: bool = False, *, dim=None):
    """Sum over ``axis``/``dim`` (all by default); a Value or number is its own sum."""
    if _is_scalar_value(x):
        return x
    axis = normalize_axis(pick_axis(axis, dim), len(x.shape))
    return call("sum", x, axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims: bool = False, *, dim=None):
    """Mean over ``axis``/``dim`` (all by default); a Value or number is its own mean."""
    if _is_scalar_value(x):
        return x
    axis = normalize_axis(pick_axis(axis, dim), len(x.shape))
    return call("mean", x, axis=axis, keepdims=keepdims)


export(sum, methods=("sum",), expression="sum")
export(mean, methods=("mean",), expression="mean")


def reshape(x, shape):
    shape = tuple(int(s) for s in shape)
    if shape_of(x) == shape:
        return x
    return call("reshape", x, shape=shape)


def transpose(x, axes=None):
    nd = len(x.shape)
    axes = tuple(reversed(range(nd))) if axes is None else tuple(dim_index(a, nd, "permute") for a in axes)
    if sorted(axes) != list(range(nd)):
        raise ValueError(f"permute: dims {axes} are not an ordering of the {nd} dimensions of a "
                         f"tensor of shape {tuple(x.shape)}")
    if axes == tuple(range(nd)):
        return x
    return call("transpose", x, axes=axes)


def broadcast_to(x, shape):
    shape = tuple(shape)
    if shape_of(x) == shape:
        return x
    return apply(BROADCAST_TO, x, shape=shape)


def sum_to(x, shape):
    shape = tuple(shape)
    if shape_of(x) == shape:
        return x
    return apply(SUM_TO, x, shape=shape)


def matmul(a, b):
    return apply(MATMUL, a, b)


# -- the Tensor methods with PyTorch's argument conventions ----------------------------
def resolve_shape(shape, size: int) -> tuple:
    """A requested shape with its one -1 inferred from ``size`` (the number of elements)."""
    shape = [int(s) for s in shape]
    if shape.count(-1) > 1:
        raise ValueError(f"only one -1 is allowed in a shape, got {tuple(shape)}")
    if -1 in shape:
        known = int(np.prod([s for s in shape if s != -1])) or 1
        shape[shape.index(-1)] = size // known
    if int(np.prod(shape)) != size:
        raise ValueError(f"cannot reshape an array of {size} elements into shape {tuple(shape)}")
    return tuple(shape)


def _axes_arg(axes) -> tuple:
    return tuple(axes[0]) if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes


def reshape_as(x, *shape):
    """``t.reshape(2, 3)``, ``t.reshape((2, -1))`` or ``t.view(...)``: one -1 is inferred."""
    shape = _axes_arg(shape)
    return reshape(x, resolve_shape(shape, int(np.prod(shape_of(x)))))


def swap_axes(x, *axes):
    """Two axes swap them (PyTorch's ``transpose(0, 1)``); none or a full permutation act
    as NumPy's ``transpose``."""
    axes = _axes_arg(axes)
    if len(axes) == 2:
        nd = len(x.shape)
        i, j = (dim_index(a, nd, "transpose") for a in axes)
        if nd == 0:
            return x
        perm = list(range(nd))
        perm[i], perm[j] = perm[j], perm[i]
        return transpose(x, perm)
    return transpose(x, axes or None)


def permute(x, *axes):
    """Reorder the axes (``torch.permute``)."""
    return transpose(x, _axes_arg(axes))


export(reshape_as, methods=("reshape", "view"))
export(swap_axes, methods=("transpose",))
export(permute, methods=("permute",))
export(lambda x: transpose(x), methods=("T",), is_property=True, owner="T")
export(broadcast_to, methods=("broadcast_to",))
