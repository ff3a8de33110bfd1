"""POST, PUT and GET of /xapi/statements: validation, idempotence, conflicts, limits, filters, paging."""

import json
import uuid
from datetime import datetime, timedelta

import pytest
from django.test import override_settings

from lms.models import Statement

from .conftest import Api, statement, stored_in_open_transaction

pytestmark = pytest.mark.django_db


def test_posting_a_batch_returns_the_ids_in_order(api):
    batch = [statement(), statement()]
    response = api.post("statements", batch)
    assert response.json() == [s["id"] for s in batch]


def test_a_statement_without_id_gets_one(api):
    body = statement()
    del body["id"]
    response = api.post("statements", body)
    assert Statement.objects.filter(statement_id=response.json()[0]).exists()


def test_a_batch_with_one_invalid_statement_stores_nothing(api):
    response = api.post("statements", [statement(), statement(verb={"id": "not an iri"})])
    assert (response.status_code, Statement.objects.count()) == (400, 0)


def test_a_validation_error_names_the_field_and_the_rule(api):
    response = api.post("statements", [statement(), statement(verb={"id": "nope"})])
    assert response.json()["message"].startswith("statements[1].verb.id: must be an IRI")


def test_resending_the_same_statement_is_accepted_once(api):
    body = statement()
    api.post("statements", body)
    response = api.post("statements", body)
    assert (response.status_code, Statement.objects.count()) == (200, 1)


def test_the_same_id_with_another_content_is_a_conflict(api):
    body = statement()
    api.post("statements", body)
    response = api.post("statements", {**body, "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"}})
    assert response.status_code == 409


def test_put_stores_under_the_statement_id(api):
    statement_id = str(uuid.uuid4())
    body = statement()
    del body["id"]
    response = api.put("statements", body, params={"statementId": statement_id})
    assert (response.status_code, Statement.objects.get().statement_id) == (204, uuid.UUID(statement_id))


def test_put_with_a_different_id_in_the_body_is_refused(api):
    response = api.put("statements", statement(), params={"statementId": str(uuid.uuid4())})
    assert response.status_code == 400


def test_missing_credentials_get_401_with_a_challenge(lrs_client):
    response = Api(None).post("statements", statement())
    assert (response.status_code, response["WWW-Authenticate"]) == (401, 'Basic realm="xAPI"')


def test_a_wrong_secret_gets_401(lrs_client):
    api = Api(lrs_client.key)
    response = api.post("statements", statement(), headers={"Authorization": "Basic " + "eDp5"})
    assert response.status_code == 401


def test_an_inactive_client_gets_401(lrs_client, api):
    lrs_client.active = False
    lrs_client.save()
    assert api.post("statements", statement()).status_code == 401


def test_a_read_only_client_may_not_write(reader_api):
    assert reader_api.post("statements", statement()).status_code == 403


def test_the_version_header_is_required(lrs_client):
    assert Api(lrs_client.key, version=None).get("statements").status_code == 400


def test_version_2_is_accepted_and_echoed(lrs_client):
    response = Api(lrs_client.key, version="2.0.0").get("statements")
    assert (response.status_code, response["X-Experience-API-Version"]) == (200, "2.0.0")


def test_the_authority_is_the_client(api, lrs_client):
    body = statement()
    api.post("statements", body)
    stored = api.get("statements", {"statementId": body["id"]}).json()
    assert stored["authority"]["account"]["name"] == lrs_client.key


def test_the_properties_the_lrs_sets_come_back_in_every_format_and_every_read(api, lrs_client):
    """``stored``, ``authority`` and the default ``version`` live in columns; every read puts them back."""
    body = {key: value for key, value in statement().items() if key != "version"}
    api.post("statements", {**body, "stored": "2001-01-01T00:00:00Z"})
    single = api.get("statements", {"statementId": body["id"]}).json()
    listed = api.get("statements").json()["statements"]
    canonical = api.get("statements", {"statementId": body["id"], "format": "canonical"}).json()
    ids = api.get("statements", {"statementId": body["id"], "format": "ids"}).json()
    for read in (single, listed[0], canonical, ids):
        assert read["version"] == "1.0.0"
        assert read["stored"] != "2001-01-01T00:00:00Z" and read["stored"].endswith("+00:00")
        assert read["authority"]["account"]["name"] == lrs_client.key
    assert single == listed[0]


