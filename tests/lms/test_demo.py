"""The demo data command behind `make demo`."""

import pytest
from django.core.management import call_command

from courses.models import TrackPage
from lms.models import Collectivity, CollectivitySnapshot, Enrolment, Membership, Statement

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo_output(django_db_setup, django_db_blocker):
    from io import StringIO

    from django.db import transaction

    # Loaded once for the module inside a transaction that is rolled back at the end.
    with django_db_blocker.unblock(), transaction.atomic():
        first, second = StringIO(), StringIO()
        call_command("lms_demo", stdout=first)
        counts = (Statement.objects.count(), Enrolment.objects.count(), Membership.objects.count())
        call_command("lms_demo", stdout=second)
        yield first.getvalue(), second.getvalue(), counts
        transaction.set_rollback(True)


def test_demo_creates_an_epci_with_a_member_commune_and_another_commune(demo_output):
    epci = Collectivity.objects.get(kind="epci")
    assert epci.members.filter(kind="commune").exists()
    assert Collectivity.objects.filter(kind="commune").exclude(groupings=epci).exists()


def test_demo_has_a_few_hundred_statements_over_six_months(demo_output):
    from django.db.models import Max, Min

    span = Statement.objects.aggregate(first=Min("timestamp"), last=Max("timestamp"))
    assert Statement.objects.count() >= 300
    assert (span["last"] - span["first"]).days >= 120


def test_demo_ships_the_numerique_track_with_courses(demo_output):
    track = TrackPage.objects.get(slug="numerique")
    assert track.courses().count() >= 2


def test_demo_computes_every_collectivity_dashboard(demo_output):
    assert CollectivitySnapshot.objects.count() == Collectivity.objects.count()


def test_second_demo_run_adds_nothing(demo_output):
    _, _, counts = demo_output
    assert (Statement.objects.count(), Enrolment.objects.count(), Membership.objects.count()) == counts


def test_demo_prints_the_accounts_and_their_password(demo_output):
    first, _, _ = demo_output
    assert "tremplin-demo-2026" in first and "rh.valmont" in first and "agent.valmont" in first
