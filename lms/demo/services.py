"""Demo data: frameworks, the course catalogue, collectivities, their services, people and a year of activity.

Every step is idempotent: a second run reuses what exists and adds nothing twice.
"""

import json
import math
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone
from wagtail.models import Page, Site

from competences.models import Competence, JobProfile
from competences.services import load_job_profiles, load_shipped_frameworks
from courses import grading
from courses import services as course_services
from courses.models import CataloguePage, CourseCompetence, CoursePage, LessonPage, TrackPage
from lms.analytics import services as analytics
from lms.models import Collectivity, Enrolment, Membership, Service
from lms.services.organisations import add_membership, grant_sharing

CONTENT_FILE = Path(__file__).resolve().parent / "content.json"
#: Demo only: every demo account has this password (printed by ``lms_demo`` and listed in the README).
DEMO_PASSWORD = "tremplin-demo-2026"
BLOCK_NAMESPACE = uuid.UUID("1b1f7c2e-6a57-4a8e-9a39-9b1c8c1f0d42")


@dataclass(frozen=True)
class DemoCollectivity:
    slug: str
    name: str
    kind: str
    population: int
    prefix: str
    agents: int
    elected: int
    services: tuple[str, ...] = ()  # agents are spread over them in turn


COLLECTIVITIES = [
    # A commune of 8,200 inhabitants with a realistic staff (about one agent per hundred inhabitants) and its
    # municipal council's officials in training: enough learners for its HR to see most months' figures
    # (a month's figures show from LMS_MIN_GROUP_SIZE active learners), 24 agents in each service.
    DemoCollectivity(
        "valmont-sur-loire",
        "Commune de Valmont-sur-Loire",
        "commune",
        8200,
        "valmont",
        72,
        10,
        ("Accueil", "État civil", "Services techniques"),
    ),
    DemoCollectivity(
        "cc-val-de-loire",
        "Communauté de communes du Val de Loire",
        "epci",
        41000,
        "ccvl",
        12,
        5,
        ("Accueil", "Services techniques"),
    ),
    # Services of four agents: their figures are hidden (fewer than LMS_MIN_GROUP_SIZE), as HR will see.
    DemoCollectivity(
        "saint-aubin-les-pres",
        "Commune de Saint-Aubin-les-Prés",
        "commune",
        2300,
        "saintaubin",
        8,
        4,
        ("Secrétariat de mairie", "Services techniques"),
    ),
    # Intercommunalités of the Val de Loire's kind and size band (10,000 to 50,000 inhabitants, see
    # lms.analytics.consolidation.similar_collectivities): with three of them (MIN_BENCHMARK_PEERS), the
    # Val de Loire's HR sees the anonymous benchmark. Six agents each: every one's figures show.
    DemoCollectivity(
        "cc-coteaux-de-brenne",
        "Communauté de communes des Coteaux de Brenne",
        "epci",
        18500,
        "brenne",
        6,
        0,
        ("Accueil",),
    ),
    DemoCollectivity(
        "cc-rives-du-cher",
        "Communauté de communes des Rives du Cher",
        "epci",
        27000,
        "cher",
        6,
        0,
        ("Accueil",),
    ),
    DemoCollectivity(
        "cc-plateau-de-sologne",
        "Communauté de communes du Plateau de Sologne",
        "epci",
        33500,
        "sologne",
        6,
        0,
        ("Services techniques",),
    ),
]
#: Months of synthetic activity: the dashboards' window (``LMS_DASHBOARD_MONTHS``), up to today.
DEMO_MONTHS = 12
#: How much more learning starts in the last days of the year than in its first (the growth HR sees).
GROWTH = 4
#: Member communes of each EPCI; each one consents to its EPCI's consolidated view (AggregateSharing).
EPCI_MEMBERS = {"cc-val-de-loire": ["valmont-sur-loire", "saint-aubin-les-pres"]}
CRCN_2019 = "https://w3id.org/tremplin/frameworks/crcn/2019"
#: Job profiles of the demo, shared like the shipped ones (``competences/data/job-profiles.json``), whose
#: targets are competences the agents' courses develop: the gaps panel and « Mon parcours » list them.
DEMO_JOB_PROFILES = {
    "job_profiles": [
        {
            "slug": "officier-etat-civil",
            "name": "Officier d'état civil",
            "description": "Exemple de la démo : tenir les registres et délivrer les actes, en ligne "
            "comme au guichet, en protégeant les données des usagers.",
            "targets": [
                {"framework": CRCN_2019, "code": "4.1", "level": 3},
                {"framework": CRCN_2019, "code": "4.2", "level": 3},
            ],
        },
        {
            "slug": "agent-services-techniques",
            "name": "Agent des services techniques",
            "description": "Exemple de la démo : échanger par messagerie avec les services et les "
            "prestataires sans se faire piéger.",
            "targets": [
                {"framework": CRCN_2019, "code": "2.1", "level": 2},
                {"framework": CRCN_2019, "code": "4.1", "level": 3},
            ],
        },
    ]
}
#: The job profile of the agents of each service (by service name, in every demo collectivity).
SERVICE_JOB_PROFILES = {
    "Accueil": "agent-accueil-france-services",
    "État civil": "officier-etat-civil",
    "Services techniques": "agent-services-techniques",
}


