"""Rows written by the Celery aggregation: evidence, learner levels, collectivity snapshots."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AggregationState(models.Model):
    """The watermark of an aggregation pipeline: the last statement ``seq`` it has processed."""

    name = models.CharField(max_length=50, unique=True)
    watermark = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.name}@{self.watermark}"


class CompetenceEvidence(models.Model):
    """A statement that supports a level for a competence (preuve)."""

    class Kind(models.TextChoices):
        VALIDATED = "validated", _("Validated")
        DECLARED = "declared", _("Declared")

    statement_id = models.UUIDField()
    actor_name = models.CharField(max_length=255, db_index=True)
    competence = models.ForeignKey("lms_competences.Competence", on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.VALIDATED)
    occurred_at = models.DateTimeField()

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        constraints = [
            models.UniqueConstraint(fields=["statement_id", "competence"], name="lms_evidence_unique")
        ]

    def __str__(self):
        return f"{self.actor_name}: {self.competence_id}@{self.level} ({self.kind})"


class LearnerCompetenceLevel(models.Model):
    """A learner's validated level for a competence: the highest level validated by evidence."""

    actor_name = models.CharField(max_length=255)
    competence = models.ForeignKey("lms_competences.Competence", on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField()
    reached_at = models.DateTimeField()

    class Meta:
        verbose_name = _("learner level")
        verbose_name_plural = _("learner levels")
        constraints = [
            models.UniqueConstraint(fields=["actor_name", "competence"], name="lms_learnerlevel_unique")
        ]

    def __str__(self):
        return f"{self.actor_name}: {self.competence_id}@{self.level}"


class CollectivitySnapshot(models.Model):
    """A precomputed dashboard figure for a collectivity; dashboards read nothing else."""

    class Kind(models.TextChoices):
        LEVEL_DISTRIBUTION = "level_distribution", _("Level distribution per competence")

    collectivity = models.ForeignKey("lms.Collectivity", on_delete=models.CASCADE, related_name="snapshots")
    kind = models.CharField(max_length=40, choices=Kind.choices)
    computed_at = models.DateTimeField()
    watermark = models.BigIntegerField()
    data = models.JSONField()

    class Meta:
        verbose_name = _("snapshot")
        verbose_name_plural = _("snapshots")
        constraints = [
            models.UniqueConstraint(fields=["collectivity", "kind"], name="lms_snapshot_unique_kind")
        ]

    def __str__(self):
        return f"{self.collectivity_id} {self.kind} @ {self.computed_at:%Y-%m-%d %H:%M}"
