"""The incremental aggregation and the full rebuild against the database."""

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lms.analytics import services
from lms.models import (
    AggregationState,
    CollectivitySnapshot,
    CompetenceEvidence,
    LearnerCompetenceLevel,
    LearnerLevelHistory,
    Statement,
)
from lms.xapi import vocabulary as v
from tests.conftest import PASSWORD, right_answers
from tests.lms.analytics.helpers import day, statement, store_rows, void

pytestmark = pytest.mark.django_db


@pytest.fixture
def passed(client, agent, quiz_lesson):
    client.login(username=agent.username, password=PASSWORD)
    client.post(quiz_lesson.url, right_answers(quiz_lesson))


@pytest.fixture
def uri(frameworks):
    from competences.models import Competence

    return {c.code: c.uri for c in Competence.objects.filter(framework__slug="crcn")}


def test_a_passed_quiz_becomes_validated_levels(passed):
    services.process_new_statements()
    assert sorted(LearnerCompetenceLevel.objects.values_list("competence__code", "level", "kind")) == [
        ("4.1", 2, "validated"),
        ("4.2", 3, "validated"),
    ]


def test_the_collectivity_of_new_statements_is_touched(passed, commune):
    AggregationState.objects.update(watermark=0)
    assert services.process_new_statements() == {commune.pk}


def test_a_snapshot_records_when_and_from_which_watermark_it_was_computed(passed, commune):
    services.process_new_statements()
    snapshot = services.rebuild_snapshot(commune.pk)
    assert (snapshot.watermark, snapshot.computed_at is not None) == (
        AggregationState.objects.get().watermark,
        True,
    )


def test_aggregation_is_idempotent(passed):
    services.process_new_statements()
    first = list(LearnerLevelHistory.objects.values_list("actor_name", "competence", "level", "reached_at"))
    services.process_new_statements()
    AggregationState.objects.update(watermark=0)  # a full re-run from the start
    services.process_new_statements()
    again = list(LearnerLevelHistory.objects.values_list("actor_name", "competence", "level", "reached_at"))
    assert (sorted(again), CompetenceEvidence.objects.filter(kind="validated").count()) == (sorted(first), 2)


def test_voided_statement_no_longer_counts(uri):
    passed = statement("a", v.PASSED.id, validated=[{"competence": uri["4.2"], "level": 3}])
    Statement.objects.bulk_create([passed])
    services.process_new_statements()
    store_rows([void("a", passed.statement_id, when=day(1))])
    services.process_new_statements()
    assert not LearnerLevelHistory.objects.exists()


def test_self_assessment_gives_a_declared_level_beside_the_validated_one(uri):
    Statement.objects.bulk_create(
        [
            statement("a", v.PASSED.id, validated=[{"competence": uri["1.1"], "level": 2}]),
            statement("a", v.COMPLETED.id, declared=[{"competence": uri["1.1"], "level": 5}], when=day(1)),
        ]
    )
    services.process_new_statements()
    assert sorted(LearnerCompetenceLevel.objects.values_list("kind", "level")) == [
        ("declared", 5),
        ("validated", 2),
    ]


def test_the_latest_declared_level_counts_and_at_one_instant_the_highest(uri):
    """The current declared level: the latest self-assessment, whatever its level; two declared at the same
    instant give the higher one. The full rebuild finds what the incremental run stored (to the microsecond,
    before 1970 too) and changes nothing."""
    instant = day(30) + timedelta(microseconds=123457)
    Statement.objects.bulk_create(
        [
            statement("a", v.COMPLETED.id, declared=[{"competence": uri["1.1"], "level": 6}], when=day(1)),
            statement("a", v.COMPLETED.id, declared=[{"competence": uri["1.1"], "level": 2}], when=instant),
            statement("a", v.COMPLETED.id, declared=[{"competence": uri["1.1"], "level": 3}], when=instant),
            statement(
                "b",
                v.COMPLETED.id,
                declared=[{"competence": uri["1.1"], "level": 4}],
                when=datetime(1969, 7, 20, 20, 17, 40, 999999, tzinfo=UTC),
            ),
        ]
    )
    services.process_new_statements()
    stored = sorted(LearnerCompetenceLevel.objects.values_list("actor_name", "level", "reached_at"))
    changes = {}
    assert services.rebuild_levels(changes=changes) == 0
    assert (stored, changes.get("levels", 0)) == (
        [
            ("a", 3, instant),
            ("b", 4, datetime(1969, 7, 20, 20, 17, 40, 999999, tzinfo=UTC)),
        ],
        0,
    )
    assert sorted(LearnerCompetenceLevel.objects.values_list("actor_name", "level", "reached_at")) == stored


