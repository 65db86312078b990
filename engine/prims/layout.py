"""Rearranging ops with torch's names and signatures: flip, repeat/tile, gather, tril/triu,
pad (constant, reflect, replicate) and einsum.

All but einsum compose recorded primitives (indexing, scatter, broadcast, where), so their
gradients come from those rules and can be differentiated again; einsum is one variadic
primitive whose VJP for each operand is another einsum.
"""
from __future__ import annotations

import numpy as np

from ..node import is_node
from ..registry import export
from . import core as C
from .dispatch import call
from .shape import getitem, register_variadic, scatter, where


def flip(x, dims):
    """Reverse the order of elements along ``dims`` (``torch.flip``)."""
    dims = (dims,) if np.ndim(dims) == 0 else tuple(dims)
    nd = len(x.shape)
    axes = {C.dim_index(d, nd, "flip", name="dims") for d in dims}
    if nd == 0:
        return x
    return getitem(x, tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(nd)))


def _tiled(x, reps: tuple):
    """``x`` repeated ``reps[i]`` times along each axis (leading axes added as needed)."""
    shape = (1,) * (len(reps) - len(x.shape)) + tuple(x.shape)
    inter = tuple(v for s in shape for v in (1, s))
    wide = tuple(v for r, s in zip(reps, shape) for v in (r, s))
    out = C.broadcast_to(C.reshape(x, inter), wide)
    return C.reshape(out, tuple(r * s for r, s in zip(reps, shape)))


def repeat(x, *sizes):
    """``Tensor.repeat``: tile ``x`` ``sizes[i]`` times along each axis (at least x.ndim sizes)."""
    sizes = C._axes_arg(sizes)
    if len(sizes) < len(x.shape):
        raise ValueError(f"repeat: {len(sizes)} sizes {tuple(sizes)} cannot repeat a tensor of "
                         f"shape {tuple(x.shape)}; give at least {len(x.shape)}")
    return _tiled(x, _counts(sizes, "repeat"))


def tile(x, dims):
    """``torch.tile``: as repeat, with missing leading counts taken as 1."""
    dims = (dims,) if np.ndim(dims) == 0 else tuple(dims)
    dims = (1,) * (len(x.shape) - len(dims)) + dims
    return _tiled(x, _counts(dims, "tile"))


def _counts(sizes, op: str) -> tuple:
    sizes = tuple(int(s) for s in sizes)
    if any(s < 0 for s in sizes):
        raise ValueError(f"{op}: repeat counts must be non-negative, got {sizes}")
    return sizes


def gather(x, dim: int, index):
    """``torch.gather``: out[i][j] = x[index[i][j]][j] along ``dim``; the gradient scatters back
    (repeated indices add)."""
    index = np.asarray(index.data if is_node(index) else index)
    if index.dtype.kind == "f" and np.all(index == np.round(index)):
        index = index.astype(np.int64)
    shape = tuple(x.shape)
    axis = C.dim_index(dim, len(shape), "gather")
    if index.dtype.kind not in "iu" or index.ndim != len(shape):
        raise ValueError(f"gather: index {index.shape} ({index.dtype}) must be integers with as "
                         f"many dimensions as input {shape}")
    if len(shape) == 0:
        return C.reshape(getitem(C.reshape(x, (1,)), index.reshape(1)), ())
    for d in range(len(shape)):
        if d != axis and index.shape[d] > shape[d]:
            raise ValueError(f"gather: index {index.shape} is larger than input {shape} "
                             f"outside dim {axis}")
    if index.size and (index.min() < -shape[axis] or index.max() >= shape[axis]):
        raise IndexError(f"gather: index {index.max() if index.max() >= shape[axis] else index.min()} "
                         f"is out of bounds for dim {axis} of input {shape}")
    grids = list(np.ogrid[tuple(slice(0, n) for n in index.shape)])
    grids[axis] = index
    return getitem(x, tuple(grids))


def _triangle(x, diagonal: int, lower: bool, op: str):
    shape = tuple(x.shape)
    if len(shape) < 2:
        raise ValueError(f"{op}: input must have at least 2 dimensions, got shape {shape}")
    keep = (np.tril if lower else np.triu)(np.ones(shape[-2:], dtype=bool), int(diagonal))
    return where(np.broadcast_to(keep, shape), x, 0.0)


def tril(x, diagonal: int = 0):
    """The lower triangle of the last two axes (at and below ``diagonal``), zeros above."""
    return _triangle(x, diagonal, True, "tril")


def triu(x, diagonal: int = 0):
    """The upper triangle of the last two axes (at and above ``diagonal``), zeros below."""
    return _triangle(x, diagonal, False, "triu")


