"""Sign-in: lock-out after repeated failures, password reset, public sign-up with email confirmation."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from lms.models import Learner, Membership
from lms.services import scope
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "un-autre-mot-de-passe-solide"


def _fail(client, username, times):
    for _ in range(times):
        client.post("/compte/login/", {"username": username, "password": "wrong-password"})


def test_sign_in_works_with_the_right_password(client, agent):
    response = client.post("/compte/login/", {"username": agent.username, "password": PASSWORD})
    assert response.status_code == 302


def test_an_account_is_locked_after_repeated_failures_even_with_the_right_password(client, settings, agent):
    settings.LMS_LOCKOUT_FAILURES = 3
    _fail(client, agent.username, 3)
    assert not client.login(username=agent.username, password=PASSWORD)


def test_fewer_failures_than_the_limit_do_not_lock(client, settings, agent):
    settings.LMS_LOCKOUT_FAILURES = 3
    _fail(client, agent.username, 2)
    assert client.login(username=agent.username, password=PASSWORD)


def test_the_lock_out_ends_after_the_window(client, settings, agent):
    settings.LMS_LOCKOUT_FAILURES = 3
    _fail(client, agent.username, 3)
    settings.LMS_LOCKOUT_WINDOW = 0
    assert client.login(username=agent.username, password=PASSWORD)


def test_the_lock_out_protects_the_wagtail_admin_login_too(client, settings, hr_manager):
    settings.LMS_LOCKOUT_FAILURES = 2
    for _ in range(2):
        client.post("/admin/login/", {"username": hr_manager.username, "password": "nope"})
    client.post("/admin/login/", {"username": hr_manager.username, "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_a_successful_sign_in_clears_the_failures(client, settings, agent):
    settings.LMS_LOCKOUT_FAILURES = 3
    _fail(client, agent.username, 2)
    client.login(username=agent.username, password=PASSWORD)
    client.logout()
    _fail(client, agent.username, 2)
    assert client.login(username=agent.username, password=PASSWORD)


def test_password_reset_sends_a_link_that_sets_a_new_password(client, agent):
    client.post("/compte/password_reset/", {"email": agent.email})
    path = re.search(r"https?://[^/]+(/compte/reset/\S+/)", mail.outbox[0].body).group(1)
    page = client.get(path, follow=True)
    client.post(page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert client.login(username=agent.username, password=NEW_PASSWORD)


def _sign_up(client, commune=None, password=NEW_PASSWORD):
    data = {"email": "Public@Example.org", "first_name": "Lou", "password1": password, "password2": password}
    if commune is not None:
        data["commune"] = commune.pk
    return client.post("/inscription/", data)


def test_sign_up_creates_an_inactive_account_until_the_email_is_confirmed(client):
    _sign_up(client)
    assert not client.login(username="public@example.org", password=NEW_PASSWORD)


def test_the_confirmation_link_activates_the_account(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _sign_up(client)
    client.get(re.search(r"http://testserver(/inscription/confirmer/\S+/)", mail.outbox[0].body).group(1))
    assert client.login(username="public@example.org", password=NEW_PASSWORD)


def test_a_confirmation_link_works_once(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _sign_up(client)
    path = re.search(r"http://testserver(/inscription/confirmer/\S+/)", mail.outbox[0].body).group(1)
    client.get(path)
    assert client.get(path).status_code == 400


def test_sign_up_applies_the_password_validators(client):
    _sign_up(client, password="court")
    assert not get_user_model().objects.filter(email="public@example.org").exists()


def test_sign_up_refuses_an_email_already_in_use(client, agent):
    response = client.post(
        "/inscription/",
        {"email": agent.email, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 200 and get_user_model().objects.filter(email=agent.email).count() == 1


def test_a_named_commune_counts_the_person_without_making_them_visible(client, commune, hr_manager):
    _sign_up(client, commune)
    user = get_user_model().objects.get(email="public@example.org")
    assert (Learner.objects.get(user=user).declared_commune, scope.can_see_person(hr_manager, user)) == (
        commune,
        False,
    )


def test_public_sign_up_can_be_turned_off(client, settings):
    settings.LMS_PUBLIC_SIGNUP = False
    assert client.get("/inscription/").status_code == 404


def test_the_login_page_offers_reset_and_sign_up(client):
    page = client.get("/compte/login/").content.decode()
    assert "/compte/password_reset/" in page and "/inscription/" in page


def test_a_public_learner_has_no_membership(client):
    _sign_up(client)
    assert not Membership.objects.exists()


def test_the_password_change_page_renders(client, agent):
    client.login(username=agent.username, password=PASSWORD)
    assert client.get("/compte/password_change/").status_code == 200


def test_a_password_change_applies_the_validators(client, agent):
    client.login(username=agent.username, password=PASSWORD)
    client.post(
        "/compte/password_change/",
        {"old_password": PASSWORD, "new_password1": "court", "new_password2": "court"},
    )
    assert get_user_model().objects.get(pk=agent.pk).check_password(PASSWORD)


def test_logging_out_shows_a_page(client, agent):
    client.login(username=agent.username, password=PASSWORD)
    assert client.post("/compte/logout/").status_code in (200, 302)
