"""Rows written by the Celery aggregation: evidence, level history, levels, snapshots, pending runs."""

import orjson
from django.db import models
from django.db.models.fields.json import KeyTransform
from django.utils.translation import gettext_lazy as _


class AggregationState(models.Model):
    """The watermark of an aggregation pipeline: the last statement ``seq`` it has processed.

    The nightly full rebuild also records when it last checked the incremental results and how many rows
    it found different (``mismatches``; zero when incremental and from-scratch agree).
    """

    name = models.CharField(max_length=50, unique=True)
    watermark = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    mismatches = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.name}@{self.watermark}"


class EvidenceKind(models.TextChoices):
    """What a piece of evidence says about a level (see ``lms.analytics.rules``)."""

    VALIDATED = "validated", _("Validated")
    DECLARED = "declared", _("Declared")
    EXPOSURE = "exposure", _("Training exposure")


class CompetenceEvidence(models.Model):
    """A statement that supports a level for a competence (preuve), or records training exposure."""

    Kind = EvidenceKind

    statement_id = models.UUIDField()
    actor_name = models.CharField(max_length=255, db_index=True)
    competence = models.ForeignKey("lms_competences.Competence", on_delete=models.PROTECT, related_name="+")
    #: 1..8; 0 for training exposure, which supports no level.
    level = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20, choices=EvidenceKind.choices, default=EvidenceKind.VALIDATED)
    #: Where the evidence comes from: ``tremplin`` or the value of the source extension (e.g. ``pix``).
    source = models.CharField(max_length=50, default="tremplin")
    occurred_at = models.DateTimeField()

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        constraints = [
            models.UniqueConstraint(fields=["statement_id", "competence", "kind"], name="lms_evidence_unique")
        ]

    def __str__(self):
        return f"{self.actor_name}: {self.competence_id}@{self.level} ({self.kind})"

    @property
    def source_label(self) -> str:
        """The source as a learner reads it: « Pix », « une évaluation Tremplin »; any other as recorded."""
        if self.source == "tremplin":
            return str(_("a Tremplin assessment"))
        return {"pix": "Pix"}.get(self.source.lower(), self.source)


class LearnerLevelHistory(models.Model):
    """When a learner first reached a level of a competence, validated or declared.

    Level ``n`` is reached at the date of the first evidence of level ``n`` or higher, so a learner whose
    first validated level is 3 reaches levels 1, 2 and 3 on that date.
    """

    actor_name = models.CharField(max_length=255, db_index=True)
    competence = models.ForeignKey("lms_competences.Competence", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=EvidenceKind.choices, default=EvidenceKind.VALIDATED)
    level = models.PositiveSmallIntegerField()
    reached_at = models.DateTimeField()

    class Meta:
        verbose_name = _("level history")
        verbose_name_plural = _("level history")
        constraints = [
            models.UniqueConstraint(
                fields=["actor_name", "competence", "kind", "level"], name="lms_levelhistory_unique"
            )
        ]

    def __str__(self):
        return (
            f"{self.actor_name}: {self.competence_id}@{self.level} ({self.kind}) {self.reached_at:%Y-%m-%d}"
        )


class LearnerCompetenceLevel(models.Model):
    """A learner's current level for a competence.

    Validated: the highest level validated by evidence. Declared: the level of the latest self-assessment.
    """

    actor_name = models.CharField(max_length=255)
    competence = models.ForeignKey("lms_competences.Competence", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=EvidenceKind.choices, default=EvidenceKind.VALIDATED)
    level = models.PositiveSmallIntegerField()
    reached_at = models.DateTimeField()

    class Meta:
        verbose_name = _("learner level")
        verbose_name_plural = _("learner levels")
        constraints = [
            models.UniqueConstraint(
                fields=["actor_name", "competence", "kind"], name="lms_learnerlevel_unique"
            )
        ]

    def __str__(self):
        return f"{self.actor_name}: {self.competence_id}@{self.level}"


#: How snapshots serialise their data: numpy arrays as lists, keys sorted (the same data, the same text).
SNAPSHOT_JSON_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
#: The key under which a stored group keeps its figures as JSON text (see :func:`encode_snapshot_groups`).
ENCODED_FIGURES = "figures"


def _encoded(group) -> bool:
    return isinstance(group, dict) and isinstance(group.get(ENCODED_FIGURES), str) and len(group) <= 2


