"""Statement storage backends.

The backend is chosen by the ``LMS_STATEMENT_STORE`` setting (a dotted path); :func:`get_store` returns it.
Every statement is validated (:mod:`lms.xapi.validation`) before anything of its batch is stored.
"""

import re
import uuid
from abc import ABC, abstractmethod
from contextlib import contextmanager

import orjson
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from lms.conf import lms_settings
from lms.models import Statement
from lms.signals import statements_stored

from . import vocabulary as v
from .agents import actor_key, ifi_key, lines, related
from .errors import StatementConflict, StatementError, StatementForbidden, ValidationError
from .evidence import COURSE_STAGES, course_stage, evidence_summary
from .validation import check_statement

__all__ = [
    "DatabaseStatementStore",
    "StatementConflict",
    "StatementError",
    "StatementStore",
    "ValidationError",
    "actor_key",
    "get_store",
]

#: Properties set by the LRS, not part of what two copies of a statement must share.
LRS_PROPERTIES = ("stored", "authority", "version")


def _comparable(statement: dict) -> dict:
    return {key: value for key, value in statement.items() if key not in LRS_PROPERTIES}


def same_statement(stored: dict, incoming: dict) -> bool:
    """Tell whether an incoming statement is a copy of a stored one (LRS-set properties aside).

    A timestamp the LRS filled in is ignored when the incoming copy has none.
    """
    stored, incoming = _comparable(stored), _comparable(incoming)
    if "timestamp" not in incoming:
        stored.pop("timestamp", None)
    return stored == incoming


class StatementStore(ABC):
    """Where statements are kept."""

    @abstractmethod
    def store(self, statements: list[dict], *, collectivity=None, authority: dict | None = None) -> list[str]:
        """Validate and store statements all together or not at all.

        A statement whose id is stored already with the same content is accepted and not stored twice;
        with a different content the whole call fails with :class:`StatementConflict`.

        Args:
            statements: xAPI statements as dicts; an id is added where missing.
            collectivity: the collectivity (or its id) the statements are attributed to.
            authority: the Agent vouching for the statements (the LRS client); when None, a statement's own
                authority is kept, else the platform's.

        Returns:
            The statement ids, in order.

        Raises:
            ValidationError: a statement breaks a rule of xAPI 1.0.3 (nothing is stored).
            StatementConflict: an id is stored already with another content (nothing is stored).
        """


def platform_authority() -> dict:
    """The authority of statements Tremplin writes itself."""
    return {
        "objectType": "Agent",
        "name": "Tremplin",
        "account": {"homePage": lms_settings.SITE_URL, "name": "tremplin"},
    }


class _Row:
    __slots__ = (
        "statement_id",
        "actor_name",
        "agent_ifi",
        "object_type",
        "verb",
        "object_id",
        "registration",
        "timestamp",
        "related_agents",
        "related_activities",
        "data",
        "ref_id",
        "authority",
        "evidence",
        "course_stage",
    )


