"""Personal data rights: a person's data export, erasure with irreversible pseudonymisation, retention.

Erasure deletes the account and everything attached to it, but keeps the person's xAPI statements, evidence
and levels under a fresh random pseudonym, the same for all of them: aggregates keep their counts, and nothing
stored leads back to the person (the link between the old actor name and the account goes with the account).
"""

import csv
import io
import json
import uuid
import zipfile
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from lms.conf import lms_settings
from lms.models import (
    AggregationState,
    AssessmentAttempt,
    AuditLogEntry,
    CompetenceEvidence,
    Enrolment,
    ErasedMember,
    Learner,
    LearnerCompetenceLevel,
    LearnerLevelHistory,
    LessonProgress,
    LrsDocument,
    Membership,
    Statement,
)

from . import audit


def collect(user) -> dict:
    """Return all the data Tremplin keeps about ``user``, by section, as JSON-ready lists of dicts."""
    learner = Learner.objects.filter(user=user).first()
    actor = str(learner.actor_name) if learner else None
    profile = {
        "username": user.get_username(),
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "xapi_actor_name": actor,
        "declared_commune": str(learner.declared_commune) if learner and learner.declared_commune else "",
    }
    memberships = [
        {
            "collectivity": str(m.collectivity),
            "role": m.role,
            "mandate": m.mandate,
            "service": str(m.service) if m.service else "",
            "job_profile": str(m.job_profile) if m.job_profile else "",
            "category": m.category,
            "filiere": m.filiere,
            "statut": m.statut,
            "created_at": m.created_at,
        }
        for m in Membership.objects.filter(user=user).select_related("collectivity", "service", "job_profile")
    ]
    enrolments = Enrolment.objects.filter(user=user)
    progress = [
        {
            "kind": "enrolment",
            "course": e.course.title,
            "at": e.enrolled_at,
            "completed_at": e.completed_at,
            "detail": str(e.registration),
        }
        for e in enrolments.select_related("course")
    ]
    progress += [
        {
            "kind": "lesson",
            "course": p.enrolment.course.title,
            "at": p.first_seen_at,
            "detail": p.lesson.title,
        }
        for p in LessonProgress.objects.filter(enrolment__in=enrolments).select_related(
            "lesson", "enrolment__course"
        )
    ]
    progress += [
        {
            "kind": "assessment",
            "course": a.enrolment.course.title,
            "at": a.created_at,
            "detail": f"{a.activity_id} {a.score_raw:g}/{a.score_max:g} {'passed' if a.passed else 'failed'}",
        }
        for a in AssessmentAttempt.objects.filter(enrolment__in=enrolments).select_related(
            "enrolment__course"
        )
    ]
    evidence = [
        {
            "competence": f"{e.competence.code} {e.competence.title}",
            "level": e.level,
            "kind": e.kind,
            # The label « Mon parcours » shows next to the level, so that the page and the export agree.
            "source": e.source_label,
            "occurred_at": e.occurred_at,
            "statement_id": str(e.statement_id),
        }
        for e in CompetenceEvidence.objects.filter(actor_name=actor).select_related("competence")
    ]
    levels = [
        {
            "competence": f"{lv.competence.code} {lv.competence.title}",
            "level": lv.level,
            "reached_at": lv.reached_at,
        }
        for lv in LearnerCompetenceLevel.objects.filter(actor_name=actor).select_related("competence")
    ]
    statements = (
        [
            {
                "statement_id": str(s.statement_id),
                "verb": s.verb,
                "object": s.object_id,
                "timestamp": s.timestamp,
                "statement": s.statement,
            }
            for s in Statement.objects.filter(actor_name=actor).order_by("seq")
        ]
        if actor
        else []
    )
    return {
        "profile": [profile],
        "memberships": memberships,
        "progress": progress,
        "evidence": evidence,
        "levels": levels,
        "statements": statements,
    }


