"""The nightly national pass gives every collectivity the snapshot its own per-collectivity rebuild gives."""

import json
import threading
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lms.analytics import figures, services
from lms.models import Collectivity, CollectivitySnapshot, ErasedMember, Membership, Service, Statement
from lms.services.organisations import add_membership, learner_for
from lms.xapi import vocabulary as v
from tests.conftest import make_user
from tests.lms.analytics.helpers import day, statement, store_rows, void

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 15, tzinfo=UTC)  # window: 2025-07 .. 2026-06


def _actor(user):
    return str(learner_for(user).actor_name)


@pytest.fixture
def varied(catalogue, commune, other_commune):
    """Two collectivities with every kind of member and activity, and a third one with nobody."""
    from competences.models import Competence, JobProfile, JobProfileTarget
    from courses.models import CoursePage
    from courses.services import course_ref

    Collectivity.objects.create(name="Commune vide", slug="vide", kind="commune")
    crcn = {c.code: c for c in Competence.objects.filter(framework__slug="crcn")}
    secretary = JobProfile.objects.create(name="Secrétaire de mairie", slug="secretaire")
    technician = JobProfile.objects.create(name="Technicien", slug="technicien")
    JobProfileTarget.objects.create(job_profile=secretary, competence=crcn["4.2"], level=3)
    JobProfileTarget.objects.create(job_profile=secretary, competence=crcn["1.1"], level=2)
    JobProfileTarget.objects.create(job_profile=technician, competence=crcn["2.1"], level=4)
    finance, works = (Service.objects.create(collectivity=commune, name=n) for n in ("Finances", "Travaux"))
    elsewhere = Service.objects.create(collectivity=other_commune, name="Accueil")

    people = {}
    for name, collectivity, role, details in [
        ("a1", commune, "agent", {"job_profile": secretary, "service": finance}),
        ("a2", commune, "agent", {"job_profile": secretary, "service": works}),
        ("a3", commune, "agent", {"service": finance}),
        ("e1", commune, "elected_official", {"job_profile": technician}),
        ("both", commune, "agent", {"job_profile": technician}),
        ("o1", other_commune, "agent", {"job_profile": technician, "service": elsewhere}),
        ("x", commune, "agent", {}),
    ]:
        user = make_user(name)
        add_membership(user, collectivity, role, **details)
        people[name] = user
    add_membership(people["both"], commune, Membership.Role.ELECTED_OFFICIAL)
    add_membership(people["x"], other_commune, Membership.Role.AGENT, service=elsewhere)
    ErasedMember.objects.create(actor_name="erased-1", collectivity=commune, population="agent")
    actors = {name: _actor(user) for name, user in people.items()} | {"erased": "erased-1", "pub": "outsider"}

    pages = list(CoursePage.objects.all()[:2])
    first, second = (course_ref(page).id for page in pages)
    CoursePage.objects.filter(pk=pages[0].pk).update(duration_minutes=5)
    unknown = "http://elsewhere.example/course"

    def levels(**codes):
        return [{"competence": crcn[code].uri, "level": level} for code, level in codes.items()]

    rows = []
    for name, where, day_number in [
        ("a1", commune, -300),
        ("a1", commune, 20),
        ("a2", commune, 70),
        ("both", commune, 100),
        ("x", other_commune, 40),
        ("o1", other_commune, 150),
        ("erased", commune, 130),
        ("pub", commune, 60),
    ]:
        actor = actors[name]
        rows += [
            statement(actor, v.REGISTERED.id, when=day(day_number), collectivity=where, object_id=first),
            statement(actor, v.EXPERIENCED.id, when=day(day_number + 1), collectivity=where, grouping=first),
            statement(actor, v.EXPERIENCED.id, when=day(day_number + 2), collectivity=where),
            statement(
                actor,
                v.PASSED.id,
                when=day(day_number + 3),
                collectivity=where,
                grouping=second,
                validated=levels(**{"4.2": 3, "1.1": 1 + day_number % 3}),
            ),
            statement(actor, v.COMPLETED.id, when=day(day_number + 4), collectivity=where, object_id=first),
            statement(actor, v.COMPLETED.id, when=day(day_number + 4), collectivity=where, object_id=first),
            statement(actor, v.COMPLETED.id, when=day(day_number + 5), collectivity=where, object_id=unknown),
            statement(actor, v.COMPLETED.id, declared=levels(**{"2.1": 2}), when=day(day_number + 6)),
        ]
    cancelled = statement(
        actors["a3"], v.PASSED.id, when=day(50), collectivity=commune, validated=levels(**{"2.1": 5})
    )
    rows += [
        cancelled,
        void(actors["a3"], cancelled.statement_id, when=day(51)),
        statement(actors["a3"], v.FAILED.id, when=day(52), collectivity=commune, grouping=second),
        statement(
            actors["e1"], v.PASSED.id, when=day(110), collectivity=commune, validated=levels(**{"2.1": 6})
        ),
        statement(actors["a2"], v.EXPERIENCED.id, when=day(400), collectivity=commune, grouping=first),
    ]
    store_rows(rows)
    services.process_new_statements()
    return commune


