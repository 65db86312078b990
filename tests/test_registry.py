"""The registry is the one source: a primitive declared once is a method, an operator, a
function of ``engine.functional``, a name of the expression language and an op of the
compiled tape, with no other edit; atan, asinh and erf are the worked example."""
import math

import numpy as np
import pytest

import engine
import engine.functional as F
from engine import Graph, Tensor, Value, autodiff, registry
from engine.expr import FUNCTIONS, arity, parse
from engine.kernels import scalar_tape
from engine.prims import dispatch as D
from engine.prims.elementwise import elementwise


def _declare_cube():
    """A throwaway primitive x³, declared exactly as any elementwise op is."""
    return elementwise("cube_test", "³", scalar=lambda x: x * x * x, array=lambda x: x * x * x,
                       partials=(lambda x, out: 3.0 * x * x,), local_text=("3x²",))


def test_a_declared_primitive_appears_everywhere_and_unregistering_removes_it(monkeypatch):
    cube = _declare_cube()
    try:
        _appears_everywhere(cube, monkeypatch)
    finally:
        engine.unregister("cube_test")
    assert not hasattr(Value, "cube_test") and not hasattr(Tensor, "cube_test")
    assert not hasattr(F, "cube_test") and "cube_test" not in F.__all__ and not hasattr(D, "cube_test")
    assert "cube_test" not in FUNCTIONS and "cube_test" not in engine.REGISTRY
    assert cube not in scalar_tape.table().codes
    with pytest.raises(engine.expr.ExpressionError, match="unknown function 'cube_test'"):
        parse("cube_test(x)")


def _appears_everywhere(cube, monkeypatch):
    assert Value(2.0).cube_test().data == 8.0                       # method on Value
    t = Tensor([1.0, 2.0], requires_grad=True)
    t.cube_test().sum().backward()                                  # method on Tensor
    np.testing.assert_allclose(t.grad, [3.0, 12.0])
    assert F.cube_test(3.0) == 27.0 and "cube_test" in F.__all__    # engine.functional
    assert D.cube_test(np.array([2.0]))[0] == 8.0                   # the rules' dispatch helpers
    assert "cube_test" in FUNCTIONS and arity("cube_test") == 1
    out = parse("f = cube_test(x) + x").build({"x": 2.0})           # the expression language
    out.backward()
    assert out.data == 10.0 and out.graph().find("x").grad == 13.0
    assert cube in scalar_tape.table().codes                        # an op of the compiled tape
    assert "f_cube_test(" in scalar_tape.source(scalar_tape.table())
    monkeypatch.setattr(autodiff, "COMPILE_THRESHOLD", 50)
    x = Value(1.01, name="x")
    y = x
    for _ in range(40):
        y = y.cube_test() * 0.999
    y.backward()
    assert y._tape is not None
    assert x.grad == pytest.approx(autodiff.grad(y, [x])[0], rel=1e-12)


def _helper(x):
    return x * 2.0


def test_a_float_kernel_the_tape_cannot_compile_is_refused_at_declaration():
    scale = 2.0
    with pytest.raises(TypeError, match="double_test: a float kernel may not capture variables"):
        elementwise("double_test", "2x", scalar=lambda x: scale * x, array=lambda x: 2.0 * x,
                    partials=(2.0,), local_text=("2",))
    with pytest.raises(TypeError, match="double_test: a float kernel may use math.*'_helper' is a function"):
        elementwise("double_test", "2x", scalar=lambda x: _helper(x), array=lambda x: 2.0 * x,
                    partials=(2.0,), local_text=("2",))
    assert "double_test" not in engine.REGISTRY
    prim = elementwise("double_test", "2x", scalar=lambda x: _helper(x), array=lambda x: 2.0 * x,
                       partials=(2.0,), local_text=("2",), compiled=False)  # interpreted only
    try:
        assert prim not in scalar_tape.table().codes and Value(1.5).double_test().data == 3.0
    finally:
        engine.unregister("double_test")


