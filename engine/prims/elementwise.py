"""Elementwise primitives shared by ``Value`` and ``Tensor``: one declaration each.

A declaration gives the forward twice, on floats (``scalar``: ``math``, arithmetic
and builtins only, so Numba compiles the very same function into the scalar tape)
and on arrays (``array``: NumPy), and one partial derivative per argument,
``∂out/∂arg(*args, out)``.  A partial is written once, with operators and the
dispatch vocabulary ``D`` (``D.exp``, ``D.where``, ``D.eq``, ...), so it runs on
floats (a Value backward pass), on arrays (a Tensor backward pass), on recorded
nodes (``create_graph=True``) and, compiled, in the scalar tape.  From it come
the VJP (g · partial) and the JVP (t · partial).

Floats follow IEEE and PyTorch, never an exception: where Python's float
arithmetic raises (``1 / 0.0``, ``0.0 ** -1``, ``math.log(0)``, overflow) or
goes complex (``(-1) ** 0.5``), the same function is re-evaluated on NumPy
scalars, which give inf or nan as Tensors do.
"""
from __future__ import annotations

import functools
import math
import operator
import types
from typing import Callable, Mapping

import numpy as np

from ..kernels import lazy
from ..node import apply
from ..registry import BOTH, Export, Primitive, ScalarKernels, register
from . import dispatch as D

K = lazy("elementwise")  # Numba is imported on the first erf of an array

Partial = Callable[..., object] | float
"""∂out/∂arg as ``partial(*args, out)``, or a constant (1.0 for add)."""


# -- floats: IEEE instead of exceptions --------------------------------------------------
def _ieee(fn: Callable, args) -> float:
    """``fn`` re-evaluated on NumPy float64 scalars: inf/nan where Python raises."""
    with np.errstate(all="ignore"):
        return float(fn(*[np.float64(a) for a in args]))


def float_forward(scalar: Callable, array: Callable, arity: int) -> Callable:
    """A forward that runs ``scalar`` on floats (falling back to ``array`` on NumPy
    scalars where Python raises) and ``array`` on anything else.  One function for both
    (``operator.add``: float arithmetic that cannot raise) is the forward itself."""
    if scalar is array:
        return scalar
    if arity == 1:
        def forward(x):
            if x.__class__ is float:
                try:
                    r = scalar(x)
                except (ArithmeticError, ValueError):
                    return _ieee(array, (x,))
                return r if r.__class__ is float else _ieee(array, (x,))
            return array(x)
    else:
        def forward(x, y):
            if x.__class__ is float and y.__class__ is float:
                try:
                    r = scalar(x, y)
                except (ArithmeticError, ValueError):
                    return _ieee(array, (x, y))
                return r if r.__class__ is float else _ieee(array, (x, y))
            return array(x, y)
    return forward


_QUIET_OPS = frozenset({"RESUME", "LOAD_FAST", "LOAD_CONST", "RETURN_VALUE", "RETURN_CONST",
                        "UNARY_NEGATIVE", "COMPARE_OP", "PRECALL", "CALL", "PUSH_NULL",
                        "LOAD_ATTR", "LOAD_METHOD", "LOAD_GLOBAL", "NOP", "CACHE"})
_QUIET_BINARY = frozenset({"+", "-", "*", "&", "|"})


def _cannot_raise(partial: Callable) -> bool:
    """True when ``partial`` on floats can only add, subtract, multiply, compare and call
    ``D.<op>`` (which never raises on floats): no division, power or other call that
    Python could turn into an exception.  Anything else is re-run on NumPy scalars."""
    import dis
    globals_read = set()
    for ins in dis.get_instructions(partial):
        if ins.opname == "BINARY_OP":
            if ins.argrepr not in _QUIET_BINARY:
                return False
        elif ins.opname not in _QUIET_OPS:
            return False
        elif ins.opname == "LOAD_GLOBAL":
            globals_read.add(ins.argval)
    return globals_read <= {"D"}


@functools.cache
def float_partial(partial: Callable) -> Callable:
    """``partial`` on floats, re-evaluated on NumPy scalars where Python raises (itself where
    it cannot raise)."""
    if _cannot_raise(partial):
        return partial

    def local(*args):
        try:
            r = partial(*args)
        except (ArithmeticError, ValueError):
            return _ieee(partial, args)
        return r if r.__class__ is float else _ieee(partial, args)
    return local


