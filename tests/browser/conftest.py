"""Browser tests: headless Chromium (Debian's /usr/bin/chromium) driven by Playwright, against a live server.

Playwright drives the installed browser; it downloads nothing. ``.ci/run`` installs ``chromium``.
"""

import copy
import os
import shutil

import pytest

from lms.demo.services import build_catalogue
from lms.models import Membership
from tests.conftest import CONTENT, PASSWORD, make_user

CHROMIUM = os.environ.get("LMS_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Playwright's sync API runs an event loop in this thread; the ORM calls of the fixtures are still sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser


def _browser_content():
    content = copy.deepcopy(CONTENT)
    course = content["tracks"][0]["courses"][0]
    course["open_access"] = True
    course["lessons"][0]["self_assessment"] = "before"
    course["lessons"][0]["callouts"] = [
        {"kind": "tip", "html": "<p>Verrouillez votre poste : Windows + L.</p>"}
    ]
    quiz = course["lessons"][1]["quiz"]
    quiz["questions"] += [
        {
            "prompt": "Le consentement est la base légale la plus courante en mairie.",
            "kind": "true_false",
            "statement_is_true": False,
            "feedback": "C'est le plus souvent une mission d'intérêt public.",
        },
        {
            "prompt": "Remettez dans l'ordre la conduite à tenir en cas de violation.",
            "kind": "ordering",
            "choices": [{"text": "Contenir"}, {"text": "Évaluer"}, {"text": "Notifier"}],
        },
        {
            "prompt": "Associez chaque rôle à sa mission.",
            "kind": "matching",
            "pairs": [{"left": "DPO", "right": "Conseiller"}, {"left": "Maire", "right": "Responsable"}],
        },
        {
            "prompt": "Quel sigle désigne le délégué à la protection des données ?",
            "kind": "short_text",
            "accepted_answers": ["DPO", "DPD"],
        },
    ]
    return content


@pytest.fixture(scope="module", autouse=True)
def restore_migrated_data(django_db_setup, django_db_blocker):
    """Live-server tests flush the tables: put back what migrations created (Wagtail's root page, locale…)
    after the last one, so that the tests after them find it."""
    from django.db import connection

    with django_db_blocker.unblock():
        contents = connection.creation.serialize_db_to_string()
    yield
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.core.management.color import no_style

    with django_db_blocker.unblock():
        call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
        connection.creation.deserialize_db_from_string(contents)
        statements = connection.ops.sequence_reset_sql(no_style(), apps.get_models())
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    ContentType.objects.clear_cache()


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def site(transactional_db, live_server):
    from django.conf import settings
    from wagtail.models import Locale, Page

    from competences.services import load_shipped_frameworks

    # A live-server test flushes the tables afterwards, Wagtail's root page and locale included.
    Locale.objects.get_or_create(language_code=settings.LANGUAGE_CODE)
    if not Page.get_first_root_node():
        Page.add_root(instance=Page(title="Root", slug="root"))
    load_shipped_frameworks()
    build_catalogue(_browser_content())
    return live_server.url


@pytest.fixture
def learner(site):
    from lms.models import Collectivity

    commune = Collectivity.objects.create(name="Commune de Valmont", slug="valmont", kind="commune")
    return make_user("camille", commune, Membership.Role.AGENT)


def _new_page(browser, **options):
    context = browser.new_context(locale="fr-FR", **options)
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


@pytest.fixture
def page(browser):
    page = _new_page(browser)
    yield page
    page.context.close()


def log_in(page, base_url, username="camille"):
    page.goto(f"{base_url}/compte/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")


@pytest.fixture
def new_page(browser):
    pages = []

    def factory(**options):
        pages.append(_new_page(browser, **options))
        return pages[-1]

    yield factory
    for page in pages:
        page.context.close()
