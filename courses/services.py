"""The learning flow of course pages: what a lesson view, a quiz or a self-assessment records (via lms).

A signed-in learner's actions go to :mod:`lms.services.learning` (one transaction: progress row + statement).
A visitor without an account reads open courses; their progress is kept in the session
(:class:`SessionProgress`) and replayed through the same services when they log in or sign up
(:func:`attach_session_progress`), so the statements are those they would have had.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.shortcuts import resolve_url
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from competences.models import Competence, Level
from lms.conf import lms_settings
from lms.models import AssessmentAttempt, Enrolment, SelfAssessment
from lms.services import learning
from lms.services.organisations import learner_for
from lms.xapi import vocabulary as v
from lms.xapi.builders import ActivityRef, CompetenceRef
from lms.xapi.launch import LaunchGrant, launch_url

from . import grading

SESSION_KEY = "lms_anonymous_progress"


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


def self_assessment_ref(lesson, block) -> ActivityRef:
    return ActivityRef(
        id=_activity_id(lesson, "self-assessment", block.id),
        name=block.value["title"],
        type=v.SELF_ASSESSMENT,
    )


def external_ref(lesson, block) -> ActivityRef:
    return ActivityRef(
        id=block.value.get("activity_id") or _activity_id(lesson, "external", block.id),
        name=block.value["title"],
        type=v.EXTERNAL_ACTIVITY,
    )


def competence_refs(course) -> list[CompetenceRef]:
    """Return the (competence, level) pairs mapped to a course."""
    return [
        CompetenceRef(uri=mapping.competence.uri, title=mapping.competence.title, level=mapping.level)
        for mapping in course.competence_mappings.select_related("competence")
    ]


# Prerequisites ---------------------------------------------------------------------------------------


def missing_prerequisites(course, completed_ids: set[int]) -> list:
    """Return the live prerequisite courses of ``course`` not in ``completed_ids``."""
    return [p for p in course.prerequisites.live().specific() if p.pk not in completed_ids]


# Progress of a visitor without an account -------------------------------------------------------------


class SessionProgress:
    """A visitor's progress kept in their session until they log in or sign up.

    The session holds ``{"lessons": [[lesson_id, iso time]], "quizzes": [[lesson_id, form data, iso time]],
    "self_assessments": [...], "attempts": {quiz activity id: summary}, "declared": [...]}``.
    """

    def __init__(self, session):
        self.session = session
        self.data = session.get(SESSION_KEY) or {
            "lessons": [],
            "quizzes": [],
            "self_assessments": [],
            "attempts": {},
        }

    def save(self):
        self.session[SESSION_KEY] = self.data
        self.session.modified = True

    def seen_lesson_ids(self) -> set[int]:
        return {lesson_id for lesson_id, _when in self.data["lessons"]}

    def passed_activity_ids(self) -> set[str]:
        return {key for key, attempt in self.data["attempts"].items() if attempt["passed"]}

    def completed_course_ids(self) -> set[int]:
        from .models import CoursePage

        seen, passed, done = self.seen_lesson_ids(), self.passed_activity_ids(), set()
        if not seen:
            return done
        for course in CoursePage.objects.filter(open_access=True).live():
            if _is_complete(course, seen, passed):
                done.add(course.pk)
        return done

    def record_lesson(self, lesson, when: datetime):
        if lesson.pk not in self.seen_lesson_ids():
            self.data["lessons"].append([lesson.pk, when.isoformat()])
            self.save()


def _is_complete(course, seen: set[int], passed: set[str]) -> bool:
    lessons = list(course.lessons())
    required = {quiz_ref(lesson, block).id for lesson in lessons for block in lesson.quiz_blocks()}
    return bool(lessons) and {lesson.pk for lesson in lessons} <= seen and required <= passed


def attach_session_progress(user, session) -> int:
    """Replay a visitor's session progress as ``user``'s, through the learning services; return the count.

    Called when the visitor logs in or signs up. Replaying is idempotent (lesson views are unique and a
    quiz attempt replayed twice is not possible: the session is emptied in the same step).
    """
    data = session.get(SESSION_KEY)
    if not data:
        return 0
    from .models import LessonPage

    events = [("lesson", row[0], None, row[1]) for row in data.get("lessons", [])]
    events += [("quiz", row[0], row[1], row[2]) for row in data.get("quizzes", [])]
    events += [("self_assessment", row[0], row[1], row[2]) for row in data.get("self_assessments", [])]
    events.sort(key=lambda event: event[3])
    lessons = {page.pk: page for page in LessonPage.objects.filter(pk__in={e[1] for e in events}).specific()}
    count = 0
    with transaction.atomic():
        for kind, lesson_id, form, when in events:
            lesson = lessons.get(lesson_id)
            if lesson is None:
                continue
            when = parse_datetime(when)
            if kind == "lesson":
                open_lesson(user, lesson, when=when)
            elif kind == "quiz":
                submit_quiz(user, lesson, form, when=when)
            else:
                submit_self_assessment(user, lesson, form, when=when)
            count += 1
    del session[SESSION_KEY]
    return count


# Recording actions ------------------------------------------------------------------------------------


def open_lesson(learner, lesson, *, when=None) -> Enrolment | None:
    """Record that ``learner`` (a user, or a :class:`SessionProgress`) saw the lesson.

    A signed-in learner is enrolled in the lesson's course if needed.
    """
    when = when or timezone.now()
    if isinstance(learner, SessionProgress):
        learner.record_lesson(lesson, when)
        return None
    course = lesson.course()
    with transaction.atomic():
        enrolment = learning.enrol(learner, course_ref(course), course, when=when)
        learning.record_lesson_view(enrolment, lesson_ref(lesson), lesson, course_ref(course), when=when)
        _complete_if_done(enrolment, course, when=when)
    return enrolment


def self_enrol(user, course, *, when=None) -> Enrolment:
    """Enrol a signed-in learner in a course they chose (prerequisites are checked by the caller)."""
    return learning.enrol(user, course_ref(course), course, when=when)


@dataclass
class Outcome:
    """What a quiz or self-assessment submission gives back to the page."""

    block_id: str = ""
    errors: list[str] = field(default_factory=list)
    attempt: object = None
    data: object = None


def _plain(data) -> dict:
    if hasattr(data, "lists"):
        return {key: values for key, values in data.lists() if key != "csrfmiddlewaretoken"}
    return {key: (value if isinstance(value, list) else [value]) for key, value in dict(data).items()}


def attempts_count(learner, lesson, block) -> int:
    activity = quiz_ref(lesson, block).id
    if isinstance(learner, SessionProgress):
        return learner.data["attempts"].get(activity, {}).get("count", 0)
    if not learner.is_authenticated:
        return 0
    return AssessmentAttempt.objects.filter(enrolment__user=learner, activity_id=activity).count()


def _validated_refs(result: grading.QuizResult, course) -> list[CompetenceRef] | None:
    """The levels a passed quiz validates: by mapped questions if any, else the course's mappings."""
    validated = result.validated_levels()
    if not result.level_rates():
        return None
    titles = dict(
        Competence.objects.filter(uri__in=[uri for uri, _ in validated]).values_list("uri", "title")
    )
    return [CompetenceRef(uri=uri, title=titles.get(uri, uri), level=level) for uri, level in validated]


