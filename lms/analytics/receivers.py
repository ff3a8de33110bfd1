"""Ask for an aggregation run when statements that carry evidence are stored."""

import logging

from django.db import transaction
from django.dispatch import receiver

from lms.signals import statements_stored
from lms.xapi import vocabulary as v

from .tasks import aggregate_statements

logger = logging.getLogger(__name__)


def _carries_evidence(statement: dict) -> bool:
    extensions = (statement.get("context") or {}).get("extensions") or {}
    return v.EXT_VALIDATED_LEVELS in extensions


def _enqueue() -> None:
    try:
        aggregate_statements.apply_async(retry=False)
    except Exception:
        logger.warning("Could not enqueue the aggregation; the next scheduled run will do it.", exc_info=True)


@receiver(statements_stored, dispatch_uid="lms.analytics.request_aggregation")
def request_aggregation(sender, statements, **kwargs):
    """Enqueue the aggregation once per transaction, after commit.

    Storing never depends on the broker: if it is down, the run scheduled by beat catches up from the
    watermark.
    """
    if not any(_carries_evidence(statement) for statement in statements):
        return
    connection = transaction.get_connection()
    if any(callback is _enqueue for _, callback, _ in connection.run_on_commit):
        return
    transaction.on_commit(_enqueue)
