"""The LRS admin: client credentials, forwarding targets and failures."""

import pytest
from django.contrib.auth import get_user_model

from lms.models import ForwardingFailure, ForwardingTarget, LrsClient
from tests.conftest import PASSWORD

from .conftest import Api, statement

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("admin", "admin@example.org", PASSWORD)
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/tremplin/lrs-clients/",
        "/admin/tremplin/forwarding-targets/",
        "/admin/tremplin/forwarding-failures/",
    ],
)
def test_the_lrs_admin_pages_open(admin_client, url):
    assert admin_client.get(url).status_code == 200


def test_a_client_created_in_the_admin_can_post_statements(admin_client):
    admin_client.post(
        "/admin/tremplin/lrs-clients/new/",
        {"name": "H5P", "key": "h5p", "scope": "all", "active": "on", "secret": "s3cret-for-tests"},
    )
    assert Api("h5p").post("statements", statement()).status_code == 200


def test_the_secret_is_kept_hashed(admin_client):
    admin_client.post(
        "/admin/tremplin/lrs-clients/new/",
        {"name": "H5P", "key": "h5p", "scope": "all", "active": "on", "secret": "s3cret-for-tests"},
    )
    assert "s3cret-for-tests" not in LrsClient.objects.get().secret_hash


def test_a_new_client_needs_a_secret(admin_client):
    admin_client.post("/admin/tremplin/lrs-clients/new/", {"name": "H5P", "key": "h5p", "scope": "all"})
    assert not LrsClient.objects.exists()


def test_a_failure_is_retried_from_its_admin_page(
    admin_client, monkeypatch, django_capture_on_commit_callbacks
):
    target = ForwardingTarget.objects.create(name="Ralph", endpoint="http://127.0.0.1:9/xapi/")
    failure = ForwardingFailure.objects.create(
        target=target, first_seq=1, last_seq=2, statement_count=2, reason="HTTP 400"
    )
    retried = []
    monkeypatch.setattr("lms.xapi.forwarding.retry_failure", lambda pk: retried.append(pk) or True)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/admin/tremplin/forwarding-failures/edit/{failure.pk}/", {"retry_now": "on"})
    assert retried == [failure.pk]


def test_the_admin_refuses_a_key_with_a_colon(admin_client):
    response = admin_client.post(
        "/admin/tremplin/lrs-clients/new/",
        {"name": "H5P", "key": "h5p:valmont", "scope": "all", "active": "on", "secret": "s3cret-for-tests"},
    )
    assert not LrsClient.objects.exists()
    assert "HTTP Basic" in response.content.decode()


def test_the_command_creates_a_client_that_can_post(commune):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command(
        "lms_lrs_client", "create", "H5P", "--collectivity", commune.slug, "--key", "h5p",
        "--secret", "s3cret-for-tests", "--scope", "write", stdout=out,
    )  # fmt: skip
    assert "key: h5p" in out.getvalue()
    assert Api("h5p").post("statements", statement()).status_code == 200
    assert LrsClient.objects.get().collectivity == commune


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--key", "h5p:valmont", "--secret", "s3cret-for-tests"], "HTTP Basic"),
        (["--key", "h5p", "--secret", "short"], "16"),
        (["--collectivity", "nowhere"], "nowhere"),
    ],
    ids=["key with a colon", "short secret", "unknown collectivity"],
)
def test_the_command_refuses_credentials_that_cannot_work(options, message):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match=message):
        call_command("lms_lrs_client", "create", "H5P", *options)
    assert not LrsClient.objects.exists()
