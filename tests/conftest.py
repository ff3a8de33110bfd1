"""Shared fixtures: the CRCN framework, a small catalogue, collectivities and their people."""

import pytest
from django.contrib.auth import get_user_model

from competences.services import load_shipped_frameworks
from courses.models import LessonPage
from lms.demo.services import build_catalogue
from lms.models import Collectivity, Membership
from lms.services.organisations import add_membership

PASSWORD = "correct-horse-battery-staple"

QUIZ = {
    "title": "Quiz RGPD",
    "mastery_threshold": 80,
    "questions": [
        {
            "prompt": "Qui est responsable de traitement ?",
            "kind": "single",
            "feedback": "La commune, représentée par le maire.",
            "choices": [{"text": "La commune", "correct": True}, {"text": "L'agent", "correct": False}],
        },
        {
            "prompt": "Quelles données peut-on collecter ?",
            "kind": "multiple",
            "feedback": "Seulement le nécessaire.",
            "choices": [
                {"text": "Le nom", "correct": True},
                {"text": "L'adresse", "correct": True},
                {"text": "La religion", "correct": False},
            ],
        },
    ],
}

CONTENT = {
    "tracks": [
        {
            "slug": "numerique",
            "title": "Le numérique au quotidien des agents",
            "audience": "agents",
            "intro": "<p>Parcours agents.</p>",
            "courses": [
                {
                    "slug": "rgpd",
                    "title": "Protéger les données des usagers",
                    "summary": "Les bases du RGPD.",
                    "duration_minutes": 30,
                    "competences": [{"code": "4.2", "level": 3}, {"code": "4.1", "level": 2}],
                    "lessons": [
                        {
                            "slug": "bases",
                            "title": "Les bases",
                            "body_html": "<p>Le RGPD protège.</p>",
                            "quiz": None,
                        },
                        {"slug": "quiz", "title": "Vérifier", "body_html": "<p>À vous.</p>", "quiz": QUIZ},
                    ],
                },
                {
                    "slug": "messagerie",
                    "title": "Messagerie",
                    "summary": "Hameçonnage.",
                    "duration_minutes": 20,
                    "competences": [{"code": "2.1", "level": 2}],
                    "lessons": [
                        {"slug": "mails", "title": "Les mails", "body_html": "<p>Prudence.</p>", "quiz": None}
                    ],
                },
            ],
        }
    ]
}


@pytest.fixture(autouse=True)
def _broker_reachable():
    """Each test starts with a process that has not seen the broker fail (``lms.broker``)."""
    from lms import broker

    broker.forget_failure()
    yield
    broker.forget_failure()


@pytest.fixture
def frameworks(db):
    return load_shipped_frameworks()


@pytest.fixture
def catalogue(frameworks):
    _wagtail_root()
    return build_catalogue(CONTENT)


def _wagtail_root():
    """Wagtail's root page and default locale, as its migrations create them.

    A transactional test (``transaction=True``) empties every table when it ends, these rows included; a later
    test building pages then finds no root. Recreated only when missing.
    """
    from django.conf import settings
    from wagtail.coreutils import get_supported_content_language_variant
    from wagtail.models import Locale, Page

    if Page.objects.exists():
        return
    Locale.objects.get_or_create(language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE))
    Page.add_root(instance=Page(title="Root", slug="root"))


@pytest.fixture
def quiz_lesson(catalogue) -> LessonPage:
    return LessonPage.objects.get(slug="quiz")


@pytest.fixture
def first_lesson(catalogue) -> LessonPage:
    return LessonPage.objects.get(slug="bases")


def make_user(username, collectivity=None, role=None):
    user = get_user_model().objects.create_user(
        username=username, password=PASSWORD, email=f"{username}@example.org"
    )
    if collectivity is not None:
        add_membership(user, collectivity, role)
    return user


@pytest.fixture
def commune(db):
    return Collectivity.objects.create(name="Commune de Valmont", slug="valmont", kind="commune")


@pytest.fixture
def other_commune(db):
    return Collectivity.objects.create(name="Commune de Saint-Aubin", slug="saint-aubin", kind="commune")


@pytest.fixture
def agent(commune):
    return make_user("camille", commune, Membership.Role.AGENT)


@pytest.fixture
def hr_manager(commune):
    return make_user("rh.valmont", commune, Membership.Role.HR_MANAGER)


@pytest.fixture
def other_hr_manager(other_commune):
    return make_user("rh.saintaubin", other_commune, Membership.Role.HR_MANAGER)


def right_answers(lesson: LessonPage) -> dict:
    """Form data answering every question of the lesson's first quiz right."""
    block = lesson.quiz_blocks()[0]
    data = {"quiz_block": block.id}
    for index, question in enumerate(block.value["questions"]):
        data[f"quiz-{block.id}-q{index}"] = [
            str(i) for i, c in enumerate(question["choices"]) if c["correct"]
        ]
    return data


def wrong_answers(lesson: LessonPage) -> dict:
    block = lesson.quiz_blocks()[0]
    data = {"quiz_block": block.id}
    for index, question in enumerate(block.value["questions"]):
        data[f"quiz-{block.id}-q{index}"] = [
            next(str(i) for i, c in enumerate(question["choices"]) if not c["correct"])
        ]
    return data
