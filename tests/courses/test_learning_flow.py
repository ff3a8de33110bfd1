"""Enrolment, assignment, prerequisites, progress, self-assessment, visitors' progress, launches."""

import copy
import datetime
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from competences.models import JobProfile
from courses import services
from courses.models import CoursePage, LessonPage
from lms.demo.services import build_catalogue
from lms.models import AssessmentAttempt, Enrolment, LessonProgress, Membership, SelfAssessment, Statement
from lms.services import learning
from lms.xapi import vocabulary as v
from lms.xapi.launch import get_launch_credentials
from tests.conftest import CONTENT, PASSWORD, make_user, right_answers

pytestmark = pytest.mark.django_db


def _content():
    content = copy.deepcopy(CONTENT)
    course = content["tracks"][0]["courses"][0]
    course["lessons"][0]["self_assessment"] = "before"
    course["lessons"][0]["callouts"] = [{"kind": "tip", "html": "<p>Astuce</p>"}]
    course["lessons"][1]["quiz"]["max_attempts"] = 2
    content["tracks"][0]["courses"][1]["prerequisites"] = ["rgpd"]
    return content


@pytest.fixture
def rich_catalogue(frameworks):
    catalogue = build_catalogue(_content())
    return catalogue


@pytest.fixture
def rgpd(rich_catalogue):
    return CoursePage.objects.get(slug="rgpd")


@pytest.fixture
def signed_in(client, agent, rich_catalogue):
    client.force_login(agent)
    return client


def _statement(verb):
    return Statement.objects.get(verb=verb.id).data


def test_self_enrolment_records_the_registration_as_self(signed_in, rgpd):
    response = signed_in.post(rgpd.url, {"action": "enrol"})
    assert response.status_code == 303
    assert _statement(v.REGISTERED)["context"]["extensions"][v.EXT_ENROLMENT_KIND] == "self"


def test_hr_assigns_a_course_to_a_person_with_a_due_date(rgpd, agent, hr_manager, commune):
    people = learning.learners_for_assignment(commune, users=[agent])
    services.assign(rgpd, people, assigned_by=hr_manager, due_date=datetime.date(2026, 12, 31))
    extensions = _statement(v.REGISTERED)["context"]["extensions"]
    assert extensions[v.EXT_DUE_DATE] == "2026-12-31" and extensions[v.EXT_ENROLMENT_KIND] == "person"


def test_hr_assigns_a_course_to_a_job_profile_through_the_admin(client, rgpd, agent, hr_manager, commune):
    profile = JobProfile.objects.create(name="Agent d'accueil", slug="accueil")
    Membership.objects.filter(user=agent).update(job_profile=profile)
    make_user("other", commune, Membership.Role.AGENT)
    client.force_login(hr_manager)
    response = client.post(
        reverse("lms_courses_assign"),
        {"course": rgpd.pk, "collectivity": commune.pk, "job_profile": profile.pk, "due_date": "2026-12-31"},
    )
    assert response.status_code == 302
    assert list(Enrolment.objects.values_list("user__username", "due_date")) == [
        ("camille", datetime.date(2026, 12, 31))
    ]


def test_hr_assigns_a_course_to_a_service_through_the_admin(client, rgpd, agent, hr_manager, commune):
    from lms.models import Service

    service = Service.objects.create(collectivity=commune, name="Accueil")
    Membership.objects.filter(user=agent).update(service=service)
    make_user("other", commune, Membership.Role.AGENT)
    client.force_login(hr_manager)
    response = client.post(
        reverse("lms_courses_assign"), {"course": rgpd.pk, "collectivity": commune.pk, "service": service.pk}
    )
    assert response.status_code == 302
    assert list(Enrolment.objects.values_list("user__username", "assigned_via")) == [("camille", "service")]


def test_hr_cannot_assign_to_a_service_of_another_collectivity(
    client, rgpd, hr_manager, commune, other_commune
):
    from lms.models import Service

    elsewhere = Service.objects.create(collectivity=other_commune, name="Accueil")
    client.force_login(hr_manager)
    response = client.post(
        reverse("lms_courses_assign"),
        {"course": rgpd.pk, "collectivity": commune.pk, "service": elsewhere.pk},
    )
    assert response.status_code == 400 and not Enrolment.objects.exists()


