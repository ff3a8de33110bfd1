"""Write statements straight into the store, as the LRS or an import would."""

import uuid
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from lms.analytics import rules
from lms.models import Statement
from lms.xapi import vocabulary as v

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def statement(
    actor,
    verb,
    *,
    when=EPOCH,
    validated=None,
    declared=None,
    source=None,
    collectivity=None,
    object_id="http://testserver/xapi/activities/quiz",
    grouping=None,
    objectives=None,
    sid=None,
):
    context = {"extensions": {}}
    if validated is not None:
        context["extensions"][v.EXT_VALIDATED_LEVELS] = validated
    if declared is not None:
        context["extensions"][v.EXT_DECLARED_LEVELS] = declared
    if source is not None:
        context["extensions"][rules.EXT_EVIDENCE_SOURCE] = source
    if grouping:
        context.setdefault("contextActivities", {})["grouping"] = [{"id": grouping}]
    if objectives:
        context.setdefault("contextActivities", {})["other"] = [
            {"id": uri, "definition": {"type": v.OBJECTIVE.id}} for uri in objectives
        ]
    sid = sid or uuid.uuid4()
    return Statement(
        statement_id=sid,
        actor_name=str(actor),
        verb=verb,
        object_id=object_id,
        timestamp=when,
        stored=timezone.now(),
        collectivity=collectivity,
        data={"id": str(sid), "verb": {"id": verb}, "object": {"id": object_id}, "context": context},
    )


def void(actor, target_id, *, when=EPOCH):
    row = statement(actor, rules.VOIDED, when=when, object_id=str(target_id))
    row.data["object"] = {"objectType": "StatementRef", "id": str(target_id)}
    row.ref_id = target_id  # as the store sets it for every StatementRef
    return row


def day(n: int) -> datetime:
    return EPOCH + timedelta(days=n)
