"""Enrolment and progress: each service writes its rows and their statement in one transaction.

Callers (the course pages) pass what the statements need to know of the content as
:class:`~lms.xapi.builders.ActivityRef` and :class:`~lms.xapi.builders.CompetenceRef`.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from lms.models import AssessmentAttempt, Enrolment, LessonProgress, Membership, SelfAssessment
from lms.xapi import vocabulary as v
from lms.xapi.builders import ActivityRef, CompetenceRef, build_statement
from lms.xapi.storage import get_store

from .organisations import learner_for, learning_collectivity


def _store(statement: dict, enrolment: Enrolment) -> str:
    return get_store().store([statement], collectivity=enrolment.collectivity)[0]


class EnrolmentKind:
    SELF = "self"
    PERSON = "person"
    JOB_PROFILE = "job_profile"
    SERVICE = "service"


@transaction.atomic
def enrol(
    user,
    course: ActivityRef,
    course_page,
    *,
    when=None,
    due_date=None,
    assigned_by=None,
    kind: str = EnrolmentKind.SELF,
) -> Enrolment:
    """Enrol ``user`` in a course (idempotent) and record the ``registered`` statement the first time.

    Args:
        user: the learner.
        course: the course as an activity.
        course_page: the course page.
        when: when it happens (default: now).
        due_date: for an assignment, the date by which the course should be completed.
        assigned_by: the HR manager who assigned the course (``None`` for a self-enrolment).
        kind: one of :class:`EnrolmentKind`; recorded in the statement's ``enrolment-kind`` extension.

    An assignment to a learner already enrolled updates the due date (the earliest one wins) and records
    who assigned it, without a second ``registered`` statement.
    """
    when = when or timezone.now()
    enrolment, created = Enrolment.objects.select_for_update().get_or_create(
        user=user,
        course=course_page,
        defaults={
            "enrolled_at": when,
            "collectivity": learning_collectivity(user),
            "due_date": due_date,
            "assigned_by": assigned_by,
            "assigned_via": "" if kind == EnrolmentKind.SELF else kind,
        },
    )
    if created:
        extensions = {v.EXT_ENROLMENT_KIND: kind}
        if due_date:
            extensions[v.EXT_DUE_DATE] = due_date.isoformat()
        statement = build_statement(
            actor_name=learner_for(user).actor_name,
            verb=v.REGISTERED,
            activity=course,
            timestamp=when,
            registration=enrolment.registration,
            extensions=extensions,
            instructor_name=learner_for(assigned_by).actor_name if assigned_by else None,
        )
        _store(statement, enrolment)
    elif assigned_by is not None and not enrolment.completed_at:
        if due_date and (enrolment.due_date is None or due_date < enrolment.due_date):
            enrolment.due_date = due_date
        enrolment.assigned_by = assigned_by
        enrolment.assigned_via = enrolment.assigned_via or kind
        enrolment.save(update_fields=["due_date", "assigned_by", "assigned_via"])
    return enrolment


def learners_for_assignment(collectivity, *, users=(), job_profile=None, service=None) -> list:
    """Return the learners of ``collectivity`` an HR manager targets: people, a job profile or a service.

    Only agents and elected officials of the manager's own collectivity are returned (the scope rule).
    """
    memberships = Membership.objects.filter(collectivity=collectivity, role__in=Membership.LEARNER_ROLES)
    if job_profile is not None:
        memberships = memberships.filter(job_profile=job_profile)
    elif service is not None:
        memberships = memberships.filter(service=service)
    else:
        memberships = memberships.filter(user__in=list(users))
    seen, result = set(), []
    for membership in memberships.select_related("user").order_by("user_id"):
        if membership.user_id not in seen:
            seen.add(membership.user_id)
            result.append(membership.user)
    return result


@transaction.atomic
def assign(
    course: ActivityRef,
    course_page,
    learners,
    *,
    assigned_by,
    due_date=None,
    kind=EnrolmentKind.PERSON,
    when=None,
) -> list[Enrolment]:
    """Assign a course to learners (HR): enrol each one with the due date, in one transaction.

    Args:
        course: the course as an activity.
        course_page: the course page.
        learners: the users, e.g. from :func:`learners_for_assignment`.
        assigned_by: the HR manager.
        due_date: optional date by which to complete it.
        kind: :class:`EnrolmentKind` of the assignment (person, job_profile or service).
        when: when it happens (default: now).
    """
    return [
        enrol(user, course, course_page, when=when, due_date=due_date, assigned_by=assigned_by, kind=kind)
        for user in learners
    ]


@transaction.atomic
def record_lesson_view(
    enrolment: Enrolment, lesson: ActivityRef, lesson_page, course: ActivityRef, *, when=None
):
    """Record that a learner has seen a lesson, and its ``experienced`` statement (on first view)."""
    when = when or timezone.now()
    progress, created = LessonProgress.objects.get_or_create(
        enrolment=enrolment, lesson=lesson_page, defaults={"first_seen_at": when, "last_seen_at": when}
    )
    Enrolment.objects.filter(pk=enrolment.pk).update(last_lesson=lesson_page)
    if not created:
        LessonProgress.objects.filter(pk=progress.pk).update(last_seen_at=when)
        return progress
    statement = build_statement(
        actor_name=learner_for(enrolment.user).actor_name,
        verb=v.EXPERIENCED,
        activity=lesson,
        timestamp=when,
        registration=enrolment.registration,
        parents=[course],
        grouping=[course],
    )
    _store(statement, enrolment)
    return progress


@dataclass(frozen=True)
class GradedAttempt:
    """What a quiz's grading gives to :func:`record_assessment`."""

    score_raw: float
    score_max: float
    passed: bool
    responses: dict


