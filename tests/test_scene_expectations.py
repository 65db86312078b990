"""Every built-in scene shows what its caption says: its ``expect`` holds on the rendered view state."""
import pytest

from app.lecture.expect import agrees, lecturer_rules, unmet
from app.lecture.lessons import LessonError, builtin_lessons, scene_from_dict
from app.lecture.scenes import SceneHost
from widgets.theme import PRESENTER


def test_every_builtin_scene_declares_and_shows_what_it_promises(qtbot):
    host = SceneHost(PRESENTER)
    qtbot.addWidget(host)
    host.resize(1024, 640)
    host.show()
    problems = []
    for lesson in builtin_lessons():
        for n, scene in enumerate(lesson.scenes, start=1):
            where = f"{lesson.id} scene {n} ({scene.title})"
            if not scene.expect:
                problems.append(f"{where}: declares nothing it must show")
            host.show_scene(scene)
            host.wait_ready()
            facts = host.adapter.facts()
            problems += [f"{where}: {p}" for p in unmet(scene.expect, facts)
                         + lecturer_rules(scene.title, scene.caption, facts)]
    host.shutdown()
    assert not problems, "\n".join(problems)


def test_expectations_can_fail():
    facts = {"current": "q", "grads": {"z": "3"}, "card": "∂f/∂z = 3", "gates": {"f": 0.1}, "scores": {"rnn": 0.5}}
    assert unmet({"current": "q", "grads": {"z": 3}, "card": ["∂f/∂z"]}, facts) == []
    assert len(unmet({"current": "z", "grads": {"z": 4, "x": "shown"}, "card": ["∂f/∂x"], "gates": {"f": 0.5},
                      "beats": {"lstm": "rnn"}}, facts)) == 6
    assert agrees("0.002856", 0.003) and agrees("−4", -4) and not agrees("0.2962", 0.2)
    assert lecturer_rules("Press ▶| to start", "", {}) and lecturer_rules("", "", {"card": "Click Train"})


def test_an_unknown_expectation_is_a_scene_error():
    with pytest.raises(LessonError, match="'colour' is not an expectation of the explorer view"):
        scene_from_dict({"view": "explorer", "example": "add-mul", "expect": {"colour": "red"}}, 0)
    with pytest.raises(LessonError, match="field 'until'"):
        scene_from_dict({"view": "explorer", "example": "add-mul", "step": 5, "until": 3}, 0)