def _submitted_values(data, prefix: str):
    """The values of the submitted fields named ``prefix…``, as text."""
    for name in data:
        if not str(name).startswith(prefix):
            continue
        values = data.getlist(name) if hasattr(data, "getlist") else data[name]
        yield from (str(value) for value in (values if isinstance(values, list) else [values]))


def _holds_nul(data, prefix: str) -> bool:
    """Whether a submitted field named ``prefix…`` holds a NUL character."""
    return any("\x00" in value for value in _submitted_values(data, prefix))


def _too_long(data, prefix: str) -> bool:
    """Whether a submitted answer is longer than :data:`grading.MAX_ANSWER_LENGTH` (it goes into the attempt
    and its xAPI statement: a page of text there would be the smallest data that does the job no more)."""
    return any(len(value) > grading.MAX_ANSWER_LENGTH for value in _submitted_values(data, prefix))


def submit_quiz(learner, lesson, data, *, when=None) -> Outcome:
    """Grade a submitted quiz and record the attempt, its statement and, if earned, the course completion.

    Args:
        learner: a user, or a :class:`SessionProgress` for a visitor without an account.
        lesson: the lesson page.
        data: the submitted form data.
        when: when it happens (default: now).

    Returns:
        An :class:`Outcome` whose ``errors`` explain a submission that was not recorded.
    """
    when = when or timezone.now()
    block_id = data.get("quiz_block", "")
    if isinstance(block_id, list):
        block_id = block_id[0] if block_id else ""
    block = next((b for b in lesson.quiz_blocks() if b.id == block_id), None)
    if block is None:
        return Outcome(
            block_id=block_id, errors=[_("This quiz does not exist (any more). Reload the page.")], data=data
        )
    if _holds_nul(data, f"quiz-{block.id}-"):
        # PostgreSQL refuses a NUL character in the stored answers: the learner is told, nothing is stored.
        return Outcome(
            block_id=block.id,
            errors=[
                _("An answer contains a character that cannot be saved (NUL). Remove it and submit again.")
            ],
            data=data,
        )
    if _too_long(data, f"quiz-{block.id}-"):
        return Outcome(
            block_id=block.id,
            errors=[
                _("An answer is longer than %(max)d characters: shorten it and submit again.")
                % {"max": grading.MAX_ANSWER_LENGTH}
            ],
            data=data,
        )
    missing = grading.unanswered(block.value, block.id, data)
    if missing:
        return Outcome(
            block_id=block.id,
            errors=[
                _("Answer every question before submitting. Unanswered: %(questions)s.")
                % {"questions": ", ".join(str(number) for number in missing)}
            ],
            data=data,
        )
    allowed = block.value.get("max_attempts") or 0
    if allowed and attempts_count(learner, lesson, block) >= allowed:
        return Outcome(
            block_id=block.id, errors=[_("You have used all the attempts allowed for this quiz.")], data=data
        )
    result = grading.grade(block.value, block.id, data)
    responses = {
        "questions": [
            {"answer": r.answer, "right": r.right, "feedback": r.answer_feedback} for r in result.results
        ]
    }
    course = lesson.course()
    validated = _validated_refs(result, course)
    if isinstance(learner, SessionProgress):
        activity = quiz_ref(lesson, block).id
        previous = learner.data["attempts"].get(activity, {})
        learner.data["quizzes"].append([lesson.pk, _plain(data), when.isoformat()])
        learner.data["attempts"][activity] = {
            "passed": result.passed or previous.get("passed", False),
            "last_passed": result.passed,
            "score_raw": result.score,
            "score_max": result.total,
            "responses": responses,
            "count": previous.get("count", 0) + 1,
        }
        learner.record_lesson(lesson, when)
        learner.save()
        return Outcome(block_id=block.id, attempt=learner.data["attempts"][activity])
    with transaction.atomic():
        enrolment = learning.enrol(learner, course_ref(course), course, when=when)
        learning.record_lesson_view(enrolment, lesson_ref(lesson), lesson, course_ref(course), when=when)
        attempt = learning.record_assessment(
            enrolment,
            quiz_ref(lesson, block),
            lesson_ref(lesson),
            lesson,
            course_ref(course),
            learning.GradedAttempt(
                score_raw=result.score, score_max=result.total, passed=result.passed, responses=responses
            ),
            competence_refs(course),
            validated_levels=validated,
            when=when,
        )
        _complete_if_done(enrolment, course, when=when)
    return Outcome(block_id=block.id, attempt=attempt)