# -- pad -------------------------------------------------------------------------------------------
def pad(x, pad, mode: str = "constant", value: float = 0.0):
    """``torch.nn.functional.pad``: ``pad`` = (left, right) for the last axis, then (top,
    bottom) for the one before, ...; modes 'constant' (negative widths crop), 'reflect'
    (the edge is not repeated) and 'replicate' (the edge is)."""
    pad = tuple(int(p) for p in pad)
    shape = tuple(x.shape)
    if len(pad) % 2:
        raise ValueError(f"pad: padding length must be even, got {len(pad)} values {pad}")
    if len(pad) // 2 > len(shape):
        raise ValueError(f"pad: {pad} pads {len(pad) // 2} dimensions of an input of shape {shape}")
    widths = [(0, 0)] * len(shape)
    for k in range(len(pad) // 2):
        widths[len(shape) - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    if mode == "constant":
        return _pad_constant(x, widths, float(value))
    if mode not in ("reflect", "replicate"):
        raise ValueError(f"pad: mode must be 'constant', 'reflect' or 'replicate', got {mode!r}")
    grids = []
    for axis, ((lo, hi), n) in enumerate(zip(widths, shape)):
        if lo < 0 or hi < 0:
            raise ValueError(f"pad: {mode} padding {pad} must not be negative")
        if mode == "reflect" and (lo >= n or hi >= n) and (lo or hi):
            raise ValueError(f"pad: reflect padding ({lo}, {hi}) must be smaller than dim {axis} "
                             f"of input {shape}")
        if mode == "replicate" and n == 0 and (lo or hi):
            raise ValueError(f"pad: cannot replicate the edge of an empty dim {axis} of input {shape}")
        source = np.pad(np.arange(n), (lo, hi), mode="reflect" if mode == "reflect" else "edge")
        grids.append(source.reshape((-1,) + (1,) * (len(shape) - axis - 1)))
    return getitem(x, tuple(grids))


def _pad_constant(x, widths, value: float):
    crop = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for (lo, hi), n in zip(widths, x.shape))
    if any(lo < 0 or hi < 0 for lo, hi in widths):
        x = getitem(x, crop)
    widths = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
    out_shape = tuple(lo + n + hi for (lo, hi), n in zip(widths, x.shape))
    if out_shape == tuple(x.shape):
        return x
    inside = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, x.shape))
    out = scatter(x, out_shape, inside)
    if value:
        fill = np.full(out_shape, value, dtype=np.asarray(x.data if is_node(x) else x).dtype)
        fill[inside] = 0.0
        out = out + fill
    return out


# -- einsum ---------------------------------------------------------------------------------------
def _parse(equation: str, n: int) -> tuple[list[str], str]:
    """The operands' labels and the output's (implicit mode: the labels seen once, sorted)."""
    equation = equation.replace(" ", "")
    lhs, arrow, out = equation.partition("->")
    ins = lhs.split(",")
    if len(ins) != n:
        raise ValueError(f"einsum: the equation {equation!r} names {len(ins)} operands, got {n}")
    if "." in equation:
        raise ValueError("einsum: '...' is not supported; name every axis")
    if not arrow:
        labels = "".join(ins)
        out = "".join(sorted(c for c in set(labels) if labels.count(c) == 1))
    for term in ins + [out]:
        if term and (not term.isalpha() or len(set(term)) != len(term)):
            raise ValueError(f"einsum: {term!r} in {equation!r}: labels must be letters, "
                                 "each at most once per operand (no diagonals)")
    return ins, out


def _einsum_vjp(i, g, out, *xs, equation):
    ins, result = equation.split("->")
    ins = ins.split(",")
    others = [x for j, x in enumerate(xs) if j != i]
    seen = set(result).union(*[ins[j] for j in range(len(xs)) if j != i])
    kept = "".join(c for c in ins[i] if c in seen)
    spec = ",".join([result] + [ins[j] for j in range(len(xs)) if j != i]) + "->" + kept
    part = call("einsum", g, *others, equation=spec)
    if kept == ins[i]:
        return part
    shape = tuple(s if c in seen else 1 for c, s in zip(ins[i], xs[i].shape))
    return C.broadcast_to(C.reshape(part, shape), tuple(xs[i].shape))


def _einsum_jvp(i, t, out, *xs, equation):
    return call("einsum", *(t if j == i else x for j, x in enumerate(xs)), equation=equation)


EINSUM = register_variadic("einsum", "einsum",
                           lambda *xs, equation: np.einsum(equation, *xs, optimize=len(xs) > 2),
                           _einsum_vjp, _einsum_jvp)


def einsum(equation: str, *operands):
    """``torch.einsum`` for operands whose labels each appear once per operand (matrix
    products, batched products, outer and inner products, transposes, sums)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    ins, out = _parse(equation, len(operands))
    for term, x in zip(ins, operands):
        if len(term) != len(C.shape_of(x)):
            raise ValueError(f"einsum: {term!r} names {len(term)} axes of an operand of shape "
                             f"{C.shape_of(x)}")
    sizes: dict[str, int] = {}
    for term, x in zip(ins, operands):
        for c, s in zip(term, C.shape_of(x)):
            if sizes.setdefault(c, s) != s:
                raise ValueError(f"einsum: label {c!r} has size {sizes[c]} and {s} in {equation!r}")
    if set(out) - set("".join(ins)):
        raise ValueError(f"einsum: output labels {out!r} must appear among the operands'")
    return call("einsum", *operands, equation=",".join(ins) + "->" + out)


export(flip, methods=("flip",), functional=("flip",))
export(repeat, methods=("repeat",))
export(tile, methods=("tile",), functional=("tile",))
export(gather, methods=("gather",), functional=("gather",))
export(tril, methods=("tril",), functional=("tril",))
export(triu, methods=("triu",), functional=("triu",))
export(pad, functional=("pad",))
export(einsum, functional=("einsum",))
