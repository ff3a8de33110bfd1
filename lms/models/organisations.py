"""Collectivities (the tenants), their services, memberships and pseudonymous learner identities."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def luhn_is_valid(digits: str) -> bool:
    """Return whether a string of digits passes the Luhn checksum (the SIREN and SIRET key)."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def validate_siren(value: str) -> None:
    """Reject anything but 9 digits whose Luhn checksum holds."""
    if not (len(value) == 9 and value.isdigit()):
        raise ValidationError(_("A SIREN has exactly 9 digits."), code="siren_format")
    if not luhn_is_valid(value):
        raise ValidationError(_("This SIREN's check digit is wrong."), code="siren_checksum")


validate_insee_code = RegexValidator(
    r"^(\d{5}|2[AB]\d{3})$", _("An INSEE code has 5 characters (digits, or 2A/2B for Corsica).")
)


class Collectivity(models.Model):
    """A local authority or public body: a commune, an EPCI, a département, a région…"""

    class Kind(models.TextChoices):
        COMMUNE = "commune", _("Commune")
        EPCI = "epci", _("Intercommunalité (EPCI)")
        DEPARTEMENT = "departement", _("Département")
        REGION = "region", _("Région")
        CDG = "cdg", _("Centre de gestion")
        OTHER = "other", _("Other public body")

    #: Kinds whose HR managers may read the aggregated figures of consenting member collectivities.
    GROUPING_KINDS = (Kind.EPCI, Kind.CDG)

    name = models.CharField(_("name"), max_length=255)
    slug = models.SlugField(_("slug"), unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.COMMUNE)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True, validators=[validate_siren])
    insee_code = models.CharField(_("INSEE code"), max_length=5, blank=True, validators=[validate_insee_code])
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    members = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="groupings",
        verbose_name=_("member collectivities"),
        help_text=_("For an intercommunalité: its member communes; for a centre de gestion: its affiliates."),
    )
    sso_attachment = models.BooleanField(
        _("attach single sign-on identities"),
        default=False,
        help_text=_(
            "People signing in with ProConnect whose SIRET or email domain is this collectivity's "
            "are attached to it as agents."
        ),
    )
    email_domain = models.CharField(
        _("email domain"),
        max_length=255,
        blank=True,
        help_text=_("e.g. valmont.fr: used with single sign-on when the identity has no SIRET."),
    )
    retention_days = models.PositiveIntegerField(
        _("retention (days)"),
        null=True,
        blank=True,
        help_text=_(
            "Accounts of this collectivity unused for this many days are erased (statements pseudonymised). "
            "Empty: the platform default."
        ),
    )

    class Meta:
        verbose_name = _("collectivity")
        verbose_name_plural = _("collectivities")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["siren"], condition=~Q(siren=""), name="lms_collectivity_siren")
        ]

    def __str__(self):
        return self.name