def test_imported_pix_evidence_keeps_its_source(uri):
    Statement.objects.bulk_create(
        [statement("a", v.PASSED.id, validated=[{"competence": uri["1.1"], "level": 4}], source="pix")]
    )
    services.process_new_statements()
    assert list(CompetenceEvidence.objects.values_list("source", flat=True)) == ["pix"]


def test_watermark_stops_below_a_recent_hole_in_the_sequence(uri):
    rows = Statement.objects.bulk_create([statement("a", v.EXPERIENCED.id) for _ in range(3)])
    Statement.objects.filter(seq=rows[1].seq).delete()  # as if its transaction had not committed yet
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL looks at the transactions really in flight: see the next test")
    assert services.safe_upper_bound(rows[0].seq - 1) == rows[0].seq


def test_watermark_stops_below_a_hole_several_statements_wide(uri):
    """A batch in flight holds several seqs: the watermark stays below all of them."""
    rows = Statement.objects.bulk_create([statement("a", v.EXPERIENCED.id) for _ in range(5)])
    Statement.objects.filter(seq__in=[rows[1].seq, rows[2].seq, rows[3].seq]).delete()
    if connection.vendor == "postgresql":
        from unittest import mock

        with mock.patch.object(services, "_hole_may_fill", return_value=True):
            bound = services.safe_upper_bound(rows[0].seq - 1)
    else:
        bound = services.safe_upper_bound(rows[0].seq - 1)
    assert bound == rows[0].seq


@pytest.mark.django_db(transaction=True)
def test_watermark_waits_for_a_transaction_still_in_flight_on_postgresql(frameworks):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    import psycopg

    from tests.integration.conftest import database_url

    first = Statement.objects.bulk_create([statement("a", v.EXPERIENCED.id)])[0]
    with psycopg.connect(database_url()) as other:  # takes the next seq and does not commit yet
        row = statement("b", v.EXPERIENCED.id)
        other.execute(
            "INSERT INTO lms_statement (statement_id, actor_name, agent_ifi, object_type, verb, object_id, "
            "timestamp, stored, voided, related_agents, related_activities, data) "
            "VALUES (%s, 'b', '', 'Activity', %s, 'x', now(), now(), false, '', '', '{}')",
            [row.statement_id, v.EXPERIENCED.id],
        )
        Statement.objects.bulk_create([statement("c", v.EXPERIENCED.id)])
        bound = services.safe_upper_bound(first.seq - 1)
        other.rollback()
    assert bound == first.seq


def test_watermark_passes_an_old_hole_in_the_sequence(uri):
    rows = Statement.objects.bulk_create([statement("a", v.EXPERIENCED.id) for _ in range(3)])
    Statement.objects.filter(seq=rows[1].seq).delete()  # a rolled-back transaction, long ago
    later = timezone.now() + timedelta(hours=1)
    assert services.safe_upper_bound(rows[0].seq - 1, now=later) == rows[2].seq


def test_full_rebuild_finds_no_difference_after_incremental_runs(passed):
    services.process_new_statements()
    assert services.rebuild_levels() == 0


def test_full_rebuild_repairs_and_counts_a_wrong_history(passed):
    services.process_new_statements()
    LearnerLevelHistory.objects.filter(level=1).delete()
    assert (services.rebuild_levels(), LearnerLevelHistory.objects.filter(level=1).count()) == (2, 2)


def test_a_check_with_nothing_wrong_compares_checksums_and_joins_nothing(passed):
    if connection.vendor != "postgresql":
        pytest.skip("the set-based check of PostgreSQL")
    services.process_new_statements()
    with CaptureQueriesContext(connection) as queries:
        changes = {}
        assert services.rebuild_levels(changes=changes) == 0
    sql = [query["sql"] for query in queries.captured_queries]
    assert (
        changes,
        sum("hashfloat8extended" in q for q in sql),
        any("FULL JOIN" in q or "lms_diff" in q for q in sql),
    ) == ({"history": 0, "levels": 0}, 6, False)


def _one_microsecond_later(queryset, column):
    queryset.update(**{column: models.F(column) + timedelta(microseconds=1)})


