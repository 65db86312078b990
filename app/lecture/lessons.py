"""Lessons: an ordered list of scenes in a versioned JSON schema, loaded and validated.

A lesson file looks like::

    {"schema": 1, "id": "chain-rule", "title": "Computational graphs and the chain rule",
     "summary": "...",
     "scenes": [{"view": "explorer", "title": "f = (x + y) z", "example": "add-mul",
                 "step": 4, "caption": "**Forward**: ..."}]}

Every mistake is reported with the scene number (1-based, as a lecturer counts
slides) and the field, so a hand-edited lesson can be fixed without guessing.
No Qt here: the ``chainrule lessons`` command and tests use it without a display.

Files are strict JSON.  Not-a-number and the infinities, which JSON has no numbers
for, are written as the strings ``"nan"``, ``"inf"`` and ``"-inf"`` wherever a
number is saved (:data:`NON_FINITE`); any other spelling (``NaN``, ``Infinity``,
``1e999``, ``"NaN"``) is refused with the file, scene and field.  Only regular
files of at most :data:`MAX_FILE_BYTES` are read, nested at most :data:`MAX_DEPTH` deep.
"""
from __future__ import annotations

import json
import math
import os
import re
import stat
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from app.lecture.expect import check_keys
from viewmodel.timeline import MODES

SCHEMA_VERSION = 1
VIEWS = ("explorer", "optimizer", "sequence", "generative", "training")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")

_COMMON = {"view", "title", "caption", "notes", "step", "until", "expect"}
_VIEW_FIELDS = {
    "explorer": _COMMON | {"example", "expression", "values", "mode", "wrt"},
    "optimizer": _COMMON | {"preset", "surface", "optimizers"},
    "sequence": _COMMON | {"preset", "train"},
    "generative": _COMMON | {"preset"},
    "training": _COMMON | {"preset"},
}
_VIEW_STATE_FIELDS = {"explorer": {"draft"}}
"""Fields only a saved view state has (not a lesson's scene): the explorer's editor draft."""

NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
"""How a saved number that JSON cannot write is spelled: the strings "nan", "inf", "-inf"."""
_NON_FINITE_HINT = 'write not-a-number and infinity as the strings "nan", "inf" and "-inf"'
MAX_FILE_BYTES = 16 * 1024 * 1024
"""The largest lesson or .chainrule file read (a big one is a few hundred kB)."""
MAX_DEPTH = 64
"""The deepest nesting of JSON arrays and objects read (a saved file needs about ten)."""


class LessonError(ValueError):
    """A lesson that cannot be used, saying where: file, scene (1-based) and field."""

    def __init__(self, message: str, *, source: str = "", scene: int | None = None,
                 field_name: str | None = None):
        self.message = message
        self.source = source
        self.scene = scene
        self.field_name = field_name
        where = [p for p in (source, f"scene {scene + 1}" if scene is not None else "",
                             f"field '{field_name}'" if field_name else "") if p]
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


@dataclass
class Scene:
    """One thing to show: a view, its content, the step to open at and a Markdown caption.

    ``step`` is a step index into the view's animation, or -1 for its last step; the scene's
    story (what the presenter steps through and an animation export shows) runs from ``step``
    to ``until`` (-1: the animation's end).  ``expect`` says what must be on screen at ``step``
    (see :mod:`app.lecture.expect`).
    """

    view: str
    title: str = ""
    caption: str = ""
    notes: str = ""
    step: int = 0
    until: int = -1
    expect: dict[str, Any] = field(default_factory=dict)
    example: str | None = None
    expression: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    mode: str = "reverse"
    wrt: str | None = None
    """The gradient graph's input (mode "grad-graph"); None: the first input."""
    preset: str | None = None
    surface: str | None = None
    optimizers: list[str] = field(default_factory=list)
    train: bool = False
    """A sequence scene: train the preset's models (seeded, in the background) before showing them."""
    draft: str | None = None
    """A saved view state only: editor text that is not the program shown (it did not parse
    or build); restored into the editor, never used as the program."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, leaving out fields at their defaults so files stay short."""
        defaults = Scene(view=self.view)
        out: dict[str, Any] = {"view": self.view}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name != "view" and value != getattr(defaults, f.name):
                out[f.name] = encode_numbers(value) if f.name == "values" else value
        return out


