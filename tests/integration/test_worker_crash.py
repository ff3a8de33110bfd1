"""A worker killed in the middle of a snapshot task loses nothing: the task is redelivered and completes."""

import signal
import time

import pytest

from lms.analytics import services
from lms.models import CollectivitySnapshot, PendingRun, Statement
from lms.xapi import vocabulary as v
from tests.lms.analytics.helpers import statement

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def wait_for(predicate, timeout=150.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


def test_snapshot_task_of_a_killed_worker_is_redelivered_and_completes(
    worker_factory, commune, frameworks, tmp_path
):
    Statement.objects.bulk_create([statement("a", v.EXPERIENCED.id, collectivity=commune)])
    services.process_new_statements()
    services.request_run(services.snapshot_key(commune.pk))
    marker = tmp_path / "computing"
    env = {"TEST_SNAPSHOT_PAUSE_FILE": str(marker), "TEST_CELERY_VISIBILITY_TIMEOUT": "3"}
    first = worker_factory(**env)
    first.send("lms.analytics.tasks.rebuild_collectivity_snapshot", [commune.pk])
    assert wait_for(marker.exists), first.log.read_text()
    first.process.send_signal(signal.SIGKILL)  # dies mid-task, its message not acknowledged
    first.process.wait()
    assert not CollectivitySnapshot.objects.filter(collectivity=commune).exists()

    second = worker_factory(**env)
    assert wait_for(lambda: CollectivitySnapshot.objects.filter(collectivity=commune).exists()), (
        second.log.read_text()
    )
    assert not PendingRun.objects.exists()
