import uuid

import pytest
from django.utils import timezone

from lms.models import Statement
from lms.xapi import vocabulary as v
from lms.xapi.builders import ActivityRef, build_statement
from lms.xapi.storage import StatementConflict, StatementError, get_store

pytestmark = pytest.mark.django_db


def _statement(**overrides):
    statement = build_statement(
        actor_name=uuid.uuid4(),
        verb=v.EXPERIENCED,
        activity=ActivityRef(id="http://testserver/xapi/activities/a", name="Leçon", type=v.LESSON),
        timestamp=timezone.now(),
    )
    statement.update(overrides)
    return statement


def test_resending_the_same_statement_stores_it_once():
    statement = _statement()
    get_store().store([statement])
    get_store().store([statement])
    assert Statement.objects.count() == 1


def test_same_id_with_another_content_is_a_conflict():
    statement = _statement()
    get_store().store([statement])
    with pytest.raises(StatementConflict):
        get_store().store([{**statement, "verb": {"id": v.COMPLETED.id}}])


def test_a_batch_with_one_bad_statement_stores_nothing():
    with pytest.raises(StatementError, match=r"statements\[1\]\.id"):
        get_store().store([_statement(), _statement(id="not-a-uuid")])
    assert not Statement.objects.exists()


def test_stored_statements_keep_their_filter_columns():
    statement = _statement()
    get_store().store([statement])
    row = Statement.objects.get()
    assert (row.actor_name, row.verb, row.object_id) == (
        statement["actor"]["account"]["name"],
        v.EXPERIENCED.id,
        "http://testserver/xapi/activities/a",
    )
    assert row.statement["stored"] and row.data["version"] == "1.0.3"


def test_the_properties_the_lrs_sets_live_in_columns_and_come_back_when_read():
    """``stored``, ``authority`` and the default ``version`` are not repeated in every row's JSON."""
    statement = _statement()
    del statement["version"]
    authority = {"objectType": "Agent", "account": {"homePage": "https://lrs.example.fr", "name": "client"}}
    get_store().store([{**statement, "stored": "2001-01-01T00:00:00Z"}], authority=authority)
    row = Statement.objects.get()
    assert not {"stored", "authority", "version"} & row.data.keys()
    full = row.statement
    assert full["authority"] == authority
    assert full["stored"] == row.stored.isoformat(timespec="microseconds") != "2001-01-01T00:00:00Z"
    assert full["version"] == "1.0.0"
    assert {key: full[key] for key in statement} == {**statement, "id": statement["id"].lower()}


def test_rows_stored_with_these_properties_in_their_json_read_the_same():
    """Rows written before migration 0014 hold them in ``data``, with an empty ``authority`` column."""
    statement = _statement()
    get_store().store([statement])
    row = Statement.objects.get()
    before = row.statement
    Statement.objects.update(data=before, authority="")
    assert Statement.objects.get().statement == before


def test_actor_keys_and_activity_ids_are_compared_byte_by_byte_on_postgresql():
    """Identifiers skip the locale's collation (migration 0013): index inserts and analytics sorts cost less.

    Equality is unchanged: an actor stored under a key is found by it, and mixed case stays distinct.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite compares bytes already")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name, collation_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND column_name IN ('actor_name', 'object_id') "
            "AND table_name LIKE 'lms\\_%%' AND data_type = 'character varying'"
        )
        collations = {(table, column): collation for table, column, collation in cursor.fetchall()}
    assert collations == {
        ("lms_statement", "actor_name"): "C",
        ("lms_statement", "object_id"): "C",
        ("lms_competenceevidence", "actor_name"): "C",
        ("lms_learnerlevelhistory", "actor_name"): "C",
        ("lms_learnercompetencelevel", "actor_name"): "C",
        ("lms_erasedmember", "actor_name"): "C",
    }
    lower = _statement(actor={"objectType": "Agent", "account": {"homePage": "http://x", "name": "élise"}})
    upper = _statement(actor={"objectType": "Agent", "account": {"homePage": "http://x", "name": "Élise"}})
    get_store().store([lower, upper])
    assert Statement.objects.filter(actor_name="élise").count() == 1
    assert list(
        Statement.objects.filter(actor_name__in=["Élise"]).values_list("statement_id", flat=True)
    ) == [uuid.UUID(upper["id"])]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_batch_is_one_copy_and_a_resent_or_conflicting_one_still_behaves():
    """Outside a transaction (as the LRS stores) a batch without voiding goes in as one COPY, committed at
    once; a batch with a known id goes through the lookup: copies stored once, a conflict stores none."""
    import psycopg
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the single-COPY path is PostgreSQL's")
    first, second = _statement(), _statement()
    get_store().store([first])
    settings = connection.settings_dict
    with psycopg.connect(
        dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"], port=settings["PORT"]
    ) as other:  # committed: another connection sees it
        (count,) = other.execute(
            "SELECT count(*) FROM lms_statement WHERE statement_id = %s", [first["id"]]
        ).fetchone()
    assert count == 1
    assert get_store().store([first, second]) == [first["id"], second["id"]]
    assert Statement.objects.count() == 2
    third = _statement()
    with pytest.raises(StatementConflict):
        get_store().store([third, {**first, "verb": {"id": v.COMPLETED.id}}])
    assert not Statement.objects.filter(statement_id=third["id"]).exists()


def test_every_column_keeps_backslashes_tabs_and_newlines_through_copy():
    """COPY's text format escapes them: the authority, the verb, the related columns, the actor's keys."""
    odd = "x\\y\tz\nw\r\\N"
    statement = _statement(
        verb={"id": "http://testserver/verbs/a\\b"},
        actor={"objectType": "Agent", "account": {"homePage": "http://testserver", "name": odd}},
        context={"contextActivities": {"grouping": [{"id": "http://testserver/activities/g\\h"}]}},
    )
    authority = {
        "objectType": "Agent",
        "name": odd,
        "account": {"homePage": "http://testserver", "name": "c"},
    }
    get_store().store([statement], authority=authority)
    row = Statement.objects.get()
    assert (row.actor_name, row.verb, row.statement["authority"]) == (
        odd,
        "http://testserver/verbs/a\\b",
        authority,
    )
    assert row.agent_ifi == f"account:http://testserver|{odd}"
    assert "\nhttp://testserver/activities/g\\h\n" in row.related_activities
    assert f"\naccount:http://testserver|{odd}\n" in row.related_agents
