"""The engine core: seed examples, every primitive against finite differences and PyTorch,
forward mode against reverse mode, higher order, and the graph/trace API."""
import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import engine
from engine import Graph, Tensor, Value, gradcheck, no_grad
from engine.prims import dispatch as D

FAST = settings(max_examples=20, deadline=None)

# name -> (function of nodes or raw arrays, domain low, domain high)
UNARY = {
    "exp": (D.exp, -3, 3), "log": (D.log, 0.2, 5), "sin": (D.sin, -3, 3), "cos": (D.cos, -3, 3),
    "tanh": (D.tanh, -3, 3), "sigmoid": (D.sigmoid, -6, 6), "relu": (D.relu, -3, 3),
    "softplus": (D.softplus, -5, 5), "abs": (D.absolute, -3, 3), "sqrt": (D.sqrt, 0.2, 5),
    "neg": (lambda x: -x, -3, 3), "atan": (D.atan, -4, 4), "asinh": (D.asinh, -4, 4),
    "erf": (D.erf, -2.5, 2.5), "gelu": (D.gelu, -3, 3), "silu": (D.silu, -4, 4),
    "mish": (D.mish, -4, 4), "softsign": (D.softsign, -3, 3), "hardtanh": (D.hardtanh, -0.9, 0.9),
}
BINARY = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b, "pow": lambda a, b: a ** b, "maximum": D.maximum,
    "minimum": D.minimum,
}


def away_from_kinks(x):
    """Keep finite differences off the points where relu/abs/max are not differentiable."""
    return x if abs(x) > 1e-3 else 0.5


# -- the lecture's worked examples ------------------------------------------------------
def test_add_mul_circuit_from_the_slides():
    x, y, z = Value(-2.0, name="x"), Value(5.0, name="y"), Value(-4.0, name="z")
    f = (x + y) * z
    f.backward()
    assert f.data == -12.0
    assert (x.grad, y.grad, z.grad) == (-4.0, -4.0, 3.0)


def sigmoid_neuron(w0, x0, w1, x1, w2):
    return 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp())


def test_sigmoid_neuron_primitive_gates():
    names = ["w0", "x0", "w1", "x1", "w2"]
    vals = [2.0, -1.0, -3.0, -2.0, -3.0]
    leaves = [Value(v, name=n) for n, v in zip(names, vals)]
    f = sigmoid_neuron(*leaves)
    f.backward()
    s = 1 / (1 + math.exp(-1.0))
    local = s * (1 - s)  # the slides' sigma(x)(1 - sigma(x)) = 0.20
    assert f.data == pytest.approx(0.7311, abs=1e-4)
    expected = [vals[1] * local, vals[0] * local, vals[3] * local, vals[2] * local, local]
    assert [v.grad for v in leaves] == pytest.approx(expected)
    ops = [n.op for n in f.graph().nodes if n.prim is not None]
    assert ops == ["mul", "mul", "add", "add", "neg", "exp", "add", "div"]


# -- every primitive against finite differences --------------------------------------------
@pytest.mark.parametrize("name", sorted(UNARY))
@FAST
@given(data=st.data())
def test_unary_scalar_against_finite_differences(name, data):
    fn, lo, hi = UNARY[name]
    x = away_from_kinks(data.draw(st.floats(lo, hi)))
    assert gradcheck(fn, [x])


@pytest.mark.parametrize("name", sorted(BINARY))
@FAST
@given(a=st.floats(0.3, 3), b=st.floats(-2, 2))
def test_binary_scalar_against_finite_differences(name, a, b):
    if name in ("maximum", "minimum") and abs(a - b) < 1e-3:
        b += 0.5
    if name == "div" and abs(b) < 0.1:
        b = 0.7
    assert gradcheck(BINARY[name], [a, b])


shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


@pytest.mark.parametrize("name", sorted(BINARY))
@FAST
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       seed=st.integers(0, 2**16))
def test_binary_tensor_broadcasting_against_finite_differences(name, shapes, seed):
    rng = np.random.default_rng(seed)
    a = np.asarray(rng.uniform(0.5, 2.0, shapes.input_shapes[0]))
    b = np.asarray(rng.uniform(-1.5, 1.5, shapes.input_shapes[1]))
    if name == "div":
        b = np.where(np.abs(b) < 0.2, 0.7, b)
    if name in ("maximum", "minimum"):  # stay away from ties, where max has no derivative
        b = rng.choice([-1.0, 0.2, 2.5, 3.0], size=shapes.input_shapes[1]).astype(float)
    assert gradcheck(BINARY[name], [a, b])


@pytest.mark.parametrize("name", sorted(UNARY))
@FAST
@given(shape=shapes, seed=st.integers(0, 2**16))
def test_unary_tensor_against_finite_differences(name, shape, seed):
    fn, lo, hi = UNARY[name]
    x = np.asarray(np.random.default_rng(seed).uniform(lo, hi, shape))
    x = np.where(np.abs(x) < 1e-2, 0.5, x)
    assert gradcheck(fn, [x])


