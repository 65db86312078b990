"""Expressions and small scripts typed by a user, parsed with ``ast`` against a whitelist.

Nothing is ever passed to ``eval``: the syntax tree is walked node by node and
anything outside the whitelist (attribute access, subscripts, unknown
functions, lambdas, ...) is refused.  Every input string gives either a
:class:`Program` or an :class:`ExpressionError` whose line and columns lie
inside one source line, at the offending token (columns count characters;
lines end at ``\\n``, ``\\r\\n`` or ``\\r``, as in Python's tokenizer).

Limits: Python's parser allows 200 nested brackets (more is a syntax error
with a caret at the 201st).  A chain of ``+ - * / @`` at the top level of a
statement may be any length (a sum of 10,000 terms builds); anything else nested
more deeply than Python's parser can build (about 1,000 to 3,000 levels,
depending on the Python version) is refused with a message.  The walk over the
tree and the evaluation are loops, never recursion.  Arithmetic on constants
follows IEEE 754 (``1/0`` is inf, ``(-1)**0.5`` is nan), as the engine does.

>>> p = parse("q = x + y\\nf = q * z")
>>> p.inputs
['x', 'y', 'z']
>>> out = p.build({"x": -2, "y": 5, "z": -4}); out.data
-12.0
"""
from __future__ import annotations

import ast
import io
import keyword
import math
import re
import tokenize
import unicodedata
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping

import numpy as np

from .node import Node
from .registry import expression_functions
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


class _Functions(Mapping):
    """The functions an expression may call, by name: the registry's expression exports,
    so a newly declared primitive is callable at once."""

    def __getitem__(self, name: str) -> Callable[..., Any]:
        return expression_functions()[name].function

    def __iter__(self) -> Iterator[str]:
        return iter(expression_functions())

    def __len__(self) -> int:
        return len(expression_functions())


FUNCTIONS = _Functions()
"""The functions an expression may call, by name."""


def arity(name: str) -> int:
    """How many arguments the expression function ``name`` takes (from its declaration)."""
    return expression_functions()[name].arity


_TOO_DEEP = ("this is nested too deeply for Python's parser; split it into named steps, "
             "one per line (q = ..., then f = q * ...)")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_UNREADABLE = re.compile("[\x00\ud800-\udfff]")


def source_lines(source: str) -> list[str]:
    """The source's lines as Python's tokenizer counts them (``\\n``, ``\\r\\n`` and ``\\r`` end a line)."""
    return _LINE_BREAK.split(source)


def _display_width(c: str) -> int:
    if unicodedata.combining(c):
        return 0
    return 2 if unicodedata.east_asian_width(c) in "WF" else 1


class ExpressionError(ValueError):
    """A refused expression, with the line and columns (characters, 0-based) of the offending part.

    The position is clamped into the source, so ``line`` is a real line and
    ``col <= end_col - 1 <= len(that line)``.
    """

    def __init__(self, message: str, source: str, line: int = 1, col: int = 0, end_col: int | None = None):
        lines = source_lines(source)
        self.message = message
        self.source = source
        self.line = min(max(1, line), len(lines))
        text = lines[self.line - 1]
        self.col = min(max(0, col), len(text))
        end = end_col if end_col is not None and end_col > self.col else self.col + 1
        self.end_col = min(end, len(text)) if self.col < len(text) else self.col + 1
        super().__init__(f"{message} (line {self.line}, column {self.col + 1})\n{self.pointer()}")

    def pointer(self) -> str:
        """The offending line with carets under the offending part (tabs and wide characters kept in step)."""
        text = source_lines(self.source)[self.line - 1]
        shown = "".join(c if c.isprintable() or c == "\t" else "\ufffd" for c in text)
        pad = "".join("\t" if c == "\t" else " " * _display_width(c) for c in text[:self.col])
        width = sum(_display_width(c) for c in text[self.col:self.end_col])
        return f"  {shown}\n  {pad}{'^' * max(1, width)}"


def _char_col(text: str, byte_col: int) -> int:
    """A column in characters from ``ast``'s column in UTF-8 bytes."""
    return len(text.encode("utf-8", "surrogatepass")[:byte_col].decode("utf-8", "ignore"))


def _byte_col(text: str, char_col: int) -> int:
    return len(text[:char_col].encode("utf-8", "surrogatepass"))


def _error(message: str, source: str, node: ast.AST) -> ExpressionError:
    """An error under ``node`` (to the end of its line where it spans several)."""
    lines = source_lines(source)
    line = getattr(node, "lineno", 1)
    text = lines[line - 1] if 1 <= line <= len(lines) else ""
    col = _char_col(text, getattr(node, "col_offset", 0))
    end = _char_col(text, node.end_col_offset) if getattr(node, "end_lineno", None) == line else len(text)
    return ExpressionError(message, source, line, col, end)


