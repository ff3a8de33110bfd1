"""Publishing Celery tasks from a request without letting a broker outage hold the request up.

Storing a statement asks for an aggregation run and a forwarding run after commit. When the broker cannot
be reached, each publication waits for the connection's timeouts (seconds when its host does not answer)
before failing, and requests would pay it every time. After a failure, this process publishes nothing for
:data:`BACKOFF_SECONDS`: what was not published is caught up by the scheduled runs (beat), which read the
statements from their watermarks, once the broker is back.
"""

import logging
import time

logger = logging.getLogger(__name__)

#: How long a process stops publishing after the broker failed it (seconds).
BACKOFF_SECONDS = 30.0

#: Until when (``time.monotonic``) this process publishes nothing.
_down_until = float("-inf")


def publish(task, args=(), **options) -> bool:
    """Publish ``task`` (no retry) unless the broker failed this process less than BACKOFF_SECONDS ago.

    Never raises for the broker: a failure is logged, and the next ``BACKOFF_SECONDS`` of publications are
    skipped. With eager Celery (no broker) the task runs at once, and an error of the task itself propagates
    as it did before this module: it says nothing about a broker.

    Returns:
        True when the task was handed to the broker (or run, with eager Celery).
    """
    global _down_until
    if task.app.conf.task_always_eager:
        # No broker: the task runs here, and its own errors are not the broker's (they propagate).
        task.apply_async(args, **options)
        return True
    if time.monotonic() < _down_until:
        return False
    try:
        task.apply_async(args, retry=False, **options)
    except Exception:
        _down_until = time.monotonic() + BACKOFF_SECONDS
        logger.warning(
            "Could not publish %s; publishing nothing for %.0f s, the scheduled runs will catch up.",
            task.name,
            BACKOFF_SECONDS,
            exc_info=True,
        )
        return False
    return True


def broker_down() -> bool:
    """Whether this process is skipping publications after a broker failure."""
    return time.monotonic() < _down_until


def forget_failure() -> None:
    """Publish again at once (tests)."""
    global _down_until
    _down_until = float("-inf")
