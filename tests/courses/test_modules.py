"""A module groups lessons between a course and its lessons; the flow goes through it unchanged."""

import pytest

from courses.models import CoursePage, LessonPage, ModulePage

pytestmark = pytest.mark.django_db


@pytest.fixture
def module_lesson(catalogue):
    course = CoursePage.objects.get(slug="rgpd")
    module = ModulePage(title="Aller plus loin", slug="plus-loin", intro="Pour les curieux.")
    course.add_child(instance=module)
    lesson = LessonPage(title="Les droits des usagers", slug="droits", body=[("text", "<p>Accès.</p>")])
    module.add_child(instance=lesson)
    return lesson


def test_lessons_of_a_module_come_after_the_course_lessons_in_reading_order(module_lesson):
    course = CoursePage.objects.get(slug="rgpd")
    assert [lesson.slug for lesson in course.lessons()] == ["bases", "quiz", "droits"]


def test_a_lesson_in_a_module_knows_its_course(module_lesson):
    assert module_lesson.course().slug == "rgpd"


def test_course_page_shows_the_module_heading(client, agent, module_lesson):
    client.force_login(agent)
    page = client.get(CoursePage.objects.get(slug="rgpd").url).content.decode()
    assert "<h3>Aller plus loin</h3>" in page


def test_completion_needs_the_lessons_of_modules_too(client, agent, module_lesson):
    from lms.models import Enrolment
    from tests.conftest import right_answers

    client.force_login(agent)
    quiz = LessonPage.objects.get(slug="quiz")
    client.get(LessonPage.objects.get(slug="bases").url)
    client.post(quiz.url, right_answers(quiz))
    assert Enrolment.objects.get(user=agent).completed_at is None
