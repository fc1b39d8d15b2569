"""The xAPI statement checks: the spec's own examples pass, each broken rule is named."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.xapi.model import parse_duration, validate_batch
from tests.xapi_world import statement

#: The xAPI 1.0.3 spec's "simple statement" and a completion with a result (Part 2,
#: examples), account actor instead of mbox.
SPEC_SIMPLE = {
    "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
    "timestamp": "2015-11-18T12:17:00+00:00",
    "actor": {"objectType": "Agent", "name": "Project Tin Can API", "mbox": "mailto:user@example.com"},
    "verb": {"id": "http://example.com/xapi/verbs#sent-a-statement", "display": {"en-US": "sent"}},
    "object": {
        "id": "http://example.com/xapi/activity/simplestatement",
        "definition": {"name": {"en-US": "simple statement"},
                       "description": {"en-US": "A simple Experience API statement."}},
    },
}  # fmt: skip
SPEC_COMPLETED = {
    "actor": {"name": "Sally Glider", "mbox": "mailto:sally@example.com"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
    "object": {"id": "http://example.com/activities/hang-gliding-class-a",
               "definition": {"type": "http://adlnet.gov/expapi/activities/course"}},
    "result": {"completion": True, "success": True, "score": {"scaled": 0.95},
               "duration": "PT8H0M0S"},
    "context": {"registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7"},
    "timestamp": "2013-05-01T13:00:00+00:00",
}  # fmt: skip


def test_the_spec_examples_are_valid() -> None:
    statements, problems = validate_batch([SPEC_SIMPLE, SPEC_COMPLETED])
    assert problems == []
    assert statements[1].result.minutes() == 480
    assert statements[1].result.score.percent() == pytest.approx(95)
    assert statements[1].registration == "ec531277-b57b-4c15-8d91-d292c5b2b8f7"


@pytest.mark.parametrize(
    ("change", "field", "rule"),
    [
        ({"actor": {"name": "nobody"}}, "actor", "exactly one identifier"),
        ({"actor": {"mbox": "mailto:a@b.cn", "openid": "http://x.cn/a"}}, "actor", "exactly one"),
        ({"actor": {"mbox": "a@b.cn"}}, "actor.mbox", "mailto:"),
        ({"verb": {"id": "completed"}}, "verb.id", "IRI"),
        ({"object": {"id": "course 1"}}, "object.id", "IRI"),
        ({"id": "not-a-uuid"}, "id", "UUID"),
        ({"timestamp": "01/03/2026 09:00"}, "timestamp", "ISO 8601"),
        ({"timestamp": "2026-03-01T09:00:00"}, "timestamp", "time zone"),
        ({"result": {"duration": "45 minutes"}}, "result.duration", "ISO 8601 duration"),
        ({"result": {"score": {"scaled": 1.5}}}, "result.score.scaled", "less than or equal"),
        ({"result": {"score": {"raw": 120, "min": 0, "max": 100}}}, "result.score", "exceed max"),
        ({"context": {"registration": "r1"}}, "context.registration", "UUID"),
        ({"mood": "happy"}, "mood", "not a property"),
        ({"verb": {"id": "http://adlnet.gov/expapi/verbs/voided"}}, "(statement)", "StatementRef"),
        ({"object": {"objectType": "Planet", "id": "http://x.cn"}}, "object", "objectType"),
    ],
)
def test_each_broken_rule_is_named(change: dict, field: str, rule: str) -> None:
    bad = {**statement("completed"), **change}
    _, problems = validate_batch([statement("registered"), bad])
    assert problems, "the broken statement was accepted"
    assert {p[0] for p in problems} == {1}  # the index of the broken one only
    assert any(p[1] == field and rule in p[3] for p in problems), problems


def test_a_batch_with_the_same_id_twice_names_both() -> None:
    a = statement("registered")
    b = {**statement("completed"), "id": a["id"]}
    _, problems = validate_batch([a, b])
    assert [(p[0], p[1]) for p in problems] == [(0, "id"), (1, "id")]


def test_non_objects_are_problems_not_crashes() -> None:
    _, problems = validate_batch([statement("registered"), 5, None, "x"])
    assert [p[0] for p in problems] == [1, 2, 3]


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("PT45M", 45), ("PT1H30M", 90), ("PT90S", 1.5), ("P1D", 1440), ("PT0.5H", 30),
     ("P1DT2H", 1560)],
)  # fmt: skip
def test_durations(text: str, minutes: float) -> None:
    assert parse_duration(text) == pytest.approx(minutes)


@pytest.mark.parametrize("text", ["PT", "P", "45M", "PT-5M", "PTM", "P1H"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="ISO 8601 duration"):
        parse_duration(text)


@settings(max_examples=150, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=4),
                    max_leaves=12))  # fmt: skip
def test_any_json_is_checked_without_crashing(value: object) -> None:
    statements, problems = validate_batch([value, statement("registered")])
    assert len(statements) + len({p[0] for p in problems}) >= 1
    assert all(p[0] in (0, 1) for p in problems)
