"""Build Tremplin's statements with ``tincan`` objects.

Actors are always pseudonymous accounts on the platform's home page (never an email).
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from tincan import (
    Activity,
    ActivityDefinition,
    Agent,
    AgentAccount,
    Context,
    ContextActivities,
    Extensions,
    LanguageMap,
    Result,
    Score,
    Statement,
    Verb,
)

from lms.conf import lms_settings

from . import vocabulary as v


@dataclass(frozen=True)
class ActivityRef:
    """What a statement needs to know of a course, lesson or quiz."""

    id: str
    name: str
    type: v.Term


@dataclass(frozen=True)
class CompetenceRef:
    """A competence (by its URI) and the level an activity develops or validates."""

    uri: str
    title: str
    level: int


def actor(actor_name) -> Agent:
    """Return the pseudonymous xAPI agent of a learner."""
    return Agent(account=AgentAccount(home_page=lms_settings.SITE_URL, name=str(actor_name)))


def _activity(ref: ActivityRef) -> Activity:
    return Activity(
        id=ref.id,
        definition=ActivityDefinition(type=ref.type.id, name=LanguageMap({"fr-FR": ref.name})),
    )


def _objective(competence: CompetenceRef) -> Activity:
    return Activity(
        id=competence.uri,
        definition=ActivityDefinition(type=v.OBJECTIVE.id, name=LanguageMap({"fr-FR": competence.title})),
    )


def build_statement(
    *,
    actor_name,
    verb: v.Term,
    activity: ActivityRef,
    timestamp: datetime,
    registration=None,
    parents: Iterable[ActivityRef] = (),
    grouping: Iterable[ActivityRef] = (),
    competences: Iterable[CompetenceRef] = (),
    validated: bool = False,
    score: tuple[float, float] | None = None,
    success: bool | None = None,
    completion: bool | None = None,
    statement_id=None,
    extensions: dict | None = None,
    validated_levels: Iterable[CompetenceRef] | None = None,
    instructor_name=None,
    response: str | None = None,
) -> dict:
    """Build one statement of Tremplin's profile and return it as a JSON-ready dict.

    Args:
        actor_name: the learner's pseudonymous account name.
        verb: a verb of :mod:`lms.xapi.vocabulary`.
        activity: the statement's object.
        timestamp: when the action happened.
        registration: the enrolment's registration UUID, if any.
        parents: ``context.contextActivities.parent`` (e.g. the lesson of a quiz).
        grouping: ``context.contextActivities.grouping`` (e.g. the course).
        competences: competences put in ``contextActivities.other`` as objectives.
        validated: when true, the competences' levels are declared validated by this statement
            (the ``validated-levels`` extension), which the aggregation turns into evidence.
        score: ``(raw, max)`` of an assessment.
        success: ``result.success``.
        completion: ``result.completion``.
        statement_id: a fixed id (otherwise a new UUID).
        validated_levels: when given, the levels the statement validates (instead of all of
            ``competences`` with ``validated``).
        extensions: more context extensions of :mod:`lms.xapi.vocabulary` (e.g. declared levels).
        instructor_name: the pseudonymous account name of the person who acted for the learner
            (e.g. the HR manager who assigned a course), put in ``context.instructor``.
        response: ``result.response`` (e.g. a short summary of the learner's answer).
    """
    competences = list(competences)
    context_activities = ContextActivities(category=[Activity(id=v.PROFILE_CATEGORY)])
    if parents:
        context_activities.parent = [_activity(p) for p in parents]
    if grouping:
        context_activities.grouping = [_activity(g) for g in grouping]
    if competences:
        context_activities.other = [_objective(c) for c in competences]
    context = Context(
        registration=str(registration) if registration else None,
        context_activities=context_activities,
        language="fr-FR",
        platform="Tremplin",
    )
    if instructor_name is not None:
        context.instructor = actor(instructor_name)
    context_extensions = dict(extensions or {})
    if validated_levels is not None:
        levels = list(validated_levels)
        if levels:
            context_extensions[v.EXT_VALIDATED_LEVELS] = [
                {"competence": c.uri, "level": c.level} for c in levels
            ]
    elif validated and competences:
        context_extensions[v.EXT_VALIDATED_LEVELS] = [
            {"competence": c.uri, "level": c.level} for c in competences
        ]
    if context_extensions:
        context.extensions = Extensions(context_extensions)
    result = None
    if score is not None or success is not None or completion is not None or response is not None:
        result = Result(success=success, completion=completion, response=response)
        if score is not None:
            raw, maximum = score
            result.score = Score(
                raw=raw, min=0, max=maximum, scaled=round(raw / maximum, 4) if maximum else 0
            )
    statement = Statement(
        id=str(statement_id or uuid.uuid4()),
        actor=actor(actor_name),
        verb=Verb(id=verb.id, display=LanguageMap(verb.display)),
        object=_activity(activity),
        context=context,
        result=result,
        timestamp=timestamp,
    )
    return statement.as_version("1.0.3")