@pytest.mark.parametrize(
    "change, differing",
    [
        (lambda: CompetenceEvidence.objects.update(source="autre"), {"history": 0, "levels": 0}),
        (
            lambda: _one_microsecond_later(CompetenceEvidence.objects, "occurred_at"),
            {"history": 0, "levels": 0},
        ),
        (
            lambda: _one_microsecond_later(LearnerLevelHistory.objects.filter(level=1), "reached_at"),
            {"history": 4, "levels": 0},
        ),
        (
            lambda: _one_microsecond_later(LearnerCompetenceLevel.objects, "reached_at"),
            {"history": 0, "levels": 4},
        ),
    ],
    ids=["evidence source", "evidence date", "history date", "level date"],
)
def test_one_value_changed_by_one_microsecond_is_found_and_repaired(passed, change, differing):
    """One value changed sends its table to the full comparison (the checksums differ), which repairs it."""
    _assert_found_and_repaired(change, differing)


def _swap(queryset, column):
    """Swap ``column`` between the two rows of ``queryset``: each column keeps the same values."""
    first, second = queryset.order_by("pk")
    values = getattr(first, column), getattr(second, column)
    type(first).objects.filter(pk=first.pk).update(**{column: values[1]})
    type(first).objects.filter(pk=second.pk).update(**{column: values[0]})


def _two_learners(uri):
    return [
        statement("a", v.PASSED.id, validated=[{"competence": uri["1.1"], "level": 3}], when=day(10)),
        statement("b", v.PASSED.id, validated=[{"competence": uri["1.1"], "level": 2}], when=day(40)),
    ]


def _validated_and_declared(uri):
    return [
        statement("a", v.PASSED.id, validated=[{"competence": uri["1.1"], "level": 3}], when=day(10)),
        statement("a", v.COMPLETED.id, declared=[{"competence": uri["2.1"], "level": 4}], when=day(30)),
    ]


@pytest.mark.parametrize(
    "stream, change, differing",
    [
        (
            _validated_and_declared,
            lambda: _swap(LearnerCompetenceLevel.objects, "kind"),
            {"history": 0, "levels": 4},
        ),
        (
            _two_learners,
            lambda: _swap(LearnerLevelHistory.objects.filter(level=1), "reached_at"),
            {"history": 4, "levels": 0},
        ),
        (_two_learners, lambda: _swap(CompetenceEvidence.objects, "level"), {"history": 0, "levels": 0}),
    ],
    ids=["kinds of two levels", "dates of two learners", "levels of two evidence rows"],
)
def test_two_rows_that_swap_a_value_are_found_and_repaired(uri, stream, change, differing):
    """A checksum that sums a linear hash of the columns would not see a value moved from a row to another."""
    Statement.objects.bulk_create(stream(uri))
    _assert_found_and_repaired(change, differing)


def _assert_found_and_repaired(change, differing):
    """After an incremental run, ``change`` the stored rows: the check counts ``differing`` rows (on
    PostgreSQL) and leaves the three tables as they were before the change."""
    services.process_new_statements()
    tables = (CompetenceEvidence, LearnerLevelHistory, LearnerCompetenceLevel)
    right = [sorted(model.objects.values_list(*_compared(model))) for model in tables]
    change()
    changes = {}
    services.rebuild_levels(changes=changes)
    assert ((changes if connection.vendor == "postgresql" else differing), right) == (
        differing,
        [sorted(model.objects.values_list(*_compared(model))) for model in tables],
    )


def _compared(model):
    return [f.attname for f in model._meta.concrete_fields if f.attname != "id"]


def test_the_nightly_run_counts_as_wrong_only_what_the_incremental_runs_got_wrong(passed, uri):
    """Statements stored since the last incremental run go through it before the check: they are not
    counted as differences (their levels reached, nothing the incremental path had wrong)."""
    services.process_new_statements()
    store_rows([statement("later", v.PASSED.id, validated=[{"competence": uri["1.1"], "level": 3}])])
    assert not LearnerLevelHistory.objects.filter(actor_name="later").exists()  # not processed yet
    assert services.nightly_rebuild()["mismatches"] == 0
    assert AggregationState.objects.get(name=services.LEVELS_PIPELINE).mismatches == 0
    assert LearnerLevelHistory.objects.filter(actor_name="later", level=3).exists()