def load_content() -> dict:
    return json.loads(CONTENT_FILE.read_text(encoding="utf-8"))


def _child(parent: Page, model, slug: str, **fields):
    existing = model.objects.child_of(parent).filter(slug=slug).first()
    if existing:
        return existing, False
    page = model(slug=slug, **fields)
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page, True


def _block_id(lesson: dict, name: str) -> str:
    return str(uuid.uuid5(BLOCK_NAMESPACE, lesson["slug"] + "/" + name))


def _question(question: dict, competences: dict) -> dict:
    """A question of ``content.json`` as a :class:`~courses.blocks.QuestionBlock` value (any kind)."""
    return {
        "prompt": question["prompt"],
        "kind": question["kind"],
        "feedback": question.get("feedback", ""),
        "choices": [
            {"text": c["text"], "correct": c.get("correct", False), "feedback": c.get("feedback", "")}
            for c in question.get("choices", [])
        ],
        "statement_is_true": question.get("statement_is_true", False),
        "pairs": question.get("pairs", []),
        "accepted_answers": question.get("accepted_answers", []),
        "competence": competences[question["competence"]].uri if question.get("competence") else "",
        "level": question.get("level"),
    }


def _lesson_body(lesson: dict, competences: dict | None = None) -> str:
    """A lesson's StreamField JSON: self-assessment before, text, callouts, quiz, self-assessment after."""
    blocks = []
    moments = lesson.get("self_assessment") or []
    if isinstance(moments, str):
        moments = [moments]
    if "before" in moments:
        blocks.append(
            {
                "type": "self_assessment",
                "id": _block_id(lesson, "self-before"),
                "value": {
                    "title": "Où en êtes-vous ?",
                    "moment": "before",
                    "intro": "Avant de commencer, situez-vous sur chaque compétence de la formation. "
                    "Ce positionnement n’est pas noté.",
                },
            }
        )
    blocks.append({"type": "text", "value": lesson["body_html"], "id": _block_id(lesson, "text")})
    for number, callout in enumerate(lesson.get("callouts", [])):
        blocks.append(
            {
                "type": "callout",
                "id": _block_id(lesson, f"callout-{number}"),
                "value": {"kind": callout.get("kind", "info"), "text": callout["html"]},
            }
        )
    quiz = lesson.get("quiz")
    if quiz:
        blocks.append(
            {
                "type": "quiz",
                "id": _block_id(lesson, "quiz"),
                "value": {
                    "title": quiz["title"],
                    "mastery_threshold": quiz["mastery_threshold"],
                    "shuffle": quiz.get("shuffle", False),
                    "max_attempts": quiz.get("max_attempts", 0),
                    "questions": [_question(q, competences or {}) for q in quiz["questions"]],
                },
            }
        )
    if "after" in moments:
        blocks.append(
            {
                "type": "self_assessment",
                "id": _block_id(lesson, "self-after"),
                "value": {
                    "title": "Et maintenant ?",
                    "moment": "after",
                    "intro": "Après la formation, situez-vous de nouveau : vous verrez le chemin parcouru "
                    "dans « Mon parcours ».",
                },
            }
        )
    return json.dumps(blocks)


