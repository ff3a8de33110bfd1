"""Ask for an aggregation run when statements are stored (debounced, after commit, never failing)."""

import logging

from django.db import transaction
from django.dispatch import receiver

from lms.signals import statements_stored

from . import services
from .tasks import aggregate_statements

logger = logging.getLogger(__name__)


def _enqueue() -> None:
    """Enqueue one aggregation run unless one is pending already (a burst of ingestion gives one run)."""
    try:
        if services.request_run(services.LEVELS_PIPELINE):
            try:
                aggregate_statements.apply_async(retry=False)
            except Exception:
                services.start_run(services.LEVELS_PIPELINE)  # not pending after all: let the next one try
                raise
    except Exception:
        logger.warning("Could not enqueue the aggregation; the next scheduled run will do it.", exc_info=True)


@receiver(statements_stored, dispatch_uid="lms.analytics.request_aggregation")
def request_aggregation(sender, statements, **kwargs):
    """Enqueue the aggregation once per transaction, after commit.

    Every statement counts (activity figures), not only evidence. Storing never depends on the broker:
    if it is down, the run scheduled by beat catches up from the watermark.
    """
    if not statements:
        return
    connection = transaction.get_connection()
    if any(callback is _enqueue for _, callback, _ in connection.run_on_commit):
        return
    transaction.on_commit(_enqueue)