def encode_snapshot_groups(data: dict) -> dict:
    """The snapshot ``data`` as stored: each group becomes ``{"size": n, "figures": "<its JSON text>"}``.

    A group holds thousands of numbers (a level per competence, month and level…); ``jsonb`` parses each
    into a ``numeric`` when it is written, which took most of the time of writing 200 snapshots and made them
    twice as large. As text they are one string each; the database still reads a group and its ``size`` by
    key, and the group is parsed only when a page reads it. Groups already encoded are kept; other keys are
    unchanged.
    """
    groups = data.get("groups") if isinstance(data, dict) else None
    if not isinstance(groups, dict):
        return data
    stored = {}
    for key, group in groups.items():
        if _encoded(group) or not isinstance(group, dict):
            stored[key] = group
            continue
        stored[key] = {ENCODED_FIGURES: orjson.dumps(group, option=SNAPSHOT_JSON_OPTIONS).decode()}
        if "size" in group:
            stored[key]["size"] = group["size"]
    return {**data, "groups": stored}


def decode_snapshot_value(value):
    """Undo :func:`encode_snapshot_groups` on what the database returns: a whole ``data`` or one group; any
    other part of the data — a list, a size — is returned as it is. Snapshots written before the encoding read
    the same."""
    if _encoded(value):
        return orjson.loads(value[ENCODED_FIGURES])
    if isinstance(value, dict) and isinstance(value.get("groups"), dict):
        return {**value, "groups": {key: decode_snapshot_value(g) for key, g in value["groups"].items()}}
    return value


class SnapshotDataField(models.JSONField):
    """A snapshot's ``data``: groups stored as JSON text (:func:`encode_snapshot_groups`), read back whole.

    Reads through the ORM — the whole field, or the groups, a group or a size extracted by the database with
    a ``KeyTransform`` — give the groups as dictionaries; writes through the ORM encode them. A key inside a
    group (``data__groups__<key>__levels``) is inside its text: read the group. Lookups that compare part of
    the data with a value (``data__contains``) would compare it with its encoded form: none is used.
    """

    def get_prep_value(self, value):
        return super().get_prep_value(encode_snapshot_groups(value))

    def from_db_value(self, value, expression, connection):
        value = super().from_db_value(value, expression, connection)
        groups = isinstance(expression, KeyTransform) and expression.key_name == "groups"
        if groups and isinstance(value, dict):
            return {key: decode_snapshot_value(group) for key, group in value.items()}
        return decode_snapshot_value(value)


class CollectivitySnapshot(models.Model):
    """A precomputed dashboard figure for a collectivity; dashboards read nothing else."""

    class Kind(models.TextChoices):
        LEVEL_DISTRIBUTION = "level_distribution", _("Level distribution per competence")
        FIGURES = "figures", _("Dashboard figures (months, populations, job profiles)")

    collectivity = models.ForeignKey("lms.Collectivity", on_delete=models.CASCADE, related_name="snapshots")
    kind = models.CharField(max_length=40, choices=Kind.choices)
    computed_at = models.DateTimeField()
    watermark = models.BigIntegerField()
    data = SnapshotDataField()
    #: SHA-256 of the canonical JSON of ``data`` as stored (sorted keys): a rebuild that computes the same
    #: data only moves ``computed_at`` and ``watermark`` instead of rewriting it. Empty: unknown.
    data_hash = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("snapshot")
        verbose_name_plural = _("snapshots")
        constraints = [
            models.UniqueConstraint(fields=["collectivity", "kind"], name="lms_snapshot_unique_kind")
        ]

    def __str__(self):
        return f"{self.collectivity_id} {self.kind} @ {self.computed_at:%Y-%m-%d %H:%M}"


class PendingRun(models.Model):
    """A requested aggregation run not started yet: at most one per key (debounce).

    Keys: ``levels`` for the statement processing, ``snapshot:<collectivity id>`` for a snapshot rebuild.
    The task deletes its row when it starts, so a request that arrives while it runs enqueues one more run.
    """

    key = models.CharField(max_length=64, unique=True)
    requested_at = models.DateTimeField()

    class Meta:
        verbose_name = _("pending aggregation run")
        verbose_name_plural = _("pending aggregation runs")

    def __str__(self):
        return f"{self.key} @ {self.requested_at:%H:%M:%S}"