def test_an_epci_manager_cannot_assign_courses_to_people_of_a_sharing_member(
    client, rgpd, agent, commune, other_commune
):
    from lms.models import AggregateSharing, Collectivity

    epci = Collectivity.objects.create(name="CC", slug="cc", kind="epci")
    epci.members.add(commune)
    AggregateSharing.objects.create(member=commune, grouping=epci)
    manager = make_user("rh.cc", epci, Membership.Role.HR_MANAGER)
    client.force_login(manager)
    response = client.post(
        reverse("lms_courses_assign"), {"course": rgpd.pk, "collectivity": commune.pk, "learners": [agent.pk]}
    )
    assert response.status_code == 400 and not Enrolment.objects.exists()


def test_assignment_view_refuses_a_person_without_hr_rights(signed_in):
    assert signed_in.get(reverse("lms_courses_assign")).status_code in (302, 403)


def test_missing_prerequisite_blocks_the_lesson_with_a_link_to_it(signed_in, rgpd):
    lesson = LessonPage.objects.get(slug="mails")
    response = signed_in.get(lesson.url)
    assert response.status_code == 403 and f'href="{rgpd.url}"' in response.content.decode()


def test_completed_prerequisite_opens_the_course(signed_in, agent, rgpd):
    for lesson in rgpd.lessons():
        signed_in.get(lesson.url)
    signed_in.post(
        LessonPage.objects.get(slug="quiz").url, right_answers(LessonPage.objects.get(slug="quiz"))
    )
    assert signed_in.get(LessonPage.objects.get(slug="mails").url).status_code == 200


def test_course_page_offers_to_resume_at_the_first_unseen_lesson(signed_in, rgpd):
    signed_in.get(LessonPage.objects.get(slug="bases").url)
    page = signed_in.get(rgpd.url).content.decode()
    assert f'class="button" href="{LessonPage.objects.get(slug="quiz").url}"' in page


def test_lesson_links_to_the_next_lesson(signed_in, rgpd):
    page = signed_in.get(LessonPage.objects.get(slug="bases").url).content.decode()
    assert f'rel="next" href="{LessonPage.objects.get(slug="quiz").url}"' in page


def test_quiz_refuses_attempts_beyond_those_allowed(signed_in):
    lesson = LessonPage.objects.get(slug="quiz")
    wrong = {**right_answers(lesson)}
    block = lesson.quiz_blocks()[0]
    wrong[f"quiz-{block.id}-q0"] = ["1"]
    signed_in.post(lesson.url, wrong)
    signed_in.post(lesson.url, wrong)
    assert signed_in.post(lesson.url, right_answers(lesson)).status_code == 400


def test_self_assessment_is_stored_as_declared_with_its_own_extension(signed_in, rgpd):
    lesson = LessonPage.objects.get(slug="bases")
    block = lesson.self_assessment_blocks()[0]
    data = {"action": "self_assessment", "self_assessment_block": block.id}
    for mapping in rgpd.competence_mappings.all():
        data[services.self_assessment_field(block.id, mapping.competence_id)] = "2"
    assert signed_in.post(lesson.url, data).status_code == 303
    extensions = _statement(v.ANSWERED)["context"]["extensions"]
    assert (
        sorted(item["level"] for item in extensions[v.EXT_DECLARED_LEVELS]) == [2, 2]
        and v.EXT_VALIDATED_LEVELS not in extensions
        and SelfAssessment.objects.count() == 2
    )


def test_self_assessment_without_every_level_is_refused(signed_in):
    lesson = LessonPage.objects.get(slug="bases")
    block = lesson.self_assessment_blocks()[0]
    response = signed_in.post(lesson.url, {"action": "self_assessment", "self_assessment_block": block.id})
    assert response.status_code == 400 and not SelfAssessment.objects.exists()