def _syntax_error(exc: SyntaxError, source: str, line_shift: int = 0, col_shift: int = 0) -> ExpressionError:
    """Python's own syntax error at Python's position; shifted when a piece of the source was parsed."""
    line = exc.lineno or 1
    col = (exc.offset or 1) - 1
    end = exc.end_offset - 1 if exc.end_lineno == line and exc.end_offset else None
    if line == 1:
        col += col_shift
        end = end + col_shift if end is not None else None
    message = exc.msg
    if message == "too many nested parentheses":
        message += " (Python's parser allows 200)"
    return ExpressionError(f"syntax error: {message}", source, line + line_shift, col, end)


def _number(value: int | float) -> float:
    """A numeric constant as a float; an integer too large for float64 is inf, like ``1e999``."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _children(node: ast.AST) -> list[ast.expr]:
    """The operands the whitelist allows under ``node``, left to right."""
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        return list(node.args)
    return []


@dataclass
class Program:
    """A parsed script: assignments in order, the inputs it reads and its output."""

    source: str
    statements: list[tuple[str | None, ast.expr]]
    inputs: list[str] = field(default_factory=list)
    first_use: dict[str, ast.Name] = field(default_factory=dict, repr=False)
    """Where each input is first read, to point at it when its value is missing."""

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
            message = f"no value given for {', '.join(missing)}"
            if missing[0] in self.first_use:
                raise _error(message, self.source, self.first_use[missing[0]])
            raise ExpressionError(message, self.source)
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
            out = self._evaluate(expr, env)
            if not isinstance(out, Node):
                out = (Tensor if tensors else Value)(out, requires_grad=False)
            if target is not None:
                if out.name is None:
                    out.name = target
                env[target] = out
        if out.name is None:
            out.name = self.output_name
        return out

    def _evaluate(self, root: ast.expr, env: dict[str, Node]):
        """Evaluate a checked expression bottom-up with an explicit stack (no recursion)."""
        todo: list[tuple[ast.expr, bool]] = [(root, False)]
        done: list[Any] = []
        while todo:
            node, operands_ready = todo.pop()
            operands = _children(node)
            if operands and not operands_ready:
                todo.append((node, True))
                todo.extend((child, False) for child in reversed(operands))
                continue
            args = done[len(done) - len(operands):]
            del done[len(done) - len(operands):]
            done.append(self._apply(node, args, env))
        return done[0]

    def _apply(self, node: ast.expr, args: list[Any], env: dict[str, Node]):
        try:
            if isinstance(node, ast.Constant):
                return _number(node.value)
            if isinstance(node, ast.Name):
                return env[node.id]
            if isinstance(node, ast.Call):
                with np.errstate(all="ignore"):
                    return FUNCTIONS[node.func.id](*args)
            op = _BINOPS[type(node.op)] if isinstance(node, ast.BinOp) else _UNARY[type(node.op)]
            if all(isinstance(a, float) for a in args):  # constants only: IEEE, as the engine
                with np.errstate(all="ignore"):
                    return float(op(*map(np.float64, args)))
            return op(*args)
        except ExpressionError:
            raise
        except (ValueError, TypeError) as exc:
            raise _error(str(exc), self.source, node) from None


def _check_node(node: ast.AST, source: str, assigned: set[str], program: Program) -> None:
    """Refuse ``node`` itself if it is outside the whitelist; note the inputs it reads."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, complex):
            raise _error(f"complex numbers are not supported ({node.value!r})", source, node)
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise _error(f"only numbers are allowed as constants, not {node.value!r}", source, node)
    elif isinstance(node, ast.Name):
        if node.id in FUNCTIONS:
            raise _error(f"{node.id} is a function: call it as {node.id}(...)", source, node)
        if node.id not in assigned and node.id not in program.inputs:
            program.inputs.append(node.id)
            program.first_use[node.id] = node
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _BINOPS:
            raise _error(f"operator {_SYMBOLS.get(type(node.op), type(node.op).__name__)} is not supported "
                         "(use + - * / ** @)", source, node)
    elif isinstance(node, ast.UnaryOp):
        if type(node.op) not in _UNARY:
            raise _error("only - and + may stand before a value", source, node)
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            name = node.func.id if isinstance(node.func, ast.Name) else ast.get_source_segment(source, node.func) or ""
            name = name if len(name) <= 40 else name[:39] + "…"
            raise _error(f"unknown function {name!r}; allowed: {', '.join(sorted(FUNCTIONS))}", source, node.func)
        if node.keywords:
            raise _error("keyword arguments are not supported", source, node.keywords[0].value)
        n = arity(node.func.id)
        if len(node.args) != n:
            raise _error(f"{node.func.id} takes {n} argument{'s' * (n > 1)}, got {len(node.args)}", source, node)
    else:
        raise _error(f"{type(node).__name__} is not allowed in an expression", source, node)


