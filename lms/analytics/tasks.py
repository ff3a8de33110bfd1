"""Celery tasks of the aggregation. They take ids, are idempotent and retry on database errors."""

from celery import shared_task
from django.db import OperationalError, transaction

from . import services

RETRY_POLICY = {
    "acks_late": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "max_retries": 5,
}


@shared_task(name="lms.analytics.tasks.aggregate_statements", **RETRY_POLICY)
def aggregate_statements() -> list[int]:
    """Process the statements stored since the watermark, then rebuild the touched collectivities.

    One snapshot task per collectivity is enqueued, so that several workers share the load.
    """
    touched = services.collectivities_to_refresh(services.process_new_statements())
    for collectivity_id in sorted(touched):
        transaction.on_commit(lambda pk=collectivity_id: rebuild_collectivity_snapshot.delay(pk))
    return sorted(touched)


@shared_task(name="lms.analytics.tasks.rebuild_collectivity_snapshot", **RETRY_POLICY)
def rebuild_collectivity_snapshot(collectivity_id: int) -> int:
    """Recompute the dashboard snapshot of one collectivity."""
    return services.rebuild_snapshot(collectivity_id).pk