def export_json(user, *, by=None) -> bytes:
    """Return ``user``'s data as one JSON document (and record the export in the audit log)."""
    audit.record(by or user, audit.Action.EXPORTED, user, what="personal data (JSON)")
    return json.dumps(collect(user), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode()


def export_csv_zip(user, *, by=None) -> bytes:
    """Return ``user``'s data as a ZIP of CSV files, one per section (UTF-8 with BOM, ``;``-separated)."""
    audit.record(by or user, audit.Action.EXPORTED, user, what="personal data (CSV)")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for section, rows in collect(user).items():
            text = io.StringIO()
            fields = sorted({key for row in rows for key in row}) or ["empty"]
            writer = csv.DictWriter(text, fieldnames=fields, delimiter=";")
            writer.writeheader()
            for row in rows:
                writer.writerow(
                    {
                        k: json.dumps(v, cls=DjangoJSONEncoder) if isinstance(v, dict | list) else v
                        for k, v in row.items()
                    }
                )
            archive.writestr(f"{section}.csv", "\ufeff" + text.getvalue())
    return buffer.getvalue()


def pseudonymise_actor(actor_name: str) -> str:
    """Rewrite every stored trace of ``actor_name`` under one fresh random pseudonym; return the pseudonym.

    Statements (their JSON actor and the ``actor_name`` column), evidence and learner levels are re-keyed; a
    display name in a statement's actor is dropped. The old name is not kept anywhere.

    Holds the lock of the level aggregation (its ``levels`` state) while it writes, as the incremental runs
    and the nightly check do: a check that read the statements before the erasure and wrote its levels after
    it would bring back the person's evidence and levels under their name.
    """
    from lms.analytics.services import LEVELS_PIPELINE  # here, not at the top: the analytics load pandas

    with transaction.atomic():
        AggregationState.objects.select_for_update().get_or_create(name=LEVELS_PIPELINE)
        return _pseudonymise_actor(actor_name)


def _pseudonymise_actor(actor_name: str) -> str:
    pseudonym = f"erased-{uuid.uuid4()}"
    batch = []
    for statement in Statement.objects.filter(actor_name=actor_name).only("seq", "data"):
        actor = dict(statement.data.get("actor") or {})
        actor.pop("name", None)
        if "account" in actor:
            actor["account"] = {**actor["account"], "name": pseudonym}
        else:
            for ifi in ("mbox", "mbox_sha1sum", "openid"):
                actor.pop(ifi, None)
            actor["account"] = {"homePage": lms_settings.SITE_URL, "name": pseudonym}
        statement.data = {**statement.data, "actor": actor}
        statement.actor_name = pseudonym
        batch.append(statement)
    old_ifi = f"account:{lms_settings.SITE_URL}|{actor_name}"
    new_ifi = f"account:{lms_settings.SITE_URL}|{pseudonym}"
    for statement in batch:
        # The LRS's filter columns carry the actor too (agent_ifi, and related_agents one per line).
        statement.agent_ifi = new_ifi if statement.agent_ifi == old_ifi else statement.agent_ifi
        statement.related_agents = "\n".join(
            new_ifi if line == old_ifi else line for line in (statement.related_agents or "").split("\n")
        )
    Statement.objects.bulk_update(
        batch, ["data", "actor_name", "agent_ifi", "related_agents"], batch_size=500
    )
    CompetenceEvidence.objects.filter(actor_name=actor_name).update(actor_name=pseudonym)
    LearnerCompetenceLevel.objects.filter(actor_name=actor_name).update(actor_name=pseudonym)
    LearnerLevelHistory.objects.filter(actor_name=actor_name).update(actor_name=pseudonym)
    # Documents that launched activities kept for the person (state, agent profile) are theirs alone: gone.
    LrsDocument.objects.filter(agent_ifi=old_ifi).delete()
    return pseudonym


@transaction.atomic
def erase_person(user, *, by=None, reason: str = "request") -> str | None:
    """Delete ``user``'s account and pseudonymise their statements irreversibly.

    Args:
        user: the person to erase.
        by: who asked (the person themselves, an administrator, or ``None`` for the retention task).
        reason: recorded in the audit log ("request" or "retention").

    Returns:
        The pseudonym their statements now carry, or ``None`` if they had no learner identity.
    """
    learner = Learner.objects.filter(user=user).first()
    pseudonym = pseudonymise_actor(str(learner.actor_name)) if learner else None
    if pseudonym:
        # Aggregates keep counting the person where they learned, under the pseudonym only.
        ErasedMember.objects.bulk_create(
            [
                ErasedMember(actor_name=pseudonym, collectivity_id=collectivity_id, population=role)
                for collectivity_id, role in Membership.objects.filter(
                    user=user, role__in=Membership.LEARNER_ROLES
                ).values_list("collectivity_id", "role")
            ],
            ignore_conflicts=True,
        )
    label = pseudonym or f"erased-{uuid.uuid4()}"
    AuditLogEntry.objects.filter(subject=user).update(subject_label=label)
    AuditLogEntry.objects.filter(actor=user).update(actor_label=label)
    entry_by = by if by is not None and by.pk != user.pk else None
    user.delete()
    audit.record(entry_by, audit.Action.ERASED, what=f"{reason}: {label}")
    return pseudonym


def retention_days_for(user) -> int | None:
    """Return the days of inactivity after which ``user`` is erased, or ``None`` to keep them.

    The longest period of their collectivities applies (a collectivity without its own uses the platform
    default); people without memberships use the platform default.
    """
    default = lms_settings.RETENTION_DAYS
    periods = [
        m.collectivity.retention_days if m.collectivity.retention_days is not None else default
        for m in Membership.objects.filter(user=user).select_related("collectivity")
    ] or [default]
    return None if None in periods else max(periods)


def apply_retention(*, now=None) -> int:
    """Erase every account unused for longer than its retention period; return how many were erased.

    Platform administrators and staff are never erased by retention. Idempotent.
    """
    now = now or timezone.now()
    from lms.models import Collectivity

    periods = [
        d for d in Collectivity.objects.exclude(retention_days=None).values_list("retention_days", flat=True)
    ]
    if lms_settings.RETENTION_DAYS is not None:
        periods.append(lms_settings.RETENTION_DAYS)
    if not periods:
        return 0
    oldest_allowed = now - timedelta(days=min(periods))
    candidates = get_user_model().objects.filter(
        is_superuser=False, is_staff=False, date_joined__lt=oldest_allowed
    )
    candidates = candidates.exclude(last_login__gte=oldest_allowed)
    erased = 0
    for user in candidates.iterator():
        days = retention_days_for(user)
        last = user.last_login or user.date_joined
        if days is not None and last < now - timedelta(days=days):
            erase_person(user, reason="retention")
            erased += 1
    return erased


def facts() -> dict:
    """Return what the privacy page states, read from the settings and data in force (never hand-written)."""
    from django.conf import settings

    from lms.models import Collectivity

    providers = [
        {"key": key, "label": conf.get("label", key), "audience": conf.get("audience", "")}
        for key, conf in (lms_settings.OIDC_PROVIDERS or {}).items()
    ]
    return {
        "min_group_size": lms_settings.MIN_GROUP_SIZE,
        "retention_days": lms_settings.RETENTION_DAYS,
        "collectivity_retentions": list(
            Collectivity.objects.exclude(retention_days=None).values_list("name", "retention_days")
        ),
        "lockout_failures": lms_settings.LOCKOUT_FAILURES,
        "lockout_minutes": max(1, lms_settings.LOCKOUT_WINDOW // 60),
        "invitation_days": max(1, lms_settings.INVITATION_MAX_AGE // 86400),
        "public_signup": lms_settings.PUBLIC_SIGNUP,
        "providers": providers,
        "site_url": lms_settings.SITE_URL,
        "contact": lms_settings.PRIVACY_CONTACT,
        "statement_store": lms_settings.STATEMENT_STORE,
        "session_days": max(1, settings.SESSION_COOKIE_AGE // 86400),
    }
