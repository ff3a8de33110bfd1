"""Celery tasks: debounced requests, thin tasks over idempotent services, the beat schedule."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from lms.analytics import services, tasks
from lms.models import CollectivitySnapshot, PendingRun, Statement
from lms.xapi import vocabulary as v
from lms.xapi.storage import get_store
from tests.lms.analytics.helpers import statement

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def sent(monkeypatch):
    """Record the tasks enqueued instead of running them."""
    calls = []
    monkeypatch.setattr(tasks.aggregate_statements, "apply_async", lambda *a, **k: calls.append("aggregate"))
    monkeypatch.setattr(tasks.rebuild_collectivity_snapshot, "delay_on_commit", lambda pk: calls.append(pk))
    return calls


def _store_one(actor="a"):
    get_store().store(
        [
            statement(actor, v.EXPERIENCED.id).data
            | {"actor": {"account": {"homePage": "http://testserver", "name": actor}}}
        ]
    )


def test_a_burst_of_ingestion_enqueues_one_aggregation(sent, django_capture_on_commit_callbacks):
    for number in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            _store_one(f"actor{number}")
    assert sent == ["aggregate"]


def test_snapshot_requests_are_debounced_per_collectivity(sent, commune, other_commune):
    tasks.request_snapshots([commune.pk, other_commune.pk])
    tasks.request_snapshots([commune.pk])
    assert sorted(sent) == sorted([commune.pk, other_commune.pk])


def test_a_started_snapshot_run_lets_the_next_request_through(sent, commune, frameworks):
    tasks.request_snapshots([commune.pk])
    services.start_run(services.snapshot_key(commune.pk))
    tasks.request_snapshots([commune.pk])
    assert sent == [commune.pk, commune.pk]


def test_a_lost_snapshot_request_is_enqueued_again_by_the_scheduled_run(sent, commune, frameworks):
    old = timezone.now() - timedelta(hours=2)
    PendingRun.objects.create(key=services.snapshot_key(commune.pk), requested_at=old)
    CollectivitySnapshot.objects.create(
        collectivity=commune, kind="figures", computed_at=old, watermark=0, data={}
    )
    tasks.aggregate_statements()
    assert sent == [commune.pk]


def test_rebuild_task_writes_the_snapshot_and_clears_its_request(commune, frameworks):
    services.request_run(services.snapshot_key(commune.pk))
    tasks.rebuild_collectivity_snapshot(commune.pk)
    assert (
        CollectivitySnapshot.objects.filter(collectivity=commune).count(),
        PendingRun.objects.count(),
    ) == (1, 0)


def test_full_rebuild_task_reports_no_difference_after_incremental_runs(commune, frameworks):
    Statement.objects.bulk_create([statement("a", v.EXPERIENCED.id, collectivity=commune)])
    tasks.aggregate_statements()
    assert tasks.full_rebuild() == 0


def test_tasks_are_acknowledged_late_and_redelivered_when_a_worker_dies():
    task = tasks.rebuild_collectivity_snapshot
    assert (task.acks_late, task.reject_on_worker_lost, task.max_retries) == (True, True, 5)


def test_beat_runs_the_incremental_aggregation_and_the_nightly_rebuild():
    code = (
        "import lms.project.settings as s; print(sorted(e['task'] for e in s.CELERY_BEAT_SCHEDULE.values()))"
    )
    environment = {k: val for k, val in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    tasks = result.stdout.strip()
    assert (
        "'lms.analytics.tasks.aggregate_statements'" in tasks
        and "'lms.analytics.tasks.full_rebuild'" in tasks
    )