def _roundtrip(data):
    return json.loads(json.dumps(data))


def test_national_pass_gives_every_collectivity_the_snapshot_of_its_own_rebuild(varied):
    services.rebuild_all_snapshots(now=NOW)
    national = dict(
        CollectivitySnapshot.objects.filter(kind="figures").values_list("collectivity_id", "data")
    )
    watermark = services.AggregationState.objects.get(name=services.LEVELS_PIPELINE).watermark
    each = {
        pk: _roundtrip(figures.compute(services.collectivity_inputs(pk, upper=watermark, now=NOW)))
        for pk in Collectivity.objects.values_list("pk", flat=True)
    }
    assert national == each


def test_snapshots_are_compressed_with_lz4_on_postgresql_and_read_back_whole(varied):
    """Migration 0011: LZ4 compresses and decompresses a snapshot faster than pglz (make bench-analytics)."""
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL storage setting")
    services.rebuild_all_snapshots(now=NOW)
    snapshot = CollectivitySnapshot.objects.get(collectivity=varied, kind="figures")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_column_compression(data), pg_column_size(data) < octet_length(data::text) "
            "FROM lms_collectivitysnapshot WHERE id = %s",
            [snapshot.pk],
        )
        compression, smaller = cursor.fetchone()
    expected = _roundtrip(
        figures.compute(services.collectivity_inputs(varied.pk, upper=snapshot.watermark, now=NOW))
    )
    assert (compression, smaller, snapshot.data) == ("lz4", True, expected)


def _stored_group(snapshot, key):
    """The group as the database holds it: its figures' JSON type and its size, read by key."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT data FROM lms_collectivitysnapshot WHERE id = %s",
            [snapshot.pk],
        )
        raw = cursor.fetchone()[0]
    group = (json.loads(raw) if isinstance(raw, str) else raw)["groups"][key]
    return type(group.get("figures")).__name__, group.get("size")


def test_snapshot_groups_are_stored_as_text_and_read_back_as_figures(varied):
    """The database parses a group's figures as one string (migration 0015); every read gives the figures."""
    from lms.dashboards.views import group_sizes, page_groups

    services.rebuild_all_snapshots(now=NOW)
    snapshot = CollectivitySnapshot.objects.get(collectivity=varied, kind="figures")
    expected = _roundtrip(
        figures.compute(services.collectivity_inputs(varied.pk, upper=snapshot.watermark, now=NOW))
    )
    everyone = expected["groups"]["all|all|all"]
    assert (
        _stored_group(snapshot, "all|all|all"),
        snapshot.data,
        page_groups(snapshot.pk, ["all|all|all"]),
        group_sizes(varied, ["all|all|all", "agent|all|all"]),
        CollectivitySnapshot.objects.filter(pk=snapshot.pk).values_list("data__groups", flat=True).get(),
    ) == (
        ("str", everyone["size"]),
        expected,
        ({"all|all|all": everyone}, {"all|all|all": everyone["size"]}),
        {"all|all|all": everyone["size"], "agent|all|all": expected["groups"]["agent|all|all"]["size"]},
        expected["groups"],
    )


def test_a_snapshot_stored_before_the_groups_were_text_reads_the_same_and_is_rewritten_once(varied):
    from lms.dashboards.views import page_groups

    services.rebuild_all_snapshots(now=NOW)
    snapshot = CollectivitySnapshot.objects.get(collectivity=varied, kind="figures")
    expected = snapshot.data
    with connection.cursor() as cursor:  # the former format: the groups as JSON objects
        cursor.execute(
            "UPDATE lms_collectivitysnapshot SET data = %s, data_hash = %s WHERE id = %s",
            [
                json.dumps(expected),
                services.national.digest(services.national.dumps(expected)),
                snapshot.pk,
            ],
        )
    before = (
        _stored_group(snapshot, "all|all|all"),
        CollectivitySnapshot.objects.get(pk=snapshot.pk).data,
        page_groups(snapshot.pk, ["all|all|all"])[0],
    )
    result = services.rebuild_all_snapshots(now=NOW)
    after = (_stored_group(snapshot, "all|all|all"), CollectivitySnapshot.objects.get(pk=snapshot.pk).data)
    assert (before, result["written"], after) == (
        (
            ("NoneType", expected["groups"]["all|all|all"]["size"]),
            expected,
            {"all|all|all": expected["groups"]["all|all|all"]},
        ),
        1,
        (("str", expected["groups"]["all|all|all"]["size"]), expected),
    )


