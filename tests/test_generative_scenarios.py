"""engine.generative.scenarios: every preset a lesson can open builds seeded trainers that step."""
from __future__ import annotations

import pytest

from engine.generative import scenarios
from engine.generative.gan import GANConfig
from engine.generative.seq2seq import Seq2SeqConfig


@pytest.mark.parametrize("scenario_id", list(scenarios.SCENARIOS))
def test_every_scenario_builds_seeded_trainers_that_step(scenario_id):
    scenario = scenarios.get(scenario_id)
    first, again = scenario.trainers(), scenario.trainers()
    assert len(first) == len(scenario.labels) and scenario.steps > 0 and scenario.caption
    for a, b in zip(first, again):
        assert a.train_step() == b.train_step()  # same seed, same numbers


def test_the_lessons_scenarios_are_there():
    ids = set(scenarios.SCENARIOS)
    assert {"seq2seq-attention-long", "gan-ring", "gan-collapse", "rbm-bars", "dbn-bars"} <= ids
    assert scenarios.get("gan-collapse").model == "gan"
    long = scenarios.get("seq2seq-attention-long")
    assert [c.attention for c in long.configs] == ["dot", "none"]


def test_bad_scenarios_are_refused_with_a_reason():
    with pytest.raises(KeyError, match="no scenario 'x'; choose one of: seq2seq-reverse"):
        scenarios.get("x")
    with pytest.raises(ValueError, match="one label per config"):
        scenarios.Scenario("s", "S", (GANConfig(),), ("a", "b"), 1, "")
    with pytest.raises(ValueError, match="one model kind"):
        scenarios.Scenario("s", "S", (GANConfig(), Seq2SeqConfig()), ("a", "b"), 1, "")
