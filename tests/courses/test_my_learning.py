"""« Mon parcours »: courses with progress and due dates, competence profile, gaps, history, attestation."""

import datetime

import pytest
from django.urls import reverse

from competences.models import Competence, JobProfile, JobProfileTarget
from courses import services
from courses.models import CoursePage
from lms.models import Enrolment, Membership
from lms.services import learning
from tests.conftest import right_answers

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, agent, catalogue):
    client.force_login(agent)
    return client


@pytest.fixture
def completed(signed_in, first_lesson, quiz_lesson, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.get(first_lesson.url)
        signed_in.post(quiz_lesson.url, right_answers(quiz_lesson))
    return signed_in


def test_my_learning_shows_an_assigned_course_with_its_due_date(signed_in, agent, hr_manager, commune):
    course = CoursePage.objects.get(slug="messagerie")
    services.assign(course, [agent], assigned_by=hr_manager, due_date=datetime.date(2030, 6, 30))
    page = signed_in.get(reverse("lms:my_learning")).content.decode()
    assert "Messagerie" in page and "30/06/2030" in page


def test_my_learning_draws_the_profile_chart_with_its_data_table(completed):
    page = completed.get(reverse("lms:my_learning")).content.decode()
    assert (
        'role="img"' in page
        and "4.2 Protéger les données personnelles et la vie privée</th><td>3</td>" in page
    )


def test_gaps_list_the_courses_that_close_them(signed_in, agent):
    profile = JobProfile.objects.create(name="Accueil", slug="accueil")
    JobProfileTarget.objects.create(
        job_profile=profile, competence=Competence.objects.get(framework__slug="crcn", code="2.1"), level=2
    )
    Membership.objects.filter(user=agent).update(job_profile=profile)
    page = signed_in.get(reverse("lms:my_learning")).content.decode()
    assert f'href="{CoursePage.objects.get(slug="messagerie").url}">Messagerie</a>' in page


def test_attestation_of_a_completed_course_is_a_pdf(completed, agent):
    enrolment = Enrolment.objects.get(user=agent, completed_at__isnull=False)
    response = completed.get(reverse("lms:attestation", args=(enrolment.pk,)))
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")


def test_attestation_lists_the_levels_validated_by_the_course(completed, agent):
    from lms.learner_space.services import attestation_for

    enrolment = Enrolment.objects.get(user=agent, completed_at__isnull=False)
    validated = attestation_for(agent, enrolment.pk).validated
    assert sorted((c.code, level) for c, level in validated) == [("4.1", 2), ("4.2", 3)]


def test_attestation_of_someone_else_is_not_found(completed, agent, client, commune):
    from tests.conftest import make_user

    enrolment = Enrolment.objects.get(user=agent, completed_at__isnull=False)
    client.force_login(make_user("intrus", commune, Membership.Role.AGENT))
    assert client.get(reverse("lms:attestation", args=(enrolment.pk,))).status_code == 404


def test_history_lists_the_learners_own_events(completed):
    page = completed.get(reverse("lms:my_learning")).content.decode()
    assert "a réussi" in page and "Quiz RGPD" in page


def test_due_date_keeps_the_earliest_of_two_assignments(agent, hr_manager, catalogue):
    course = CoursePage.objects.get(slug="messagerie")
    services.assign(course, [agent], assigned_by=hr_manager, due_date=datetime.date(2030, 6, 30))
    services.assign(course, [agent], assigned_by=hr_manager, due_date=datetime.date(2030, 1, 31))
    assert Enrolment.objects.get().due_date == datetime.date(2030, 1, 31)


def test_english_is_available_to_the_learner(signed_in):
    signed_in.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "My learning" in signed_in.get(reverse("lms:my_learning")).content.decode()


def test_learning_service_finds_no_one_outside_the_collectivity(agent, other_commune):
    assert learning.learners_for_assignment(other_commune, users=[agent]) == []
