"""Forwarding stored statements to external LRSs (Ralph, Learning Locker, another Tremplin…).

Each :class:`~lms.models.ForwardingTarget` has a watermark (``last_seq``): the statements stored after it
are sent in batches, oldest first, by a Celery task (:mod:`lms.xapi.tasks`), never by the request that stored
them (with eager Celery, the embedded default without a broker, nothing is forwarded from requests).
Delivery is at least once and idempotent by statement id (an LRS answers a re-sent statement as a no-op).

- A network error, a 5xx, a 429 or 408, and the answers of a misconfigured target (401 and 403: its
  credentials; 404: its endpoint) keep the watermark: the failure is recorded, the task retries with backoff,
  and once the target is fixed everything after the watermark goes, nothing is skipped.
- Any other refusal (a 400 for one statement, say) records the batch as a failure, visible in the admin, and
  moves on; the batch is re-sent when someone retries the failure.
- Statements with attachments go as ``multipart/mixed`` with their stored parts (and signatures), as a
  client of the target would send them; the others as JSON.
- The watermark never passes a statement that is not committed yet: ``seq`` comes from a sequence, and a
  transaction may take a ``seq`` and commit after a later one. A batch stops before a gap in the sequence
  while a writing transaction that may fill it is still open (:func:`_safe_bound`).

The HTTP client is a backend chosen by ``LMS_FORWARDING_BACKEND`` (a dotted path).
"""

import base64
import json
import time
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from datetime import timedelta

from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.module_loading import import_string

from lms.analytics.services import oldest_writer_start, safe_upper_bound
from lms.conf import lms_settings
from lms.models import ForwardingFailure, ForwardingTarget, Statement
from lms.models.statements import full_statement

from .attachments import multipart_response_body

#: Batches a task sends before handing over to a new task run (so one target cannot hold a worker for long).
MAX_BATCHES_PER_RUN = 20
#: How long a web process trusts its list of active targets (:func:`cached_active_target_ids`).
ACTIVE_TARGETS_CACHE_SECONDS = 2.0
#: The first key of the PostgreSQL advisory locks that keep two runs from sending one target's batch at once
#: (the second key is the target's id).
FORWARDING_LOCK = 0x7472_6670  # "trfp"

#: Refusals that say nothing against the batch: too many requests, a timeout, and a misconfigured target
#: (credentials, endpoint), which an administrator fixes. The batch waits, and nothing after it is skipped.
RETRYABLE_STATUSES = frozenset({401, 403, 404, 408, 429})

_active_targets: tuple[float, list[int]] | None = None


def _has_attachments(statement: dict) -> bool:
    target = statement.get("object") or {}
    return bool(statement.get("attachments") or target.get("attachments"))


class ForwardingError(Exception):
    """A batch the target did not accept.

    Attributes:
        retryable: True for errors that may pass later (network, 5xx, 429).
    """

    def __init__(self, reason: str, *, retryable: bool):
        super().__init__(reason)
        self.retryable = retryable


class ForwardingBackend(ABC):
    """Sends a batch of statements to a target LRS."""

    @abstractmethod
    def send(self, target: ForwardingTarget, statements: list[dict]) -> None:
        """Send statements; return when the target accepted them all.

        Raises:
            ForwardingError: the target did not accept the batch.
        """


