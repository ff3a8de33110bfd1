"""The Learning Record Store around the statements: clients, documents, attachments and forwarding."""

import secrets

from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from django.utils.translation import gettext_lazy as _


class LrsClient(models.Model):
    """Credentials a tool uses to talk to ``/xapi/`` with HTTP Basic authentication.

    A client of a collectivity has its statements attributed to that collectivity and reads only them; a
    client without collectivity is platform-wide. The secret is kept hashed (Django's password hashers).
    """

    class Scope(models.TextChoices):
        READ_WRITE = "all", _("Read and write")
        READ = "read", _("Read only")
        WRITE = "write", _("Write only")

    name = models.CharField(_("name"), max_length=200)
    key = models.CharField(_("key"), max_length=100, unique=True)
    secret_hash = models.CharField(_("secret (hashed)"), max_length=255, editable=False)
    collectivity = models.ForeignKey(
        "lms.Collectivity",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="lrs_clients",
        verbose_name=_("collectivity"),
        help_text=_("Leave empty for a platform-wide client, which reads every statement."),
    )
    scope = models.CharField(_("access"), max_length=5, choices=Scope.choices, default=Scope.READ_WRITE)
    active = models.BooleanField(_("active"), default=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("LRS client")
        verbose_name_plural = _("LRS clients")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @staticmethod
    def generate_key() -> str:
        return secrets.token_hex(12)

    @staticmethod
    def generate_secret() -> str:
        return secrets.token_urlsafe(24)

    def set_secret(self, secret: str) -> None:
        self.secret_hash = make_password(secret)

    def check_secret(self, secret: str) -> bool:
        return bool(self.secret_hash) and check_password(secret, self.secret_hash)

    @property
    def can_read(self) -> bool:
        return self.scope in (self.Scope.READ_WRITE, self.Scope.READ)

    @property
    def can_write(self) -> bool:
        return self.scope in (self.Scope.READ_WRITE, self.Scope.WRITE)


class LrsDocument(models.Model):
    """A document of the State, Activity Profile or Agent Profile resources.

    Documents written by a collectivity's client belong to that collectivity and are seen only by its
    clients; platform-wide clients share the platform's documents (``collectivity`` empty).
    """

    class Kind(models.TextChoices):
        STATE = "state", _("State")
        ACTIVITY_PROFILE = "activity_profile", _("Activity profile")
        AGENT_PROFILE = "agent_profile", _("Agent profile")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    activity_id = models.CharField(_("activity"), max_length=500, blank=True, default="")
    agent_ifi = models.CharField(_("agent"), max_length=500, blank=True, default="")
    #: The registration UUID as a string, empty when none, so that the unique constraint holds.
    registration = models.CharField(_("registration"), max_length=36, blank=True, default="")
    document_id = models.CharField(_("document id"), max_length=255)
    collectivity = models.ForeignKey(
        "lms.Collectivity", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    content = models.BinaryField()
    content_type = models.CharField(_("content type"), max_length=255, default="application/octet-stream")
    etag = models.CharField(max_length=64)
    updated = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("LRS document")
        verbose_name_plural = _("LRS documents")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "activity_id", "agent_ifi", "registration", "document_id"],
                condition=models.Q(collectivity__isnull=True),
                name="lms_lrsdocument_unique",
            ),
            models.UniqueConstraint(
                fields=["collectivity", "kind", "activity_id", "agent_ifi", "registration", "document_id"],
                condition=models.Q(collectivity__isnull=False),
                name="lms_lrsdocument_unique_collectivity",
            ),
        ]

    def __str__(self):
        return f"{self.kind}:{self.document_id}"


class LrsAttachment(models.Model):
    """The raw content of a statement attachment, stored once per SHA-2 hash."""

    sha2 = models.CharField(max_length=128, unique=True)
    content_type = models.CharField(max_length=255)
    content = models.BinaryField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("LRS attachment")
        verbose_name_plural = _("LRS attachments")

    def __str__(self):
        return self.sha2


class ForwardingTarget(models.Model):
    """An external LRS every stored statement is forwarded to, in batches, in the background.

    ``last_seq`` is the forwarding watermark: statements with a greater ``Statement.seq`` are still to send.
    """

    name = models.CharField(_("name"), max_length=200)
    endpoint = models.URLField(_("endpoint"), help_text=_("The LRS base URL, ending with /xapi/ or similar."))
    username = models.CharField(_("key"), max_length=255, blank=True)
    password = models.CharField(_("secret"), max_length=255, blank=True)
    collectivity = models.ForeignKey(
        "lms.Collectivity",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("collectivity"),
        help_text=_("Forward only this collectivity's statements; leave empty for all."),
    )
    batch_size = models.PositiveIntegerField(_("batch size"), default=500)
    active = models.BooleanField(_("active"), default=True)
    last_seq = models.BigIntegerField(_("forwarded up to"), default=0)
    last_success = models.DateTimeField(_("last success"), null=True, blank=True)

    class Meta:
        verbose_name = _("forwarding target")
        verbose_name_plural = _("forwarding targets")
        ordering = ["name"]

    def __str__(self):
        return self.name


class ForwardingFailure(models.Model):
    """A batch that an external LRS refused or could not receive; it can be retried from the admin."""

    target = models.ForeignKey(
        ForwardingTarget, on_delete=models.CASCADE, related_name="failures", verbose_name=_("target")
    )
    first_seq = models.BigIntegerField(_("first statement"))
    last_seq = models.BigIntegerField(_("last statement"))
    statement_count = models.PositiveIntegerField(_("statements"))
    reason = models.TextField(_("reason"))
    attempts = models.PositiveIntegerField(_("attempts"), default=1)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)
    resolved = models.BooleanField(_("resolved"), default=False)

    class Meta:
        verbose_name = _("forwarding failure")
        verbose_name_plural = _("forwarding failures")
        ordering = ["-created"]

    def __str__(self):
        return f"{self.target}: {self.first_seq}–{self.last_seq}"