@FAST
@given(shape=shapes, seed=st.integers(0, 2**16), keepdims=st.booleans(), data=st.data())
def test_reductions_against_finite_differences(shape, seed, keepdims, data):
    x = np.asarray(np.random.default_rng(seed).normal(size=shape))
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    assert gradcheck(lambda t: (t * t).sum(axis=axis, keepdims=keepdims), [x])
    assert gradcheck(lambda t: t.mean(dim=axis, keepdims=keepdims).exp(), [x])


@FAST
@given(m=st.integers(1, 4), k=st.integers(1, 4), n=st.integers(1, 4), batch=st.integers(0, 3),
       seed=st.integers(0, 2**16))
def test_matmul_shapes_against_finite_differences(m, k, n, batch, seed):
    rng = np.random.default_rng(seed)
    lead = (batch,) if batch else ()
    a, b = rng.normal(size=lead + (m, k)), rng.normal(size=(k, n))
    assert gradcheck(lambda x, y: x @ y, [a, b])
    assert gradcheck(lambda x, y: x @ y, [rng.normal(size=k), rng.normal(size=lead + (k, n))])
    assert gradcheck(lambda x, y: x @ y, [rng.normal(size=lead + (m, k)), rng.normal(size=k)])


def test_reshape_transpose_and_T():
    x = np.arange(24.0).reshape(2, 3, 4) / 10
    assert gradcheck(lambda t: (t.reshape(4, -1).T ** 2).sum(), [x])
    assert gradcheck(lambda t: (t.transpose(0, 2) * np.arange(24.0).reshape(4, 3, 2)).sum(), [x])
    assert gradcheck(lambda t: (t.permute(1, 2, 0).sin()).sum(), [x])
    assert Tensor(x).transpose(0, 1).shape == (3, 2, 4)


def test_gradcheck_catches_a_wrong_rule():
    wrong = engine.register("test_wrong_square", "sq", lambda x: x * x,
                            (lambda g, out, x: g * x,), (lambda t, out, x: t * x,))
    try:
        with pytest.raises(AssertionError, match="disagrees"):
            gradcheck(lambda v: engine.node.apply(wrong, v), [1.5])
    finally:
        del engine.REGISTRY["test_wrong_square"]