def _like(d, out):
    """A partial on arrays in the output's dtype (a float64 mask must not promote float32)."""
    if d.__class__ is np.ndarray and out.__class__ is np.ndarray and d.dtype != out.dtype:
        return d.astype(out.dtype)
    return d


# -- VJPs and JVPs from partials ---------------------------------------------------------
def _product(partial: Partial, arity: int) -> Callable:
    """``rule(g, out, *args) = g · ∂out/∂arg``: the VJP, and the JVP with t for g."""
    if not callable(partial):
        c = float(partial)
        if c == 1.0:
            return lambda g, out, *args: g
        if c == -1.0:
            return lambda g, out, *args: -g
        return lambda g, out, *args: g * c
    on_floats = float_partial(partial)
    if on_floats is partial:  # nothing to guard on floats: one body for every kind of number
        if arity == 1:
            def rule(g, out, x):
                d = partial(x, out)
                return g * (_like(d, out) if d.__class__ is np.ndarray else d)
        else:
            def rule(g, out, x, y):
                d = partial(x, y, out)
                return g * (_like(d, out) if d.__class__ is np.ndarray else d)
    elif arity == 1:
        def rule(g, out, x):
            if x.__class__ is float:
                return g * on_floats(x, out)
            d = partial(x, out)
            return g * (_like(d, out) if d.__class__ is np.ndarray else d)
    else:
        def rule(g, out, x, y):
            if x.__class__ is float and y.__class__ is float:
                return g * on_floats(x, y, out)
            d = partial(x, y, out)
            return g * (_like(d, out) if d.__class__ is np.ndarray else d)
    return rule


def elementwise(name: str, symbol: str, *, scalar: Callable, array: Callable,
                partials: tuple[Partial, ...], local_text: tuple[str, ...],
                method: str | None = None, operator: str | None = None,
                functional: tuple[str, ...] | None = None, expression: str | None = None,
                kinds: tuple[str, ...] = BOTH, compiled: bool = True,
                public: bool = True, kernels: Mapping[str, object] | None = None) -> Primitive:
    """Declare an elementwise primitive: forwards, partials, notation and public names.

    A function-like op (no ``operator``) is the method, the ``engine.functional``
    function and the expression function ``name`` unless ``method``/``functional``/
    ``expression`` say otherwise; ``public=False`` publishes nothing (a building block
    of a composite function) and ``compiled=False`` keeps it off the scalar tape.
    ``kernels`` are other backends' implementations (see :attr:`Primitive.kernels`).
    """
    arity = len(partials)
    if compiled:
        for fn in (scalar, *partials):
            _check_float_kernel(fn, name)
    rules = tuple(_product(p, arity) for p in partials)
    prim = None  # bound below: the public functions close over the registered primitive
    if arity == 1:
        def function(x):
            return apply(prim, x)
        reflected = None
    else:
        def function(x, y):
            return apply(prim, x, y)

        def reflected(x, y):
            return apply(prim, y, x)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"{name} elementwise: recorded on Values and Tensors, computed on numbers."
    function_like = operator is None
    names = Export(
        function, reflected=reflected, operator=operator, kinds=kinds,
        methods=(method or name,) if function_like or method else (),
        functional=functional if functional is not None else ((name,) if function_like else ()),
        expression=expression if expression is not None else (name if function_like else None))
    prim = register(name, symbol, float_forward(scalar, array, arity), rules, rules,
                    elementwise=True, local_text=local_text, partials=tuple(partials),
                    scalar=ScalarKernels(scalar, tuple(partials)) if compiled else None,
                    kernels=kernels, exports=(names,) if public else ())
    return prim


def _check_float_kernel(fn, owner: str) -> None:
    """Refuse, at declaration, a float kernel the compiled tape could not compile: it may
    read ``math`` (or other modules), builtins, numbers and ``D.<op>``, nothing else."""
    if not callable(fn) or isinstance(fn, types.BuiltinFunctionType):
        return
    if not isinstance(fn, types.FunctionType):
        raise TypeError(f"{owner}: a float kernel must be a Python function or a builtin, "
                        f"not {type(fn).__name__}")
    if fn.__code__.co_freevars:
        raise TypeError(f"{owner}: a float kernel may not capture variables "
                        f"({', '.join(fn.__code__.co_freevars)}); use module-level numbers")
    for name in fn.__code__.co_names:
        if name not in fn.__globals__ or name == "D":
            continue
        value = fn.__globals__[name]
        if not isinstance(value, (types.ModuleType, types.BuiltinFunctionType, int, float)):
            raise TypeError(f"{owner}: a float kernel may use math, builtins, numbers and D.<op>; "
                            f"{name!r} is a {type(value).__name__} the compiled tape cannot run "
                            "(write it inline, or declare the op with compiled=False)")


