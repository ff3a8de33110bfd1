"""Sign-in failures (lock-out) and the audit log of access to people's individual data."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LoginFailure(models.Model):
    """One failed sign-in; enough recent ones lock the username (or the address) out."""

    username = models.CharField(max_length=254, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("sign-in failure")
        verbose_name_plural = _("sign-in failures")

    def __str__(self):
        return f"{self.username} @ {self.at:%Y-%m-%d %H:%M}"


class AuditLogEntry(models.Model):
    """Who viewed, exported, imported or erased which person's individual data."""

    class Action(models.TextChoices):
        VIEWED = "viewed", _("Viewed")
        EXPORTED = "exported", _("Exported")
        IMPORTED = "imported", _("Imported")
        ERASED = "erased", _("Erased")

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    actor_label = models.CharField(_("by (as recorded)"), max_length=255, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("whose data"),
    )
    subject_label = models.CharField(_("whose data (as recorded)"), max_length=255, blank=True)
    collectivity = models.ForeignKey(
        "lms.Collectivity", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    what = models.CharField(_("what"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.subject_label}"


class ExternalIdentity(models.Model):
    """A person's identity at an OpenID Connect provider (ProConnect, FranceConnect): provider + subject."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="lms_identities",
        verbose_name=_("person"),
    )
    provider = models.CharField(_("provider"), max_length=50)
    subject = models.CharField(_("subject"), max_length=255)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("external identity")
        verbose_name_plural = _("external identities")
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="lms_identity_unique_subject")
        ]

    def __str__(self):
        return f"{self.provider}:{self.subject}"
