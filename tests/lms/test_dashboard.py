"""Steps 4 and 5: the HR manager's « Compétences » dashboard and the isolation between collectivities."""

import pytest

from lms.models import Membership
from tests.conftest import PASSWORD, make_user, right_answers

pytestmark = pytest.mark.django_db

URL = "/admin/tremplin/competences/"


def _login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _pass_quiz(client, agent, lesson, capture):
    _login(client, agent)
    with capture(execute=True):
        client.post(lesson.url, right_answers(lesson))
    client.logout()


def _level_row(page, code):
    start = page.index(f'<th scope="row">{code} ')
    return page[start : page.index("</tr>", start)]


def test_hr_manager_sees_the_agent_at_the_level_the_quiz_validates(
    client, settings, agent, hr_manager, quiz_lesson, django_capture_on_commit_callbacks
):
    settings.LMS_MIN_GROUP_SIZE = 1
    _pass_quiz(client, agent, quiz_lesson, django_capture_on_commit_callbacks)
    page = _login(client, hr_manager).get(URL).content.decode()
    cells = _level_row(page, "4.2").split("<td>")[1:]
    assert [cell.split("</td>")[0] for cell in cells] == ["0", "0", "1", "0", "0", "0", "0", "0", "0"]


def test_dashboard_shows_its_figures_as_a_chart_and_a_table(
    client, settings, agent, hr_manager, quiz_lesson, django_capture_on_commit_callbacks
):
    settings.LMS_MIN_GROUP_SIZE = 1
    _pass_quiz(client, agent, quiz_lesson, django_capture_on_commit_callbacks)
    page = _login(client, hr_manager).get(URL).content.decode()
    assert (
        '<svg role="img"' in page and 'aria-labelledby="table-title"' in page and "Commune de Valmont" in page
    )


def test_small_groups_are_hidden(client, agent, hr_manager, quiz_lesson, django_capture_on_commit_callbacks):
    _pass_quiz(client, agent, quiz_lesson, django_capture_on_commit_callbacks)
    page = _login(client, hr_manager).get(URL).content.decode()
    assert 'aria-labelledby="table-title"' not in page and '<svg role="img"' not in page


def test_counts_below_the_minimum_are_masked_in_cells(
    client, settings, commune, agent, hr_manager, quiz_lesson, django_capture_on_commit_callbacks
):
    settings.LMS_MIN_GROUP_SIZE = 3
    for number in range(3):
        make_user(f"agent{number}", commune, Membership.Role.AGENT)
    _pass_quiz(client, agent, quiz_lesson, django_capture_on_commit_callbacks)
    row = _level_row(_login(client, hr_manager).get(URL).content.decode(), "4.2")
    assert "<td>&lt; 3</td>" in row and "<td>1</td>" not in row


def test_hr_manager_of_another_collectivity_sees_nothing_of_it(
    client, settings, agent, other_hr_manager, commune, quiz_lesson, django_capture_on_commit_callbacks
):
    settings.LMS_MIN_GROUP_SIZE = 1
    _pass_quiz(client, agent, quiz_lesson, django_capture_on_commit_callbacks)
    _login(client, other_hr_manager)
    assert client.get(URL, {"collectivity": commune.slug}).status_code == 404
    own = client.get(URL).content.decode()
    assert "Commune de Valmont" not in own
    assert "<td>1</td>" not in own


def test_agents_cannot_open_the_dashboard(client, agent):
    _login(client, agent)
    assert client.get(URL).status_code in (302, 403)


def test_dashboard_menu_item_is_shown_to_hr_managers_only(client, hr_manager, agent):
    _login(client, hr_manager)
    assert URL in client.get("/admin/").content.decode()


def test_dashboard_reads_a_snapshot_in_a_bounded_number_of_queries(
    client,
    settings,
    agent,
    hr_manager,
    quiz_lesson,
    django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):
    settings.LMS_MIN_GROUP_SIZE = 1
    _pass_quiz(client, agent, quiz_lesson, django_capture_on_commit_callbacks)
    _login(client, hr_manager)
    client.get(URL)
    with django_assert_max_num_queries(15):
        assert client.get(URL).status_code == 200


def test_the_chart_does_not_draw_hidden_counts(
    client, settings, commune, agent, hr_manager, quiz_lesson, django_capture_on_commit_callbacks
):
    from lms.dashboards.views import PALETTE

    settings.LMS_MIN_GROUP_SIZE = 3
    for number in range(3):
        make_user(f"agent{number}", commune, Membership.Role.AGENT)
    _pass_quiz(client, agent, quiz_lesson, django_capture_on_commit_callbacks)
    page = _login(client, hr_manager).get(URL).content.decode()
    assert f'fill="{PALETTE[2]}" stroke="#333" stroke-width' not in page