class HttpForwardingBackend(ForwardingBackend):
    """POSTs batches to ``<endpoint>/statements`` with HTTP Basic credentials (the default)."""

    def send(self, target, statements):
        url = target.endpoint.rstrip("/") + "/statements"
        if any(_has_attachments(statement) for statement in statements):
            body, content_type = multipart_response_body(statements, statements)
        else:
            body, content_type = json.dumps(statements).encode(), "application/json"
        headers = {"Content-Type": content_type, "X-Experience-API-Version": "1.0.3"}
        if target.username:
            token = base64.b64encode(f"{target.username}:{target.password}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=lms_settings.FORWARDING_TIMEOUT) as response:
                response.read()
        except urllib.error.HTTPError as error:
            body = error.read()[:500].decode("utf-8", "replace")
            retryable = error.code >= 500 or error.code in RETRYABLE_STATUSES
            raise ForwardingError(f"HTTP {error.code} from {url}: {body}", retryable=retryable) from error
        except (urllib.error.URLError, OSError) as error:
            raise ForwardingError(f"{url}: {error}", retryable=True) from error


def _safe_bound(after: int) -> int:
    """The highest ``seq`` a target's watermark may reach now, before its rows are read.

    A ``seq`` missing after the watermark is either a rolled-back insert (a hole for good) or a transaction
    not committed yet, which would commit below the watermark and never be sent. Holes are looked for in the
    whole sequence (whatever the target's collectivity) among the rows stored since the oldest writing
    transaction still open began (one second of slack), and the bound stops below the first one such a
    transaction may fill (``lms.analytics.services.safe_upper_bound``, the aggregation's rule, without its
    lag: forwarding has no nightly pass to catch up). The rows are read afterwards: a transaction committing
    in between fills its hole before the read.
    """
    now = timezone.now()
    oldest = oldest_writer_start()
    since = (min(now, oldest) if oldest is not None else now) - timedelta(seconds=1)
    return safe_upper_bound(after, now=now, since=since)


def get_backend() -> ForwardingBackend:
    """Return the configured forwarding backend."""
    return import_string(lms_settings.FORWARDING_BACKEND)()


def _statements(target: ForwardingTarget, after: int, upto: int | None = None, limit: int | None = None):
    statements = Statement.objects.filter(seq__gt=after)
    if upto is not None:
        statements = statements.filter(seq__lte=upto)
    if target.collectivity_id is not None:
        statements = statements.filter(collectivity_id=target.collectivity_id)
    rows = statements.order_by("seq").values_list("seq", "data", "stored", "authority")
    return [
        (seq, full_statement(data, stored, authority))
        for seq, data, stored, authority in (rows[:limit] if limit else rows)
    ]


def _record_failure(target, rows, reason: str) -> ForwardingFailure:
    first, last = rows[0][0], rows[-1][0]
    failure = ForwardingFailure.objects.filter(target=target, first_seq=first, resolved=False).first()
    if failure is None:
        return ForwardingFailure.objects.create(
            target=target, first_seq=first, last_seq=last, statement_count=len(rows), reason=reason
        )
    failure.attempts += 1
    failure.reason, failure.last_seq, failure.statement_count = reason, last, len(rows)
    failure.save()
    return failure


def forward_pending(target_id: int) -> int:
    """Send a target the statements stored after its watermark, in batches.

    Args:
        target_id: the :class:`~lms.models.ForwardingTarget`.

    Returns:
        The number of statements the target accepted.

    Raises:
        ForwardingError: a retryable error (network, 5xx, 429); the watermark stays, the failure is recorded.
    """
    backend, sent = get_backend(), 0
    for _ in range(MAX_BATCHES_PER_RUN):
        with transaction.atomic():
            target = _locked_target(target_id)
            if target is None:
                return sent
            bound = _safe_bound(target.last_seq)
            rows = _statements(target, target.last_seq, upto=bound, limit=target.batch_size)
            if not rows:
                return sent
            try:
                backend.send(target, [data for _, data in rows])
            except ForwardingError as error:
                _record_failure(target, rows, str(error))
                # A retryable error keeps the watermark; it is raised after the failure row is committed.
                raise_after = error if error.retryable else None
            else:
                sent += len(rows)
                raise_after = None
                ForwardingFailure.objects.filter(target=target, resolved=False, first_seq=rows[0][0]).update(
                    resolved=True, updated=timezone.now()
                )
                target.last_success = timezone.now()
            if raise_after is None:
                # Accepted, or refused for good (recorded, retried from the admin): move past the batch.
                target.last_seq = rows[-1][0]
                target.save(update_fields=["last_seq", "last_success"])
        if raise_after is not None:
            raise raise_after
    return sent


def _locked_target(target_id: int) -> ForwardingTarget | None:
    """The active target, locked until the transaction ends: two runs never send the same batch at once.

    On PostgreSQL an advisory lock, not a row lock: locking a row gives the transaction an id, and a
    transaction with an id held open during the HTTP send (up to ``LMS_FORWARDING_TIMEOUT`` for a slow
    target) counts as a writer that may still commit below the newest rows: ``X-Experience-API-Consistent-
    Through`` would stay before its start, and the aggregation and the other targets would wait for any
    recent hole in the sequence.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [FORWARDING_LOCK, target_id])
        return ForwardingTarget.objects.filter(pk=target_id, active=True).first()
    return ForwardingTarget.objects.select_for_update().filter(pk=target_id, active=True).first()


def retry_failure(failure_id: int) -> bool:
    """Send again the batch of a recorded failure; mark it resolved when the target accepts it.

    Returns:
        True when the batch went through.
    """
    failure = ForwardingFailure.objects.select_related("target").get(pk=failure_id)
    if failure.resolved:
        return True
    rows = _statements(failure.target, failure.first_seq - 1, upto=failure.last_seq)
    try:
        if rows:
            get_backend().send(failure.target, [data for _, data in rows])
    except ForwardingError as error:
        failure.attempts += 1
        failure.reason = str(error)
        failure.save(update_fields=["attempts", "reason", "updated"])
        return False
    failure.resolved = True
    failure.save(update_fields=["resolved", "updated"])
    return True


def active_target_ids() -> list[int]:
    """The targets statements are forwarded to.

    Asked after every batch the LRS stores: a plain query, without the cost of building an ORM query.
    """
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {quote(ForwardingTarget._meta.db_table)} WHERE active = %s", [True])
        return [target_id for (target_id,) in cursor.fetchall()]


def cached_active_target_ids() -> list[int]:
    """:func:`active_target_ids`, remembered by this process for ``ACTIVE_TARGETS_CACHE_SECONDS``.

    Asked after every batch the LRS stores: a burst of ingestion makes one query every two seconds per process
    instead of one per request. Saving or deleting a target forgets the list in the process that did it;
    another process sees a new target at most two seconds later. No statement is missed meanwhile: forwarding
    sends everything after the target's watermark (``last_seq``, 0 for a new target), so the statements stored
    in those seconds go with the next enqueued run, at the latest the scheduled ``forward_all``. A target
    deactivated meanwhile gets a task that finds it inactive and sends nothing.
    """
    global _active_targets
    now = time.monotonic()
    cached = _active_targets
    if cached is not None and cached[0] > now:
        return cached[1]
    target_ids = active_target_ids()
    _active_targets = (now + ACTIVE_TARGETS_CACHE_SECONDS, target_ids)
    return target_ids


def forget_active_targets() -> None:
    """Forget the remembered list of active targets (a target changed)."""
    global _active_targets
    _active_targets = None


@receiver(post_save, sender=ForwardingTarget, dispatch_uid="lms.xapi.forwarding.target_saved")
@receiver(post_delete, sender=ForwardingTarget, dispatch_uid="lms.xapi.forwarding.target_deleted")
def _target_changed(sender, **kwargs):
    forget_active_targets()
