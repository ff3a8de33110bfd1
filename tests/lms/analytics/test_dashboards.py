"""HR dashboards: figures from snapshots, small groups hidden everywhere, scope, exports, query counts."""

import csv
import io

import pytest
from openpyxl import load_workbook

from lms.analytics import services
from lms.models import Collectivity, Membership
from tests.conftest import PASSWORD, make_user, right_answers

pytestmark = pytest.mark.django_db

LEVELS_URL = "/admin/tremplin/dashboards/levels/"
PANELS = ["overview", "growth", "levels", "gaps", "elected", "funnel"]


def _login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def passed(client, agent, quiz_lesson, django_capture_on_commit_callbacks):
    _login(client, agent)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(quiz_lesson.url, right_answers(quiz_lesson))
    client.logout()


def _level_row(page, code):
    start = page.index(f'<th scope="row">{code} ')
    return page[start : page.index("</tr>", start)]


def _cells(row):
    import re

    return [re.sub(r"<[^>]+>", "", cell.split("</td>")[0]) for cell in row.split("<td>")[1:]]


def test_hr_manager_sees_the_agent_at_the_level_the_quiz_validates(client, settings, passed, hr_manager):
    settings.LMS_MIN_GROUP_SIZE = 1
    page = _login(client, hr_manager).get(LEVELS_URL).content.decode()
    assert _cells(_level_row(page, "CRCN 4.2")) == ["0", "0", "1", "0", "0", "0", "0", "0", "0"]


@pytest.mark.parametrize("panel", PANELS)
def test_every_panel_renders_for_the_hr_manager(client, settings, passed, hr_manager, panel):
    settings.LMS_MIN_GROUP_SIZE = 1
    assert _login(client, hr_manager).get(f"/admin/tremplin/dashboards/{panel}/").status_code == 200


def test_each_chart_is_an_accessible_svg_beside_its_table(client, settings, passed, hr_manager):
    settings.LMS_MIN_GROUP_SIZE = 1
    page = _login(client, hr_manager).get("/admin/tremplin/dashboards/overview/").content.decode()
    assert page.count('<svg role="img" aria-labelledby=') == page.count('<table class="listing"') == 1


def test_small_groups_are_hidden(client, passed, hr_manager):
    page = _login(client, hr_manager).get(LEVELS_URL).content.decode()
    assert '<table class="listing"' not in page and '<svg role="img"' not in page


def test_counts_below_the_minimum_are_masked_in_cells(client, settings, commune, passed, hr_manager):
    settings.LMS_MIN_GROUP_SIZE = 3
    for number in range(3):
        make_user(f"agent{number}", commune, Membership.Role.AGENT)
    services.rebuild_snapshot(commune.pk)
    row = _level_row(_login(client, hr_manager).get(LEVELS_URL).content.decode(), "CRCN 4.2")
    assert "<td>masqué</td>" in row and ">1<" not in row