# -- float forwards that need more than one math call ---------------------------------
def _sigmoid(x: float) -> float:
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _sigmoid_array(x):
    return np.exp(-np.logaddexp(0.0, -x))


def _maximum(x: float, y: float) -> float:
    """The larger of two floats; NaN if either is NaN (as ``torch.maximum``)."""
    if x >= y:
        return x
    return y if y > x else math.nan


def _minimum(x: float, y: float) -> float:
    if x <= y:
        return x
    return y if y < x else math.nan


def _quiet(fn):
    """A NumPy function with its divide/invalid warnings silenced (inf/nan are the answer)."""
    def run(*args):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return fn(*args)
    return run


TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _erf(x):
    """erf on arrays without SciPy: one compiled loop of ``math.erf`` (libm's erf)."""
    a = np.asarray(x)
    a = a.astype(np.float64) if a.dtype.kind != "f" else a
    return K.erf(np.ascontiguousarray(a).reshape(-1)).reshape(a.shape)


# -- the table -------------------------------------------------------------------------
ADD = elementwise("add", "+", scalar=operator.add, array=operator.add, partials=(1.0, 1.0),
                  local_text=("1", "1"), operator="add")
SUB = elementwise("sub", "−", scalar=operator.sub, array=operator.sub, partials=(1.0, -1.0),
                  local_text=("1", "−1"), operator="sub")
MUL = elementwise("mul", "×", scalar=operator.mul, array=operator.mul,
                  partials=(lambda x, y, out: y, lambda x, y, out: x),
                  local_text=("y", "x"), operator="mul")
DIV = elementwise("div", "÷", scalar=operator.truediv, array=_quiet(operator.truediv),
                  partials=(lambda x, y, out: 1.0 / y, lambda x, y, out: -out / y),
                  local_text=("1/y", "−x/y²"), operator="truediv")
NEG = elementwise("neg", "−", scalar=operator.neg, array=operator.neg, partials=(-1.0,),
                  local_text=("−1",), operator="neg")
POW = elementwise(  # PyTorch masks x**0 at x = 0 and the exponent's gradient at x = 0, y >= 0
    "pow", "^", scalar=operator.pow, array=_quiet(np.power),
    partials=(lambda x, y, out: D.where(D.eq(y, 0.0), 0.0, y * x ** (y - 1.0)),
              lambda x, y, out: D.where(D.eq(x, 0.0) & (y >= 0.0), 0.0, out * D.log(x))),
    local_text=("y·x^(y−1)", "x^y·ln x"), operator="pow")
EXP = elementwise("exp", "exp", scalar=math.exp, array=_quiet(np.exp),
                  partials=(lambda x, out: out,), local_text=("exp(x)",))
LOG = elementwise("log", "log", scalar=math.log, array=_quiet(np.log),
                  partials=(lambda x, out: 1.0 / x,), local_text=("1/x",))
SIN = elementwise("sin", "sin", scalar=math.sin, array=_quiet(np.sin),
                  partials=(lambda x, out: D.cos(x),), local_text=("cos(x)",))
COS = elementwise("cos", "cos", scalar=math.cos, array=_quiet(np.cos),
                  partials=(lambda x, out: -D.sin(x),), local_text=("−sin(x)",))
TANH = elementwise("tanh", "tanh", scalar=math.tanh, array=np.tanh,
                   partials=(lambda x, out: 1.0 - out * out,), local_text=("1 − tanh²(x)",))
SIGMOID = elementwise("sigmoid", "σ", scalar=_sigmoid, array=_sigmoid_array,
                      partials=(lambda x, out: out * (1.0 - out),),
                      local_text=("σ(x)(1 − σ(x))",))
RELU = elementwise(  # x <= 0 is False for NaN: NaN passes forward and its gradient is 1, as torch
    "relu", "ReLU", scalar=lambda x: 0.0 if x <= 0.0 else x,
    array=lambda x: np.maximum(x, 0.0),
    partials=(lambda x, out: D.where(x <= 0.0, 0.0, 1.0),), local_text=("[x > 0]",))
SOFTPLUS = elementwise(  # public as engine.prims.activation.softplus(x, beta, threshold)
    "softplus", "softplus", scalar=lambda x: math.log1p(math.exp(-abs(x))) + max(x, 0.0),
    array=lambda x: np.logaddexp(0.0, x), partials=(lambda x, out: D.sigmoid(x),),
    local_text=("σ(x)",), public=False)
