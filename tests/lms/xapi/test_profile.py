"""Every statement Tremplin emits is valid xAPI and matches exactly one template of its documented profile.

The statements are produced for real, by every emitter: a learner's journey through the course pages
(self-enrolment, lessons, self-assessment before and after, an external activity launched, a quiz failed then
passed, completion), an HR manager's assignments through the admin (to a person with a due date, to a job
profile and to a service without one) and a Pix Orga import. Each must match exactly one Statement Template of
``docs/xapi-profile.jsonld`` and every template must be used, so that the profile, its documentation and the
code cannot drift apart.
"""

import copy
import json
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from jsonschema import Draft202012Validator

from competences.models import JobProfile
from competences.services import load_shipped_frameworks
from courses import services
from courses.models import CoursePage, LessonPage
from lms.conf import lms_settings
from lms.demo.services import build_catalogue
from lms.imports.pix import import_profiles_collection
from lms.models import Collectivity, Membership, Service, Statement
from lms.services.organisations import learner_for
from lms.xapi import vocabulary as v
from lms.xapi.validation import validate_statement
from tests.conftest import CONTENT, PASSWORD, QUIZ, _wagtail_root, make_user, right_answers, wrong_answers

from .profile_matcher import (
    CONTEXT_ACTIVITY_KEYS,
    activity_types,
    agents,
    concepts_by_type,
    determined_templates,
    load_profile,
    matching_templates,
    problems,
)

# Statements are produced once for the module (``produced``); the mark sets up pytest-django's test database.
pytestmark = pytest.mark.django_db

PIX_SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "pix_collecte_profils.csv"
DOC = Path(__file__).resolve().parents[3] / "docs" / "xapi-profile.md"
#: What the xAPI Profiles spec requires of a profile, and the types of its concepts and templates.
PROFILE_KEYS = ("@context", "id", "type", "conformsTo", "prefLabel", "definition", "versions", "author")
ITEM_TYPES = {"Verb", "ActivityType", "ContextExtension", "StatementTemplate"}


def _content() -> dict:
    """The test catalogue, with a self-assessment before (first lesson) and after (quiz lesson) in its RGPD
    course, and a course mapped to no competence, whose statements carry no objective."""
    content = copy.deepcopy(CONTENT)
    courses = content["tracks"][0]["courses"]
    courses[0]["lessons"][0]["self_assessment"] = "before"
    courses[0]["lessons"][1]["self_assessment"] = "after"
    courses.append(
        {
            "slug": "accueil",
            "title": "Accueillir les usagers",
            "summary": "Sans compétence associée.",
            "duration_minutes": 10,
            "competences": [],
            "lessons": [
                {"slug": "accueil-quiz", "title": "Quiz", "body_html": "<p>Bonjour.</p>", "quiz": QUIZ}
            ],
        }
    )
    return content


def _self_assessment(lesson: LessonPage, course: CoursePage, level: str) -> dict:
    block = lesson.self_assessment_blocks()[0]
    data = {"action": "self_assessment", "self_assessment_block": block.id}
    for mapping in course.competence_mappings.all():
        data[services.self_assessment_field(block.id, mapping.competence_id)] = level
    return data


def _learner_journey(client, agent) -> None:
    """Enrol by opening a lesson, self-assess, launch an activity, fail then pass the quiz, self-assess again;
    then pass the quiz of a course mapped to no competence (enrolment by the quiz itself)."""
    course = CoursePage.objects.get(slug="rgpd")
    first, quiz = LessonPage.objects.get(slug="bases"), LessonPage.objects.get(slug="quiz")
    first.body.append(("external_activity", {"title": "Jeu", "description": "", "url": "/jeu/index.html"}))
    first.save_revision().publish()
    first.refresh_from_db()
    client.post("/compte/login/", {"username": agent.username, "password": PASSWORD})
    client.get(first.url)
    client.post(first.url, _self_assessment(first, course, "0"))
    client.post(first.url, {"action": "launch", "block": first.external_blocks()[0].id})
    client.post(quiz.url, wrong_answers(quiz))
    client.post(quiz.url, right_answers(quiz))
    client.post(quiz.url, _self_assessment(quiz, course, "3"))
    unmapped = LessonPage.objects.get(slug="accueil-quiz")
    client.post(unmapped.url, right_answers(unmapped))
    client.logout()