def test_snapshot_has_everyone_and_agents_groups_per_service(varied):
    data = services.rebuild_snapshot(varied.pk, now=NOW)
    data = CollectivitySnapshot.objects.get(pk=data.pk).data
    finance, works = Service.objects.filter(collectivity=varied).order_by("pk").values_list("pk", flat=True)
    expected = {f"{p}|all|{s}" for s in (finance, works) for p in ("all", "agent")}
    assert (
        data["services"],
        expected <= set(data["groups"]),
        data["groups"][f"agent|all|{finance}"]["size"],
    ) == (
        [finance, works],
        True,
        2,
    )


def test_national_pass_carries_levels_over_mappings_like_the_per_collectivity_rebuild(varied):
    from competences.models import Framework
    from competences.services import create_new_version

    crcn = Framework.objects.get(slug="crcn")
    successor = create_new_version(crcn, "2030")
    successor.status = Framework.Status.PUBLISHED
    successor.save(update_fields=["status"])
    carried = successor.competences.get(code="4.2").pk

    services.rebuild_all_snapshots(now=NOW)
    national = CollectivitySnapshot.objects.get(kind="figures", collectivity=varied).data
    watermark = services.AggregationState.objects.get(name=services.LEVELS_PIPELINE).watermark
    own = _roundtrip(figures.compute(services.collectivity_inputs(varied.pk, upper=watermark, now=NOW)))
    assert national == own
    row = national["competences"].index(carried)
    assert sum(national["groups"]["all|all|all"]["levels"][row][-1][1:]) > 0


def _snapshots():
    return {
        row[0]: row[1:]
        for row in CollectivitySnapshot.objects.filter(kind="figures").values_list(
            "collectivity_id", "computed_at", "watermark", "data_hash", "data"
        )
    }


def test_a_second_national_pass_without_new_statements_rewrites_no_snapshot_but_dates_them(varied):
    services.rebuild_all_snapshots(now=NOW)
    before = _snapshots()
    with CaptureQueriesContext(connection) as queries:
        result = services.rebuild_all_snapshots(now=NOW)
    after = _snapshots()
    assert (
        (result["written"], result["unchanged"]),
        any("data =" in q["sql"] or "INSERT" in q["sql"] for q in queries.captured_queries),
        all(after[pk][0] > before[pk][0] and after[pk][2:] == before[pk][2:] for pk in before),
    ) == ((0, len(before)), False, True)


def test_a_new_statement_rewrites_only_the_snapshot_of_its_collectivity(varied, other_commune):
    services.rebuild_all_snapshots(now=NOW)
    before = _snapshots()
    Statement.objects.bulk_create(
        [statement("newcomer", v.EXPERIENCED.id, when=day(160), collectivity=other_commune)]
    )
    services.process_new_statements()
    result = services.rebuild_all_snapshots(now=NOW)
    after = _snapshots()
    watermark = services.AggregationState.objects.get(name=services.LEVELS_PIPELINE).watermark
    changed = {pk for pk in before if after[pk][2:] != before[pk][2:]}
    assert (result["written"], changed, {after[pk][1] for pk in after}) == (
        1,
        {other_commune.pk},
        {watermark},
    )


def test_a_per_collectivity_rebuild_with_the_same_data_only_moves_the_date(varied):
    first = services.rebuild_snapshot(varied.pk, now=NOW)
    with CaptureQueriesContext(connection) as queries:
        second = services.rebuild_snapshot(varied.pk, now=NOW)
    assert (
        second.computed_at > first.computed_at,
        second.data_hash == first.data_hash != "",
        any('"data" =' in q["sql"] for q in queries.captured_queries),
    ) == (True, True, False)


def test_a_national_pass_restricted_to_some_collectivities_gives_them_their_own_snapshot(varied):
    services.rebuild_all_snapshots(now=NOW, collectivity_ids=[varied.pk])
    stored = dict(CollectivitySnapshot.objects.filter(kind="figures").values_list("collectivity_id", "data"))
    watermark = services.AggregationState.objects.get(name=services.LEVELS_PIPELINE).watermark
    own = _roundtrip(figures.compute(services.collectivity_inputs(varied.pk, upper=watermark, now=NOW)))
    assert stored == {varied.pk: own}


