"""State, activity profile and agent profile documents with ETag concurrency; agents and activities."""

import json

import pytest

from .conftest import statement

pytestmark = pytest.mark.django_db

AGENT = json.dumps({"objectType": "Agent", "account": {"homePage": "http://testserver", "name": "learner-1"}})
ACTIVITY = "http://testserver/activities/lesson-1"
STATE = {"activityId": ACTIVITY, "agent": AGENT, "stateId": "bookmark"}
PROFILE = {"activityId": ACTIVITY, "profileId": "settings"}


def _put(api, path, params, body, headers=None, content_type="application/json"):
    from urllib.parse import urlencode

    return api.put(f"{path}?{urlencode(params)}", body, headers=headers, content_type=content_type)


def _post(api, path, params, body, headers=None):
    from urllib.parse import urlencode

    return api.post(f"{path}?{urlencode(params)}", body, headers=headers)


def test_a_state_document_round_trips_with_its_content_type(api):
    _put(api, "activities/state", STATE, b"page=4", content_type="text/plain")
    response = api.get("activities/state", STATE)
    assert (response.content, response["Content-Type"]) == (b"page=4", "text/plain")


def test_a_document_is_served_with_its_etag(api):
    _put(api, "activities/state", STATE, {"page": 4})
    response = api.get("activities/state", STATE)
    assert response["ETag"].strip('"') and response.json() == {"page": 4}


def test_posting_json_merges_the_top_level_properties(api):
    _put(api, "activities/state", STATE, {"page": 4, "zoom": 1})
    _post(api, "activities/state", STATE, {"page": 5})
    assert api.get("activities/state", STATE).json() == {"page": 5, "zoom": 1}


def test_posting_to_merge_a_non_json_document_is_refused(api):
    _put(api, "activities/state", STATE, b"page=4", content_type="text/plain")
    assert _post(api, "activities/state", STATE, {"page": 5}).status_code == 400


def test_state_ids_are_listed_without_state_id(api):
    _put(api, "activities/state", STATE, {"a": 1})
    _put(api, "activities/state", {**STATE, "stateId": "other"}, {"b": 1})
    params = {key: value for key, value in STATE.items() if key != "stateId"}
    assert api.get("activities/state", params).json() == ["bookmark", "other"]


def test_deleting_without_state_id_removes_every_state(api):
    _put(api, "activities/state", STATE, {"a": 1})
    _put(api, "activities/state", {**STATE, "stateId": "other"}, {"b": 1})
    params = {key: value for key, value in STATE.items() if key != "stateId"}
    api.delete("activities/state", params)
    assert api.get("activities/state", params).json() == []


def test_a_state_needs_a_valid_agent(api):
    assert api.get("activities/state", {**STATE, "agent": '{"name": "nobody"}'}).status_code == 400


def test_a_profile_put_over_an_existing_document_without_precondition_is_a_conflict(api):
    _put(api, "activities/profile", PROFILE, {"v": 1}, headers={"If-None-Match": "*"})
    assert _put(api, "activities/profile", PROFILE, {"v": 2}).status_code == 409


def test_if_match_with_the_current_etag_replaces_the_document(api):
    _put(api, "activities/profile", PROFILE, {"v": 1}, headers={"If-None-Match": "*"})
    etag = api.get("activities/profile", PROFILE)["ETag"]
    response = _put(api, "activities/profile", PROFILE, {"v": 2}, headers={"If-Match": etag})
    assert (response.status_code, api.get("activities/profile", PROFILE).json()) == (204, {"v": 2})


def test_if_match_with_a_stale_etag_is_a_failed_precondition(api):
    _put(api, "activities/profile", PROFILE, {"v": 1}, headers={"If-None-Match": "*"})
    assert (
        _put(api, "activities/profile", PROFILE, {"v": 2}, headers={"If-Match": '"stale"'}).status_code == 412
    )


def test_if_none_match_star_on_an_existing_document_is_a_failed_precondition(api):
    _put(api, "activities/profile", PROFILE, {"v": 1}, headers={"If-None-Match": "*"})
    assert (
        _put(api, "activities/profile", PROFILE, {"v": 2}, headers={"If-None-Match": "*"}).status_code == 412
    )


def test_an_agent_profile_round_trips(api):
    params = {"agent": AGENT, "profileId": "prefs"}
    _put(api, "agents/profile", params, {"lang": "fr"}, headers={"If-None-Match": "*"})
    assert api.get("agents/profile", params).json() == {"lang": "fr"}


def test_a_missing_document_is_404(api):
    assert api.get("agents/profile", {"agent": AGENT, "profileId": "none"}).status_code == 404


def test_agents_returns_a_person(api):
    api.post("statements", statement(actor={**json.loads(AGENT), "name": "Camille"}))
    person = api.get("agents", {"agent": AGENT}).json()
    assert (person["objectType"], person["name"]) == ("Person", ["Camille"])


def test_activities_returns_the_merged_definition(api):
    api.post("statements", statement())
    api.post(
        "statements",
        statement(object={"id": ACTIVITY, "definition": {"name": {"en-US": "Lesson"}}}),
    )
    definition = api.get("activities", {"activityId": ACTIVITY}).json()["definition"]
    assert definition["name"] == {"fr-FR": "Leçon", "en-US": "Lesson"}


def test_an_over_long_profile_id_is_refused_with_400(api):
    assert _put(api, "activities/profile", {**PROFILE, "profileId": "x" * 300}, {"v": 1}).status_code == 400


def test_a_collectivity_client_does_not_see_another_collectivitys_state(commune_api, other_api):
    _put(other_api, "activities/state", STATE, {"page": 4})
    assert commune_api.get("activities/state", STATE).status_code == 404
