"""Elementwise CUDA kernels: every unary and binary primitive, its value and its VJP.

One kernel per kind (unary value, unary gradient, binary value, binary gradient),
switched on an opcode that is the same for every thread, so there is no
divergence and each dtype compiles four kernels rather than forty.  Binary ops
broadcast as NumPy does: the host collapses the shapes to as few dimensions as
possible and passes element strides (0 along broadcast axes), which also gives
``broadcast_to`` and ``transpose`` as one strided gather.  The formulas are the
registry's rules (:mod:`engine.prims.elementwise`, :mod:`engine.prims.activation`)
written per element; constants take the array's dtype so float32 stays float32.
"""
from __future__ import annotations

import math

import numpy as np
from numba import cuda

from . import device as D

(NEG, EXP, LOG, SIN, COS, TANH, SIGMOID, RELU, SOFTPLUS, ABS, SQRT,
 LEAKY_RELU, ELU, CLIP) = range(14)
UNARY = {"neg": NEG, "exp": EXP, "log": LOG, "sin": SIN, "cos": COS, "tanh": TANH,
         "sigmoid": SIGMOID, "relu": RELU, "softplus": SOFTPLUS, "abs": ABS, "sqrt": SQRT,
         "leaky_relu": LEAKY_RELU, "elu": ELU, "clip": CLIP}
"""Unary primitive name → opcode; leaky_relu takes p0 = slope, elu p0 = alpha, p1 = scale,
clip p0 = lower and p1 = upper bound (±inf for none)."""

ADD, SUB, MUL, DIV, POW, MAXIMUM, MINIMUM = range(7)
BINARY = {"add": ADD, "sub": SUB, "mul": MUL, "div": DIV, "pow": POW,
          "maximum": MAXIMUM, "minimum": MINIMUM}
"""Binary primitive name → opcode."""


# -- per-element formulas (device functions) --------------------------------------------------
@cuda.jit(device=True)
def sigmoid(v, zero, one):
    """1 / (1 + e^-v) without overflow: e^-|v| only."""
    if v >= zero:
        return one / (one + math.exp(-v))
    e = math.exp(v)
    return e / (one + e)


@cuda.jit(device=True)
def _unary_value(op, v, p0, p1, zero, one):
    if op == NEG:
        return -v
    if op == EXP:
        return math.exp(v)
    if op == LOG:
        return math.log(v)
    if op == SIN:
        return math.sin(v)
    if op == COS:
        return math.cos(v)
    if op == TANH:
        return math.tanh(v)
    if op == SIGMOID:
        return sigmoid(v, zero, one)
    if op == RELU:
        return zero if v <= zero else v  # NaN passes through, as np.maximum(x, 0)
    if op == SOFTPLUS:
        return math.log1p(math.exp(-abs(v))) + (v if v > zero else zero)
    if op == ABS:
        return abs(v)
    if op == SQRT:
        return math.sqrt(v)
    if op == LEAKY_RELU:
        return v if v > zero else p0 * v
    if op == CLIP:
        return p0 if v < p0 else (p1 if v > p1 else v)
    return p1 * v if v > zero else p1 * p0 * math.expm1(v)  # ELU / SELU


@cuda.jit(device=True)
def _sign(v, zero, one):
    if v > zero:
        return one
    if v < zero:
        return -one
    return zero  # 0 and NaN: 0, as torch's sign (and the CPU rule's partial of abs)


@cuda.jit(device=True)
def _unary_grad(op, g, v, out, p0, p1, zero, one):
    """g times the derivative at v (out is the forward value there)."""
    if op == NEG:
        return -g
    if op == EXP:
        return g * out
    if op == LOG:
        return g / v
    if op == SIN:
        return g * math.cos(v)
    if op == COS:
        return -(g * math.sin(v))
    if op == TANH:
        return g * (one - out * out)
    if op == SIGMOID:
        return g * out * (one - out)
    if op == RELU:
        return zero if v <= zero else g  # NaN passes its gradient, as torch (and the CPU rule)
    if op == SOFTPLUS:
        return g * sigmoid(v, zero, one)
    if op == ABS:
        return g * _sign(v, zero, one)
    if op == SQRT:
        return g / ((one + one) * out)
    if op == LEAKY_RELU:
        return g if v > zero else p0 * g
    if op == CLIP:
        return g * (one if (v >= p0 and v <= p1) else zero)
    return g * p1 if v > zero else g * (out + p1 * p0)  # ELU / SELU