@pytest.mark.parametrize("built", [False, True])
def test_a_first_or_large_backlog_is_left_to_the_check_s_set_based_rebuild(passed, monkeypatch, built):
    """Levels never built (or a backlog larger than a batch) go through the check's SQL, not the incremental
    path first: they are then counted as found by the check."""
    if built:
        services.process_new_statements()
        LearnerLevelHistory.objects.all().delete()
        # Stored an hour ago: a recent hole at the start of the sequence would be waited for (SQLite).
        Statement.objects.filter(seq__gt=0).update(
            seq=models.F("seq") + 2 * services.BATCH_SIZE, stored=models.F("stored") - timedelta(hours=1)
        )
    incremental = []
    monkeypatch.setattr(services, "process_new_statements", lambda: incremental.append(1))
    assert services.nightly_rebuild()["mismatches"] > 0
    assert not incremental


def test_aggregate_command_processes_and_rebuilds(passed, commune):
    call_command("lms_aggregate")
    assert CollectivitySnapshot.objects.filter(collectivity=commune, kind="figures").exists()


def test_aggregate_command_full_rebuild_reports_the_differences(passed, commune):
    from io import StringIO

    services.process_new_statements()
    output = StringIO()
    call_command("lms_aggregate", "--full", stdout=output)
    assert AggregationState.objects.get().checked_at is not None


def test_full_rebuild_counts_and_repairs_every_kind_of_wrong_history_and_level(uri):
    """Dates moved, rows missing or extra, a level out of range, a learner unknown to the evidence."""
    Statement.objects.bulk_create(
        [
            statement("a", v.PASSED.id, validated=[{"competence": uri["1.1"], "level": 3}], when=day(10)),
            statement("a", v.PASSED.id, validated=[{"competence": uri["1.1"], "level": 5}], when=day(20)),
            statement("a", v.COMPLETED.id, declared=[{"competence": uri["2.1"], "level": 4}], when=day(30)),
            statement("b", v.PASSED.id, validated=[{"competence": uri["1.1"], "level": 2}], when=day(40)),
        ]
    )
    services.process_new_statements()
    right_history = services.level_history_frame()
    level_columns = ("actor_name", "competence", "kind", "level")
    right_levels = sorted(LearnerCompetenceLevel.objects.values_list(*level_columns))
    history = LearnerLevelHistory.objects
    history.filter(actor_name="a", kind="validated", level=2).update(reached_at=day(15))  # 2 rows differ
    history.filter(actor_name="a", kind="declared", level=4).delete()  # 1
    history.filter(actor_name="b", level=2).delete()  # 1
    competence = history.filter(actor_name="a", level=1, kind="validated").get().competence
    history.create(actor_name="a", competence=competence, kind="validated", level=9, reached_at=day(1))  # 1
    history.create(actor_name="z", competence=competence, kind="declared", level=1, reached_at=day(1))  # 1
    LearnerCompetenceLevel.objects.filter(actor_name="a", kind="validated").update(level=4)
    LearnerCompetenceLevel.objects.filter(actor_name="b").delete()

    assert services.rebuild_levels() == 6
    assert services.level_history_frame().equals(right_history)
    assert sorted(LearnerCompetenceLevel.objects.values_list(*level_columns)) == right_levels
    assert services.rebuild_levels() == 0


def _through_the_store(row, collectivity=None):
    """Store ``row``'s statement as the LRS does (a ``COPY`` on PostgreSQL)."""
    from lms.xapi.storage import get_store

    sent = {**row.data, "actor": {"account": {"homePage": "http://testserver", "name": row.actor_name}}}
    sent["timestamp"] = row.timestamp.isoformat()
    get_store().store([sent], collectivity=collectivity)
    return Statement.objects.get(statement_id=row.statement_id)


def test_the_store_writes_the_evidence_the_levels_read(uri):
    """The summary written beside the statement carries a source with quotes, tabs, newlines and
    backslashes through the store's ``COPY`` to the incremental path and to the full rebuild alike."""
    source = 'Pix "orga"\tcampagne\n2026 \\N é'
    row = statement(
        "a",
        v.PASSED.id,
        validated=[{"competence": uri["1.1"], "level": 3}, {"competence": uri["1.2"], "level": 9}],
        source=source,
        when=day(5),
    )
    stored = _through_the_store(row)
    assert stored.evidence.split("\n")[1:] == [f"v3\t{uri['1.1']}"]
    services.process_new_statements()
    incremental = list(CompetenceEvidence.objects.values_list("competence__uri", "level", "source"))
    assert (incremental, services.rebuild_levels()) == ([(uri["1.1"], 3, source)], 0)
    assert list(CompetenceEvidence.objects.values_list("competence__uri", "level", "source")) == incremental


