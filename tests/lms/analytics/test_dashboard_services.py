"""HR dashboards per service: snapshots with service groups (docs/analytics.md §4), what an HR manager sees.

The snapshots are written here directly in the documented format, so these tests hold whatever computes them.
"""

import csv
import io
import re
from html import unescape

import pytest
from django.utils import translation
from django.utils.html import escape
from openpyxl import load_workbook

from competences.models import Competence, JobProfile
from lms.models import Membership, Service
from tests.conftest import PASSWORD, make_user
from tests.lms.analytics.helpers import write_snapshot

pytestmark = pytest.mark.django_db

MONTHS = [f"2026-{month:02d}" for month in range(1, 13)]
JOB_PROFILE_ERROR = (
    "Figures are not computed for a service and a job profile together: "
    "choose “All services” or “All job profiles”."
)
POPULATION_ERROR = "Figures per service cover everyone or agents only: choose one of them, or “All services”."
PANELS = ["overview", "growth", "levels", "gaps", "elected", "funnel"]


def _fr(message):
    """A message as the French admin shows it (escaped like the page)."""
    with translation.override("fr"):
        return escape(translation.gettext(message))


def _url(panel):
    return f"/admin/tremplin/dashboards/{panel}/"


def _group(size, active, *, competences, areas, level_counts=None):
    """A complete snapshot group: ``size`` people, ``active`` of them active every month."""
    months = len(MONTHS)
    counts = level_counts or {}
    levels = []
    for competence in competences:
        distribution = counts.get(competence, [size] + [0] * 8)
        levels.append([list(distribution) for _ in range(months)])
    return {
        "size": size,
        "monthly": {
            "active": [active] * months,
            "completions": [active] * months,
            "completers": [active] * months,
            "hours": [float(active)] * months,
            "progressed": [0] * months,
        },
        "progressed": {"3": 0, "6": 0, "12": 0},
        "levels": levels,
        "mean": [[None] * months for _ in competences],
        "assessed": [[0] * months for _ in competences],
        "domains": [[[size] + [0] * 8 for _ in range(months)] for _ in areas],
        "declared": [[0] * 9 for _ in competences],
        "funnel": {},
    }


@pytest.fixture
def setup(frameworks, commune, other_commune, hr_manager, settings):
    """Valmont: « Accueil » (6 agents, all active) and « État civil » (2 agents); Saint-Aubin: « Voirie »."""
    settings.LMS_MIN_GROUP_SIZE = 5
    accueil = Service.objects.create(collectivity=commune, name="Accueil")
    etat_civil = Service.objects.create(collectivity=commune, name="État civil")
    techniques = Service.objects.create(collectivity=commune, name="Services techniques")
    voirie = Service.objects.create(collectivity=other_commune, name="Voirie")
    job_profile = JobProfile.objects.create(name="Secrétaire de mairie", slug="secretaire-de-mairie")
    accueil_agents = [make_user(f"accueil{n}", commune, Membership.Role.AGENT) for n in range(6)]
    Membership.objects.filter(user__in=accueil_agents).update(service=accueil)
    others = [make_user(f"other{n}", commune, Membership.Role.AGENT) for n in range(6)]
    Membership.objects.filter(user__in=others[:2]).update(service=etat_civil)
    first, second = Competence.objects.filter(framework__slug="crcn").order_by("pk")[:2]
    competences, areas = [first.pk, second.pk], [first.area_id]
    shape = {"competences": competences, "areas": areas}
    accueil_levels = {second.pk: [3, 0, 3, 0, 0, 0, 0, 0, 0]}  # 3 and 3: both under the minimum
    groups = {
        "all|all|all": _group(12, 11, **shape),
        "agent|all|all": _group(12, 11, **shape),
        "elected_official|all|all": _group(0, 0, **shape),
        f"all|{job_profile.pk}|all": _group(7, 7, **shape),
        f"agent|{job_profile.pk}|all": _group(7, 7, **shape),
        f"all|all|{accueil.pk}": _group(6, 6, level_counts=accueil_levels, **shape),
        f"agent|all|{accueil.pk}": _group(6, 6, level_counts=accueil_levels, **shape),
        f"all|all|{etat_civil.pk}": _group(2, 2, **shape),
        f"agent|all|{etat_civil.pk}": _group(2, 2, **shape),
        # A foreign service's group slipped into this snapshot: it must never be reachable.
        f"all|all|{voirie.pk}": _group(9, 4321, **shape),
    }
    write_snapshot(
        commune,
        months=MONTHS,
        competences=competences,
        areas=areas,
        job_profiles=[job_profile.pk],
        services=[techniques.pk, accueil.pk, etat_civil.pk, voirie.pk],
        groups=groups,
        version=2,
    )
    return {
        "accueil": accueil,
        "etat_civil": etat_civil,
        "techniques": techniques,
        "voirie": voirie,
        "job_profile": job_profile,
        "accueil_agents": accueil_agents,
        "others": others,
        "competences": (first, second),
    }