@cuda.jit(device=True)
def _binary_value(op, a, b):
    if op == ADD:
        return a + b
    if op == SUB:
        return a - b
    if op == MUL:
        return a * b
    if op == DIV:
        return a / b
    if op == POW:
        return a ** b
    if op == MAXIMUM:
        return a if (a >= b or a != a) else b  # NaN wins, as np.maximum
    return a if (a <= b or a != a) else b      # MINIMUM


@cuda.jit(device=True)
def _binary_grad_a(op, g, a, b, out, zero, one):
    if op == ADD or op == SUB:
        return g
    if op == MUL:
        return g * b
    if op == DIV:
        return g / b
    if op == POW:  # torch masks x ** 0, as the CPU rule
        return zero if b == zero else g * b * a ** (b - one)
    if op == MAXIMUM:  # ties split evenly, NaN sends the gradient to both, as torch
        return zero if a < b else (g / (one + one) if a == b else g)
    return zero if a > b else (g / (one + one) if a == b else g)   # MINIMUM


@cuda.jit(device=True)
def _binary_grad_b(op, g, a, b, out, zero, one):
    if op == ADD:
        return g
    if op == SUB:
        return -g
    if op == MUL:
        return g * a
    if op == DIV:
        return -(g * out) / b
    if op == POW:
        return zero if (a == zero and b >= zero) else g * out * math.log(a)
    if op == MAXIMUM:
        return zero if a > b else (g / (one + one) if a == b else g)
    return zero if a < b else (g / (one + one) if a == b else g)   # MINIMUM


@cuda.jit(device=True)
def offset(t, shape, strides):
    """Element offset of flat output index ``t`` in an operand with ``strides`` (C order)."""
    at = 0
    for d in range(len(shape) - 1, -1, -1):
        k = t % shape[d]
        t //= shape[d]
        at += k * strides[d]
    return at


# -- kernels ----------------------------------------------------------------------------------
@cuda.jit(cache=True)
def _unary_kernel(op, x, out, p0, p1):
    zero, one = out.dtype.type(0), out.dtype.type(1)
    q0, q1 = out.dtype.type(p0), out.dtype.type(p1)
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        out[t] = _unary_value(op, x[t], q0, q1, zero, one)


@cuda.jit(cache=True)
def _unary_grad_kernel(op, g, x, out, res, p0, p1):
    zero, one = res.dtype.type(0), res.dtype.type(1)
    q0, q1 = res.dtype.type(p0), res.dtype.type(p1)
    for t in range(cuda.grid(1), res.size, cuda.gridsize(1)):
        res[t] = _unary_grad(op, g[t], x[t], out[t], q0, q1, zero, one)


@cuda.jit(cache=True)
def _binary_kernel(op, a, b, out, shape, astr, bstr):
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        out[t] = _binary_value(op, a[offset(t, shape, astr)], b[offset(t, shape, bstr)])


@cuda.jit(cache=True)
def _binary_grad_kernel(op, wrt, g, a, b, out, res, shape, astr, bstr):
    zero, one = res.dtype.type(0), res.dtype.type(1)
    for t in range(cuda.grid(1), res.size, cuda.gridsize(1)):
        va, vb = a[offset(t, shape, astr)], b[offset(t, shape, bstr)]
        if wrt == 0:
            res[t] = _binary_grad_a(op, g[t], va, vb, out[t], zero, one)
        else:
            res[t] = _binary_grad_b(op, g[t], va, vb, out[t], zero, one)


@cuda.jit(cache=True)
def _where_kernel(cond, a, b, out, shape, cstr, astr, bstr):
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        pick = cond[offset(t, shape, cstr)] != 0
        out[t] = a[offset(t, shape, astr)] if pick else b[offset(t, shape, bstr)]


