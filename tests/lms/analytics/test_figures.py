"""The snapshot figures: small pure steps on tiny frames, then one collectivity end to end."""

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from lms.analytics import figures, services
from lms.models import Membership, Statement
from lms.xapi import vocabulary as v
from tests.conftest import make_user
from tests.lms.analytics.helpers import statement

MONTHS = [pd.Period("2026-01", "M"), pd.Period("2026-02", "M"), pd.Period("2026-03", "M")]
JAN, FEB, MAR = (datetime(2026, m, 10, tzinfo=UTC) for m in (1, 2, 3))
BEFORE = datetime(2025, 6, 1, tzinfo=UTC)


def _history(rows):
    return pd.DataFrame(rows, columns=["actor_name", "competence_id", "level", "reached_at"])


def test_level_grid_carries_each_level_forward_from_the_month_it_was_reached():
    grid = figures.level_grid(_history([("a", 1, 2, FEB)]), pd.Index(["a"]), pd.Index([1]), MONTHS)
    assert grid[0, 0].tolist() == [0, 0, 2, 2]


def test_levels_reached_before_the_window_are_its_starting_state():
    grid = figures.level_grid(_history([("a", 1, 3, BEFORE)]), pd.Index(["a"]), pd.Index([1]), MONTHS)
    assert grid[0, 0].tolist() == [3, 3, 3, 3]


def test_distribution_counts_learners_without_a_level_at_level_zero():
    grid = np.array([[[0, 2]], [[0, 0]]], dtype=np.int8)  # two actors, one competence, two months
    assert figures.distribution(grid)[0, 1, :3].tolist() == [1, 0, 1]


def test_progressed_counts_learners_who_went_up_in_a_month_and_over_a_period():
    grid = figures.level_grid(
        _history([("a", 1, 1, BEFORE), ("a", 1, 2, MAR), ("b", 1, 1, BEFORE)]),
        pd.Index(["a", "b"]),
        pd.Index([1]),
        MONTHS,
    )
    monthly, periods = figures.progressed(grid)
    assert (monthly.tolist(), periods["3"]) == ([0, 0, 1], 1)


def test_mean_level_is_over_assessed_learners_only():
    grid = np.array([[[2]], [[0]], [[4]]], dtype=np.int8)
    means, assessed = figures.mean_levels(grid)
    assert (means[0, 0], assessed[0, 0]) == (3.0, 2)


def test_hours_of_training_are_the_durations_of_the_courses_completed_in_the_month():
    activity = pd.DataFrame(
        {
            "actor_name": ["a", "b", "a"],
            "verb": [v.COMPLETED.id, v.COMPLETED.id, v.EXPERIENCED.id],
            "course": ["c1", "c2", "c1"],
            "timestamp": [FEB, FEB, JAN],
        }
    )
    courses = pd.DataFrame({"course": ["c1", "c2"], "hours": [0.5, 2.0]})
    monthly = figures.monthly_activity(figures.prepare_activity(activity, courses, MONTHS), 3)
    assert (monthly["hours"], monthly["active"], monthly["completions"]) == (
        [0.0, 2.5, 0.0],
        [1, 2, 0],
        [0, 2, 0],
    )


def test_funnel_counts_distinct_learners_at_each_stage_of_a_course():
    activity = pd.DataFrame(
        {
            "actor_name": ["a", "b", "a", "a", "a"],
            "verb": [v.REGISTERED.id, v.REGISTERED.id, v.EXPERIENCED.id, v.EXPERIENCED.id, v.COMPLETED.id],
            "course": ["c1"] * 5,
            "timestamp": [JAN] * 5,
        }
    )
    prepared = figures.prepare_activity(activity, pd.DataFrame(columns=["course", "hours"]), MONTHS)
    assert figures.funnel(prepared) == {"c1": [2, 1, 0, 1]}


def test_gap_to_a_job_profile_target_counts_learners_below_it():
    grid_now = np.array([[1], [3], [4]], dtype=np.int8)
    targets = pd.DataFrame({"competence_id": [7], "level": [3]})
    assert figures.gaps(grid_now, pd.Index([7]), targets) == [
        {"competence_id": 7, "target": 3, "below": 1, "mean_gap": 0.67}
    ]


@pytest.mark.django_db
def test_snapshot_has_groups_per_population_and_job_profile(commune, frameworks):
    from competences.models import JobProfile

    profile = JobProfile.objects.create(name="Secrétaire de mairie", slug="secretaire")
    agent = make_user("agent1", commune, Membership.Role.AGENT)
    Membership.objects.filter(user=agent).update(job_profile=profile)
    make_user("elu1", commune, Membership.Role.ELECTED_OFFICIAL)
    Statement.objects.bulk_create([statement("outsider", v.EXPERIENCED.id, collectivity=commune)])
    services.process_new_statements()
    groups = services.rebuild_snapshot(commune.pk).data["groups"]
    assert sorted(groups) == sorted(
        [
            "all|all|all",
            "agent|all|all",
            "elected_official|all|all",
            "public|all|all",
            f"all|{profile.pk}|all",
            f"agent|{profile.pk}|all",
        ]
    )
