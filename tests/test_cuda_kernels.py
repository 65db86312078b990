"""The CUDA kernels against the CPU engine: every rule's forward and VJPs, and training steps.

Runs wherever ``engine.cuda.is_available()``: on a real GPU in the ordinary test
run, and under Numba's CUDA simulator in a subprocess that ``tests/test_cuda.py``
starts with ``NUMBA_ENABLE_CUDASIM=1``.  The simulator is pure Python (one thread
per CUDA thread), so shapes stay small; sizes are odd and not multiples of the
matmul tile, and size-1 and zero-size axes are included.  The simulator runs
Python's ``math``, which raises where a GPU returns inf or NaN, so those edge
values are checked only on real hardware (the ``gpu_only`` tests).
"""
from __future__ import annotations

import json
import os
import sys

import numpy as np
import pytest

import engine.cuda

if not engine.cuda.is_available():
    pytest.skip(f"CUDA kernels cannot run here: {engine.cuda.unavailable_reason()}",
                allow_module_level=True)
if engine.cuda.is_simulator():
    # The simulator's threads meet at every syncthreads(); with Python's default 5 ms
    # switch interval a block of a tiled kernel waits ~10x longer than it computes.
    sys.setswitchinterval(5e-5)

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import engine.functional as F  # noqa: E402
from engine import REGISTRY, Tensor, nn, optim  # noqa: E402
from engine.autodiff import topological_order  # noqa: E402
from engine.cuda import conv as K  # noqa: E402
from engine.cuda import device as D  # noqa: E402
from engine.cuda import elementwise as E  # noqa: E402
from engine.cuda import matmul as M  # noqa: E402
from engine.cuda import reduce as R  # noqa: E402
from engine.cuda import rnn as N  # noqa: E402
from engine.cuda.rules import RULES  # noqa: E402
from engine.kernels import rnn as KR  # noqa: E402
from engine.prims.conv import avg_pool2d  # noqa: E402
from engine.prims.core import _sum_to_forward  # noqa: E402

gpu_only = pytest.mark.skipif(engine.cuda.is_simulator(), reason="needs a real GPU")
DTYPES = (np.float64, np.float32)
TOL = {np.dtype(np.float64): dict(rtol=1e-12, atol=1e-12),
       np.dtype(np.float32): dict(rtol=1e-5, atol=1e-5)}
SLOW = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
"""Few examples (each launches simulated kernels); no timing checks on shared, busy cores."""


def rand(seed: int, *shape, dtype=np.float64) -> np.ndarray:
    return np.asarray(np.random.default_rng(seed).normal(size=shape), dtype=dtype)


def close(device_array, expected, dtype) -> None:
    got = D.to_host(device_array)
    expected = np.asarray(expected)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    assert got.dtype == np.dtype(dtype), (got.dtype, dtype)
    np.testing.assert_allclose(got, expected, **TOL[np.dtype(dtype)])


def check_rule(name: str, args: list, dtype=np.float64, seed: int = 0, **params) -> None:
    """RULES[name] against REGISTRY[name]: the forward value, then each array argument's VJP
    (summed to that argument's shape, as the backward loop does) for a random upstream g."""
    prim, rule = REGISTRY[name], RULES[name]
    host = [np.asarray(a, dtype) if isinstance(a, (np.ndarray, np.generic)) else a for a in args]
    dev = [D.to_device(a) if isinstance(a, np.ndarray) else a for a in host]
    out = np.asarray(prim.forward(*host, **params))
    d_out = rule.forward(*dev, **params)
    close(d_out, out, dtype)
    g = rand(seed + 1, *out.shape, dtype=dtype)
    for i, a in enumerate(host):
        if isinstance(a, np.ndarray):
            want = _sum_to_forward(prim.vjps[i](g, out, *host, **params), a.shape)
            got = R.sum_to(rule.vjps[i](D.to_device(g), d_out, *dev, **params), a.shape)
            close(got, want, dtype)