# -- against PyTorch --------------------------------------------------------------------------
TORCH_UNARY = {"exp": "exp", "log": "log", "sin": "sin", "cos": "cos", "tanh": "tanh",
               "sigmoid": "sigmoid", "relu": "relu", "abs": "abs", "sqrt": "sqrt", "neg": "neg",
               "atan": "atan", "asinh": "asinh", "erf": "erf"}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_against_torch(torch, name):
    fn, lo, hi = UNARY[name]
    x = np.random.default_rng(1).uniform(lo, hi, (3, 4))
    ours = Tensor(x, requires_grad=True)
    (fn(ours) * np.arange(12.0).reshape(3, 4)).sum().backward()
    t = torch.tensor(x, requires_grad=True)
    tf = getattr(torch, TORCH_UNARY[name]) if name in TORCH_UNARY else getattr(torch.nn.functional, name)
    (tf(t) * torch.arange(12.0, dtype=torch.float64).reshape(3, 4)).sum().backward()
    np.testing.assert_allclose(ours.grad, t.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_broadcasting_against_torch(torch, name):
    rng = np.random.default_rng(2)
    a, b = rng.uniform(0.5, 2, (3, 1, 4)), rng.uniform(0.5, 2, (2, 1))
    A, B = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    BINARY[name](A, B).sum().backward()
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    tfn = {"maximum": torch.maximum, "minimum": torch.minimum}.get(name, BINARY[name])
    tfn(ta, tb).sum().backward()
    np.testing.assert_allclose(A.grad, ta.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(B.grad, tb.grad.numpy(), rtol=1e-10)


def test_mlp_expression_and_double_backward_against_torch(torch):
    rng = np.random.default_rng(3)
    x, w, v = rng.normal(size=(5, 3)), rng.normal(size=(3, 4)), rng.normal(size=(4,))
    X, W, V = (Tensor(a, requires_grad=True) for a in (x, w, v))
    loss = ((X @ W).tanh() @ V).sigmoid().mean()
    (gw,) = engine.grad(loss, [W], create_graph=True)
    (gw * gw).sum().backward()
    tx, tw, tv = (torch.tensor(a, requires_grad=True) for a in (x, w, v))
    tloss = torch.sigmoid(torch.tanh(tx @ tw) @ tv).mean()
    (tgw,) = torch.autograd.grad(tloss, [tw], create_graph=True)
    (tgw * tgw).sum().backward()
    assert loss.item() == pytest.approx(tloss.item())
    np.testing.assert_allclose(gw.data, tgw.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(V.grad, tv.grad.numpy(), rtol=1e-8)
    np.testing.assert_allclose(X.grad, tx.grad.numpy(), rtol=1e-8)


# -- forward mode, higher order -----------------------------------------------------------------
@FAST
@given(vals=st.lists(st.floats(0.3, 2.0), min_size=3, max_size=3))
def test_forward_mode_equals_reverse_mode(vals):
    def f(a, b, c):
        return (a * b).sin() + (a / c).exp() * b.sqrt() - D.maximum(a, c) ** 2
    leaves = [Value(v) for v in vals]
    f(*leaves).backward()
    for i in range(3):
        tangent = [1.0 if j == i else 0.0 for j in range(3)]
        _, t = engine.jvp(f, vals, tangent)
        assert t == pytest.approx(leaves[i].grad, rel=1e-12)


def test_tensor_jvp_equals_vjp_contraction():
    rng = np.random.default_rng(4)
    w, x, dw = rng.normal(size=(3, 3)), rng.normal(size=3), rng.normal(size=(3, 3))
    _, t = engine.jvp(lambda W, X: ((W @ X).tanh() ** 2).sum(), [w, x], [dw, np.zeros(3)])
    W = Tensor(w, requires_grad=True)
    ((W @ Tensor(x)).tanh() ** 2).sum().backward()
    assert float(t) == pytest.approx(float(np.sum(W.grad * dw)))


def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


@pytest.mark.parametrize("point", [(1.0, 1.0), (-1.2, 1.0), (0.3, -0.7)])
def test_hessian_of_rosenbrock_from_double_backward(point):
    x, y = point
    analytic = np.array([[1200 * x ** 2 - 400 * y + 2, -400 * x], [-400 * x, 200.0]])
    np.testing.assert_allclose(engine.hessian(rosenbrock, point), analytic, rtol=1e-12)


def test_create_graph_grad_is_a_recorded_value():
    x = Value(3.0, name="x")
    (x ** 3).backward(create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.data == 27.0
    g = x.grad
    x.grad = 0.0
    g.backward()
    assert x.grad == pytest.approx(18.0)  # d²/dx² x³ = 6x


def test_no_grad_records_nothing():
    x = Value(2.0)
    with no_grad():
        y = x * x + 1
    assert y.parents == () and not y.requires_grad
    assert engine.is_grad_enabled()


def test_leaf_gradients_accumulate_like_pytorch():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, [4.0, 8.0])


def test_shape_errors_name_both_shapes():
    with pytest.raises(ValueError, match=r"matmul: cannot combine shapes \(2, 3\) and \(4, 5\)"):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((4, 5)))
    with pytest.raises(RuntimeError, match="scalar outputs"):
        Tensor(np.ones(3), requires_grad=True).exp().backward()


def test_mixing_value_and_tensor_is_refused_clearly():
    with pytest.raises(TypeError, match="cannot mix"):
        Tensor(np.ones(2)) + Value(1.0)


# -- the graph as data and the trace --------------------------------------------------------------
def test_graph_topological_order_and_networkx():
    x, y, z = Value(-2.0, name="x"), Value(5.0, name="y"), Value(-4.0, name="z")
    f = (x + y) * z
    g = f.graph()
    assert [n.label for n in g.nodes] == ["x", "y", "+", "z", "×"]
    f.backward()
    nxg = g.to_networkx()
    assert nx.is_directed_acyclic_graph(nxg) and nxg.number_of_edges() == 4
    attrs = nxg.nodes[4]
    assert attrs["op"] == "mul" and attrs["value"] == -12.0 and attrs["grad"] == 1.0 and attrs["shape"] == ()
    assert nxg.nodes[0]["grad"] == -4.0 and nxg.nodes[0]["label"] == "x"


def test_backward_trace_shows_the_chain_rule_and_fan_out_sums():
    x, y = Value(3.0, name="x"), Value(-1.0, name="y")
    q = x * y
    f = q + x  # x fans out: two contributions add up
    steps = f.graph().backward_trace()
    assert [s.kind for s in steps] == ["backward"] * len(steps)
    for s in steps:
        for e in s.outgoing:
            assert e.contribution == pytest.approx(e.upstream * e.local)
    x_step = next(s for s in steps if s.index == f.graph().index[id(x)])
    assert len(x_step.incoming) == 2
    assert sum(e.contribution for e in x_step.incoming) == pytest.approx(x_step.grad) == pytest.approx(0.0)
    assert x.grad == pytest.approx(0.0) and y.grad == pytest.approx(3.0)


def test_tangent_trace_rides_forward():
    x, y, z = Value(-2.0, name="x"), Value(5.0, name="y"), Value(-4.0, name="z")
    steps = ((x + y) * z).graph().tangent_trace("x")
    assert [s.tangent for s in steps] == [1.0, 0.0, 1.0, 0.0, -4.0]


def test_tensor_graph_reruns_with_new_inputs():
    w = Tensor(np.ones((2, 2)), requires_grad=True, name="W")
    x = Tensor(np.array([1.0, 2.0]), name="x")
    out = (w @ x).sum()
    g = out.graph()
    assert g.forward({"x": np.array([3.0, 4.0])}) == pytest.approx(14.0)
    g.backward()
    np.testing.assert_allclose(w.grad, [[3.0, 4.0], [3.0, 4.0]])
