"""The demo catalogue: three tracks of real lessons whose blocks are valid as an editor would save them."""

import random

import pytest

from courses import grading
from courses.models import CoursePage, LessonPage, TrackPage
from lms.demo.services import _answers, build_catalogue, load_content

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_catalogue(frameworks):
    return build_catalogue(load_content())


def test_demo_ships_the_three_tracks(demo_catalogue):
    assert sorted(TrackPage.objects.values_list("audience", flat=True)) == ["agents", "elected", "public"]


def test_demo_elected_track_covers_the_five_themes(demo_catalogue):
    assert TrackPage.objects.get(audience="elected").specific.courses().count() == 5


def test_every_demo_lesson_body_is_valid_for_the_editor(demo_catalogue):
    for lesson in LessonPage.objects.specific():
        lesson.body.stream_block.clean(lesson.body)


def test_every_demo_course_has_a_self_assessment_before_and_after(demo_catalogue):
    for course in CoursePage.objects.specific():
        moments = {b.value["moment"] for lesson in course.lessons() for b in lesson.self_assessment_blocks()}
        assert moments == {"before", "after"}, course.slug


def test_demo_quizzes_use_true_false_ordering_matching_and_short_text(demo_catalogue):
    kinds = {
        q["kind"]
        for lesson in LessonPage.objects.specific()
        for b in lesson.quiz_blocks()
        for q in b.value["questions"]
    }
    assert {"true_false", "ordering", "matching", "short_text"} <= kinds


def test_right_answers_pass_every_demo_quiz(demo_catalogue):
    rng = random.Random(1)
    for lesson in LessonPage.objects.specific():
        for block in lesson.quiz_blocks():
            assert grading.grade(block.value, block.id, _answers(lesson, block, rng, skill=1.0)).passed, (
                lesson.slug
            )


def test_public_courses_are_open_without_an_account(demo_catalogue):
    track = TrackPage.objects.get(audience="public").specific
    assert all(course.open_access for course in track.courses())


def test_building_the_demo_catalogue_twice_adds_nothing(demo_catalogue):
    count = LessonPage.objects.count()
    build_catalogue(load_content())
    assert LessonPage.objects.count() == count