@pytest.fixture(scope="module", autouse=True)
def record_launches():
    """Under the simulator with ``CHAINRULE_CUDA_LAUNCHES=<file>``, write every kernel launch's
    argument types there, so ``tests/test_cuda.py`` can compile exactly those to PTX."""
    path = os.environ.get("CHAINRULE_CUDA_LAUNCHES")
    if not path or not engine.cuda.is_simulator():
        yield
        return
    from numba.cuda.simulator import kernel as sim
    from numba.cuda.simulator.cudadrv.devicearray import FakeCUDAArray

    def describe(a):
        if isinstance(a, FakeCUDAArray):
            arr = a._ary
            return ["array", str(arr.dtype), arr.ndim, "C" if arr.flags.c_contiguous else "A"]
        if isinstance(a, (bool, np.bool_)):
            return ["boolean"]
        if isinstance(a, tuple):
            return ["tuple", len(a)]
        return ["int64"] if isinstance(a, (int, np.integer)) else ["float64"]

    seen, launch = set(), sim.FakeCUDAKernel.__call__

    def recording(self, *args):
        if not self._device:
            seen.add(json.dumps([self.fn.__module__, self.fn.__qualname__, [describe(a) for a in args]]))
        return launch(self, *args)

    sim.FakeCUDAKernel.__call__ = recording
    yield
    sim.FakeCUDAKernel.__call__ = launch
    with open(path, "w") as f:
        json.dump(sorted(seen), f)


# -- the table ---------------------------------------------------------------------------------------
@pytest.mark.skipif(not engine.cuda.is_simulator(), reason="a simulator detail")
def test_simulated_threads_of_a_block_share_one_shared_array():
    """Threads that all miss the lookup at once (a slow dict forces it) still get one array."""
    import threading
    import time

    from numba.cuda.simulator.kernelapi import FakeCUDAShared

    class SlowLookup(dict):
        def get(self, key, default=None):
            found = super().get(key, default)
            time.sleep(0.01)  # every thread has looked before any has stored
            return found

    shared = FakeCUDAShared(0)
    shared._allocations = SlowLookup()
    got, start = [], threading.Barrier(6)

    def thread():
        start.wait()
        got.append(shared.array((4, 5), np.float64))

    threads = [threading.Thread(target=thread) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(a) for a in got}) == 1


def test_every_rule_is_a_registered_primitive_with_its_arity():
    for name, rule in RULES.items():
        prim = REGISTRY[name]
        assert len(rule.vjps) == prim.arity, name
    hot = {"add", "sub", "mul", "div", "neg", "pow", "exp", "log", "sin", "cos", "tanh",
           "sigmoid", "relu", "softplus", "abs", "sqrt", "maximum", "minimum", "leaky_relu",
           "elu", "sum", "mean", "max", "matmul", "cross_entropy", "conv2d", "max_pool2d",
           "lstm_cell", "gru_cell"}
    assert hot <= set(RULES)


# -- elementwise -------------------------------------------------------------------------------------
UNARY = {  # name: (params, positive inputs only)
    "neg": ({}, False), "exp": ({}, False), "log": ({}, True), "sin": ({}, False),
    "cos": ({}, False), "tanh": ({}, False), "sigmoid": ({}, False), "relu": ({}, False),
    "softplus": ({}, False), "abs": ({}, False), "sqrt": ({}, True),
    "leaky_relu": ({"negative_slope": 0.1}, False),
    "elu": ({"alpha": 0.7, "scale": 1.5}, False),
    "clip": ({"lo": -0.5, "hi": None}, False),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_rules_match_the_cpu(name, dtype):
    params, positive = UNARY[name]
    for shape in [(37,), (2, 1, 3), (), (0, 4)]:
        x = rand(len(shape), *shape) * 3
        x = np.abs(x) + 0.1 if positive else x
        if shape == () and name in ("leaky_relu", "elu"):
            # The CPU forward returns shape (1,) for a 0-d input (its flat Numba kernel
            # reshapes through np.ascontiguousarray); the device keeps the 0-d shape.
            assert RULES[name].forward(D.to_device(x), **params).shape == ()
            continue
        check_rule(name, [x], dtype, **params)


def test_clip_with_both_bounds_and_selu_constants():
    x = rand(0, 5, 3) * 2
    check_rule("clip", [x], lo=-0.3, hi=0.8)
    check_rule("elu", [x], alpha=1.6732632423543772, scale=1.0507009873554805)


@SLOW
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       name=st.sampled_from(sorted(E.BINARY)), dtype=st.sampled_from(DTYPES),
       seed=st.integers(0, 99))
