"""The demo data command behind `make demo`."""

from datetime import UTC

import pytest
from django.core.management import call_command
from django.utils import timezone

from courses.models import TrackPage
from lms.models import Collectivity, CollectivitySnapshot, Enrolment, Membership, Service, Statement

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
        )
        call_command("lms_demo", stdout=second)
        yield first.getvalue(), second.getvalue(), counts
        transaction.set_rollback(True)


def test_demo_creates_an_epci_with_a_member_commune_and_another_commune(demo_output):
    epci = Collectivity.objects.get(kind="epci")
    assert epci.members.filter(kind="commune").exists()
    assert Collectivity.objects.filter(kind="commune").exclude(groupings=epci).exists()


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
    assert sizes == {"Accueil": 6, "État civil": 6, "Services techniques": 6}


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
    ) == counts


def test_demo_prints_the_accounts_and_their_password(demo_output):
    first, _, _ = demo_output
    assert "tremplin-demo-2026" in first and "rh.valmont" in first and "agent.valmont" in first