def self_assessment_field(block_id: str, competence_id: int) -> str:
    return f"self-{block_id}-c{competence_id}"


def submit_self_assessment(learner, lesson, data, *, when=None) -> Outcome:
    """Record the levels a learner declares for the course's competences (positionnement).

    Every competence of the course needs a level; the levels are stored as *declared*, apart from
    validated ones, with their ``answered`` statement.
    """
    when = when or timezone.now()
    block_id = data.get("self_assessment_block", "")
    if isinstance(block_id, list):
        block_id = block_id[0] if block_id else ""
    block = next((b for b in lesson.self_assessment_blocks() if b.id == block_id), None)
    if block is None:
        return Outcome(
            block_id=block_id, errors=[_("This self-assessment does not exist (any more).")], data=data
        )
    course = lesson.course()
    mappings = list(course.competence_mappings.select_related("competence"))
    declared, missing = [], []
    for mapping in mappings:
        raw = data.get(self_assessment_field(block.id, mapping.competence_id), "")
        raw = (raw[0] if raw else "") if isinstance(raw, list) else raw
        level = grading.whole_number(raw)
        if level is None or not 0 <= level <= 8:
            missing.append(mapping.competence.code)
            continue
        declared.append(
            learning.DeclaredLevel(
                competence=CompetenceRef(
                    uri=mapping.competence.uri, title=mapping.competence.title, level=level
                ),
                competence_id=mapping.competence_id,
            )
        )
    if missing:
        return Outcome(
            block_id=block.id,
            errors=[
                _("Choose a level for every competence. Missing: %(codes)s.") % {"codes": ", ".join(missing)}
            ],
            data=data,
        )
    if isinstance(learner, SessionProgress):
        learner.data["self_assessments"].append([lesson.pk, _plain(data), when.isoformat()])
        learner.data.setdefault("declared", {})[block.id] = {
            str(d.competence_id): d.competence.level for d in declared
        }
        learner.record_lesson(lesson, when)
        learner.save()
        return Outcome(block_id=block.id)
    with transaction.atomic():
        enrolment = learning.enrol(learner, course_ref(course), course, when=when)
        learning.record_lesson_view(enrolment, lesson_ref(lesson), lesson, course_ref(course), when=when)
        rows = learning.record_self_assessment(
            enrolment,
            self_assessment_ref(lesson, block),
            lesson_ref(lesson),
            course_ref(course),
            block.value["moment"],
            declared,
            when=when,
        )
        _complete_if_done(enrolment, course, when=when)
    return Outcome(block_id=block.id, attempt=rows)


