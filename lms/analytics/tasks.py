"""Celery tasks of the aggregation. Thin: they take ids and call :mod:`lms.analytics.services`.

Policy (declared on each task): late acknowledgement and ``reject_on_worker_lost`` so that a task whose
worker dies is delivered again; automatic retries with backoff on database connection errors; every task
is idempotent, so running one twice is harmless.
"""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError, transaction

from . import services

logger = logging.getLogger(__name__)

RETRY_POLICY = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "max_retries": 5,
}


def request_snapshots(collectivity_ids) -> list[int]:
    """Ask for one snapshot rebuild per collectivity, debounced: none is enqueued when one is pending.

    Returns:
        The collectivities for which a task was enqueued (after commit).
    """
    enqueued = []
    for collectivity_id in sorted(collectivity_ids):
        if services.request_run(services.snapshot_key(collectivity_id)):
            rebuild_collectivity_snapshot.delay_on_commit(collectivity_id)
            enqueued.append(collectivity_id)
    return enqueued


@shared_task(name="lms.analytics.tasks.aggregate_statements", **RETRY_POLICY)
def aggregate_statements() -> list[int]:
    """Process the statements stored since the watermark, then rebuild the touched collectivities.

    One snapshot task per collectivity is enqueued, so that several workers share the load; requests
    whose task was lost are enqueued again.
    """
    services.start_run(services.LEVELS_PIPELINE)
    touched = services.collectivities_to_refresh(services.process_new_statements())
    with transaction.atomic():
        for collectivity_id in services.stale_snapshot_requests():
            services.refresh_pending(collectivity_id)
            rebuild_collectivity_snapshot.delay_on_commit(collectivity_id)
        return request_snapshots(touched)


@shared_task(name="lms.analytics.tasks.rebuild_collectivity_snapshot", **RETRY_POLICY)
def rebuild_collectivity_snapshot(collectivity_id: int) -> int:
    """Recompute the dashboard snapshot of one collectivity."""
    services.start_run(services.snapshot_key(collectivity_id))
    return services.rebuild_snapshot(collectivity_id).pk


@shared_task(name="lms.analytics.tasks.full_rebuild", **RETRY_POLICY)
def full_rebuild() -> int:
    """Nightly: recompute all levels from scratch, check them, then every snapshot in one national pass.

    Returns:
        The number of level-history rows the incremental runs had wrong (0 when consistent).
    """
    mismatches = services.rebuild_levels()
    services.rebuild_all_snapshots()
    return mismatches
