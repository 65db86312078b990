"""Forward and backward sweeps over a flat scalar tape, compiled by Numba.

The opcodes are those of :mod:`engine.prims.elementwise`; each case here is the
same primitive as its Python rule, and a test checks the two agree op by op.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

LEAF, ADD, SUB, MUL, DIV, NEG, POW, EXP, LOG, SIN, COS, TANH, SIGMOID, RELU, \
    SOFTPLUS, ABS, SQRT, MAXIMUM, MINIMUM = range(19)


@njit(cache=True, error_model="numpy")
def _sigmoid(x):
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@njit(cache=True, error_model="numpy")
def tape_forward(ops, a0, a1, vals):
    """Recompute every non-leaf value from its arguments, in tape order."""
    for i in range(ops.shape[0]):
        op = ops[i]
        if op == LEAF:
            continue
        x = vals[a0[i]]
        y = vals[a1[i]] if a1[i] >= 0 else 0.0
        if op == ADD:
            r = x + y
        elif op == SUB:
            r = x - y
        elif op == MUL:
            r = x * y
        elif op == DIV:
            r = x / y
        elif op == NEG:
            r = -x
        elif op == POW:
            r = x ** y
        elif op == EXP:
            r = math.exp(x)
        elif op == LOG:
            r = math.log(x) if x > 0.0 else (-math.inf if x == 0.0 else math.nan)
        elif op == SIN:
            r = math.sin(x)
        elif op == COS:
            r = math.cos(x)
        elif op == TANH:
            r = math.tanh(x)
        elif op == SIGMOID:
            r = _sigmoid(x)
        elif op == RELU:
            r = x if x > 0.0 else 0.0
        elif op == SOFTPLUS:
            r = math.log1p(math.exp(-abs(x))) + max(x, 0.0)
        elif op == ABS:
            r = abs(x)
        elif op == SQRT:
            r = math.sqrt(x) if x >= 0.0 else math.nan
        elif op == MAXIMUM:
            r = x if x >= y else y
        elif op == MINIMUM:
            r = x if x <= y else y
        else:
            r = math.nan
        vals[i] = r


@njit(cache=True, error_model="numpy")
def tape_backward(ops, a0, a1, vals, grads, req, root, seed):
    """Reverse sweep from ``root``: add each node's contribution to its arguments' grads."""
    grads[root] += seed
    for i in range(root, -1, -1):
        op = ops[i]
        if op == LEAF:
            continue
        g = grads[i]
        j = a0[i]
        k = a1[i]
        x = vals[j]
        y = vals[k] if k >= 0 else 0.0
        out = vals[i]
        gx = 0.0
        gy = 0.0
        if op == ADD:
            gx = g
            gy = g
        elif op == SUB:
            gx = g
            gy = -g
        elif op == MUL:
            gx = g * y
            gy = g * x
        elif op == DIV:
            gx = g / y
            gy = -(g * out) / y
        elif op == NEG:
            gx = -g
        elif op == POW:
            gx = g * y * x ** (y - 1.0)
            if req[k]:
                gy = g * out * (math.log(x) if x > 0.0 else (-math.inf if x == 0.0 else math.nan))
        elif op == EXP:
            gx = g * out
        elif op == LOG:
            gx = g / x
        elif op == SIN:
            gx = g * math.cos(x)
        elif op == COS:
            gx = -(g * math.sin(x))
        elif op == TANH:
            gx = g * (1.0 - out * out)
        elif op == SIGMOID:
            gx = g * out * (1.0 - out)
        elif op == RELU:
            gx = g * (1.0 if x > 0.0 else 0.0)
        elif op == SOFTPLUS:
            gx = g * _sigmoid(x)
        elif op == ABS:
            gx = g * (1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0))
        elif op == SQRT:
            gx = g / (2.0 * out)
        elif op == MAXIMUM:
            gx = g * (1.0 if x >= y else 0.0)
            gy = g * (1.0 if x < y else 0.0)
        elif op == MINIMUM:
            gx = g * (1.0 if x <= y else 0.0)
            gy = g * (1.0 if x > y else 0.0)
        if req[j]:
            grads[j] += gx
        if k >= 0 and req[k]:
            grads[k] += gy


def warm_up() -> None:
    """Compile (or load from the on-disk cache) both sweeps on a tiny tape."""
    ops = np.array([LEAF, LEAF, MUL], dtype=np.int8)
    a0 = np.array([-1, -1, 0], dtype=np.int32)
    a1 = np.array([-1, -1, 1], dtype=np.int32)
    vals = np.array([2.0, 3.0, 0.0])
    grads = np.zeros(3)
    req = np.ones(3, dtype=np.bool_)
    tape_forward(ops, a0, a1, vals)
    tape_backward(ops, a0, a1, vals, grads, req, 2, 1.0)
