"""Enrolment and progress: each service writes its rows and their statement in one transaction.

Callers (the course pages) pass what the statements need to know of the content as
:class:`~lms.xapi.builders.ActivityRef` and :class:`~lms.xapi.builders.CompetenceRef`.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from lms.models import AssessmentAttempt, Enrolment, LessonProgress
from lms.xapi import vocabulary as v
from lms.xapi.builders import ActivityRef, CompetenceRef, build_statement
from lms.xapi.storage import get_store

from .organisations import learner_for, learning_collectivity


def _store(statement: dict, enrolment: Enrolment) -> str:
    return get_store().store([statement], collectivity=enrolment.collectivity)[0]


@transaction.atomic
def enrol(user, course: ActivityRef, course_page, *, when=None) -> Enrolment:
    """Enrol ``user`` in a course (idempotent) and record the ``registered`` statement the first time."""
    when = when or timezone.now()
    enrolment, created = Enrolment.objects.get_or_create(
        user=user,
        course=course_page,
        defaults={"enrolled_at": when, "collectivity": learning_collectivity(user)},
    )
    if created:
        statement = build_statement(
            actor_name=learner_for(user).actor_name,
            verb=v.REGISTERED,
            activity=course,
            timestamp=when,
            registration=enrolment.registration,
        )
        _store(statement, enrolment)
    return enrolment


@transaction.atomic
def record_lesson_view(
    enrolment: Enrolment, lesson: ActivityRef, lesson_page, course: ActivityRef, *, when=None
):
    """Record that a learner has seen a lesson, and its ``experienced`` statement (on first view)."""
    when = when or timezone.now()
    progress, created = LessonProgress.objects.get_or_create(
        enrolment=enrolment, lesson=lesson_page, defaults={"first_seen_at": when, "last_seen_at": when}
    )
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
    when=None,
) -> AssessmentAttempt:
    """Record a graded quiz attempt and its ``passed`` or ``failed`` statement.

    A passed attempt validates the given competence levels (the statement's ``validated-levels``
    extension), which the aggregation turns into evidence.
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