@cuda.jit(cache=True)
def _gather_kernel(x, out, shape, strides):
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        out[t] = x[offset(t, shape, strides)]


# -- host side: layouts -----------------------------------------------------------------------
def contiguous_strides(shape) -> tuple[int, ...]:
    """Element strides of a C-contiguous array of ``shape``."""
    strides, step = [], 1
    for s in reversed(shape):
        strides.append(step)
        step *= int(s)
    return tuple(reversed(strides))


def broadcast_strides(shape, out_shape) -> tuple[int, ...]:
    """Element strides that read a C-contiguous ``shape`` as ``out_shape`` (0 along broadcast axes)."""
    pad = (1,) * (len(out_shape) - len(shape)) + tuple(shape)
    return tuple(0 if s == 1 else st for s, st in zip(pad, contiguous_strides(pad)))


def collapse(shape, *stride_sets) -> tuple[tuple[int, ...], ...]:
    """The fewest dimensions that index the same elements: size-1 axes dropped, and an axis
    merged into the next when every operand steps through both as one (at least 1-D)."""
    dims: list[list] = []  # innermost first: [size, [stride per operand]]
    for d in reversed(range(len(shape))):
        size, strides = int(shape[d]), [int(s[d]) for s in stride_sets]
        if size == 1:
            continue
        if dims and all(st == inner * dims[-1][0] for st, inner in zip(strides, dims[-1][1])):
            dims[-1][0] *= size
        else:
            dims.append([size, strides])
    if not dims:
        dims = [[1, [0] * len(stride_sets)]]
    dims.reverse()
    out_shape = tuple(d[0] for d in dims)
    return (out_shape,) + tuple(tuple(d[1][k] for d in dims) for k in range(len(stride_sets)))


def broadcast_shape(name: str, a_shape, b_shape) -> tuple[int, ...]:
    try:
        return tuple(np.broadcast_shapes(tuple(a_shape), tuple(b_shape)))
    except ValueError:
        raise ValueError(f"{name}: shapes {tuple(a_shape)} and {tuple(b_shape)} do not broadcast") from None


def _flat_operand(x):
    """A contiguous 1-D view for a kernel (0-d arrays become length 1)."""
    x = D.contiguous(x)
    return x.reshape(1) if x.ndim == 0 else D.flat(x)


def _operands(a, b):
    """Both operands as device arrays of one float dtype; a number takes the other's dtype."""
    if not D.is_device_array(a):
        a = D.constant(float(a), D.float_dtype(b))
    if not D.is_device_array(b):
        b = D.constant(float(b), D.float_dtype(a))
    D.float_dtype(a, b)
    return a, b


# -- host side: the wrappers the primitives call ----------------------------------------------
def unary(name: str, x, p0: float = 0.0, p1: float = 0.0, out=None):
    """``name``(x) elementwise; ``out`` (same shape, contiguous) may be ``x`` itself."""
    dtype = D.float_dtype(x)
    res = D.empty(x.shape, dtype) if out is None else out
    if x.size:
        xf = _flat_operand(x)
        _unary_kernel[D.launch(x.size)](UNARY[name], xf, _flat_operand(res), p0, p1)
    return res


def unary_grad(name: str, g, x, out, p0: float = 0.0, p1: float = 0.0):
    """g * d name(x)/dx, with ``out`` = name(x) from the forward pass (g broadcast to x)."""
    dtype = D.float_dtype(g, x, out)
    if tuple(g.shape) != tuple(x.shape):
        g = broadcast_to(g, x.shape)
    res = D.empty(x.shape, dtype)
    if x.size:
        _unary_grad_kernel[D.launch(x.size)](UNARY[name], _flat_operand(g), _flat_operand(x),
                                              _flat_operand(out), D.flat(res), p0, p1)
    return res


