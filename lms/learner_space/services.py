"""The learner's space (« Mon parcours »): courses, competence profile, gaps, history, attestations.

Reads only the learner's own rows. Validated levels come from the aggregation's level history
(:class:`~lms.models.LearnerLevelHistory`), carried over the version and crosswalk mappings
(:mod:`lms.analytics.mapping`) and shown on the current version of each framework; declared levels come
from self-assessments, kept apart.
"""

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
from django.utils.translation import get_language

from competences.models import Area, Competence, JobProfileTarget
from competences.services import superseded_frameworks
from courses.models import CourseCompetence, LessonPage
from lms.analytics.mapping import carried_from, carry_over, mapping_closure
from lms.models import (
    CompetenceEvidence,
    Enrolment,
    EvidenceKind,
    LearnerLevelHistory,
    Membership,
    SelfAssessment,
    Statement,
)
from lms.services.organisations import learner_for
from lms.xapi import vocabulary as v


@dataclass
class CourseLine:
    enrolment: Enrolment
    percent: int
    overdue: bool


def my_courses(user, *, today=None) -> dict[str, list[CourseLine]]:
    """Return the learner's ``current`` and ``completed`` courses with their progress (percent of lessons)."""
    today = today or datetime.now().date()
    enrolments = list(
        Enrolment.objects.filter(user=user).select_related("course").order_by("due_date", "-enrolled_at")
    )
    current, completed = [], []
    for enrolment in enrolments:
        lesson_ids = set(
            LessonPage.objects.descendant_of(enrolment.course).live().values_list("pk", flat=True)
        )
        seen = set(enrolment.lesson_progress.values_list("lesson_id", flat=True)) & lesson_ids
        percent = (
            100 if enrolment.completed_at else (round(100 * len(seen) / len(lesson_ids)) if lesson_ids else 0)
        )
        line = CourseLine(
            enrolment=enrolment,
            percent=percent,
            overdue=bool(enrolment.due_date and not enrolment.completed_at and enrolment.due_date < today),
        )
        (completed if enrolment.completed_at else current).append(line)
    completed.sort(key=lambda line: line.enrolment.completed_at, reverse=True)
    return {"current": current, "completed": completed}


@dataclass
class CompetenceRow:
    competence: Competence
    validated: int
    declared: int | None
    target: int | None = None
    #: When the validated level was first reached (on this competence or one mapped to it).
    reached_at: datetime | None = None
    #: Who validated it, as the learner reads it (« Pix », « une évaluation Tremplin »).
    validated_by: str | None = None


@dataclass
class AreaRows:
    area: Area
    rows: list[CompetenceRow] = field(default_factory=list)


def job_profile_of(user):
    """Return the job profile of the learner's first agent membership that has one, or ``None``."""
    membership = (
        Membership.objects.filter(user=user, job_profile__isnull=False, role__in=Membership.LEARNER_ROLES)
        .select_related("job_profile")
        .order_by("pk")
        .first()
    )
    return membership.job_profile if membership else None


def _validated_levels(actor_name: str, closure: pd.DataFrame) -> dict[int, tuple[int, datetime]]:
    """Return the learner's validated level and the date it was reached, per competence, mappings followed."""
    history = pd.DataFrame.from_records(
        list(
            LearnerLevelHistory.objects.filter(
                actor_name=actor_name, kind=EvidenceKind.VALIDATED
            ).values_list("competence_id", "level", "reached_at")
        ),
        columns=["competence_id", "level", "reached_at"],
    ).assign(actor_name=actor_name)
    history = carry_over(history, closure)
    if history.empty:
        return {}
    # The current level is the highest one reached, dated when it was first reached (as the aggregation does).
    current = history.sort_values("level").drop_duplicates("competence_id", keep="last")
    return {
        int(competence_id): (int(level), reached_at.to_pydatetime())
        for competence_id, level, reached_at in current[["competence_id", "level", "reached_at"]].itertuples(
            index=False
        )
    }


def _validating_sources(
    actor_name: str, reach: dict[int, list[int]], validated: dict[int, tuple[int, datetime]]
) -> dict[int, str]:
    """Return, per competence, the source of the evidence that first reached its current validated level.

    That evidence is the earliest one of at least that level, on the competence or on one the mappings carry
    to it: the one that dates the level (``reached_at``).
    """
    wanted = {competence_id: level for competence_id, (level, _) in validated.items() if level > 0}
    if not wanted:
        return {}
    found: dict[int, str] = {}
    for evidence in (
        CompetenceEvidence.objects.filter(actor_name=actor_name, kind=EvidenceKind.VALIDATED, level__gt=0)
        .only("competence_id", "level", "source", "occurred_at")
        .order_by("occurred_at", "pk")
    ):
        for reached in [evidence.competence_id, *reach.get(evidence.competence_id, [])]:
            level = wanted.get(reached)
            if level and reached not in found and evidence.level >= level:
                found[reached] = evidence.source_label
    return found