@transaction.atomic
def record_assessment(
    enrolment: Enrolment,
    quiz: ActivityRef,
    lesson: ActivityRef,
    lesson_page,
    course: ActivityRef,
    graded: GradedAttempt,
    competences: Sequence[CompetenceRef],
    *,
    validated_levels: Sequence[CompetenceRef] | None = None,
    when=None,
) -> AssessmentAttempt:
    """Record a graded quiz attempt and its ``passed`` or ``failed`` statement.

    A passed attempt validates competence levels (the statement's ``validated-levels`` extension), which
    the aggregation turns into evidence: ``validated_levels`` when given, otherwise all of ``competences``.
    A failed attempt validates nothing.
    """
    when = when or timezone.now()
    statement = build_statement(
        actor_name=learner_for(enrolment.user).actor_name,
        verb=v.PASSED if graded.passed else v.FAILED,
        activity=quiz,
        timestamp=when,
        registration=enrolment.registration,
        parents=[lesson],
        grouping=[course],
        competences=competences,
        validated=graded.passed,
        validated_levels=(validated_levels if graded.passed else [])
        if validated_levels is not None
        else None,
        score=(graded.score_raw, graded.score_max),
        success=graded.passed,
    )
    statement_id = _store(statement, enrolment)
    attempt = AssessmentAttempt.objects.create(
        enrolment=enrolment,
        lesson=lesson_page,
        activity_id=quiz.id,
        score_raw=graded.score_raw,
        score_max=graded.score_max,
        passed=graded.passed,
        responses=graded.responses,
        statement_id=statement_id,
        created_at=when,
    )
    return attempt


@transaction.atomic
def complete_course(
    enrolment: Enrolment, course: ActivityRef, competences: Sequence[CompetenceRef], *, when=None
):
    """Mark a course completed (once) and record its ``completed`` statement.

    Completion records training exposure to the course's competences, not a validated level.
    """
    if enrolment.completed_at:
        return enrolment
    when = when or timezone.now()
    enrolment.completed_at = when
    enrolment.save(update_fields=["completed_at"])
    statement = build_statement(
        actor_name=learner_for(enrolment.user).actor_name,
        verb=v.COMPLETED,
        activity=course,
        timestamp=when,
        registration=enrolment.registration,
        competences=competences,
        completion=True,
    )
    _store(statement, enrolment)
    return enrolment


def seen_lesson_ids(enrolment: Enrolment) -> set[int]:
    """Return the ids of the lesson pages the learner has seen in this enrolment."""
    return set(enrolment.lesson_progress.values_list("lesson_id", flat=True))


def passed_activity_ids(enrolment: Enrolment) -> set[str]:
    """Return the ids of the quizzes the learner has passed in this enrolment."""
    return set(enrolment.attempts.filter(passed=True).values_list("activity_id", flat=True))


def completed_course_ids(user) -> set[int]:
    """Return the ids of the course pages ``user`` has completed."""
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(
        Enrolment.objects.filter(user=user, completed_at__isnull=False).values_list("course_id", flat=True)
    )


@dataclass(frozen=True)
class DeclaredLevel:
    """A level the learner declares for a competence in a self-assessment."""

    competence: CompetenceRef
    competence_id: int


@transaction.atomic
def record_self_assessment(
    enrolment: Enrolment,
    activity: ActivityRef,
    lesson: ActivityRef,
    course: ActivityRef,
    moment: str,
    declared: Sequence[DeclaredLevel],
    *,
    when=None,
) -> list[SelfAssessment]:
    """Record a self-assessment (positionnement) and its ``answered`` statement.

    The declared levels go in the ``declared-levels`` extension (never ``validated-levels``), with the
    ``self-assessment-moment`` extension, so that the analytics keep them apart as "declared".
    """
    when = when or timezone.now()
    statement = build_statement(
        actor_name=learner_for(enrolment.user).actor_name,
        verb=v.ANSWERED,
        activity=activity,
        timestamp=when,
        registration=enrolment.registration,
        parents=[lesson],
        grouping=[course],
        competences=[d.competence for d in declared],
        extensions={
            v.EXT_DECLARED_LEVELS: [
                {"competence": d.competence.uri, "level": d.competence.level} for d in declared
            ],
            v.EXT_SELF_ASSESSMENT_MOMENT: moment,
        },
        completion=True,
    )
    statement_id = _store(statement, enrolment)
    return [
        SelfAssessment.objects.create(
            enrolment=enrolment,
            competence_id=d.competence_id,
            level=d.competence.level,
            moment=moment,
            statement_id=statement_id,
            created_at=when,
        )
        for d in declared
    ]


@transaction.atomic
def record_launch(
    enrolment: Enrolment, activity: ActivityRef, lesson: ActivityRef, course: ActivityRef, *, when=None
) -> str:
    """Record that a learner launched an external activity (``launched`` statement); return its id."""
    statement = build_statement(
        actor_name=learner_for(enrolment.user).actor_name,
        verb=v.LAUNCHED,
        activity=activity,
        timestamp=when or timezone.now(),
        registration=enrolment.registration,
        parents=[lesson],
        grouping=[course],
    )
    return _store(statement, enrolment)