def test_exports_hide_small_groups_as_the_page_does(client, settings, commune, passed, hr_manager):
    settings.LMS_MIN_GROUP_SIZE = 3
    for number in range(3):
        make_user(f"agent{number}", commune, Membership.Role.AGENT)
    services.rebuild_snapshot(commune.pk)
    response = _login(client, hr_manager).get(LEVELS_URL, {"export": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    row = next(r for r in rows if r and r[0].startswith("CRCN 4.2 "))
    assert row[1:4] == ["0", "0", "masqué"]


def test_xlsx_export_has_the_displayed_table(client, settings, passed, hr_manager):
    settings.LMS_MIN_GROUP_SIZE = 1
    response = _login(client, hr_manager).get(LEVELS_URL, {"export": "xlsx"})
    workbook = load_workbook(io.BytesIO(response.content))
    values = [
        row
        for row in workbook.worksheets[0].iter_rows(values_only=True)
        if row[0] and row[0].startswith("CRCN 4.2 ")
    ]
    assert list(values[0][1:4]) == [0, 0, 1]


def test_an_unknown_filter_value_is_a_bad_request(client, settings, passed, hr_manager):
    settings.LMS_MIN_GROUP_SIZE = 1
    assert _login(client, hr_manager).get(LEVELS_URL, {"population": "martians"}).status_code == 400


def test_population_filter_shows_the_elected_officials_only(client, settings, commune, passed, hr_manager):
    settings.LMS_MIN_GROUP_SIZE = 1
    make_user("elu", commune, Membership.Role.ELECTED_OFFICIAL)
    services.rebuild_snapshot(commune.pk)
    page = _login(client, hr_manager).get(LEVELS_URL, {"population": "elected_official"}).content.decode()
    assert _cells(_level_row(page, "CRCN 4.2"))[2] == "0"


def test_hr_manager_of_another_collectivity_sees_nothing_of_it(
    client, settings, passed, other_hr_manager, commune
):
    settings.LMS_MIN_GROUP_SIZE = 1
    _login(client, other_hr_manager)
    assert client.get(LEVELS_URL, {"collectivity": commune.slug}).status_code == 404


def test_drill_down_lists_the_learners_behind_a_figure(client, settings, passed, hr_manager, agent, commune):
    settings.LMS_MIN_GROUP_SIZE = 1
    page = _login(client, hr_manager).get(LEVELS_URL).content.decode()
    link = _level_row(page, "CRCN 4.2").split('<a href="')[1].split('"')[0].replace("&amp;", "&")
    assert agent.username in client.get(link).content.decode()


def test_drill_down_is_recorded_through_the_audit_hook(client, settings, passed, hr_manager, commune):
    settings.LMS_MIN_GROUP_SIZE = 1
    calls = []
    settings.LMS_DRILLDOWN_AUDIT = "tests.lms.analytics.test_dashboards.record_audit"
    RECORDED.clear()
    competence = services._competences_frame()["competence_id"].iloc[0]
    _login(client, hr_manager).get(
        "/admin/tremplin/dashboards/learners/",
        {"competence": competence, "level": 0, "collectivity": commune.slug},
    )
    assert [commune.pk] == RECORDED and calls == []


RECORDED = []


def record_audit(request, collectivity, description, actor_names):
    RECORDED.append(collectivity.pk)


def test_drill_down_into_another_collectivity_is_not_found(client, passed, other_hr_manager, commune):
    _login(client, other_hr_manager)
    response = client.get(
        "/admin/tremplin/dashboards/learners/", {"competence": 1, "level": 0, "collectivity": commune.slug}
    )
    assert response.status_code == 404


def test_agents_cannot_open_the_dashboard(client, agent):
    _login(client, agent)
    assert client.get(LEVELS_URL).status_code in (302, 403)


def test_dashboard_menu_item_is_shown_to_hr_managers(client, hr_manager):
    _login(client, hr_manager)
    assert "/admin/tremplin/dashboards/overview/" in client.get("/admin/").content.decode()


def test_rules_page_explains_the_evidence_rules(client, hr_manager):
    from lms.analytics.rules import RULES

    page = _login(client, hr_manager).get("/admin/tremplin/rules/").content.decode()
    assert all(str(rule.title) in page.replace("&#x27;", "'") for rule in RULES)


@pytest.mark.parametrize("panel", PANELS)
def test_each_panel_reads_its_snapshot_in_a_bounded_number_of_queries(
    client, settings, passed, hr_manager, django_assert_max_num_queries, panel
):
    settings.LMS_MIN_GROUP_SIZE = 1
    _login(client, hr_manager)
    client.get(f"/admin/tremplin/dashboards/{panel}/")
    # Session, user, permissions and the admin menu (one query per Tremplin menu) come with every admin page.
    with django_assert_max_num_queries(20):
        assert client.get(f"/admin/tremplin/dashboards/{panel}/").status_code == 200


def test_the_heat_map_does_not_draw_hidden_counts(client, settings, commune, passed, hr_manager):
    settings.LMS_MIN_GROUP_SIZE = 3
    for number in range(3):
        make_user(f"agent{number}", commune, Membership.Role.AGENT)
    services.rebuild_snapshot(commune.pk)
    page = _login(client, hr_manager).get(LEVELS_URL).content.decode()
    assert 'stroke-dasharray="2 2"' in page and ">25%<" not in page


def test_epci_sees_a_benchmark_against_similar_collectivities_only_with_enough_peers(
    client, settings, frameworks
):
    settings.LMS_MIN_GROUP_SIZE = 1
    epci = Collectivity.objects.create(name="CC du Val", slug="cc-val", kind="epci", population=20000)
    for number in range(3):
        peer = Collectivity.objects.create(
            name=f"CC {number}", slug=f"cc-{number}", kind="epci", population=30000
        )
        make_user(f"peer-agent{number}", peer, Membership.Role.AGENT)
    manager = make_user("rh.cc", epci, Membership.Role.HR_MANAGER)
    make_user("cc-agent", epci, Membership.Role.AGENT)
    for collectivity in Collectivity.objects.all():
        services.rebuild_snapshot(collectivity.pk)
    page = _login(client, manager).get("/admin/tremplin/dashboards/consolidated/").content.decode()
    assert "benchmark-heading" in page and "CC 0" not in page


def test_drill_down_hides_a_list_smaller_than_the_minimum(
    client, settings, passed, hr_manager, agent, commune
):
    settings.LMS_MIN_GROUP_SIZE = 2
    from competences.models import Competence

    competence = Competence.objects.get(framework__slug="crcn", code="4.2")
    page = _login(client, hr_manager).get(
        "/admin/tremplin/dashboards/learners/",
        {"competence": competence.pk, "level": 3, "collectivity": commune.slug},
    )
    assert agent.username not in page.content.decode()


def test_a_platform_administrator_without_membership_cannot_drill_down(client, admin_user, passed, commune):
    client.force_login(admin_user)
    response = client.get(
        "/admin/tremplin/dashboards/learners/", {"competence": 1, "level": 0, "collectivity": commune.slug}
    )
    assert response.status_code in (302, 403)


@pytest.mark.parametrize("query", [{}, {"collectivity": "valmont"}, {"period": ""}])
def test_without_a_chosen_period_the_form_says_the_figures_cover_the_whole_window(
    client, settings, passed, hr_manager, query
):
    settings.LMS_MIN_GROUP_SIZE = 1
    response = _login(client, hr_manager).get("/admin/tremplin/dashboards/overview/", query)
    selected = response.context["filters"]["period"].value()
    months = [row[0] for row in response.context["tables"][0].rows]
    assert (response.status_code, selected, len(months)) == (200, "12", 12)


def test_a_window_longer_than_a_year_is_offered_as_a_period(client, settings, passed, hr_manager):
    settings.LMS_MIN_GROUP_SIZE = 1
    settings.LMS_DASHBOARD_MONTHS = 24
    response = _login(client, hr_manager).get("/admin/tremplin/dashboards/overview/")
    choices = [value for value, _label in response.context["filters"].fields["period"].choices]
    assert (choices, response.context["filters"]["period"].value()) == (["3", "6", "12", "24"], "24")


def test_the_admin_home_lists_the_hr_managers_collectivity_with_its_learners(
    client, settings, passed, hr_manager, other_hr_manager
):
    settings.LMS_MIN_GROUP_SIZE = 1
    page = _login(client, hr_manager).get("/admin/").content.decode()
    link = '<a href="/admin/tremplin/dashboards/overview/?collectivity=valmont">Commune de Valmont</a>'
    assert link in page
    assert "Saint-Aubin" not in page


def test_the_admin_home_hides_a_number_of_learners_below_the_minimum(client, settings, passed, hr_manager):
    settings.LMS_MIN_GROUP_SIZE = 5
    from lms.dashboards.home import CollectivitiesPanel

    (row,) = CollectivitiesPanel(hr_manager).get_context_data({})["collectivities"]
    assert (row["name"], row["learners"]) == ("Commune de Valmont", None)


def test_the_admin_home_panel_reads_every_collectivity_in_one_query(
    settings, passed, admin_user, django_assert_num_queries
):
    settings.LMS_MIN_GROUP_SIZE = 1
    from lms.dashboards.home import CollectivitiesPanel

    for index in range(12):
        Collectivity.objects.create(name=f"Commune {index:02d}", slug=f"commune-{index}", kind="commune")
    with django_assert_num_queries(1):
        context = CollectivitiesPanel(admin_user).get_context_data({})
    assert (len(context["collectivities"]), context["more"]) == (10, True)


def test_an_agent_sees_no_collectivities_panel(client, agent):
    from lms.dashboards.home import CollectivitiesPanel
    from lms.wagtail_hooks import add_collectivities_panel

    panels = []
    request = type("Request", (), {"user": agent})()
    add_collectivities_panel(request, panels)
    assert not any(isinstance(panel, CollectivitiesPanel) for panel in panels)


@pytest.mark.parametrize(
    "url, title",
    [
        ("/admin/tremplin/dashboards/levels/", "Levels per competence"),
        ("/admin/tremplin/rules/", "How levels are computed"),
        ("/admin/tremplin/import-pix/", "Import Pix results"),
        ("/admin/tremplin/import/", "Import agents"),
    ],
)
def test_the_admin_header_shows_the_page_title_not_home(client, settings, passed, hr_manager, url, title):
    """Wagtail's header shows the last breadcrumb; without the page's own it read « Accueil »."""
    settings.LMS_MIN_GROUP_SIZE = 1
    from django.utils import translation

    response = _login(client, hr_manager).get(url)
    labels = [str(item["label"]) for item in response.context["breadcrumbs_items"]]
    with translation.override("fr"):
        assert (labels[0], labels[-1]) == (translation.gettext("Home"), translation.gettext(title))
