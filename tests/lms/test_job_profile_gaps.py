import pytest
from django.utils import timezone

from competences.models import Competence, JobProfile, JobProfileTarget
from lms.models import LearnerCompetenceLevel, Membership
from lms.services.job_profiles import learner_levels, membership_gaps
from lms.services.organisations import learner_for

pytestmark = pytest.mark.django_db


def crcn(code):
    return Competence.objects.get(framework__slug="crcn", code=code)


@pytest.fixture
def membership(frameworks, agent, commune):
    profile = JobProfile.objects.create(
        name="Agent d'accueil France Services", slug="accueil", collectivity=commune
    )
    JobProfileTarget.objects.create(job_profile=profile, competence=crcn("2.1"), level=3)
    JobProfileTarget.objects.create(job_profile=profile, competence=crcn("4.2"), level=3)
    membership = Membership.objects.get(user=agent, role=Membership.Role.AGENT)
    membership.job_profile = profile
    membership.save()
    return membership


def reach(user, code, level):
    LearnerCompetenceLevel.objects.create(
        actor_name=str(learner_for(user).actor_name),
        competence=crcn(code),
        level=level,
        reached_at=timezone.now(),
    )


def test_learner_levels_reads_the_aggregated_levels(membership, agent):
    reach(agent, "4.2", 2)
    assert learner_levels(agent) == {crcn("4.2").pk: 2}


def test_membership_gaps_compare_levels_with_the_job_profile(membership, agent):
    reach(agent, "4.2", 4)
    reach(agent, "2.1", 1)
    assert [(g.competence.code, g.current, g.target, g.gap) for g in membership_gaps(membership)] == [
        ("2.1", 1, 3, 2),
        ("4.2", 4, 3, 0),
    ]


def test_membership_without_job_profile_has_no_gaps(agent, frameworks):
    assert membership_gaps(Membership.objects.get(user=agent)) == []
