"""What the HR dashboards reveal about small groups.

Figures over a period hidden on the distinct people behind them, complementary hiding beside a known total,
filters that are never computed refused, the course and period filters applied where they say they are.
"""

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from html import unescape

import numpy as np
import pandas as pd
import pytest
from django.utils import timezone, translation

from competences.models import Competence, JobProfile
from lms.analytics import figures, services
from lms.dashboards import panels
from lms.dashboards.filters import DashboardFilters
from lms.models import CollectivitySnapshot, Membership, Statement
from lms.services.organisations import learner_for
from lms.xapi import vocabulary as v
from tests.conftest import PASSWORD, make_user
from tests.lms.analytics.helpers import statement, write_snapshot

MONTHS = [pd.Period(f"2026-{month:02d}", "M") for month in range(1, 13)]


def _fr(message):
    with translation.override("fr"):
        return translation.gettext(message)


def _url(panel):
    return f"/admin/tremplin/dashboards/{panel}/"


def _completions(actor, months):
    return pd.DataFrame(
        {
            "actor_name": [actor] * len(months),
            "verb": [v.COMPLETED.id] * len(months),
            "course": ["c1"] * len(months),
            "timestamp": [datetime(2026, month, 10, tzinfo=UTC) for month in months],
        }
    )


# Figures over a period count distinct people.


def test_one_person_completing_courses_in_five_months_is_one_completer_over_the_period():
    frame = figures.prepare_activity(_completions("a", [4, 6, 8, 10, 12]), pd.DataFrame(), MONTHS)
    assert figures.period_completers(frame, 12) == {"3": 1, "6": 1, "12": 1}


def test_the_funnel_of_a_period_leaves_out_what_happened_before_it():
    frame = figures.prepare_activity(_completions("a", [4]), pd.DataFrame(), MONTHS)
    assert (figures.period_funnels(frame, 12), figures.funnel(frame)) == (
        {"3": {}, "6": {}},
        {"c1": [0, 0, 0, 1]},
    )


@pytest.fixture
def members(commune, catalogue):
    """Five agents of Valmont and a one-hour course; returns ``(users, course id, course title)``."""
    from courses.models import CoursePage
    from courses.services import course_ref

    users = [make_user(f"agent{n}", commune, Membership.Role.AGENT) for n in range(5)]
    page = CoursePage.objects.first()
    CoursePage.objects.filter(pk=page.pk).update(duration_minutes=60)
    return users, course_ref(page).id, page.title


@pytest.fixture
def hr(client, hr_manager):
    assert client.login(username=hr_manager.username, password=PASSWORD)
    return client


def _complete(user, course, collectivity, *days_ago):
    actor = str(learner_for(user).actor_name)
    now = timezone.now()
    Statement.objects.bulk_create(
        [
            statement(
                actor,
                v.COMPLETED.id,
                when=now - timedelta(days=days),
                collectivity=collectivity,
                object_id=course,
            )
            for days in days_ago
        ]
    )
    services.process_new_statements()
    services.rebuild_snapshot(collectivity.pk)


def _key_figure(page, label):
    match = re.search(rf"<dt>{re.escape(label)}</dt>\s*<dd>([^\n]*)", page)
    return unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


@pytest.mark.django_db
def test_hours_of_one_person_completing_in_five_months_are_hidden_on_the_page(hr, commune, members):
    users, course, _title = members
    _complete(users[0], course, commune, 0, 31, 62, 93, 124)
    page = hr.get(_url("overview")).content.decode()
    assert _key_figure(page, _fr("Hours of training in the period")) == "< 5"