ABS = elementwise("abs", "|x|", scalar=abs, array=np.abs,
                  partials=(lambda x, out: D.where(x > 0.0, 1.0, D.where(x < 0.0, -1.0, 0.0)),),
                  local_text=("sign(x)",), method="abs", operator="abs",
                  functional=("abs", "absolute"), expression="abs")
SQRT = elementwise("sqrt", "√", scalar=math.sqrt, array=_quiet(np.sqrt),
                   partials=(lambda x, out: 0.5 / out,), local_text=("1/(2√x)",))
MAXIMUM = elementwise(  # ties split the gradient evenly; NaN sends it to both, as torch
    "maximum", "max", scalar=_maximum, array=np.maximum,
    partials=(lambda x, y, out: D.where(x < y, 0.0, D.where(D.eq(x, y), 0.5, 1.0)),
              lambda x, y, out: D.where(x > y, 0.0, D.where(D.eq(x, y), 0.5, 1.0))),
    local_text=("[x ≥ y]", "[x < y]"), method="max", kinds=("Value",),
    functional=("maximum",), expression="max")
MINIMUM = elementwise(
    "minimum", "min", scalar=_minimum, array=np.minimum,
    partials=(lambda x, y, out: D.where(x > y, 0.0, D.where(D.eq(x, y), 0.5, 1.0)),
              lambda x, y, out: D.where(x < y, 0.0, D.where(D.eq(x, y), 0.5, 1.0))),
    local_text=("[x ≤ y]", "[x > y]"), method="min", kinds=("Value",),
    functional=("minimum",), expression="min")
ATAN = elementwise("atan", "atan", scalar=math.atan, array=np.arctan,
                   partials=(lambda x, out: 1.0 / (1.0 + x * x),), local_text=("1/(1 + x²)",))
ASINH = elementwise("asinh", "asinh", scalar=math.asinh, array=np.arcsinh,
                    partials=(lambda x, out: 1.0 / D.sqrt(x * x + 1.0),),
                    local_text=("1/√(x² + 1)",))
ERF = elementwise("erf", "erf", scalar=math.erf, array=_erf,
                  partials=(lambda x, out: TWO_OVER_SQRT_PI * D.exp(-(x * x)),),
                  local_text=("(2/√π) e^(−x²)",))
INV_SQRT2 = 1.0 / math.sqrt(2.0)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
GELU = elementwise(  # public as engine.prims.activation.gelu(x, approximate)
    "gelu", "GELU", scalar=lambda x: 0.5 * x * (1.0 + math.erf(x * INV_SQRT2)),
    array=lambda x: 0.5 * x * (1.0 + _erf(x * INV_SQRT2)),
    partials=(lambda x, out: 0.5 * (1.0 + D.erf(x * INV_SQRT2)) + x * INV_SQRT_2PI * D.exp(-0.5 * x * x),),
    local_text=("Φ(x) + x·φ(x)",), public=False)
SILU = elementwise("silu", "SiLU", scalar=lambda x: x * D.sigmoid(x),
                   array=lambda x: x * _sigmoid_array(x),
                   partials=(lambda x, out: D.sigmoid(x) * (1.0 + x * (1.0 - D.sigmoid(x))),),
                   local_text=("σ(x)(1 + x(1 − σ(x)))",))


def _mish_local(x, out):
    """∂mish/∂x = t + x·σ(x)·(1 − t²) with t = tanh(softplus(x)) (log(1 + eˣ) overflows to
    inf for huge x, where tanh gives 1)."""
    t = D.tanh(D.log(1.0 + D.exp(x)))
    return t + x * D.sigmoid(x) * (1.0 - t * t)


MISH = elementwise("mish", "Mish", scalar=lambda x: x * math.tanh(math.log1p(math.exp(-abs(x))) + max(x, 0.0)),
                   array=lambda x: x * np.tanh(np.logaddexp(0.0, x)), partials=(_mish_local,),
                   local_text=("t + x·σ(x)(1 − t²), t = tanh(softplus(x))",))
SOFTSIGN = elementwise("softsign", "softsign", scalar=lambda x: x / (1.0 + abs(x)),
                       array=lambda x: x / (1.0 + np.abs(x)),
                       partials=(lambda x, out: 1.0 / ((1.0 + abs(x)) * (1.0 + abs(x))),),
                       local_text=("1/(1 + |x|)²",))

__all__ = ["elementwise", "float_forward", "float_partial"]
