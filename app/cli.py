"""The ``chainrule`` command: the app by default, and engine checks without a display.

``chainrule examples`` lists the built-in examples; ``chainrule --screenshot out.png
--example add-mul --step end`` renders the window headless (see app.main_window).
``chainrule grad "(x + y) * z" --at x=-2 y=5 z=-4`` prints the value and every
input's gradient (``--json`` for scripts, ``--mode forward`` to get the same
numbers by forward mode, one pass per input).
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Sequence

from app.lecture.commands import add_lecture_commands
from engine import Graph, format_number
from engine.expr import ExpressionError, parse


def _parse_assignments(pairs: Sequence[str]) -> dict[str, float]:
    values: dict[str, float] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--at takes name=value pairs, got {pair!r}")
        try:
            values[name.strip()] = float(text)
        except ValueError:
            raise ValueError(f"--at {name.strip()}: {text!r} is not a number") from None
    return values


def gradients(source: str, values: dict[str, float], mode: str = "reverse") -> tuple[float, dict[str, float]]:
    """The expression's value and d(output)/d(input) for each input, by either mode."""
    program = parse(source)
    unknown = sorted(set(values) - set(program.inputs))
    if unknown:
        raise ExpressionError(f"{', '.join(unknown)} not used by the expression "
                              f"(its inputs are {', '.join(program.inputs) or 'none'})", source)
    out = program.build(values)
    graph = Graph(out)
    if mode == "forward":
        grads = {}
        for name in program.inputs:
            tangent = graph.tangent_trace(name)[-1].tangent
            grads[name] = float(tangent)
        return float(out.data), grads
    out.backward()
    return float(out.data), {name: float(graph.find(name).grad) for name in program.inputs}


def _cmd_grad(args: argparse.Namespace) -> int:
    try:
        values = _parse_assignments(args.at or [])
        value, grads = gradients(args.expression, values, args.mode)
    except ExpressionError as exc:
        print(f"chainrule: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"chainrule: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"value": value, "grads": grads, "mode": args.mode}))
        return 0
    print(f"f = {format_number(value, args.digits)}")
    for name, g in grads.items():
        print(f"∂f/∂{name} = {format_number(g, args.digits)}")
    return 0


def _cmd_examples(args: argparse.Namespace) -> int:
    from app.examples import EXAMPLES
    width = max(len(i) for i in EXAMPLES)
    for ex in EXAMPLES.values():
        print(f"{ex.id:<{width}}  {ex.title}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chainrule", description="Chainrule: see computational graphs, backprop and optimizers at work.")
    sub = parser.add_subparsers(dest="command")
    g = sub.add_parser("grad", help="value and gradients of an expression (no display needed)")
    g.add_argument("expression", help='e.g. "(x + y) * z" or "q = x + y; f = q * z"')
    g.add_argument("--at", nargs="*", metavar="NAME=VALUE", help="input values, e.g. x=-2 y=5 z=-4")
    g.add_argument("--mode", choices=("reverse", "forward"), default="reverse",
                   help="reverse mode (one backward pass) or forward mode (one pass per input)")
    g.add_argument("--json", action="store_true", help="print {\"value\": ..., \"grads\": {...}}")
    g.add_argument("--digits", type=int, default=6, help="significant digits in text output")
    g.set_defaults(func=_cmd_grad)
    add_lecture_commands(sub)
    e = sub.add_parser("examples", help="list the built-in examples (id, then title); open one with --example ID")
    e.set_defaults(func=_cmd_examples)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``chainrule`` and ``python -m app``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv or argv[0].startswith("--") and argv[0] not in ("-h", "--help"):
        from app.main_window import run_app
        return run_app(argv)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
