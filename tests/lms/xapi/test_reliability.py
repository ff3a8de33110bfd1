"""Loss-free storing: with the broker down, and with many concurrent writers on a live server."""

import base64
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from urllib.parse import urlparse

import pytest
from django.db import connection

from competences.models import Competence
from lms.models import CompetenceEvidence, Statement
from lms.xapi import vocabulary as v
from lms.xapi.clients import create_client
from tests.integration.conftest import ROOT, database_url

from .conftest import SECRET, statement

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout=60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


class RedisServer:
    """A redis-server of the test's own, on a spare port (never the machine's shared one)."""

    def __init__(self, tmp_path):
        self.port, self.dir, self.process = free_port(), tmp_path, None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def _pong(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert wait_for(self._pong, 20), "redis-server did not start"

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        assert not self._pong()


def _env(broker_url=""):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),
        "TEST_CELERY_BROKER_URL": broker_url,
        "TEST_CELERY_QUEUE": "tremplin-reliability",
    }


def _auth(key):
    return "Basic " + base64.b64encode(f"{key}:{SECRET}".encode()).decode()


def _post(port, key, body, timeout=60):
    http_connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    http_connection.request(
        "POST",
        "/xapi/statements",
        body=json.dumps(body),
        headers={
            "Authorization": _auth(key),
            "X-Experience-API-Version": "1.0.3",
            "Content-Type": "application/json",
        },
    )
    response = http_connection.getresponse()
    content = response.read()
    http_connection.close()
    return response.status, content


@pytest.fixture
def redis_server(tmp_path):
    if subprocess.run(["which", "redis-server"], capture_output=True).returncode:
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    if server.process.poll() is None:
        server.stop()


@contextmanager
def _web_server(broker_url, tmp_path):
    """The test site under gunicorn, its Celery publishing to ``broker_url``; yields its port."""
    port = free_port()
    log = (tmp_path / "web.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "django.core.wsgi:get_wsgi_application()",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        cwd=ROOT,
        env=_env(broker_url),
        stdout=log,
        stderr=subprocess.STDOUT,
    )

    def up():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            return False

    assert wait_for(up, 60), (tmp_path / "web.log").read_text()
    try:
        yield port
    finally:
        process.terminate()
        process.wait(timeout=20)
        connection.close()


@pytest.fixture
def web_server(redis_server, tmp_path):
    """The test site under gunicorn, its Celery publishing to the test's own Redis."""
    with _web_server(redis_server.url, tmp_path) as port:
        yield port


@pytest.fixture
def silent_broker():
    """A broker address whose host accepts connections and never answers (a hung or filtered server)."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted = []

    def accept():
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    server.close()
    for sock in accepted:
        sock.close()


def _evidence_statement(competence):
    return statement(
        verb={"id": v.PASSED.id, "display": v.PASSED.display},
        object={"id": "http://testserver/activities/quiz", "definition": {"type": v.ASSESSMENT.id}},
        result={"success": True},
        context={
            "contextActivities": {"other": [{"id": competence.uri}]},
            "extensions": {v.EXT_VALIDATED_LEVELS: [{"competence": competence.uri, "level": 3}]},
        },
    )


# The sequence starts again at 1. On SQLite the flush after an earlier test does not reset it: the seqs
# missing before this test's statement would be a recent hole, which the aggregation waits for (the test
# runs it once).
@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_posts_succeed_with_the_broker_down_and_aggregation_catches_up(
    frameworks, redis_server, web_server, tmp_path
):
    create_client("Tool", key="tool", secret=SECRET)
    competence = Competence.objects.get(framework__slug="crcn", code="4.2")
    redis_server.stop()

    body = _evidence_statement(competence)
    status, content = _post(web_server, "tool", body)
    assert (status, Statement.objects.filter(statement_id=body["id"]).exists()) == (200, True), content

    redis_server.start()
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tests.celery_app",
            "worker",
            "--pool",
            "solo",
            "-Q",
            "tremplin-reliability",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],  # fmt: skip
        cwd=ROOT,
        env=_env(redis_server.url),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        from celery import Celery

        # What Celery beat does every LMS_AGGREGATION_INTERVAL seconds.
        Celery("reliability-client", broker=redis_server.url).send_task(
            "lms.analytics.tasks.aggregate_statements", queue="tremplin-reliability"
        )
        caught_up = wait_for(lambda: CompetenceEvidence.objects.filter(statement_id=body["id"]).exists(), 90)
    finally:
        worker.terminate()
        worker.wait(timeout=20)
        connection.close()
    assert caught_up, (tmp_path / "worker.log").read_text()


def test_concurrent_batches_lose_nothing_and_store_nothing_twice(live_server):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers are checked on PostgreSQL (DATABASE_URL)")
    create_client("Tool", key="tool", secret=SECRET)
    port = urlparse(live_server.url).port
    batches = [[statement() for _ in range(40)] for _ in range(24)]
    # Every batch is sent twice, by two different threads at about the same time.
    work = [batch for batch in batches for _ in range(2)]
    lock, results = threading.Lock(), []

    def writer():
        while True:
            with lock:
                if not work:
                    return
                batch = work.pop()
            status, content = _post(port, "tool", batch)
            with lock:
                results.append((status, content[:200]))

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    written = sorted(s["id"] for batch in batches for s in batch)
    stored = sorted(str(i) for i in Statement.objects.values_list("statement_id", flat=True))
    assert ({status for status, _ in results}, stored) == ({200}, written), results[:3]
    # And as a client reads them back: every page of GET /xapi/statements, following ``more``.
    read, path = [], "/xapi/statements?limit=100"
    while path:
        http_connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        http_connection.request(
            "GET", path, headers={"Authorization": _auth("tool"), "X-Experience-API-Version": "1.0.3"}
        )
        page = json.loads(http_connection.getresponse().read())
        http_connection.close()
        read += [s["id"] for s in page["statements"]]
        path = page["more"]
    assert sorted(read) == written


def test_posts_do_not_wait_for_a_broker_that_does_not_answer_each_time(silent_broker, tmp_path):
    """Publishing to a silent broker waits for its timeouts: only the first request after a failure does."""
    create_client("Tool", key="tool", secret=SECRET)
    bodies = [statement() for _ in range(5)]
    with _web_server(silent_broker, tmp_path) as port:
        first = _post(port, "tool", bodies[0])
        assert first[0] == 200, (first, (tmp_path / "web.log").read_text()[-3000:])
        start = time.monotonic()
        statuses = [_post(port, "tool", body)[0] for body in bodies[1:]]
        later = time.monotonic() - start
    assert statuses == [200] * 4
    assert Statement.objects.filter(statement_id__in=[b["id"] for b in bodies]).count() == 5
    # Each of them waited the broker's socket timeout (5 s) before the change.
    assert later < 4, (later, (tmp_path / "web.log").read_text()[-2000:])
