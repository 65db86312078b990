"""What a scene promises to have on screen (its ``expect``), checked against what the view shows.

A scene's caption says things ("∂f/∂z = q = 3", "the gates open and close"); its
``expect`` object says the same to a machine, and :func:`unmet` compares it with the
*facts* a view adapter reports about its page (``ViewAdapter.facts``: the current node,
the texts drawn at each node, the chain-rule card, the racers drawn, whether the models
were trained, ...).  Besides what a scene declares, every scene obeys the rules a
lecturer takes for granted (:func:`lecturer_rules`): no GUI instructions on a slide.
No Qt here, so the schema check in :mod:`app.lecture.lessons` can use it.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

EXPECT_KEYS: dict[str, dict[str, str]] = {
    "explorer": {
        "current": "the current node's label",
        "phase": "start, forward, backward, tangent or end",
        "card": "texts the chain-rule card shows (list)",
        "values": "node label: the value drawn at it (a number, to the digits given, or \"shown\")",
        "grads": "node label: the gradient drawn at it",
        "tangents": "node label: the tangent drawn at it",
        "sum": "text of the fan-in sum drawn at the current node",
        "scale": "true: a colour scale for the heatmaps is on the canvas",
    },
    "optimizer": {
        "racers": "the optimizers drawn (list, in any order)",
        "finished": "true: every path is drawn to its last step",
        "legend": "true: both plots have a legend naming every racer",
    },
    "sequence": {
        "trained": "true: the models shown were trained for the preset's budget",
        "gates": "gate: the smallest spread (max − min over the sequence) it must show",
        "beats": "model: the model it must score better than after training",
    },
    "training": {
        "scenario": "the training scenario shown (its id)",
        "step": "the training rounds done (fewer than asked when a NaN paused it)",
        "claim": "true: the scenario's budget was trained and its claim holds",
    },
}
"""Every key a scene's ``expect`` may hold, per view, and what it means."""

GUI_WORDS = re.compile(r"\b(press|click|tap|drag|button|toolbar)\b|[▶◀⏵⏴■↺]", re.IGNORECASE)
"""Words and symbols of a GUI instruction, which have no place on a slide."""


def check_keys(view: str, expect: Any) -> str | None:
    """Why ``expect`` is not a valid expectation object for ``view`` (None if it is)."""
    if not isinstance(expect, dict):
        return "expected an object of what must be on screen"
    allowed = EXPECT_KEYS.get(view, {})
    unknown = sorted(set(expect) - set(allowed))
    if unknown:
        return f"{unknown[0]!r} is not an expectation of the {view} view (allowed: {', '.join(allowed)})"
    return None


def _plain(text: str) -> str:
    return text.replace("−", "-")


def _number(text: str | None) -> float | None:
    try:
        return float(_plain(text or "").strip())
    except ValueError:
        return None


def _digits(expected: float) -> int:
    """Decimal places ``expected`` was written with (0.30 in a file is 0.3: one)."""
    text = repr(float(expected))
    return 0 if text.endswith(".0") else len(text.split(".")[1]) if "." in text and "e" not in text else 12


def agrees(shown: str | None, expected: Any) -> bool:
    """True when the drawn text ``shown`` says ``expected``: "shown" (drawn at all), a number
    (equal when rounded to the decimals ``expected`` gives), or text (contained)."""
    if shown is None:
        return False
    if expected == "shown":
        return True
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        value = _number(shown)
        return value is not None and round(value, _digits(expected)) == round(float(expected), _digits(expected))
    return _plain(str(expected)) in _plain(shown)


def lecturer_rules(title: str, caption: str, facts: Mapping[str, Any]) -> list[str]:
    """What every scene must obey: no GUI instruction in its title, caption or card."""
    problems = []
    for where, text in (("title", title), ("caption", caption), ("card", facts.get("card", ""))):
        found = GUI_WORDS.search(text or "")
        if found:
            problems.append(f"the {where} gives a GUI instruction ({found.group()!r}): {text[:60]!r}")
    return problems


def _meets(key: str, name: str, want: Any, facts: Mapping[str, Any]) -> bool:
    """One entry of a per-name expectation (a node's text, a gate's spread, a model's score)."""
    if key == "gates":
        spread = facts.get("gates", {}).get(name)
        return spread is not None and spread >= want
    if key == "beats":
        scores = facts.get("scores", {})
        return name in scores and want in scores and scores[name] > scores[want]
    return agrees(facts.get(key, {}).get(name), want)


def unmet(expect: Mapping[str, Any], facts: Mapping[str, Any]) -> list[str]:
    """Every expectation the facts do not meet, in words (empty: the scene shows what it says)."""
    problems = []
    for key, want in expect.items():
        have = facts.get(key)
        if key in ("values", "grads", "tangents", "gates", "beats"):
            for name, value in want.items():
                if not _meets(key, name, value, facts):
                    shown = facts.get("scores" if key == "beats" else key, {})
                    problems.append(f"{key}[{name}]: expected {value!r}, on screen {shown.get(name)!r}")
        elif key in ("card", "sum"):
            for text in ([want] if isinstance(want, str) else want):
                if not agrees(have or "", text):
                    problems.append(f"{key}: expected {text!r}, on screen {have!r}")
        elif key == "racers":
            if sorted(have or []) != sorted(want):
                problems.append(f"racers: expected {sorted(want)}, drawn {sorted(have or [])}")
        elif have != want:
            problems.append(f"{key}: expected {want!r}, on screen {have!r}")
    return problems