def binary(name: str, a, b, out=None):
    """``name``(a, b) elementwise with NumPy broadcasting; numbers allowed for either side.
    ``out`` (the broadcast shape, contiguous) may alias an input of that same shape."""
    a, b = _operands(a, b)
    shape = broadcast_shape(name, a.shape, b.shape)
    res = D.empty(shape, a.dtype) if out is None else out
    if tuple(res.shape) != shape:
        raise ValueError(f"{name}: out has shape {tuple(res.shape)}, the result {shape}")
    size = int(np.prod(shape))
    if size:
        dims, astr, bstr = collapse(shape, broadcast_strides(a.shape, shape),
                                    broadcast_strides(b.shape, shape))
        _binary_kernel[D.launch(size)](BINARY[name], _flat_operand(a), _flat_operand(b),
                                       _flat_operand(res), dims, astr, bstr)
    return res


def binary_grad(name: str, wrt: int, g, a, b, out):
    """The VJP of ``name`` for argument ``wrt`` (0 or 1) at the broadcast shape, as the
    registry's rules return it (the caller sums it down to that argument's shape)."""
    a, b = _operands(a, b)
    shape = broadcast_shape(name, a.shape, b.shape)
    D.float_dtype(g, out, a)
    if tuple(g.shape) != shape:
        g = broadcast_to(g, shape)
    res = D.empty(shape, a.dtype)
    size = int(np.prod(shape))
    if size:
        dims, astr, bstr = collapse(shape, broadcast_strides(a.shape, shape),
                                    broadcast_strides(b.shape, shape))
        _binary_grad_kernel[D.launch(size)](BINARY[name], wrt, _flat_operand(g), _flat_operand(a),
                                            _flat_operand(b), _flat_operand(out), _flat_operand(res),
                                            dims, astr, bstr)
    return res


def where(cond, a, b):
    """``np.where(cond, a, b)`` with broadcasting; ``cond`` a boolean array (host or device),
    ``a`` / ``b`` device arrays or numbers."""
    a, b = _operands(a, b)
    cond = cond if D.is_device_array(cond) else D.to_device(np.asarray(cond), np.uint8)
    shape = broadcast_shape("where", broadcast_shape("where", a.shape, b.shape), cond.shape)
    res = D.empty(shape, a.dtype)
    size = int(np.prod(shape))
    if size:
        dims, cstr, astr, bstr = collapse(shape, broadcast_strides(cond.shape, shape),
                                          broadcast_strides(a.shape, shape),
                                          broadcast_strides(b.shape, shape))
        _where_kernel[D.launch(size)](_flat_operand(cond), _flat_operand(a), _flat_operand(b),
                                      D.flat(res), dims, cstr, astr, bstr)
    return res


def _gather(x, shape, strides):
    res = D.empty(shape, x.dtype)
    size = int(np.prod(shape))
    if size:
        dims, st = collapse(shape, strides)
        _gather_kernel[D.launch(size)](_flat_operand(x), D.flat(res), dims, st)
    return res


def broadcast_to(x, shape):
    """A new contiguous array holding ``x`` broadcast to ``shape`` (NumPy's rules)."""
    shape = tuple(int(s) for s in shape)
    if broadcast_shape("broadcast_to", x.shape, shape) != shape:
        raise ValueError(f"broadcast_to: {tuple(x.shape)} cannot be broadcast to {shape}")
    return _gather(x, shape, broadcast_strides(x.shape, shape))


def transpose(x, axes):
    """``np.transpose(x, axes)`` as a new contiguous array."""
    axes = tuple(int(a) for a in axes)
    if sorted(axes) != list(range(x.ndim)):
        raise ValueError(f"transpose: axes {axes} are not a permutation of {x.ndim} axes")
    strides = contiguous_strides(x.shape)
    return _gather(x, tuple(x.shape[a] for a in axes), tuple(strides[a] for a in axes))


def reshape(x, shape):
    """``x`` with a new shape (a view of contiguous data; a 2-D view is copied first)."""
    shape = tuple(int(s) for s in shape)
    if -1 in shape:
        known = int(np.prod([s for s in shape if s != -1]))
        shape = tuple(x.size // max(known, 1) if s == -1 else s for s in shape)
    if int(np.prod(shape)) != x.size:
        raise ValueError(f"reshape: cannot reshape {tuple(x.shape)} ({x.size} elements) to {shape}")
    return D.contiguous(x).reshape(shape)