def launch_external(user, lesson, block_id: str, *, when=None) -> str | None:
    """Record the ``launched`` statement of an external activity and return its launch address.

    The address carries the learner's LRS credential (see :mod:`lms.xapi.launch`). ``None`` when the
    block does not exist.
    """
    block = next((b for b in lesson.external_blocks() if b.id == block_id), None)
    if block is None:
        return None
    course = lesson.course()
    activity = external_ref(lesson, block)
    with transaction.atomic():
        enrolment = learning.enrol(user, course_ref(course), course, when=when)
        learning.record_lesson_view(enrolment, lesson_ref(lesson), lesson, course_ref(course), when=when)
        learning.record_launch(enrolment, activity, lesson_ref(lesson), course_ref(course), when=when)
    url = block.value["url"]
    if url.startswith("/"):
        url = lms_settings.SITE_URL.rstrip("/") + url
    grant = LaunchGrant(
        actor_name=str(learner_for(user).actor_name),
        registration=str(enrolment.registration),
        activity_id=activity.id,
    )
    return launch_url(url, grant)


def _complete_if_done(enrolment: Enrolment, course, *, when=None) -> None:
    """Completion rule: every lesson of the course seen and every quiz of it passed."""
    if enrolment.completed_at:
        return
    if _is_complete(course, learning.seen_lesson_ids(enrolment), learning.passed_activity_ids(enrolment)):
        learning.complete_course(enrolment, course_ref(course), competence_refs(course), when=when)


# What pages show ---------------------------------------------------------------------------------------


def learner_of(request):
    """The learner behind a request: the user, or the visitor's :class:`SessionProgress`."""
    if request.user.is_authenticated:
        return request.user
    return SessionProgress(request.session)


def completed_ids(learner) -> set[int]:
    if isinstance(learner, SessionProgress):
        return learner.completed_course_ids()
    return learning.completed_course_ids(learner)


def course_context(request, course) -> dict:
    """Return what the course page shows: lessons (by module), competences, prerequisites and progress."""
    learner = learner_of(request)
    lessons = list(course.lessons())
    progress = {"enrolled": False, "seen": set(), "percent": 0}
    if isinstance(learner, SessionProgress):
        seen = learner.seen_lesson_ids()
        if seen & {lesson.pk for lesson in lessons}:
            progress = {"enrolled": True, "seen": seen, "anonymous": True}
    else:
        enrolment = Enrolment.objects.filter(user=learner, course=course).first()
        if enrolment is not None:
            progress = {
                "enrolled": True,
                "seen": learning.seen_lesson_ids(enrolment),
                "completed_at": enrolment.completed_at,
                "due_date": enrolment.due_date,
            }
    if progress["enrolled"]:
        seen = progress["seen"]
        done = len(seen & {lesson.pk for lesson in lessons})
        progress["percent"] = round(100 * done / len(lessons)) if lessons else 0
        progress["resume"] = next((lesson for lesson in lessons if lesson.pk not in seen), None)
    parents = {}
    for lesson in lessons:
        parents.setdefault(lesson.get_parent().pk, []).append(lesson)
    sections = []
    for module in course.get_children().live().specific():
        if module.pk in parents:
            sections.append({"module": module, "lessons": parents[module.pk]})
    loose = parents.get(course.pk, [])
    if loose:
        sections.insert(0, {"module": None, "lessons": loose})
    return {
        "lessons": lessons,
        "sections": sections,
        "mappings": course.competence_mappings.select_related("competence"),
        "progress": progress,
        "missing_prerequisites": missing_prerequisites(course, completed_ids(learner)),
    }


