"""The statement store: one row per xAPI statement, the source of truth for learning events."""

import orjson
from django.db import models
from django.utils.translation import gettext_lazy as _

#: The version an LRS gives a statement stored without one (xAPI 1.0.3, "Versioning").
DEFAULT_VERSION = "1.0.0"


def full_statement(data: dict, stored, authority: str) -> dict:
    """The statement as the LRS returns it: ``data`` with the properties the LRS set, kept in columns.

    ``data`` holds the statement as accepted (its id and timestamp filled in); ``stored`` (a column for the
    ``since``/``until`` filters anyway), ``authority`` (its JSON, one text per batch) and the default
    ``version`` are not repeated in every row's ``jsonb``: PostgreSQL parses each stored byte of it, and
    they were a fifth of it. Rows stored before migration ``0014`` hold them in ``data``: kept as they are.

    Args:
        data: the ``data`` column (a fresh dict, completed in place and returned).
        stored: the ``stored`` column.
        authority: the ``authority`` column (JSON text; empty for rows whose ``data`` holds it).
    """
    if "stored" not in data:
        data["stored"] = stored.isoformat(timespec="microseconds")
    if authority and "authority" not in data:
        data["authority"] = orjson.loads(authority)
    if "version" not in data:
        data["version"] = DEFAULT_VERSION
    return data


class StatementQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        """Rows written by other means than the LRS (tests, imports) get their evidence summary and course
        stage too."""
        objs = list(objs)
        for statement in objs:
            statement.fill_summaries()
        return super().bulk_create(objs, *args, **kwargs)


class Statement(models.Model):
    """A stored xAPI statement.

    ``seq`` grows with each insert: the aggregation reads statements after a watermark on it. The statement
    is kept in ``data``, without the ``stored``, ``authority`` and default ``version`` the LRS sets
    (:attr:`statement` puts them back, see :func:`full_statement`); the other columns are copies used for
    filtering.
    """

    seq = models.BigAutoField(primary_key=True)
    statement_id = models.UUIDField(_("statement id"), unique=True)
    actor_name = models.CharField(_("actor"), max_length=255)
    #: The actor's inverse functional identifier, as built by ``lms.xapi.agents.ifi_key``.
    agent_ifi = models.CharField(_("agent"), max_length=500, default="")
    object_type = models.CharField(_("object type"), max_length=16, default="Activity")
    verb = models.CharField(_("verb"), max_length=255)
    object_id = models.CharField(_("object"), max_length=500)
    registration = models.UUIDField(null=True, blank=True)
    timestamp = models.DateTimeField(_("timestamp"))
    stored = models.DateTimeField(_("stored"))
    #: No database constraint: PostgreSQL would check it row by row (a lookup and a lock on the
    #: collectivity per statement, a fifth of the insert's cost); the value comes from the LRS client or the
    #: service storing the statement, and deleting a collectivity still detaches its statements (SET_NULL,
    #: done by Django).
    collectivity = models.ForeignKey(
        "lms.Collectivity",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    voided = models.BooleanField(default=False)
    #: The statement id a StatementRef object points to (a voiding statement's target, for instance).
    ref_id = models.UUIDField(null=True, blank=True)
    #: Agents and activities anywhere in the statement, one per line between newlines, for the
    #: ``related_agents`` / ``related_activities`` filters (a LIKE on an unindexed column: cheap to write).
    related_agents = models.TextField(default="", blank=True)
    related_activities = models.TextField(default="", blank=True)
    data = models.JSONField()
    #: The ``authority`` the LRS set, as JSON text (see :func:`full_statement`).
    authority = models.TextField(_("authority"), default="", db_default="", blank=True)
    #: The evidence the statement gives under the rules of ``lms.analytics.rules`` (its competences and
    #: levels), written with it so that the levels are computed without reading ``data``; ``None`` for most
    #: statements, which give none (:func:`lms.xapi.evidence.evidence_summary`).
    evidence = models.TextField(null=True, blank=True, editable=False)
    #: The stage of a course the statement records for the activity figures (enrolled, started, passed,
    #: completed) and that course, written with it so that they read neither ``data`` nor the verb; ``None``
    #: for the other verbs (:func:`lms.xapi.evidence.course_stage`).
    course_stage = models.TextField(null=True, blank=True, editable=False)

    objects = StatementQuerySet.as_manager()

    class Meta:
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        ordering = ["-stored", "-seq"]
        # Every index slows ingestion down (each COPY updates them all), so only the lookups the LRS and the
        # analytics make are indexed, with plain b-tree indexes (no ``_like`` twins for CharFields). The verb
        # is not indexed: analytics read seq ranges; a verb filter walks the seq order until its page is full.
        indexes = [
            # Also the index of the ``agent`` filter: the actor's key determines its ``actor_name``
            # (``lms.xapi.queries.as_actor``), so ``agent_ifi`` needs no index of its own.
            models.Index(fields=["actor_name"], name="lms_stmt_actor_name"),
            models.Index(fields=["object_id"], name="lms_stmt_object"),
            models.Index(fields=["registration"], name="lms_stmt_registration"),
            models.Index(fields=["stored"], name="lms_stmt_stored"),
            models.Index(fields=["collectivity", "seq"], name="lms_stmt_collectivity_seq"),
            # Few statements refer to others: a partial index costs the others nothing.
            models.Index(fields=["ref_id"], name="lms_stmt_ref", condition=models.Q(ref_id__isnull=False)),
            # The activity figures' read (``lms.analytics.services``): every statement of a stage of a
            # course, ordered by collectivity and person, with what the figures need of it, so that the
            # nightly run reads this index (≈ 150 bytes per statement) instead of the table (≈ 1,300)
            # and groups the statements by person without sorting or hashing them. Written for the
            # statements that count (most of them); a voided statement leaves it.
            models.Index(
                fields=["collectivity", "actor_name"],
                include=["seq", "timestamp", "course_stage"],
                name="lms_stmt_course_stage",
                condition=models.Q(course_stage__isnull=False, collectivity__isnull=False, voided=False),
            ),
        ]

    def __str__(self):
        return str(self.statement_id)

    def save(self, *args, **kwargs):
        self.fill_summaries()
        super().save(*args, **kwargs)

    def fill_summaries(self) -> None:
        """Write the evidence summary and the course stage of ``data`` (the statement store does it when it
        stores a batch)."""
        from lms.xapi.evidence import course_stage, evidence_summary  # it imports the models

        data = self.data if isinstance(self.data, dict) else None
        self.evidence = evidence_summary(data) if data is not None else None
        self.course_stage = course_stage(data, self.object_id) if data is not None else None

    @property
    def statement(self) -> dict:
        """The statement as the LRS returns it (``stored``, ``authority`` and ``version`` included)."""
        return full_statement(dict(self.data), self.stored, self.authority)
