"""The rules that turn statements into evidence, and evidence into levels — one place, readable by HR.

Each :class:`Rule` says which statements it matches and what evidence they give; :data:`RULES` is the
ordered list :func:`lms.xapi.evidence.evidence_items` applies to each statement when it is stored and the
admin page « Règles de calcul des niveaux » shows (:mod:`lms.dashboards.views`). ``docs/analytics.md``
explains them in plain French.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from lms.models import EvidenceKind
from lms.xapi import vocabulary as v

# What the rules find in one statement is read when the statement store writes it, in the core (which
# cannot import this layer): the source of evidence recorded by Tremplin itself, the levels of the
# frameworks (DigComp / CRCN), and the functions that write and read a statement's evidence summary and
# write its course stage.
from lms.xapi.evidence import (  # noqa: F401
    DEFAULT_SOURCE,
    MAX_LEVEL,
    MIN_LEVEL,
    course_stage,
    evidence_items,
    evidence_source,
    evidence_summary,
    read_evidence_summary,
)

#: Context extension naming where imported evidence comes from (e.g. ``"pix"``); absent means Tremplin.
EXT_EVIDENCE_SOURCE = v.EXT_EVIDENCE_SOURCE
#: The ADL verb of a statement that voids another one (its object is a ``StatementRef``).
VOIDED = v.VOIDED.id


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