class Service(models.Model):
    """A department (direction, service) inside a collectivity; services form a tree."""

    collectivity = models.ForeignKey(
        Collectivity, on_delete=models.CASCADE, related_name="services", verbose_name=_("collectivity")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent service"),
    )
    name = models.CharField(_("name"), max_length=255)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["collectivity", "name"]
        constraints = [
            models.UniqueConstraint(fields=["collectivity", "name"], name="lms_service_unique_name")
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.parent_id is None:
            return
        if self.parent.collectivity_id != self.collectivity_id:
            raise ValidationError({"parent": _("The parent service must belong to the same collectivity.")})
        node, seen = self.parent, set()
        while node is not None:
            if node.pk == self.pk or node.pk in seen:
                raise ValidationError({"parent": _("A service cannot be inside itself.")})
            seen.add(node.pk)
            node = node.parent


class Membership(models.Model):
    """A person's link (rattachement) to a collectivity, with a role."""

    class Role(models.TextChoices):
        AGENT = "agent", _("Agent")
        ELECTED_OFFICIAL = "elected_official", _("Elected official")
        HR_MANAGER = "hr_manager", _("HR / training manager")
        EDITOR = "editor", _("Content editor")

    class Mandate(models.TextChoices):
        MAIRE = "maire", _("Mayor")
        ADJOINT = "adjoint", _("Deputy mayor")
        CONSEILLER_DELEGUE = "conseiller_delegue", _("Councillor with a delegation")
        CONSEILLER = "conseiller", _("Councillor")

    class Category(models.TextChoices):
        A = "A", "A"
        B = "B", "B"
        C = "C", "C"

    class Filiere(models.TextChoices):
        ADMINISTRATIVE = "administrative", _("Administrative")
        TECHNIQUE = "technique", _("Technical")
        CULTURELLE = "culturelle", _("Cultural")
        SPORTIVE = "sportive", _("Sports")
        SOCIALE = "sociale", _("Social")
        MEDICO_SOCIALE = "medico_sociale", _("Medico-social")
        MEDICO_TECHNIQUE = "medico_technique", _("Medico-technical")
        ANIMATION = "animation", _("Community activities")
        POLICE = "police_municipale", _("Municipal police")
        POMPIERS = "sapeurs_pompiers", _("Firefighters")

    class Statut(models.TextChoices):
        TITULAIRE = "titulaire", _("Tenured civil servant")
        STAGIAIRE = "stagiaire", _("Trainee civil servant")
        CONTRACTUEL = "contractuel", _("Contract staff")
        DROIT_PRIVE = "droit_prive", _("Private-law contract (apprentice, subsidised)")

    LEARNER_ROLES = (Role.AGENT, Role.ELECTED_OFFICIAL)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="lms_memberships",
        verbose_name=_("person"),
    )
    collectivity = models.ForeignKey(
        Collectivity, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("collectivity")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    mandate = models.CharField(_("mandate"), max_length=20, choices=Mandate.choices, blank=True)
    service = models.ForeignKey(
        Service,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("service"),
    )
    job_profile = models.ForeignKey(
        "lms_competences.JobProfile",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("job profile"),
    )
    category = models.CharField(_("catégorie"), max_length=1, choices=Category.choices, blank=True)
    filiere = models.CharField(_("filière"), max_length=20, choices=Filiere.choices, blank=True)
    statut = models.CharField(_("statut"), max_length=20, choices=Statut.choices, blank=True)
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

    def clean(self):
        if self.mandate and self.role != self.Role.ELECTED_OFFICIAL:
            raise ValidationError({"mandate": _("Only elected officials hold a mandate.")})
        if self.service_id and self.service.collectivity_id != self.collectivity_id:
            raise ValidationError({"service": _("The service must belong to the membership's collectivity.")})
        if self.job_profile_id and self.job_profile.collectivity_id not in (None, self.collectivity_id):
            raise ValidationError(
                {
                    "job_profile": _(
                        "The job profile must be shared or belong to the membership's collectivity."
                    )
                }
            )


class AggregateSharing(models.Model):
    """A member collectivity's agreement that its grouping (EPCI, CDG) reads its aggregated figures.

    Recorded on the member's side and revocable; it never opens the member's individuals.
    """

    member = models.ForeignKey(
        Collectivity, on_delete=models.CASCADE, related_name="sharings_granted", verbose_name=_("member")
    )
    grouping = models.ForeignKey(
        Collectivity,
        on_delete=models.CASCADE,
        related_name="sharings_received",
        verbose_name=_("grouping"),
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    granted_at = models.DateTimeField(_("granted"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("sharing of aggregated figures")
        verbose_name_plural = _("sharings of aggregated figures")
        constraints = [models.UniqueConstraint(fields=["member", "grouping"], name="lms_sharing_unique_pair")]

    def __str__(self):
        return f"{self.member} → {self.grouping}"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class ErasedMember(models.Model):
    """What stays of an erased person in a collectivity: their pseudonym and their population, nothing else.

    Aggregated figures keep counting the person's pseudonymised statements where they belonged; nothing here
    leads back to them (the pseudonym is random and the account is gone).
    """

    actor_name = models.CharField(_("pseudonym"), max_length=255, db_index=True)
    collectivity = models.ForeignKey(
        Collectivity, on_delete=models.CASCADE, related_name="erased_members", verbose_name=_("collectivity")
    )
    population = models.CharField(_("population"), max_length=20)
    erased_at = models.DateTimeField(_("erased"), default=timezone.now)

    class Meta:
        verbose_name = _("erased member")
        verbose_name_plural = _("erased members")
        constraints = [
            models.UniqueConstraint(fields=["actor_name", "collectivity"], name="lms_erasedmember_unique")
        ]

    def __str__(self):
        return f"{self.actor_name} ({self.collectivity_id})"


class Learner(models.Model):
    """The pseudonymous identity of a person in xAPI statements.

    ``actor_name`` is the opaque ``account.name`` of the xAPI actor; it never reveals the person.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lms_learner"
    )
    actor_name = models.UUIDField(_("xAPI account name"), unique=True, default=uuid.uuid4, editable=False)
    declared_commune = models.ForeignKey(
        Collectivity,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("declared commune"),
        help_text=_("A member of the public's commune, counted anonymously in its inclusion figures."),
    )

    class Meta:
        verbose_name = _("learner")
        verbose_name_plural = _("learners")

    def __str__(self):
        return str(self.actor_name)
