"""Lessons: an ordered list of scenes in a versioned JSON schema, loaded and validated.

A lesson file looks like::

    {"schema": 1, "id": "chain-rule", "title": "Computational graphs and the chain rule",
     "summary": "...",
     "scenes": [{"view": "explorer", "title": "f = (x + y) z", "example": "add-mul",
                 "step": 4, "caption": "**Forward**: ..."}]}

Every mistake is reported with the scene number (1-based, as a lecturer counts
slides) and the field, so a hand-edited lesson can be fixed without guessing.
No Qt here: the ``chainrule lessons`` command and tests use it without a display.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

from app.explorer_model import MODES

SCHEMA_VERSION = 1
VIEWS = ("explorer", "optimizer", "sequence")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")

_COMMON = {"view", "title", "caption", "notes", "step"}
_VIEW_FIELDS = {
    "explorer": _COMMON | {"example", "expression", "values", "mode"},
    "optimizer": _COMMON | {"preset", "surface", "optimizers"},
    "sequence": _COMMON | {"preset"},
}


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

    ``step`` is a step index into the view's animation, or -1 for its last step.
    """

    view: str
    title: str = ""
    caption: str = ""
    notes: str = ""
    step: int = 0
    example: str | None = None
    expression: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    mode: str = "reverse"
    preset: str | None = None
    surface: str | None = None
    optimizers: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, leaving out fields at their defaults so files stay short."""
        defaults = Scene(view=self.view)
        out: dict[str, Any] = {"view": self.view}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name != "view" and value != getattr(defaults, f.name):
                out[f.name] = value
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


def _is_numeric(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, list) and bool(value) and all(_is_numeric(v) for v in value)


def scene_from_dict(data: Any, index: int, source: str = "") -> Scene:
    """Validate one scene's JSON object and build it; ``index`` is 0-based."""
    where = {"source": source, "scene": index}
    if not isinstance(data, dict):
        raise LessonError(f"a scene must be an object {{...}}, got {type(data).__name__}", **where)
    view = data.get("view")
    if view not in VIEWS:
        raise LessonError(f"{json.dumps(view)} is not a view; use one of {', '.join(VIEWS)}",
                          field_name="view", **where)
    unknown = sorted(set(data) - _VIEW_FIELDS[view])
    if unknown:
        raise LessonError(f"not a field of an {view} scene (allowed: {', '.join(sorted(_VIEW_FIELDS[view]))})",
                          field_name=unknown[0], **where)
    for name in ("title", "caption", "notes", "example", "expression", "preset", "surface"):
        if name in data:
            _expect(data[name], str, "text", name=name, **where)
    step = _expect(data.get("step", 0), int, "a whole number (-1 for the last step)", name="step", **where)
    if step < -1:
        raise LessonError("must be 0 or more, or -1 for the last step", field_name="step", **where)
    scene = Scene(view=view, title=data.get("title", ""), caption=data.get("caption", ""),
                  notes=data.get("notes", ""), step=step)
    if view == "explorer":
        if ("example" in data) == ("expression" in data):
            raise LessonError("give exactly one of 'example' (a built-in id) or 'expression'",
                              field_name="example" if "example" in data else "expression", **where)
        values = _expect(data.get("values", {}), dict, "an object of name: number", name="values", **where)
        if values and "expression" not in data:
            raise LessonError("values go with an 'expression', not an 'example'", field_name="values", **where)
        for key, v in values.items():
            if not _is_numeric(v):
                raise LessonError(f"{key} must be a number or a (nested) list of numbers, got {json.dumps(v)}",
                                  field_name="values", **where)
        if "expression" in data:
            _check_expression(data["expression"], values, where)
        mode = data.get("mode", "reverse")
        if mode not in MODES:
            raise LessonError(f"{json.dumps(mode)} is not a mode; use {' or '.join(MODES)}",
                              field_name="mode", **where)
        scene.example, scene.expression, scene.values, scene.mode = (
            data.get("example"), data.get("expression"), dict(values), mode)
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
            raise LessonError("a sequence scene needs a 'preset'", field_name="preset", **where)
        scene.preset = data["preset"]
    return scene


def _check_expression(source_text: str, values: dict[str, Any], where: dict[str, Any]) -> None:
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


def parse_json(text: str, source: str) -> Any:
    """Decode JSON text, turning a syntax error into a message that says where and why."""
    if not text.strip():
        raise LessonError("the file is empty", source=source)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        cut = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        hint = " (the file looks truncated)" if cut else ""
        raise LessonError(f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}{hint}",
                          source=source) from None


def read_text(path: Path) -> str:
    """A file's UTF-8 text, or a LessonError naming the file (missing, unreadable, binary)."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LessonError("no such file", source=str(path)) from None
    except UnicodeDecodeError:
        raise LessonError("not a text file (garbled or binary content)", source=str(path)) from None
    except OSError as exc:
        raise LessonError(f"cannot read: {exc.strerror}", source=str(path)) from None


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
