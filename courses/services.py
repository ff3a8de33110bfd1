"""The learning flow of course pages: what a lesson view and a quiz submission record, through ``lms``."""

from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.shortcuts import resolve_url
from django.utils.translation import gettext as _

from lms.conf import lms_settings
from lms.models import AssessmentAttempt, Enrolment
from lms.services import learning
from lms.xapi import vocabulary as v
from lms.xapi.builders import ActivityRef, CompetenceRef

from . import grading


def login_url() -> str:
    return resolve_url(settings.LOGIN_URL)


def _activity_id(page, *suffix) -> str:
    return "/".join(
        [lms_settings.SITE_URL.rstrip("/"), "xapi", "activities", str(page.translation_key), *suffix]
    )


def course_ref(course) -> ActivityRef:
    return ActivityRef(id=_activity_id(course), name=course.title, type=v.COURSE)


def lesson_ref(lesson) -> ActivityRef:
    return ActivityRef(id=_activity_id(lesson), name=lesson.title, type=v.LESSON)


def quiz_ref(lesson, block) -> ActivityRef:
    return ActivityRef(
        id=_activity_id(lesson, "quiz", block.id), name=block.value["title"], type=v.ASSESSMENT
    )


def competence_refs(course) -> list[CompetenceRef]:
    """Return the (competence, level) pairs mapped to a course."""
    return [
        CompetenceRef(uri=mapping.competence.uri, title=mapping.competence.title, level=mapping.level)
        for mapping in course.competence_mappings.select_related("competence")
    ]


def open_lesson(user, lesson, *, when=None) -> Enrolment:
    """Enrol the learner in the lesson's course if needed and record that they saw the lesson."""
    course = lesson.course()
    with transaction.atomic():
        enrolment = learning.enrol(user, course_ref(course), course, when=when)
        learning.record_lesson_view(enrolment, lesson_ref(lesson), lesson, course_ref(course), when=when)
        _complete_if_done(enrolment, course, when=when)
    return enrolment


@dataclass
class QuizOutcome:
    block_id: str = ""
    errors: list[str] = field(default_factory=list)
    attempt: AssessmentAttempt | None = None
    data: object = None


def submit_quiz(user, lesson, data, *, when=None) -> QuizOutcome:
    """Grade a submitted quiz and record the attempt, its statement and, if earned, the course completion.

    Returns a :class:`QuizOutcome` whose ``errors`` explain a submission that was not recorded.
    """
    block_id = data.get("quiz_block", "")
    block = next((b for b in lesson.quiz_blocks() if b.id == block_id), None)
    if block is None:
        return QuizOutcome(
            block_id=block_id, errors=[_("This quiz does not exist (any more). Reload the page.")], data=data
        )
    missing = grading.unanswered(block.value, block.id, data)
    if missing:
        return QuizOutcome(
            block_id=block.id,
            errors=[
                _("Answer every question before submitting. Unanswered: %(questions)s.")
                % {"questions": ", ".join(str(number) for number in missing)}
            ],
            data=data,
        )
    result = grading.grade(block.value, block.id, data)
    course = lesson.course()
    with transaction.atomic():
        enrolment = learning.enrol(user, course_ref(course), course, when=when)
        learning.record_lesson_view(enrolment, lesson_ref(lesson), lesson, course_ref(course), when=when)
        attempt = learning.record_assessment(
            enrolment,
            quiz_ref(lesson, block),
            lesson_ref(lesson),
            lesson,
            course_ref(course),
            learning.GradedAttempt(
                score_raw=result.score,
                score_max=result.total,
                passed=result.passed,
                responses={"questions": [{"selected": r.selected, "right": r.right} for r in result.results]},
            ),
            competence_refs(course),
            when=when,
        )
        _complete_if_done(enrolment, course, when=when)
    return QuizOutcome(block_id=block.id, attempt=attempt)


def _complete_if_done(enrolment: Enrolment, course, *, when=None) -> None:
    """Completion rule: every lesson of the course seen and every quiz of it passed."""
    if enrolment.completed_at:
        return
    lessons = list(course.lessons())
    required_quizzes = {quiz_ref(lesson, block).id for lesson in lessons for block in lesson.quiz_blocks()}
    if {lesson.pk for lesson in lessons} <= learning.seen_lesson_ids(enrolment) and required_quizzes <= (
        learning.passed_activity_ids(enrolment)
    ):
        learning.complete_course(enrolment, course_ref(course), competence_refs(course), when=when)


def course_progress(user, course, lessons) -> dict:
    """Return what the course page shows of a learner's progress."""
    if not user.is_authenticated:
        return {"enrolled": False}
    enrolment = Enrolment.objects.filter(user=user, course=course).first()
    if enrolment is None:
        return {"enrolled": False}
    seen = learning.seen_lesson_ids(enrolment)
    resume = next((lesson for lesson in lessons if lesson.pk not in seen), None)
    return {
        "enrolled": True,
        "seen": seen,
        "percent": round(100 * len(seen & {lesson.pk for lesson in lessons}) / len(lessons))
        if lessons
        else 0,
        "completed_at": enrolment.completed_at,
        "resume": resume,
    }


def lesson_context(user, lesson, outcome: QuizOutcome | None = None) -> dict:
    """Return the navigation of a lesson and, for each quiz, what the form and the latest result show.

    Args:
        user: the viewer.
        lesson: the lesson page.
        outcome: a rejected submission, whose answers and errors are shown again.
    """
    course = lesson.course()
    siblings = list(course.lessons())
    index = next((i for i, sibling in enumerate(siblings) if sibling.pk == lesson.pk), 0)
    quizzes = []
    for block in lesson.quiz_blocks():
        attempt = None
        if user.is_authenticated:
            attempt = (
                AssessmentAttempt.objects.filter(enrolment__user=user, activity_id=quiz_ref(lesson, block).id)
                .order_by("-created_at", "-pk")
                .first()
            )
        rejected = outcome if outcome and outcome.block_id == block.id else None
        quizzes.append(_quiz_view(block, attempt, rejected))
    return {
        "course": course,
        "previous_lesson": siblings[index - 1] if index > 0 else None,
        "next_lesson": siblings[index + 1] if index + 1 < len(siblings) else None,
        "lesson_number": index + 1,
        "lesson_count": len(siblings),
        "quizzes": quizzes,
    }


def _quiz_view(block, attempt: AssessmentAttempt | None, rejected: QuizOutcome | None) -> dict:
    answered = (attempt.responses.get("questions") if attempt else None) or []
    questions = []
    for number, question in enumerate(block.value["questions"]):
        name = grading.field_name(block.id, number)
        submitted = rejected.data.getlist(name) if rejected and rejected.data is not None else []
        result = answered[number] if number < len(answered) else None
        questions.append(
            {
                "number": number + 1,
                "field": name,
                "prompt": question["prompt"],
                "multiple": question["kind"] == "multiple",
                "feedback": question.get("feedback") or "",
                "right": result["right"] if result else None,
                "choices": [
                    {
                        "index": position,
                        "text": choice["text"],
                        "checked": str(position) in submitted,
                        "selected": bool(result) and position in result["selected"],
                        "correct": choice["correct"],
                    }
                    for position, choice in enumerate(question["choices"])
                ],
            }
        )
    return {
        "id": block.id,
        "title": block.value["title"],
        "threshold": block.value["mastery_threshold"],
        "questions": questions,
        "attempt": attempt,
        "errors": rejected.errors if rejected else [],
    }