def test_binary_rules_broadcast_like_the_cpu(shapes, name, dtype, seed):
    a, b = (rand(seed + k, *s) for k, s in enumerate(shapes.input_shapes))
    if name == "pow":
        a = np.abs(a) + 0.5   # the simulator's math raises on a negative base
    if name in ("maximum", "minimum"):
        b = np.where(rand(seed + 7, *b.shape) > 0, b, 0.0)   # some ties with a's zeros
        a = np.where(rand(seed + 8, *a.shape) > 0, a, 0.0)
    check_rule(name, [a, b], dtype, seed)


@pytest.mark.parametrize("name", sorted(E.BINARY))
def test_binary_rules_take_numbers_on_either_side(name):
    x = np.abs(rand(0, 4, 3)) + 0.5
    check_rule(name, [x, 1.5])
    check_rule(name, [2.5, x])


def test_where_matches_the_cpu():
    cond = rand(3, 3, 1) > 0
    check_rule("where", [rand(0, 3, 4), rand(1, 4)], cond=cond)
    check_rule("where", [rand(0, 2, 3, 4), 0.5], dtype=np.float32, cond=np.ones((4,), bool))


def test_shape_rules_match_the_cpu():
    x = rand(0, 2, 3, 4)
    check_rule("reshape", [x], shape=(4, 6))
    check_rule("reshape", [x], shape=(6, -1))
    check_rule("transpose", [x], axes=(2, 0, 1))
    check_rule("transpose", [rand(1, 3, 1)], dtype=np.float32, axes=(1, 0))
    check_rule("broadcast_to", [rand(2, 3, 1)], shape=(2, 3, 5))
    check_rule("sum_to", [x], shape=(3, 1))
    check_rule("sum_to", [x], shape=(1, 1, 1))


@pytest.mark.parametrize("index", [
    (slice(None), slice(1, 3)), 1, (Ellipsis, -1), (slice(None, None, -2), None, 0),
    (np.array([0, 2, 0]),), (slice(None), np.array([[1, 1], [0, 2]])), (slice(0, 0),)])
def test_getitem_and_scatter_match_the_cpu(index):
    x = rand(0, 3, 4)
    check_rule("getitem", [x], index=index)
    picked = np.asarray(x[index])
    check_rule("scatter_add", [rand(1, *picked.shape)], shape=(3, 4), index=index)


def test_concat_and_stack_match_the_cpu():
    parts = [rand(0, 2, 3), rand(1, 2, 1), rand(2, 2, 0), rand(3, 2, 2)]
    check_rule("concat", parts, axis=1)
    check_rule("concat", [rand(0, 1, 3), rand(1, 2, 3)], dtype=np.float32, axis=0)
    check_rule("stack", [rand(0, 2, 3), rand(1, 2, 3), rand(2, 2, 3)], axis=1)


def test_mixed_dtypes_and_bad_shapes_are_clear_errors():
    a32, a64 = D.to_device(rand(0, 2, 3, dtype=np.float32)), D.to_device(rand(0, 2, 3))
    with pytest.raises(TypeError, match="float32 and float64"):
        E.binary("add", a32, a64)
    with pytest.raises(TypeError, match="int64"):
        E.unary("exp", D.to_device(np.arange(3)))
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(4,\)"):
        E.binary("mul", a64, D.to_device(rand(1, 4)))
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 5\)"):
        M.matmul(a64, D.to_device(rand(1, 4, 5)))
    with pytest.raises(ValueError, match="zero-size"):
        R.reduce("max", D.to_device(np.zeros((2, 0))), 1)


