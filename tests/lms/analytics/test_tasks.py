"""Celery tasks: debounced requests, thin tasks over idempotent services, the beat schedule."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from lms.analytics import receivers, services, tasks
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


@pytest.fixture
def runs(monkeypatch):
    """Record the national passes and the per-collectivity rebuilds that run (eager Celery), and run them."""
    calls = {"national": [], "single": []}
    national, single = services.rebuild_all_snapshots, services.rebuild_snapshot

    def rebuild_all(**kwargs):
        calls["national"].append(kwargs.get("collectivity_ids"))
        return national(**kwargs)

    def rebuild_one(collectivity_id, **kwargs):
        calls["single"].append(collectivity_id)
        return single(collectivity_id, **kwargs)

    monkeypatch.setattr(services, "rebuild_all_snapshots", rebuild_all)
    monkeypatch.setattr(services, "rebuild_snapshot", rebuild_one)
    return calls


def _aggregate_new_statements(collectivities, capture):
    Statement.objects.bulk_create(
        [statement(f"actor-{c.pk}", v.EXPERIENCED.id, collectivity=c) for c in collectivities]
    )
    with capture(execute=True):
        tasks.aggregate_statements()
    watermark = services.AggregationState.objects.get(name=services.LEVELS_PIPELINE).watermark
    return {
        pk: stamp == watermark
        for pk, stamp in CollectivitySnapshot.objects.filter(kind="figures").values_list(
            "collectivity_id", "watermark"
        )
    }


def test_many_touched_collectivities_are_refreshed_by_one_national_pass(
    runs, commune, other_commune, frameworks, settings, django_capture_on_commit_callbacks
):
    settings.LMS_NATIONAL_PASS_THRESHOLD = 1
    fresh = _aggregate_new_statements([commune, other_commune], django_capture_on_commit_callbacks)
    everyone = sorted(services.Collectivity.objects.values_list("pk", flat=True))
    assert (runs, fresh, PendingRun.objects.count()) == (
        {"national": [everyone], "single": []},
        dict.fromkeys(everyone, True),
        0,
    )


def test_few_touched_collectivities_are_refreshed_by_one_task_each(
    runs, commune, other_commune, frameworks, settings, django_capture_on_commit_callbacks
):
    settings.LMS_NATIONAL_PASS_THRESHOLD = 20
    fresh = _aggregate_new_statements([commune, other_commune], django_capture_on_commit_callbacks)
    everyone = sorted(services.Collectivity.objects.values_list("pk", flat=True))
    assert (runs["national"], sorted(runs["single"]), fresh, PendingRun.objects.count()) == (
        [],
        everyone,
        dict.fromkeys(everyone, True),
        0,
    )


def test_a_refresh_of_many_collectivities_leaves_later_requests_free_to_enqueue(
    sent, commune, other_commune, frameworks, settings, monkeypatch
):
    settings.LMS_NATIONAL_PASS_THRESHOLD = 1
    batches = []
    monkeypatch.setattr(tasks.rebuild_snapshots, "delay_on_commit", batches.append)
    tasks.request_snapshots([commune.pk, other_commune.pk])
    tasks.request_snapshots([commune.pk, other_commune.pk])  # pending: debounced
    tasks.rebuild_snapshots(batches[0])
    tasks.request_snapshots([commune.pk, other_commune.pk])
    assert (batches, sent) == ([[commune.pk, other_commune.pk]] * 2, [])


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


def test_a_process_that_found_a_run_pending_does_not_ask_again_within_a_second(
    monkeypatch, django_assert_num_queries
):
    PendingRun.objects.create(key=services.LEVELS_PIPELINE, requested_at=timezone.now())
    monkeypatch.setattr(receivers, "_pending_seen", float("-inf"))
    monkeypatch.setitem(tasks.aggregate_statements.app.conf, "task_always_eager", False)
    receivers._enqueue()
    with django_assert_num_queries(0):
        receivers._enqueue()
