"""Fuzz the expression parser: every input must give a Program or an ExpressionError at the right spot.

``python -m bench.fuzz_parser [--cases 30000] [--seed 0]`` generates Python-ish sources
(a small grammar of whitelisted and refused constructs, joined by newlines, ``;``, CRLF, ...),
mutates them character by character, adds random text and a few very deep or very wide
expressions, then counts by input category:

* crash: ``parse`` or ``Program.build`` raised anything but ExpressionError;
* outside: the caret's line or columns are not inside a source line;
* offset: a syntax error whose caret is not where CPython reports it;
* whitespace: a whitelist error whose caret does not start on a token.

``tests/test_expr_fuzz.py`` runs the same generator and check under hypothesis in CI.
"""
from __future__ import annotations

import argparse
import ast
import collections
import random
import sys
import time
import warnings

from engine.expr import FUNCTIONS, ExpressionError, arity, parse, source_lines

NASTY = ("()[]{}+-*/@%,:;.=<>!~'\"#\\ \t\n\r\x0c\x0b\x00$?`|&^_0123456789abcxyzjeE"
         "\u00e9\u00df\u597d\U0001F600\u00a0\u200b\u202e\u0301\ufeff\u2028\x85")
NAMES = ["x", "y", "z", "w0", "q", "f", "\u00e9", "\u597d", "_", "x1", "exp", "log", "max", "sum",
         "True", "False", "None", "lambda", "if", "not", "and", "is", "print", "__class__"]
NUMBERS = ["0", "1", "2.5", "1e999", "-1e999", "1e-400", "1j", "2.5J", "0x1F", "0b101", "1_000", "0777",
           "1__0", "9" * 30, ".5", "5.", "1e", "0.0", "00", "1" + "0" * 400]
BINARY = ["+", "-", "*", "/", "**", "@", "//", "%", "<<", ">>", "&", "|", "^", " and ", " or ", " < ",
          " <= ", " == ", " != ", " is ", " in ", " not in ", " < y < "]
UNARY = ["-", "+", "~", "not ", "await ", "*", "**"]
SEPARATORS = ["\n", "; ", ";", "\r\n", "\r", "\n\n", " ;", "\n  ", ";;", "\n\t", "\x0c\n", " \\\n"]
CALLEES = list(FUNCTIONS) + ["open", "__import__", "eval", "f", "x.y", "(lambda: 1)", "x[0]"]


def _expression(rng: random.Random, depth: int) -> str:
    if depth <= 0 or rng.random() < 0.3:
        r = rng.random()
        if r < 0.55:
            return rng.choice(NAMES)
        if r < 0.9:
            return rng.choice(NUMBERS)
        return rng.choice(["'s'", '"s"', "b'x'", "f'{x}'", "f'{x!r:>{y}}'", "...", "'''a\nb'''", "r'\\d'"])
    sub = lambda: _expression(rng, depth - 1)  # noqa: E731
    kind = rng.randrange(14)
    if kind < 4:
        return f"{sub()}{rng.choice(BINARY)}{sub()}"
    if kind == 4:
        return f"{rng.choice(UNARY)}{sub()}"
    if kind == 5:
        args = [sub() for _ in range(rng.choice([0, 1, 1, 2, 2, 3]))]
        if rng.random() < 0.2:
            args.append(rng.choice(["k=1", "*x", "**k", "y=x", "x for x in y"]))
        return f"{rng.choice(CALLEES)}({', '.join(args)}{rng.choice(['', '', ',', ' '])})"
    if kind == 6:
        return f"({sub()})"
    if kind == 7:
        return rng.choice([f"{sub()}.real", f"{sub()}[0]", f"{sub()}[1:2]", f"{sub()}(1)"])
    if kind == 8:
        return rng.choice([f"lambda: {sub()}", f"(q := {sub()})", f"{sub()} if {sub()} else {sub()}",
                           f"yield {sub()}", f"[{sub()} for x in y]", f"{{{sub()}: 1}}"])
    if kind == 9:
        return rng.choice([f"({sub()}, {sub()})", f"[{sub()}]", f"{{{sub()}}}", f"{sub()}, {sub()}"])
    if kind == 10:
        space = rng.choice([" ", "  ", "\t", " \\\n "])
        return f"{sub()}{space}{rng.choice(BINARY)} {sub()}"
    if kind == 11:
        return f"{sub()} # {rng.choice(NAMES)} @ y"
    if kind == 12:
        return f"{rng.choice(['(', '[', '{', ''])}{sub()}{rng.choice([')', ']', '}', ''])}"
    return sub() + rng.choice(BINARY) + rng.choice(["", "(", ")", "\n"])