@transaction.atomic
def build_catalogue(content: dict) -> CataloguePage:
    """Create the tracks, courses and lessons of ``content`` under a catalogue that becomes the home page."""
    root = Page.get_first_root_node()
    catalogue, _ = _child(
        root,
        CataloguePage,
        "catalogue",
        title="Tremplin — se former au numérique",
        intro="<p>Des parcours courts et gratuits pour les agents, les élus et les habitants.</p>",
    )
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname="localhost", root_page=catalogue, is_default_site=True, site_name="Tremplin"
        )
    elif site.root_page_id != catalogue.pk:
        site.root_page = catalogue
        site.site_name = "Tremplin"
        site.save()
    competences = {c.code: c for c in Competence.objects.filter(framework__slug="crcn")}
    courses_by_slug = {}
    for track_data in content["tracks"]:
        track, _ = _child(
            catalogue,
            TrackPage,
            track_data["slug"],
            title=track_data["title"],
            audience=track_data["audience"],
            intro=track_data["intro"],
        )
        for course_data in track_data["courses"]:
            course, created = _child(
                track,
                CoursePage,
                course_data["slug"],
                title=course_data["title"],
                summary=course_data["summary"],
                duration_minutes=course_data["duration_minutes"],
                level=course_data.get("level", "discovery"),
                for_agents=track_data["audience"] == "agents",
                for_elected=track_data["audience"] == "elected",
                for_public=track_data["audience"] == "public",
                open_access=course_data.get("open_access", track_data["audience"] == "public"),
            )
            if created:
                for order, mapping in enumerate(course_data["competences"]):
                    CourseCompetence.objects.create(
                        page=course,
                        competence=competences[mapping["code"]],
                        level=mapping["level"],
                        sort_order=order,
                    )
            for lesson_data in course_data["lessons"]:
                _child(
                    course,
                    LessonPage,
                    lesson_data["slug"],
                    title=lesson_data["title"],
                    body=_lesson_body(lesson_data, competences),
                )
            courses_by_slug[course_data["slug"]] = (course, course_data)
    for course, course_data in courses_by_slug.values():
        wanted = [courses_by_slug[slug][0] for slug in course_data.get("prerequisites", [])]
        if wanted and set(course.prerequisites.all()) != set(wanted):
            course.prerequisites.set(wanted)
            course.save_revision().publish()
    return catalogue


def _user(username: str, first_name: str, last_name: str, **extra):
    user, created = get_user_model().objects.get_or_create(
        username=username,
        defaults={
            "first_name": first_name,
            "last_name": last_name,
            "email": f"{username}@demo.invalid",
            **extra,
        },
    )
    if created:
        user.password = _demo_password_hash()
        user.save()
    return user


@cache
def _demo_password_hash() -> str:
    """One hash for every demo account: they share a published password, and hashing it for each of
    them was most of the demo's loading time."""
    return make_password(DEMO_PASSWORD)


FIRST_NAMES = [
    "Camille",
    "Dominique",
    "Claude",
    "Alix",
    "Sacha",
    "Morgan",
    "Charlie",
    "Lou",
    "Eden",
    "Noa",
    "Maël",
    "Andrea",
    "Louison",
    "Gaby",
    "Jules",
    "Ange",
    "Sasha",
    "Yaël",
]
LAST_NAMES = [
    "Martin",
    "Bernard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefebvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
]