def _check(root: ast.expr, source: str, assigned: set[str], program: Program) -> None:
    """Refuse anything outside the whitelist, depth first, left to right (a loop, no recursion)."""
    stack = [root]
    while stack:
        node = stack.pop()
        _check_node(node, source, assigned, program)
        stack.extend(reversed(_children(node)))


def parse(source: str) -> Program:
    """Parse an expression or a script of assignments (one per line or ``;``-separated)."""
    bad = _UNREADABLE.search(source)
    if bad:
        before = source_lines(source[:bad.start()])
        what = "a null character" if bad.group() == "\x00" else f"an unpaired surrogate U+{ord(bad.group()):04X}"
        raise ExpressionError(f"{what} is not allowed", source, len(before), len(before[-1]))
    if not source.strip():
        raise ExpressionError("the expression is empty", source)
    tree = _syntax_tree(source)
    if not tree.body:
        lines = source_lines(source)
        first = next((i for i, line in enumerate(lines) if line.strip()), 0)
        raise ExpressionError("the expression is empty (only comments)", source, first + 1,
                              len(lines[first]) - len(lines[first].lstrip()))
    program = Program(source, [])
    assigned: set[str] = set()
    for i, stmt in enumerate(tree.body):
        if isinstance(stmt, ast.Assign):
            target = stmt.targets[0]
            if len(stmt.targets) > 1 or not isinstance(target, ast.Name):
                raise _error("assign to one name at a time, like q = x + y", source,
                             stmt.targets[1] if isinstance(target, ast.Name) else target)
            if target.id in FUNCTIONS:
                raise _error(f"{target.id} is a function name and cannot be assigned", source, target)
            _check(stmt.value, source, assigned, program)
            if target.id in program.inputs:
                raise _error(f"{target.id} is read before it is assigned", source, target)
            assigned.add(target.id)
            program.statements.append((target.id, stmt.value))
        elif isinstance(stmt, ast.Expr):
            if i != len(tree.body) - 1:
                raise _error("only the last line may be a bare expression; name it with =", source, stmt)
            _check(stmt.value, source, assigned, program)
            program.statements.append((None, stmt.value))
        else:
            raise _error(f"{type(stmt).__name__} is not allowed: write assignments like q = x + y", source, stmt)
    return program


def _ast_parse(text: str, mode: str) -> ast.AST:
    with warnings.catch_warnings():  # invalid escapes in strings and the like: refused later anyway
        warnings.simplefilter("ignore")
        return ast.parse(text, mode=mode)


def _syntax_tree(source: str) -> ast.Module:
    """Python's syntax tree of the source; long chains that are too deep for it are parsed in pieces."""
    try:
        return _ast_parse(source, "exec")
    except SyntaxError as exc:
        raise _syntax_error(exc, source) from None
    except (RecursionError, MemoryError):
        return _parse_in_pieces(source)


# -- sources too deep for Python's parser in one go ---------------------------------------------
# CPython nests a + b + c + ... one level per term and stops after a few thousand levels.  Each
# statement that fails so is split at the operators of its top-level chain of + - (then of * / @ // %),
# the pieces are parsed on their own and joined left to right into the same tree CPython would build.

_CHAIN_LEVELS: tuple[dict[str, type], ...] = (
    {"+": ast.Add, "-": ast.Sub},
    {"*": ast.Mult, "/": ast.Div, "@": ast.MatMult, "//": ast.FloorDiv, "%": ast.Mod},
)
_OPENERS, _CLOSERS = "([{", ")]}"
_OPERAND_KEYWORDS = {"True", "False", "None"}
_CHAINABLE_OPS = {"+", "-", "*", "/", "@", "//", "%", "**", "~", "."}


def _parse_in_pieces(source: str) -> ast.Module:
    lines = source_lines(source)
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO("\n".join(lines)).readline)
                  if t.type not in (tokenize.NL, tokenize.COMMENT)]
    except (tokenize.TokenError, SyntaxError):
        raise ExpressionError(_TOO_DEEP, source) from None
    body: list[ast.stmt] = []
    for statement in _statements(tokens, source):
        try:
            body.extend(_parse_span(statement, lines, source, "exec").body)
        except (RecursionError, MemoryError):
            body.append(_statement_in_pieces(statement, lines, source))
    return ast.Module(body=body, type_ignores=[])


def _statements(tokens: list[tokenize.TokenInfo], source: str) -> Iterator[list[tokenize.TokenInfo]]:
    depth, current = 0, []
    for tok in tokens:
        if tok.type in (tokenize.INDENT, tokenize.DEDENT):
            raise ExpressionError(_TOO_DEEP, source, tok.start[0], tok.start[1])
        if tok.type == tokenize.OP and tok.string in _OPENERS:
            depth += 1
        elif tok.type == tokenize.OP and tok.string in _CLOSERS:
            depth -= 1
        if tok.type in (tokenize.NEWLINE, tokenize.ENDMARKER) or (depth == 0 and tok.type == tokenize.OP and tok.string == ";"):
            if current:
                yield current
            current = []
        else:
            current.append(tok)


