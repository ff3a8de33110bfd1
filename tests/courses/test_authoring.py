"""An editor builds a course with a quiz through the Wagtail admin's page forms, without help."""

import html

import pytest
from django.urls import reverse
from django.utils import translation
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from competences.models import Competence
from courses.blocks import VALIDATION_RULE_HELP
from courses.models import CoursePage, LessonPage, TrackPage
from lms.models import AssessmentAttempt, Statement
from lms.xapi import vocabulary as v

pytestmark = pytest.mark.django_db


def _list(items):
    data = {str(i): {"value": item, "deleted": "", "order": str(i), "id": ""} for i, item in enumerate(items)}
    data["count"] = str(len(items))
    return data


def _question(prompt, kind, choices=(), **extra):
    value = {
        "prompt": prompt,
        "kind": kind,
        "choices": _list(
            [
                dict({"text": text, "feedback": ""}, **({"correct": "on"} if ok else {}))
                for text, ok in choices
            ]
        ),
        "pairs": _list(extra.pop("pairs", [])),
        "accepted_answers": _list(extra.pop("accepted", [])),
        "feedback": "",
        "competence": extra.pop("competence", ""),
        "level": extra.pop("level", ""),
    }
    value.update(extra)
    return value


@pytest.fixture
def editor_client(client, django_user_model):
    editor = django_user_model.objects.create_superuser("editor", "editor@example.org", "pw")
    client.force_login(editor)
    return client


def _add(client, model, parent, data):
    url = reverse("wagtailadmin_pages:add", args=("lms_courses", model, parent.pk))
    return client.post(url, {**data, "action-publish": "publish"})


