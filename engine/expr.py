"""Expressions and small scripts typed by a user, parsed with ``ast`` against a whitelist.

Nothing is ever passed to ``eval``: the syntax tree is walked node by node and
anything outside the whitelist (attribute access, subscripts, unknown
functions, lambdas, ...) is refused with an error that points at its column.

>>> p = parse("q = x + y\\nf = q * z")
>>> p.inputs
['x', 'y', 'z']
>>> out = p.build({"x": -2, "y": 5, "z": -4}); out.data
-12.0
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from .node import Node
from .prims import core, dispatch
from .tensor import Tensor
from .value import Value

_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b, ast.Pow: lambda a, b: a ** b, ast.MatMult: lambda a, b: a @ b,
}
_UNARY: dict[type, Callable[[Any], Any]] = {ast.USub: lambda a: -a, ast.UAdd: lambda a: a}
_SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
            ast.MatMult: "@", ast.FloorDiv: "//", ast.Mod: "%", ast.BitXor: "^",
            ast.BitAnd: "&", ast.BitOr: "|", ast.LShift: "<<", ast.RShift: ">>"}

FUNCTIONS: dict[str, Callable[..., Any]] = {
    "exp": dispatch.exp, "log": dispatch.log, "sin": dispatch.sin, "cos": dispatch.cos,
    "tanh": dispatch.tanh, "sigmoid": dispatch.sigmoid, "relu": dispatch.relu,
    "softplus": dispatch.softplus, "abs": dispatch.absolute, "sqrt": dispatch.sqrt,
    "max": dispatch.maximum, "min": dispatch.minimum,
    "sum": lambda x: core.sum(x), "mean": lambda x: core.mean(x),
}
"""The functions an expression may call, by name."""


class ExpressionError(ValueError):
    """A refused expression, with the line and columns of the offending part."""

    def __init__(self, message: str, source: str, line: int = 1, col: int = 0, end_col: int | None = None):
        self.message = message
        self.source = source
        self.line = line
        self.col = col
        self.end_col = end_col if end_col is not None and end_col > col else col + 1
        super().__init__(f"{message} (line {line}, column {col + 1})\n{self.pointer()}")

    def pointer(self) -> str:
        """The offending line with carets under the offending part."""
        lines = self.source.splitlines() or [""]
        text = lines[min(self.line, len(lines)) - 1]
        return f"  {text}\n  {' ' * self.col}{'^' * max(1, self.end_col - self.col)}"


@dataclass
class Program:
    """A parsed script: assignments in order, the inputs it reads and its output."""

    source: str
    statements: list[tuple[str | None, ast.expr]]
    inputs: list[str] = field(default_factory=list)

    @property
    def output_name(self) -> str:
        return self.statements[-1][0] or "f"

    def build(self, values: Mapping[str, Any], *, tensors: bool = False) -> Node:
        """Record the graph with the given input values; returns the output node.

        Scalars become ``Value`` leaves and arrays ``Tensor`` leaves (or all
        Tensors with ``tensors=True``), each named after its variable.
        """
        missing = [n for n in self.inputs if n not in values]
        if missing:
            raise ExpressionError(f"no value given for {', '.join(missing)}", self.source)
        env: dict[str, Node] = {}
        for name in self.inputs:
            v = values[name]
            if isinstance(v, Node):
                v = v.data
            if tensors or np.ndim(v) > 0:
                env[name] = Tensor(v, requires_grad=True, name=name)
            else:
                env[name] = Value(float(v), name=name)
        out = None
        for target, expr in self.statements:
            out = self._eval(expr, env)
            if not isinstance(out, Node):
                out = (Tensor if tensors else Value)(out, requires_grad=False)
            if target is not None:
                if out.name is None:
                    out.name = target
                env[target] = out
        if out.name is None:
            out.name = self.output_name
        return out

    def _eval(self, node: ast.expr, env: dict[str, Node]):
        try:
            if isinstance(node, ast.Constant):
                return float(node.value)
            if isinstance(node, ast.Name):
                return env[node.id]
            if isinstance(node, ast.BinOp):
                return _BINOPS[type(node.op)](self._eval(node.left, env), self._eval(node.right, env))
            if isinstance(node, ast.UnaryOp):
                return _UNARY[type(node.op)](self._eval(node.operand, env))
            if isinstance(node, ast.Call):
                return FUNCTIONS[node.func.id](*[self._eval(a, env) for a in node.args])
        except (ValueError, TypeError) as exc:
            if isinstance(exc, ExpressionError):
                raise
            raise _error(str(exc), self.source, node) from None
        raise _error("unsupported expression", self.source, node)


def _error(message: str, source: str, node: ast.AST) -> ExpressionError:
    line = getattr(node, "lineno", 1)
    end_col = getattr(node, "end_col_offset", None) if getattr(node, "end_lineno", line) == line else None
    return ExpressionError(message, source, line, getattr(node, "col_offset", 0), end_col)


def _check(node: ast.AST, source: str, assigned: set[str], inputs: list[str]) -> None:
    """Refuse anything outside the whitelist; collect input names in reading order."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise _error(f"only numbers are allowed as constants, not {node.value!r}", source, node)
    elif isinstance(node, ast.Name):
        if node.id in FUNCTIONS:
            raise _error(f"{node.id} is a function: call it as {node.id}(...)", source, node)
        if node.id not in assigned and node.id not in inputs:
            inputs.append(node.id)
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _BINOPS:
            raise _error(f"operator {_SYMBOLS.get(type(node.op), type(node.op).__name__)} is not supported "
                         "(use + - * / ** @)", source, node)
        _check(node.left, source, assigned, inputs)
        _check(node.right, source, assigned, inputs)
    elif isinstance(node, ast.UnaryOp):
        if type(node.op) not in _UNARY:
            raise _error("only - and + may stand before a value", source, node)
        _check(node.operand, source, assigned, inputs)
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            name = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
            raise _error(f"unknown function {name!r}; allowed: {', '.join(sorted(FUNCTIONS))}",
                         source, node.func)
        if node.keywords:
            raise _error("keyword arguments are not supported", source, node.keywords[0].value)
        arity = 2 if node.func.id in ("max", "min") else 1
        if len(node.args) != arity:
            raise _error(f"{node.func.id} takes {arity} argument{'s' * (arity > 1)}, got {len(node.args)}",
                         source, node)
        for a in node.args:
            _check(a, source, assigned, inputs)
    else:
        raise _error(f"{type(node).__name__} is not allowed in an expression", source, node)


