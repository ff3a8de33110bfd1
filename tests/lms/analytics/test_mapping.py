"""Levels follow the version and crosswalk mappings: the pure ``carry_over`` step and where it is used."""

from datetime import UTC, datetime

import pandas as pd
import pytest

from lms.analytics.mapping import carry_over


def _when(day):
    return pd.Timestamp(datetime(2026, 1, day, tzinfo=UTC))


def _history(*rows):
    return pd.DataFrame.from_records(
        [(actor, competence, "validated", level, _when(day)) for actor, competence, level, day in rows],
        columns=["actor_name", "competence_id", "kind", "level", "reached_at"],
    )


def _closure(*pairs):
    return pd.DataFrame(list(pairs), columns=["source_id", "target_id"], dtype="int64")


def _rows(frame):
    return sorted(
        (row.actor_name, int(row.competence_id), int(row.level), row.reached_at.day)
        for row in frame.itertuples(index=False)
    )


def test_a_level_on_the_first_version_counts_on_every_later_version_with_its_date():
    # v1 (1) → v2 (2) → v3 (3): the closure holds the transitive pairs.
    history = _history(("a", 1, 3, 5))
    carried = carry_over(history, _closure((1, 2), (2, 3), (1, 3)))
    assert _rows(carried) == [("a", 1, 3, 5), ("a", 2, 3, 5), ("a", 3, 3, 5)]


def test_a_crosswalk_carries_the_level_to_the_other_framework():
    carried = carry_over(_history(("a", 10, 2, 7)), _closure((10, 20)))
    assert ("a", 20, 2, 7) in _rows(carried)


def test_two_sources_leading_to_one_target_keep_the_earliest_date_per_level():
    history = _history(("a", 1, 2, 9), ("a", 5, 2, 4), ("a", 5, 3, 6))
    carried = carry_over(history, _closure((1, 7), (5, 7)))
    assert [row for row in _rows(carried) if row[1] == 7] == [("a", 7, 2, 4), ("a", 7, 3, 6)]


def test_evidence_on_the_target_itself_keeps_an_earlier_date():
    history = _history(("a", 1, 3, 8), ("a", 2, 3, 2))
    carried = carry_over(history, _closure((1, 2)))
    assert [row for row in _rows(carried) if row[1] == 2] == [("a", 2, 3, 2)]


def test_a_cycle_of_mappings_neither_loops_nor_duplicates():
    history = _history(("a", 1, 4, 3))
    carried = carry_over(history, _closure((1, 2), (2, 1)))
    assert _rows(carried) == [("a", 1, 4, 3), ("a", 2, 4, 3)]


def test_each_learner_keeps_their_own_levels():
    history = _history(("a", 1, 2, 3), ("b", 1, 5, 4))
    carried = carry_over(history, _closure((1, 2)))
    assert [row for row in _rows(carried) if row[1] == 2] == [("a", 2, 2, 3), ("b", 2, 5, 4)]


def test_a_history_without_kind_column_is_carried_too():
    history = _history(("a", 1, 3, 5)).drop(columns="kind")
    carried = carry_over(history, _closure((1, 2)))
    assert (
        list(carried.columns) == ["actor_name", "competence_id", "level", "reached_at"] and len(carried) == 2
    )


def test_no_mapping_leaves_the_history_unchanged():
    history = _history(("a", 1, 3, 5))
    assert carry_over(history, _closure()).equals(history)


@pytest.mark.django_db
def test_the_closure_is_transitive_and_ignores_cycles(frameworks):
    from competences.models import Competence, CompetenceMapping
    from lms.analytics.mapping import mapping_closure

    CompetenceMapping.objects.all().delete()
    a, b, c = Competence.objects.filter(framework__slug="crcn").order_by("pk")[:3]
    for source, target in [(a, b), (b, c), (c, a)]:
        CompetenceMapping.objects.create(source=source, target=target)
    pairs = {tuple(pair) for pair in mapping_closure().itertuples(index=False)}
    assert pairs == {(x.pk, y.pk) for x in (a, b, c) for y in (a, b, c) if x != y}