# -- reductions --------------------------------------------------------------------------------------
@st.composite
def shape_and_axes(draw):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    axes = draw(st.none() | st.lists(st.integers(0, max(len(shape) - 1, 0)), unique=True,
                                     max_size=len(shape)).map(lambda a: tuple(sorted(a))))
    return shape, axes


@SLOW
@given(case=shape_and_axes(), kind=st.sampled_from(["sum", "mean", "max", "min"]),
       keepdims=st.booleans(), dtype=st.sampled_from(DTYPES), seed=st.integers(0, 99))
def test_reductions_match_the_cpu(case, kind, keepdims, dtype, seed):
    shape, axes = case
    reduced = shape if axes is None else [shape[a] for a in axes]
    if kind in ("max", "min") and 0 in reduced:
        return  # no identity: both sides raise (test_mixed_dtypes_and_bad_shapes_are_clear_errors)
    x = np.round(rand(seed, *shape), 1)  # ties for max/min
    if kind == "mean" and 0 in reduced:
        with np.errstate(invalid="ignore", divide="ignore"), pytest.warns(RuntimeWarning):
            check_rule(kind, [x], dtype, axis=axes, keepdims=keepdims)
        return
    check_rule(kind, [x], dtype, seed, axis=axes, keepdims=keepdims)


@pytest.mark.parametrize("dtype", DTYPES)
def test_variance_rule_matches_the_cpu(dtype):
    x = rand(0, 4, 3, 2)
    for axis, keepdims, correction in [(None, False, 1), ((0,), True, 0), ((0, 2), False, 1)]:
        check_rule("var", [x], dtype, axis=axis, keepdims=keepdims, correction=correction)


def test_row_and_column_reductions_use_both_kernels():
    """Long rows (block tree) and wide columns (thread per column), larger than one block."""
    x = rand(0, 3, 70, 5)
    check_rule("sum", [x], axis=(1,), keepdims=False)             # columns: B = 5
    check_rule("max", [x], axis=(1, 2), keepdims=True)             # rows: B = 1
    check_rule("mean", [x], dtype=np.float32, axis=None, keepdims=False)


def test_softmax_rules_match_the_cpu():
    for axis in (0, 1):
        check_rule("softmax", [rand(0, 3, 5) * 4], axis=axis)
        check_rule("log_softmax", [rand(1, 3, 5) * 4], np.float32, axis=axis)


# -- matrix products ---------------------------------------------------------------------------------
@pytest.mark.parametrize("a_shape, b_shape", [
    ((5, 7), (7, 18)), ((17, 3), (3, 1)), ((1, 1), (1, 1)), ((0, 3), (3, 4)), ((3, 0), (0, 4)),
    ((4,), (4, 3)), ((3, 4), (4,)), ((2, 3, 4), (2, 4, 5)), ((2, 3, 4), (4, 5)),
    ((3, 4), (2, 4, 5)), ((1, 3, 4), (2, 4, 5))])
def test_matmul_rule_matches_the_cpu(a_shape, b_shape):
    check_rule("matmul", [rand(0, *a_shape), rand(1, *b_shape)])


def test_dot_product_gradients():
    """(k,) @ (k,): checked against g·b and g·a directly, because the CPU rule raises for
    this case (its VJP reshapes a 0-d gradient to (1,) and cannot sum it back to (k,))."""
    a, b, g = rand(0, 4), rand(1, 4), np.asarray(0.7)
    da, db, dg = D.to_device(a), D.to_device(b), D.to_device(g)
    out = RULES["matmul"].forward(da, db)
    close(out, a @ b, np.float64)
    close(RULES["matmul"].vjps[0](dg, out, da, db), g * b, np.float64)
    close(RULES["matmul"].vjps[1](dg, out, da, db), g * a, np.float64)


@pytest.mark.parametrize("dtype", DTYPES)
def test_matmul_transposes_without_copies(dtype):
    a, b = rand(0, 2, 5, 9, dtype=dtype), rand(1, 2, 6, 5, dtype=dtype)
    got = M.matmul(D.to_device(a), D.to_device(b), trans_a=True, trans_b=True)
    close(got, np.swapaxes(a, 1, 2) @ np.swapaxes(b, 1, 2), dtype)
    got = M.matmul(D.to_device(a[0]), D.to_device(a[1]), trans_a=True)
    close(got, a[0].T @ a[1], dtype)