@dataclass
class Lesson:
    """A titled, ordered list of scenes with an id (the built-in name or the file stem)."""

    id: str
    title: str
    scenes: list[Scene]
    summary: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, schema version first."""
        out: dict[str, Any] = {"schema": SCHEMA_VERSION, "id": self.id, "title": self.title}
        if self.summary:
            out["summary"] = self.summary
        out["scenes"] = [s.to_dict() for s in self.scenes]
        return out


def _expect(value: Any, kinds: type | tuple[type, ...], what: str, *, source: str,
            scene: int | None, name: str) -> Any:
    if isinstance(value, bool) and bool not in (kinds if isinstance(kinds, tuple) else (kinds,)):
        raise LessonError(f"expected {what}, got {json.dumps(value)}", source=source, scene=scene,
                          field_name=name)
    if not isinstance(value, kinds):
        raise LessonError(f"expected {what}, got {type(value).__name__} {json.dumps(value)[:40]}",
                          source=source, scene=scene, field_name=name)
    return value


def encode_numbers(value: Any) -> Any:
    """``value`` (a number or nested lists of numbers) with NaN and ±inf as "nan", "inf", "-inf"."""
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, (list, tuple)):
        return [encode_numbers(v) for v in value]
    if isinstance(value, dict):
        return {k: encode_numbers(v) for k, v in value.items()}
    return value


def _decode_numbers(value: Any) -> Any:
    """A saved number or non-empty rectangular nested list of numbers, "nan"/"inf"/"-inf" decoded;
    None when ``value`` is anything else (text, booleans, ragged or empty lists, ints past float range)."""
    decoded = _decode_elements(value)
    if isinstance(decoded, list):
        try:
            np.asarray(decoded, dtype=float)  # rectangular: rows of equal length at every depth
        except (ValueError, TypeError):
            return None
    return decoded


def _decode_elements(value: Any) -> Any:
    if isinstance(value, float):  # (a file's 1e999 arrives as inf: refused; "inf" is the spelling)
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return NON_FINITE.get(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if abs(value) <= 1.7976931348623157e308 else None
    if not isinstance(value, list) or not value:
        return None
    if all(type(v) is float for v in value) and all(map(math.isfinite, value)):  # the usual row, at C speed
        return value
    decoded = [_decode_elements(v) for v in value]
    return None if any(d is None for d in decoded) else decoded


def scene_from_dict(data: Any, index: int | None, source: str = "", *, view_state: bool = False) -> Scene:
    """Validate one scene's JSON object and build it; ``index`` is 0-based (None: not a lesson's scene).

    ``view_state``: a view's saved settings (a .chainrule file's ``views``), which may also hold an
    explorer ``draft``.
    """
    where = {"source": source, "scene": index}
    if not isinstance(data, dict):
        raise LessonError(f"a scene must be an object {{...}}, got {type(data).__name__}", **where)
    view = data.get("view")
    if view not in VIEWS:
        raise LessonError(f"{json.dumps(view)[:40]} is not a view; use one of {', '.join(VIEWS)}",
                          field_name="view", **where)
    allowed = _VIEW_FIELDS[view] | (_VIEW_STATE_FIELDS.get(view, set()) if view_state else set())
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise LessonError(f"not a field of an {view} {'view' if view_state else 'scene'} "
                          f"(allowed: {', '.join(sorted(allowed))})", field_name=unknown[0], **where)
    for name in ("title", "caption", "notes", "example", "expression", "preset", "surface", "wrt", "draft"):
        if name in data:
            _expect(data[name], str, "text", name=name, **where)
    step = _expect(data.get("step", 0), int, "a whole number (-1 for the last step)", name="step", **where)
    if step < -1:
        raise LessonError("must be 0 or more, or -1 for the last step", field_name="step", **where)
    until = _expect(data.get("until", -1), int, "a whole number (-1 for the last step)", name="until", **where)
    if until < -1 or (until != -1 and step != -1 and until < step):
        raise LessonError(f"must be -1 (the last step) or a step from 'step' ({step}) on", field_name="until", **where)
    expect = data.get("expect", {})
    problem = check_keys(view, expect)
    if problem:
        raise LessonError(problem, field_name="expect", **where)
    scene = Scene(view=view, title=data.get("title", ""), caption=data.get("caption", ""),
                  notes=data.get("notes", ""), step=step, until=until, expect=dict(expect))
    if view == "explorer":
        if ("example" in data) == ("expression" in data):
            raise LessonError("give exactly one of 'example' (a built-in id) or 'expression'",
                              field_name="example" if "example" in data else "expression", **where)
        values = _expect(data.get("values", {}), dict, "an object of name: number", name="values", **where)
        decoded = {}
        for key, v in values.items():
            decoded[key] = _decode_numbers(v)
            if decoded[key] is None:
                too_big = " or a number past float range such as 1e999" if "Infinity" in json.dumps(v) else ""
                raise LessonError(f"{key} must be a number or a (nested) list of numbers, got "
                                  f"{json.dumps(v)[:40]}{too_big} ({_NON_FINITE_HINT})", field_name="values", **where)
        mode = data.get("mode", "reverse")
        if mode not in MODES:
            raise LessonError(f"{json.dumps(mode)[:40]} is not a mode; use {' or '.join(MODES)}",
                              field_name="mode", **where)
        if "wrt" in data and mode != "grad-graph":
            raise LessonError("'wrt' (the input to differentiate by) goes with mode \"grad-graph\"",
                              field_name="wrt", **where)
        if "expression" in data:
            _check_expression(data["expression"], decoded, data.get("wrt"), where)
        scene.example, scene.expression, scene.values, scene.mode = (
            data.get("example"), data.get("expression"), decoded, mode)
        scene.wrt, scene.draft = data.get("wrt"), data.get("draft")
    elif view == "optimizer":
        if "preset" not in data and "surface" not in data:
            raise LessonError("an optimizer scene needs a 'preset' or a 'surface'", field_name="preset", **where)
        optimizers = _expect(data.get("optimizers", []), list, "a list of optimizer names",
                             name="optimizers", **where)
        for name in optimizers:
            _expect(name, str, "a list of optimizer names", name="optimizers", **where)
        scene.preset, scene.surface, scene.optimizers = data.get("preset"), data.get("surface"), list(optimizers)
    else:
        if "preset" not in data:
            raise LessonError(f"a {view} scene needs a 'preset'", field_name="preset", **where)
        scene.preset = data["preset"]
        scene.train = _expect(data.get("train", False), bool, "true or false", name="train", **where)
    return scene


def _check_expression(source_text: str, values: dict[str, Any], wrt: str | None, where: dict[str, Any]) -> None:
    from engine.expr import ExpressionError, parse
    try:
        program = parse(source_text)
    except ExpressionError as exc:
        raise LessonError(str(exc), field_name="expression", **where) from None
    missing = [n for n in program.inputs if n not in values]
    extra = sorted(set(values) - set(program.inputs))
    if missing:
        raise LessonError(f"no value for {', '.join(missing)}", field_name="values", **where)
    if extra:
        raise LessonError(f"{', '.join(extra)} not used by the expression", field_name="values", **where)
    if wrt is not None and wrt not in program.inputs:
        raise LessonError(f"{wrt!r} is not an input of the expression (its inputs: {', '.join(program.inputs)})",
                          field_name="wrt", **where)


def lesson_from_dict(data: Any, source: str = "") -> Lesson:
    """Validate a whole lesson (schema version, id, title, scenes) and build it."""
    if not isinstance(data, dict):
        raise LessonError(f"a lesson must be a JSON object {{...}}, got {type(data).__name__}", source=source)
    schema = data.get("schema")
    if not isinstance(schema, int) or isinstance(schema, bool):
        raise LessonError(f"missing or invalid schema version (expected \"schema\": {SCHEMA_VERSION})",
                          source=source, field_name="schema")
    if schema > SCHEMA_VERSION:
        raise LessonError(f"written for a newer Chainrule (schema {schema}); this version reads schema "
                          f"{SCHEMA_VERSION}. Update Chainrule to open it.", source=source, field_name="schema")
    if schema < 1:
        raise LessonError(f"schema {schema} does not exist", source=source, field_name="schema")
    unknown = sorted(set(data) - {"schema", "id", "title", "summary", "scenes"})
    if unknown:
        raise LessonError("not a lesson field (allowed: schema, id, title, summary, scenes)",
                          source=source, field_name=unknown[0])
    lesson_id = data.get("id")
    if not isinstance(lesson_id, str) or not _ID.match(lesson_id):
        raise LessonError("must be lower-case letters, digits and dashes, e.g. \"chain-rule\"",
                          source=source, field_name="id")
    for name in ("title", "summary"):
        if name in data and not isinstance(data[name], str):
            raise LessonError("expected text", source=source, field_name=name)
    if not data.get("title"):
        raise LessonError("a lesson needs a title", source=source, field_name="title")
    scenes = data.get("scenes")
    if not isinstance(scenes, list) or not scenes:
        raise LessonError("a lesson needs a non-empty list of scenes", source=source, field_name="scenes")
    return Lesson(id=lesson_id, title=data["title"], summary=data.get("summary", ""),
                  scenes=[scene_from_dict(s, i, source) for i, s in enumerate(scenes)])


class _Refused(str):
    """A number a file may not hold (``NaN``, ``Infinity``, ``1e999``, 5,000 digits), kept as its
    spelling with the reason while decoding, so the error can say in which scene and field it stands."""

    reason = f"is not a JSON number; {_NON_FINITE_HINT}"


class _TooLong(_Refused):
    reason = "has more digits than any number Chainrule reads"


_BRACKETS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')
"""JSON strings (skipped whole, so brackets inside text do not count) and brackets."""


def _check_depth(text: str, source: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH before decoding, so no decoder ever recurses too far."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    depth = 0
    for match in _BRACKETS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                line = text.count("\n", 0, match.start()) + 1
                raise LessonError(f"nested more than {MAX_DEPTH} levels deep (at line {line}); "
                                  "a Chainrule file needs about ten", source=source)
        elif token in "]}":
            depth -= 1


def _where_in_file(path: list[Any]) -> tuple[int | None, str]:
    """The scene (0-based, or None) and field a JSON path points at: lesson.scenes[2].values.x is
    scene 2, field 'lesson.values.x' (a lesson file's scenes[2]... the same without 'lesson.')."""
    scene = None
    for k in range(len(path) - 1):
        if path[k] == "scenes" and isinstance(path[k + 1], int):
            scene, path = path[k + 1], path[:k] + path[k + 2:]
            break
    return scene, ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in path).replace(".[", "[")


