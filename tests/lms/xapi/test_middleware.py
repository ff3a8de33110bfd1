"""The LRS's own lane through the site's middleware (``lms.xapi.middleware.LrsMiddleware``)."""

import pytest
from django.http import HttpResponse
from django.test import Client

from lms.xapi.middleware import LrsMiddleware, lrs_prefix

from .conftest import statement

pytestmark = pytest.mark.django_db


def test_the_lrs_is_found_where_the_site_mounts_it():
    assert lrs_prefix() == "/xapi/"


def test_an_lrs_answer_carries_no_session_language_or_framing_of_a_page(api):
    response = api.post("statements", [statement()])
    assert response.status_code == 200
    assert response["X-Experience-API-Version"] == "1.0.3"
    assert response["Content-Length"] == str(len(response.content))
    assert "Content-Language" not in response
    assert "Cookie" not in response.get("Vary", "")
    assert not response.cookies


def test_the_lrs_ignores_a_visitors_session_and_csrf_cookies(api, django_user_model):
    """A browser's cookies change nothing: the LRS knows its clients by their credentials only."""
    person = django_user_model.objects.create_user("marie", password="a-long-password-1")
    api.http = Client(enforce_csrf_checks=True)
    api.http.force_login(person)
    api.http.cookies["csrftoken"] = "x" * 32
    assert api.post("statements", [statement()]).status_code == 200
    api.key = None
    assert api.get("statements").status_code == 401


def test_an_unknown_lrs_path_goes_through_the_whole_chain_as_any_page(api):
    assert api.get("no-such-resource").status_code == 301  # CommonMiddleware's APPEND_SLASH, as before
    response = api.get("no-such-resource/")
    assert response.status_code == 404
    assert response["Content-Language"] == "fr"


def test_the_sites_pages_still_go_through_the_whole_chain(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Language"] == "fr"


def test_errors_keep_their_status_and_message(api):
    response = api.post("statements", b"{not json", content_type="application/json")
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["message"]


def test_a_request_given_its_own_urlconf_is_left_to_djangos_handler(rf):
    passed_on = HttpResponse("the whole chain")
    middleware = LrsMiddleware(lambda request: passed_on)
    request = rf.get("/xapi/about")
    request.urlconf = "tests.urls"
    assert middleware(request) is passed_on
    assert middleware(rf.get("/elsewhere/")) is passed_on
    assert middleware(rf.get("/xapi/about")).status_code == 200  # the LRS's own view