def prepare(statements: list[dict], *, authority: dict | None, now) -> list[_Row]:
    """Validate statements and compute the columns of their rows, without touching the database.

    The statements are completed as stored: an id and a timestamp where missing. The ``stored``,
    ``authority`` and default ``version`` the LRS sets go to their columns, not into ``data``
    (:func:`lms.models.statements.full_statement` puts them back when a statement is read).

    Raises:
        ValidationError: naming the statement (``statements[i]`` in a batch), the field and the rule.
        StatementError: the same id twice with different contents in one batch.
    """
    # Always with the fraction (isoformat drops it when the microseconds are 0): xAPI wants milliseconds.
    stored = now.isoformat(timespec="microseconds")
    batch = len(statements) > 1
    shared = authority if authority is not None else platform_authority()
    shared_text = orjson.dumps(shared).decode()
    rows, seen = [], {}
    for index, statement in enumerate(statements):
        path = f"statements[{index}]" if batch else "statement"
        timestamp = check_statement(statement, path)
        if "id" not in statement:
            statement["id"] = str(uuid.uuid4())
        else:
            statement["id"] = statement["id"].lower()
        if timestamp is None:
            timestamp = now
            statement["timestamp"] = stored
        statement.pop("stored", None)
        row = _Row()
        own = statement.pop("authority", None)
        if authority is None and own is not None:
            # A statement Tremplin stores with its own authority keeps it.
            used, row.authority = own, orjson.dumps(own).decode()
        else:
            used, row.authority = shared, shared_text
        actor, target = statement["actor"], statement["object"]
        object_type = target.get("objectType", "Activity")
        context = statement.get("context") or {}
        row.statement_id = statement["id"]
        row.actor_name = actor_key(actor)[:255]
        row.agent_ifi = ifi_key(actor)[:500]
        row.object_type = object_type
        row.verb = statement["verb"]["id"][:255]
        if object_type in ("Agent", "Group"):
            row.object_id = ifi_key(target)[:500]
        else:
            row.object_id = target.get("id", "")[:500]
        row.registration = context.get("registration")
        row.ref_id = target["id"].lower() if object_type == "StatementRef" else None
        row.timestamp = timestamp
        agents, activities = related(statement, authority=used)
        row.related_agents = lines(agents)
        row.related_activities = lines(activities)
        row.data = statement
        row.evidence = evidence_summary(statement)
        row.course_stage = course_stage(statement, row.object_id)
        if row.statement_id in seen:
            if not same_statement(seen[row.statement_id], statement):
                raise StatementError(
                    f"{path}.id: the same id is used twice in the batch with different contents"
                )
            continue
        seen[row.statement_id] = statement
        rows.append(row)
    return rows


COPY_COLUMNS = (
    "statement_id",
    "actor_name",
    "agent_ifi",
    "object_type",
    "verb",
    "object_id",
    "registration",
    "timestamp",
    "stored",
    "collectivity_id",
    "voided",
    "related_agents",
    "related_activities",
    "ref_id",
    "authority",
    "evidence",
    "course_stage",
    "data",
)


class DatabaseStatementStore(StatementStore):
    """Keeps statements in the ``lms.Statement`` table of the default database.

    On PostgreSQL, new rows go in with one ``COPY`` per batch; elsewhere with ``bulk_create``. A batch is
    first inserted as if all its ids were new; when the unique index refuses it (a re-sent statement, or a
    concurrent insert of the same id), it starts again with one lookup of the known ids, compared with the
    batch, and inserts only the new ones.
    """

    def store(self, statements, *, collectivity=None, authority=None):
        now = timezone.now()
        statements = [dict(statement) for statement in statements]
        rows = prepare(statements, authority=authority, now=now)
        collectivity_id = getattr(collectivity, "pk", collectivity)
        # First as if every id were new (one COPY, no lookup): a known id makes the unique index refuse the
        # batch, which then goes again, comparing with what is stored.
        for attempt in range(3):
            if attempt:
                # Dated again: ``stored`` stays within a second of the insert (Consistent-Through's margin).
                now = timezone.now()
            try:
                self._insert(rows, now, collectivity_id, optimistic=attempt == 0)
                break
            except IntegrityError:
                if attempt == 2:
                    raise
        return [statement["id"] for statement in statements]

    def _insert(self, rows, now, collectivity_id, *, optimistic):
        if (
            optimistic
            and connection.vendor == "postgresql"
            and not connection.in_atomic_block
            and all(row.verb != v.VOIDED.id for row in rows)
        ):
            # Nothing to write but the rows: one COPY is one transaction by itself (all its rows or none), so
            # it runs without BEGIN and COMMIT — two round trips, about 130 µs of CPU per request between the
            # worker and PostgreSQL. A known id makes it fail whole, and the batch goes again below.
            self._copy(rows, now, collectivity_id)
            statements_stored.send(sender=type(self), statements=[row.data for row in rows])
            return
        with transaction.atomic():
            existing = {} if optimistic else _existing([row.statement_id for row in rows])
            new_rows = []
            for row in rows:
                known = existing.get(row.statement_id)
                if known is None:
                    new_rows.append(row)
                    continue
                data, owner = known
                if collectivity_id is not None and owner != collectivity_id:
                    # Ids are unique across the store: the id cannot be stored again, and the writer, who
                    # reads its collectivity's statements only, must not be told "stored" for a statement
                    # it will never read (nor be shown whether its content matches).
                    raise StatementConflict(
                        f"statement {row.statement_id}: this id is already used by a statement of another "
                        "collectivity"
                    )
                if not same_statement(data, row.data):
                    raise StatementConflict(
                        f"statement {row.statement_id}: stored already with a different content"
                    )
            if not new_rows:
                return
            voided_ids = [row.ref_id for row in new_rows if row.verb == v.VOIDED.id]
            if voided_ids and collectivity_id is not None:
                _check_voidable(voided_ids, collectivity_id)
            if connection.vendor == "postgresql":
                self._copy(new_rows, now, collectivity_id)
            else:
                Statement.objects.bulk_create(
                    [
                        Statement(
                            statement_id=row.statement_id,
                            actor_name=row.actor_name,
                            agent_ifi=row.agent_ifi,
                            object_type=row.object_type,
                            verb=row.verb,
                            object_id=row.object_id,
                            registration=row.registration,
                            timestamp=row.timestamp,
                            stored=now,
                            collectivity_id=collectivity_id,
                            related_agents=row.related_agents,
                            related_activities=row.related_activities,
                            ref_id=row.ref_id,
                            data=row.data,
                            authority=row.authority,
                            evidence=row.evidence,
                            course_stage=row.course_stage,
                        )
                        for row in new_rows
                    ]
                )
            if voided_ids:
                # A voiding statement cannot itself be voided; a collectivity's, only its own statements (the
                # check above refused the others; this holds for a target another request stores meanwhile).
                targets = Statement.objects.filter(statement_id__in=voided_ids).exclude(verb=v.VOIDED.id)
                if collectivity_id is not None:
                    targets = targets.filter(collectivity_id=collectivity_id)
                targets.update(voided=True)
            statements_stored.send(sender=type(self), statements=[row.data for row in new_rows])

    @staticmethod
    def _copy(rows, now, collectivity_id):
        columns = ", ".join(COPY_COLUMNS)
        sql = f"COPY {Statement._meta.db_table} ({columns}) FROM STDIN"
        with (
            connection.cursor() as cursor,
            _unique_violation_as_integrity_error(),
            cursor.cursor.copy(sql) as copy,
        ):
            copy.write(copy_data(rows, now, collectivity_id))