@dataclass
class AttemptView:
    passed: bool
    score_raw: float
    score_max: float
    responses: dict
    count: int = 1


def _last_attempt(learner, lesson, block) -> AttemptView | None:
    activity = quiz_ref(lesson, block).id
    if isinstance(learner, SessionProgress):
        data = learner.data["attempts"].get(activity)
        if not data:
            return None
        return AttemptView(
            passed=data["last_passed"],
            score_raw=data["score_raw"],
            score_max=data["score_max"],
            responses=data["responses"],
            count=data["count"],
        )
    attempts = AssessmentAttempt.objects.filter(enrolment__user=learner, activity_id=activity)
    attempt = attempts.order_by("-created_at", "-pk").first()
    if attempt is None:
        return None
    return AttemptView(
        passed=attempt.passed,
        score_raw=attempt.score_raw,
        score_max=attempt.score_max,
        responses=attempt.responses,
        count=attempts.count(),
    )


def lesson_context(request, lesson, outcome: Outcome | None = None) -> dict:
    """Return the navigation of a lesson and what its quizzes, self-assessments and activities show.

    Args:
        request: the request (its user or session says who reads).
        lesson: the lesson page.
        outcome: a rejected submission, whose answers and errors are shown again.
    """
    learner = learner_of(request)
    course = lesson.course()
    siblings = list(course.lessons())
    index = next((i for i, sibling in enumerate(siblings) if sibling.pk == lesson.pk), 0)
    seed = str(request.user.pk if request.user.is_authenticated else request.session.session_key or "")
    widgets = {}
    for block in lesson.quiz_blocks():
        rejected = outcome if outcome and outcome.block_id == block.id else None
        widgets[block.id] = _quiz_view(lesson, block, _last_attempt(learner, lesson, block), rejected, seed)
    for block in lesson.self_assessment_blocks():
        rejected = outcome if outcome and outcome.block_id == block.id else None
        widgets[block.id] = _self_assessment_view(learner, lesson, course, block, rejected)
    parent = lesson.get_parent().specific
    return {
        "course": course,
        "module": parent if parent.pk != course.pk else None,
        "previous_lesson": siblings[index - 1] if index > 0 else None,
        "next_lesson": siblings[index + 1] if index + 1 < len(siblings) else None,
        "lesson_number": index + 1,
        "lesson_count": len(siblings),
        "widgets": widgets,
        "can_act": request.user.is_authenticated or course.open_access,
    }


