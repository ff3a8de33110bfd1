"""The evidence a statement gives under the rules of :mod:`lms.analytics.rules`, read when it is stored.

The statement store (:mod:`lms.xapi.storage`) writes it beside each statement (``Statement.evidence``) so
that the levels are computed from a few bytes per statement instead of its whole JSON. It lives in the core
because the store writes it; the rules themselves, and their explanation for HR managers, are in
``lms.analytics.rules``, which re-exports these names.
"""

import json

from lms.models import EvidenceKind

from . import vocabulary as v

#: The source of evidence recorded by Tremplin itself.
DEFAULT_SOURCE = "tremplin"
#: Levels of the frameworks (DigComp / CRCN).
MIN_LEVEL, MAX_LEVEL = 1, 8

#: One letter per kind of evidence in a statement's evidence summary.
_KIND_LETTERS = {
    EvidenceKind.VALIDATED.value: "v",
    EvidenceKind.DECLARED.value: "d",
    EvidenceKind.EXPOSURE.value: "e",
}
_LETTER_KINDS = {letter: kind for kind, letter in _KIND_LETTERS.items()}


def _listed_levels(items, kind: str, found: list) -> None:
    """The valid ``{"competence": uri, "level": n}`` of ``items``: a non-empty string and a JSON integer
    between :data:`MIN_LEVEL` and :data:`MAX_LEVEL`."""
    if not isinstance(items, list):
        return
    for item in items:
        if not isinstance(item, dict):
            continue
        competence, level = item.get("competence"), item.get("level")
        if (
            isinstance(competence, str)
            and isinstance(level, int)
            and not isinstance(level, bool)
            and MIN_LEVEL <= level <= MAX_LEVEL
        ):
            found.append((kind, level, competence))


def _objectives(activities, found: list) -> None:
    """The competences a completed course was about: ``contextActivities.other`` of type objective (or
    untyped)."""
    if not isinstance(activities, list):
        return
    for activity in activities:
        if not isinstance(activity, dict) or not isinstance(activity.get("id"), str):
            continue
        definition = activity.get("definition")
        kind = definition.get("type") if isinstance(definition, dict) else None
        if kind is None or kind == v.OBJECTIVE.id:
            found.append((EvidenceKind.EXPOSURE.value, 0, activity["id"]))


def evidence_items(verb: str, validated, declared, objectives) -> list[tuple[str, int, str]]:
    """The evidence the rules of :mod:`lms.analytics.rules` find in a statement: ``(kind, level, IRI)``.

    ``passed`` + ``validated-levels``: validated; any verb + ``declared-levels``: declared; ``completed`` with
    objectives in ``contextActivities.other``: exposure (level 0). Invalid items are left out; of the items
    with the same kind and competence, the first counts. Whether the IRI is a competence of the catalogue is
    decided when the evidence is read (a framework imported later makes it count).
    """
    found: list[tuple[str, int, str]] = []
    if verb == v.PASSED.id:
        _listed_levels(validated, EvidenceKind.VALIDATED.value, found)
    _listed_levels(declared, EvidenceKind.DECLARED.value, found)
    if verb == v.COMPLETED.id:
        _objectives(objectives, found)
    seen, items = set(), []
    for kind, level, uri in found:
        # A tab or a newline never is in a competence IRI (and would break the summary's lines).
        if not uri or (kind, uri) in seen or "\t" in uri or "\n" in uri:
            continue
        seen.add((kind, uri))
        items.append((kind, level, uri))
    return items


def evidence_source(value) -> str:
    """The source of a statement's evidence: its ``evidence-source`` extension (50 characters), else
    :data:`DEFAULT_SOURCE`."""
    return value[:50] if isinstance(value, str) and value else DEFAULT_SOURCE


