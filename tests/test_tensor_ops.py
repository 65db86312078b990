"""Tensor ops: gradients against central differences, values and gradients against PyTorch."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
import engine.functional as F
from engine import Tensor, gradcheck

FAST = settings(max_examples=8, deadline=None)
shapes = st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple)
seeds = st.integers(0, 2**16)


def rand(seed: int, *shape) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape)


def axis_for(shape, data) -> int | None:
    return data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))


# -- reductions ------------------------------------------------------------------------
@FAST
@given(shape=shapes, seed=seeds, keep=st.booleans(), data=st.data())
def test_max_min_gradients(shape, seed, keep, data):
    axis = axis_for(shape, data)
    x = rand(seed, *shape)
    assert gradcheck(lambda t: t.max(axis, keep) * 2.0, [x])
    assert gradcheck(lambda t: t.min(dim=axis, keepdims=keep), [x])


def test_max_values_and_dim_alias(torch):
    x = rand(1, 3, 4, 2)
    t = torch.tensor(x)
    np.testing.assert_allclose(Tensor(x).max(dim=1).data, t.amax(dim=1).numpy())
    np.testing.assert_allclose(Tensor(x).min(axis=(0, 2), keepdims=True).data,
                               t.amin(dim=(0, 2), keepdim=True).numpy())


def test_max_splits_gradient_among_ties():
    x = Tensor([1.0, 3.0, 3.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad, [0.0, 0.5, 0.5])


@FAST
@given(shape=shapes, seed=seeds, keep=st.booleans(), data=st.data())
def test_var_gradient_and_value(shape, seed, keep, data):
    axis = axis_for(shape, data)
    x = rand(seed, *shape)
    n = x.size if axis is None else shape[axis]
    if n > 1:
        np.testing.assert_allclose(Tensor(x).var(axis, keep).data, np.var(x, axis=axis, ddof=1, keepdims=keep))
        assert gradcheck(lambda t: t.var(axis, keep), [x])
    assert gradcheck(lambda t: t.var(dim=axis, keepdims=keep, correction=0), [x])


# -- matmul -------------------------------------------------------------------------------
@FAST
@given(seed=seeds, batch=st.lists(st.integers(1, 2), max_size=2).map(tuple),
       a_batch_ones=st.booleans(), m=st.integers(1, 3), k=st.integers(1, 3), n=st.integers(1, 3))
def test_batched_matmul_broadcasts(seed, batch, a_batch_ones, m, k, n):
    a_batch = tuple(1 for _ in batch) if a_batch_ones else batch
    a, b = rand(seed, *a_batch, m, k), rand(seed + 1, *batch, k, n)
    np.testing.assert_allclose((Tensor(a) @ Tensor(b)).data, a @ b)
    assert gradcheck(lambda x, y: x @ y, [a, b])


def test_matrix_derivative_identities():
    """Y = X W: dL/dX = dL/dY Wᵀ and dL/dW = Xᵀ dL/dY (the slide's identities)."""
    x, w, gy = rand(0, 4, 3), rand(1, 3, 2), rand(2, 4, 2)
    X, W = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
    (X @ W).backward(gy)
    np.testing.assert_allclose(X.grad, gy @ w.T)
    np.testing.assert_allclose(W.grad, x.T @ gy)


# -- indexing, joining, selection -------------------------------------------------------------------
@FAST
@given(seed=seeds, data=st.data())
def test_getitem_basic_slices(seed, data):
    x = rand(seed, 4, 3, 2)
    index = data.draw(st.sampled_from([
        (slice(1, 3),), (slice(None), 2), (-1, slice(None, None, -1)), (Ellipsis, 0),
        (slice(None, None, 2), slice(1, None), None), 1]))
    np.testing.assert_array_equal(Tensor(x)[index].data, x[index])
    assert gradcheck(lambda t: t[index] * 3.0, [x])


def test_getitem_integer_arrays_accumulate_repeats(torch):
    x = rand(3, 5, 3)
    rows, cols = np.array([0, 2, 2, 4]), np.array([1, 1, 1, 0])
    xt, tt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    w = rand(4, 4)
    (xt[rows, cols] * w).sum().backward()
    (tt[torch.tensor(rows), torch.tensor(cols)] * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(xt.grad, tt.grad.numpy())
    assert gradcheck(lambda t: t[[0, 0, 1]] ** 2, [x])
    assert gradcheck(lambda t: t[x > 0] * 2.0, [x])


@FAST
@given(seed=seeds, n=st.integers(1, 3), axis=st.integers(-2, 1))
def test_concat_and_stack(seed, n, axis):
    xs = [rand(seed + i, 2, i + 1) if axis in (1, -1) else rand(seed + i, i + 1, 2) for i in range(n)]
    np.testing.assert_array_equal(engine.concat([Tensor(a) for a in xs], dim=axis).data,
                                  np.concatenate(xs, axis=axis))
    assert gradcheck(lambda *ts: engine.concat(ts, axis) ** 2, xs)
    same = [rand(seed + i, 2, 3) for i in range(n)]
    np.testing.assert_array_equal(engine.stack([Tensor(a) for a in same], axis).data, np.stack(same, axis))
    assert gradcheck(lambda *ts: engine.stack(ts, axis=axis) ** 2, same)


@FAST
@given(seed=seeds, shape=shapes)
def test_where_broadcasts(seed, shape):
    x, y = rand(seed, *shape), rand(seed + 1, *shape[-1:])
    cond = rand(seed + 2, *shape) > 0
    np.testing.assert_array_equal(engine.where(cond, Tensor(x), Tensor(y)).data, np.where(cond, x, y))
    assert gradcheck(lambda a, b: engine.where(cond, a, b), [x, y])


def test_clip_gradient_passes_inside_the_range_only():
    x = Tensor([-2.0, -0.5, 0.5, 2.0], requires_grad=True)
    x.clip(-1.0, 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 1.0, 0.0])
    assert gradcheck(lambda t: t.clamp(min=-0.3) * t, [rand(0, 3, 2)])


def test_shape_helpers():
    x = rand(0, 2, 1, 3)
    t = Tensor(x)
    assert t.flatten().shape == (6,) and t.flatten(1).shape == (2, 3)
    assert t.squeeze().shape == (2, 3) and t.squeeze(1).shape == (2, 3) and t.squeeze(0).shape == (2, 1, 3)
    assert t.unsqueeze(0).shape == (1, 2, 1, 3) and t.unsqueeze(dim=-1).shape == (2, 1, 3, 1)
    assert gradcheck(lambda a: a.flatten(0, 1).unsqueeze(1).squeeze() ** 2, [x])


# -- activations ----------------------------------------------------------------------------
ACTS = {
    "leaky_relu": (lambda t: F.leaky_relu(t, 0.1), lambda T, x: T.nn.functional.leaky_relu(x, 0.1)),
    "elu": (lambda t: F.elu(t, 0.7), lambda T, x: T.nn.functional.elu(x, 0.7)),
    "selu": (F.selu, lambda T, x: T.nn.functional.selu(x)),
    "softmax": (lambda t: F.softmax(t, dim=0), lambda T, x: T.softmax(x, dim=0)),
    "log_softmax": (lambda t: F.log_softmax(t), lambda T, x: T.log_softmax(x, dim=-1)),
}


@pytest.mark.parametrize("name", sorted(ACTS))
@FAST
@given(seed=seeds, shape=shapes)
def test_activation_gradients(name, seed, shape):
    assert gradcheck(lambda t: ACTS[name][0](t) * np.arange(1.0, 1 + shape[-1]), [rand(seed, *shape)])


@pytest.mark.parametrize("name", sorted(ACTS))
def test_activations_and_double_backward_match_torch(name, torch):
    ours, theirs = ACTS[name]
    x, w = rand(5, 3, 4) * 2, rand(6, 3, 4)
    xt, tt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = ours(xt), theirs(torch, tt)
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    (g,) = engine.grad((y * w).sum(), [xt], create_graph=True)
    (tg,) = torch.autograd.grad((ty * torch.tensor(w)).sum(), [tt], create_graph=True)
    np.testing.assert_allclose(g.data, tg.detach().numpy(), atol=1e-12)
    (g * g).sum().backward()
    (tg * tg).sum().backward()
    ours_grad = np.zeros_like(x) if xt.grad is None else xt.grad  # piecewise-linear: none reached
    theirs_grad = np.zeros_like(x) if tt.grad is None else tt.grad.numpy()
    np.testing.assert_allclose(ours_grad, theirs_grad, atol=1e-10)


def test_softmax_is_stable_for_huge_logits():
    x = Tensor([[1000.0, 1001.0, -1000.0]])
    np.testing.assert_allclose(x.softmax(dim=1).data.sum(), 1.0)
    assert np.all(np.isfinite(x.log_softmax(1).data))


def test_activations_on_raw_arrays_and_values():
    x = np.array([-1.0, 2.0])
    np.testing.assert_allclose(F.leaky_relu(x, 0.5), [-0.5, 2.0])
    np.testing.assert_allclose(F.relu(x), [0.0, 2.0])
    assert F.elu(engine.Value(-1.0)).data == pytest.approx(np.expm1(-1.0))


def test_double_backward_through_getitem_and_matmul(torch):
    x, w = rand(0, 3, 4), rand(1, 4, 2)
    xt, wt = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    gx, = engine.grad(F.tanh(xt[[0, 2, 2]] @ wt).sum(), [xt], create_graph=True)
    tgx, = torch.autograd.grad(torch.tanh(tx[[0, 2, 2]] @ tw).sum(), [tx], create_graph=True)
    (gx ** 2).sum().backward()
    (tgx ** 2).sum().backward()
    np.testing.assert_allclose(wt.grad, tw.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(xt.grad, tx.grad.numpy(), atol=1e-12)


def test_forward_mode_agrees_with_reverse_mode():
    x, v = rand(0, 2, 3), rand(1, 2, 3)
    f = lambda t: (F.softmax(t, 1) * t[:, [0, 0, 1]]).max(1)  # noqa: E731
    _, tangent = engine.jvp(f, [x], [v])
    xt = Tensor(x, requires_grad=True)
    out = f(xt)
    for i in range(2):
        (g,) = engine.grad(out[i], [xt])
        assert np.sum(g * v) == pytest.approx(tangent[i])


JVP_CASES = {
    "concat": (lambda a, b: engine.concat([a, b], 1), [(2, 3), (2, 2)]),
    "stack": (lambda a, b: engine.stack([a, b], dim=2), [(2, 3), (2, 3)]),
    "where": (lambda a, b: engine.where(np.array([[True, False, True]]), a, b), [(2, 3), (2, 3)]),
    "clip": (lambda a: a.clip(-0.5, 0.5), [(3, 4)]),
    "getitem": (lambda a: a[[1, 1, 0], 1:], [(2, 3)]),
    "min_var": (lambda a: a.min(0) + a.var(1), [(3, 3)]),
    "linear": (F.linear, [(4, 3), (2, 3), (2,)]),
    "elu_selu_leaky": (lambda a: F.elu(a) + F.selu(a) + F.leaky_relu(a), [(3, 2)]),
    "log_softmax": (lambda a: F.log_softmax(a, 0), [(3, 2)]),
    "cross_entropy": (lambda a: F.cross_entropy(a, np.array([1, 0, 2])), [(3, 3)]),
    "conv2d": (lambda a, w, b: F.conv2d(a, w, b, stride=2, padding=1), [(1, 2, 4, 5), (3, 2, 2, 2), (3,)]),
    "pools": (lambda a: F.max_pool2d(a, 2, 1) + F.avg_pool2d(a, 2, 1), [(1, 2, 4, 4)]),
}


@pytest.mark.parametrize("name", sorted(JVP_CASES))
def test_forward_mode_is_the_transpose_of_reverse_mode(name):
    """<w, J t> (forward mode) = <Jᵀ w, t> (reverse mode) for random t and w."""
    f, shapes = JVP_CASES[name]
    xs = [rand(i, *s) for i, s in enumerate(shapes)]
    ts = [rand(10 + i, *s) for i, s in enumerate(shapes)]
    out, tangent = engine.jvp(f, xs, ts)
    w = rand(99, *np.shape(out))
    leaves = [Tensor(x, requires_grad=True) for x in xs]
    grads = engine.grad(f(*leaves), leaves, w)
    assert np.sum(w * tangent) == pytest.approx(sum(np.sum(g * t) for g, t in zip(grads, ts)))
