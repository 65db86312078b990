"""The engine at the edges, against PyTorch and finite differences: IEEE singularities on
scalars as on tensors (never an exception), PyTorch's boundary gradients, 0-d tensors,
1-D products and deep graphs."""
import math
import sys
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import engine
import engine.functional as F
from engine import Graph, Tensor, Value, autodiff, gradcheck

FAST = settings(max_examples=15, deadline=None)
nan, inf = math.nan, math.inf

# name -> (ours on Values or Tensors, torch's, the point)
SINGULAR = {
    "1/x at 0": (lambda x: 1 / x, lambda x: 1 / x, (0.0,)),
    "x/y at (0, 0)": (lambda x, y: x / y, lambda x, y: x / y, (0.0, 0.0)),
    "sqrt at 0": (lambda x: x.sqrt(), lambda x: x.sqrt(), (0.0,)),
    "sqrt at -1": (lambda x: x.sqrt(), lambda x: x.sqrt(), (-1.0,)),
    "log at 0": (lambda x: x.log(), lambda x: x.log(), (0.0,)),
    "log at -1": (lambda x: x.log(), lambda x: x.log(), (-1.0,)),
    "x**y at (0, 0)": (lambda x, y: x ** y, lambda x, y: x ** y, (0.0, 0.0)),
    "x**0 at 0": (lambda x: x ** 0.0, lambda x: x ** 0.0, (0.0,)),
    "0**y at y=2": (lambda x, y: x ** y, lambda x, y: x ** y, (0.0, 2.0)),
    "0**y at y=-1": (lambda x, y: x ** y, lambda x, y: x ** y, (0.0, -1.0)),
    "0**0.5": (lambda x, y: x ** y, lambda x, y: x ** y, (0.0, 0.5)),
    "x**0.5 at -1": (lambda x: x ** 0.5, lambda x: x ** 0.5, (-1.0,)),
    "(-2)**y at 3": (lambda x, y: x ** y, lambda x, y: x ** y, (-2.0, 3.0)),
    "y**10 huge": (lambda y: y ** 10, lambda y: y ** 10, (1e300,)),
    "2**y huge": (lambda y: 2.0 ** y, lambda y: 2.0 ** y, (5000.0,)),
    "exp overflow": (lambda x: x.exp(), lambda x: x.exp(), (1000.0,)),
    "x*x overflow": (lambda x: x * x, lambda x: x * x, (1e200,)),
    "cos at inf": (lambda x: x.cos(), lambda x: x.cos(), (inf,)),
    "tanh at -inf": (lambda x: x.tanh(), lambda x: x.tanh(), (-inf,)),
    "sigmoid at -1000": (lambda x: x.sigmoid(), lambda x: x.sigmoid(), (-1000.0,)),
    "softplus at 1000": (lambda x: F.softplus(x), lambda x: __import__("torch").nn.functional.softplus(x),
                         (1000.0,)),
    "atan at 1e200": (lambda x: x.atan(), lambda x: x.atan(), (1e200,)),
    "asinh at -1e300": (lambda x: x.asinh(), lambda x: x.asinh(), (-1e300,)),
    "erf at 30": (lambda x: x.erf(), lambda x: x.erf(), (30.0,)),
    "relu of nan": (lambda x: x.relu(), lambda x: x.relu(), (nan,)),
    "abs of nan": (lambda x: abs(x), lambda x: abs(x), (nan,)),
    "sigmoid of nan": (lambda x: x.sigmoid(), lambda x: x.sigmoid(), (nan,)),
    "max of nan": (F.maximum, lambda x, y: __import__("torch").maximum(x, y), (nan, 1.0)),
    "min of nan": (F.minimum, lambda x, y: __import__("torch").minimum(x, y), (1.0, nan)),
    "max tie": (F.maximum, lambda x, y: __import__("torch").maximum(x, y), (2.0, 2.0)),
    "min tie": (F.minimum, lambda x, y: __import__("torch").minimum(x, y), (-1.0, -1.0)),
}


