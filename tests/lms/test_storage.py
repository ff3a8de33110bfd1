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
    assert row.data["stored"] and row.data["version"] == "1.0.3"