@pytest.fixture
def hr(client, hr_manager):
    assert client.login(username=hr_manager.username, password=PASSWORD)
    return client


def _active_column(page):
    """The « Active learners » column of the activity-per-month table."""
    table = page[page.index('id="activity-heading"') :]
    body = table[table.index("<tbody>") : table.index("</tbody>")]
    rows = body.split("<tr><th")[1:]
    return [re.sub(r"<[^>]+>", "", row.split("<td>")[1].split("</td>")[0]) for row in rows]


def _service_options(page):
    select = page[page.index('name="service"') :]
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select[: select.index("</select>")])


def test_service_filter_offers_the_collectivitys_own_services_in_alphabetical_order(hr, setup):
    page = hr.get(_url("overview")).content.decode()
    assert _service_options(page) == [
        ("all", _fr("All services")),
        (str(setup["accueil"].pk), "Accueil"),
        (str(setup["etat_civil"].pk), "État civil"),
        (str(setup["techniques"].pk), "Services techniques"),
    ]


def test_a_chosen_service_shows_the_figures_of_its_members(hr, setup):
    page = hr.get(_url("overview"), {"service": setup["accueil"].pk}).content.decode()
    assert _active_column(page) == ["6"] * 12


def test_everyone_is_shown_without_a_service(hr, setup):
    page = hr.get(_url("overview"), {"service": "all"}).content.decode()
    assert _active_column(page) == ["11"] * 12


def test_a_service_smaller_than_the_minimum_is_hidden(hr, setup):
    page = hr.get(_url("overview"), {"service": setup["etat_civil"].pk}).content.decode()
    assert "Chiffres masqués" in page and 'id="activity-heading"' not in page


def test_small_counts_of_a_service_are_masked_in_cells(hr, setup):
    second = setup["competences"][1]
    page = hr.get(_url("levels"), {"service": setup["accueil"].pk}).content.decode()
    start = page.index(f'<th scope="row">CRCN {second.code} ')
    row = page[start : page.index("</tr>", start)]
    assert row.count("<td>masqué</td>") == 2 and "<td>3</td>" not in row


def test_another_collectivitys_service_is_refused_and_shows_none_of_its_figures(hr, setup):
    response = hr.get(_url("overview"), {"service": setup["voirie"].pk})
    page = response.content.decode()
    assert response.status_code == 400 and "4321" not in page and 'id="activity-heading"' not in page


def test_another_collectivitys_service_is_not_exported(hr, setup):
    response = hr.get(_url("overview"), {"service": setup["voirie"].pk, "export": "csv"})
    assert response.status_code == 400 and "attachment" not in response.get("Content-Disposition", "")


def test_a_service_with_a_job_profile_is_refused_with_a_clear_error(hr, setup):
    response = hr.get(
        _url("overview"), {"service": setup["accueil"].pk, "job_profile": setup["job_profile"].pk}
    )
    page = response.content.decode()
    assert response.status_code == 400 and _fr(JOB_PROFILE_ERROR) in page
    assert 'id="activity-heading"' not in page


@pytest.mark.parametrize("population", ["elected_official", "public"])
def test_a_service_with_elected_officials_or_the_public_is_refused(hr, setup, population):
    response = hr.get(_url("overview"), {"service": setup["accueil"].pk, "population": population})
    assert response.status_code == 400
    assert _fr(POPULATION_ERROR) in response.content.decode()


def test_agents_of_a_service_show_the_service_agents_group(hr, setup):
    page = hr.get(_url("overview"), {"service": setup["accueil"].pk, "population": "agent"}).content.decode()
    assert _active_column(page) == ["6"] * 12


def test_a_page_without_figures_per_service_says_it_shows_the_whole_collectivity(hr, setup):
    page = unescape(hr.get(_url("gaps"), {"service": setup["accueil"].pk}).content.decode())
    assert unescape(_fr("This page is not broken down by service: it shows the whole collectivity.")) in page