def _parse_span(tokens: list[tokenize.TokenInfo], lines: list[str], source: str, mode: str) -> ast.AST:
    """Parse the source from the first token to the last, positions as in the whole source."""
    (row, col), (end_row, end_col) = tokens[0].start, tokens[-1].end
    if end_row == row:
        text = lines[row - 1][col:end_col]
    else:
        text = "\n".join([lines[row - 1][col:], *lines[row:end_row - 1], lines[end_row - 1][:end_col]])
    try:
        tree = _ast_parse(text, mode)
    except SyntaxError as exc:
        raise _syntax_error(exc, source, row - 1, col) from None
    shift = _byte_col(lines[row - 1], col)
    for node in ast.walk(tree):
        if hasattr(node, "lineno"):
            if node.lineno == 1:
                node.col_offset += shift
            if node.end_lineno == 1:
                node.end_col_offset += shift
            node.lineno += row - 1
            node.end_lineno += row - 1
    return tree


def _location(start: tuple[int, int], end: tuple[int, int], lines: list[str]) -> dict[str, int]:
    return {"lineno": start[0], "col_offset": _byte_col(lines[start[0] - 1], start[1]),
            "end_lineno": end[0], "end_col_offset": _byte_col(lines[end[0] - 1], end[1])}


def _statement_in_pieces(tokens: list[tokenize.TokenInfo], lines: list[str], source: str) -> ast.stmt:
    where = _location(tokens[0].start, tokens[-1].end, lines)
    if len(tokens) > 2 and tokens[0].type == tokenize.NAME and tokens[1].string == "=":
        target = ast.Name(id=tokens[0].string, ctx=ast.Store(), **_location(tokens[0].start, tokens[0].end, lines))
        return ast.Assign(targets=[target], value=_chain(tokens[2:], lines, source, 0), **where)
    return ast.Expr(value=_chain(tokens, lines, source, 0), **where)


def _ends_operand(tok: tokenize.TokenInfo | None) -> bool:
    if tok is None:
        return False
    if tok.type == tokenize.NAME:
        return not keyword.iskeyword(tok.string) or tok.string in _OPERAND_KEYWORDS
    return tok.type in (tokenize.NUMBER, tokenize.STRING) or tok.string in _CLOSERS \
        or tokenize.tok_name.get(tok.type) == "FSTRING_END"


def _chainable(tok: tokenize.TokenInfo) -> bool:
    if tok.type == tokenize.NAME:
        return not keyword.iskeyword(tok.string) or tok.string in _OPERAND_KEYWORDS
    return tok.type in (tokenize.NUMBER, tokenize.STRING) or tok.string in _CHAINABLE_OPS \
        or tokenize.tok_name.get(tok.type, "").startswith("FSTRING")


def _chain(tokens: list[tokenize.TokenInfo], lines: list[str], source: str, level: int) -> ast.expr:
    """The expression in ``tokens``, split at its top-level operators of ``_CHAIN_LEVELS[level]``."""
    if not tokens:
        raise ExpressionError(_TOO_DEEP, source)
    if level == len(_CHAIN_LEVELS):
        try:
            return _parse_span(tokens, lines, source, "eval").body
        except (RecursionError, MemoryError):
            (row, col), end = tokens[0].start, tokens[-1].end
            raise ExpressionError(_TOO_DEEP, source, row, col, end[1] if end[0] == row else None) from None
    ops = _CHAIN_LEVELS[level]
    cuts, depth, previous = [], 0, None
    for i, tok in enumerate(tokens):
        if tok.type == tokenize.OP and tok.string in _OPENERS:
            depth += 1
        elif tok.type == tokenize.OP and tok.string in _CLOSERS:
            depth -= 1
        elif depth == 0:
            if not _chainable(tok):
                return _chain(tokens, lines, source, len(_CHAIN_LEVELS))
            if tok.string in ops and (level > 0 or _ends_operand(previous)):
                cuts.append(i)
        previous = tok
    if not cuts:
        return _chain(tokens, lines, source, level + 1)
    bounds = [-1, *cuts, len(tokens)]
    pieces = [_chain(tokens[a + 1:b], lines, source, level + 1) for a, b in zip(bounds, bounds[1:])]
    result = pieces[0]
    for cut, right in zip(cuts, pieces[1:]):
        result = ast.BinOp(left=result, op=ops[tokens[cut].string](), right=right,
                           lineno=pieces[0].lineno, col_offset=pieces[0].col_offset,
                           end_lineno=right.end_lineno, end_col_offset=right.end_col_offset)
    return result
