"""Unit tests of the pure pandas steps, each on a tiny frame."""

from datetime import UTC, datetime

import pandas as pd

from lms.analytics import pipeline
from lms.xapi import vocabulary as v

T1 = datetime(2026, 1, 1, tzinfo=UTC)
T2 = datetime(2026, 2, 1, tzinfo=UTC)


def _statement(sid, actor, verb, levels, when=T1):
    data = {"context": {"extensions": {v.EXT_VALIDATED_LEVELS: levels}}} if levels is not None else {}
    return {"statement_id": sid, "actor_name": actor, "verb": verb, "timestamp": when, "data": data}


def test_only_passed_statements_with_validated_levels_are_evidence():
    frame = pd.DataFrame(
        [
            _statement(
                "s1", "a", v.PASSED.id, [{"competence": "c42", "level": 3}, {"competence": "c41", "level": 2}]
            ),
            _statement("s2", "a", v.FAILED.id, [{"competence": "c42", "level": 3}]),
            _statement("s3", "b", v.PASSED.id, None),
        ]
    )
    evidence = pipeline.extract_evidence(frame)
    assert sorted(zip(evidence["competence_uri"], evidence["level"], strict=True)) == [("c41", 2), ("c42", 3)]


def test_levels_outside_one_to_eight_are_ignored():
    frame = pd.DataFrame([_statement("s1", "a", v.PASSED.id, [{"competence": "c", "level": 9}])])
    assert pipeline.extract_evidence(frame).empty


def test_highest_level_keeps_the_date_it_was_first_reached():
    evidence = pd.DataFrame(
        {
            "actor_name": ["a", "a", "a"],
            "competence_id": [1, 1, 1],
            "level": [2, 3, 3],
            "occurred_at": [T1, T2, T1],
        }
    )
    best = pipeline.highest_levels(evidence)
    assert best.to_dict("records") == [{"actor_name": "a", "competence_id": 1, "level": 3, "reached_at": T1}]


def test_levels_never_go_down():
    current = pd.DataFrame([{"actor_name": "a", "competence_id": 1, "level": 4, "reached_at": T1}])
    candidates = pd.DataFrame(
        [
            {"actor_name": "a", "competence_id": 1, "level": 3, "reached_at": T2},
            {"actor_name": "b", "competence_id": 1, "level": 1, "reached_at": T2},
        ]
    )
    assert pipeline.levels_to_update(current, candidates)["actor_name"].tolist() == ["b"]


def test_level_distribution_counts_learners_per_level_and_the_unassessed():
    levels = pd.DataFrame({"competence_id": [1, 1, 2], "level": [3, 3, 5]})
    rows = pipeline.level_distribution(levels, learner_count=4, competence_ids=[1, 2, 3])
    assert [(r["counts"]["3"], r["counts"]["5"], r["unassessed"]) for r in rows] == [
        (2, 0, 2),
        (0, 1, 3),
        (0, 0, 4),
    ]