def _hr_assignments(client, commune, hr_manager) -> None:
    """An HR manager assigns a course to a person with a due date, to a job profile and to a service."""
    person = make_user("dominique", commune, Membership.Role.AGENT)
    job_profile = JobProfile.objects.create(name="Agent d'accueil", slug="accueil")
    Membership.objects.filter(user=make_user("alix", commune, Membership.Role.AGENT)).update(
        job_profile=job_profile
    )
    service = Service.objects.create(collectivity=commune, name="Accueil")
    Membership.objects.filter(user=make_user("sacha", commune, Membership.Role.AGENT)).update(service=service)
    client.force_login(hr_manager)
    url = reverse("lms_courses_assign")
    rgpd, mail = CoursePage.objects.get(slug="rgpd"), CoursePage.objects.get(slug="messagerie")
    assign = {"course": rgpd.pk, "collectivity": commune.pk}
    client.post(url, {**assign, "learners": [person.pk], "due_date": "2026-12-31"})
    client.post(url, {**assign, "job_profile": job_profile.pk})
    client.post(url, {"course": mail.pk, "collectivity": commune.pk, "service": service.pk})
    client.logout()


@dataclass(frozen=True)
class Produced:
    """What the emitters stored: the statements by emitter, and the HR manager's pseudonym."""

    by_emitter: dict[str, list[dict]]
    hr_manager_actor_name: str


def _emit_everything() -> Produced:
    load_shipped_frameworks()
    _wagtail_root()
    build_catalogue(_content())
    commune = Collectivity.objects.create(name="Commune de Valmont", slug="valmont", kind="commune")
    agent = make_user("camille", commune, Membership.Role.AGENT)
    hr_manager = make_user("rh.valmont", commune, Membership.Role.HR_MANAGER)
    by_emitter, seen = {}, 0
    for name, emit in (
        ("learner journey", lambda: _learner_journey(Client(), agent)),
        ("HR assignment", lambda: _hr_assignments(Client(), commune, hr_manager)),
        ("Pix import", lambda: import_profiles_collection(PIX_SAMPLE.read_bytes(), commune)),
    ):
        emit()
        batch = list(Statement.objects.filter(seq__gt=seen).order_by("seq"))
        by_emitter[name] = [row.data for row in batch]
        seen = batch[-1].seq if batch else seen
    return Produced(by_emitter, str(learner_for(hr_manager).actor_name))


@pytest.fixture(scope="module")
def produced(django_db_setup, django_db_blocker) -> Produced:
    """Run every emitter once for the module, keep the statements they stored, roll the database back."""
    with django_db_blocker.unblock(), transaction.atomic():
        produced = _emit_everything()
        transaction.set_rollback(True)
    return produced


@pytest.fixture(scope="module")
def emitted(produced) -> dict[str, list[dict]]:
    """The statements each emitter stored, by emitter, as the LRS stores them."""
    return produced.by_emitter


@pytest.fixture(scope="module")
def statements(emitted) -> list[dict]:
    return [statement for batch in emitted.values() for statement in batch]


@pytest.fixture(scope="module")
def profile() -> dict:
    return load_profile()


@pytest.fixture(scope="module")
def concepts(profile) -> dict[str, dict[str, dict]]:
    return concepts_by_type(profile)


def _label(statement: dict) -> str:
    return f"{statement['verb']['id'].rsplit('/', 1)[1]} {statement['object']['id']}"


# What the emitters produce ----------------------------------------------------------------------------


def test_each_emitter_emits_the_verbs_the_profile_documents_for_it(emitted):
    verbs = {
        name: sorted({s["verb"]["id"].rsplit("/", 1)[1] for s in batch}) for name, batch in emitted.items()
    }
    assert verbs == {
        "learner journey": [
            "answered",
            "completed",
            "experienced",
            "failed",
            "launched",
            "passed",
            "registered",
        ],
        "HR assignment": ["registered"],
        "Pix import": ["passed"],
    }