def test_a_national_pass_restricted_to_most_collectivities_gives_only_them_their_own_snapshot(
    varied, other_commune
):
    # Most of the collectivities: the activity is read without restriction, then kept for them only.
    assert Statement.objects.filter(collectivity=other_commune).exists()
    ids = list(Collectivity.objects.exclude(pk=other_commune.pk).values_list("pk", flat=True))
    assert 2 * len(ids) > Collectivity.objects.count()
    services.rebuild_all_snapshots(now=NOW, collectivity_ids=ids)
    stored = dict(CollectivitySnapshot.objects.filter(kind="figures").values_list("collectivity_id", "data"))
    watermark = services.AggregationState.objects.get(name=services.LEVELS_PIPELINE).watermark
    own = {
        pk: _roundtrip(figures.compute(services.collectivity_inputs(pk, upper=watermark, now=NOW)))
        for pk in ids
    }
    assert stored == own


@pytest.fixture
def check_waits_for_the_read(monkeypatch):
    """The level check waits, before it commits, for the levels read beside it: on a large store that read
    ends long before the check; on these few rows it could start after the commit."""
    if connection.vendor != "postgresql":
        pytest.skip("the read beside the check runs on PostgreSQL only (a second connection)")
    read = threading.Event()
    inputs, check = services.national_inputs, services._rebuild_levels_in_postgresql

    def reading(*args, **kwargs):
        try:
            return inputs(*args, **kwargs)
        finally:
            read.set()

    def waiting(*args, **kwargs):
        result = check(*args, **kwargs)
        assert read.wait(timeout=30)
        return result

    monkeypatch.setattr(services, "national_inputs", reading)
    monkeypatch.setattr(services, "_rebuild_levels_in_postgresql", waiting)
    return read


@pytest.fixture
def computing_threads(monkeypatch):
    """The names of the threads that computed the national figures, in order."""
    if connection.vendor != "postgresql":
        pytest.skip("the read beside the check runs on PostgreSQL only (a second connection)")
    computed = []
    compute_all = services._compute_all

    def counted(inputs):
        computed.append(threading.current_thread().name)
        return compute_all(inputs)

    monkeypatch.setattr(services, "_compute_all", counted)
    return computed


@pytest.mark.django_db(transaction=True)
def test_the_nightly_run_reads_the_activity_beside_the_level_check_and_computes_the_same(
    varied, monkeypatch, check_waits_for_the_read, computing_threads
):
    """Outside a transaction (as the Celery task runs), the year's activity is read on a second connection
    while the levels are compared; the snapshots are those of the same run read on one connection."""
    from django.db import transaction

    started = []
    background = services._InBackground.__init__

    def spy(self, function, *args, **kwargs):
        started.append(function.__name__)
        background(self, function, *args, **kwargs)

    monkeypatch.setattr(services._InBackground, "__init__", spy)
    reads = []
    statement_reads = services._statement_reads

    def counted(*args, **kwargs):
        reads.append(args)
        return statement_reads(*args, **kwargs)

    monkeypatch.setattr(services, "_statement_reads", counted)

    def snapshots():
        rows = CollectivitySnapshot.objects.filter(kind="figures").values_list("collectivity_id", "data")
        return dict(rows)

    computed = computing_threads

    result = services.nightly_rebuild(now=NOW)
    # Read once, in the background (members and levels on a third connection beside the statements), used.
    assert started == ["_pass_beside_levels", "_members_and_levels"] and len(reads) == 1
    # The figures too were computed beside the check (it changed no level) and are the ones written.
    assert computed == ["lms-analytics-read"]
    assert (result["mismatches"], result["snapshots"]) == (0, 3)
    overlapped = snapshots()
    assert overlapped[varied.pk]["courses"]  # the activity was read

    CollectivitySnapshot.objects.all().delete()
    with transaction.atomic():
        services.nightly_rebuild(now=NOW)
    assert started == ["_pass_beside_levels", "_members_and_levels"] and len(reads) == 2  # in a transaction
    assert computed == ["lms-analytics-read", threading.main_thread().name]
    assert snapshots() == overlapped