def test_every_export_is_installed_where_it_says():
    for e in registry.exports():
        for cls, kind in ((Value, registry.VALUE), (Tensor, registry.TENSOR)):
            if kind not in e.kinds:
                continue
            for name in e.methods:
                installed = cls.__dict__[name]
                assert (installed.fget if e.is_property else installed) is e.function, (cls, name)
            if e.operator is not None:
                method, reflected = registry.OPERATORS[e.operator]
                assert cls.__dict__[method] is e.function
                assert reflected is None or cls.__dict__[reflected] is e.reflected
        for name in e.functional:
            assert getattr(F, name) is e.function and getattr(D, name) is e.function, name
    assert set(FUNCTIONS) == {e.expression for e in registry.exports() if e.expression}
    assert {"exp", "log", "sin", "cos", "tanh", "sigmoid", "relu", "softplus", "abs", "sqrt",
            "max", "min", "sum", "mean", "atan", "asinh", "erf"} <= set(FUNCTIONS)
    assert arity("max") == 2 and arity("sum") == 1


def test_value_and_tensor_list_no_op_by_hand():
    """The classes define only what is particular to them; every op comes from exports."""
    exported = {name for e in registry.exports() for name in e.methods}
    exported |= {m for e in registry.exports() if e.operator for m in registry.OPERATORS[e.operator] if m}
    import sys
    for module in (sys.modules["engine.value"], sys.modules["engine.tensor"]):
        source = open(module.__file__, encoding="utf-8").read()
        for name in exported - {"shape"}:
            assert f"def {name}(" not in source, (module.__name__, name)


# -- the worked example: atan, asinh, erf, one declaration each -------------------------------
NEW = {"atan": (math.atan, lambda x: 1 / (1 + x * x), "1/(1 + x²)"),
       "asinh": (math.asinh, lambda x: 1 / math.sqrt(x * x + 1), "1/√(x² + 1)"),
       "erf": (math.erf, lambda x: 2 / math.sqrt(math.pi) * math.exp(-x * x), "(2/√π) e^(−x²)")}


@pytest.mark.parametrize("name", sorted(NEW))
def test_new_primitive_everywhere(name, monkeypatch):
    f, df, text = NEW[name]
    v = Value(0.5)
    out = getattr(v, name)()
    out.backward()
    assert out.data == f(0.5) and v.grad == pytest.approx(df(0.5), rel=1e-15)
    t = Tensor([0.5, -1.5], requires_grad=True)
    getattr(t, name)().sum().backward()
    np.testing.assert_allclose(t.grad, [df(0.5), df(-1.5)], rtol=1e-15)
    np.testing.assert_allclose(getattr(F, name)(np.array([0.5, 2.0])), [f(0.5), f(2.0)], rtol=1e-15)
    assert getattr(F, name)(0.5) == f(0.5)
    expr = parse(f"{name}(x)").build({"x": 0.5})
    expr.backward()
    assert expr.data == f(0.5) and expr.graph().find("x").grad == pytest.approx(df(0.5), rel=1e-15)
    # the compiled tape above its size threshold
    monkeypatch.setattr(autodiff, "COMPILE_THRESHOLD", 100)
    x = Value(0.3, name="x")
    y = x
    for _ in range(60):
        y = getattr(y, name)() * 1.2
    expected = autodiff.grad(y, [x])[0]
    y.backward()
    assert y._tape is not None and x.grad == pytest.approx(expected, rel=1e-12)
    # the explorer reads the slide's local derivative from the declaration
    from viewmodel.text import derivative_formula
    assert derivative_formula(expr, 0) == f"∂{name}(x)/∂x = {text}"


def test_erf_on_arrays_needs_no_scipy():
    x = np.linspace(-4, 4, 33).reshape(3, 11).astype(np.float32)
    y = F.erf(x)
    assert y.dtype == np.float32 and y.shape == (3, 11)
    np.testing.assert_allclose(y, [[math.erf(v) for v in row] for row in x.astype(float)], rtol=1e-6)
    assert F.erf(np.array(0.5)).shape == () and F.erf(np.zeros((0, 2))).shape == (0, 2)


def test_cli_differentiates_atan(capsys):
    from app.cli import main
    assert main(["grad", "atan(x)", "--at", "x=0.5"]) == 0
    assert "∂f/∂x = 0.8" in capsys.readouterr().out


def test_graph_local_derivative_comes_from_the_partials():
    x, y = Value(3.0, name="x"), Value(-2.0, name="y")
    steps = Graph(x * y + x.atan()).backward_trace()
    edges = {(e.parent, e.child): e for s in steps for e in s.outgoing}
    for e in edges.values():
        assert e.contribution == pytest.approx(e.upstream * e.local)
    locals_ = sorted(round(e.local, 12) for e in edges.values())
    assert locals_ == sorted([1.0, 1.0, -2.0, 3.0, round(1 / (1 + 9.0), 12)])
