"""LSTM and GRU cell steps on the GPU, in the CPU's packed layouts (:mod:`engine.kernels.rnn`).

* LSTM step output ``[h, c, i, f, g, o]`` (B, 6H) from pre-activations ``[i, f, g, o]``;
* GRU step output ``[h, r, z, n, hn]`` (B, 5H) with ``hn = W_hn h + b_hn``.

The pointwise kernels (one thread per unit and batch row) mirror the CPU ones line
by line; the cell functions add the matrix products around them exactly as the
``lstm_cell`` / ``gru_cell`` primitives do (:mod:`engine.prims.rnn`): joined LSTM
weights ``w = [W_ih | W_hh]`` (4H, F + H) with ``b = b_ih + b_hh``, separate GRU
weights.  ``state`` is the previous step's packed output (or any (B, ≥2H) / (B, ≥H)
array starting with ``[h, c]`` / ``[h]``); column views of it are read in place.
"""
from __future__ import annotations

import math

from numba import cuda

from . import device as D
from . import elementwise as E
from . import indexing as I
from . import matmul as M
from . import reduce as R


@cuda.jit(cache=True)
def _lstm_forward_kernel(pre, c_prev, out):
    zero, one = out.dtype.type(0), out.dtype.type(1)
    h = c_prev.shape[1]
    for t in range(cuda.grid(1), c_prev.size, cuda.gridsize(1)):
        r, k = divmod(t, h)
        i = E.sigmoid(pre[r, k], zero, one)
        f = E.sigmoid(pre[r, h + k], zero, one)
        g = math.tanh(pre[r, 2 * h + k])
        o = E.sigmoid(pre[r, 3 * h + k], zero, one)
        c = f * c_prev[r, k] + i * g
        out[r, k] = o * math.tanh(c)
        out[r, h + k] = c
        out[r, 2 * h + k] = i
        out[r, 3 * h + k] = f
        out[r, 4 * h + k] = g
        out[r, 5 * h + k] = o


@cuda.jit(cache=True)
def _lstm_backward_kernel(grad, packed, c_prev, dpre, dc_prev):
    one = dpre.dtype.type(1)
    h = c_prev.shape[1]
    for t in range(cuda.grid(1), c_prev.size, cuda.gridsize(1)):
        r, k = divmod(t, h)
        c = packed[r, h + k]
        i = packed[r, 2 * h + k]
        f = packed[r, 3 * h + k]
        g = packed[r, 4 * h + k]
        o = packed[r, 5 * h + k]
        gh = grad[r, k]
        tc = math.tanh(c)
        dc = grad[r, h + k] + gh * o * (one - tc * tc)
        di = dc * g + grad[r, 2 * h + k]
        df = dc * c_prev[r, k] + grad[r, 3 * h + k]
        dg = dc * i + grad[r, 4 * h + k]
        do = gh * tc + grad[r, 5 * h + k]
        dpre[r, k] = di * i * (one - i)
        dpre[r, h + k] = df * f * (one - f)
        dpre[r, 2 * h + k] = dg * (one - g * g)
        dpre[r, 3 * h + k] = do * o * (one - o)
        dc_prev[r, k] = dc * f


@cuda.jit(cache=True)
def _gru_forward_kernel(xi, hh, h_prev, out):
    zero, one = out.dtype.type(0), out.dtype.type(1)
    h = h_prev.shape[1]
    for t in range(cuda.grid(1), h_prev.size, cuda.gridsize(1)):
        r, k = divmod(t, h)
        rg = E.sigmoid(xi[r, k] + hh[r, k], zero, one)
        z = E.sigmoid(xi[r, h + k] + hh[r, h + k], zero, one)
        hn = hh[r, 2 * h + k]
        n = math.tanh(xi[r, 2 * h + k] + rg * hn)
        out[r, k] = (one - z) * n + z * h_prev[r, k]
        out[r, h + k] = rg
        out[r, 2 * h + k] = z
        out[r, 3 * h + k] = n
        out[r, 4 * h + k] = hn


@cuda.jit(cache=True)
def _gru_backward_kernel(grad, packed, h_prev, dxi, dhh, dh_direct):
    one = dxi.dtype.type(1)
    h = h_prev.shape[1]
    for t in range(cuda.grid(1), h_prev.size, cuda.gridsize(1)):
        r, k = divmod(t, h)
        rg = packed[r, h + k]
        z = packed[r, 2 * h + k]
        n = packed[r, 3 * h + k]
        hn = packed[r, 4 * h + k]
        gh = grad[r, k]
        dn = gh * (one - z) + grad[r, 3 * h + k]
        dz = gh * (h_prev[r, k] - n) + grad[r, 2 * h + k]
        dan = dn * (one - n * n)
        dr = dan * hn + grad[r, h + k]
        dar = dr * rg * (one - rg)
        daz = dz * z * (one - z)
        dxi[r, k] = dar
        dxi[r, h + k] = daz
        dxi[r, 2 * h + k] = dan
        dhh[r, k] = dar
        dhh[r, h + k] = daz
        dhh[r, 2 * h + k] = dan * rg + grad[r, 4 * h + k]
        dh_direct[r, k] = gh * z


