"""Competence frameworks (référentiels): areas, competences and the level scale."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Framework(models.Model):
    """A competence framework, e.g. the CRCN as used by Pix, in one version."""

    slug = models.SlugField(_("slug"), unique=True)
    title = models.CharField(_("title"), max_length=255)
    version = models.CharField(_("version"), max_length=50, blank=True)
    language = models.CharField(_("language"), max_length=10, default="fr")
    source = models.CharField(_("source"), max_length=500, blank=True)
    licence = models.CharField(_("licence"), max_length=255, blank=True)
    uri = models.CharField(
        _("URI"),
        max_length=500,
        unique=True,
        help_text=_("Stable identifier of the framework; competence URIs are built under it."),
    )

    class Meta:
        verbose_name = _("framework")
        verbose_name_plural = _("frameworks")
        ordering = ["title"]

    def __str__(self):
        return f"{self.title} {self.version}".strip()


class Area(models.Model):
    """A domain (domaine) of a framework, e.g. "4 Protection et sécurité"."""

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="areas")
    code = models.CharField(_("code"), max_length=20)
    title = models.CharField(_("title"), max_length=255)
    sort_order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["framework", "sort_order", "code"]
        constraints = [models.UniqueConstraint(fields=["framework", "code"], name="lms_area_unique_code")]

    def __str__(self):
        return f"{self.code} {self.title}"


class Competence(models.Model):
    """A competence of a framework, identified in xAPI statements and exports by its URI."""

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="competences")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="competences")
    code = models.CharField(_("code"), max_length=20)
    title = models.CharField(_("title"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    uri = models.CharField(_("URI"), max_length=500, unique=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("competence")
        verbose_name_plural = _("competences")
        ordering = ["framework", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "code"], name="lms_competence_unique_code")
        ]

    def __str__(self):
        return f"{self.code} {self.title}"


class Level(models.Model):
    """A step of a framework's proficiency scale (1..8 for the CRCN and DigComp)."""

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="levels")
    number = models.PositiveSmallIntegerField(_("number"))
    name = models.CharField(_("name"), max_length=100)
    descriptor = models.TextField(_("descriptor"), blank=True)

    class Meta:
        verbose_name = _("level")
        verbose_name_plural = _("levels")
        ordering = ["framework", "number"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "number"], name="lms_level_unique_number")
        ]

    def __str__(self):
        return f"{self.number} — {self.name}"


class JobProfile(models.Model):
    """A job profile (profil de poste): target levels for a set of competences.

    Shared by every collectivity when ``collectivity`` is empty, otherwise that collectivity's own.
    """

    name = models.CharField(_("name"), max_length=255)
    slug = models.SlugField(_("slug"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    collectivity = models.ForeignKey(
        "lms.Collectivity",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="job_profiles",
        verbose_name=_("collectivity"),
        help_text=_("Leave empty for a profile shared by every collectivity."),
    )

    class Meta:
        verbose_name = _("job profile")
        verbose_name_plural = _("job profiles")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["collectivity", "slug"], name="lms_jobprofile_unique_slug"),
        ]

    def __str__(self):
        return self.name


class JobProfileTarget(models.Model):
    """The level a job profile expects for one competence."""

    job_profile = models.ForeignKey(JobProfile, on_delete=models.CASCADE, related_name="targets")
    competence = models.ForeignKey(Competence, on_delete=models.PROTECT, related_name="job_profile_targets")
    level = models.PositiveSmallIntegerField(_("target level"))

    class Meta:
        verbose_name = _("target level")
        verbose_name_plural = _("target levels")
        constraints = [
            models.UniqueConstraint(fields=["job_profile", "competence"], name="lms_jobprofiletarget_unique"),
        ]

    def __str__(self):
        return f"{self.job_profile}: {self.competence.code} ≥ {self.level}"
