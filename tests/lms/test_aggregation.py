import pytest

from lms.analytics import services
from lms.models import CollectivitySnapshot, CompetenceEvidence, LearnerCompetenceLevel
from tests.conftest import PASSWORD, right_answers

pytestmark = pytest.mark.django_db


@pytest.fixture
def passed(client, agent, quiz_lesson):
    client.login(username=agent.username, password=PASSWORD)
    client.post(quiz_lesson.url, right_answers(quiz_lesson))


def test_aggregation_turns_a_passed_quiz_into_levels_and_a_snapshot(passed, commune):
    touched = services.process_new_statements()
    services.rebuild_snapshot(commune.pk)
    assert touched == {commune.pk}
    assert sorted(LearnerCompetenceLevel.objects.values_list("competence__code", "level")) == [
        ("4.1", 2),
        ("4.2", 3),
    ]
    assert CollectivitySnapshot.objects.get(collectivity=commune).data["learners"] == 1


def test_aggregation_is_idempotent(passed, commune):
    services.process_new_statements()
    first = list(
        LearnerCompetenceLevel.objects.values_list("actor_name", "competence", "level", "reached_at")
    )
    services.process_new_statements()
    from lms.models import AggregationState

    AggregationState.objects.update(watermark=0)  # a full re-run from the start
    services.process_new_statements()
    assert (
        list(LearnerCompetenceLevel.objects.values_list("actor_name", "competence", "level", "reached_at"))
        == first
    )
    assert CompetenceEvidence.objects.count() == 2


def test_aggregate_command_processes_and_rebuilds(passed, commune):
    from django.core.management import call_command

    call_command("lms_aggregate")
    assert CollectivitySnapshot.objects.filter(collectivity=commune).exists()