def _statement(rng: random.Random) -> str:
    e = lambda: _expression(rng, rng.randrange(1, 5))  # noqa: E731
    kind = rng.randrange(12)
    if kind < 5:
        return e()
    if kind < 9:
        return f"{rng.choice(NAMES)} = {e()}"
    return rng.choice([f"a = b = {e()}", f"a, b = {e()}, 1", f"x += {e()}", f"x: int = {e()}", "import os",
                       f"def f(): return {e()}", f"for x in y: {e()}", "del x", "pass", f"return {e()}",
                       f"if x:\n    {e()}", f"assert {e()}", "# only a comment", "", "global x",
                       f"with x: {e()}", f"print({e()})", f"async def f(): await {e()}"])


def valid_source(rng: random.Random, depth: int = 4) -> str:
    """An expression inside the whitelist (names, numbers, + - * / ** @, unary -, the functions)."""
    if depth <= 0 or rng.random() < 0.25:
        return rng.choice(["x", "y", "z", "0", "1", "2.5", "1e308", "0.5"])
    sub = lambda: valid_source(rng, depth - 1)  # noqa: E731
    kind = rng.randrange(4)
    if kind < 2:
        return f"({sub()} {rng.choice(['+', '-', '*', '/', '**'])} {sub()})"
    if kind == 2:
        return f"-{sub()}"
    name = rng.choice(sorted(FUNCTIONS))
    return f"{name}({', '.join(sub() for _ in range(arity(name)))})"


def grammar_source(rng: random.Random) -> str:
    """A short Python-ish script: 1-4 statements, mixed separators, maybe comments and odd whitespace."""
    parts = [_statement(rng) for _ in range(rng.choice([1, 1, 1, 2, 2, 3, 4]))]
    text = parts[0]
    for part in parts[1:]:
        text += rng.choice(SEPARATORS) + part
    if rng.random() < 0.15:
        text = rng.choice(["# c\n", "\n", " ", "\t", "\x0c", "\ufeff", "#x @ y\n", "\r\n"]) + text
    if rng.random() < 0.15:
        text += rng.choice(["\n", " ", "  # tail", ";", "\r\n", "\\", "\n# end"])
    return text


def mutate(rng: random.Random, text: str) -> str:
    """``text`` with 1-3 random character insertions, deletions, replacements or duplications."""
    chars = list(text)
    for _ in range(rng.randrange(1, 4)):
        i = rng.randrange(len(chars) + 1)
        op = rng.randrange(4)
        if op == 0 or not chars:
            chars.insert(i, rng.choice(NASTY))
        elif op == 1 and i < len(chars):
            del chars[i]
        elif op == 2 and i < len(chars):
            chars[i] = rng.choice(NASTY)
        else:
            chars[i:i] = chars[max(0, i - 3):i]
    return "".join(chars)


def random_text(rng: random.Random) -> str:
    """Up to 40 characters from a nasty alphabet, now and then any code point."""
    return "".join(rng.choice(NASTY) if rng.random() < 0.9 else chr(rng.randrange(0x20, 0x2FFFF))
                   for _ in range(rng.randrange(0, 41)))