def test_a_collectivity_client_attributes_its_statements(commune_api, commune):
    body = statement()
    commune_api.post("statements", body)
    assert Statement.objects.get().collectivity == commune


def test_a_collectivity_client_reads_only_its_statements(commune_api, other_api):
    other_api.post("statements", statement())
    commune_api.post("statements", statement())
    assert len(commune_api.get("statements").json()["statements"]) == 1


def test_a_collectivity_client_cannot_read_another_collectivitys_statement(commune_api, other_api):
    body = statement()
    other_api.post("statements", body)
    assert commune_api.get("statements", {"statementId": body["id"]}).status_code == 404


def voiding(target_id) -> dict:
    return statement(
        verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
        object={"objectType": "StatementRef", "id": target_id},
    )


def test_a_collectivity_client_cannot_void_another_collectivitys_statement(commune_api, other_api):
    target = statement()
    other_api.post("statements", target)
    response = commune_api.post("statements", [statement(), voiding(target["id"])])
    assert response.status_code == 403
    assert "void only that collectivity's statements" in response.json()["message"]
    assert other_api.get("statements", {"statementId": target["id"]}).status_code == 200
    assert Statement.objects.count() == 1  # nothing of the refused batch


def test_a_collectivity_client_cannot_void_a_platform_wide_statement(commune_api, api):
    target = statement()
    api.post("statements", target)
    assert commune_api.post("statements", voiding(target["id"])).status_code == 403
    assert api.get("statements", {"statementId": target["id"]}).status_code == 200


def test_a_collectivity_client_voids_its_own_statements(commune_api):
    target = statement()
    commune_api.post("statements", target)
    assert commune_api.post("statements", voiding(target["id"])).status_code == 200
    assert commune_api.get("statements", {"voidedStatementId": target["id"]}).status_code == 200


def test_a_platform_wide_client_voids_a_collectivitys_statement(commune_api, api):
    target = statement()
    commune_api.post("statements", target)
    assert api.post("statements", voiding(target["id"])).status_code == 200
    assert commune_api.get("statements", {"statementId": target["id"]}).status_code == 404


def test_a_void_sent_before_its_target_by_another_collectivity_cancels_nothing(
    commune_api, other_api, frameworks
):
    """Voiding an unknown id is accepted (xAPI), but it must not cancel another collectivity's statement that
    arrives later, neither for the LRS nor for the levels."""
    from competences.models import Competence
    from lms.analytics import services
    from lms.models import LearnerCompetenceLevel
    from lms.xapi import vocabulary as v

    competence = Competence.objects.get(framework__slug="crcn", code="4.2")
    target = statement(
        verb={"id": v.PASSED.id, "display": v.PASSED.display},
        result={"success": True},
        context={"extensions": {v.EXT_VALIDATED_LEVELS: [{"competence": competence.uri, "level": 3}]}},
    )
    assert commune_api.post("statements", voiding(target["id"])).status_code == 200
    assert other_api.post("statements", target).status_code == 200
    services.process_new_statements()
    assert other_api.get("statements", {"statementId": target["id"]}).status_code == 200
    assert LearnerCompetenceLevel.objects.filter(competence=competence, level=3).exists()
    services.rebuild_levels()
    assert LearnerCompetenceLevel.objects.filter(competence=competence, level=3).exists()


def test_resending_another_collectivitys_statement_is_a_conflict_that_reveals_nothing(
    commune_api, other_api, other_commune
):
    target = statement()
    other_api.post("statements", target)
    same = commune_api.post("statements", target)
    changed = commune_api.post(
        "statements", {**target, "verb": {"id": "http://adlnet.gov/expapi/verbs/failed"}}
    )
    assert (same.status_code, changed.status_code) == (409, 409)
    assert same.json()["message"] == changed.json()["message"]
    assert Statement.objects.get().collectivity == other_commune


@override_settings(LMS_LRS_MAX_BODY_SIZE=1000)
def test_a_body_over_the_limit_gets_413(api):
    assert api.post("statements", [statement() for _ in range(10)]).status_code == 413


@override_settings(LMS_LRS_MAX_BATCH=2)
def test_a_batch_over_the_limit_gets_413(api):
    assert api.post("statements", [statement() for _ in range(3)]).status_code == 413