@transaction.atomic
def build_people() -> dict[str, list]:
    """Create the demo collectivities and their people; return the demo learners by collectivity slug."""
    admin = _user("admin", "Alex", "Admin", is_staff=True, is_superuser=True)
    if not admin.is_superuser:
        admin.is_superuser = admin.is_staff = True
        admin.save()
    collectivities = {}
    for spec in COLLECTIVITIES:
        collectivities[spec.slug], _ = Collectivity.objects.update_or_create(
            slug=spec.slug, defaults={"name": spec.name, "kind": spec.kind, "population": spec.population}
        )
    managers = {
        spec.slug: add_membership(
            _user(f"rh.{spec.prefix}", "Responsable", "RH"),
            collectivities[spec.slug],
            Membership.Role.HR_MANAGER,
        ).user
        for spec in COLLECTIVITIES
    }
    for epci, members in EPCI_MEMBERS.items():
        collectivities[epci].members.add(*(collectivities[slug] for slug in members))
        for slug in members:
            grant_sharing(collectivities[slug], collectivities[epci], by=managers[slug])
    load_job_profiles(DEMO_JOB_PROFILES)
    job_profiles = {
        profile.slug: profile
        for profile in JobProfile.objects.filter(
            collectivity=None, slug__in=set(SERVICE_JOB_PROFILES.values())
        )
    }
    learners = {}
    for spec in COLLECTIVITIES:
        collectivity = collectivities[spec.slug]
        services = [
            Service.objects.get_or_create(collectivity=collectivity, name=name)[0] for name in spec.services
        ]
        people = []
        for number in range(1, spec.agents + 1):
            name = (FIRST_NAMES[number % len(FIRST_NAMES)], LAST_NAMES[(number * 7) % len(LAST_NAMES)])
            user = _user(f"agent.{spec.prefix}.{number:02d}", *name)
            service = services[(number - 1) % len(services)] if services else None
            add_membership(
                user,
                collectivity,
                Membership.Role.AGENT,
                service=service,
                job_profile=job_profiles.get(SERVICE_JOB_PROFILES.get(service.name)) if service else None,
            )
            people.append((user, Membership.Role.AGENT))
        for number in range(1, spec.elected + 1):
            name = (FIRST_NAMES[(number * 5) % len(FIRST_NAMES)], LAST_NAMES[(number * 3) % len(LAST_NAMES)])
            user = _user(f"elu.{spec.prefix}.{number:02d}", *name)
            add_membership(user, collectivity, Membership.Role.ELECTED_OFFICIAL)
            people.append((user, Membership.Role.ELECTED_OFFICIAL))
        learners[spec.slug] = people
    # The agent of the walkthrough: no history, so that a visitor sees their own quiz counted.
    add_membership(
        _user("agent.valmont", "Camille", "Martin"),
        collectivities["valmont-sur-loire"],
        Membership.Role.AGENT,
    )
    return learners


def _answer(data: QueryDict, block_id: str, index: int, question: dict, right: bool, rng: random.Random):
    """Put a right or a wrong answer to one question, of any kind, in ``data``."""
    name = grading.field_name(block_id, index)
    kind = question["kind"]
    choices = question.get("choices") or []
    if kind in ("single", "multiple"):
        correct = [str(i) for i, choice in enumerate(choices) if choice["correct"]]
        wrong = [str(i) for i, choice in enumerate(choices) if not choice["correct"]]
        data.setlist(name, correct if right or not wrong else [rng.choice(wrong)])
    elif kind == "true_false":
        truth = bool(question.get("statement_is_true"))
        data[name] = "true" if truth == right else "false"
    elif kind == "ordering":
        positions = list(range(1, len(choices) + 1))
        if not right:
            positions = positions[1:] + positions[:1]
        for item, position in enumerate(positions):
            data[grading.item_field_name(block_id, index, item)] = str(position)
    elif kind == "matching":
        count = len(question.get("pairs") or [])
        matches = list(range(count)) if right else [(i + 1) % count for i in range(count)]
        for pair, match in enumerate(matches):
            data[grading.pair_field_name(block_id, index, pair)] = str(match)
    else:
        data[name] = (question.get("accepted_answers") or [""])[0] if right else "je ne sais pas"


def _answers(lesson: LessonPage, block, rng: random.Random, skill: float) -> QueryDict:
    data = QueryDict(mutable=True)
    data["quiz_block"] = block.id
    for index, question in enumerate(block.value["questions"]):
        _answer(data, block.id, index, question, rng.random() < skill, rng)
    return data


def _self_assessment(course, block, rng: random.Random, shift: int) -> QueryDict:
    """A plausible positionnement: around the course's levels, lower before, higher after."""
    data = QueryDict(mutable=True)
    data["self_assessment_block"] = block.id
    for mapping in course.competence_mappings.all():
        level = max(0, min(8, mapping.level + shift + rng.choice([-1, 0, 0, 1])))
        data[course_services.self_assessment_field(block.id, mapping.competence_id)] = str(level)
    return data


def window_start(now: datetime, months: int = DEMO_MONTHS) -> datetime:
    """The first instant (UTC) of the ``months`` calendar months that end with the current one."""
    now = now.astimezone(UTC)
    index = now.year * 12 + now.month - 1 - (months - 1)
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def growing_share(quantile: float, growth: float = GROWTH) -> float:
    """Where in the year (0 = its start, 1 = today) a course starts, for a ``quantile`` of all starts.

    The density of starts rises linearly from 1 to ``growth``: the inverse of its cumulative distribution.
    """
    slope = growth - 1
    if slope == 0:
        return quantile
    return (-1 + math.sqrt(1 + 2 * slope * quantile * (1 + slope / 2))) / slope


