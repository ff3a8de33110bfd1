"""Fixtures of the LRS tests: clients with credentials and a helper to call /xapi/."""

import base64
import json
import uuid
from contextlib import contextmanager

import pytest
from django.test import Client

from lms.models import LrsClient
from lms.xapi.auth import forget_clients
from lms.xapi.clients import create_client

SECRET = "s3cret-for-tests"


def basic(key, secret=SECRET) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


class Api:
    """Calls /xapi/ with a client's credentials and the version header."""

    def __init__(self, key=None, version="1.0.3"):
        self.http = Client()
        self.key, self.version = key, version

    def headers(self, extra=None):
        headers = {}
        if self.key:
            headers["Authorization"] = basic(self.key)
        if self.version:
            headers["X-Experience-API-Version"] = self.version
        headers.update(extra or {})
        return headers

    def call(self, method, path, data=None, *, params=None, headers=None, content_type="application/json"):
        if params:
            from urllib.parse import urlencode

            path = f"{path}?{urlencode(params)}"
        body = data if isinstance(data, (bytes, str)) or data is None else json.dumps(data)
        return getattr(self.http, method.lower())(
            f"/xapi/{path}", data=body or b"", content_type=content_type, headers=self.headers(headers)
        )

    def post(self, path, data=None, **kwargs):
        return self.call("POST", path, data, **kwargs)

    def put(self, path, data=None, **kwargs):
        return self.call("PUT", path, data, **kwargs)

    def get(self, path, params=None, **kwargs):
        return self.call("GET", path, params=params, **kwargs)

    def delete(self, path, params=None, **kwargs):
        return self.call("DELETE", path, params=params, **kwargs)


@pytest.fixture(autouse=True)
def _forget_verified_secrets():
    forget_clients()
    yield
    forget_clients()


@pytest.fixture
def lrs_client(db):
    return create_client("Platform tool", key="platform", secret=SECRET)[0]


@pytest.fixture
def api(lrs_client):
    return Api(lrs_client.key)


@pytest.fixture
def commune_api(commune):
    create_client("Valmont tool", collectivity_slug=commune.slug, key="valmont", secret=SECRET)
    return Api("valmont")


@pytest.fixture
def other_api(other_commune):
    create_client("Saint-Aubin tool", collectivity_slug=other_commune.slug, key="saint-aubin", secret=SECRET)
    return Api("saint-aubin")


@pytest.fixture
def reader_api(db):
    create_client("Reader", key="reader", secret=SECRET, scope=LrsClient.Scope.READ)
    return Api("reader")


def statement(**overrides) -> dict:
    """A valid statement with a new id."""
    data = {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "account": {"homePage": "http://testserver", "name": "learner-1"}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced", "display": {"en-US": "experienced"}},
        "object": {"id": "http://testserver/activities/lesson-1", "definition": {"name": {"fr-FR": "Leçon"}}},
        "timestamp": "2026-11-26T08:00:00.000Z",
    }
    data.update(overrides)
    return data


@contextmanager
def stored_in_open_transaction(statement_to_store: dict):
    """Store a statement in another thread's transaction and keep that transaction open until the block ends.

    What a slow writer does: its statement has taken its ``seq`` and its ``stored`` date, and commits after
    statements stored later. Yields a function that commits it at once (and returns when it is committed).
    Needs a test with ``transaction=True``.
    """
    import threading

    from django.db import connection, transaction

    from lms.xapi.storage import get_store

    held, release = threading.Event(), threading.Event()

    def slow_writer():
        try:
            with transaction.atomic():
                get_store().store([statement_to_store])
                held.set()
                release.wait(10)
        finally:
            connection.close()

    def commit():
        release.set()
        writer.join()

    writer = threading.Thread(target=slow_writer)
    writer.start()
    try:
        assert held.wait(10), "the writer did not store its statement"
        yield commit
    finally:
        commit()