#: NULL in COPY's text format.
_NULL = "\\N"
#: The characters COPY's text format escapes inside a value.
_COPY_SPECIAL = re.compile(r"[\\\n\r\t]")


def _copy_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


def _copy_value(value: str) -> str:
    return _copy_escape(value) if _COPY_SPECIAL.search(value) else value


def _copy_lines(value: str) -> str:
    """A ``related_*`` value (keys between newlines): its newlines escaped, and the rest when there is any."""
    if "\\" in value or "\r" in value or "\t" in value:
        return _copy_escape(value)
    return value.replace("\n", "\\n")


def _copy_json(data: dict) -> bytes:
    # JSON text holds no raw control character (orjson escapes them): only its backslashes need doubling.
    text = orjson.dumps(data)
    return text.replace(b"\\", b"\\\\") if b"\\" in text else text


def copy_data(rows, now, collectivity_id) -> bytes:
    """The rows as the data of one ``COPY ... FROM STDIN`` in text format, columns in ``COPY_COLUMNS`` order.

    Written here rather than with psycopg's ``write_row`` (which adapts the 16 values of each row one by
    one, and encodes ``data`` again after orjson decoded it). The ids, the object type and the timestamps
    hold no character to escape (validated, or made here); the other text values are escaped by COPY's rules
    — checked once per row on the values joined (a tab among them shows as one tab too many), the usual case
    being nothing to escape (the evidence summary, when there is one, always has newlines). ``data`` comes
    last, as orjson's bytes.
    """
    middle = f"\t{now.isoformat()}\t{collectivity_id if collectivity_id is not None else _NULL}\tf\t"
    parts = []
    append = parts.append
    authority = escaped_authority = None
    for row in rows:
        texts = "\t".join((row.actor_name, row.agent_ifi, row.object_type, row.verb, row.object_id))
        if "\\" in texts or "\n" in texts or "\r" in texts or texts.count("\t") != 4:
            texts = "\t".join(
                map(_copy_value, (row.actor_name, row.agent_ifi, row.object_type, row.verb, row.object_id))
            )
        related = f"{_copy_lines(row.related_agents)}\t{_copy_lines(row.related_activities)}"
        if row.authority is not authority:
            authority, escaped_authority = row.authority, _copy_value(row.authority)
        evidence = _NULL if row.evidence is None else _copy_escape(row.evidence)
        stage = _NULL if row.course_stage is None else _copy_value(row.course_stage)
        append(
            f"{row.statement_id}\t{texts}\t{row.registration or _NULL}\t{row.timestamp.isoformat()}{middle}"
            f"{related}\t{row.ref_id or _NULL}\t{escaped_authority}\t{evidence}\t{stage}\t".encode()
        )
        append(_copy_json(row.data))
        append(b"\n")
    return b"".join(parts)


