"""The rules that turn statements into evidence, and evidence into levels — one place, readable by HR.

Each :class:`Rule` says which statements it matches and what evidence they give; :data:`RULES` is the
ordered list :func:`evidence_items` applies to each statement when it is stored and the admin page
« Règles de calcul des niveaux » shows (:mod:`lms.dashboards.views`). ``docs/analytics.md`` explains them
in plain French.
"""

import json
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from lms.models import EvidenceKind
from lms.xapi import vocabulary as v

#: Context extension naming where imported evidence comes from (e.g. ``"pix"``); absent means Tremplin.
EXT_EVIDENCE_SOURCE = v.EXT_EVIDENCE_SOURCE
#: The ADL verb of a statement that voids another one (its object is a ``StatementRef``).
VOIDED = v.VOIDED.id
#: The source of evidence recorded by Tremplin itself.
DEFAULT_SOURCE = "tremplin"
#: Levels of the frameworks (DigComp / CRCN).
MIN_LEVEL, MAX_LEVEL = 1, 8


@dataclass(frozen=True)
class Rule:
    """One rule: statements matching ``verb`` (any verb when ``None``) and carrying ``extension``.

    Attributes:
        code: a stable identifier, used in tests and docs.
        kind: the kind of evidence the rule gives (``None``: no evidence at all).
        verb: the verb IRI the statement must have, or ``None`` for any verb.
        extension: the context extension listing ``[{"competence": uri, "level": n}]``, or ``None``.
        title: a short title for HR managers.
        explanation: the rule in plain words for HR managers.
    """

    code: str
    kind: str | None
    verb: str | None
    extension: str | None
    title: Promise
    explanation: Promise


RULES: tuple[Rule, ...] = (
    Rule(
        "assessment-passed",
        EvidenceKind.VALIDATED,
        v.PASSED.id,
        v.EXT_VALIDATED_LEVELS,
        _("A passed assessment validates levels"),
        _(
            "When a learner passes a quiz or an assessment, each competence and level the course maps to it "
            "is validated on the day of the attempt. A failed attempt validates nothing."
        ),
    ),
    Rule(
        "imported-result",
        EvidenceKind.VALIDATED,
        v.PASSED.id,
        v.EXT_VALIDATED_LEVELS,
        _("An imported certification result (Pix…) validates levels, with its source"),
        _(
            "Levels imported from an outside certification such as Pix count as validated on the day of the "
            "result. The source is kept: the learner sees it next to the level in “My learning” and in "
            "the export of their data."
        ),
    ),
    Rule(
        "self-assessment",
        EvidenceKind.DECLARED,
        None,
        v.EXT_DECLARED_LEVELS,
        _("A self-assessment gives a declared level, never a validated one"),
        _(
            "What a learner says of their own level (positionnement) is kept apart as « declared » and shown "
            "beside the validated level. The declared level is the one of the latest self-assessment."
        ),
    ),
    Rule(
        "course-completed",
        EvidenceKind.EXPOSURE,
        v.COMPLETED.id,
        None,
        _("A completed course records training, not a level"),
        _(
            "Completing a course counts as training in its competences (hours of training, courses "
            "completed) but validates no level: only an assessment does."
        ),
    ),
    Rule(
        "no-evidence",
        None,
        None,
        None,
        _("Viewing a lesson, enrolling or failing a quiz gives no level"),
        _("These actions count as activity (learners active, completion funnel) and nothing else."),
    ),
    Rule(
        "voided",
        None,
        VOIDED,
        None,
        _("A cancelled (voided) statement no longer counts"),
        _(
            "When a statement is cancelled, its evidence is removed and the levels and their dates are "
            "computed again as if it had never existed."
        ),
    ),
)

#: How a level is dated and which one is shown, for the rules page.
LEVEL_RULES = (
    _(
        "A learner's validated level in a competence is the highest level validated by the evidence that "
        "still counts. A later, lower result never lowers it; only cancelling (voiding) the statement "
        "that validated it does, and the level and its date are then computed again from the evidence "
        "that remains."
    ),
    _(
        "Each level has the date it was first reached: reaching level 3 directly also reaches levels 1 and 2 "
        "on that date."
    ),
    _(
        "Skill growth compares, for a group of learners, the levels at the start and at the end of the "
        "period; a learner has progressed when one of their competences went up at least one level."
    ),
)


# --- The evidence of one statement ---------------------------------------------------------------------

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
    """The evidence :data:`RULES` find in a statement, as ``(kind, level, competence IRI)``.

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
    source = evidence_source(extensions.get(EXT_EVIDENCE_SOURCE))
    lines = ["" if source == DEFAULT_SOURCE else json.dumps(source, ensure_ascii=False)]
    lines += [f"{_KIND_LETTERS[kind]}{level}\t{uri}" for kind, level, uri in items]
    return "\n".join(lines)


def read_evidence_summary(summary: str) -> tuple[str, list[tuple[str, int, str]]]:
    """The source and the ``(kind, level, competence IRI)`` items of an :func:`evidence_summary`."""
    first, *lines = summary.split("\n")
    source = json.loads(first) if first else DEFAULT_SOURCE
    return source, [(_LETTER_KINDS[line[0]], int(line[1]), line[3:]) for line in lines]