def test_every_emitted_statement_is_valid_xapi(statements):
    for statement in statements:
        validate_statement(dict(statement))


def test_every_emitted_statement_matches_exactly_one_template(statements, profile):
    unmatched = {}
    for statement in statements:
        if len(matching_templates(statement, profile)) != 1:
            unmatched[_label(statement)] = {t["id"]: problems(statement, t) for t in profile["templates"]}
    assert unmatched == {}


def test_every_template_whose_determining_properties_a_statement_has_is_the_one_it_follows(
    statements, profile
):
    # The spec: a statement with a template's determining properties MUST follow that template's rules.
    broken = {
        _label(s): determined_templates(s, profile)
        for s in statements
        if determined_templates(s, profile) != matching_templates(s, profile)
    }
    assert broken == {}


def test_every_template_of_the_profile_is_used_by_an_emitted_statement(statements, profile):
    used = {template for statement in statements for template in matching_templates(statement, profile)}
    assert used == {template["id"] for template in profile["templates"]}


def test_every_extension_a_statement_carries_is_named_by_its_template(statements, profile):
    templates = {t["id"]: t for t in profile["templates"]}
    undocumented = set()
    for statement in statements:
        for template_id in matching_templates(statement, profile):
            named = " ".join(
                rule["location"]
                for rule in templates[template_id]["rules"]
                if rule.get("presence") != "excluded"
            )
            extensions = (statement.get("context") or {}).get("extensions") or {}
            undocumented |= {(template_id, key) for key in extensions if f"['{key}']" not in named}
    assert undocumented == set()


def test_every_extension_emitted_is_a_context_extension_of_the_profile_and_follows_its_schema(
    statements, concepts
):
    declared = concepts["ContextExtension"]
    wrong = []
    for statement in statements:
        for key, value in ((statement.get("context") or {}).get("extensions") or {}).items():
            if key not in declared:
                wrong.append((_label(statement), key, "not in the profile"))
                continue
            errors = Draft202012Validator(json.loads(declared[key]["inlineSchema"])).iter_errors(value)
            wrong += [(_label(statement), key, error.message) for error in errors]
        if (statement.get("result") or {}).get("extensions") or statement["object"]["definition"].get(
            "extensions"
        ):
            wrong.append((_label(statement), "result or activity extensions", "not in the profile"))
    assert wrong == []


def test_the_profile_has_a_concept_for_every_verb_activity_type_and_extension_emitted_and_no_other(
    statements, concepts
):
    used = set()
    for statement in statements:
        used |= {statement["verb"]["id"], *activity_types(statement)}
        used |= set((statement.get("context") or {}).get("extensions") or {})
    assert used == {concept_id for by_id in concepts.values() for concept_id in by_id}


def test_every_actor_and_instructor_is_a_pseudonymous_account_on_the_platforms_home_page(statements):
    not_accounts = []
    for statement in statements:
        for agent in agents(statement):
            account = agent.get("account") or {}
            if (
                set(agent) != {"objectType", "account"}
                or set(account) != {"homePage", "name"}
                or account["homePage"] != lms_settings.SITE_URL
                or uuid.UUID(account["name"]).version != 4
            ):
                not_accounts.append((_label(statement), agent))
    assert not_accounts == []


def test_no_emitted_statement_names_a_mailbox(statements):
    assert not [s for s in statements if any(ifi in json.dumps(s) for ifi in ('"mbox', '"openid"'))]


def test_assignments_name_the_hr_manager_as_instructor_and_self_enrolments_name_no_one(produced):
    registrations = {
        (
            context["extensions"][v.EXT_ENROLMENT_KIND],
            (context.get("instructor") or {}).get("account", {}).get("name"),
            context["extensions"].get(v.EXT_DUE_DATE),
        )
        for statement in produced.by_emitter["learner journey"] + produced.by_emitter["HR assignment"]
        if statement["verb"]["id"] == v.REGISTERED.id
        for context in [statement["context"]]
    }
    manager = produced.hr_manager_actor_name
    assert registrations == {
        ("self", None, None),
        ("person", manager, "2026-12-31"),
        ("job_profile", manager, None),
        ("service", manager, None),
    }


