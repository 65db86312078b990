"""The parser under random input: never an exception other than ExpressionError, the caret always inside the line.

The generators and the check are ``bench/fuzz_parser.py``'s (which runs tens of thousands);
here hypothesis draws a few thousand cases: grammar-made scripts, their mutations, random
text, and random syntax trees unparsed to source.  For Python syntax errors the caret must be
where CPython reports the error; for whitelist errors it must start on a token.
"""
import ast
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.fuzz_parser import NASTY, check, grammar_source, mutate, valid_source
from engine.expr import FUNCTIONS, ExpressionError, arity, parse

FAST = settings(max_examples=800, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])
TREES = settings(FAST, max_examples=400)
SEEDS = st.integers(0, 2**32 - 1).map(random.Random)
"""The generators draw from a seeded Random: cheap for hypothesis, and a failure names its seed."""


def _ok(source: str, value: float = 1.0) -> None:
    problem = check(source, value)
    assert problem is None or problem.startswith("arithmetic"), f"{problem} for {source!r}"


@FAST
@given(SEEDS)
def test_grammar_scripts(rng):
    _ok(grammar_source(rng))


@FAST
@given(SEEDS)
def test_mutated_scripts(rng):
    _ok(mutate(rng, grammar_source(rng)))


@FAST
@given(st.text(st.sampled_from(NASTY) | st.characters(), max_size=40))
def test_random_text(text):
    _ok(text)


_LEAVES = st.one_of(st.sampled_from(["x", "y", "z", "q1"]).map(lambda n: ast.Name(n, ast.Load())),
                    st.floats(0, 1e6, allow_nan=False).map(ast.Constant),
                    st.sampled_from([True, None, "s", 1j, b"b", ...]).map(ast.Constant))
_OPERATORS = [ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.MatMult, ast.FloorDiv, ast.Mod, ast.BitOr]


def _extend(children):
    return st.one_of(
        st.builds(lambda a, op, b: ast.BinOp(a, op(), b), children, st.sampled_from(_OPERATORS), children),
        st.builds(lambda op, a: ast.UnaryOp(op(), a), st.sampled_from([ast.USub, ast.UAdd, ast.Not, ast.Invert]),
                  children),
        st.builds(lambda f, args: ast.Call(ast.Name(f, ast.Load()), args, []),
                  st.sampled_from([*FUNCTIONS, "open"]), st.lists(children, max_size=3)),
        st.builds(lambda a, b: ast.Compare(a, [ast.Lt()], [b]), children, children),
        st.builds(lambda a: ast.Attribute(a, "real", ast.Load()), children),
        st.builds(lambda a, b: ast.Subscript(a, b, ast.Load()), children, children),
        st.builds(lambda a, b, c: ast.IfExp(a, b, c), children, children, children),
        st.builds(lambda a: ast.Lambda(ast.arguments([], [], None, [], [], None, []), a), children),
    )


_TREES = st.recursive(_LEAVES, _extend, max_leaves=12)


@TREES
@given(_TREES, st.sampled_from(["", "f = ", "q = x\nf = ", "q = 1; "]))
def test_random_syntax_trees(tree, prefix):
    _ok(prefix + ast.unparse(ast.fix_missing_locations(tree)))


_ALLOWED = st.recursive(
    st.one_of(st.sampled_from(["x", "y"]), st.floats(0.5, 2.0).map(lambda v: f"{v!r}")),
    lambda c: st.one_of(st.builds(lambda a, op, b: f"({a} {op} {b})", c, st.sampled_from("+-*"), c),
                        st.builds(lambda a: f"-{a}", c),
                        st.builds(lambda f, a: f"{f}({a})", st.sampled_from(["sin", "cos", "tanh", "sigmoid"]), c),
                        st.builds(lambda f, a, b: f"{f}({a}, {b})", st.sampled_from(["max", "min"]), c, c)),
    max_leaves=10)


def _reference(node: ast.AST, env: dict[str, float]) -> float:
    """Plain NumPy evaluation of an allowed tree: what the graph's value must be."""
    if isinstance(node, ast.Expression):
        return _reference(node.body, env)
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return env[node.id]
    if isinstance(node, ast.UnaryOp):
        return -_reference(node.operand, env)
    if isinstance(node, ast.BinOp):
        a, b = _reference(node.left, env), _reference(node.right, env)
        return {ast.Add: a + b, ast.Sub: a - b, ast.Mult: a * b}[type(node.op)]
    args = [_reference(a, env) for a in node.args]
    return {"sin": np.sin, "cos": np.cos, "tanh": np.tanh, "sigmoid": lambda v: 1 / (1 + np.exp(-v)),
            "max": max, "min": min}[node.func.id](*args)


@TREES
@given(_ALLOWED, st.floats(-2, 2), st.floats(-2, 2))
def test_allowed_expressions_build_the_value_python_computes(source, x, y):
    program = parse(source)
    assert set(program.inputs) <= {"x", "y"}
    env = {"x": x, "y": y}
    out = program.build({name: env[name] for name in program.inputs})
    assert out.data == pytest.approx(_reference(ast.parse(source, mode="eval"), env), rel=1e-12, abs=1e-12)


def test_every_function_is_called_with_its_arity():
    for name in FUNCTIONS:
        args = ", ".join(["x"] * arity(name))
        assert parse(f"{name}({args})").build({"x": 0.5}) is not None
        with pytest.raises(ExpressionError, match=f"{name} takes {arity(name)} argument"):
            parse(f"{name}({args}, x)")


@settings(max_examples=200, deadline=None, derandomize=True)
@given(SEEDS, st.sampled_from([0.0, -1.0, 1e308, -1e-308]))
def test_allowed_expressions_at_singular_values_give_inf_or_nan_never_an_exception(rng, value):
    program = parse(valid_source(rng))
    out = program.build({name: value for name in program.inputs})
    out.backward()
    for node in out.graph().nodes:  # inf and nan are fine; complex numbers are not
        assert np.isrealobj(node.data) and (node.grad is None or np.isrealobj(node.grad))