def deep_source(rng: random.Random, scale: int = 10_000) -> str:
    """Very wide or very deep: long chains, deep brackets and unary chains, some with a mistake at the end."""
    n = rng.randrange(scale // 10, scale + 1)
    kind = rng.randrange(8)
    if kind == 0:
        text = "+".join(rng.choice(["x", "y", "2", "x*y"]) for _ in range(n))
    elif kind == 1:
        text = "f = " + "*".join(["x"] * n)
    elif kind == 2:
        depth = rng.randrange(150, 260)
        text = rng.choice(["(", "exp(", "["]) * depth + "x" + ")" * depth
    elif kind == 3:
        text = "-" * rng.randrange(scale // 10, scale + 1) + "x"
    elif kind == 4:
        text = "**".join(["x"] * n)
    elif kind == 5:
        text = "(" + "+".join(["x"] * n) + ")"
    elif kind == 6:
        text = "q = x - y\n" + " - ".join(["q"] * n)
    else:
        text = "+".join(["x"] * n) + rng.choice([" +", " + x.y", " + 'a'", " < 1", " +\n", " + (", "+ )"])
    return text


CATEGORIES = {"grammar": grammar_source, "mutated": lambda rng: mutate(rng, grammar_source(rng)),
              "random text": random_text, "valid": valid_source}
SINGULAR_VALUES = [0.0, -1.0, 1.0, 2.5, 1e308, -1e-308]
"""Input values for the "valid" category: zeros, negatives and extremes reach every singularity."""


def python_position(source: str) -> tuple[int, int] | None:
    """Where CPython puts a syntax error (line, column) clamped into the source, or None if it parses."""
    lines = source_lines(source)
    unreadable = [i for i, c in enumerate(source) if c == "\x00" or "\ud800" <= c <= "\udfff"]
    if unreadable:  # CPython refuses these without a position
        before = source_lines(source[:unreadable[0]])
        return len(before), len(before[-1])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(source)
    except SyntaxError as exc:
        line = min(max(1, exc.lineno or 1), len(lines))
        return line, min(max(0, (exc.offset or 1) - 1), len(lines[line - 1]))
    except (RecursionError, MemoryError, ValueError):
        return None
    return None


def check_error(source: str, err: ExpressionError) -> str | None:
    """What is wrong with ``err``'s position for ``source``, or None."""
    lines = source_lines(source)
    if not 1 <= err.line <= len(lines):
        return "outside"
    text = lines[err.line - 1]
    if not (0 <= err.col <= len(text) and err.col < err.end_col <= max(len(text), err.col + 1)):
        return "outside"
    try:
        if len(err.pointer().split("\n")) != 2:
            return "outside"
    except Exception:  # noqa: BLE001
        return "outside"
    if not source.strip():
        return None
    expected = python_position(source)
    if expected is not None:
        return None if (err.line, err.col) == expected else "offset"
    if err.col >= len(text) or text[err.col].isspace():
        return "whitespace"
    return None


def check(source: str, value: float = 1.0) -> str | None:
    """None if ``source`` parses (and builds with every input at ``value``) or is refused at the right spot."""
    try:
        program = parse(source)
        program.build({name: value for name in program.inputs})
    except ExpressionError as err:
        return check_error(source, err)
    except ArithmeticError as exc:  # the engine's scalar arithmetic, not the parser
        return f"arithmetic: {type(exc).__name__}"
    except Exception as exc:  # noqa: BLE001 - counting crashes is the point
        return f"crash: {type(exc).__name__}"
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=30_000, help="inputs per run (default 30000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--deep", type=int, default=60, help="very deep or wide inputs among them (default 60)")
    ap.add_argument("--examples", type=int, default=3, help="failing inputs to show per kind")
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    counts: collections.Counter = collections.Counter()
    totals: collections.Counter = collections.Counter()
    errors = 0
    shown: dict[str, list[str]] = collections.defaultdict(list)
    start = time.perf_counter()
    names = list(CATEGORIES)
    for i in range(args.cases):
        if i < args.deep:
            category, source = "deep", deep_source(rng)
        else:
            category = names[i % len(names)]
            source = CATEGORIES[category](rng)
        totals[category] += 1
        try:
            parse(source)
        except ExpressionError:
            errors += 1
        except Exception:  # noqa: BLE001
            pass
        problem = check(source, rng.choice(SINGULAR_VALUES) if category == "valid" else 1.0)
        if problem:
            counts[(category, problem)] += 1
            if len(shown[problem]) < args.examples:
                shown[problem].append(source if len(source) < 80 else source[:60] + f"... ({len(source)} chars)")
    seconds = time.perf_counter() - start
    print(f"{args.cases} inputs in {seconds:.1f} s (seed {args.seed}), {errors} refused with ExpressionError")
    print(f"{'category':<12} {'inputs':>7}  problems")
    for category in ["deep", *names]:
        found = {p: n for (c, p), n in counts.items() if c == category}
        print(f"{category:<12} {totals[category]:>7}  " + (", ".join(f"{p}: {n}" for p, n in sorted(found.items()))
                                                           or "none"))
    kinds = collections.Counter()
    for (_, problem), n in counts.items():
        kinds[problem.split(":")[0]] += n
    print("total: " + ", ".join(f"{k} {kinds[k]}" for k in ("crash", "outside", "offset", "whitespace", "arithmetic")))
    for problem, sources in sorted(shown.items()):
        print(f"\n{problem}:")
        for s in sources:
            print(f"  {s!r}")
    return 1 if kinds["crash"] or kinds["outside"] or kinds["offset"] or kinds["whitespace"] else 0


if __name__ == "__main__":
    sys.exit(main())
