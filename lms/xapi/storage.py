"""Statement storage backends.

The backend is chosen by the ``LMS_STATEMENT_STORE`` setting (a dotted path); :func:`get_store` returns it.
"""

import uuid
from abc import ABC, abstractmethod
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.module_loading import import_string

from lms.conf import lms_settings
from lms.models import Statement
from lms.signals import statements_stored


class StatementError(ValueError):
    """A statement that cannot be stored as it is (HTTP 400)."""


class StatementConflict(StatementError):
    """A statement whose id is stored already with a different content (HTTP 409)."""


#: Properties set by the LRS, not part of what two copies of a statement must share.
LRS_PROPERTIES = ("stored", "authority", "version")


def _comparable(statement: dict) -> dict:
    return {key: value for key, value in statement.items() if key not in LRS_PROPERTIES}


def actor_key(actor: dict) -> str:
    """Return the string Tremplin indexes an actor by: its account name, or its other identifier."""
    if "account" in actor:
        return actor["account"].get("name", "")
    for ifi in ("mbox_sha1sum", "openid", "mbox"):
        if ifi in actor:
            return actor[ifi]
    return ""


def _parse_timestamp(value, field: str) -> datetime:
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        raise StatementError(f"{field}: not an ISO 8601 timestamp")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, timezone.UTC)
    return parsed


class StatementStore(ABC):
    """Where statements are kept."""

    @abstractmethod
    def store(self, statements: list[dict], *, collectivity=None) -> list[str]:
        """Store statements all together or not at all.

        A statement whose id is stored already with the same content is accepted and not stored twice;
        with a different content the whole call fails with :class:`StatementConflict`.

        Args:
            statements: xAPI statements as dicts; an id is added where missing.
            collectivity: the collectivity the statements are attributed to.

        Returns:
            The statement ids, in order.
        """


class DatabaseStatementStore(StatementStore):
    """Keeps statements in the ``lms.Statement`` table of the default database."""

    def store(self, statements, *, collectivity=None):
        now = timezone.now()
        rows, ids = [], []
        for index, statement in enumerate(statements):
            field = f"statements[{index}]" if len(statements) > 1 else "statement"
            statement = dict(statement)
            statement.setdefault("id", str(uuid.uuid4()))
            try:
                statement_id = uuid.UUID(str(statement["id"]))
            except ValueError as error:
                raise StatementError(f"{field}.id: not a UUID") from error
            for required in ("actor", "verb", "object"):
                if not isinstance(statement.get(required), dict):
                    raise StatementError(f"{field}.{required}: required")
            statement.setdefault("timestamp", now.isoformat())
            statement["stored"] = now.isoformat()
            statement.setdefault("version", "1.0.3")
            context = statement.get("context") or {}
            rows.append(
                Statement(
                    statement_id=statement_id,
                    actor_name=actor_key(statement["actor"]),
                    verb=statement["verb"].get("id", ""),
                    object_id=statement["object"].get("id", ""),
                    registration=context.get("registration"),
                    timestamp=_parse_timestamp(statement["timestamp"], f"{field}.timestamp"),
                    stored=now,
                    collectivity=collectivity,
                    data=statement,
                )
            )
            ids.append(str(statement_id))
        with transaction.atomic():
            existing = {
                str(row.statement_id): row.data
                for row in Statement.objects.filter(statement_id__in=[row.statement_id for row in rows])
            }
            new_rows, seen = [], set()
            for row in rows:
                key = str(row.statement_id)
                if key in existing:
                    if _comparable(existing[key]) != _comparable(row.data):
                        raise StatementConflict(f"statement {key}: stored already with a different content")
                    continue
                if key in seen:
                    continue
                seen.add(key)
                new_rows.append(row)
            Statement.objects.bulk_create(new_rows)
            if new_rows:
                statements_stored.send(sender=type(self), statements=[row.data for row in new_rows])
        return ids


def get_store() -> StatementStore:
    """Return the configured statement store."""
    return import_string(lms_settings.STATEMENT_STORE)()
