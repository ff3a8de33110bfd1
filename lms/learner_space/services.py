"""The learner's space (« Mon parcours »): courses, competence profile, gaps, history, attestations.

Reads only the learner's own rows. Validated levels come from the aggregation
(:class:`~lms.models.LearnerCompetenceLevel`); declared levels from self-assessments, kept apart.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import get_language

from competences.models import Area, Competence, JobProfileTarget
from courses.models import CourseCompetence, LessonPage
from lms.models import Enrolment, LearnerCompetenceLevel, Membership, SelfAssessment, Statement
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


def competence_profile(user) -> list[AreaRows]:
    """Return, by domain, the validated and declared level of each competence the learner has a trace of.

    A competence appears when it has a validated level, a declared level or a job-profile target.
    The declared level is the latest self-assessment answer.
    """
    actor_name = str(learner_for(user).actor_name)
    validated = dict(
        LearnerCompetenceLevel.objects.filter(actor_name=actor_name).values_list("competence_id", "level")
    )
    declared: dict[int, int] = {}
    for competence_id, level in (
        SelfAssessment.objects.filter(enrolment__user=user)
        .order_by("created_at", "pk")
        .values_list("competence_id", "level")
    ):
        declared[competence_id] = level
    profile = job_profile_of(user)
    targets = (
        dict(JobProfileTarget.objects.filter(job_profile=profile).values_list("competence_id", "level"))
        if profile
        else {}
    )
    ids = set(validated) | set(declared) | set(targets)
    areas: dict[int, AreaRows] = {}
    for competence in (
        Competence.objects.filter(pk__in=ids)
        .select_related("area")
        .order_by("area__sort_order", "sort_order")
    ):
        rows = areas.setdefault(competence.area_id, AreaRows(area=competence.area))
        rows.rows.append(
            CompetenceRow(
                competence=competence,
                validated=validated.get(competence.pk, 0),
                declared=declared.get(competence.pk),
                target=targets.get(competence.pk),
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
    result = []
    for area in rows:
        for row in area.rows:
            if row.target and row.validated < row.target:
                mappings = (
                    CourseCompetence.objects.filter(
                        competence=row.competence, level__gt=row.validated, page__live=True
                    )
                    .select_related("page")
                    .order_by("level", "page__title")
                )
                result.append(
                    Gap(
                        competence=row.competence,
                        validated=row.validated,
                        target=row.target,
                        courses=[m.page for m in mappings],
                    )
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
