"""Forwarding stored statements to an external LRS: batches, watermark, failures and retries."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection

from lms.models import ForwardingFailure, ForwardingTarget
from lms.xapi import forwarding
from lms.xapi.storage import get_store
from lms.xapi.tasks import forward_statements

from .conftest import statement, stored_in_open_transaction

pytestmark = pytest.mark.django_db


class TargetLrs:
    """A stand-in external LRS that records the batches it receives and answers a chosen status."""

    def __init__(self):
        self.batches, self.status, self.auth = [], 200, []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                owner.auth.append(self.headers.get("Authorization"))
                if owner.status == 200:
                    owner.batches.append(json.loads(body))
                self.send_response(owner.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"[]")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}/xapi/"

    @property
    def ids(self):
        return [s["id"] for batch in self.batches for s in batch]


@pytest.fixture
def target_lrs():
    lrs = TargetLrs()
    yield lrs
    lrs.server.shutdown()


@pytest.fixture
def target(target_lrs):
    return ForwardingTarget.objects.create(
        name="Ralph", endpoint=target_lrs.endpoint, username="k", password="s", batch_size=2
    )


def _store(count, collectivity=None):
    statements = [statement() for _ in range(count)]
    get_store().store(statements, collectivity=collectivity)
    return [s["id"] for s in statements]


def test_stored_statements_are_forwarded_in_batches_oldest_first(target, target_lrs):
    ids = _store(5)
    forward_statements(target.pk)
    assert ([len(b) for b in target_lrs.batches], target_lrs.ids) == ([2, 2, 1], ids)


def test_forwarding_again_sends_nothing_twice(target, target_lrs):
    _store(3)
    forward_statements(target.pk)
    forward_statements(target.pk)
    assert len(target_lrs.ids) == 3


def test_forwarding_sends_the_targets_credentials(target, target_lrs):
    _store(1)
    forward_statements(target.pk)
    assert target_lrs.auth == ["Basic azpz"]


def test_storing_does_not_wait_for_forwarding(target, target_lrs):
    _store(2)
    assert target_lrs.batches == []


def test_a_server_error_keeps_the_watermark_and_records_the_failure(target, target_lrs):
    _store(2)
    target_lrs.status = 503
    with pytest.raises(forwarding.ForwardingError):
        forwarding.forward_pending(target.pk)
    target.refresh_from_db()
    assert (target.last_seq, ForwardingFailure.objects.get().statement_count) == (0, 2)


def test_forwarding_catches_up_when_the_target_comes_back(target, target_lrs):
    ids = _store(3)
    target_lrs.status = 503
    with pytest.raises(forwarding.ForwardingError):
        forwarding.forward_pending(target.pk)
    target_lrs.status = 200
    forwarding.forward_pending(target.pk)
    assert (target_lrs.ids, ForwardingFailure.objects.filter(resolved=False).count()) == (ids, 0)


def test_a_refused_batch_is_recorded_and_skipped(target, target_lrs):
    _store(4)
    target_lrs.status = 400
    forwarding.forward_pending(target.pk)
    assert ForwardingFailure.objects.filter(resolved=False).count() == 2


def test_retrying_a_failure_sends_its_batch_again(target, target_lrs):
    ids = _store(2)
    target_lrs.status = 400
    forwarding.forward_pending(target.pk)
    target_lrs.status = 200
    failure = ForwardingFailure.objects.get()
    assert (forwarding.retry_failure(failure.pk), target_lrs.ids) == (True, ids)


def test_a_collectivity_target_receives_only_its_statements(target_lrs, commune, other_commune):
    target = ForwardingTarget.objects.create(
        name="Valmont", endpoint=target_lrs.endpoint, collectivity=commune
    )
    mine = _store(2, commune)
    _store(2, other_commune)
    forwarding.forward_pending(target.pk)
    assert target_lrs.ids == mine


def test_a_new_target_is_seen_at_once_by_the_process_that_saved_it():
    forwarding.cached_active_target_ids()
    new = ForwardingTarget.objects.create(name="New", endpoint="http://lrs.example/xapi/")
    assert new.pk in forwarding.cached_active_target_ids()


def test_the_active_targets_are_asked_once_within_the_cache_delay(target, django_assert_num_queries):
    forwarding.cached_active_target_ids()
    with django_assert_num_queries(0):
        forwarding.cached_active_target_ids()


@pytest.mark.parametrize("status", [401, 403, 404])
def test_a_misconfigured_target_keeps_the_watermark_until_it_is_fixed(target, target_lrs, status):
    ids = _store(3)
    target_lrs.status = status
    with pytest.raises(forwarding.ForwardingError):
        forwarding.forward_pending(target.pk)
    target.refresh_from_db()
    assert target.last_seq == 0
    target_lrs.status = 200
    forwarding.forward_pending(target.pk)
    assert (target_lrs.ids, ForwardingFailure.objects.filter(resolved=False).count()) == (ids, 0)


def _concurrent_writers_on_postgresql():
    """Skip elsewhere: SQLite has one writer at a time, so a second transaction cannot store while one is open
    ("database is locked"), and no seq can be committed after a later one."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers are checked on PostgreSQL (DATABASE_URL)")