# Displays ---------------------------------------------------------------------------------------------


def test_every_verb_display_is_in_french_and_english_as_the_profile_labels_it(statements, concepts):
    verbs = concepts["Verb"]
    wrong = {
        (s["verb"]["id"], json.dumps(s["verb"]["display"], ensure_ascii=False))
        for s in statements
        if set(s["verb"]["display"]) != {"fr-FR", "en-US"}
        or s["verb"]["display"] != verbs[s["verb"]["id"]]["prefLabel"]
    }
    assert wrong == set()


def test_the_profile_labels_verbs_and_activity_types_with_the_vocabularys_displays(concepts):
    terms = {term.id: term.display for term in vars(v).values() if isinstance(term, v.Term)}
    labels = {
        concept_id: c["prefLabel"]
        for kind in ("Verb", "ActivityType")
        for concept_id, c in concepts[kind].items()
    }
    assert labels == {concept_id: terms.get(concept_id) for concept_id in labels}


def test_activity_names_are_the_french_titles_of_the_content(statements):
    # Documented: the catalogue is French only, so activity names carry fr-FR only (verbs carry both).
    languages = set()
    for statement in statements:
        context_activities = (statement.get("context") or {}).get("contextActivities") or {}
        activities = [statement["object"], *(a for key in context_activities.values() for a in key)]
        languages |= {tuple(sorted(a["definition"]["name"])) for a in activities if "definition" in a}
    assert languages == {("fr-FR",)}


# The profile document itself --------------------------------------------------------------------------


def _empty_values(value, path="$") -> list[str]:
    if value in (None, "", [], {}):
        return [path]
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in _empty_values(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in _empty_values(item, f"{path}[{index}]")]
    return []


def test_the_profile_has_the_properties_the_xapi_profiles_spec_requires(profile):
    version = profile["versions"][0]["id"]
    missing = [key for key in PROFILE_KEYS if key not in profile] + _empty_values(profile)
    for item in profile["concepts"] + profile["templates"]:
        missing += [f"{item['id']} {key}" for key in ("prefLabel", "definition") if key not in item]
        if item.get("inScheme") != version or item.get("type") not in ITEM_TYPES:
            missing.append(f"{item['id']} inScheme or type")
    for template in profile["templates"]:
        for rule in template["rules"]:
            if (
                not rule["location"].startswith("$.")
                or not {"presence", "any", "all", "none"} & set(rule)
                or rule.get("presence", "included") not in ("included", "excluded", "recommended")
            ):
                missing.append(f"{template['id']} {rule}")
    assert missing == []


def test_the_profile_identifiers_are_unique(profile):
    ids = [item["id"] for item in profile["versions"] + profile["concepts"] + profile["templates"]]
    assert len(ids) == len(set(ids))


def test_every_template_refers_to_concepts_of_the_profile(profile, concepts):
    unknown = []
    for template in profile["templates"]:
        if template["verb"] not in concepts["Verb"]:
            unknown.append(template["verb"])
        types = [template["objectActivityType"]]
        types += [
            t for key in CONTEXT_ACTIVITY_KEYS for t in template.get(f"context{key.title()}ActivityType", ())
        ]
        unknown += [t for t in types if t not in concepts["ActivityType"]]
    assert unknown == []


def test_every_extension_schema_is_a_valid_json_schema(concepts):
    for extension in concepts["ContextExtension"].values():
        Draft202012Validator.check_schema(json.loads(extension["inlineSchema"]))


def test_the_documentation_names_every_template_and_concept_of_the_profile(profile):
    doc = DOC.read_text()
    names = [t["id"].removeprefix(v.PROFILE_ID + "/") for t in profile["templates"]]
    names += [c["id"].removeprefix(v.PROFILE_ID + "/") for c in profile["concepts"]]
    assert [name for name in names if f"`{name}`" not in doc] == []
