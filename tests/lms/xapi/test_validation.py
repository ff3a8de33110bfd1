"""The xAPI 1.0.3 MUST rules, one broken at a time: each is refused with the field path and the rule."""

import copy

import pytest

from lms.xapi import validation
from lms.xapi.errors import ValidationError
from lms.xapi.validation import validate_statement, validate_statements

ACTIVITY = "http://example.org/activities/a"
ACCOUNT = {"homePage": "http://example.org", "name": "learner-1"}


def valid():
    return {
        "id": "f8b4c7f6-1f1c-4e7e-9b53-52e4d3c8a0b1",
        "actor": {"objectType": "Agent", "account": dict(ACCOUNT)},
        "verb": {
            "id": "http://adlnet.gov/expapi/verbs/passed",
            "display": {"fr-FR": "a réussi", "en-US": "passed"},
        },
        "object": {
            "objectType": "Activity",
            "id": ACTIVITY,
            "definition": {
                "name": {"fr-FR": "Quiz"},
                "type": "http://adlnet.gov/expapi/activities/assessment",
                "interactionType": "choice",
                "correctResponsesPattern": ["a"],
                "choices": [{"id": "a", "description": {"fr-FR": "A"}}, {"id": "b"}],
            },
        },
        "result": {
            "score": {"raw": 8, "min": 0, "max": 10, "scaled": 0.8},
            "success": True,
            "duration": "PT1M30S",
        },
        "context": {
            "registration": "0f8f6c52-5c3a-4bb1-a1b3-0f8b2e3a7c11",
            "contextActivities": {"parent": [{"id": "http://example.org/activities/p"}]},
            "platform": "Tremplin",
            "language": "fr-FR",
            "extensions": {"http://example.org/ext": {"any": "value"}},
        },
        "timestamp": "2026-11-26T08:00:00.123+01:00",
    }


def mutate(path, value):
    statement = valid()
    *parents, last = path
    target = statement
    for key in parents:
        target = target[key]
    if value is DELETE:
        del target[last]
    else:
        target[last] = value
    return statement


DELETE = object()

BROKEN = [
    (("unknown",), 1, "statement.unknown"),
    (("id",), "not-a-uuid", "statement.id"),
    (("actor",), {"objectType": "Agent", "mbox": "a@b.fr"}, "statement.actor.mbox"),
    (("actor",), {"mbox": "mailto:a@b.fr", "account": ACCOUNT}, "statement.actor"),
    (("actor",), {"objectType": "Agent"}, "statement.actor"),
    (("actor",), {"account": {"homePage": "not a url", "name": "x"}}, "statement.actor.account.homePage"),
    (("actor",), {"account": {"homePage": "http://example.org"}}, "statement.actor.account.name"),
    (("actor",), {"objectType": "Group"}, "statement.actor.member"),
    (("actor",), {"objectType": "Person", "account": ACCOUNT}, "statement.actor.objectType"),
    (("actor",), {"mbox_sha1sum": "xyz"}, "statement.actor.mbox_sha1sum"),
    (("actor", "name"), 3, "statement.actor.name"),
    (("verb", "id"), "passed", "statement.verb.id"),
    (("verb",), {"display": {"en-US": "x"}}, "statement.verb.id"),
    (("verb", "display"), {"not a tag!": "x"}, "statement.verb.display"),
    (("object", "objectType"), "Thing", "statement.object.objectType"),
    (("object", "definition", "interactionType"), "essay", "statement.object.definition.interactionType"),
    (
        ("object", "definition", "choices"),
        [{"id": "a"}, {"id": "a"}],
        "statement.object.definition.choices[1].id",
    ),
    (("object", "definition", "scale"), [{"id": "a"}], "statement.object.definition.scale"),
    (("object", "definition", "moreInfo"), "nope", "statement.object.definition.moreInfo"),
    (("object", "definition", "extensions"), {"not-an-iri": 1}, "statement.object.definition.extensions"),
    (("object",), {"objectType": "Agent", "account": ACCOUNT, "id": "x"}, "statement.object.id"),
    (("object",), {"objectType": "StatementRef", "id": "nope"}, "statement.object.id"),
    (
        ("object",),
        {"objectType": "SubStatement", "id": "f8b4c7f6-1f1c-4e7e-9b53-52e4d3c8a0b1"},
        "statement.object.id",
    ),
    (
        ("object",),
        {
            "objectType": "SubStatement",
            "actor": {"account": ACCOUNT},
            "verb": {"id": "http://example.org/v"},
            "object": {
                "objectType": "SubStatement",
                "actor": {"account": ACCOUNT},
                "verb": {"id": "http://example.org/v"},
                "object": {"id": ACTIVITY},
            },
        },
        "statement.object.object.objectType",
    ),
    (("result", "score", "scaled"), 1.5, "statement.result.score.scaled"),
    (("result", "score", "raw"), 11, "statement.result.score.raw"),
    (("result", "score", "min"), 10, "statement.result.score.min"),
    (("result", "success"), "yes", "statement.result.success"),
    (("result", "duration"), "90 seconds", "statement.result.duration"),
    (("context", "registration"), "abc", "statement.context.registration"),
    (("context", "contextActivities"), {"siblings": []}, "statement.context.contextActivities.siblings"),
    (("context", "contextActivities"), {}, "statement.context.contextActivities"),
    (("context", "instructor"), {"name": "x"}, "statement.context.instructor"),
    (("context", "team"), {"objectType": "Agent", "account": ACCOUNT}, "statement.context.team.objectType"),
    (("context", "language"), "français!", "statement.context.language"),
    (("timestamp",), "26/11/2026", "statement.timestamp"),
    (("timestamp",), "2026-11-26T08:00:00", "statement.timestamp"),
    (("timestamp",), "2026-11-26T08:00:00-00:00", "statement.timestamp"),
    (("timestamp",), "2026-02-30T08:00:00Z", "statement.timestamp"),
    (("timestamp",), "0001-01-01T00:00:00+01:00", "statement.timestamp"),
    (("timestamp",), "99991231T233000-0100", "statement.timestamp"),
    (("timestamp",), "2026-11-26T08:00:00.\u0661\u0662Z", "statement.timestamp"),
    (("result", "duration"), "P\u0661D", "statement.result.duration"),
    (("object", "definition", "interactionType"), ["choice"], "statement.object.definition.interactionType"),
    (("version",), "2.0.0", "statement.version"),
    (("attachments",), [{"usageType": "http://example.org/u"}], "statement.attachments[0].display"),
    (("actor", "account", "name"), None, "statement.actor.account.name"),
]


