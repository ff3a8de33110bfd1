"""A real third-party client, the Python ``tincan`` RemoteLRS, round-trips statements and documents."""

import uuid

import pytest
from tincan import (
    Activity,
    ActivityDefinition,
    Agent,
    AgentAccount,
    LanguageMap,
    RemoteLRS,
    Result,
    Score,
    Statement,
    StatementRef,
    Verb,
)

from lms.xapi.clients import create_client

from .conftest import SECRET

pytestmark = pytest.mark.django_db(transaction=True)

ACTIVITY = Activity(
    id="http://testserver/activities/quiz-rgpd",
    definition=ActivityDefinition(
        name=LanguageMap({"fr-FR": "Quiz RGPD"}), type="http://adlnet.gov/expapi/activities/assessment"
    ),
)
AGENT = Agent(account=AgentAccount(home_page="http://testserver", name="learner-42"))


@pytest.fixture
def lrs(live_server):
    create_client("tincan", key="tincan", secret=SECRET)
    return RemoteLRS(endpoint=f"{live_server.url}/xapi/", version="1.0.3", username="tincan", password=SECRET)


def _statement(**kwargs):
    return Statement(
        id=str(uuid.uuid4()),
        actor=AGENT,
        verb=Verb(id="http://adlnet.gov/expapi/verbs/passed", display=LanguageMap({"en-US": "passed"})),
        object=ACTIVITY,
        result=Result(success=True, score=Score(raw=8, min=0, max=10, scaled=0.8)),
        **kwargs,
    )


def test_about_answers_the_versions(lrs):
    response = lrs.about()
    assert response.success and "1.0.3" in response.content.version


def test_a_statement_saved_by_tincan_is_retrieved_equal(lrs):
    statement = _statement()
    assert lrs.save_statement(statement).success
    retrieved = lrs.retrieve_statement(statement.id).content
    assert (retrieved.id, retrieved.verb.id, retrieved.result.score.scaled) == (
        statement.id,
        statement.verb.id,
        0.8,
    )


def test_a_batch_saved_by_tincan_is_queried_back_page_by_page(lrs):
    statements = [_statement() for _ in range(5)]
    assert lrs.save_statements(statements).success
    result = lrs.query_statements({"agent": AGENT, "limit": 2}).content
    ids = [s.id for s in result.statements]
    while result.more:
        result = lrs.more_statements(result).content
        ids += [s.id for s in result.statements]
    assert sorted(ids) == sorted(s.id for s in statements)


def test_a_voided_statement_is_retrieved_as_voided(lrs):
    statement = _statement()
    lrs.save_statement(statement)
    voiding = Statement(
        actor=AGENT,
        verb=Verb(id="http://adlnet.gov/expapi/verbs/voided", display=LanguageMap({"en-US": "voided"})),
        object=StatementRef(id=statement.id),
    )
    lrs.save_statement(voiding)
    assert lrs.retrieve_voided_statement(statement.id).content.id == statement.id


def test_a_state_document_round_trips(lrs):
    assert lrs.save_state(_state_document()).success
    retrieved = lrs.retrieve_state(activity=ACTIVITY, agent=AGENT, state_id="bookmark").content
    assert retrieved.content == b'{"page": 4}'


def test_an_activity_profile_round_trips(lrs):
    from tincan.documents import ActivityProfileDocument

    document = ActivityProfileDocument(
        id="settings", activity=ACTIVITY, content='{"theme": "dark"}', content_type="application/json"
    )
    assert lrs.save_activity_profile(document).success
    assert lrs.retrieve_activity_profile(ACTIVITY, "settings").content.content == b'{"theme": "dark"}'


def test_an_agent_profile_round_trips(lrs):
    from tincan.documents import AgentProfileDocument

    document = AgentProfileDocument(
        id="prefs", agent=AGENT, content='{"lang": "fr"}', content_type="application/json"
    )
    assert lrs.save_agent_profile(document).success
    assert lrs.retrieve_agent_profile(AGENT, "prefs").content.content == b'{"lang": "fr"}'


def _state_document():
    from tincan.documents import StateDocument

    return StateDocument(
        id="bookmark", activity=ACTIVITY, agent=AGENT, content='{"page": 4}', content_type="application/json"
    )
