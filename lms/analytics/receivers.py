"""Ask for an aggregation run when statements are stored (debounced, after commit, never failing)."""

import logging
import time

from django.db import transaction
from django.dispatch import receiver

from lms import broker
from lms.signals import statements_stored

from . import services
from .tasks import aggregate_statements

logger = logging.getLogger(__name__)

#: After this process found a run pending, it does not ask again for this long (seconds).
PENDING_RECHECK_SECONDS = 1.0

#: When this process last found a run pending, on ``time.monotonic``'s clock.
_pending_seen = float("-inf")


def _enqueue() -> None:
    """Enqueue one aggregation run unless one is pending already (a burst of ingestion gives one run).

    A process that found a run pending does not ask again for ``PENDING_RECHECK_SECONDS``: in a burst of
    ingestion this spares a query per request. A run that starts in that second and misses the statements
    stored after it is followed by the next request's run, at the latest by the scheduled run (which
    catches up from the watermark); runs wait ``LMS_AGGREGATION_SAFETY_LAG`` for recent rows anyway. With
    eager Celery (no broker) a requested run happens at once and nothing stays pending: no debounce.
    """
    global _pending_seen
    if time.monotonic() - _pending_seen < PENDING_RECHECK_SECONDS or broker.broker_down():
        return
    try:
        if not services.request_run(services.LEVELS_PIPELINE):
            if not aggregate_statements.app.conf.task_always_eager:
                _pending_seen = time.monotonic()
        elif not broker.publish(aggregate_statements):
            services.start_run(services.LEVELS_PIPELINE)  # not pending after all: let the next one try
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