def _torch_point(torch, fn, point):
    xs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in point]
    out = fn(*xs)
    out.backward()
    return out.item(), [0.0 if x.grad is None else x.grad.item() for x in xs]


@pytest.mark.parametrize("name", sorted(SINGULAR))
def test_scalars_follow_ieee_and_torch_at_singularities(name, torch):
    ours, theirs, point = SINGULAR[name]
    value, grads = _torch_point(torch, theirs, point)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no exception, and not even a warning, on floats
        xs = [Value(v) for v in point]
        out = ours(*xs)
        out.backward()
    np.testing.assert_allclose([out.data] + [x.grad for x in xs], [value] + grads, rtol=1e-12)
    assert isinstance(out.data, float) and all(isinstance(x.grad, float) for x in xs)
    # the same through the compiled tape, and on 0-d Tensors: scalars and tensors agree
    xs = [Value(v) for v in point]
    out = ours(*xs)
    Graph(out, compiled=True).backward()
    np.testing.assert_allclose([out.data] + [x.grad for x in xs], [value] + grads, rtol=1e-12)
    ts = [Tensor(v, requires_grad=True) for v in point]
    with np.errstate(all="ignore"):
        out = ours(*ts)
        out.backward()
    assert out.shape == () and all(t.grad.shape == () for t in ts)
    np.testing.assert_allclose([out.data] + [t.grad for t in ts], [value] + grads, rtol=1e-12)


def test_the_cli_gives_inf_not_a_traceback(capsys):
    from app.cli import main
    assert main(["grad", "sqrt(x) + 1/y", "--at", "x=0", "y=0"]) == 0
    out = capsys.readouterr().out
    assert "∂f/∂x = inf" in out and "∂f/∂y = -inf" in out


# -- PyTorch's boundary gradients ---------------------------------------------------------
@pytest.mark.parametrize("p", [0.0, 1.0, 1e-300, 0.3])
@pytest.mark.parametrize("t", [0.0, 1.0, 0.5])
def test_binary_cross_entropy_at_the_boundary_is_torch(torch, p, t):
    P, T = Tensor(p, requires_grad=True), Tensor(t, requires_grad=True)
    loss = F.binary_cross_entropy(P, T)
    loss.backward()
    tp, tt = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (p, t))
    tl = torch.nn.functional.binary_cross_entropy(tp, tt)
    tl.backward()
    np.testing.assert_allclose([loss.item(), P.grad, T.grad], [tl.item(), tp.grad.item(), tt.grad.item()],
                               rtol=1e-12)
    assert np.isfinite(P.grad)  # the gradient in p stays finite, as in torch
    v = F.binary_cross_entropy(Value(p), Value(t))
    assert v.data == pytest.approx(tl.item(), rel=1e-12)


@FAST
@given(shape=hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=4), seed=st.integers(0, 99))
def test_binary_cross_entropy_values_and_gradients_match_torch(shape, seed):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    p = np.asarray(rng.choice([0.0, 1.0, 0.2, 0.7], size=shape))
    t = np.asarray(rng.choice([0.0, 1.0, 0.4], size=shape))
    P, T = Tensor(p, requires_grad=True), Tensor(t, requires_grad=True)
    F.binary_cross_entropy(P, T, reduction="sum").backward()
    tp, tt = torch.tensor(p, requires_grad=True), torch.tensor(t, requires_grad=True)
    torch.nn.functional.binary_cross_entropy(tp, tt, reduction="sum").backward()
    np.testing.assert_allclose(P.grad, tp.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(T.grad, tt.grad.numpy(), rtol=1e-12)
    inside = np.asarray(np.clip(p, 0.1, 0.9))
    assert gradcheck(lambda a, b: F.binary_cross_entropy(a, b, reduction="none"), [inside, t])


@pytest.mark.parametrize("values,correction,dim", [
    ([1.0], 1, None), ([1.0, 2.0], 2, None), ([1.0, 2.0], 3, None), ([1.0, 1.0], 2, None),
    ([1.0, 2.0], 2, 0), ([1.0, 2.0], 3, 0), ([[1.0, 2.0], [3.0, 5.0]], 2, 1), (2.0, 1, None),
    ([], 1, None), ([1.0, 2.0, 4.0], 1, None)])
def test_variance_with_no_degrees_of_freedom_is_torch(torch, values, correction, dim):
    x = Tensor(values, requires_grad=True)
    v = x.var(dim, correction=correction)
    v.sum().backward()
    t = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    tv = t.var(dim=dim, correction=correction)
    tv.sum().backward()
    np.testing.assert_allclose(v.data, tv.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-12)


@FAST
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, min_side=0,
                                               max_side=3),
       seed=st.integers(0, 99))