def test_the_store_writes_the_course_stage_the_activity_figures_read(uri, commune):
    """The course stage travels through the store's ``COPY`` (course IRIs with characters ``COPY`` escapes,
    and not ASCII) and is what the national pass counts: the enrolment and the lesson started in a course of
    the catalogue, the assessment passed in a course outside it (counted under its IRI)."""
    course = "http://testserver/xapi/activities/course/a\\b"
    elsewhere = "http://ailleurs.example/activités/évaluation"
    enrolled = statement("a", v.REGISTERED.id, object_id=course, when=timezone.now())
    started = statement("a", v.EXPERIENCED.id, grouping=course, when=timezone.now())
    passed = statement("a", v.PASSED.id, grouping=elsewhere, when=timezone.now())
    stored = [_through_the_store(row, commune) for row in (enrolled, started, passed)]
    assert [row.course_stage for row in stored] == [f"0{course}", f"1{course}", f"2{elsewhere}"]
    months = services.snapshot_months()
    activity = services._national_activity(services.safe_upper_bound(0), months, courses=[course])
    counted = sorted(zip(activity["m"], activity["stage"], activity["course"].astype(str), strict=True))
    now = len(months)
    assert counted == [(now, 0, course), (now, 1, course), (now, 2, elsewhere)]


def test_statements_a_previous_release_stored_without_a_course_stage_get_theirs_from_the_command(commune):
    """During an upgrade, a process of the previous release may store statements after migration 0017:
    ``lms_write_course_stages`` gives them their course stage, and the activity figures count them."""
    course = "http://testserver/xapi/activities/course"
    rows = Statement.objects.bulk_create(
        [
            statement("a", v.REGISTERED.id, object_id=course, when=timezone.now(), collectivity=commune),
            statement("a", v.EXPERIENCED.id, grouping=course, when=timezone.now(), collectivity=commune),
            statement("a", v.ANSWERED.id, grouping=course, when=timezone.now(), collectivity=commune),
        ]
    )
    Statement.objects.filter(pk=rows[1].pk).update(course_stage=None)  # as the previous release wrote it
    months = services.snapshot_months()
    upper = services.safe_upper_bound(0)
    assert len(services._national_activity(upper, months, courses=[course])) == 1
    out = io.StringIO()
    call_command("lms_write_course_stages", stdout=out)
    assert re.search(r"\b1\b", out.getvalue())  # one written (the answer is of no stage)
    assert [Statement.objects.get(pk=row.pk).course_stage for row in rows] == [
        f"0{course}",
        f"1{course}",
        None,
    ]
    assert sorted(services._national_activity(upper, months, courses=[course])["stage"]) == [0, 1]


def _written_again_by(migration: str, step: str, column: str, rows: list) -> list:
    """``column`` of ``rows`` emptied, then written by the data step ``step`` of ``migration``: the values."""
    import importlib

    from django.apps import apps

    Statement.objects.update(**{column: None})

    class Editor:
        connection = connection

    getattr(importlib.import_module(f"lms.migrations.{migration}"), step)(apps, Editor())
    return [getattr(Statement.objects.get(pk=row.pk), column) for row in rows]


def test_statements_stored_before_the_course_stages_get_theirs_from_the_migration():
    course = "http://testserver/xapi/activities/course"
    rows = Statement.objects.bulk_create(
        [
            statement("a", v.REGISTERED.id, object_id=course),
            statement("a", v.PASSED.id, grouping=course),
            statement("a", v.EXPERIENCED.id),
            statement("b", v.FAILED.id, grouping=course),
        ]
    )
    expected = [row.course_stage for row in rows]
    assert expected == [f"0{course}", f"2{course}", "1", None]
    assert (
        _written_again_by("0017_statement_course_stage", "write_course_stages", "course_stage", rows)
        == expected
    )


def test_statements_stored_before_the_summaries_get_theirs_from_the_migration(uri):
    rows = Statement.objects.bulk_create(
        [
            statement("a", v.PASSED.id, validated=[{"competence": uri["1.1"], "level": 2}]),
            statement("a", v.EXPERIENCED.id),
            statement("b", v.FAILED.id, declared=[{"competence": uri["2.1"], "level": 4}]),
        ]
    )
    expected = [row.evidence for row in rows]
    assert expected[0] is not None and expected[1] is None and expected[2] is not None
    assert _written_again_by("0016_statement_evidence", "write_summaries", "evidence", rows) == expected