def test_malformed_json_gets_400(api):
    assert api.post("statements", "{not json").status_code == 400


def test_duplicate_keys_get_400(api):
    body = json.dumps(statement())[:-1] + ', "timestamp": "2026-11-26T08:00:00Z"}'
    assert api.post("statements", body).status_code == 400


def test_duplicate_keys_get_400_even_beside_a_colon_written_as_an_escape(api):
    # The escaped colon adds one to the re-serialised copy, the dropped duplicate takes one away.
    body = json.dumps(statement(result={"response": "x"})).replace(
        '"response": "x"', '"response": "a\\u003ab"'
    )
    body = body[:-1] + ', "timestamp": "2026-11-26T08:00:00Z"}'
    assert api.post("statements", body).status_code == 400


def test_a_colon_written_as_an_escape_is_kept(api):
    sent = statement(result={"response": "x"})
    body = json.dumps(sent).replace('"response": "x"', '"response": "a\\u003ab"')
    api.post("statements", body)
    assert Statement.objects.get(statement_id=sent["id"]).data["result"]["response"] == "a:b"


def test_voiding_hides_the_statement_from_lists(api):
    target = statement()
    api.post("statements", target)
    api.post(
        "statements",
        statement(
            verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
            object={"objectType": "StatementRef", "id": target["id"]},
        ),
    )
    ids = [s["id"] for s in api.get("statements").json()["statements"]]
    assert target["id"] not in ids


def test_a_voided_statement_is_read_by_voided_statement_id(api):
    target = statement()
    api.post("statements", target)
    api.post(
        "statements",
        statement(
            verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
            object={"objectType": "StatementRef", "id": target["id"]},
        ),
    )
    responses = (
        api.get("statements", {"statementId": target["id"]}).status_code,
        api.get("statements", {"voidedStatementId": target["id"]}).status_code,
    )
    assert responses == (404, 200)


def test_filters_by_agent_verb_and_activity(api):
    mine = statement(actor={"mbox": "mailto:a@example.org"})
    api.post("statements", [mine, statement()])
    response = api.get(
        "statements",
        {
            "agent": json.dumps({"mbox": "mailto:a@example.org"}),
            "verb": mine["verb"]["id"],
            "activity": mine["object"]["id"],
        },
    )
    assert [s["id"] for s in response.json()["statements"]] == [mine["id"]]


def test_agent_filter_tells_apart_accounts_of_the_same_name_on_other_platforms(api):
    here = statement(actor={"account": {"homePage": "http://testserver", "name": "marie"}})
    elsewhere = statement(actor={"account": {"homePage": "https://autre.example.org", "name": "marie"}})
    api.post("statements", [here, elsewhere])
    agent = {"account": {"homePage": "https://autre.example.org", "name": "marie"}}
    response = api.get("statements", {"agent": json.dumps(agent)})
    assert [s["id"] for s in response.json()["statements"]] == [elsewhere["id"]]


def test_since_and_until_filter_on_the_time_the_lrs_stored_each_statement(api):
    """Bounds on ``stored`` (xAPI: ``since`` exclusive, ``until`` inclusive), whatever the ``timestamp``."""
    batches = [[statement(timestamp="2020-01-01T00:00:00Z")] for _ in range(3)]
    for batch, day in zip(batches, (1, 2, 3), strict=True):
        api.post("statements", batch)
        Statement.objects.filter(statement_id=batch[0]["id"]).update(stored=f"2026-03-0{day}T12:00:00+00:00")
    first, second, third = (batch[0]["id"] for batch in batches)

    def ids(**params):
        return [s["id"] for s in api.get("statements", params).json()["statements"]]

    assert ids(since="2026-03-01T12:00:00Z") == [third, second]
    assert ids(until="2026-03-02T12:00:00Z") == [second, first]
    assert ids(since="2026-03-01T00:00:00Z", until="2026-03-02T23:00:00+00:00", ascending="true") == [
        first,
        second,
    ]
    assert ids(since="2026-03-03T12:00:00Z") == []
    assert api.get("statements", {"since": "yesterday"}).status_code == 400