def evidence_summary(statement: dict) -> str | None:
    """The evidence a statement gives, as stored beside it (``Statement.evidence``), or ``None``.

    Written when the statement is stored, so that the levels are computed from a few bytes per statement
    instead of its whole JSON (the nightly full rebuild read each statement's ``jsonb`` three times over).
    Lines separated by ``\\n``: the source first (its JSON string, empty for :data:`DEFAULT_SOURCE`), then
    one line per item of :func:`evidence_items`: the kind's letter, the level's digit, a tab, the IRI. A
    change to the rules comes with a migration that writes the summaries again.
    """
    context, verb = statement.get("context"), statement.get("verb")
    if not isinstance(context, dict) or not isinstance(verb, dict):
        return None
    extensions = context.get("extensions")
    extensions = extensions if isinstance(extensions, dict) else {}
    verb_id = verb.get("id")
    if verb_id != v.PASSED.id and verb_id != v.COMPLETED.id and v.EXT_DECLARED_LEVELS not in extensions:
        return None  # most statements: no rule gives evidence (the LRS pays this check on every one)
    activities = context.get("contextActivities")
    items = evidence_items(
        verb_id,
        extensions.get(v.EXT_VALIDATED_LEVELS),
        extensions.get(v.EXT_DECLARED_LEVELS),
        activities.get("other") if isinstance(activities, dict) else None,
    )
    if not items:
        return None
    source = evidence_source(extensions.get(v.EXT_EVIDENCE_SOURCE))
    lines = ["" if source == DEFAULT_SOURCE else json.dumps(source, ensure_ascii=False)]
    lines += [f"{_KIND_LETTERS[kind]}{level}\t{uri}" for kind, level, uri in items]
    return "\n".join(lines)


def read_evidence_summary(summary: str) -> tuple[str, list[tuple[str, int, str]]]:
    """The source and the ``(kind, level, competence IRI)`` items of an :func:`evidence_summary`."""
    first, *lines = summary.split("\n")
    source = json.loads(first) if first else DEFAULT_SOURCE
    return source, [(_LETTER_KINDS[line[0]], int(line[1]), line[3:]) for line in lines]


#: The stages of a course in the completion funnel, by verb: enrolled, started, passed an assessment,
#: completed (the digit that starts a :func:`course_stage`). The other verbs count in no stage.
COURSE_STAGES = {
    v.REGISTERED.id: 0,
    v.EXPERIENCED.id: 1,
    v.PASSED.id: 2,
    v.COMPLETED.id: 3,
}
#: The verbs whose object is the course itself (the others name it as their ``grouping`` parent).
_COURSE_VERBS = (v.REGISTERED.id, v.COMPLETED.id)
#: Course IRIs are kept to the length of ``Statement.object_id``, and to a number of bytes that keeps an
#: entry of the index ``lms_stmt_course_stage`` (with an ``actor_name`` of up to 1,020 bytes) under the
#: 2,704 bytes of a b-tree entry, which would otherwise refuse the statement's whole batch.
COURSE_LENGTH, COURSE_BYTES = 500, 1_200


def course_stage(statement: dict, object_id: str) -> str | None:
    """The stage of a course a statement records, as stored beside it (``Statement.course_stage``), or
    ``None`` for a verb of no stage (:data:`COURSE_STAGES`).

    The stage's digit followed by the course's IRI: ``object_id`` (the stored object) for an enrolment or a
    completion, the first ``context.contextActivities.grouping`` activity for a lesson or an assessment
    (nothing after the digit when there is none). Written when the statement is stored so that the activity
    figures read neither the statement's JSON nor its verb (``lms.analytics.services``); a change to this
    rule comes with a migration that writes them again.
    """
    verb = statement.get("verb")
    stage = COURSE_STAGES.get(verb.get("id")) if isinstance(verb, dict) else None
    if stage is None:
        return None
    if verb["id"] in _COURSE_VERBS:
        course = object_id
    else:
        context = statement.get("context")
        activities = context.get("contextActivities") if isinstance(context, dict) else None
        grouping = activities.get("grouping") if isinstance(activities, dict) else None
        first = grouping[0] if isinstance(grouping, list) and grouping else None
        course = first.get("id") if isinstance(first, dict) else None
        course = course if isinstance(course, str) else ""
    course = course[:COURSE_LENGTH]
    if len(course) * 4 > COURSE_BYTES:  # only IRIs of many non-ASCII characters can go over
        course = course.encode()[:COURSE_BYTES].decode(errors="ignore")
    return f"{stage}{course}"
