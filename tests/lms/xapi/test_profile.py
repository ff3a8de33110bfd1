"""Every statement Tremplin's course services emit is valid xAPI and matches a template of its profile."""

import pytest

from lms.models import Statement
from lms.xapi import vocabulary as v
from lms.xapi.validation import validate_statement
from tests.conftest import PASSWORD, right_answers, wrong_answers

from .profile_matcher import load_profile, matching_templates

pytestmark = pytest.mark.django_db


@pytest.fixture
def journey(client, agent, first_lesson, quiz_lesson):
    """A learner's whole journey: enrol, see lessons, fail then pass the quiz, complete the course."""
    client.post("/compte/login/", {"username": agent.username, "password": PASSWORD})
    client.get(first_lesson.url)
    client.post(quiz_lesson.url, wrong_answers(quiz_lesson))
    client.post(quiz_lesson.url, right_answers(quiz_lesson))
    return [row.data for row in Statement.objects.order_by("seq")]


def test_the_journey_emits_every_verb_of_the_profile(journey):
    emitted = {statement["verb"]["id"] for statement in journey}
    assert emitted == {t.id for t in (v.REGISTERED, v.EXPERIENCED, v.PASSED, v.FAILED, v.COMPLETED)}


def test_every_emitted_statement_is_valid_xapi(journey):
    for statement in journey:
        validate_statement(dict(statement))


def test_every_emitted_statement_matches_exactly_one_template(journey):
    profile = load_profile()
    matches = {statement["id"]: matching_templates(statement, profile) for statement in journey}
    assert all(len(templates) == 1 for templates in matches.values()), matches


def test_every_template_of_the_profile_is_used(journey):
    profile = load_profile()
    used = {template for statement in journey for template in matching_templates(statement, profile)}
    assert used == {template["id"] for template in profile["templates"]}


def test_the_profile_declares_its_extension(journey):
    concepts = {concept["id"] for concept in load_profile()["concepts"]}
    assert v.EXT_VALIDATED_LEVELS in concepts
