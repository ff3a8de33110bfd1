"""Learner levels follow the version and crosswalk mappings: « Mon parcours » and the HR snapshot."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from competences.models import Competence, CompetenceMapping, Framework
from competences.services import create_new_version
from lms.analytics import services
from lms.analytics.figures import group_key
from lms.learner_space.services import competence_profile
from lms.services.organisations import learner_for
from lms.xapi import vocabulary as v
from tests.lms.analytics.helpers import statement

pytestmark = pytest.mark.django_db


@pytest.fixture
def reached(frameworks):
    """When the agent validated level 3 of CRCN 2019 4.2 (a month ago)."""
    return (timezone.now() - timedelta(days=30)).replace(microsecond=0)


@pytest.fixture
def evidence_on_v1(frameworks, agent, commune, reached):
    competence = Competence.objects.get(framework__slug="crcn", code="4.2")
    statement(
        learner_for(agent).actor_name,
        v.PASSED.id,
        when=reached,
        validated=[{"competence": competence.uri, "level": 3}],
        collectivity=commune,
    ).save()
    services.process_new_statements()


@pytest.fixture
def v2(evidence_on_v1):
    """CRCN 2026, published after the evidence was recorded; the 2019 version is retired."""
    old = Framework.objects.get(slug="crcn")
    new = create_new_version(old, "2026")
    Framework.objects.filter(pk=new.pk).update(status=Framework.Status.PUBLISHED)
    Framework.objects.filter(pk=old.pk).update(status=Framework.Status.RETIRED)
    return new


def _levels(user):
    return {
        (row.competence.framework.slug, row.competence.code): (row.validated, row.reached_at)
        for area in competence_profile(user)
        for row in area.rows
    }


def test_the_learner_sees_a_level_of_the_old_version_on_the_new_one_with_its_date(v2, agent, reached):
    assert _levels(agent)[(v2.slug, "4.2")] == (3, reached)


def test_the_learner_no_longer_sees_the_replaced_version(v2, agent):
    assert ("crcn", "4.2") not in _levels(agent)


def test_a_draft_new_version_replaces_nothing_yet(evidence_on_v1, agent, reached):
    create_new_version(Framework.objects.get(slug="crcn"), "2026")
    assert _levels(agent)[("crcn", "4.2")] == (3, reached)


def test_my_learning_page_shows_the_carried_level_and_the_date_reached(v2, agent, client, reached):
    client.force_login(agent)
    page = client.get(reverse("lms:my_learning")).content.decode()
    title = Competence.objects.get(framework=v2, code="4.2").title
    # The page dates in the site's time zone (Paris): from 22:00 or 23:00 UTC, the next day there.
    assert f"4.2 {title}</th><td>3</td><td>{timezone.localtime(reached):%d/%m/%Y}</td>" in page


def test_a_crosswalk_carries_the_level_to_the_other_framework(evidence_on_v1, agent, reached):
    crcn = Competence.objects.get(framework__slug="crcn", code="4.2")
    target = Competence.objects.exclude(framework=crcn.framework).exclude(mappings_in__source=crcn).first()
    CompetenceMapping.objects.create(source=crcn, target=target)
    assert _levels(agent)[(target.framework.slug, target.code)] == (3, reached)


def test_a_retired_competence_holding_a_level_stays_marked_retired(v2, agent, client):
    Competence.objects.filter(framework=v2, code="4.2").update(retired=True)
    client.force_login(agent)
    page = client.get(reverse("lms:my_learning")).content.decode()
    assert "(retirée)" in page or "(retired)" in page


def test_the_hr_snapshot_counts_the_level_on_the_new_version(v2, commune):
    data = services.rebuild_snapshot(commune.pk)
    data = type(data).objects.get(pk=data.pk).data
    column = data["competences"].index(Competence.objects.get(framework=v2, code="4.2").pk)
    last_month = data["groups"][group_key()]["levels"][column][-1]
    assert last_month[3] == 1


def test_the_hr_drill_down_lists_the_learner_on_the_new_version(
    v2, client, settings, hr_manager, agent, commune
):
    settings.LMS_MIN_GROUP_SIZE = 1
    services.rebuild_snapshot(commune.pk)  # the dashboard the HR manager comes from
    client.force_login(hr_manager)
    competence = Competence.objects.get(framework=v2, code="4.2")
    page = client.get(
        reverse("lms_dashboard_learners"), {"competence": competence.pk, "level": 3}
    ).content.decode()
    assert agent.username in page


def test_a_course_on_the_old_version_is_suggested_for_a_gap_on_the_new_one(v2, catalogue, agent):
    from competences.models import JobProfile, JobProfileTarget
    from courses.models import CourseCompetence, CoursePage
    from lms.learner_space.services import gaps
    from lms.models import Membership

    profile = JobProfile.objects.create(name="Secrétaire de mairie", slug="secretaire")
    JobProfileTarget.objects.create(job_profile=profile, competence=v2.competences.get(code="4.2"), level=5)
    Membership.objects.filter(user=agent).update(job_profile=profile)
    course = CoursePage.objects.get(slug="rgpd")
    old = Competence.objects.get(framework__slug="crcn", code="4.2")
    CourseCompetence.objects.filter(page=course, competence=old).update(level=4)

    (gap,) = gaps(agent)
    assert (gap.competence.framework_id, gap.validated, gap.target) == (v2.pk, 3, 5)
    assert [page.slug for page in gap.courses] == ["rgpd"]


def test_my_learning_draws_one_chart_per_framework_named_after_it(evidence_on_v1, agent, client):
    crcn = Competence.objects.get(framework__slug="crcn", code="4.2")
    target = Competence.objects.get(framework__slug="digcomp-2-2", code="4.2")
    CompetenceMapping.objects.get_or_create(source=crcn, target=target)
    client.force_login(agent)
    page = client.get(reverse("lms:my_learning")).content.decode()
    figures = page.split('<figure class="chart">')[1:]
    titles = [figure.split("<title", 1)[1].split("</title>")[0] for figure in figures]
    assert len(figures) == 2
    assert [crcn.framework.title in titles[0], target.framework.title in titles[1]] == [True, True]
    # The table's domain rows name the framework too: both have a « 4.2 ».
    assert f"{target.framework.title} — {target.area.code} " in page
