"""Storing statements while the broker cannot be reached: the requests do not wait for it every time."""

import pytest

from lms import broker
from lms.analytics import receivers, tasks
from lms.models import PendingRun, Statement
from lms.xapi.storage import get_store
from tests.lms.xapi.conftest import statement

pytestmark = pytest.mark.django_db


@pytest.fixture
def unreachable_broker(monkeypatch):
    """Publishing fails as it does when the broker's host does not answer; the attempts are counted."""
    attempts = []

    def fail(*args, **kwargs):
        attempts.append(args)
        raise OSError("timed out")

    monkeypatch.setitem(tasks.aggregate_statements.app.conf, "task_always_eager", False)
    monkeypatch.setattr(receivers, "_pending_seen", float("-inf"))
    monkeypatch.setattr(tasks.aggregate_statements, "apply_async", fail)
    return attempts


def test_after_a_broker_failure_the_next_stores_do_not_try_it_again(
    unreachable_broker, django_capture_on_commit_callbacks
):
    for _ in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            get_store().store([statement()])
    assert (Statement.objects.count(), len(unreachable_broker)) == (5, 1)


def test_a_run_that_could_not_be_published_is_not_left_pending(
    unreachable_broker, django_capture_on_commit_callbacks
):
    """A pending run would keep later requests from publishing one when the broker is back."""
    with django_capture_on_commit_callbacks(execute=True):
        get_store().store([statement()])
    assert not PendingRun.objects.exists()


def test_the_broker_is_tried_again_after_the_backoff(unreachable_broker, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(broker.time, "monotonic", lambda: clock[0])
    broker.publish(tasks.aggregate_statements)
    broker.publish(tasks.aggregate_statements)
    clock[0] += broker.BACKOFF_SECONDS + 1
    broker.publish(tasks.aggregate_statements)
    assert len(unreachable_broker) == 2


def test_without_a_broker_a_failing_task_is_not_taken_for_a_broker_outage(monkeypatch):
    """Eager Celery (the embedded default) runs the task here: its error says nothing about a broker."""
    monkeypatch.setitem(tasks.aggregate_statements.app.conf, "task_always_eager", True)

    def fail(*args, **kwargs):
        raise ValueError("the task failed")

    monkeypatch.setattr(tasks.aggregate_statements, "apply_async", fail)
    with pytest.raises(ValueError):
        broker.publish(tasks.aggregate_statements)
    assert not broker.broker_down()


def test_the_admins_retry_runs_in_the_request_when_the_broker_cannot_be_reached(monkeypatch):
    from lms.xapi import forwarding
    from lms.xapi import tasks as xapi_tasks

    attempts, retried = [], []

    def fail(*args, **kwargs):
        attempts.append(args)
        raise OSError("timed out")

    monkeypatch.setitem(xapi_tasks.retry_forwarding_failure.app.conf, "task_always_eager", False)
    monkeypatch.setattr(xapi_tasks.retry_forwarding_failure, "apply_async", fail)
    monkeypatch.setattr(forwarding, "retry_failure", lambda pk: retried.append(pk) or True)
    xapi_tasks.retry_now(1)
    xapi_tasks.retry_now(2)
    assert (len(attempts), retried) == (1, [1, 2])  # the second did not wait for the broker again