@pytest.mark.parametrize(
    ("path", "value", "where"), BROKEN, ids=[".".join(b[0]) + f"={b[1]!r}"[:40] for b in BROKEN]
)
def test_a_statement_breaking_a_rule_is_refused_with_its_field(path, value, where):
    with pytest.raises(ValidationError) as error:
        validate_statement(mutate(path, value))
    assert error.value.path.startswith(where)


def test_a_valid_statement_passes():
    assert validate_statement(valid())["id"] == valid()["id"]


def test_platform_is_refused_when_the_object_is_not_an_activity():
    statement = mutate(("object",), {"objectType": "Agent", "account": ACCOUNT})
    with pytest.raises(ValidationError, match="only be used when the object is an Activity"):
        validate_statement(statement)


def test_a_single_context_activity_is_turned_into_a_list():
    statement = mutate(("context", "contextActivities"), {"grouping": {"id": ACTIVITY}})
    assert validate_statement(statement)["context"]["contextActivities"]["grouping"] == [{"id": ACTIVITY}]


def test_a_voiding_statement_must_refer_to_a_statement():
    statement = mutate(("verb",), {"id": "http://adlnet.gov/expapi/verbs/voided"})
    with pytest.raises(ValidationError, match="StatementRef"):
        validate_statement(statement)


def test_an_error_in_a_batch_names_the_statement():
    batch = [valid(), mutate(("verb", "id"), "nope")]
    with pytest.raises(ValidationError) as error:
        validate_statements(batch)
    assert error.value.path == "statements[1].verb.id"


def test_timestamps_in_basic_format_and_with_many_decimals_are_accepted():
    for timestamp in ("20261126T080000Z", "2026-11-26T08:00:00.123456789+0100"):
        assert validate_statement(mutate(("timestamp",), timestamp))


def test_an_authority_group_must_have_two_agents():
    statement = copy.deepcopy(valid())
    statement["authority"] = {"objectType": "Group", "member": [{"account": ACCOUNT}]}
    with pytest.raises(ValidationError, match="exactly two"):
        validate_statement(statement)


def test_a_long_iri_is_checked_but_not_remembered():
    long_iri = "http://example.fr/" + "a" * 1000
    validate_statement(
        {
            "actor": {"mbox": "mailto:a@example.fr"},
            "verb": {"id": long_iri},
            "object": {"id": "http://example.fr/activity"},
        }
    )
    assert long_iri not in validation._valid_iris


def test_a_remembered_iri_does_not_let_another_value_through():
    statement = {
        "actor": {"mbox": "mailto:a@example.fr"},
        "verb": {"id": "http://example.fr/verb"},
        "object": {"id": "http://example.fr/activity"},
    }
    validate_statement(statement)
    with pytest.raises(ValidationError, match=r"statement\.verb\.id"):
        validate_statement({**statement, "verb": {"id": "not an iri"}})