def _find_refused(data: Any, path: list[Any]) -> tuple[list[Any], _Refused] | None:
    if isinstance(data, _Refused):
        return path, data
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        found = _find_refused(value, path + [key])
        if found:
            return found
    return None


def parse_json(text: str, source: str) -> Any:
    """Decode strict JSON text, turning every problem into a message that says where and why
    (syntax, truncation, nesting past MAX_DEPTH, and numbers JSON does not have).

    A number past float range (``1e999``) decodes to inf here, which no field accepts (a scene's
    values refuse it with their own message).
    """
    if not text.strip():
        raise LessonError("the file is empty", source=source)
    _check_depth(text, source)
    refused: list[_Refused] = []

    def refuse(spelling: str, kind: type[_Refused] = _Refused) -> _Refused:
        refused.append(kind(spelling))
        return refused[-1]

    def long_int(digits: str) -> int | _Refused:
        try:
            return int(digits)
        except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
            return refuse(digits[:12] + "…", _TooLong)

    try:
        try:
            data = json.loads(text, parse_constant=refuse)
        except json.JSONDecodeError:
            raise
        except ValueError:  # an integer too long to convert: find it, one number at a time
            data = json.loads(text, parse_constant=refuse, parse_int=long_int)
    except json.JSONDecodeError as exc:
        cut = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        hint = " (the file looks truncated)" if cut else ""
        raise LessonError(f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}{hint}",
                          source=source) from None
    found = _find_refused(data, []) if refused else None
    if found:
        path, spelling = found
        scene, name = _where_in_file(path)
        raise LessonError(f"{spelling} {spelling.reason}", source=source, scene=scene, field_name=name or None)
    return data


