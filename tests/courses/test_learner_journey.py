"""Step 3 of the walking skeleton: an agent opens the track, a course, a lesson, and passes its quiz."""

import pytest

from lms.models import AssessmentAttempt, Enrolment, LessonProgress, Statement
from lms.xapi import vocabulary as v
from tests.conftest import PASSWORD, right_answers, wrong_answers

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client, agent):
    assert (
        client.post("/compte/login/", {"username": agent.username, "password": PASSWORD}).status_code == 302
    )
    return client


def test_agent_opens_track_course_and_lesson(logged_in, catalogue, first_lesson):
    track = logged_in.get("/numerique/")
    assert "Protéger les données des usagers" in track.content.decode()
    course = logged_in.get("/numerique/rgpd/")
    assert "4.2 Protéger les données personnelles et la vie privée" in course.content.decode()
    lesson = logged_in.get(first_lesson.url)
    assert lesson.status_code == 200 and "Le RGPD protège." in lesson.content.decode()


def test_opening_a_lesson_enrols_and_records_progress_with_its_statement(logged_in, agent, first_lesson):
    logged_in.get(first_lesson.url)
    enrolment = Enrolment.objects.get(user=agent)
    assert LessonProgress.objects.filter(enrolment=enrolment, lesson=first_lesson).exists()
    assert set(Statement.objects.values_list("verb", flat=True)) == {v.REGISTERED.id, v.EXPERIENCED.id}


def test_passing_the_quiz_redirects_to_the_result(logged_in, quiz_lesson):
    response = logged_in.post(quiz_lesson.url, right_answers(quiz_lesson))
    assert response.status_code == 303
    page = logged_in.get(response["Location"]).content.decode()
    assert "Réussi" in page or "Passed" in page


def test_passed_quiz_statement_is_pseudonymous_passed_with_score_and_competences(
    logged_in, agent, quiz_lesson
):
    logged_in.post(quiz_lesson.url, right_answers(quiz_lesson))
    statement = Statement.objects.get(verb=v.PASSED.id).data
    block = quiz_lesson.quiz_blocks()[0]
    assert statement["actor"] == {
        "objectType": "Agent",
        "account": {"homePage": "http://testserver", "name": str(agent.lms_learner.actor_name)},
    }
    assert "mbox" not in statement["actor"] and agent.email not in str(statement)
    assert statement["verb"]["id"] == "http://adlnet.gov/expapi/verbs/passed"
    assert statement["object"]["id"].endswith(
        f"/xapi/activities/{quiz_lesson.translation_key}/quiz/{block.id}"
    )
    assert statement["result"]["score"] == {"raw": 2.0, "min": 0.0, "max": 2.0, "scaled": 1.0}
    others = statement["context"]["contextActivities"]["other"]
    assert {a["id"] for a in others} == {
        "https://w3id.org/tremplin/frameworks/crcn/2019/competences/4.2",
        "https://w3id.org/tremplin/frameworks/crcn/2019/competences/4.1",
    }
    assert {a["definition"]["type"] for a in others} == {v.OBJECTIVE.id}


def test_statement_and_attempt_are_written_together(logged_in, quiz_lesson):
    logged_in.post(quiz_lesson.url, right_answers(quiz_lesson))
    attempt = AssessmentAttempt.objects.get()
    assert Statement.objects.filter(statement_id=attempt.statement_id, verb=v.PASSED.id).exists()


def test_failed_quiz_records_failed_without_validating_levels(logged_in, quiz_lesson):
    logged_in.post(quiz_lesson.url, wrong_answers(quiz_lesson))
    statement = Statement.objects.get(verb=v.FAILED.id).data
    assert statement["result"]["success"] is False
    assert v.EXT_VALIDATED_LEVELS not in statement["context"].get("extensions", {})


def test_unanswered_quiz_is_rejected_with_a_message_and_nothing_stored(logged_in, quiz_lesson):
    data = right_answers(quiz_lesson)
    data.pop(next(key for key in data if key.endswith("q1")))
    response = logged_in.post(quiz_lesson.url, data)
    assert response.status_code == 400
    assert "2." in response.content.decode() and 'role="alert"' in response.content.decode()
    assert not AssessmentAttempt.objects.exists() and not Statement.objects.filter(verb=v.PASSED.id).exists()


def test_anonymous_quiz_submission_goes_to_login_and_stores_nothing(client, quiz_lesson):
    response = client.post(quiz_lesson.url, right_answers(quiz_lesson))
    assert response.status_code == 302 and response["Location"].startswith("/compte/login/")
    assert not Statement.objects.exists()


def test_course_is_completed_when_every_lesson_is_seen_and_the_quiz_passed(
    logged_in, agent, first_lesson, quiz_lesson
):
    logged_in.get(first_lesson.url)
    logged_in.post(quiz_lesson.url, right_answers(quiz_lesson))
    assert Enrolment.objects.get(user=agent).completed_at is not None
    assert Statement.objects.filter(verb=v.COMPLETED.id).count() == 1


def test_anonymous_visitor_is_sent_to_login_for_a_course_not_open_to_the_public(client, first_lesson):
    response = client.get(first_lesson.url)
    assert response.status_code == 302 and "/compte/login/" in response["Location"]


def test_anonymous_visitor_reads_an_open_course_without_statements(client, first_lesson):
    course = first_lesson.course()
    course.open_access = True
    course.save()
    assert client.get(first_lesson.url).status_code == 200
    assert not Statement.objects.exists()


def test_my_learning_lists_the_course_and_the_validated_level(
    logged_in, quiz_lesson, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        logged_in.post(quiz_lesson.url, right_answers(quiz_lesson))
    page = logged_in.get("/mon-parcours/").content.decode()
    assert "Protéger les données des usagers" in page
    assert "4.2 Protéger les données personnelles et la vie privée</th><td>3</td>" in page
