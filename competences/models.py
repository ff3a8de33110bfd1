"""Competence frameworks (référentiels): areas, competences, the level scale, versions and crosswalks.

A new version of a framework is a new :class:`Framework` row pointing to the one it replaces
(``previous_version``), with :class:`CompetenceMapping` rows of kind ``version`` linking each old competence
to its successor(s); evidence recorded against the old competences stays valid and is carried over by
:func:`competences.services.map_levels`. Crosswalks between frameworks (CRCN → DigComp) are mappings of kind
``crosswalk``.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel

#: Base of the URIs of frameworks created in Tremplin (shipped ones keep the URI of their data file).
URI_BASE = "https://w3id.org/tremplin/frameworks/"


class Framework(ClusterableModel):
    """A competence framework, e.g. the CRCN as used by Pix, in one version."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    slug = models.SlugField(_("slug"), unique=True)
    title = models.CharField(_("title"), max_length=255)
    description = models.TextField(_("description"), blank=True)
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
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    previous_version = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_versions",
        verbose_name=_("previous version"),
        help_text=_("The version this framework replaces; map its competences to the new ones."),
    )
    updated_at = models.DateTimeField(_("last change"), auto_now=True)

    class Meta:
        verbose_name = _("framework")
        verbose_name_plural = _("frameworks")
        ordering = ["title"]

    def __str__(self):
        return f"{self.title} {self.version}".strip()

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class Area(models.Model):
    """A domain (domaine) of a framework, e.g. "4 Protection et sécurité"."""

    framework = ParentalKey(Framework, on_delete=models.CASCADE, related_name="areas")
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

    @property
    def uri(self) -> str:
        return f"{self.framework.uri}/areas/{self.code}"


class Competence(ClusterableModel):
    """A competence of a framework, identified in xAPI statements and exports by its URI."""

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="competences")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="competences")
    code = models.CharField(_("code"), max_length=20)
    title = models.CharField(_("title"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    uri = models.CharField(_("URI"), max_length=500, unique=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    retired = models.BooleanField(
        _("retired"),
        default=False,
        help_text=_(
            "A retired competence stays for the evidence recorded against it but is no longer offered."
        ),
    )

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

    framework = ParentalKey(Framework, on_delete=models.CASCADE, related_name="levels")
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

    @property
    def uri(self) -> str:
        return f"{self.framework.uri}/levels/{self.number}"


class CompetenceLevel(models.Model):
    """What a level means for one competence, where the source gives a per-competence descriptor."""

    competence = ParentalKey(Competence, on_delete=models.CASCADE, related_name="level_descriptors")
    level = models.PositiveSmallIntegerField(_("level"))
    descriptor = models.TextField(_("descriptor"))

    class Meta:
        verbose_name = _("level descriptor")
        verbose_name_plural = _("level descriptors")
        ordering = ["competence", "level"]
        constraints = [
            models.UniqueConstraint(fields=["competence", "level"], name="lms_competencelevel_unique")
        ]

    def __str__(self):
        return f"{self.competence.code} @ {self.level}"

    @property
    def uri(self) -> str:
        return f"{self.competence.uri}/levels/{self.level}"


class CompetenceMapping(models.Model):
    """A link from a competence to another one it is carried over to.

    ``version``: the source belongs to an older version of the target's framework (the successor).
    ``crosswalk``: the source covers the target in another framework (e.g. CRCN 4.2 → DigComp 4.2).
    A level validated on the source counts as the same level on the target.
    """

    class Kind(models.TextChoices):
        VERSION = "version", _("Version mapping (old → new)")
        CROSSWALK = "crosswalk", _("Crosswalk (covers)")

    source = ParentalKey(Competence, on_delete=models.CASCADE, related_name="mappings_out")
    target = models.ForeignKey(
        Competence, on_delete=models.CASCADE, related_name="mappings_in", verbose_name=_("target competence")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.CROSSWALK)

    class Meta:
        verbose_name = _("competence mapping")
        verbose_name_plural = _("competence mappings")
        ordering = ["source", "kind", "target"]
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="lms_competencemapping_unique"),
            models.CheckConstraint(
                condition=~Q(source=models.F("target")), name="lms_competencemapping_not_self"
            ),
        ]

    def __str__(self):
        return f"{self.source} → {self.target} ({self.get_kind_display()})"


class JobProfile(ClusterableModel):
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

    job_profile = ParentalKey(JobProfile, on_delete=models.CASCADE, related_name="targets")
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