@pytest.mark.django_db
def test_hours_of_one_person_completing_in_five_months_are_hidden_in_the_export(hr, commune, members):
    users, course, _title = members
    _complete(users[0], course, commune, 0, 31, 62, 93, 124)
    response = hr.get(_url("overview"), {"export": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert [row[1] for row in rows if row and row[0] == _fr("Hours of training in the period")] == ["< 5"]


# Complementary hiding.


def _possible_values(shown, counts):
    """What a reader can tell of a hidden cell of a row from its total: the values it may hold.

    With k hidden cells adding up to S (the total minus the cells shown), each at least L (1, or 0 when a zero
    cell is among them), a cell may be v when the k - 1 others can make S - v.
    """
    hidden = [n for n, value in zip(counts, shown, strict=True) if not isinstance(value, int)]
    rest, k, least = sum(hidden), len(hidden), 0 if 0 in hidden else 1
    return [v for v in range(least, rest + 1) if (rest - v >= (k - 1) * least if k > 1 else v == rest)]


def test_every_hidden_cell_of_a_row_has_at_least_two_possible_values_given_the_groups_size():
    rng = np.random.default_rng(7)
    minimum, failures, checked = 5, [], 0
    for _ in range(5000):
        counts = rng.choice([0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 9, 22], size=9).tolist()
        if sum(counts) < minimum or counts == [1] * 9:  # nine people at nine levels: nothing can hide them
            continue
        shown = panels.suppress(counts, minimum)
        if any(not isinstance(value, int) for value in shown):
            checked += 1
            if len(_possible_values(shown, counts)) < 2:
                failures.append((counts, shown))
    assert (failures, checked > 1000) == ([], True)


@pytest.mark.parametrize(
    "counts",
    [[20, 1, 5, 10, 0, 0, 0, 0, 0], [20, 4, 4, 10, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 0, 20, 0, 0]],
)
def test_hidden_cells_of_a_row_cannot_be_told_apart_nor_worked_out_from_the_total(counts):
    with translation.override("en"):
        shown = panels.suppress(counts, 5)
    hidden = {str(value) for value in shown if not isinstance(value, int)}
    rest = sum(counts) - sum(value for value in shown if isinstance(value, int))
    assert (hidden, rest > sum(1 for value in shown if not isinstance(value, int))) == ({"hidden"}, True)


def test_complementary_hiding_hides_the_smallest_other_count_with_the_same_label_as_the_small_group():
    with translation.override("en"):
        shown = panels.suppress([0, 0, 3, 0, 0, 0, 0, 0, 22], 5)
    assert shown == [0, 0, "hidden", 0, 0, 0, 0, 0, "hidden"]


def _group(size, *, competences, areas, levels=None, gaps=None):
    group = {
        "size": size,
        "monthly": {key: [0] * 12 for key in ("active", "completions", "completers", "progressed")}
        | {"hours": [0.0] * 12},
        "progressed": {"3": 0, "6": 0, "12": 0},
        "completers": {"3": 0, "6": 0, "12": 0},
        "levels": [[list((levels or {}).get(c, [size] + [0] * 8))] * 12 for c in competences],
        "mean": [[None] * 12 for _ in competences],
        "assessed": [[0] * 12 for _ in competences],
        "domains": [[[size] + [0] * 8] * 12 for _ in areas],
        "declared": [[0] * 9 for _ in competences],
        "funnel": {},
        "funnel_periods": {"3": {}, "6": {}},
    }
    if gaps is not None:
        group["gaps"] = gaps
    return group


@pytest.fixture
def written(frameworks, commune, settings):
    """A snapshot of Valmont in the documented format (docs/analytics.md § 4): 25 people, a job profile."""
    settings.LMS_MIN_GROUP_SIZE = 5
    first, second = Competence.objects.filter(framework__slug="crcn").order_by("pk")[:2]
    shape = {"competences": [first.pk, second.pk], "areas": [first.area_id]}
    profile = JobProfile.objects.create(name="Secrétaire de mairie", slug="secretaire-de-mairie")
    gaps = [{"competence_id": first.pk, "target": 3, "below": 6, "mean_gap": 1.5}]
    level_counts = {first.pk: [22, 0, 0, 3, 0, 0, 0, 0, 0]}  # « 0 0 < 5 0 0 0 0 0 22 » with a size of 25
    write_snapshot(
        commune,
        months=MONTHS,
        competences=shape["competences"],
        areas=shape["areas"],
        job_profiles=[profile.pk],
        groups={
            "all|all|all": _group(25, levels=level_counts, **shape),
            "agent|all|all": _group(19, **shape),
            "elected_official|all|all": _group(6, **shape),
            "public|all|all": _group(0, **shape),
            f"all|{profile.pk}|all": _group(8, gaps=gaps, **shape),
            f"agent|{profile.pk}|all": _group(8, gaps=gaps, **shape),
        },
    )
    return {"competence": first, "job_profile": profile}


def _row(page, competence):
    start = page.index('<th scope="row">', page.index(f"{competence.code} {competence.title}") - 40)
    row = page[start : page.index("</tr>", start)]
    return [re.sub(r"<[^>]+>", "", cell.split("</td>")[0]) for cell in row.split("<td>")[1:]]


@pytest.mark.django_db
def test_a_hidden_level_count_cannot_be_recovered_from_the_group_size(hr, written):
    cells = _row(unescape(hr.get(_url("levels")).content.decode()), written["competence"])
    assert cells == ["0", "0", _fr("hidden"), "0", "0", "0", "0", "0", _fr("hidden")]


@pytest.mark.django_db
def test_the_levels_page_says_what_hidden_cells_are(hr, written):
    note = _fr(
        "“hidden”: figures hidden together, small groups and others alike, so that none can be worked out "
        "from a total the page shows."
    )
    assert note in unescape(hr.get(_url("levels")).content.decode())


# Filters that are never computed.


@pytest.mark.django_db
@pytest.mark.parametrize("population", ["elected_official", "public"])
def test_a_job_profile_with_elected_officials_or_the_public_is_refused_with_a_clear_error(
    hr, written, population
):
    response = hr.get(_url("overview"), {"population": population, "job_profile": written["job_profile"].pk})
    page = unescape(response.content.decode())
    error = _fr(
        "Figures per job profile cover everyone or agents only: choose one of them, or “All job profiles”."
    )
    assert (response.status_code, error in page, _fr("Key figures") in page) == (400, True, False)


@pytest.mark.django_db
def test_a_job_profile_with_agents_is_shown(hr, written):
    response = hr.get(_url("overview"), {"population": "agent", "job_profile": written["job_profile"].pk})
    assert response.status_code == 200


# The course filter applies to the funnel only.


def _filters(data, panel):
    return DashboardFilters(
        data, panel=panel, collectivities=[], job_profiles=[], courses=[("http://c/1", "Bases")]
    )


def test_the_course_filter_is_not_applied_nor_offered_on_a_panel_it_does_not_affect():
    form = _filters({"course": "http://c/1"}, "levels")
    shown = (form.is_valid(), form.value("course", "all"), form.fields["course"].disabled)
    assert shown == (True, "all", True)


def test_the_course_filter_applies_to_the_funnel():
    form = _filters({"course": "http://c/1"}, "funnel")
    assert (form.is_valid(), form.value("course", "all"), form.fields["course"].disabled) == (
        True,
        "http://c/1",
        False,
    )


@pytest.mark.django_db
def test_a_page_the_course_filter_does_not_affect_says_so_beside_the_disabled_field(hr, written):
    page = unescape(hr.get(_url("growth"), {"course": "http://c/1"}).content.decode())
    select = re.search(r"<select[^>]*name=\"course\"[^>]*>", page).group(0)
    note = _fr("The course filter applies to the “%(panel)s” page only.")
    note %= {"panel": _fr("Course completion")}
    assert ("disabled" in select, note in page) == (True, True)


# The period filter applies to the funnel and the elected officials' tracks.


def _section(page, slug):
    start = page.index(f'id="{slug}-heading"')
    return page[start : page.index("</section>", start)]


@pytest.mark.django_db
@pytest.mark.parametrize(("panel", "slug"), [("funnel", "funnel"), ("elected", "elected-courses")])
def test_a_course_completed_eight_months_ago_is_in_the_funnel_of_twelve_months_not_of_three(
    hr, commune, members, panel, slug
):
    users, course, title = members
    Membership.objects.filter(user__in=users).update(role=Membership.Role.ELECTED_OFFICIAL)
    _complete(users[0], course, commune, 240)
    shown = [
        title in _section(unescape(hr.get(_url(panel), {"period": period}).content.decode()), slug)
        for period in ("3", "12")
    ]
    assert shown == [False, True]


@pytest.mark.django_db
def test_gaps_shown_for_elected_officials_say_they_cover_everyone(hr, written):
    page = unescape(hr.get(_url("gaps"), {"population": "elected_official"}).content.decode())
    title = _fr(
        "Gaps to the targets of “%(profile)s”, for everyone: gaps are not computed for elected officials or "
        "the public alone"
    ) % {"profile": "Secrétaire de mairie"}
    assert title in page


# Figures beside hidden cells: a mean level, and the list of people behind a cell.


@pytest.fixture
def mean_beside_hidden_cells(written, commune):
    """Competence 1: 15 people without a level, 7 at level 2, 3 at level 3, and their mean 2.3 over 10.

    The 3 are hidden, the 7 beside them; with the mean, 2a + 3b = 23 and a + b = 10 would give them back.
    """
    snapshot = CollectivitySnapshot.objects.get(collectivity=commune)
    data = snapshot.data
    group = data["groups"]["all|all|all"]
    group["levels"][0] = [[15, 0, 7, 3, 0, 0, 0, 0, 0]] * 12
    group["mean"][0] = [2.3] * 12
    group["assessed"][0] = [10] * 12
    snapshot.data = data
    snapshot.save()
    return written["competence"]


def _export_rows(hr, panel, competence):
    response = hr.get(_url(panel), {"export": "csv"})
    rows = csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";")
    return [row for row in rows if row and row[0].endswith(f"{competence.code} {competence.title}")]


@pytest.mark.django_db
def test_the_mean_level_of_a_row_with_hidden_cells_is_hidden(hr, mean_beside_hidden_cells):
    levels, declared = _export_rows(hr, "levels", mean_beside_hidden_cells)
    assert levels[1:] == ["0", _fr("hidden"), _fr("hidden"), "0", "0", "0", "0", "0", "15"]
    assert declared[1] == "< 5"


@pytest.mark.django_db
def test_the_growth_of_a_row_with_hidden_cells_hides_the_month_of_the_levels_table(
    hr, mean_beside_hidden_cells
):
    (row,) = _export_rows(hr, "growth", mean_beside_hidden_cells)
    assert (row[-2], row[-1]) == ("2,3", "< 5")


@pytest.mark.django_db
def test_a_cell_hidden_beside_a_small_group_lists_no_one_from_a_hand_built_address(
    hr, commune, mean_beside_hidden_cells
):
    from lms.models import LearnerCompetenceLevel

    competence = mean_beside_hidden_cells
    for index in range(25):
        user = make_user(f"agent{index}", commune, Membership.Role.AGENT)
        level = 2 if index < 7 else 3 if index < 10 else 0
        if level:
            LearnerCompetenceLevel.objects.create(
                actor_name=str(learner_for(user).actor_name),
                competence=competence,
                level=level,
                reached_at=timezone.now(),
            )
    page = hr.get(
        "/admin/tremplin/dashboards/learners/",
        {"competence": competence.pk, "level": 2, "collectivity": commune.slug},
    ).content.decode()
    assert "agent0" not in page and "agent6" not in page


# Filters a page does not depend on.


@pytest.mark.django_db
def test_the_elected_officials_page_lists_the_filters_it_applies_not_the_ones_asked(hr, written):
    response = hr.get(_url("elected"), {"population": "agent", "export": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    population = [row[1] for row in rows if row and row[0] == _fr("Population")]
    assert (response.status_code, population) == (200, [_fr("Elected officials")])


@pytest.mark.django_db
def test_the_elected_officials_page_says_it_does_not_depend_on_population_service_or_profile(hr, written):
    page = unescape(hr.get(_url("elected")).content.decode())
    assert _fr("This page covers all the collectivity's elected officials.") in page
    assert _fr("The figures of this page are not computed per service or job profile.") in page


@pytest.mark.django_db
@pytest.mark.parametrize("panel", ["levels", "growth", "gaps"])
def test_level_pages_say_levels_are_not_computed_for_the_public(hr, written, panel):
    page = unescape(hr.get(_url(panel), {"population": "public"}).content.decode())
    message = _fr(
        "Levels are not computed for the public: people outside the collectivity are counted anonymously, "
        "by their activity only (see the overview and course completion)."
    )
    assert message in page and _fr("Learners per validated level") not in page


# Figures that add up hidden cells: learners below a target, a period's total.


def _set_group(commune, key, **values):
    snapshot = CollectivitySnapshot.objects.get(collectivity=commune)
    data = snapshot.data
    data["groups"][key].update(values)
    snapshot.data = data
    snapshot.save()


@pytest.mark.django_db
def test_learners_below_a_target_are_hidden_when_they_would_give_hidden_level_cells_back(
    hr, commune, written
):
    # 10 without a level, 2 at level 1 (hidden), 6 at level 2 (hidden beside them), 7 at level 3: « below 2 »
    # = 12 would give 10 + L1, so L1 = 2 and L2 = 6.
    competence, profile = written["competence"], written["job_profile"]
    _set_group(
        commune,
        f"all|{profile.pk}|all",
        size=25,
        levels=[[[10, 2, 6, 7, 0, 0, 0, 0, 0]] * 12, [[25] + [0] * 8] * 12],
        gaps=[{"competence_id": competence.pk, "target": 2, "below": 12, "mean_gap": 1.83}],
    )
    (row,) = _export_rows(hr, "gaps", competence)
    assert row[1:4] == ["2", _fr("hidden"), _fr("hidden")]


@pytest.mark.django_db
def test_the_mean_gap_of_a_small_group_below_the_target_is_hidden(hr, commune, written):
    competence, profile = written["competence"], written["job_profile"]
    _set_group(
        commune,
        f"all|{profile.pk}|all",
        levels=[[[8, 0, 0, 0, 0, 0, 0, 0, 0]] * 12, [[8] + [0] * 8] * 12],
        gaps=[{"competence_id": competence.pk, "target": 3, "below": 3, "mean_gap": 2.5}],
    )
    (row,) = _export_rows(hr, "gaps", competence)
    assert row[2:4] == ["< 5", "< 5"]


def _monthly(group, **series):
    group["monthly"] = {**group["monthly"], **series}
    return group


@pytest.mark.django_db
def test_the_hours_of_the_period_are_hidden_when_they_would_give_one_hidden_month_back(hr, commune, written):
    completers = [6] * 12
    completers[5] = 2  # one month of two people: its hours are hidden, the total would give them back
    snapshot = CollectivitySnapshot.objects.get(collectivity=commune)
    group = snapshot.data["groups"]["all|all|all"]
    _set_group(
        commune,
        "all|all|all",
        monthly=_monthly(group, completers=completers, hours=[10.0] * 5 + [3.0] + [10.0] * 6)["monthly"],
        completers={"3": 6, "6": 10, "12": 30},
    )
    page = unescape(hr.get(_url("overview")).content.decode())
    assert _key_figure(page, _fr("Hours of training in the period")) == _fr("hidden")


@pytest.mark.django_db
def test_the_hours_of_the_period_are_shown_when_no_month_is_hidden(hr, commune, written):
    snapshot = CollectivitySnapshot.objects.get(collectivity=commune)
    group = snapshot.data["groups"]["all|all|all"]
    _set_group(
        commune,
        "all|all|all",
        monthly=_monthly(group, completers=[6] * 12, hours=[10.0] * 12)["monthly"],
        completers={"3": 6, "6": 10, "12": 30},
    )
    page = unescape(hr.get(_url("overview")).content.decode())
    assert _key_figure(page, _fr("Hours of training in the period")) == "120,0"


# A group is not shown when its parent group minus itself is a small group.


@pytest.mark.parametrize(
    ("key", "parents"),
    [
        ("all|all|all", []),
        ("agent|all|all", ["all|all|all"]),
        ("elected_official|all|all", ["all|all|all"]),
        ("public|all|all", []),
        ("all|7|all", ["all|all|all"]),
        ("agent|7|all", ["agent|all|all", "all|7|all"]),
        ("all|all|3", ["all|all|all"]),
        ("agent|all|3", ["agent|all|all", "all|all|3"]),
    ],
)
def test_a_group_is_compared_with_the_groups_it_is_a_part_of(key, parents):
    assert panels.parent_groups(key) == parents


def _told_by_difference():
    with translation.override("fr"):
        message = translation.ngettext(
            "Figures are hidden: the rest of a larger group this one is part of would have fewer than "
            "%(minimum)s person, whose figures could be worked out by subtraction.",
            "Figures are hidden: the rest of a larger group this one is part of would have fewer than "
            "%(minimum)s people, whose figures could be worked out by subtraction.",
            5,
        )
    return message % {"minimum": 5}


@pytest.mark.django_db
@pytest.mark.parametrize("panel", ["levels", "overview"])
def test_agents_are_hidden_when_everyone_minus_the_agents_is_a_small_group(hr, commune, written, panel):
    # 25 people: 21 agents and 4 elected officials. Everyone minus the agents would show the 4.
    _set_group(commune, "agent|all|all", size=21)
    _set_group(commune, "elected_official|all|all", size=4)
    page = unescape(hr.get(_url(panel), {"population": "agent"}).content.decode())
    assert (_told_by_difference() in page, '<table class="listing"' in page) == (True, False)


@pytest.mark.django_db
def test_the_elected_officials_page_is_hidden_when_everyone_minus_them_is_a_small_group(hr, commune, written):
    _set_group(commune, "agent|all|all", size=3)
    _set_group(commune, "elected_official|all|all", size=22)
    page = unescape(hr.get(_url("elected")).content.decode())
    assert (_told_by_difference() in page, '<table class="listing"' in page) == (True, False)


@pytest.mark.django_db
def test_the_agents_of_a_job_profile_are_hidden_when_everyone_of_it_minus_them_is_a_small_group(
    hr, commune, written
):
    profile = written["job_profile"]
    _set_group(commune, f"agent|{profile.pk}|all", size=6)  # beside 8 of the job profile: 2 others
    shown = [
        _told_by_difference() in unescape(hr.get(_url("levels"), query).content.decode())
        for query in ({"population": "agent", "job_profile": profile.pk}, {"job_profile": profile.pk})
    ]
    assert shown == [True, False]


@pytest.mark.django_db
def test_the_gaps_of_a_job_profile_told_by_difference_are_not_shown(hr, commune, written):
    profile = written["job_profile"]
    _set_group(commune, f"agent|{profile.pk}|all", size=6)
    page = unescape(hr.get(_url("gaps"), {"population": "agent"}).content.decode())
    assert _fr("Gaps to the targets of “%(profile)s”") % {"profile": "Secrétaire de mairie"} not in page


@pytest.mark.django_db
def test_the_drill_down_lists_no_one_in_a_group_told_by_difference(hr, commune, written):
    competence = written["competence"]
    for index in range(25):
        make_user(f"agent{index}", commune, Membership.Role.AGENT)
    _set_group(commune, "agent|all|all", size=21)
    _set_group(commune, "elected_official|all|all", size=4)
    page = hr.get(
        "/admin/tremplin/dashboards/learners/",
        {"competence": competence.pk, "level": 0, "population": "agent", "collectivity": commune.slug},
    ).content.decode()
    assert "agent0" not in page


@pytest.mark.django_db
def test_the_drill_down_reads_a_made_up_population_as_everyone_without_an_error(hr, commune, written):
    for index in range(6):
        make_user(f"agent{index}", commune, Membership.Role.AGENT)
    response = hr.get(
        "/admin/tremplin/dashboards/learners/",
        {
            "competence": written["competence"].pk,
            "level": 0,
            "population": "a|b",
            "collectivity": commune.slug,
        },
    )
    assert response.status_code == 200


# Lists of people: no list, nor a difference of lists, names the people of a small figure.

LEARNERS_URL = "/admin/tremplin/dashboards/learners/"


def _level(user, competence, level):
    from lms.models import EvidenceKind, LearnerCompetenceLevel

    LearnerCompetenceLevel.objects.create(
        actor_name=str(learner_for(user).actor_name),
        competence=competence,
        kind=EvidenceKind.VALIDATED,
        level=level,
        reached_at=timezone.now(),
    )


def _listed(hr, commune, competence, names, **filters):
    page = hr.get(
        LEARNERS_URL, {"competence": competence.pk, "level": 3, "collectivity": commune.slug, **filters}
    ).content.decode()
    return {name for name in names if f">{name}<" in page}


@pytest.mark.django_db
def test_everyones_list_minus_the_agents_list_does_not_name_a_hidden_elected_official(hr, commune, written):
    competence, names = written["competence"], []
    for index in range(10):
        user = make_user(f"agent{index}", commune, Membership.Role.AGENT)
        names.append(user.username)
        if index < 5:
            _level(user, competence, 3)
    for index in range(6):
        user = make_user(f"elu{index}", commune, Membership.Role.ELECTED_OFFICIAL)
        names.append(user.username)
        if index == 0:
            _level(user, competence, 3)
    everyone = _listed(hr, commune, competence, names)
    agents = _listed(hr, commune, competence, names, population="agent")
    elected = _listed(hr, commune, competence, names, population="elected_official")
    assert (elected, everyone - agents) == (set(), set())
    assert len(agents) == 5  # the agents' own list, of five, stays


@pytest.mark.django_db
def test_everyones_list_minus_the_other_job_profiles_does_not_name_a_small_one(hr, commune, written):
    """Everyone minus job profiles A and B would be job profile C, two people at that level."""
    competence, names = written["competence"], []
    profiles = [JobProfile.objects.create(name=f"Profil {p}", slug=f"profil-{p}") for p in "abc"]
    for profile, people, at_level in zip(profiles, (8, 9, 3), (5, 6, 2), strict=True):
        for index in range(people):
            user = make_user(f"{profile.slug}-{index}", commune, Membership.Role.AGENT)
            Membership.objects.filter(user=user).update(job_profile=profile)
            names.append(user.username)
            if index < at_level:
                _level(user, competence, 3)
    everyone = _listed(hr, commune, competence, names)
    a, b = (_listed(hr, commune, competence, names, job_profile=profile.pk) for profile in profiles[:2])
    assert not everyone - a - b


@pytest.mark.django_db
def test_a_list_for_a_job_profile_and_a_service_together_is_not_found(hr, commune, written):
    from lms.models import Service

    service = Service.objects.create(collectivity=commune, name="Accueil")
    response = hr.get(
        LEARNERS_URL,
        {
            "competence": written["competence"].pk,
            "level": 3,
            "collectivity": commune.slug,
            "job_profile": written["job_profile"].pk,
            "service": service.pk,
        },
    )
    assert response.status_code == 404


@pytest.mark.django_db
def test_a_gap_no_course_closes_says_so_on_the_page_and_in_the_export(hr, written):
    (row,) = _export_rows(hr, "gaps", written["competence"])
    assert row[4] == _fr("No course of the catalogue yet")
