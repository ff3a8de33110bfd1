"""Cross-origin requests (CORS): an activity running in a browser on another site can call the LRS."""

import pytest
from django.test import Client

from .conftest import Api, statement

CONTENT_ORIGIN = "https://contenus.example.fr"


def preflight(path, *, origin=CONTENT_ORIGIN, method="POST", headers="authorization,content-type"):
    extra = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        extra["Access-Control-Request-Headers"] = headers
    return Client().options(f"/xapi/{path}", headers=extra)


@pytest.mark.django_db
def test_a_preflight_is_answered_without_credentials_for_any_origin_by_default():
    response = preflight("statements", headers="authorization,content-type,x-experience-api-version")

    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    methods = set(response["Access-Control-Allow-Methods"].split(", "))
    assert methods == {"GET", "HEAD", "POST", "PUT", "DELETE"}
    assert response["Access-Control-Allow-Headers"] == "authorization,content-type,x-experience-api-version"
    assert int(response["Access-Control-Max-Age"]) > 0
    assert "Access-Control-Allow-Credentials" not in response


@pytest.mark.django_db
def test_a_preflight_of_a_document_resource_allows_the_concurrency_headers():
    response = preflight("activities/state", method="PUT", headers=None)

    assert response.status_code == 204
    allowed = {name.strip().lower() for name in response["Access-Control-Allow-Headers"].split(",")}
    xapi_headers = {"authorization", "content-type", "x-experience-api-version", "if-match", "if-none-match"}
    assert xapi_headers <= allowed


@pytest.mark.django_db
@pytest.mark.parametrize(
    "headers", ["authorization\r\nX-Injected: yes", "authorization,\ncontent-type", "a;b"]
)
def test_a_malformed_list_of_requested_headers_is_not_echoed(headers):
    response = preflight("statements", headers=headers)

    assert response.status_code == 204
    assert response["Access-Control-Allow-Headers"] == (
        "Authorization, Content-Type, X-Experience-API-Version, If-Match, If-None-Match"
    )


def test_a_statement_posted_from_another_origin_is_stored_and_its_answer_readable(api):
    posted = api.post("statements", statement(), headers={"Origin": CONTENT_ORIGIN})

    assert posted.status_code == 200
    assert posted["Access-Control-Allow-Origin"] == "*"
    exposed = {name.strip() for name in posted["Access-Control-Expose-Headers"].split(",")}
    assert {"X-Experience-API-Consistent-Through", "X-Experience-API-Version", "ETag"} <= exposed
    read = api.get("statements", {"statementId": posted.json()[0]}, headers={"Origin": CONTENT_ORIGIN})
    assert read.status_code == 200
    assert read["Access-Control-Allow-Origin"] == "*"


def test_an_error_is_readable_from_another_origin_and_credentials_are_still_required(lrs_client):
    response = Api("nobody").post("statements", b"[]", headers={"Origin": CONTENT_ORIGIN})

    assert response.status_code == 401
    assert response["Access-Control-Allow-Origin"] == "*"


def test_a_request_without_origin_gets_no_cors_headers(api):
    response = api.post("statements", statement())

    assert response.status_code == 200
    assert not [name for name in response.headers if name.lower().startswith("access-control-")]


@pytest.mark.django_db
def test_an_options_request_that_is_no_preflight_is_still_refused(api):
    response = api.call("OPTIONS", "statements", headers={"Origin": CONTENT_ORIGIN})

    assert response.status_code == 405


def test_only_the_listed_origins_are_allowed_when_the_setting_names_them(api, settings):
    settings.LMS_LRS_CORS_ORIGINS = ["https://Contenus.example.fr/"]

    allowed = preflight("statements")
    assert allowed.status_code == 204
    assert allowed["Access-Control-Allow-Origin"] == CONTENT_ORIGIN
    assert "Origin" in allowed["Vary"]
    posted = api.post("statements", statement(), headers={"Origin": CONTENT_ORIGIN})
    assert posted["Access-Control-Allow-Origin"] == CONTENT_ORIGIN
    assert "Origin" in posted["Vary"]

    refused = preflight("statements", origin="https://ailleurs.example.com")
    assert refused.status_code == 403
    assert "LMS_LRS_CORS_ORIGINS" in refused.json()["message"]
    assert "Access-Control-Allow-Origin" not in refused
    other = api.post("statements", statement(), headers={"Origin": "https://ailleurs.example.com"})
    assert other.status_code == 200  # a server-side client may send any Origin: the credentials decide
    assert "Access-Control-Allow-Origin" not in other


def test_an_empty_list_turns_cross_origin_access_off(api, settings):
    settings.LMS_LRS_CORS_ORIGINS = []

    assert preflight("statements").status_code == 403
    posted = api.post("statements", statement(), headers={"Origin": CONTENT_ORIGIN})
    assert "Access-Control-Allow-Origin" not in posted