def test_linear_rule_matches_the_cpu():
    w, b = rand(1, 4, 3), rand(2, 4)
    for x in (rand(0, 5, 3), rand(0, 2, 5, 3), rand(0, 3)):
        check_rule("linear", [x, w, b])
    check_rule("linear", [rand(0, 5, 3), w, b], np.float32)


# -- losses ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_rule_matches_the_cpu(reduction, dtype):
    logits = rand(0, 5, 3) * 5
    check_rule("cross_entropy", [logits], dtype, target=np.array([0, 2, 1, 2, 2]),
               reduction=reduction)
    check_rule("cross_entropy", [rand(1, 1, 1)], dtype, target=np.array([0]), reduction=reduction)


def test_cross_entropy_refuses_targets_out_of_range():
    from engine.cuda import loss as L
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        L.cross_entropy(D.to_device(rand(0, 2, 3)), np.array([0, 3]))


# -- convolution and pooling -------------------------------------------------------------------------
CONV_CASES = [  # x shape, w shape, stride, padding, dilation
    ((2, 3, 5, 6), (4, 3, 3, 2), (2, 1), (1, 0), (1, 2)),
    ((1, 1, 4, 4), (2, 1, 1, 1), (1, 1), (0, 0), (1, 1)),
    ((1, 2, 7, 5), (1, 2, 3, 3), (2, 2), (1, 1), (1, 1)),
]


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation", CONV_CASES)
def test_conv2d_rule_matches_the_cpu(x_shape, w_shape, stride, padding, dilation):
    geo = dict(kernel=w_shape[2:], stride=stride, padding=padding, dilation=dilation)
    args = [rand(0, *x_shape), rand(1, *w_shape), rand(2, w_shape[0])]
    check_rule("conv2d", args, **geo)
    check_rule("im2col", args[:1], **geo, pad_value=0.0)


def test_conv2d_in_float32_and_im2col_padding_value():
    check_rule("conv2d", [rand(0, 2, 2, 5, 5), rand(1, 3, 2, 3, 3), rand(2, 3)], np.float32,
               kernel=(3, 3), stride=(1, 1), padding=(1, 1), dilation=(1, 1))
    check_rule("im2col", [rand(0, 1, 2, 4, 3)], kernel=(2, 2), stride=(2, 1), padding=(1, 1),
               dilation=(1, 1), pad_value=-np.inf)
    cols = rand(3, 2, 2 * 2 * 2, 3 * 4)
    check_rule("col2im", [cols], shape=(2, 2, 4, 3), kernel=(2, 2), stride=(1, 1),
               padding=(0, 1), dilation=(1, 1))


@pytest.mark.parametrize("kernel, stride, padding", [((2, 2), (2, 2), (0, 0)),
                                                     ((3, 3), (2, 2), (1, 1)),
                                                     ((2, 3), (1, 2), (1, 0))])
def test_max_pool_rule_matches_the_cpu_with_ties(kernel, stride, padding):
    x = np.round(rand(0, 2, 2, 5, 7))  # integers: ties go to the first maximum, as PyTorch
    check_rule("max_pool2d", [x], kernel=kernel, stride=stride, padding=padding)
    check_rule("max_pool2d", [x], np.float32, kernel=kernel, stride=stride, padding=padding)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kernel, stride, padding", [((2, 2), (2, 2), (0, 0)),
                                                     ((3, 2), (1, 2), (1, 1))])
def test_avg_pool_kernels_match_the_cpu_composition(kernel, stride, padding, dtype):
    x = Tensor(rand(0, 2, 3, 5, 6), dtype=dtype, requires_grad=True)
    out = avg_pool2d(x, kernel, stride, padding)
    g = rand(1, *out.shape, dtype=dtype)
    out.backward(g)
    d_out = K.avg_pool2d(D.to_device(x.data), kernel, stride, padding)
    close(d_out, out.data, dtype)
    close(K.avg_pool2d_grad(D.to_device(g), x.shape, kernel, stride, padding), x.grad, dtype)


