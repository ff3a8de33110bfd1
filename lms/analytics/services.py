"""Aggregation services: read the statement store after the watermark, write levels and snapshots."""

import uuid

import pandas as pd
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from competences.models import Competence
from lms.models import (
    AggregationState,
    Collectivity,
    CollectivitySnapshot,
    CompetenceEvidence,
    Learner,
    LearnerCompetenceLevel,
    Membership,
    Statement,
)
from lms.xapi import vocabulary as v

from . import pipeline

LEVELS_PIPELINE = "levels"
BATCH_SIZE = 20_000


def _frame(queryset, columns) -> pd.DataFrame:
    return pd.DataFrame.from_records(list(queryset.values_list(*columns)), columns=columns)


@transaction.atomic
def process_new_statements() -> set[int]:
    """Turn the statements stored after the watermark into evidence and learner levels.

    Idempotent: evidence is unique per (statement, competence) and levels only go up, so running it
    again, or from a watermark of zero, changes nothing.

    Returns:
        The ids of the collectivities whose learners' levels changed.
    """
    state, _ = AggregationState.objects.select_for_update().get_or_create(name=LEVELS_PIPELINE)
    upper = Statement.objects.aggregate(top=Max("seq"))["top"] or 0
    touched_actors: set[str] = set()
    start = state.watermark
    while start < upper:
        end = min(start + BATCH_SIZE, upper)
        statements = _frame(
            Statement.objects.filter(seq__gt=start, seq__lte=end, verb=v.PASSED.id, voided=False),
            ["statement_id", "actor_name", "verb", "timestamp", "data"],
        )
        touched_actors |= _absorb(statements)
        start = end
    state.watermark = upper
    state.save(update_fields=["watermark", "updated_at"])
    if not touched_actors:
        return set()
    # Statements posted to the LRS by other tools may name actors that are not Tremplin learners (not UUIDs).
    learner_actors = [actor for actor in touched_actors if _is_uuid(actor)]
    return set(
        Membership.objects.filter(
            user__lms_learner__actor_name__in=learner_actors, role__in=Membership.LEARNER_ROLES
        ).values_list("collectivity_id", flat=True)
    )


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _absorb(statements: pd.DataFrame) -> set[str]:
    if statements.empty:
        return set()
    evidence = pipeline.extract_evidence(statements)
    if evidence.empty:
        return set()
    competence_ids = dict(
        Competence.objects.filter(uri__in=evidence["competence_uri"].unique().tolist()).values_list(
            "uri", "pk"
        )
    )
    evidence = evidence.assign(competence_id=evidence["competence_uri"].map(competence_ids)).dropna(
        subset=["competence_id"]
    )
    evidence["competence_id"] = evidence["competence_id"].astype(int)
    CompetenceEvidence.objects.bulk_create(
        [
            CompetenceEvidence(
                statement_id=row.statement_id,
                actor_name=row.actor_name,
                competence_id=row.competence_id,
                level=row.level,
                occurred_at=row.occurred_at,
            )
            for row in evidence.itertuples(index=False)
        ],
        ignore_conflicts=True,
    )
    candidates = pipeline.highest_levels(evidence)
    actors = candidates["actor_name"].unique().tolist()
    current = _frame(LearnerCompetenceLevel.objects.filter(actor_name__in=actors), pipeline.LEVEL_COLUMNS)
    updates = pipeline.levels_to_update(current, candidates)
    LearnerCompetenceLevel.objects.bulk_create(
        [LearnerCompetenceLevel(**record) for record in updates.to_dict("records")],
        update_conflicts=True,
        unique_fields=["actor_name", "competence"],
        update_fields=["level", "reached_at"],
    )
    return set(updates["actor_name"])


def collectivity_learners(collectivity_id: int) -> list[str]:
    """Return the pseudonymous actor names of the agents and élus of a collectivity."""
    return [
        str(name)
        for name in Learner.objects.filter(
            user__lms_memberships__collectivity_id=collectivity_id,
            user__lms_memberships__role__in=Membership.LEARNER_ROLES,
        )
        .values_list("actor_name", flat=True)
        .distinct()
    ]


@transaction.atomic
def rebuild_snapshot(collectivity_id: int) -> CollectivitySnapshot:
    """Recompute the level-distribution snapshot of one collectivity from the learner levels."""
    state = AggregationState.objects.filter(name=LEVELS_PIPELINE).first()
    learners = collectivity_learners(collectivity_id)
    levels = _frame(
        LearnerCompetenceLevel.objects.filter(actor_name__in=learners), ["competence_id", "level"]
    )
    competence_ids = list(Competence.objects.values_list("pk", flat=True))
    snapshot, _ = CollectivitySnapshot.objects.update_or_create(
        collectivity_id=collectivity_id,
        kind=CollectivitySnapshot.Kind.LEVEL_DISTRIBUTION,
        defaults={
            "computed_at": timezone.now(),
            "watermark": state.watermark if state else 0,
            "data": {
                "learners": len(learners),
                "competences": pipeline.level_distribution(levels, len(learners), competence_ids),
            },
        },
    )
    return snapshot


def collectivities_to_refresh(touched: set[int]) -> set[int]:
    """Add to ``touched`` the collectivities that have no snapshot yet."""
    missing = Collectivity.objects.exclude(
        snapshots__kind=CollectivitySnapshot.Kind.LEVEL_DISTRIBUTION
    ).values_list("pk", flat=True)
    return set(touched) | set(missing)