def test_ties_split_and_nan_propagates_in_maximum_and_minimum(shapes, seed):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    a = rng.choice([0.0, 1.0, nan], size=shapes.input_shapes[0])
    b = rng.choice([0.0, 1.0, nan], size=shapes.input_shapes[1])
    for ours, theirs in ((F.maximum, torch.maximum), (F.minimum, torch.minimum)):
        A, B = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
        out = ours(A, B)
        out.sum().backward()
        ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        tout = theirs(ta, tb)
        tout.sum().backward()
        np.testing.assert_array_equal(out.data, tout.detach().numpy())
        np.testing.assert_array_equal(A.grad, ta.grad.numpy())
        np.testing.assert_array_equal(B.grad, tb.grad.numpy())


def test_nan_propagates_through_relu_and_reductions_as_torch(torch):
    x = np.array([1.0, nan, -2.0, 3.0])
    X, tx = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (X.relu().sum() + X.max() + X.min()).backward()
    (tx.relu().sum() + tx.amax() + tx.amin()).backward()
    np.testing.assert_array_equal(X.grad, tx.grad.numpy())
    v = Value(nan)
    assert math.isnan(v.relu().data) and math.isnan(v.max(1.0).data) and math.isnan(Value(1.0).min(v).data)


# -- 0-d tensors ------------------------------------------------------------------------------
any_shape = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)
ACTIVATIONS = {"elu": (lambda t: F.elu(t, 0.7), lambda T, x: T.nn.functional.elu(x, 0.7)),
               "leaky_relu": (lambda t: F.leaky_relu(t, 0.1), lambda T, x: T.nn.functional.leaky_relu(x, 0.1)),
               "selu": (F.selu, lambda T, x: T.nn.functional.selu(x)),
               "atan": (F.atan, lambda T, x: T.atan(x)), "asinh": (F.asinh, lambda T, x: T.asinh(x)),
               "erf": (F.erf, lambda T, x: T.erf(x))}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@FAST
@given(shape=any_shape, seed=st.integers(0, 99))
def test_activations_keep_every_shape_including_0d_and_empty(name, shape, seed):
    torch = pytest.importorskip("torch")
    ours, theirs = ACTIVATIONS[name]
    x = np.asarray(np.random.default_rng(seed).uniform(-2, 2, shape))
    x = np.where(np.abs(x) < 1e-2, 0.5, x)
    X = Tensor(x, requires_grad=True)
    y = ours(X)
    assert y.shape == x.shape
    y.sum().backward()
    assert X.grad.shape == x.shape
    tx = torch.tensor(x, requires_grad=True)
    ty = theirs(torch, tx)
    ty.sum().backward()
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(X.grad, tx.grad.numpy(), rtol=1e-12, atol=1e-15)
    assert gradcheck(ours, [x])


ZERO_D = {"sum(0)": lambda t: t.sum(0), "sum(-1)": lambda t: t.sum(-1), "mean(0)": lambda t: t.mean(0),
          "squeeze(0)": lambda t: t.squeeze(0), "squeeze(-1)": lambda t: t.squeeze(-1),
          "softmax(0)": lambda t: t.softmax(0), "log_softmax(-1)": lambda t: t.log_softmax(-1),
          "unsqueeze(0)": lambda t: t.unsqueeze(0)}


