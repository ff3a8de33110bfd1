"""Celery tasks of the forwarding to external LRSs, and the receiver that asks for them after a store.

Tasks take ids, are idempotent (the watermark moves only past accepted batches; the target treats a
re-sent statement id as a no-op) and retry with backoff on retryable errors.
"""

import logging

from celery import shared_task
from django.db import transaction
from django.dispatch import receiver

from lms import broker
from lms.signals import statements_stored

from . import forwarding

logger = logging.getLogger(__name__)

RETRY_POLICY = {
    "acks_late": True,
    "autoretry_for": (forwarding.ForwardingError,),
    "retry_backoff": 30,
    "retry_backoff_max": 3600,
    "retry_jitter": True,
    "max_retries": 10,
}


@shared_task(name="lms.xapi.tasks.forward_statements", **RETRY_POLICY)
def forward_statements(target_id: int) -> int:
    """Send one target the statements stored after its watermark."""
    return forwarding.forward_pending(target_id)


@shared_task(name="lms.xapi.tasks.forward_all", acks_late=True)
def forward_all() -> list[int]:
    """Enqueue forwarding for every active target (scheduled by Celery beat, catches up after an outage)."""
    target_ids = forwarding.active_target_ids()
    for target_id in target_ids:
        forward_statements.delay(target_id)
    return target_ids


@shared_task(name="lms.xapi.tasks.retry_forwarding_failure", acks_late=True)
def retry_forwarding_failure(failure_id: int) -> bool:
    """Send again the batch of a recorded forwarding failure."""
    return forwarding.retry_failure(failure_id)


def retry_now(failure_id: int) -> None:
    """Retry a failure from the admin: in a worker, or in this request when the broker cannot be reached
    (the administrator asked for it now; the scheduled runs do not retry recorded failures)."""
    if not broker.publish(retry_forwarding_failure, (failure_id,)):
        logger.warning("Could not enqueue the retry of failure %s; retrying it now.", failure_id)
        forwarding.retry_failure(failure_id)


def _enqueue_forwarding() -> None:
    if broker.broker_down():
        return
    try:
        for target_id in forwarding.cached_active_target_ids():
            if not broker.publish(forward_statements, (target_id,)):
                return
    except Exception:
        logger.warning("Could not enqueue the forwarding; the next scheduled run will do it.", exc_info=True)


@receiver(statements_stored, dispatch_uid="lms.xapi.request_forwarding")
def request_forwarding(sender, statements, **kwargs):
    """Enqueue forwarding once per transaction, after commit; storing never waits for it.

    With eager Celery (no broker) nothing is enqueued: the task would run inside the request.
    """
    if forward_statements.app.conf.task_always_eager:
        return
    connection = transaction.get_connection()
    if any(callback is _enqueue_forwarding for _, callback, _ in connection.run_on_commit):
        return
    transaction.on_commit(_enqueue_forwarding)
