"""After an erasure, the collectivity's figures keep counting the person, under a pseudonym only."""

import pytest

from lms.analytics import services as analytics
from lms.models import ErasedMember, LearnerLevelHistory, Statement
from lms.services import privacy
from tests.conftest import PASSWORD, right_answers

pytestmark = pytest.mark.django_db


@pytest.fixture
def passed(client, agent, quiz_lesson, commune):
    client.login(username=agent.username, password=PASSWORD)
    client.post(quiz_lesson.url, right_answers(quiz_lesson))
    analytics.process_new_statements()
    return analytics.rebuild_snapshot(commune.pk).data


def _level_3_of_4_2(data):
    from competences.models import Competence

    competence = Competence.objects.get(framework__slug="crcn", code="4.2")
    return data["groups"]["all|all|all"]["levels"][data["competences"].index(competence.pk)][-1][3]


def test_an_erased_learner_still_counts_in_the_level_distribution(passed, agent, commune):
    privacy.erase_person(agent)
    after = analytics.rebuild_snapshot(commune.pk).data
    assert _level_3_of_4_2(after) == _level_3_of_4_2(passed) == 1


def test_what_stays_of_the_erased_learner_is_a_pseudonym_and_a_population(passed, agent, commune):
    pseudonym = privacy.erase_person(agent)
    assert list(ErasedMember.objects.values_list("actor_name", "collectivity", "population")) == [
        (pseudonym, commune.pk, "agent")
    ]


def test_erasure_rekeys_the_level_history_and_the_lrs_filter_columns(passed, agent):
    old = str(agent.lms_learner.actor_name)
    privacy.erase_person(agent)
    assert not LearnerLevelHistory.objects.filter(actor_name=old).exists()
    assert not Statement.objects.filter(agent_ifi__contains=old).exists()
    assert not Statement.objects.filter(related_agents__contains=old).exists()