_NOT_REGULAR = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
                (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"))


def _refuse_unless_regular(mode: int, source: str) -> None:
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _NOT_REGULAR if test(mode)), "not a regular file")
        raise LessonError(f"{kind}, not a file: only regular files are opened", source=source)


def read_text(path: Path) -> str:
    """A regular file's UTF-8 text, or a LessonError naming the file: missing, unreadable, binary,
    a folder, pipe or device (refused at once, never read or waited on), or over MAX_FILE_BYTES."""
    source = str(path)
    limit = f"the limit is {MAX_FILE_BYTES // 2**20} MB"
    try:
        _refuse_unless_regular(os.stat(path).st_mode, source)
        # O_NONBLOCK: should the path turn into a FIFO after the check, opening it cannot hang
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        try:
            info = os.fstat(fd)
            _refuse_unless_regular(info.st_mode, source)
            if info.st_size > MAX_FILE_BYTES:
                raise LessonError(f"too big to be a Chainrule file ({info.st_size / 2**20:.0f} MB; {limit})",
                                  source=source)
            with os.fdopen(os.dup(fd), "rb") as f:
                data = f.read(MAX_FILE_BYTES + 1)
        finally:
            os.close(fd)
    except FileNotFoundError:
        raise LessonError("no such file", source=source) from None
    except OSError as exc:
        raise LessonError(f"cannot read: {exc.strerror or exc}", source=source) from None
    if len(data) > MAX_FILE_BYTES:
        raise LessonError(f"too big to be a Chainrule file ({limit})", source=source)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise LessonError("not a text file (garbled or binary content)", source=source) from None


def load_lesson(path: str | Path) -> Lesson:
    """Read and validate a lesson .json file."""
    path = Path(path)
    return lesson_from_dict(parse_json(read_text(path), str(path)), str(path))


def _builtin_files() -> Iterable[Any]:
    folder = resources.files("resources") / "lessons"
    return sorted((f for f in folder.iterdir() if f.name.endswith(".json")), key=lambda f: f.name)


def builtin_lessons() -> list[Lesson]:
    """The lessons shipped with Chainrule, in teaching order."""
    return [lesson_from_dict(parse_json(f.read_text(encoding="utf-8"), f.name), f.name)
            for f in _builtin_files()]


def builtin_lesson(lesson_id: str) -> Lesson:
    """One built-in lesson by id, or a LessonError listing the ids there are."""
    lessons = builtin_lessons()
    for lesson in lessons:
        if lesson.id == lesson_id:
            return lesson
    raise LessonError(f"no built-in lesson {lesson_id!r}; built-in lessons: "
                      f"{', '.join(l.id for l in lessons)}")