def _quiz_view(lesson, block, attempt: AttemptView | None, rejected: Outcome | None, seed: str) -> dict:
    value = block.value
    answered = (attempt.responses.get("questions") if attempt else None) or []
    shuffle = bool(value.get("shuffle"))
    submitted_data = rejected.data if rejected and rejected.data is not None else {}

    def submitted(name):
        return grading._getlist(submitted_data, name) if submitted_data else []

    questions = []
    for number, question in enumerate(value["questions"]):
        name = grading.field_name(block.id, number)
        result = answered[number] if number < len(answered) else None
        kind = question["kind"]
        choices = list(question.get("choices") or [])
        view = {
            "index": number,
            "field": name,
            "kind": kind,
            "prompt": question["prompt"],
            "feedback": question.get("feedback") or "",
            "right": result["right"] if result else None,
            "answer_feedback": (result or {}).get("feedback") or [],
            "max_length": grading.MAX_ANSWER_LENGTH,
        }
        if kind in ("single", "multiple"):
            order = grading.display_order(len(choices), f"{seed}-{block.id}-{number}", shuffle)
            view["choices"] = [
                {
                    "index": position,
                    "text": choices[position]["text"],
                    "checked": str(position) in submitted(name),
                    "correct": choices[position]["correct"],
                }
                for position in order
            ]
            view["expected"] = [c["text"] for c in choices if c["correct"]]
        elif kind == "true_false":
            view["choices"] = [
                {"index": "true", "text": _("True"), "checked": "true" in submitted(name)},
                {"index": "false", "text": _("False"), "checked": "false" in submitted(name)},
            ]
            view["expected"] = [_("True") if question.get("statement_is_true") else _("False")]
        elif kind == "ordering":
            order = grading.display_order(len(choices), f"{seed}-{block.id}-{number}-order", True)
            view["ordering_items"] = [
                {
                    "field": grading.item_field_name(block.id, number, position),
                    "text": choices[position]["text"],
                    "value": (submitted(grading.item_field_name(block.id, number, position)) or [""])[0],
                }
                for position in order
            ]
            view["positions"] = list(range(1, len(choices) + 1))
            view["expected"] = [c["text"] for c in choices]
        elif kind == "matching":
            pairs = list(question.get("pairs") or [])
            order = grading.display_order(len(pairs), f"{seed}-{block.id}-{number}-match", True)
            view["pairs"] = [
                {
                    "field": grading.pair_field_name(block.id, number, position),
                    "text": pairs[position]["left"],
                    "value": (submitted(grading.pair_field_name(block.id, number, position)) or [""])[0],
                }
                for position in range(len(pairs))
            ]
            view["options"] = [{"index": i, "text": pairs[i]["right"]} for i in order]
            view["expected"] = [f"{p['left']} → {p['right']}" for p in pairs]
        else:
            view["value"] = (submitted(name) or [""])[0]
            view["expected"] = [a for a in question.get("accepted_answers") or []][:1]
        questions.append(view)
    if shuffle:
        order = grading.display_order(len(questions), f"{seed}-{block.id}", True)
        questions = [questions[i] for i in order]
    for position, question in enumerate(questions):
        question["number"] = position + 1
    allowed = value.get("max_attempts") or 0
    count = attempt.count if attempt else 0
    return {
        "kind": "quiz",
        "id": block.id,
        "title": value["title"],
        "threshold": value["mastery_threshold"],
        "questions": questions,
        "attempt": attempt,
        "max_attempts": allowed,
        "attempts_left": max(allowed - count, 0) if allowed else None,
        "can_submit": not allowed or count < allowed,
        "errors": rejected.errors if rejected else [],
    }


def _self_assessment_view(learner, lesson, course, block, rejected: Outcome | None) -> dict:
    mappings = list(course.competence_mappings.select_related("competence", "competence__framework"))
    framework_ids = {m.competence.framework_id for m in mappings}
    levels: dict[int, list] = {}
    for level in Level.objects.filter(framework_id__in=framework_ids).order_by("number"):
        levels.setdefault(level.framework_id, []).append(level)
    previous: dict[int, int] = {}
    if isinstance(learner, SessionProgress):
        previous = {int(k): lv for k, lv in learner.data.get("declared", {}).get(block.id, {}).items()}
    else:
        for row in SelfAssessment.objects.filter(
            enrolment__user=learner, enrolment__course=course, moment=block.value["moment"]
        ).order_by("created_at", "pk"):
            previous[row.competence_id] = row.level
    submitted = rejected.data if rejected and rejected.data is not None else {}
    competences = []
    for mapping in mappings:
        name = self_assessment_field(block.id, mapping.competence_id)
        raw = submitted.get(name, "") if submitted else ""
        raw = (raw[0] if raw else "") if isinstance(raw, list) else raw
        current = grading.whole_number(raw)
        if current is None:
            current = previous.get(mapping.competence_id)
        competences.append(
            {
                "field": name,
                "competence": mapping.competence,
                "target": mapping.level,
                "levels": [
                    {"number": 0, "name": _("I don't know this at all"), "checked": current == 0},
                    *[
                        {"number": lv.number, "name": lv.name, "checked": current == lv.number}
                        for lv in levels.get(mapping.competence.framework_id, [])
                    ],
                ],
            }
        )
    return {
        "kind": "self_assessment",
        "id": block.id,
        "title": block.value["title"],
        "intro": block.value.get("intro") or "",
        "moment": block.value["moment"],
        "competences": competences,
        "done": bool(previous),
        "errors": rejected.errors if rejected else [],
    }


def assign(course, learners, *, assigned_by, due_date=None, kind=learning.EnrolmentKind.PERSON) -> list:
    """Assign a course to learners (HR), with an optional due date (:func:`lms.services.learning.assign`)."""
    return learning.assign(
        course_ref(course), course, learners, assigned_by=assigned_by, due_date=due_date, kind=kind
    )
