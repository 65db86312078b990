"""Numba kernels against NumPy references, and the fused primitives built on them."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Tensor, gradcheck
from engine.kernels import conv as KC
from engine.kernels import elementwise as KE
from engine.kernels import loss as KL
from engine.kernels import rnn as KR
from engine.prims.rnn import gru_cell, lstm_cell


def rand(seed: int, *shape) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_activation_kernels_match_numpy():
    x, g = rand(0, 1000), rand(1, 1000)
    np.testing.assert_allclose(KE.leaky_relu(x, 0.2), np.where(x > 0, x, 0.2 * x))
    np.testing.assert_allclose(KE.leaky_relu_grad(g, x, 0.2), g * np.where(x > 0, 1, 0.2))
    out = KE.elu(x, 0.7, 1.5)
    np.testing.assert_allclose(out, 1.5 * np.where(x > 0, x, 0.7 * np.expm1(x)))
    np.testing.assert_allclose(KE.elu_grad(g, x, out, 0.7, 1.5), g * 1.5 * np.where(x > 0, 1, 0.7 * np.exp(x)))


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 999), k=st.integers(1, 3), s=st.integers(1, 2), d=st.integers(1, 2),
       p=st.integers(0, 1))
def test_col2im_is_the_adjoint_of_im2col(seed, k, s, d, p):
    """<im2col(x), c> = <x, col2im(c)> for any x and c: the VJP pair is exact."""
    x = rand(seed, 2, 2, 6, 5)
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    oh, ow = (6 + 2 * p - d * (k - 1) - 1) // s + 1, (5 + 2 * p - d * (k - 1) - 1) // s + 1
    cols = KC.im2col(xp, k, k, s, s, d, d, oh, ow)
    c = rand(seed + 1, *cols.shape)
    back = KC.col2im(c, 2, 6 + 2 * p, 5 + 2 * p, k, k, s, s, d, d, oh, ow)
    assert np.sum(cols * c) == pytest.approx(np.sum(xp * back))
    window = xp[1, 1, (oh - 1) * s: (oh - 1) * s + d * (k - 1) + 1: d, (ow - 1) * s: (ow - 1) * s + d * (k - 1) + 1: d]
    np.testing.assert_array_equal(cols[1, k * k:, -1], window.ravel())


def test_max_pool_kernels_match_a_loop():
    x = rand(0, 2, 3, 5, 6)
    out = KC.max_pool2d(x, 2, 3, 2, 2, 1, 1, 3, 3)
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
    for y in range(3):
        for z in range(3):
            np.testing.assert_array_equal(out[:, :, y, z],
                                          padded[:, :, 2 * y:2 * y + 2, 2 * z:2 * z + 3].max(axis=(2, 3)))
    g = rand(1, *out.shape)
    dx = KC.max_pool2d_grad(g, x, 2, 3, 2, 2, 1, 1)
    assert dx.sum() == pytest.approx(g.sum())
    assert np.count_nonzero(dx) <= g.size


def test_cross_entropy_kernels_match_numpy():
    logits, target = rand(0, 6, 5) * 10, np.array([0, 4, 2, 2, 1, 3])
    logp = logits - np.log(np.exp(logits - logits.max(1, keepdims=True)).sum(1, keepdims=True)) \
        - logits.max(1, keepdims=True)
    np.testing.assert_allclose(KL.cross_entropy_rows(logits, target), -logp[np.arange(6), target])
    scale = rand(1, 6)
    expected = (np.exp(logp) - np.eye(5)[target]) * scale[:, None]
    np.testing.assert_allclose(KL.cross_entropy_grad(logits, target, scale), expected, atol=1e-14)


def test_lstm_kernels_match_numpy():
    pre, c_prev = rand(0, 3, 8), rand(1, 3, 2)
    packed = KR.lstm_forward(pre, c_prev)
    i, f, g, o = sigmoid(pre[:, :2]), sigmoid(pre[:, 2:4]), np.tanh(pre[:, 4:6]), sigmoid(pre[:, 6:])
    c = f * c_prev + i * g
    np.testing.assert_allclose(packed, np.concatenate([o * np.tanh(c), c, i, f, g, o], 1), atol=1e-15)


def test_gru_kernels_match_numpy():
    xi, hh, h = rand(0, 3, 6), rand(1, 3, 6), rand(2, 3, 2)
    packed = KR.gru_forward(xi, hh, h)
    r, z = sigmoid(xi[:, :2] + hh[:, :2]), sigmoid(xi[:, 2:4] + hh[:, 2:4])
    n = np.tanh(xi[:, 4:] + r * hh[:, 4:])
    np.testing.assert_allclose(packed, np.concatenate([(1 - z) * n + z * h, r, z, n, hh[:, 4:]], 1), atol=1e-15)


def cell_args(cell, B=2, F_=3, H=2) -> list:
    """Random arguments of a fused cell: x, packed state, weights and biases."""
    if cell is lstm_cell:  # joined weights [W_ih | W_hh] and one bias
        return [rand(0, B, F_), rand(1, B, 6 * H), rand(2, 4 * H, F_ + H), rand(4, 4 * H)]
    return [rand(0, B, F_), rand(1, B, 5 * H), rand(2, 3 * H, F_), rand(3, 3 * H, H),
            rand(4, 3 * H), rand(5, 3 * H)]


@pytest.mark.parametrize("cell", [lstm_cell, gru_cell])
def test_fused_cell_gradients_for_every_argument_and_output_column(cell):
    """Finite differences through the packed output, gate columns included."""
    args = cell_args(cell)
    weights = np.arange(1.0, 1 + args[1].shape[1])
    assert gradcheck(lambda *a: cell(*a) * weights, args)


@pytest.mark.parametrize("cell", [lstm_cell, gru_cell])
def test_fused_cells_on_raw_arrays_equal_recorded_forward(cell):
    args = cell_args(cell)
    np.testing.assert_array_equal(cell(*args), cell(*[Tensor(a) for a in args]).data)


def test_fused_cells_refuse_forward_mode_with_a_way_out():
    import engine
    args = cell_args(lstm_cell)
    with pytest.raises(NotImplementedError, match="fused=False"):
        engine.jvp(lstm_cell, args, [np.ones_like(a) for a in args])