@transaction.atomic
def simulate_activity(learners: dict[str, list], *, months: int = DEMO_MONTHS, seed: int = 42) -> int:
    """Play a year of learning by the demo learners through the real course services.

    Course starts are spread over the last ``months`` calendar months, every month having some, more and
    more of them towards today (:func:`growing_share`). A collectivity whose demo learners already have
    enrolments is skipped: a second run adds nothing, and a demo loaded by an older version gets only the
    collectivities it lacked.

    Returns:
        The number of enrolments created.
    """
    started = set(
        Enrolment.objects.filter(
            user__in=[user for people in learners.values() for user, _ in people]
        ).values_list("user_id", flat=True)
    )
    learners = {
        slug: people for slug, people in learners.items() if not any(user.pk in started for user, _ in people)
    }
    if not learners:
        return 0
    rng = random.Random(seed)
    tracks = {t.audience: t for t in TrackPage.objects.live().specific()}
    now = timezone.now().replace(microsecond=0)
    start = window_start(now, months)
    plans = []
    for people in learners.values():
        for user, role in people:
            track = tracks.get("elected" if role == Membership.Role.ELECTED_OFFICIAL else "agents")
            if track is None or rng.random() < 0.2:
                continue
            courses = list(track.courses())
            skill = rng.uniform(0.55, 0.98)
            plans += [
                (user, course, skill)
                for course in rng.sample(courses, k=rng.randint(1, min(3, len(courses))))
            ]
    rng.shuffle(plans)
    span = (now - start).total_seconds()
    created = 0
    # One list of lessons per course, reused by every learner: their parsed bodies are read once.
    lessons = {course.pk: list(course.lessons()) for course in {course for _, course, _ in plans}}
    for index, (user, course, skill) in enumerate(plans):
        # One start per stratum of the distribution: every part of the year gets its share.
        share = growing_share((index + rng.random()) / len(plans))
        when = start + timedelta(seconds=int(share * span))
        created += 1
        for lesson in lessons[course.pk]:
            when += timedelta(hours=rng.randint(1, 72))
            if when >= now:
                break
            course_services.open_lesson(user, lesson, when=when)
            for block in lesson.self_assessment_blocks():
                shift = -1 if block.value["moment"] == "before" else 0
                course_services.submit_self_assessment(
                    user, lesson, _self_assessment(course, block, rng, shift), when=when
                )
            for block in lesson.quiz_blocks():
                for _attempt in range(2):
                    when += timedelta(minutes=rng.randint(5, 40))
                    if when >= now:
                        break  # nothing in the future
                    outcome = course_services.submit_quiz(
                        user, lesson, _answers(lesson, block, rng, skill), when=when
                    )
                    if outcome.attempt and outcome.attempt.passed:
                        break
    created += assign_demo_courses(learners, when=now)
    return created


def assign_demo_courses(learners: dict[str, list], *, when) -> int:
    """Each HR manager assigns the agents' first course, due in a month, to agents who have not started it."""
    track = TrackPage.objects.live().filter(audience="agents").specific().first()
    course = track.courses().first() if track else None
    if course is None:
        return 0
    count = 0
    for spec in COLLECTIVITIES:
        if spec.slug not in learners:
            continue
        manager = get_user_model().objects.get(username=f"rh.{spec.prefix}")
        agents = [user for user, role in learners[spec.slug] if role == Membership.Role.AGENT]
        started = set(Enrolment.objects.filter(course=course).values_list("user_id", flat=True))
        pending = [user for user in agents if user.pk not in started][:4]
        course_services.assign(
            course, pending, assigned_by=manager, due_date=(when + timedelta(days=30)).date()
        )
        count += len(pending)
    return count


def load_demo() -> dict:
    """Load everything the demo needs, then compute the dashboards. Returns a summary."""
    frameworks = load_shipped_frameworks()
    build_catalogue(load_content())
    learners = build_people()
    enrolments = simulate_activity(learners)
    touched = analytics.collectivities_to_refresh(analytics.process_new_statements())
    # Every collectivity in one national pass: the same figures as one rebuild each, read once.
    analytics.rebuild_all_snapshots()
    return {"frameworks": frameworks, "enrolments": enrolments, "collectivities": len(touched)}