def parse(source: str) -> Program:
    """Parse an expression or a script of assignments (one per line or ``;``-separated)."""
    if not source.strip():
        raise ExpressionError("the expression is empty", source)
    try:
        tree = ast.parse(source, mode="exec")
    except SyntaxError as exc:
        line = exc.lineno or 1
        col = max(0, (exc.offset or 1) - 1)
        end = (exc.end_offset - 1) if exc.end_offset and exc.end_lineno == line else None
        raise ExpressionError(f"syntax error: {exc.msg}", source, line, col, end) from None
    statements: list[tuple[str | None, ast.expr]] = []
    assigned: set[str] = set()
    inputs: list[str] = []
    for i, stmt in enumerate(tree.body):
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            target = stmt.targets[0].id
            if target in FUNCTIONS:
                raise _error(f"{target} is a function name and cannot be assigned", source, stmt.targets[0])
            _check(stmt.value, source, assigned, inputs)
            if target in inputs:
                raise _error(f"{target} is read before it is assigned", source, stmt.targets[0])
            assigned.add(target)
            statements.append((target, stmt.value))
        elif isinstance(stmt, ast.Expr):
            if i != len(tree.body) - 1:
                raise _error("only the last line may be a bare expression; name it with =", source, stmt)
            _check(stmt.value, source, assigned, inputs)
            statements.append((None, stmt.value))
        else:
            raise _error(f"{type(stmt).__name__} is not allowed: write assignments like q = x + y",
                         source, stmt)
    return Program(source, statements, inputs)
