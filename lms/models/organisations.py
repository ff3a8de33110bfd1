"""Collectivities (the tenants), people's memberships and their pseudonymous learner identity."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Collectivity(models.Model):
    """A local authority or public body: a commune, an EPCI, a département, a région…"""

    class Kind(models.TextChoices):
        COMMUNE = "commune", _("Commune")
        EPCI = "epci", _("Intercommunalité (EPCI)")
        DEPARTEMENT = "departement", _("Département")
        REGION = "region", _("Région")
        CDG = "cdg", _("Centre de gestion")
        OTHER = "other", _("Other public body")

    name = models.CharField(_("name"), max_length=255)
    slug = models.SlugField(_("slug"), unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.COMMUNE)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True)
    insee_code = models.CharField(_("INSEE code"), max_length=5, blank=True)
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    members = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="groupings",
        verbose_name=_("member collectivities"),
        help_text=_("For an intercommunalité: its member communes."),
    )

    class Meta:
        verbose_name = _("collectivity")
        verbose_name_plural = _("collectivities")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Membership(models.Model):
    """A person's link (rattachement) to a collectivity, with a role."""

    class Role(models.TextChoices):
        AGENT = "agent", _("Agent")
        ELECTED_OFFICIAL = "elected_official", _("Elected official")
        HR_MANAGER = "hr_manager", _("HR / training manager")
        EDITOR = "editor", _("Content editor")

    LEARNER_ROLES = (Role.AGENT, Role.ELECTED_OFFICIAL)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lms_memberships"
    )
    collectivity = models.ForeignKey(Collectivity, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    job_profile = models.ForeignKey(
        "lms_competences.JobProfile",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("job profile"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["collectivity", "role", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "collectivity", "role"], name="lms_membership_unique_role"
            )
        ]

    def __str__(self):
        return f"{self.user} — {self.collectivity} ({self.get_role_display()})"


class Learner(models.Model):
    """The pseudonymous identity of a person in xAPI statements.

    ``actor_name`` is the opaque ``account.name`` of the xAPI actor; it never reveals the person.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lms_learner"
    )
    actor_name = models.UUIDField(_("xAPI account name"), unique=True, default=uuid.uuid4, editable=False)

    class Meta:
        verbose_name = _("learner")
        verbose_name_plural = _("learners")

    def __str__(self):
        return str(self.actor_name)