def test_progress_row_is_not_kept_when_its_statement_cannot_be_stored(signed_in, monkeypatch):
    from lms.xapi.storage import DatabaseStatementStore

    def broken(self, statements, *, collectivity=None):
        raise RuntimeError("store down")

    monkeypatch.setattr(DatabaseStatementStore, "store", broken)
    with pytest.raises(RuntimeError):
        signed_in.get(LessonPage.objects.get(slug="bases").url)
    assert not Enrolment.objects.exists() and not LessonProgress.objects.exists()


@pytest.fixture
def open_rgpd(rgpd):
    rgpd.open_access = True
    rgpd.save_revision().publish()
    return rgpd


def test_visitor_progress_is_attached_when_they_log_in(client, agent, open_rgpd):
    quiz = LessonPage.objects.get(slug="quiz")
    client.get(LessonPage.objects.get(slug="bases").url)
    assert client.post(quiz.url, right_answers(quiz)).status_code == 303
    client.post("/compte/login/", {"username": agent.username, "password": PASSWORD})
    enrolment = Enrolment.objects.get(user=agent)
    assert enrolment.completed_at is not None and AssessmentAttempt.objects.filter(passed=True).count() == 1


def test_visitor_progress_is_attached_when_they_create_an_account(
    client, mailoutbox, open_rgpd, django_capture_on_commit_callbacks
):
    client.get(LessonPage.objects.get(slug="bases").url)
    password = "une phrase de passe"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("lms:signup"),
            {"email": "habitant@example.org", "password1": password, "password2": password},
        )
    assert response.status_code == 200
    link = next(word for word in mailoutbox[0].body.split() if "/inscription/confirmer/" in word)
    client.get(link)
    user = get_user_model().objects.get(email="habitant@example.org")
    client.post("/compte/login/", {"username": user.username, "password": password})
    assert LessonProgress.objects.filter(enrolment__user=user).count() == 1


def test_visitor_sees_their_quiz_result_without_an_account(client, open_rgpd):
    quiz = LessonPage.objects.get(slug="quiz")
    client.post(quiz.url, right_answers(quiz))
    page = client.get(quiz.url).content.decode()
    assert 'id="result-' in page and not Statement.objects.exists()


def test_external_activity_is_launched_with_the_learners_lrs_credential(signed_in, agent, rgpd):
    lesson = LessonPage.objects.get(slug="bases")
    lesson.body.append(("external_activity", {"title": "Jeu", "description": "", "url": "/jeu/index.html"}))
    lesson.save_revision().publish()
    lesson.refresh_from_db()
    block = lesson.external_blocks()[0]
    response = signed_in.post(lesson.url, {"action": "launch", "block": block.id})
    params = parse_qs(urlparse(response["Location"]).query)
    username, password = __import__("base64").b64decode(params["auth"][0].split()[1]).decode().split(":", 1)
    grant = get_launch_credentials().verify(username, password)
    assert (
        grant.actor_name == str(agent.lms_learner.actor_name)
        and Statement.objects.filter(verb=v.LAUNCHED.id).exists()
    )


@pytest.mark.parametrize(
    "answer, told",
    [("0\x00", "NUL"), ("x" * 201, "200")],
    ids=["a NUL character", "longer than 200 characters"],
)
def test_a_quiz_answer_that_cannot_be_kept_is_refused_with_a_message_and_not_recorded(
    signed_in, answer, told
):
    lesson = LessonPage.objects.get(slug="quiz")
    data = {**right_answers(lesson), "action": "quiz"}
    first = next(name for name in data if name.startswith("quiz-"))
    data[first] = [answer]
    response = signed_in.post(lesson.url, data)
    assert (response.status_code, AssessmentAttempt.objects.exists()) == (400, False)
    assert told in response.content.decode()


def test_a_self_assessment_level_in_superscript_digits_is_refused(signed_in, rgpd):
    lesson = LessonPage.objects.get(slug="bases")
    block = lesson.self_assessment_blocks()[0]
    data = {"action": "self_assessment", "self_assessment_block": block.id}
    for mapping in rgpd.competence_mappings.all():
        data[services.self_assessment_field(block.id, mapping.competence_id)] = "²"
    response = signed_in.post(lesson.url, data)
    assert response.status_code == 400 and not SelfAssessment.objects.exists()
