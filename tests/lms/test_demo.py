"""The demo data command behind `make demo`."""

from datetime import UTC

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from courses.models import TrackPage
from lms.analytics import consolidation
from lms.models import (
    AggregateSharing,
    Collectivity,
    CollectivitySnapshot,
    Enrolment,
    Membership,
    Service,
    Statement,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo_output(django_db_setup, django_db_blocker):
    from io import StringIO

    from django.db import transaction

    # Loaded once for the module inside a transaction that is rolled back at the end.
    with django_db_blocker.unblock(), transaction.atomic():
        first, second = StringIO(), StringIO()
        call_command("lms_demo", stdout=first)
        counts = (
            Statement.objects.count(),
            Enrolment.objects.count(),
            Membership.objects.count(),
            Service.objects.count(),
            AggregateSharing.objects.count(),
            Collectivity.objects.count(),
        )
        call_command("lms_demo", stdout=second)
        yield first.getvalue(), second.getvalue(), counts
        transaction.set_rollback(True)


def test_demo_member_communes_share_their_figures_with_their_epci(demo_output):
    epci = Collectivity.objects.get(slug="cc-val-de-loire")
    assert set(consolidation.consenting_members(epci).values_list("slug", flat=True)) == {
        "valmont-sur-loire",
        "saint-aubin-les-pres",
    }


def test_demo_has_enough_similar_epcis_for_an_anonymous_benchmark(demo_output):
    epci = Collectivity.objects.get(slug="cc-val-de-loire")
    assert consolidation.similar_collectivities(epci).count() >= consolidation.MIN_BENCHMARK_PEERS


def test_demo_agents_of_two_services_or_more_hold_a_job_profile(demo_output):
    services = Membership.objects.filter(role=Membership.Role.AGENT, job_profile__isnull=False).values(
        "service"
    )
    assert services.distinct().count() >= 2


def _months_of_activity():
    """Learners active per calendar month (UTC), from the statement store."""
    active = {}
    for actor, timestamp in Statement.objects.values_list("actor_name", "timestamp"):
        active.setdefault(timestamp.astimezone(UTC).strftime("%Y-%m"), set()).add(actor)
    return {month: len(actors) for month, actors in sorted(active.items())}


def _last_months(count):
    now = timezone.now().astimezone(UTC)
    index = now.year * 12 + now.month - 1
    return [f"{(index - n) // 12}-{(index - n) % 12 + 1:02d}" for n in reversed(range(count))]


def test_demo_has_a_few_hundred_statements_in_each_of_the_last_twelve_months(demo_output):
    assert Statement.objects.count() >= 300
    assert list(_months_of_activity()) == _last_months(12)


def test_demo_activity_grows_over_the_year(demo_output):
    active = list(_months_of_activity().values())
    assert sum(active[-3:]) >= 2 * sum(active[:3])


def test_demo_agents_work_in_services_large_enough_to_show(demo_output):
    valmont = Collectivity.objects.get(slug="valmont-sur-loire")
    sizes = {
        service.name: service.memberships.filter(role=Membership.Role.AGENT).count()
        for service in valmont.services.all()
    }
    assert sizes == {"Accueil": 24, "État civil": 24, "Services techniques": 24}


def test_every_demo_collectivity_has_services(demo_output):
    assert not Collectivity.objects.filter(services__isnull=True).exists()


def test_demo_ships_the_numerique_track_with_courses(demo_output):
    track = TrackPage.objects.get(slug="numerique")
    assert track.courses().count() >= 2


def test_demo_computes_every_collectivity_dashboard(demo_output):
    assert CollectivitySnapshot.objects.count() == Collectivity.objects.count()


def test_second_demo_run_adds_nothing(demo_output):
    _, _, counts = demo_output
    assert (
        Statement.objects.count(),
        Enrolment.objects.count(),
        Membership.objects.count(),
        Service.objects.count(),
        AggregateSharing.objects.count(),
        Collectivity.objects.count(),
    ) == counts


def _figures(table):
    """The numbers a dashboard table shows (hidden values are ``None``, headers and course names text)."""
    return [
        value
        for row in table.rows
        for value in row[1:]
        if isinstance(value, int | float) and not isinstance(value, bool)
    ]


def _panels_without_figures(client, username, slug):
    """The dashboard panels of ``slug`` that ``username`` is offered but that show no figure in a table."""
    client.force_login(get_user_model().objects.get(username=username))
    query = f"?collectivity={slug}"
    offered = client.get("/admin/tremplin/dashboards/overview/" + query).context["panel_links"]
    empty = []
    for panel, _title, _url in offered:
        tables = client.get(f"/admin/tremplin/dashboards/{panel}/" + query).context["tables"]
        if not any(_figures(table) for table in tables):
            empty.append(panel)
    return empty


@pytest.mark.parametrize(
    "username, slug", [("rh.valmont", "valmont-sur-loire"), ("rh.ccvl", "cc-val-de-loire")]
)
def test_every_dashboard_panel_of_the_demo_shows_figures(demo_output, client, username, slug):
    assert _panels_without_figures(client, username, slug) == []


def test_demo_epci_sees_its_members_added_up_and_the_benchmark(demo_output, client):
    client.force_login(get_user_model().objects.get(username="rh.ccvl"))
    tables = client.get("/admin/tremplin/dashboards/consolidated/?collectivity=cc-val-de-loire").context[
        "tables"
    ]
    assert [table.slug for table in tables if _figures(table)] == ["members", "benchmark"]


def test_demo_prints_the_accounts_and_their_password(demo_output):
    first, _, _ = demo_output
    assert "tremplin-demo-2026" in first and "rh.valmont" in first and "agent.valmont" in first


def test_the_demo_communes_hr_sees_the_activity_of_each_of_the_last_eight_months(demo_output, client):
    """Enough learners in Valmont-sur-Loire for its months to show: none of the last eight is hidden."""
    client.force_login(get_user_model().objects.get(username="rh.valmont"))
    url = "/admin/tremplin/dashboards/overview/?collectivity=valmont-sur-loire&period=12"
    tables = client.get(url).context["tables"]
    active = [row[1] for row in tables[0].rows][-8:]
    assert len(active) == 8 and all(isinstance(count, int) and count >= 5 for count in active), active
