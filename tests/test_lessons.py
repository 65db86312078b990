"""Lessons: every built-in lesson loads and renders, and a broken lesson says which scene and which field."""
import copy
import json

import pytest

from app.lecture.lessons import (SCHEMA_VERSION, LessonError, builtin_lesson, builtin_lessons, lesson_from_dict,
                                 load_lesson)
from app.lecture.scenes import SceneHost
from widgets.theme import PRESENTER

GOOD = {"schema": 1, "id": "tiny", "title": "Tiny", "scenes": [
    {"view": "explorer", "title": "one", "example": "add-mul", "caption": "**hello**"},
    {"view": "explorer", "expression": "f = x * y", "values": {"x": 2, "y": [1.0, 2.0]}, "step": -1},
]}


def _broken(scene: int, **fields):
    data = copy.deepcopy(GOOD)
    data["scenes"][scene].update(fields)
    return data


def test_builtin_lessons_cover_the_seed_topics():
    lessons = builtin_lessons()
    ids = [l.id for l in lessons]
    assert len(ids) == len(set(ids))
    assert ids[:4] == ["chain-rule", "forward-vs-reverse", "matrix-derivatives", "activations"]
    assert {"initialization", "vanishing-gradients"} <= set(ids)
    for lesson in lessons:
        assert lesson.title and lesson.summary and lesson.scenes
        for scene in lesson.scenes:
            assert scene.title and scene.caption, f"{lesson.id}: every scene has a title and a caption"


def test_round_trip_through_json():
    for lesson in builtin_lessons():
        assert lesson_from_dict(json.loads(json.dumps(lesson.to_dict()))) == lesson
    assert builtin_lesson("chain-rule").to_dict()["schema"] == SCHEMA_VERSION


@pytest.mark.parametrize("data, where, message", [
    (_broken(1, view="slides"), "scene 2, field 'view'", "use one of explorer, optimizer, sequence"),
    (_broken(0, expression="x + 1"), "scene 1, field 'example'", "exactly one of"),
    (_broken(1, values={"x": 2}), "scene 2, field 'values'", "no value for y"),
    (_broken(1, values={"x": 2, "y": 1, "z": 3}), "scene 2, field 'values'", "z not used"),
    (_broken(1, values={"x": 2, "y": "three"}), "scene 2, field 'values'", "number"),
    (_broken(1, expression="f = x *"), "scene 2, field 'expression'", "syntax error"),
    (_broken(0, step=-2), "scene 1, field 'step'", "0 or more"),
    (_broken(0, step=1.5), "scene 1, field 'step'", "whole number"),
    (_broken(0, step=True), "scene 1, field 'step'", "whole number"),
    (_broken(0, captoin="typo"), "scene 1, field 'captoin'", "not a field"),
    (_broken(0, mode="sideways"), "scene 1, field 'mode'", "not a mode"),
    (_broken(0, preset="x"), "scene 1, field 'preset'", "not a field of an explorer scene"),
    ({**GOOD, "scenes": [{"view": "optimizer"}]}, "scene 1, field 'preset'", "needs a 'preset' or a 'surface'"),
    ({**GOOD, "scenes": [{"view": "optimizer", "surface": "bowl", "optimizers": ["SGD", 3]}]},
     "scene 1, field 'optimizers'", "list of optimizer names"),
    ({**GOOD, "scenes": [{"view": "sequence"}]}, "scene 1, field 'preset'", "needs a 'preset'"),
    ({**GOOD, "scenes": ["explorer"]}, "scene 1", "must be an object"),
    ({**GOOD, "scenes": []}, "field 'scenes'", "non-empty"),
    ({**GOOD, "schema": 2}, "field 'schema'", "newer Chainrule"),
    ({k: v for k, v in GOOD.items() if k != "schema"}, "field 'schema'", "missing"),
    ({**GOOD, "id": "Has Spaces"}, "field 'id'", "lower-case"),
    ({**GOOD, "title": ""}, "field 'title'", "needs a title"),
])
def test_errors_name_the_scene_and_the_field(data, where, message):
    with pytest.raises(LessonError) as err:
        lesson_from_dict(data, "my.json")
    assert str(err.value).startswith(f"my.json, {where}: ") and message in str(err.value)


def test_file_errors(tmp_path):
    path = tmp_path / "l.json"
    path.write_text(json.dumps(GOOD)[:-10], encoding="utf-8")
    with pytest.raises(LessonError, match="truncated"):
        load_lesson(path)
    path.write_text(json.dumps(GOOD), encoding="utf-8")
    assert load_lesson(path).scenes[1].values == {"x": 2, "y": [1.0, 2.0]}
    with pytest.raises(LessonError, match="built-in lessons: chain-rule"):
        builtin_lesson("nope")


def test_every_builtin_scene_renders_offscreen(qtbot):
    host = SceneHost(PRESENTER)
    qtbot.addWidget(host)
    host.resize(640, 480)
    host.show()
    for lesson in builtin_lessons():
        for number, scene in enumerate(lesson.scenes, start=1):
            host.show_scene(scene)
            assert 0 <= host.step() < host.step_count(), f"{lesson.id} scene {number}"
            image = host.picture().grab().toImage()
            assert not image.isNull() and image.width() > 0