@pytest.mark.django_db(transaction=True)
def test_a_nightly_check_that_repairs_levels_writes_figures_of_the_repaired_levels(
    varied, check_waits_for_the_read
):
    """The figures computed beside the check read the levels stored before it: when the check repairs a
    history the incremental runs had wrong, they are computed again from the repaired levels."""
    from django.db import transaction

    from lms.models import LearnerCompetenceLevel, LearnerLevelHistory

    def snapshots():
        rows = CollectivitySnapshot.objects.filter(kind="figures").values_list("collectivity_id", "data")
        return dict(rows)

    read = check_waits_for_the_read
    read.set()  # in a transaction nothing is read beside the check
    with transaction.atomic():
        services.nightly_rebuild(now=NOW)
    right = snapshots()
    everyone = right[varied.pk]["groups"]["all|all|all"]
    assert everyone["levels"] != _no_levels(right[varied.pk])
    assert any(sum(row[1:]) for row in everyone["declared"]), everyone["declared"]

    # What a wrong incremental run could leave: the validated history lost, or the declared levels.
    for wrong, kind in ((LearnerLevelHistory, "validated"), (LearnerCompetenceLevel, "declared")):
        CollectivitySnapshot.objects.all().delete()
        assert wrong.objects.filter(kind=kind).delete()[0]
        read.clear()
        result = services.nightly_rebuild(now=NOW)
        assert result["mismatches"] > 0 or wrong is LearnerCompetenceLevel
        assert snapshots() == right


@pytest.mark.django_db(transaction=True)
def test_figures_beside_a_check_that_committed_before_they_read_the_levels_are_computed_again(
    varied, monkeypatch, computing_threads
):
    """Once the check commits, an incremental run waiting for its lock may write levels: the figures of
    levels read after the commit are not written as they are (the ones of the levels after the check are)."""
    committed = threading.Event()
    inputs, check = services.national_inputs, services.rebuild_levels

    def late(*args, **kwargs):
        assert committed.wait(timeout=30)
        return inputs(*args, **kwargs)

    def checking(*args, **kwargs):
        try:
            return check(*args, **kwargs)
        finally:
            committed.set()

    monkeypatch.setattr(services, "national_inputs", late)
    monkeypatch.setattr(services, "rebuild_levels", checking)
    computed = computing_threads
    assert services.nightly_rebuild(now=NOW)["mismatches"] == 0
    assert computed == ["lms-analytics-read", threading.main_thread().name]


def _no_levels(data):
    """The levels of a group where nobody has a validated level: everyone at level 0."""
    size = data["groups"]["all|all|all"]["size"]
    return [[[size] + [0] * 8 for _month in data["months"]] for _competence in data["competences"]]


@pytest.mark.django_db(transaction=True)
def test_a_failing_nightly_level_check_waits_for_the_read_beside_it(varied, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("the read beside the check runs on PostgreSQL only (a second connection)")
    reads = []
    background = services._InBackground.__init__

    def spy(self, function, *args, **kwargs):
        reads.append(self)
        background(self, function, *args, **kwargs)

    def failing_levels(on_bound=None, changes=None, before_commit=None):
        on_bound(0)
        raise RuntimeError("the level check failed")

    monkeypatch.setattr(services._InBackground, "__init__", spy)
    monkeypatch.setattr(services, "rebuild_levels", failing_levels)
    with pytest.raises(RuntimeError, match="level check"):
        services.nightly_rebuild(now=NOW)
    # The pass beside the check, and the members and levels read beside its statement reads: both ended.
    assert len(reads) == 2 and not any(read._thread.is_alive() for read in reads)


def _national_and_own(collectivity):
    services.rebuild_all_snapshots(now=NOW)
    national = CollectivitySnapshot.objects.get(kind="figures", collectivity=collectivity).data
    watermark = services.AggregationState.objects.get(name=services.LEVELS_PIPELINE).watermark
    own = _roundtrip(figures.compute(services.collectivity_inputs(collectivity.pk, upper=watermark, now=NOW)))
    return national["groups"]["all|all|all"], own["groups"]["all|all|all"]


def test_national_pass_gives_the_funnel_and_the_completers_of_each_period_as_the_reference(varied):
    national, own = _national_and_own(varied)
    shorter = national["funnel_periods"]["3"]
    assert (national["funnel_periods"], national["completers"]) == (own["funnel_periods"], own["completers"])
    assert shorter and shorter != national["funnel"]
    assert national["completers"]["3"] < national["completers"]["12"]


def test_national_pass_counted_without_dense_arrays_gives_the_reference(varied, monkeypatch):
    from lms.analytics import national as national_pass

    monkeypatch.setattr(national_pass, "MAX_BINS", 1)
    national, own = _national_and_own(varied)
    assert national == own
