"""The ``chainrule`` command: one parser for the app's options and for the headless subcommands.

Without a subcommand it starts the app (``--example``, ``--mode``, ``--theme``) or renders it
headless (``--screenshot FILE.png --step N|end --size WxH``), after checking that Qt can start
here (app.platform_check).  ``chainrule grad "(x + y) * z" --at x=-2 y=5 z=-4`` prints the value
and every input's gradient, with a note where one is inf or nan (engine.diagnostics);
``--json`` prints strict JSON (inf and nan as the strings "inf", "-inf", "nan").
``examples``, ``lessons`` and ``export`` list and render the built-in material.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass, field
from typing import Sequence

from viewmodel.timeline import MODES
from app.lecture.commands import add_lecture_commands
from app.output_path import unwritable
from engine import Graph, format_number
from engine.diagnostics import gradient_notes, tangent_notes, value_notes
from engine.expr import ExpressionError, parse
from widgets.theme import THEMES

EXAMPLES = """\
examples:
  chainrule --example sigmoid-neuron --theme dark     open the app on a built-in example
  chainrule --screenshot out.png --example add-mul --step end --size 1024x768
                                                      render the window to a PNG, no display needed
  chainrule grad "(x + y) * z" --at x=-2 y=5 z=-4     value and gradients of an expression
  chainrule examples                                  list the built-in examples
  chainrule lessons                                   list the built-in lessons
  chainrule export chain-rule --scene 3 --out s3.mp4  render a lesson scene to PNG/SVG/GIF/MP4

`chainrule COMMAND --help` shows a command's options."""

GRAD_EXAMPLES = """\
examples:
  chainrule grad "(x + y) * z" --at x=-2 y=5 z=-4
  chainrule grad "q = x + y; f = q * z" --at x=-2 y=5 z=-4 --json --mode forward
  chainrule grad "1/x" --at x=0          # f = inf   (note: 1/x at x = 0 divides by zero)

A value or gradient that is inf or nan gets a note naming the operation where it began.
--json prints strict JSON: {"value": ..., "grads": {...}, "mode": ..., "notes": [...]},
with inf and nan as the strings "inf", "-inf" and "nan", and each note as
{"about": "value" or an input's name, "text": ...}."""


def _size(text: str) -> tuple[int, int]:
    w, sep, h = text.lower().partition("x")
    if not sep or not w.isdigit() or not h.isdigit() or int(w) < 200 or int(h) < 150:
        raise argparse.ArgumentTypeError(f"--size takes WIDTHxHEIGHT, at least 200x150, got {text!r}")
    return int(w), int(h)


def _step(text: str) -> int | str:
    if text == "end" or text.isdigit():
        return text if text == "end" else int(text)
    raise argparse.ArgumentTypeError(f"--step takes a step number (0, 1, ...) or 'end', got {text!r}")


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


@dataclass
class Gradients:
    """An expression's value and d(output)/d(input) per input, with notes where they are not finite."""

    value: float
    grads: dict[str, float]
    value_note: str | None = None
    grad_notes: dict[str, str] = field(default_factory=dict)
    """Input name → why its gradient is inf or nan (only for those that are)."""


def gradients(source: str, values: dict[str, float], mode: str = "reverse") -> Gradients:
    """The expression's value and every input's gradient, by reverse or forward mode."""
    program = parse(source)
    unknown = sorted(set(values) - set(program.inputs))
    if unknown:
        raise ExpressionError(f"{', '.join(unknown)} not used by the expression "
                              f"(its inputs are {', '.join(program.inputs) or 'none'})", source)
    out = program.build(values)
    graph = Graph(out)
    value = float(out.data)
    result = Gradients(value, {})
    if not math.isfinite(value):
        result.value_note = next((n.text for n in value_notes(graph)), None)
    if mode == "forward":
        for name in program.inputs:
            steps = graph.tangent_trace(name)
            result.grads[name] = float(steps[-1].tangent)
            if not math.isfinite(result.grads[name]):
                note = next((n.text for n in tangent_notes(graph, steps, name)), result.value_note)
                if note:
                    result.grad_notes[name] = note
        return result
    notes = gradient_notes(graph, graph.backward_trace())
    leaves = {n.name: n for n in graph.nodes if n.prim is None}
    for name in program.inputs:
        result.grads[name] = float(leaves[name].grad)
        if not math.isfinite(result.grads[name]):
            note = next((n.text for n in notes if name in n.inputs), result.value_note)
            if note:
                result.grad_notes[name] = note
    return result