def competence_profile(user) -> list[AreaRows]:
    """Return, by domain, the validated and declared level of each competence the learner has a trace of.

    A competence appears when it has a validated level, a declared level or a job-profile target. A
    validated level says who validated it (a Tremplin assessment, or an imported result such as Pix).
    The declared level is the latest self-assessment answer. Levels, declared levels and targets follow
    the version and crosswalk mappings (a level validated on CRCN 2019 4.2 shows on its successor in the
    new version, with its original date); a framework replaced by a published new version is not shown
    (its levels are on the new one). Retired competences that hold a level stay, marked as retired.
    """
    actor_name = str(learner_for(user).actor_name)
    closure = mapping_closure()
    reach: dict[int, list[int]] = {}
    for source_id, target_id in closure.itertuples(index=False):
        reach.setdefault(int(source_id), []).append(int(target_id))
    validated = _validated_levels(actor_name, closure)
    sources = _validating_sources(actor_name, reach, validated)
    declared: dict[int, int] = {}
    for competence_id, level in (
        SelfAssessment.objects.filter(enrolment__user=user)
        .order_by("created_at", "pk")
        .values_list("competence_id", "level")
    ):
        for reached in [competence_id, *reach.get(competence_id, [])]:
            declared[reached] = level
    profile = job_profile_of(user)
    targets: dict[int, int] = {}
    if profile:
        for competence_id, level in JobProfileTarget.objects.filter(job_profile=profile).values_list(
            "competence_id", "level"
        ):
            for reached in [competence_id, *reach.get(competence_id, [])]:
                targets[reached] = max(targets.get(reached, 0), level)
    ids = set(validated) | set(declared) | set(targets)
    areas: dict[int, AreaRows] = {}
    for competence in (
        Competence.objects.filter(pk__in=ids)
        .exclude(framework_id__in=superseded_frameworks())
        .select_related("area__framework")
        .order_by("framework__title", "framework_id", "area__sort_order", "sort_order")
    ):
        if competence.retired and competence.pk not in validated:
            continue
        level, reached_at = validated.get(competence.pk, (0, None))
        rows = areas.setdefault(competence.area_id, AreaRows(area=competence.area))
        rows.rows.append(
            CompetenceRow(
                competence=competence,
                validated=level,
                declared=declared.get(competence.pk),
                target=targets.get(competence.pk),
                reached_at=reached_at,
                validated_by=sources.get(competence.pk),
            )
        )
    return list(areas.values())


@dataclass
class Gap:
    competence: Competence
    validated: int
    target: int
    courses: list


def gaps(user, profile_rows: list[AreaRows] | None = None) -> list[Gap]:
    """Return the competences where the learner's validated level is below their job profile's target.

    Each gap lists the live courses that develop the competence at a level above the learner's (up to the
    target), lowest level first. (A local computation: the shared gap service may replace it.)
    """
    rows = profile_rows if profile_rows is not None else competence_profile(user)
    closure = None
    result = []
    for area in rows:
        for row in area.rows:
            if row.target and row.validated < row.target:
                if closure is None:
                    closure = mapping_closure()
                # A course mapped to an older version (or a crosswalked competence) closes the gap too: the
                # level it validates is carried over to this competence.
                mappings = (
                    CourseCompetence.objects.filter(
                        competence_id__in=carried_from(row.competence.pk, closure),
                        level__gt=row.validated,
                        page__live=True,
                    )
                    .select_related("page")
                    .order_by("level", "page__title")
                )
                pages = list({m.page.pk: m.page for m in mappings}.values())
                result.append(
                    Gap(competence=row.competence, validated=row.validated, target=row.target, courses=pages)
                )
    return result


@dataclass
class HistoryLine:
    when: datetime
    verb: str
    name: str
    score: str


def history(user, *, limit: int = 30) -> list[HistoryLine]:
    """Return the learner's latest learning events, read from their own statements."""
    actor_name = str(learner_for(user).actor_name)
    verbs = {
        term.id: term
        for term in (v.REGISTERED, v.EXPERIENCED, v.PASSED, v.FAILED, v.COMPLETED, v.ANSWERED, v.LAUNCHED)
    }
    lines = []
    for statement in Statement.objects.filter(actor_name=actor_name, voided=False).order_by(
        "-timestamp", "-seq"
    )[:limit]:
        data = statement.data
        term = verbs.get(statement.verb)
        display = (term.fr if get_language().startswith("fr") else term.en) if term else statement.verb
        names = ((data.get("object") or {}).get("definition") or {}).get("name") or {}
        score = ((data.get("result") or {}).get("score")) or {}
        lines.append(
            HistoryLine(
                when=statement.timestamp,
                verb=display,
                name=names.get("fr-FR") or next(iter(names.values()), statement.object_id),
                score=f"{score['raw']:g}/{score['max']:g}" if "raw" in score and "max" in score else "",
            )
        )
    return lines


@dataclass
class Attestation:
    learner_name: str
    course_title: str
    completed_at: datetime
    duration_minutes: int
    validated: list[tuple[Competence, int]]
    collectivity: str


def attestation_for(user, enrolment_id: int) -> Attestation | None:
    """Return what the attestation of a completed course states, or ``None`` if not the learner's or not done.

    It lists the competence levels validated by the learner's passed quizzes of this course (read from the
    ``validated-levels`` extension of their statements in the enrolment's registration).
    """
    enrolment = (
        Enrolment.objects.filter(pk=enrolment_id, user=user, completed_at__isnull=False)
        .select_related("course", "collectivity")
        .first()
    )
    if enrolment is None:
        return None
    course = enrolment.course.specific
    best: dict[str, int] = {}
    passed = Statement.objects.filter(registration=enrolment.registration, verb=v.PASSED.id, voided=False)
    for data in passed.values_list("data", flat=True):
        for item in ((data.get("context") or {}).get("extensions") or {}).get(v.EXT_VALIDATED_LEVELS) or []:
            best[item["competence"]] = max(best.get(item["competence"], 0), int(item["level"]))
    competences = {c.uri: c for c in Competence.objects.filter(uri__in=best).select_related("area")}
    validated = sorted(
        ((competences[uri], level) for uri, level in best.items() if uri in competences),
        key=lambda pair: (pair[0].sort_order, pair[0].code),
    )
    return Attestation(
        learner_name=user.get_full_name() or user.username,
        course_title=course.title,
        completed_at=enrolment.completed_at,
        duration_minutes=getattr(course, "duration_minutes", 0),
        validated=validated,
        collectivity=enrolment.collectivity.name if enrolment.collectivity else "",
    )