def test_conv_errors_name_the_shapes():
    x, w = D.to_device(rand(0, 1, 2, 4, 4)), D.to_device(rand(1, 3, 3, 2, 2))
    with pytest.raises(ValueError, match=r"\(1, 2, 4, 4\).*\(3, 3, 2, 2\)"):
        K.conv2d(x, w, D.to_device(rand(2, 3)))
    with pytest.raises(ValueError, match="smaller than the window"):
        K.max_pool2d(x, (5, 5), (1, 1))


# -- recurrent cells ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_rnn_pointwise_kernels_match_the_cpu_kernels(dtype):
    b, h = 3, 5
    state = rand(0, b, 6 * h, dtype=dtype)       # a previous packed step; c is a column view
    pre, grad = rand(1, b, 4 * h, dtype=dtype) * 2, rand(2, b, 6 * h, dtype=dtype)
    d_state = D.to_device(state)
    packed = KR.lstm_forward(pre, state[:, h:2 * h].copy())
    d_packed = N.lstm_forward(D.to_device(pre), d_state[:, h:2 * h])
    close(d_packed, packed, dtype)
    for got, want in zip(N.lstm_backward(D.to_device(grad), d_packed, d_state[:, h:2 * h]),
                         KR.lstm_backward(grad, packed, state[:, h:2 * h].copy())):
        close(got, want, dtype)
    xi, hh, grad = rand(3, b, 3 * h, dtype=dtype), rand(4, b, 3 * h, dtype=dtype), grad[:, :5 * h].copy()
    packed = KR.gru_forward(xi, hh, state[:, :h].copy())
    d_packed = N.gru_forward(D.to_device(xi), D.to_device(hh), d_state[:, :h])
    close(d_packed, packed, dtype)
    for got, want in zip(N.gru_backward(D.to_device(grad), d_packed, d_state[:, :h]),
                         KR.gru_backward(grad, packed, state[:, :h].copy())):
        close(got, want, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("width", [2, 6])  # a bare [h, c] state, or the previous packed step
def test_lstm_cell_rule_matches_the_cpu(width, dtype):
    b, f, h = 3, 2, 5
    check_rule("lstm_cell", [rand(0, b, f), rand(1, b, width * h), rand(2, 4 * h, f + h),
                             rand(3, 4 * h)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("width", [1, 5])
def test_gru_cell_rule_matches_the_cpu(width, dtype):
    b, f, h = 2, 3, 4
    check_rule("gru_cell", [rand(0, b, f), rand(1, b, width * h), rand(2, 3 * h, f),
                            rand(3, 3 * h, h), rand(4, 3 * h), rand(5, 3 * h)], dtype)


# -- whole training steps: the CPU graph replayed through the CUDA rules --------------------------------
def replay(loss):
    """Every node of ``loss``'s recorded graph recomputed on the device, then the backward
    loop of :func:`engine.autodiff.backprop` with the CUDA VJPs: (values, grads) by node id."""
    order = topological_order(loss)
    values: dict[int, object] = {}
    for node in order:
        args = [values[id(p)] for p in node.parents]
        values[id(node)] = (D.to_device(node.data) if node.prim is None
                            else RULES[node.prim.name].forward(*args, **node.params))
    grads = {id(loss): D.to_device(np.ones((), loss.dtype))}
    for node in reversed(order):
        g = grads.get(id(node))
        if g is None or node.prim is None:
            continue
        args = [values[id(p)] for p in node.parents]
        for i, parent in enumerate(node.parents):
            if parent.requires_grad:
                rule = RULES[node.prim.name].vjps[i]
                contrib = R.sum_to(rule(g, values[id(node)], *args, **node.params), parent.shape)
                previous = grads.get(id(parent))
                grads[id(parent)] = contrib if previous is None else E.binary("add", previous, contrib)
    return values, grads


def check_training_step(model, loss_fn, lr: float = 0.1) -> None:
    """Loss, every parameter's gradient and the SGD update: CUDA replay against the CPU."""
    params = list(model.parameters())
    loss = loss_fn()
    values, grads = replay(loss)
    dtype = loss.dtype
    close(values[id(loss)], loss.data, dtype)
    before = [D.to_device(p.data) for p in params]
    opt = optim.SGD(params, lr=lr)
    opt.zero_grad()
    loss.backward()
    opt.step()
    for p, old in zip(params, before):
        close(grads[id(p)], p.grad, dtype)
        close(E.binary("sub", old, E.binary("mul", grads[id(p)], lr)), p.data, dtype)


def test_mlp_training_step_matches_the_cpu():
    model = nn.MLP([3, 5, 2], activation="tanh", seed=0)
    x, y = Tensor(rand(0, 6, 3)), Tensor(rand(1, 6, 2))
    check_training_step(model, lambda: F.mse_loss(model(x), y))


def test_cnn_training_step_matches_the_cpu():
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1, seed=0), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(2 * 3 * 3, 3, seed=1))
    x, target = Tensor(rand(0, 2, 1, 6, 7)), np.array([2, 0])
    check_training_step(model, lambda: F.cross_entropy(model(x), target))


class LastStepClassifier(nn.Module):
    """A recurrent layer read out at its last step by a linear head."""

    def __init__(self, cell: str):
        super().__init__()
        self.rnn, self.head = getattr(nn, cell)(2, 3, seed=0), nn.Linear(3, 2, seed=1)

    def forward(self, x):
        return self.head(self.rnn(x)[0][-1])


@pytest.mark.parametrize("cell", ["LSTM", "GRU"])
def test_recurrent_training_step_matches_the_cpu(cell):
    model = LastStepClassifier(cell)
    x, target = Tensor(rand(0, 4, 2, 2), requires_grad=True), np.array([1, 0])
    check_training_step(model, lambda: F.cross_entropy(model(x), target))


# -- real hardware only --------------------------------------------------------------------------------
@gpu_only
def test_singularities_give_inf_and_nan_as_on_the_cpu():
    x = np.array([0.0, -1.0, 800.0, -800.0, np.inf, -np.inf, np.nan])
    with np.errstate(all="ignore"):
        for name in ("exp", "log", "sqrt", "sigmoid", "tanh", "softplus", "relu", "abs"):
            close(E.unary(name, D.to_device(x)), REGISTRY[name].forward(x), np.float64)
        close(E.binary("div", D.to_device(x), 0.0), x / 0.0, np.float64)


@gpu_only
@pytest.mark.parametrize("dtype", DTYPES)
def test_larger_products_and_reductions_on_the_gpu(dtype):
    a, b = rand(0, 300, 257, dtype=dtype), rand(1, 257, 171, dtype=dtype)
    tol = TOL[np.dtype(dtype)] if dtype == np.float64 else dict(rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(D.to_host(M.matmul(D.to_device(a), D.to_device(b))), a @ b, **tol)
    x = rand(2, 1000, 1000, dtype=dtype)
    np.testing.assert_allclose(D.to_host(R.reduce("sum", D.to_device(x), (1,))), x.sum(1), **tol)
    np.testing.assert_allclose(D.to_host(R.reduce("sum", D.to_device(x), (0,))), x.sum(0), **tol)


@pytest.mark.parametrize("cell,params", [("lstm_seq", {}), ("gru_seq", {}), ("rnn_seq", {"nonlinearity": "tanh"}),
                                         ("rnn_seq", {"nonlinearity": "relu"})])
def test_sequence_rules_match_the_cpu(cell, params):
    t, b, f, h = 3, 2, 3, 2
    g, width = {"lstm_seq": (4, 2), "gru_seq": (3, 1), "rnn_seq": (1, 1)}[cell]
    check_rule(cell, [rand(0, t, b, f), rand(1, b, width * h), rand(2, g * h, f), rand(3, g * h, h),
                      rand(4, g * h), rand(5, g * h)], **params)