def test_related_activities_finds_context_activities(api):
    body = statement(context={"contextActivities": {"grouping": [{"id": "http://testserver/courses/c"}]}})
    api.post("statements", [body, statement()])
    response = api.get(
        "statements", {"activity": "http://testserver/courses/c", "related_activities": "true"}
    )
    assert [s["id"] for s in response.json()["statements"]] == [body["id"]]


def test_paging_with_more_reads_every_statement_once(api):
    batch = [statement() for _ in range(5)]
    api.post("statements", batch)
    seen, response = [], api.get("statements", {"limit": 2}).json()
    while True:
        seen += [s["id"] for s in response["statements"]]
        if not response["more"]:
            break
        response = api.http.get(response["more"], headers=api.headers()).json()
    assert sorted(seen) == sorted(s["id"] for s in batch)


def test_format_ids_keeps_only_identifiers(api):
    body = statement()
    api.post("statements", body)
    stored = api.get("statements", {"statementId": body["id"], "format": "ids"}).json()
    assert stored["object"] == {"id": body["object"]["id"]}


def test_get_answers_consistent_through(api):
    assert api.get("statements").has_header("X-Experience-API-Consistent-Through")


@pytest.mark.django_db(transaction=True)
def test_consistent_through_stays_before_a_statement_whose_transaction_is_still_open(api):
    """A client that reads ``since`` the header must not miss a statement committed after it answered."""
    from lms.xapi.queries import forget_consistent_through

    late = statement()
    with stored_in_open_transaction(late):
        forget_consistent_through()
        through = api.get("statements").headers["X-Experience-API-Consistent-Through"]
    stored = api.get("statements", {"statementId": late["id"]}).json()["stored"]
    assert datetime.fromisoformat(through) <= datetime.fromisoformat(stored)
    assert late["id"] in [s["id"] for s in api.get("statements", {"since": through}).json()["statements"]]


LONG = "http://example.org/" + "x" * 600


@pytest.mark.parametrize(
    ("overrides", "params"),
    [
        ({"verb": {"id": LONG + "/verb"}}, {"verb": LONG + "/verb"}),
        ({"object": {"id": LONG + "/activity"}}, {"activity": LONG + "/activity"}),
        (
            {"actor": {"account": {"homePage": "http://testserver", "name": "n" * 600}}},
            {"agent": json.dumps({"account": {"homePage": "http://testserver", "name": "n" * 600}})},
        ),
    ],
    ids=["verb", "activity", "agent"],
)
def test_filters_find_statements_with_identifiers_longer_than_their_columns(api, overrides, params):
    wanted = statement(**overrides)
    # The same identifier but its last character: equal in the column, which keeps the beginning only.
    near = json.loads(json.dumps(wanted).replace("x/", "y/").replace("n" * 600, "n" * 599 + "m"))
    near["id"] = str(uuid.uuid4())
    api.post("statements", [wanted, near])
    found = api.get("statements", params).json()["statements"]
    assert [s["id"] for s in found] == [wanted["id"]]


def test_unknown_parameters_get_400(api):
    assert api.get("statements", {"colour": "blue"}).status_code == 400


def test_head_answers_without_a_body(api):
    response = api.call("HEAD", "statements")
    assert (response.status_code, response.content) == (200, b"")


def test_the_alternate_request_syntax_posts_a_put(api):
    statement_id = str(uuid.uuid4())
    body = statement()
    del body["id"]
    from urllib.parse import urlencode

    form = urlencode(
        {
            "Authorization": api.headers()["Authorization"],
            "X-Experience-API-Version": "1.0.3",
            "Content-Type": "application/json",
            "statementId": statement_id,
            "content": json.dumps(body),
        }
    )
    response = api.http.post(
        "/xapi/statements?method=PUT", data=form, content_type="application/x-www-form-urlencoded"
    )
    assert (response.status_code, Statement.objects.get().statement_id) == (204, uuid.UUID(statement_id))


def test_the_alternate_request_syntax_gets_statements(api):
    body = statement()
    api.post("statements", body)
    from urllib.parse import urlencode

    form = urlencode(
        {
            "Authorization": api.headers()["Authorization"],
            "X-Experience-API-Version": "1.0.3",
            "statementId": body["id"],
        }
    )
    response = api.http.post(
        "/xapi/statements?method=GET", data=form, content_type="application/x-www-form-urlencoded"
    )
    assert (response.status_code, response.json()["id"]) == (200, body["id"])