# -- the pointwise steps, same signatures as the CPU kernels ----------------------------------------
def lstm_forward(pre, c_prev):
    """Gates from (B, 4H) pre-activations and the new state, packed (B, 6H)."""
    D.float_dtype(pre, c_prev)
    b, h = c_prev.shape
    out = D.empty((b, 6 * h), pre.dtype)
    if b * h:
        _lstm_forward_kernel[D.launch(b * h)](pre, c_prev, out)
    return out


def lstm_backward(grad, packed, c_prev):
    """Pre-activation gradients (B, 4H) and dL/dc_prev (B, H) from dL/d(packed)."""
    D.float_dtype(grad, packed, c_prev)
    b, h = c_prev.shape
    dpre, dc_prev = D.empty((b, 4 * h), packed.dtype), D.empty((b, h), packed.dtype)
    if b * h:
        _lstm_backward_kernel[D.launch(b * h)](grad, packed, c_prev, dpre, dc_prev)
    return dpre, dc_prev


def gru_forward(xi, hh, h_prev):
    """GRU step from input (B, 3H) and hidden (B, 3H) projections, packed (B, 5H)."""
    D.float_dtype(xi, hh, h_prev)
    b, h = h_prev.shape
    out = D.empty((b, 5 * h), xi.dtype)
    if b * h:
        _gru_forward_kernel[D.launch(b * h)](xi, hh, h_prev, out)
    return out


def gru_backward(grad, packed, h_prev):
    """Input-side (B, 3H) and hidden-side (B, 3H) pre-activation gradients, and the direct
    part z * dh of dL/dh_prev, from dL/d(packed)."""
    D.float_dtype(grad, packed, h_prev)
    b, h = h_prev.shape
    dxi, dhh = D.empty((b, 3 * h), packed.dtype), D.empty((b, 3 * h), packed.dtype)
    dh_direct = D.empty((b, h), packed.dtype)
    if b * h:
        _gru_backward_kernel[D.launch(b * h)](grad, packed, h_prev, dxi, dhh, dh_direct)
    return dxi, dhh, dh_direct


# -- whole cell steps: the primitives' forward and gradients ----------------------------------------
def _affine(x, w, b):
    """x @ wᵀ + b, the pre-activations of a gate block."""
    out = M.matmul(x, w, trans_b=True)
    return E.binary("add", out, b, out=out)


def lstm_cell(x, state, w, b):
    """One LSTM step, as the ``lstm_cell`` primitive: packed (B, 6H) ``[h, c, i, f, g, o]``."""
    h = w.shape[0] // 4
    pre = _affine(D.concat_columns(x, state[:, :h]), w, b)
    return lstm_forward(pre, state[:, h:2 * h])


def lstm_cell_grads(g, packed, x, state, w):
    """(dx, dstate, dw, db) of :func:`lstm_cell` from dL/d(packed)."""
    h, f = w.shape[0] // 4, x.shape[1]
    dpre, dc_prev = lstm_backward(D.contiguous(g), packed, state[:, h:2 * h])
    dxh = M.matmul(dpre, w)                                     # (B, F + H)
    dx = D.empty(x.shape, x.dtype)
    D.copy_columns(dxh, 0, dx, 0, f)
    dstate = D.zeros(state.shape, state.dtype)
    D.copy_columns(dxh, f, dstate, 0, h)
    D.copy_columns(dc_prev, 0, dstate, h, h)
    dw = M.matmul(dpre, D.concat_columns(x, state[:, :h]), trans_a=True)
    return dx, dstate, dw, R.reduce("sum", dpre, 0)


def gru_cell(x, state, w_ih, w_hh, b_ih, b_hh):
    """One GRU step, as the ``gru_cell`` primitive: packed (B, 5H) ``[h, r, z, n, hn]``."""
    h = w_hh.shape[1]
    h_prev = D.contiguous(state[:, :h])
    return gru_forward(_affine(x, w_ih, b_ih), _affine(h_prev, w_hh, b_hh), h_prev)


def gru_cell_grads(g, packed, x, state, w_ih, w_hh):
    """(dx, dstate, dw_ih, dw_hh, db_ih, db_hh) of :func:`gru_cell` from dL/d(packed)."""
    h = w_hh.shape[1]
    h_prev = D.contiguous(state[:, :h])
    dxi, dhh, dh_direct = gru_backward(D.contiguous(g), packed, h_prev)
    dh = M.matmul(dhh, w_hh)
    E.binary("add", dh, dh_direct, out=dh)
    dstate = D.zeros(state.shape, state.dtype)
    D.copy_columns(dh, 0, dstate, 0, h)
    return (M.matmul(dxi, w_ih), dstate, M.matmul(dxi, x, trans_a=True),
            M.matmul(dhh, h_prev, trans_a=True), R.reduce("sum", dxi, 0), R.reduce("sum", dhh, 0))


