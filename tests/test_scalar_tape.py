"""The Numba-compiled scalar tape agrees with the interpreted rules, op by op.

The list of ops is the registry's: every primitive with float kernels is on the
tape, so a newly declared one is tested here without an edit.
"""
import math
import random

import numpy as np
import pytest

from engine import Graph, Value, apply, autodiff
from engine.kernels import scalar_tape as K
from engine.registry import REGISTRY
from engine.scalar_nn import MLP
from engine.tape import Tape

COMPILED = [p.name for p in K.table().prims]
UNARY = [n for n in COMPILED if REGISTRY[n].arity == 1]
BINARY = [n for n in COMPILED if REGISTRY[n].arity == 2]


def test_every_scalar_primitive_has_a_generated_tape_op():
    scalar = {p.name for p in REGISTRY.values() if p.scalar is not None}
    assert scalar == set(COMPILED)
    assert {"neg", "exp", "log", "sin", "cos", "tanh", "sigmoid", "relu", "softplus", "abs", "sqrt",
            "add", "sub", "mul", "div", "pow", "maximum", "minimum", "atan", "asinh", "erf"} <= scalar
    table = K.table()
    assert sorted(table.codes.values()) == list(range(1, len(COMPILED) + 1))  # 0 is a leaf
    source = K.source(table)
    for prim, code in table.codes.items():
        assert f"op == {code}:" in source and f"f_{prim.name}(" in source


def _random_graph(seed: int, n_ops: int = 400):
    """A random DAG over every scalar primitive, with inputs kept in each op's domain."""
    rng = random.Random(seed)
    leaves = [Value(rng.uniform(0.5, 2.0), name=f"x{i}") for i in range(6)]
    pool = list(leaves)
    while len(pool) < n_ops + len(leaves):
        name = rng.choice(UNARY + BINARY)
        a = rng.choice(pool)
        if name in UNARY:
            node = apply(REGISTRY[name], a)
        elif name == "pow":
            node = a.abs() ** 0.5
        else:
            node = apply(REGISTRY[name], a, rng.choice(pool))
        if not math.isfinite(node.data):  # outside this op's domain (BCE of p > 1): drop it
            continue
        # squash back into (0.5, 2) so exp/log/pow/sqrt stay finite and in-domain
        pool.append(node.sigmoid() * 1.5 + 0.5)
    out = pool[-1] + sum(pool[-20:], Value(0.0, requires_grad=False))
    return leaves, out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_compiled_sweeps_equal_interpreted(seed):
    leaves, out = _random_graph(seed)
    expected = autodiff.grad(out, leaves)
    g = Graph(out, compiled=True)
    assert g.tape is not None
    g.backward()
    np.testing.assert_allclose([x.grad for x in leaves], expected, rtol=1e-12)
    # new leaf values: the compiled forward equals rebuilding from scratch
    for x in leaves:
        x.data = x.data * 1.1
    g.zero_grad()
    g.forward()
    g.backward()
    leaves2, rebuilt = _random_graph(seed)
    Graph(rebuilt, compiled=False).forward({x2: x.data for x2, x in zip(leaves2, leaves)})
    assert out.data == pytest.approx(rebuilt.data, rel=1e-12)
    rebuilt_grads = autodiff.grad(rebuilt, leaves2)
    np.testing.assert_allclose([x.grad for x in leaves], rebuilt_grads, rtol=1e-10)


SINGULAR = [(0.0, 0.0), (0.0, -1.0), (-1.0, 0.5), (0.0, 0.5), (1e300, 10.0), (1000.0, 1.0),
            (-1000.0, 2.0), (math.inf, 1.0), (-math.inf, 0.0), (math.nan, 1.0), (1.0, math.nan),
            (2.0, 2.0), (1.0, 0.0)]


@pytest.mark.parametrize("points", ["ordinary", "singular"])
def test_each_opcode_forward_and_backward_match_python(points):
    """Forward and both partials, compiled vs the Python float rule, op by op (IEEE at the
    singular points: inf and nan in the same places)."""
    cases = [(0.7, 1.3), (1.9, 0.6), (-0.8, 2.0)] if points == "ordinary" else SINGULAR
    for name in UNARY + BINARY:
        for x0, y0 in cases:
            if points == "ordinary" and name in ("log", "sqrt") and x0 < 0:
                continue
            x, y = Value(x0), Value(y0)
            prim = REGISTRY[name]
            out = prim.forward(x0, y0) if name in BINARY else prim.forward(x0)
            node = (x.__class__._result(out, prim, (x, y) if name in BINARY else (x,), {}, True))
            g = Graph(node, compiled=True)
            before = g.root.data
            g.forward()
            assert g.root.data == pytest.approx(before, rel=1e-14, nan_ok=True), (name, x0, y0)
            g.backward()
            ref = autodiff.grad(node, [x, y] if name in BINARY else [x])
            assert x.grad == pytest.approx(ref[0], rel=1e-12, nan_ok=True), (name, x0, y0)
            if name in BINARY:
                assert y.grad == pytest.approx(ref[1], rel=1e-12, nan_ok=True), (name, x0, y0)


def test_value_backward_switches_to_the_tape_above_the_threshold(monkeypatch):
    monkeypatch.setattr(autodiff, "COMPILE_THRESHOLD", 50)
    model = MLP(2, [4, 4, 1], activation="tanh")
    xs = [[0.5, -1.0], [1.5, 0.25]]
    loss = sum(((model(x) - 1.0) ** 2 for x in xs), Value(0.0, requires_grad=False))
    reference = autodiff.grad(loss, model.parameters())
    loss.backward()
    assert loss._tape is not None
    np.testing.assert_allclose([p.grad for p in model.parameters()], reference, rtol=1e-12)


def test_reusing_a_compiled_graph_trains_like_rebuilding():
    model = MLP(2, [8, 1], activation="relu", seed=1)
    twin = MLP(2, [8, 1], activation="relu", seed=1)
    x = [Value(0.3, name="a"), Value(-0.7, name="b")]
    loss = (model(x) - 1.0) ** 2
    g = Graph(loss, compiled=True)
    for _ in range(5):
        model.zero_grad()
        g.forward()
        g.backward()
        twin.zero_grad()
        twin_loss = (twin([0.3, -0.7]) - 1.0) ** 2
        twin_loss.backward()
        assert loss.data == pytest.approx(twin_loss.data, rel=1e-12)
        for p, q in zip(model.parameters(), twin.parameters()):
            assert p.grad == pytest.approx(q.grad, rel=1e-12)
            p.data -= 0.1 * p.grad
            q.data -= 0.1 * q.grad


def test_leaf_opcode_is_zero():
    x, y = Value(2.0), Value(3.0)
    tape = Tape(Graph(x * y).nodes)
    assert tape.ops.tolist() == [0, 0, K.table().codes[REGISTRY["mul"]]]
    assert 0 not in K.table().codes.values()
