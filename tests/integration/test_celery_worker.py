"""A real Celery worker on Redis runs the aggregation and writes the snapshot in the database."""

import time

import pytest

from lms.models import AggregationState, CollectivitySnapshot, CompetenceEvidence, LearnerCompetenceLevel
from tests.conftest import PASSWORD, right_answers

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


def test_worker_aggregation_writes_the_expected_snapshot(
    celery_worker_process, client, settings, agent, commune, quiz_lesson
):
    client.login(username=agent.username, password=PASSWORD)
    client.post(quiz_lesson.url, right_answers(quiz_lesson))  # committed: the worker sees it
    # Forget what the eager in-process run computed: only what the worker computes counts.
    for model in (CollectivitySnapshot, LearnerCompetenceLevel, CompetenceEvidence, AggregationState):
        model.objects.all().delete()

    celery_worker_process.send("lms.analytics.tasks.aggregate_statements")

    assert wait_for(lambda: CollectivitySnapshot.objects.filter(collectivity=commune).exists()), (
        celery_worker_process.log.read_text()
    )
    data = CollectivitySnapshot.objects.get(collectivity=commune).data
    everyone = data["groups"]["all|all|all"]
    levels_now = everyone["levels"][data["competences"].index(competence_id("4.2"))][-1]
    assert everyone["size"] == 1 and levels_now[3] == 1
    assert LearnerCompetenceLevel.objects.filter(competence__code="4.2", level=3).count() == 1


def competence_id(code):
    from competences.models import Competence

    return Competence.objects.get(framework__slug="crcn", code=code).pk
