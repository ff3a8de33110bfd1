"""An external activity launched from a lesson posts to /xapi/ with its learner's launch credential."""

import json

import pytest
from django.test import Client

from courses import services as course_services
from lms.models import Statement
from lms.xapi.launch import LaunchGrant, get_launch_credentials
from tests.lms.xapi.conftest import statement

pytestmark = pytest.mark.django_db


@pytest.fixture
def launch(agent, first_lesson):
    enrolment = course_services.open_lesson(agent, first_lesson)
    actor_name = str(agent.lms_learner.actor_name)
    grant = LaunchGrant(
        actor_name=actor_name, registration=str(enrolment.registration), activity_id="http://x/jeu"
    )
    credential = get_launch_credentials().issue(grant)
    actor = {"objectType": "Agent", "account": {"homePage": "http://testserver", "name": actor_name}}
    return credential, actor, enrolment


def _call(method, path, credential, data=None, params=None):
    client = Client()
    headers = {"Authorization": credential.authorization, "X-Experience-API-Version": "1.0.3"}
    if params:
        from urllib.parse import urlencode

        path = f"{path}?{urlencode(params)}"
    body = json.dumps(data) if data is not None else b""
    return getattr(client, method)(
        f"/xapi/{path}", data=body, content_type="application/json", headers=headers
    )


def test_launch_credential_stores_its_learners_statements_in_their_collectivity(launch):
    credential, actor, enrolment = launch
    sent = statement(actor=actor)
    assert _call("post", "statements", credential, sent).status_code == 200
    assert Statement.objects.get(statement_id=sent["id"]).collectivity_id == enrolment.collectivity_id


def test_launch_credential_cannot_send_another_persons_statements(launch):
    credential, _, _ = launch
    response = _call("post", "statements", credential, statement())
    assert response.status_code == 403 and Statement.objects.filter(verb__contains="experienced").count() == 1


def test_launch_credential_reads_only_its_learners_statements(launch, api):
    credential, actor, _ = launch
    api.post("statements", statement())  # someone else's, through a platform client
    _call("post", "statements", credential, statement(actor=actor))
    found = _call("get", "statements", credential, params={"limit": 50}).json()["statements"]
    assert found and {s["actor"]["account"]["name"] for s in found} == {actor["account"]["name"]}


def test_launch_credential_keeps_state_for_its_learner_only(launch):
    credential, actor, _ = launch
    own = {"activityId": "http://x/jeu", "agent": json.dumps(actor), "stateId": "progress"}
    other = {**own, "agent": json.dumps({"account": {"homePage": "http://testserver", "name": "someone"}})}
    assert _call("put", "activities/state", credential, {"page": 3}, params=own).status_code == 204
    assert _call("put", "activities/state", credential, {"page": 3}, params=other).status_code == 403


def test_a_tampered_launch_credential_is_refused(launch):
    credential, actor, _ = launch
    forged = type(credential)(credential.endpoint, credential.username, credential.password + "x")
    assert _call("post", "statements", forged, statement(actor=actor)).status_code == 401