@pytest.mark.django_db(transaction=True)
def test_a_statement_committed_after_a_later_one_is_still_forwarded(target, target_lrs):
    """A transaction takes a seq, another stores the next one and commits first: the watermark must wait."""
    _concurrent_writers_on_postgresql()
    late = statement()
    with stored_in_open_transaction(late):
        (early,) = _store(1)
        forwarding.forward_pending(target.pk)
        sent_while_open = list(target_lrs.ids)
    forwarding.forward_pending(target.pk)
    assert (sent_while_open, target_lrs.ids) == ([], [late["id"], early])


@pytest.mark.django_db(transaction=True)
def test_a_statement_committed_while_a_batch_is_read_is_still_forwarded(target, target_lrs, monkeypatch):
    """The slow writer commits right after the batch is read: the batch must not have gone past its seq."""
    _concurrent_writers_on_postgresql()
    late, read = statement(), forwarding._statements
    with stored_in_open_transaction(late) as commit:
        (early,) = _store(1)

        def read_then_commit(*args, **kwargs):
            rows = read(*args, **kwargs)
            commit()
            return rows

        monkeypatch.setattr(forwarding, "_statements", read_then_commit)
        forwarding.forward_pending(target.pk)
    monkeypatch.setattr(forwarding, "_statements", read)
    forwarding.forward_pending(target.pk)
    assert sorted(target_lrs.ids) == sorted([late["id"], early])


@pytest.mark.django_db(transaction=True)
def test_statements_with_attachments_are_forwarded_with_their_parts(live_server):
    """Forwarded to a real LRS (this site's own /xapi/, which refuses an attachment without its part)."""
    import hashlib

    if connection.vendor != "postgresql":
        # The receiving LRS is this site, on the same database: on SQLite its commit waits for the sender's
        # read lock on the whole file, held while the sender waits for its answer ("database is locked"). A
        # real target has a database of its own.
        pytest.skip("forwarding to this site's own LRS needs a database with concurrent writers (PostgreSQL)")

    from lms.xapi import attachments
    from lms.xapi.clients import create_client

    from .conftest import SECRET

    content = b"Bilan de la formation"
    sent = statement(
        attachments=[
            {
                "usageType": "http://example.org/attachments/report",
                "display": {"fr-FR": "Compte rendu"},
                "contentType": "text/plain",
                "length": len(content),
                "sha2": hashlib.sha256(content).hexdigest(),
            }
        ]
    )
    part = {
        "x-experience-api-hash": hashlib.sha256(content).hexdigest(),
        "content-type": "text/plain",
        "content-transfer-encoding": "binary",
    }
    attachments.store_with_attachments(
        get_store(), [sent], attachments.match_parts([sent], [(part, content)])
    )
    create_client("Receiving LRS", key="receiver", secret=SECRET)
    target = ForwardingTarget.objects.create(
        name="Tremplin", endpoint=f"{live_server.url}/xapi/", username="receiver", password=SECRET
    )
    assert forwarding.forward_pending(target.pk) == 1
    assert ForwardingFailure.objects.count() == 0


@pytest.fixture
def held_send(monkeypatch):
    """The first batch sent waits until ``release`` is set; ``started`` is set when it begins to wait."""
    started, release, http = threading.Event(), threading.Event(), forwarding.HttpForwardingBackend()
    sends = []

    class Held(forwarding.ForwardingBackend):
        def send(self, target, statements):
            sends.append(len(statements))
            if len(sends) == 1:
                started.set()
                release.wait(10)
            http.send(target, statements)

    monkeypatch.setattr(forwarding, "get_backend", Held)
    yield started, release
    release.set()


def _forward_in_thread(target_id):
    def run():
        try:
            forwarding.forward_pending(target_id)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_a_slow_target_is_not_a_writer_that_others_wait_for(target, target_lrs, held_send):
    """While a batch is sent, the run holds no transaction id: Consistent-Through, the aggregation and the
    other targets, which wait for the writers in flight (``oldest_writer_start``), do not wait for it."""
    from lms.analytics.services import oldest_writer_start

    _concurrent_writers_on_postgresql()
    started, release = held_send
    ids = _store(2)
    thread = _forward_in_thread(target.pk)
    assert started.wait(10)
    writer_while_sending = oldest_writer_start()
    release.set()
    thread.join(10)
    assert (writer_while_sending, target_lrs.ids) == (None, ids)


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_a_batch_once(target, target_lrs, held_send):
    """The second run waits for the first one's lock, then finds its batch sent."""
    _concurrent_writers_on_postgresql()
    started, release = held_send
    ids = _store(2)
    first = _forward_in_thread(target.pk)
    assert started.wait(10)
    second = _forward_in_thread(target.pk)
    second.join(0.5)
    waiting = second.is_alive()
    release.set()
    first.join(10)
    second.join(10)
    assert (waiting, target_lrs.ids) == (True, ids)