def _build_course(editor_client, catalogue):
    track = TrackPage.objects.get(slug="numerique")
    competence = Competence.objects.get(framework__slug="crcn", code="4.2")
    response = _add(
        editor_client,
        "coursepage",
        track,
        nested_form_data(
            {
                "title": "Sécuriser son poste",
                "slug": "securiser-son-poste",
                "summary": "Verrouiller, sauvegarder, mettre à jour.",
                "duration_minutes": "20",
                "level": "discovery",
                "for_agents": "on",
                "competence_mappings": inline_formset([{"competence": str(competence.pk), "level": "3"}]),
            }
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    course = CoursePage.objects.get(slug="securiser-son-poste")
    quiz = {
        "title": "Vérifier ses réflexes",
        "mastery_threshold": "80",
        "max_attempts": "0",
        "questions": _list(
            [
                _question(
                    "Que faire en quittant son poste ?",
                    "single",
                    [("Le verrouiller", True), ("Rien", False)],
                    competence=competence.uri,
                    level="3",
                ),
                _question(
                    "Un mot de passe se partage entre collègues.",
                    "true_false",
                    competence=competence.uri,
                    level="3",
                ),
                _question("Quel raccourci verrouille Windows ?", "short_text", accepted=["Windows + L"]),
            ]
        ),
    }
    response = _add(
        editor_client,
        "lessonpage",
        course,
        nested_form_data(
            {
                "title": "Les bons réflexes",
                "slug": "bons-reflexes",
                "body": streamfield(
                    [
                        ("text", rich_text("<p>Verrouillez votre poste.</p>")),
                        ("callout", {"kind": "tip", "text": rich_text("<p>Windows + L.</p>")}),
                        ("quiz", quiz),
                    ]
                ),
            }
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    return course, LessonPage.objects.get(slug="bons-reflexes")


def test_editor_builds_a_course_with_a_quiz_through_the_admin_forms(editor_client, catalogue):
    _course, lesson = _build_course(editor_client, catalogue)
    kinds = [q["kind"] for q in lesson.quiz_blocks()[0].value["questions"]]
    assert kinds == ["single", "true_false", "short_text"]


def test_a_single_choice_question_without_a_correct_answer_is_refused_in_the_admin(editor_client, catalogue):
    track = TrackPage.objects.get(slug="numerique")
    course = CoursePage.objects.child_of(track).first()
    quiz = {
        "title": "Q",
        "mastery_threshold": "80",
        "max_attempts": "0",
        "questions": _list([_question("Q ?", "single", [("a", False), ("b", False)])]),
    }
    response = _add(
        editor_client,
        "lessonpage",
        course,
        nested_form_data({"title": "L", "slug": "l", "body": streamfield([("quiz", quiz)])}),
    )
    assert response.status_code == 200 and not LessonPage.objects.filter(slug="l").exists()


def _image():
    from wagtail.images import get_image_model
    from wagtail.images.tests.utils import get_test_image_file

    return get_image_model().objects.create(title="Poste", file=get_test_image_file())


def test_an_image_without_alternative_text_is_refused(editor_client, catalogue):
    course = CoursePage.objects.first()
    image = _image()
    data = {
        "title": "Img",
        "slug": "img",
        "body": streamfield([("image", {"image": str(image.pk), "alt": ""})]),
    }
    response = _add(editor_client, "lessonpage", course, nested_form_data(data))
    assert response.status_code == 200 and not LessonPage.objects.filter(slug="img").exists()


def test_an_image_with_alternative_text_is_shown_at_the_displayed_size(editor_client, catalogue, client):
    course = CoursePage.objects.get(slug="rgpd")
    image = _image()
    data = {
        "title": "Img",
        "slug": "img",
        "body": streamfield(
            [("image", {"image": str(image.pk), "alt": "Un poste verrouillé", "caption": ""})]
        ),
    }
    assert _add(editor_client, "lessonpage", course, nested_form_data(data)).status_code == 302
    page = editor_client.get(LessonPage.objects.get(slug="img").url).content.decode()
    assert 'alt="Un poste verrouillé"' in page and 'loading="lazy"' in page


def test_editor_sees_the_validation_rule_on_the_course_form(editor_client, catalogue):
    track = TrackPage.objects.get(slug="numerique")
    url = reverse("wagtailadmin_pages:add", args=("lms_courses", "coursepage", track.pk))
    page = html.unescape(editor_client.get(url).content.decode())
    with translation.override("fr"):
        assert str(VALIDATION_RULE_HELP) in page
    with translation.override("en"):
        rule = str(VALIDATION_RULE_HELP)
    assert "level 3 of 4.2 is validated when at least 80 % of its level-3 questions are right" in rule


def test_editor_previews_a_lesson(editor_client, catalogue):
    lesson = LessonPage.objects.get(slug="bases")
    url = reverse("wagtailadmin_pages:preview_on_edit", args=(lesson.pk,))
    data = nested_form_data(
        {"title": "Aperçu", "slug": "bases", "body": streamfield([("text", rich_text("<p>Brouillon</p>"))])}
    )
    assert editor_client.post(url, data).json()["is_valid"]
    assert "Brouillon" in editor_client.get(url).content.decode()


def test_an_agent_completes_the_course_built_in_the_admin_and_validates_its_mapped_level(
    editor_client, catalogue, agent, client
):
    _course, lesson = _build_course(editor_client, catalogue)
    client.force_login(agent)
    block = lesson.quiz_blocks()[0]
    answers = {"action": "quiz", "quiz_block": block.id}
    answers.update(
        {f"quiz-{block.id}-q0": "0", f"quiz-{block.id}-q1": "false", f"quiz-{block.id}-q2": "windows+l"}
    )
    answers[f"quiz-{block.id}-q2"] = "  windows + l "
    assert client.post(lesson.url, answers).status_code == 303
    assert AssessmentAttempt.objects.get().passed
    statement = Statement.objects.get(verb=v.PASSED.id).data
    assert statement["context"]["extensions"][v.EXT_VALIDATED_LEVELS] == [
        {"competence": Competence.objects.get(framework__slug="crcn", code="4.2").uri, "level": 3}
    ]
