"""The dashboards read the tenancy's sharing agreements and write its audit log."""

import pytest

from lms.models import AggregateSharing, AuditLogEntry, Collectivity
from lms.services.scope import consenting_members
from tests.conftest import PASSWORD, right_answers

pytestmark = pytest.mark.django_db


@pytest.fixture
def epci(commune, other_commune):
    grouping = Collectivity.objects.create(name="CC du Val", slug="cc-val", kind="epci")
    grouping.members.add(commune, other_commune)
    return grouping


def test_only_members_with_an_active_agreement_are_consolidated(epci, commune, other_commune):
    AggregateSharing.objects.create(member=commune, grouping=epci)
    revoked = AggregateSharing.objects.create(member=other_commune, grouping=epci)
    revoked.revoked_at = revoked.granted_at
    revoked.save()
    assert list(consenting_members(epci)) == [commune]


def test_an_agreement_with_another_grouping_does_not_count(epci, commune):
    elsewhere = Collectivity.objects.create(name="CDG", slug="cdg", kind="cdg")
    elsewhere.members.add(commune)
    AggregateSharing.objects.create(member=commune, grouping=elsewhere)
    assert not consenting_members(epci).exists()


def test_a_drill_down_writes_one_audit_entry_per_person(
    client, settings, agent, hr_manager, commune, quiz_lesson, django_capture_on_commit_callbacks
):
    settings.LMS_MIN_GROUP_SIZE = 1
    client.login(username=agent.username, password=PASSWORD)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(quiz_lesson.url, right_answers(quiz_lesson))
    client.logout()
    from lms.analytics import services

    services.rebuild_snapshot(commune.pk)
    client.login(username=hr_manager.username, password=PASSWORD)
    competence = services._competences_frame()["competence_id"].iloc[0]
    client.get(
        "/admin/tremplin/dashboards/learners/",
        {"competence": competence, "level": 0, "collectivity": commune.slug},
    )
    entry = AuditLogEntry.objects.get(subject=agent)
    assert (entry.actor, entry.action, entry.collectivity) == (
        hr_manager,
        AuditLogEntry.Action.VIEWED,
        commune,
    )
