"""Celery tasks of the aggregation. Thin: they take ids and call :mod:`lms.analytics.services`.

Policy (declared on each task): late acknowledgement and ``reject_on_worker_lost`` so that a task whose
worker dies is delivered again; automatic retries with backoff on database connection errors; every task
is idempotent, so running one twice is harmless.
"""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError, transaction

from lms.conf import lms_settings

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


def enqueue_snapshots(collectivity_ids) -> None:
    """Enqueue the rebuild of these collectivities' snapshots (after commit), their requests recorded.

    Above ``LMS_NATIONAL_PASS_THRESHOLD`` collectivities, one task refreshes them all in one national pass
    restricted to them (reading the country once costs less than reading each of many collectivities);
    otherwise one task per collectivity, so that several workers share the load.
    """
    collectivity_ids = sorted(collectivity_ids)
    if len(collectivity_ids) > lms_settings.NATIONAL_PASS_THRESHOLD:
        rebuild_snapshots.delay_on_commit(collectivity_ids)
        return
    for collectivity_id in collectivity_ids:
        rebuild_collectivity_snapshot.delay_on_commit(collectivity_id)


def request_snapshots(collectivity_ids) -> list[int]:
    """Ask for one snapshot rebuild per collectivity, debounced: none is enqueued when one is pending.

    Returns:
        The collectivities for which a rebuild was enqueued (after commit; see :func:`enqueue_snapshots`).
    """
    enqueued = [
        collectivity_id
        for collectivity_id in sorted(collectivity_ids)
        if services.request_run(services.snapshot_key(collectivity_id))
    ]
    enqueue_snapshots(enqueued)
    return enqueued


@shared_task(name="lms.analytics.tasks.aggregate_statements", **RETRY_POLICY)
def aggregate_statements() -> list[int]:
    """Process the statements stored since the watermark, then rebuild the touched collectivities.

    One snapshot task per collectivity is enqueued, so that several workers share the load, or one national
    pass when many are touched (:func:`enqueue_snapshots`); requests whose task was lost are enqueued again.
    """
    services.start_run(services.LEVELS_PIPELINE)
    touched = services.collectivities_to_refresh(services.process_new_statements())
    with transaction.atomic():
        stale = services.stale_snapshot_requests()
        for collectivity_id in stale:
            services.refresh_pending(collectivity_id)
        enqueue_snapshots(stale)
        return request_snapshots(touched)


@shared_task(name="lms.analytics.tasks.rebuild_collectivity_snapshot", **RETRY_POLICY)
def rebuild_collectivity_snapshot(collectivity_id: int) -> int:
    """Recompute the dashboard snapshot of one collectivity."""
    services.start_run(services.snapshot_key(collectivity_id))
    return services.rebuild_snapshot(collectivity_id).pk


@shared_task(name="lms.analytics.tasks.rebuild_snapshots", **RETRY_POLICY)
def rebuild_snapshots(collectivity_ids: list[int]) -> int:
    """Recompute the snapshots of many collectivities in one national pass restricted to them.

    The batched form of :func:`rebuild_collectivity_snapshot`: each collectivity's pending request
    (``PendingRun`` ``snapshot:<id>``) is cleared when the task starts, as that task would. Returns the number
    of snapshots whose data changed.
    """
    services.start_run(*map(services.snapshot_key, collectivity_ids))
    return services.rebuild_all_snapshots(collectivity_ids=collectivity_ids)["written"]


@shared_task(name="lms.analytics.tasks.full_rebuild", **RETRY_POLICY)
def full_rebuild() -> int:
    """Nightly: recompute all levels from scratch, check them, then every snapshot in one national pass.

    Returns:
        The number of level-history rows the incremental runs had wrong (0 when consistent).
    """
    return services.nightly_rebuild()["mismatches"]