@pytest.mark.parametrize("name", sorted(ZERO_D))
def test_0d_reductions_squeeze_and_softmax_behave_as_torch(name, torch):
    fn = ZERO_D[name]
    x, tx = Tensor(1.5, requires_grad=True), torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    y, ty = fn(x), fn(tx)
    assert y.shape == tuple(ty.shape)
    (y * 3.0).sum().backward()
    (ty * 3.0).sum().backward()
    np.testing.assert_allclose(y.data, ty.detach().numpy())
    np.testing.assert_allclose(x.grad, tx.grad.numpy())
    assert gradcheck(lambda t: fn(t) * 3.0, [np.array(1.5)])
    assert F.softmax(np.array(2.0)).shape == () and F.log_softmax(np.array(2.0), dim=0) == 0.0


@FAST
@given(k=st.integers(0, 4), seed=st.integers(0, 99))
def test_vector_dot_product_including_empty_backward_as_torch(k, seed):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=k), rng.normal(size=k)
    A, B = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    out = A @ B
    assert out.shape == ()
    (out * 2.0).backward()
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    ((ta @ tb) * 2.0).backward()
    np.testing.assert_allclose(out.data, (ta @ tb).item())
    np.testing.assert_allclose(A.grad, ta.grad.numpy())
    np.testing.assert_allclose(B.grad, tb.grad.numpy())
    assert gradcheck(lambda x, y: x @ y, [a, b])
    (gb,) = engine.grad(A @ B, [B], create_graph=True)  # the gradient is differentiable too
    np.testing.assert_allclose(gb.data, a)


def test_a_0d_tensor_graph_past_the_tape_threshold_stays_a_tensor_graph(torch):
    x = Tensor(1.0001, requires_grad=True)
    w = Tensor(0.5)  # a leaf without a gradient: never a NaN
    y = x
    for _ in range(2500):  # each product records a constant leaf too: 5,001 nodes
        y = y * 1.0001
    (y * w * x).backward()
    assert len(Graph(y).nodes) > autodiff.COMPILE_THRESHOLD and Graph(y, compiled=True).tape is None
    assert isinstance(x.grad, np.ndarray) and x.grad.shape == () and w.grad is None
    tx = torch.tensor(1.0001, dtype=torch.float64, requires_grad=True)
    ty = tx
    for _ in range(2500):
        ty = ty * 1.0001
    (ty * 0.5 * tx).backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-10)


# -- deep and wide graphs -------------------------------------------------------------------------
@pytest.fixture
def shallow_stack():
    """A low recursion limit: anything recursive over the graph would fail at once."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(400)
    yield
    sys.setrecursionlimit(limit)


@pytest.mark.parametrize("compiled", [True, False])
def test_chains_and_flat_sums_of_10000_terms(shallow_stack, compiled):
    x = Value(0.5, name="x")
    chain = x
    for _ in range(10_000):
        chain = chain * 1.0001 + 0.0
    terms = [Value(float(i % 7), name=f"t{i}") for i in range(10_000)]
    flat = terms[0]
    for t in terms[1:]:
        flat = flat + t * 1.0
    for root in (chain, flat):
        g = Graph(root, compiled=compiled)
        assert (g.tape is not None) == compiled
        g.backward()
        steps = g.backward_trace() if not compiled else []
        assert not steps or steps[0].index == len(g) - 1
        assert len(g.forward_trace()) == len(g)
    assert x.grad == pytest.approx(1.0001 ** 10_000 * (1 if compiled else 2), rel=1e-9)
    assert terms[-1].grad == pytest.approx(1.0 if compiled else 2.0)


def test_nesting_1000_deep_builds_runs_backward_and_traces(shallow_stack):
    x = Value(0.7, name="x")
    y = x
    for _ in range(1000):
        y = (y * 0.9).sin()
    y.backward()
    g = y.graph()
    steps = g.backward_trace()
    assert len(steps) == len(g) - 1000  # the constants get no step
    tangents = g.tangent_trace("x")
    assert tangents[-1].tangent == pytest.approx(x.grad / 2, rel=1e-12)  # backward ran twice
    assert len(g.to_networkx()) == len(g)
