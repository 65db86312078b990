"""A scene's ``expect``: unmet expectations are found, unknown ones refused (every built-in scene is checked
against its rendered view state in tests/test_lessons.py, which shows each scene once)."""
import pytest

from app.lecture.expect import agrees, lecturer_rules, unmet
from app.lecture.lessons import LessonError, scene_from_dict


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