def json_number(x: float) -> float | str:
    """A float as strict JSON allows it: finite numbers as they are, inf and nan as strings."""
    if math.isfinite(x):
        return x
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


def _cmd_grad(args: argparse.Namespace) -> int:
    try:
        values = _parse_assignments(args.at or [])
        result = gradients(args.expression, values, args.mode)
    except ValueError as exc:  # ExpressionError included: its message carries the caret
        print(f"chainrule: {exc}", file=sys.stderr)
        return 2
    if args.json:
        notes = ([{"about": "value", "text": result.value_note}] if result.value_note else []) + \
            [{"about": name, "text": text} for name, text in result.grad_notes.items()]
        print(json.dumps({"value": json_number(result.value),
                          "grads": {k: json_number(v) for k, v in result.grads.items()},
                          "mode": args.mode, "notes": notes}, allow_nan=False, ensure_ascii=False))
        return 0

    def line(label: str, x: float, note: str | None) -> str:
        return f"{label} = {format_number(x, args.digits)}" + (f"   (note: {note})" if note else "")

    print(line("f", result.value, result.value_note))
    for name, g in result.grads.items():
        print(line(f"∂f/∂{name}", g, result.grad_notes.get(name)))
    return 0


def _cmd_examples(args: argparse.Namespace) -> int:
    from app.examples import EXAMPLES as BUILT_IN
    width = max(len(i) for i in BUILT_IN)
    for ex in BUILT_IN.values():
        print(f"{ex.id:<{width}}  {ex.title}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The one parser of ``chainrule``: the app's options and every subcommand, each with examples."""
    from app.examples import EXAMPLES as BUILT_IN
    parser = argparse.ArgumentParser(
        prog="chainrule", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EXAMPLES,
        description="Chainrule: see computational graphs, backprop and optimizers at work.\n"
                    "Without a command it opens the app.")
    app = parser.add_argument_group("app options (without a command)")
    app.add_argument("--example", metavar="ID", default=None,
                     help=f"open a built-in example: {', '.join(BUILT_IN)} (default add-mul)")
    app.add_argument("--mode", choices=MODES, default="reverse", help="differentiation mode to show")
    app.add_argument("--theme", choices=("system", *THEMES), default="system", help="colour theme")
    app.add_argument("--screenshot", metavar="FILE.png",
                     help="render the window to a PNG and exit (offscreen when there is no display)")
    app.add_argument("--step", type=_step, default=0, metavar="N|end", help="with --screenshot: step number or 'end'")
    app.add_argument("--size", type=_size, default=(1280, 800), metavar="WxH", help="window size, e.g. 1024x768")
    sub = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND")
    g = sub.add_parser("grad", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=GRAD_EXAMPLES,
                       help='value and gradients of an expression, no display needed '
                            '(chainrule grad "x * y" --at x=2 y=3)',
                       description="Print an expression's value and the gradient of every input.")
    g.add_argument("expression", help='e.g. "(x + y) * z" or "q = x + y; f = q * z"')
    g.add_argument("--at", nargs="*", metavar="NAME=VALUE", help="input values, e.g. x=-2 y=5 z=-4")
    g.add_argument("--mode", choices=("reverse", "forward"), default="reverse",
                   help="reverse mode (one backward pass) or forward mode (one pass per input)")
    g.add_argument("--json", action="store_true", help="print strict JSON (see below)")
    g.add_argument("--digits", type=int, default=6, help="significant digits in text output")
    g.set_defaults(func=_cmd_grad)
    e = sub.add_parser("examples", help="list the built-in examples: id, title (chainrule examples)",
                       description="List the built-in examples; open one with chainrule --example ID.",
                       epilog="example:\n  chainrule examples\n  chainrule --example sigmoid-neuron",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    e.set_defaults(func=_cmd_examples)
    add_lecture_commands(sub)
    return parser


def _run_app(args: argparse.Namespace) -> int:
    """The window (or its screenshot), once the output path and the platform are known to work."""
    from app import platform_check
    headless = args.screenshot is not None
    if headless and (problem := unwritable(args.screenshot)):
        print(f"chainrule: {problem}", file=sys.stderr)
        return 2
    if problem := platform_check.problem(headless=headless):
        print(f"chainrule: {problem}", file=sys.stderr)
        return 2
    from app.main_window import run_app
    try:
        return run_app(args)
    except OSError as exc:  # the screenshot could not be saved after all
        if not headless:
            raise
        print(f"chainrule: {exc}", file=sys.stderr)
        return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``chainrule`` and ``python -m app``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    if args.command is None:
        return _run_app(args)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
