"""Operational learning rows, always written in the same transaction as their xAPI statements."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Enrolment(models.Model):
    """A learner's registration to a course; its ``registration`` is the xAPI context registration."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lms_enrolments"
    )
    course = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="+")
    collectivity = models.ForeignKey(
        "lms.Collectivity", on_delete=models.SET_NULL, null=True, blank=True, related_name="enrolments"
    )
    registration = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    enrolled_at = models.DateTimeField(_("enrolled"))
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned by"),
    )
    assigned_via = models.CharField(
        _("assigned via"),
        max_length=20,
        blank=True,
        help_text=_("Empty for a self-enrolment; otherwise person, job_profile or service."),
    )
    last_lesson = models.ForeignKey(
        "wagtailcore.Page", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [models.UniqueConstraint(fields=["user", "course"], name="lms_enrolment_unique")]

    def __str__(self):
        return f"{self.user} — {self.course}"


class LessonProgress(models.Model):
    """That a learner has seen a lesson of a course they are enrolled in."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="lesson_progress")
    lesson = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="+")
    first_seen_at = models.DateTimeField(_("first seen"))
    last_seen_at = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("lesson progress")
        verbose_name_plural = _("lesson progress")
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "lesson"], name="lms_lessonprogress_unique")
        ]

    def __str__(self):
        return f"{self.enrolment_id}: {self.lesson_id}"


class AssessmentAttempt(models.Model):
    """One graded attempt at a quiz."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="attempts")
    lesson = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="+")
    activity_id = models.CharField(_("activity id"), max_length=500)
    score_raw = models.FloatField()
    score_max = models.FloatField()
    passed = models.BooleanField()
    responses = models.JSONField(default=dict)
    statement_id = models.UUIDField()
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("assessment attempt")
        verbose_name_plural = _("assessment attempts")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["enrolment", "activity_id"])]

    def __str__(self):
        return f"{self.activity_id}: {self.score_raw:g}/{self.score_max:g}"

    @property
    def scaled(self) -> float:
        return self.score_raw / self.score_max if self.score_max else 0.0


class SelfAssessment(models.Model):
    """A level a learner declares for a competence (positionnement), before or after a course.

    Declared levels are kept apart from validated ones: they are never evidence of a level.
    """

    class Moment(models.TextChoices):
        BEFORE = "before", _("Before the course")
        AFTER = "after", _("After the course")

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="self_assessments")
    competence = models.ForeignKey("lms_competences.Competence", on_delete=models.CASCADE, related_name="+")
    level = models.PositiveSmallIntegerField(_("declared level"))
    moment = models.CharField(_("moment"), max_length=10, choices=Moment.choices)
    statement_id = models.UUIDField()
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("self-assessment")
        verbose_name_plural = _("self-assessments")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.enrolment_id}: {self.competence_id}@{self.level} ({self.moment})"