def test_csv_export_carries_the_service_filter(hr, setup):
    response = hr.get(_url("overview"), {"service": setup["accueil"].pk, "export": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    activity = [row for row in rows if row and row[0] in MONTHS]
    assert [row[1] for row in activity] == ["6"] * 12


def test_xlsx_export_of_a_service_masks_small_counts(hr, setup):
    second = setup["competences"][1]
    response = hr.get(_url("levels"), {"service": setup["accueil"].pk, "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    row = next(r for r in rows if r[0] and r[0].startswith(f"CRCN {second.code} "))
    assert [row[2], row[9]] == ["masqué", "masqué"]


def _drill_link(page, competence):
    start = page.index(f'<th scope="row">CRCN {competence.code} ')
    row = page[start : page.index("</tr>", start)]
    return row.split('<a href="')[1].split('"')[0].replace("&amp;", "&")


def test_drill_down_from_a_service_lists_only_its_members(hr, setup):
    first = setup["competences"][0]
    page = hr.get(_url("levels"), {"service": setup["accueil"].pk}).content.decode()
    learners = hr.get(_drill_link(page, first)).content.decode()
    names = set(re.findall(r"<li>([^<]+)</li>", learners))
    assert names == {user.username for user in setup["accueil_agents"]}


def test_drill_down_leads_back_to_the_same_service(hr, setup):
    first = setup["competences"][0]
    page = hr.get(_url("levels"), {"service": setup["accueil"].pk}).content.decode()
    learners = hr.get(_drill_link(page, first)).content.decode()
    assert (
        f"{_url('levels')}?collectivity=valmont&amp;population=all&amp;job_profile=all&amp;service="
        in learners
    )


def test_drill_down_into_another_collectivitys_service_is_not_found(hr, setup, commune):
    first = setup["competences"][0]
    response = hr.get(
        "/admin/tremplin/dashboards/learners/",
        {"competence": first.pk, "level": 0, "collectivity": commune.slug, "service": setup["voirie"].pk},
    )
    assert response.status_code == 404


def test_hr_manager_of_another_collectivity_cannot_use_its_service(client, setup, other_hr_manager):
    assert client.login(username=other_hr_manager.username, password=PASSWORD)
    assert client.get(_url("overview"), {"service": setup["accueil"].pk}).status_code == 400


@pytest.mark.parametrize("panel", PANELS)
def test_each_panel_of_a_service_reads_its_snapshot_in_a_bounded_number_of_queries(
    hr, setup, django_assert_max_num_queries, panel
):
    hr.get(_url(panel), {"service": setup["accueil"].pk})
    # The same bound as without a service (test_dashboards.py): service names come with the job profiles'.
    with django_assert_max_num_queries(20):
        assert hr.get(_url(panel), {"service": setup["accueil"].pk}).status_code == 200


def _fr_text(message):
    with translation.override("fr"):
        return translation.gettext(message)


def test_csv_export_of_a_page_without_figures_per_service_says_so_first(hr, setup):
    response = hr.get(_url("gaps"), {"service": setup["accueil"].pk, "export": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    whole = _fr_text("This page is not broken down by service: it shows the whole collectivity.")
    assert rows[0] == [whole]
    assert rows[1][0].startswith(_fr_text("Figures computed on %(date)s.").split("%")[0])
    assert rows[2] == ["Les groupes de moins de 5 personnes sont masqués (« < 5 »)."]


def test_xlsx_export_ends_with_the_notes_of_the_page(hr, setup):
    response = hr.get(_url("gaps"), {"service": setup["accueil"].pk, "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[-1]
    notes = [row[0] for row in sheet.iter_rows(values_only=True)]
    assert sheet.title == "Notes"
    assert notes[0] == _fr_text("This page is not broken down by service: it shows the whole collectivity.")


def test_export_of_the_whole_collectivity_has_no_service_note(hr, setup):
    response = hr.get(_url("gaps"), {"export": "csv"})
    text = response.content.decode("utf-8-sig")
    assert _fr_text("This page is not broken down by service: it shows the whole collectivity.") not in text
    assert "Les groupes de moins de 5 personnes sont masqués" in text


def test_export_before_any_snapshot_says_the_figures_are_not_computed_yet(client, settings):
    from lms.models import Collectivity
    from tests.conftest import make_user

    fresh = Collectivity.objects.create(name="Nouvelle commune", slug="nouvelle", kind="commune")
    manager = make_user("rh.nouvelle", fresh, Membership.Role.HR_MANAGER)
    client.force_login(manager)
    response = client.get(_url("overview"), {"export": "csv"})
    text = response.content.decode("utf-8-sig")
    assert response.status_code == 200
    assert (
        _fr_text(
            "The figures of this collectivity have not been computed yet. They will appear after the "
            "next aggregation run."
        )
        in text
    )