def _existing(statement_ids: list[str]) -> dict[str, tuple[dict, int | None]]:
    """The stored statements among these ids: ``{id: (data, collectivity id)}`` (one query, ids compared as
    text-cast UUIDs)."""
    if connection.vendor != "postgresql":
        rows = Statement.objects.filter(statement_id__in=statement_ids).values_list(
            "statement_id", "data", "collectivity_id"
        )
        return {str(statement_id): (data, owner) for statement_id, data, owner in rows}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT statement_id::text, data::text, collectivity_id FROM {Statement._meta.db_table} "
            "WHERE statement_id = ANY(%s::uuid[])",
            [statement_ids],
        )
        return {statement_id: (orjson.loads(data), owner) for statement_id, data, owner in cursor.fetchall()}


def _check_voidable(target_ids: list, collectivity_id: int) -> None:
    """A client of a collectivity voids its collectivity's statements only.

    It reads no other statement, so voiding one would change what another collectivity's clients, learners
    and dashboards see. Voiding an id that is not stored is accepted, as the spec asks.

    Raises:
        StatementForbidden: a target is a statement of another collectivity, or a platform-wide one.
    """
    foreign = (
        Statement.objects.filter(statement_id__in=target_ids)
        .exclude(collectivity_id=collectivity_id)
        .values_list("statement_id", flat=True)
        .first()
    )
    if foreign is not None:
        raise StatementForbidden(
            f"statement {foreign}: a client of a collectivity may void only that collectivity's statements"
        )


@contextmanager
def _unique_violation_as_integrity_error():
    import psycopg

    try:
        yield
    except psycopg.errors.UniqueViolation as error:
        raise IntegrityError(str(error)) from error


def get_store() -> StatementStore:
    """Return the configured statement store."""
    return import_string(lms_settings.STATEMENT_STORE)()


def write_course_stages(statements, connection, batch: int = 10_000) -> int:
    """Write the course stage (:func:`course_stage`) of the statements of a stage among ``statements`` (a
    queryset of ``lms.Statement``, or of its historical model in a migration), from their verb, object and
    ``grouping``, in batches in ``seq`` order; the number written.

    Migration ``0017_statement_course_stage`` writes those stored before it; ``manage.py
    lms_write_course_stages`` those a previous release stored without one while the new one was migrating.
    """
    candidates = statements.using(connection.alias).filter(verb__in=list(COURSE_STAGES))
    last, written = 0, 0
    with connection.cursor() as cursor:
        while True:
            rows = list(
                candidates.filter(seq__gt=last)
                .order_by("seq")
                .values_list("seq", "verb", "object_id", "data__context__contextActivities__grouping")[:batch]
            )
            if not rows:
                return written
            last = rows[-1][0]
            seqs, stages = [], []
            for seq, verb, object_id, grouping in rows:
                seqs.append(seq)
                statement = {"verb": {"id": verb}, "context": {"contextActivities": {"grouping": grouping}}}
                stages.append(course_stage(statement, object_id))
            if connection.vendor == "postgresql":
                cursor.execute(
                    "UPDATE lms_statement s SET course_stage = u.stage "
                    "FROM unnest(%s::bigint[], %s::text[]) AS u(seq, stage) WHERE s.seq = u.seq",
                    [seqs, stages],
                )
            else:
                cursor.executemany(
                    "UPDATE lms_statement SET course_stage = %s WHERE seq = %s",
                    list(zip(stages, seqs, strict=True)),
                )
            written += len(rows)
