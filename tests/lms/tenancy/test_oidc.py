"""OpenID Connect sign-in, end to end against a real provider (django-oauth-toolkit) served on loopback.

The provider runs in a subprocess with its own database and RSA key; Tremplin discovers it, sends the browser
there (PKCE), the browser (``requests``) signs in on the provider's login page, and the callback exchanges the
code, checks the id token against the provider's keys and reads the userinfo endpoint — all over real HTTP.
"""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlparse

import pytest
import requests
from django.contrib.auth import get_user_model

from lms.models import Collectivity, ExternalIdentity, Membership

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]
CLIENT = {"client_id": "tremplin", "client_secret": "s3cret-for-tests-only"}
SIREN = "217500016"
USERS = [
    {
        "username": "marie",
        "password": "pw-marie-123",
        "email": "marie@valmont.fr",
        "first_name": "Marie",
        "last_name": "Curie",
    },
    {
        "username": "paul",
        "password": "pw-paul-123",
        "email": "paul@example.org",
        "first_name": "Paul",
        "last_name": "Public",
    },
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    port = _free_port()
    env = {
        **os.environ,
        "OIDC_PROVIDER_DIR": str(tmp_path_factory.mktemp("oidc-provider")),
        "OIDC_PROVIDER_USERS": json.dumps(USERS),
        "OIDC_PROVIDER_SIRETS": json.dumps({"marie": SIREN + "00019"}),
        "OIDC_PROVIDER_CLIENT": json.dumps(
            {
                **CLIENT,
                "redirect_uris": [
                    "http://testserver/oidc/proconnect/retour/",
                    "http://testserver/oidc/franceconnect/retour/",
                ],
            }
        ),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.oidc_provider.serve", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        if line.strip() != "READY":
            raise RuntimeError(f"the OIDC provider did not start: {process.stderr.read()}")
        base = f"http://127.0.0.1:{port}"
        for _ in range(50):
            try:
                requests.get(f"{base}/o/.well-known/openid-configuration", timeout=2).raise_for_status()
                break
            except requests.RequestException:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def oidc_settings(settings, provider):
    discovery = f"{provider}/o/.well-known/openid-configuration"
    settings.LMS_OIDC_PROVIDERS = {
        "proconnect": {
            "label": "ProConnect",
            "audience": "agents",
            "discovery_url": discovery,
            "scopes": "openid email profile siret",
            **CLIENT,
        },
        "franceconnect": {
            "label": "FranceConnect",
            "audience": "public",
            "discovery_url": discovery,
            "scopes": "openid email profile",
            **CLIENT,
        },
    }
    return settings


@pytest.fixture
def town(db):
    return Collectivity.objects.create(
        name="Valmont", slug="valmont-sso", kind="commune", siren=SIREN, sso_attachment=True
    )


def sign_in_at_provider(client, key, username, password):
    """Play the browser: Tremplin → provider login page → provider → Tremplin's callback."""
    authorize = client.get(f"/oidc/{key}/connexion/")["Location"]
    browser = requests.Session()
    response = browser.get(authorize, allow_redirects=False, timeout=10)
    login_url = urljoin(authorize, response.headers["Location"])
    browser.get(login_url, timeout=10)
    response = browser.post(
        login_url,
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
            "next": parse_qs(urlparse(login_url).query)["next"][0],
        },
        headers={"Referer": login_url},
        allow_redirects=False,
        timeout=10,
    )
    response = browser.get(
        urljoin(login_url, response.headers["Location"]), allow_redirects=False, timeout=10
    )
    callback = response.headers["Location"]
    assert callback.startswith("http://testserver/")
    return client.get(callback.removeprefix("http://testserver"))


def _signed_in_user(client):
    return get_user_model().objects.filter(pk=client.session.get("_auth_user_id")).first()


def test_an_agent_signs_in_with_proconnect_and_is_attached_by_siret(client, oidc_settings, town):
    sign_in_at_provider(client, "proconnect", "marie", "pw-marie-123")
    user = _signed_in_user(client)
    assert (user.email, list(user.lms_memberships.values_list("collectivity__slug", "role"))) == (
        "marie@valmont.fr",
        [("valmont-sso", "agent")],
    )


def test_a_collectivity_that_does_not_allow_it_gets_no_attachment(client, oidc_settings, town):
    Collectivity.objects.filter(pk=town.pk).update(sso_attachment=False)
    sign_in_at_provider(client, "proconnect", "marie", "pw-marie-123")
    assert (_signed_in_user(client) is not None, Membership.objects.count()) == (True, 0)


def test_signing_in_twice_reuses_the_account(client, oidc_settings, town):
    sign_in_at_provider(client, "proconnect", "marie", "pw-marie-123")
    client.logout()
    sign_in_at_provider(client, "proconnect", "marie", "pw-marie-123")
    assert (get_user_model().objects.count(), ExternalIdentity.objects.count()) == (1, 1)


def test_the_public_signs_in_with_franceconnect_without_any_membership(client, oidc_settings, town):
    Collectivity.objects.filter(pk=town.pk).update(email_domain="example.org")
    sign_in_at_provider(client, "franceconnect", "paul", "pw-paul-123")
    user = _signed_in_user(client)
    assert (user.email, user.lms_memberships.count(), user.has_usable_password()) == (
        "paul@example.org",
        0,
        False,
    )


def test_a_forged_callback_signs_no_one_in(client, oidc_settings, town):
    client.get("/oidc/proconnect/connexion/")
    client.get("/oidc/proconnect/retour/?code=forged&state=forged")
    assert _signed_in_user(client) is None


def test_an_unknown_provider_is_a_404(client, oidc_settings):
    assert client.get("/oidc/nowhere/connexion/").status_code == 404


def test_the_login_page_offers_the_configured_providers(client, oidc_settings):
    page = client.get("/compte/login/").content.decode()
    assert "/oidc/proconnect/connexion/" in page and "FranceConnect" in page