# -- whole sequences: the ``rnn_seq`` / ``lstm_seq`` / ``gru_seq`` primitives ------------------------
# The same step functions as above, looped over T on the device (the CPU primitive's packed
# (T, B, ·) output; the weight gradients add up over the steps).
def _add(a, b):
    return a if b is None else E.binary("add", a, b)


def _split_columns(w, f):
    """(w[:, :f], w[:, f:]) as contiguous device arrays."""
    left, right = D.empty((w.shape[0], f), w.dtype), D.empty((w.shape[0], w.shape[1] - f), w.dtype)
    D.copy_columns(w, 0, left, 0, f)
    D.copy_columns(w, f, right, 0, w.shape[1] - f)
    return left, right


def _previous(out, s0, t):
    return s0 if t == 0 else out[t - 1]


def lstm_seq(x, s0, w_ih, w_hh, b_ih, b_hh):
    """x (T, B, F) through one LSTM layer: packed (T, B, 6H)."""
    w, b = D.concat_columns(w_ih, w_hh), E.binary("add", b_ih, b_hh)
    states, state = [], s0
    for t in range(x.shape[0]):
        state = lstm_cell(x[t], state, w, b)
        states.append(state)
    return I.stack(states, 0)


def lstm_seq_grads(g, out, x, s0, w_ih, w_hh, b_ih, b_hh):
    """(dx, ds0, dw_ih, dw_hh, db_ih, db_hh, dL/d(state_t)) of :func:`lstm_seq` by BPTT."""
    w = D.concat_columns(w_ih, w_hh)
    dxs, carry, dw, db = [None] * x.shape[0], None, None, None
    states = [None] * x.shape[0]
    for t in range(x.shape[0] - 1, -1, -1):
        gt = states[t] = _add(D.contiguous(g[t]), carry)
        dxs[t], carry, dw_t, db_t = lstm_cell_grads(gt, out[t], x[t], _previous(out, s0, t), w)
        dw, db = _add(dw_t, dw), _add(db_t, db)
    return (I.stack(dxs, 0), carry, *_split_columns(dw, x.shape[2]), db, db, I.stack(states, 0))


def gru_seq(x, s0, w_ih, w_hh, b_ih, b_hh):
    """x (T, B, F) through one GRU layer: packed (T, B, 5H)."""
    states, state = [], s0
    for t in range(x.shape[0]):
        state = gru_cell(x[t], state, w_ih, w_hh, b_ih, b_hh)
        states.append(state)
    return I.stack(states, 0)


def gru_seq_grads(g, out, x, s0, w_ih, w_hh, b_ih, b_hh):
    """(dx, ds0, dw_ih, dw_hh, db_ih, db_hh, dL/d(state_t)) of :func:`gru_seq` by BPTT."""
    dxs, carry, sums = [None] * x.shape[0], None, [None] * 4
    states = [None] * x.shape[0]
    for t in range(x.shape[0] - 1, -1, -1):
        gt = states[t] = _add(D.contiguous(g[t]), carry)
        dxs[t], carry, *parts = gru_cell_grads(gt, out[t], x[t], _previous(out, s0, t), w_ih, w_hh)
        sums = [_add(p, s) for p, s in zip(parts, sums)]
    return (I.stack(dxs, 0), carry, *sums, I.stack(states, 0))


def rnn_seq(x, s0, w_ih, w_hh, b_ih, b_hh, nonlinearity="tanh"):
    """x (T, B, F) through one Elman layer: h (T, B, H)."""
    b = E.binary("add", b_ih, b_hh)
    h, states = D.contiguous(s0), []
    for t in range(x.shape[0]):
        pre = _affine(x[t], w_ih, b)
        E.binary("add", pre, M.matmul(h, w_hh, trans_b=True), out=pre)
        h = E.unary(nonlinearity, pre)
        states.append(h)
    return I.stack(states, 0)


def rnn_seq_grads(g, out, x, s0, w_ih, w_hh, b_ih, b_hh, nonlinearity="tanh"):
    """(dx, ds0, dw_ih, dw_hh, db_ih, db_hh, dL/d(state_t)) of :func:`rnn_seq` by BPTT (the activation's
    derivative from its output: 1 - h² for tanh, h > 0 for relu)."""
    dxs, carry, dw_ih, dw_hh, db = [None] * x.shape[0], None, None, None, None
    states = [None] * x.shape[0]
    for t in range(x.shape[0] - 1, -1, -1):
        h = D.contiguous(out[t])
        states[t] = _add(D.contiguous(g[t]), carry)
        dpre = E.unary_grad(nonlinearity, states[t], h, h)
        prev = D.contiguous(_previous(out, s0, t))
        dxs[t], carry = M.matmul(dpre, w_ih), M.matmul(dpre, w_hh)
        dw_ih = _add(M.matmul(dpre, D.contiguous(x[t]), trans_a=True), dw_ih)
        dw_hh = _add(M.matmul(dpre, prev, trans_a=True), dw_hh)
        db = _add(R.reduce("sum", dpre, 0), db)
    return I.stack(dxs, 0), carry, dw_ih, dw_hh, db, db, I.stack(states, 0)