def test_a_write_only_client_posts_but_does_not_read(db):
    from lms.models import LrsClient
    from lms.xapi.clients import create_client

    from .conftest import SECRET

    create_client("Quiz tool", key="writer", secret=SECRET, scope=LrsClient.Scope.WRITE)
    writer = Api("writer")
    assert writer.post("statements", statement()).status_code == 200
    assert writer.get("statements").status_code == 403


@override_settings(LMS_LRS_MAX_LIMIT=3)
def test_a_page_holds_at_most_the_maximum_limit_and_links_to_the_rest(api):
    api.post("statements", [statement() for _ in range(5)])
    first = api.get("statements", {"limit": 100}).json()
    assert len(first["statements"]) == 3 and first["more"]
    rest = api.http.get(first["more"], headers=api.headers()).json()
    assert len(rest["statements"]) == 2


def test_about_needs_no_credentials(db):
    response = Api(None, version=None).get("about")
    assert "1.0.3" in response.json()["version"]


def test_a_statement_referring_to_a_matching_statement_matches_the_filter(api):
    target = statement(verb={"id": "http://adlnet.gov/expapi/verbs/attempted"})
    referring = statement(
        verb={"id": "http://example.org/verbs/commented"},
        object={"objectType": "StatementRef", "id": target["id"]},
    )
    api.post("statements", [target, referring, statement()])
    response = api.get("statements", {"verb": "http://adlnet.gov/expapi/verbs/attempted"})
    assert sorted(s["id"] for s in response.json()["statements"]) == sorted([target["id"], referring["id"]])


def test_a_voiding_statement_is_found_by_the_voided_statements_filter(api):
    target = statement(verb={"id": "http://adlnet.gov/expapi/verbs/attempted"})
    voiding = statement(
        verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
        object={"objectType": "StatementRef", "id": target["id"]},
    )
    api.post("statements", [target, voiding])
    response = api.get("statements", {"verb": "http://adlnet.gov/expapi/verbs/attempted"})
    assert [s["id"] for s in response.json()["statements"]] == [voiding["id"]]


def test_a_nul_character_is_refused_with_400(api):
    body = json.dumps(statement(result={"response": "a\u0000b"}))
    assert api.post("statements", body).status_code == 400


def test_a_multipart_body_without_parts_is_refused_with_400(api):
    response = api.post("statements", b"nothing", content_type='multipart/mixed; boundary="b"')
    assert response.status_code == 400


def test_deleting_a_collectivity_keeps_its_statements_without_attribution(commune_api, commune):
    sent = statement()
    commune_api.post("statements", sent)
    commune.delete()
    assert Statement.objects.get(statement_id=sent["id"]).collectivity_id is None


def test_backslashes_tabs_and_newlines_are_stored_as_sent(api):
    name = "a\\b\tc\nd\re \\N"
    body = statement(
        actor={"name": name, "account": {"homePage": "http://testserver", "name": name}},
        object={"id": "http://testserver/activities/x\\y", "definition": {"name": {"fr-FR": name}}},
    )
    api.post("statements", body)
    row = Statement.objects.get(statement_id=body["id"])
    assert (row.actor_name, row.object_id, row.data["object"]["definition"]["name"]["fr-FR"]) == (
        name,
        "http://testserver/activities/x\\y",
        name,
    )


@pytest.mark.django_db(transaction=True)
def test_consistent_through_is_not_held_back_by_a_long_read(api):
    """A report or a dump that reads for a long time writes nothing: the header does not wait for it."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("another session reading meanwhile (psycopg, pg_stat_activity) is PostgreSQL only")

    import threading
    import time

    import psycopg

    from lms.xapi.queries import forget_consistent_through
    from tests.integration.conftest import database_url

    started = threading.Event()

    def long_read():
        with psycopg.connect(database_url()) as reader:
            started.set()
            reader.execute("SELECT pg_sleep(3)")

    reader = threading.Thread(target=long_read)
    reader.start()
    assert started.wait(10)
    time.sleep(2)
    forget_consistent_through()
    before = datetime.now().astimezone()
    through = datetime.fromisoformat(api.get("statements").headers["X-Experience-API-Consistent-Through"])
    reader.join()
    assert through > before - timedelta(seconds=1.5)
