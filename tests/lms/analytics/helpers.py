"""Write statements straight into the store, as the LRS or an import would; write snapshots by hand."""

import uuid
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from lms.analytics import rules
from lms.models import CollectivitySnapshot, Statement
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


def store_rows(rows) -> None:
    """Insert statement rows and flag the targets of their voids, as the LRS's store does."""
    Statement.objects.bulk_create(rows)
    targets = [row.ref_id for row in rows if row.verb == rules.VOIDED]
    if targets:
        Statement.objects.filter(statement_id__in=targets).exclude(verb=rules.VOIDED).update(voided=True)


def day(n: int) -> datetime:
    return EPOCH + timedelta(days=n)


def write_snapshot(
    collectivity, *, months, competences, areas, groups, job_profiles=(), services=(), courses=(), version=3
):
    """A collectivity's snapshot written in the documented format (docs/analytics.md § 4), computed now."""
    return CollectivitySnapshot.objects.create(
        collectivity=collectivity,
        kind=CollectivitySnapshot.Kind.FIGURES,
        computed_at=timezone.now(),
        watermark=0,
        data={
            "version": version,
            "months": [str(month) for month in months],
            "competences": list(competences),
            "areas": list(areas),
            "job_profiles": list(job_profiles),
            "courses": list(courses),
            "services": list(services),
            "groups": groups,
        },
    )
