"""What the ADL LRS conformance suite (1.0.3) found, as plain HTTP checks (see docs/xapi-conformance.md)."""

import uuid

import pytest

from lms.models import Statement

from .conftest import statement

pytestmark = pytest.mark.django_db

CONSISTENT = "X-Experience-API-Consistent-Through"
OAUTH_APP = {"account": {"homePage": "http://example.com/xAPI/OAuth/Token", "name": "oauth_consumer_x75db"}}


def test_get_of_an_unknown_statement_answers_404_with_consistent_through(api):
    response = api.get("statements", {"statementId": str(uuid.uuid4())})
    assert (response.status_code, response.has_header(CONSISTENT)) == (404, True)


def test_a_refused_statements_query_still_answers_consistent_through(api):
    response = api.get("statements", {"LIMIT": "1"})
    assert (response.status_code, response.has_header(CONSISTENT)) == (400, True)


def test_posting_statements_answers_consistent_through(api):
    response = api.post("statements", statement())
    assert (response.status_code, response.has_header(CONSISTENT)) == (200, True)


def test_a_four_letter_language_tag_is_refused(api):
    body = statement(verb={"id": "http://adlnet.gov/expapi/verbs/experienced", "display": {"test": "vu"}})
    response = api.post("statements", body)
    assert (response.status_code, response.json()["message"], Statement.objects.count()) == (
        400,
        "statement.verb.display.test: the key must be an RFC 5646 language tag",
        0,
    )


def test_language_tags_of_two_three_and_five_to_eight_letters_are_accepted(api):
    display = {"fr": "vu", "tlh": "vu", "fr-FR": "vu", "zh-Hant-TW": "vu", "klingon": "vu"}
    body = statement(verb={"id": "http://adlnet.gov/expapi/verbs/experienced", "display": display})
    assert api.post("statements", body).status_code == 200


def test_an_identified_group_as_authority_is_refused(api):
    members = [OAUTH_APP, {"mbox": "mailto:bob@example.com"}]
    authority = {"objectType": "Group", "mbox": "mailto:team@example.com", "member": members}
    response = api.post("statements", statement(authority=authority))
    assert (response.status_code, response.json()["message"]) == (
        400,
        "statement.authority: an authority Group must be anonymous (no identifier)",
    )


def test_an_anonymous_group_of_two_agents_is_accepted_as_authority(api):
    authority = {"objectType": "Group", "member": [OAUTH_APP, {"mbox": "mailto:bob@example.com"}]}
    assert api.post("statements", statement(authority=authority)).status_code == 200


@pytest.mark.parametrize("attachments", [12345, "not a list", [1, 2]])
def test_attachments_that_are_not_an_array_of_objects_get_400(api, attachments):
    response = api.post("statements", statement(attachments=attachments))
    assert (response.status_code, response.json()["message"].split(":")[0]) == (
        400,
        "statement.attachments" if not isinstance(attachments, list) else "statement.attachments[0]",
    )


def test_a_statement_voided_as_in_the_suites_xapi_00018_is_read_by_voided_statement_id_only(api):
    """The exchange of the upstream suite's XAPI-00018 (``Data2.3-StatementLifecycle.js``) and its templates.

    ``statements/default.json`` is stored, then voided by ``object_statementref.json`` with the ``voided``
    verb.
    """
    actor = {"objectType": "Agent", "name": "xAPI mbox", "mbox": "mailto:xapi@adlnet.gov"}
    voided_id = str(uuid.uuid4())
    default = {
        "id": voided_id,
        "actor": actor,
        "verb": {
            "id": "http://adlnet.gov/expapi/verbs/attended",
            "display": {"en-GB": "attended", "en-US": "attended"},
        },
        "object": {"objectType": "Activity", "id": "http://www.example.com/meetings/occurances/34534"},
    }
    voiding = {
        "actor": actor,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}},
        "object": {"objectType": "StatementRef", "id": voided_id},
    }
    assert [api.post("statements", body).status_code for body in (default, voiding)] == [200, 200]
    by_voided_id = api.get("statements", {"voidedStatementId": voided_id})
    by_id = api.get("statements", {"statementId": voided_id})
    assert (by_voided_id.status_code, by_voided_id.json()["id"], by_id.status_code) == (200, voided_id, 404)
