"""Every learner page in headless Chromium: axe-core (WCAG 2.1 A/AA), keyboard only, no JavaScript, weight,
other hosts, and a 360-pixel-wide phone screen."""

from urllib.parse import urlparse

import pytest
from axe_playwright_python.sync_playwright import Axe

from courses.models import LessonPage

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
LESSON_BUDGET_BYTES = 100 * 1024


def _axe(page) -> list:
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    return [
        (violation["id"], [node["target"] for node in violation["nodes"]][:3])
        for violation in results.response["violations"]
    ]


def _learner_urls():
    quiz = LessonPage.objects.get(slug="quiz")
    return {
        "catalogue": "/",
        "track": "/numerique/",
        "course": "/numerique/rgpd/",
        "lesson": LessonPage.objects.get(slug="bases").url,
        "quiz": quiz.url,
        "login": "/compte/login/",
        "signup": "/inscription/",
        "accessibility": "/accessibilite/",
    }


def _answer_quiz(page):
    """Answer the quiz of the browser content right, with the mouse (other tests use the keyboard)."""
    for fieldset in page.locator(".quiz-form fieldset").all():
        legend = fieldset.locator("legend").inner_text()
        if "Qui est responsable" in legend:
            fieldset.get_by_label("La commune").check()
        elif "Quelles données" in legend:
            fieldset.get_by_label("Le nom").check()
            fieldset.get_by_label("L'adresse").check()
        elif "base légale" in legend:
            fieldset.locator("input[value=false]").check()
        elif "Remettez" in legend:
            for position, text in enumerate(["Contenir", "Évaluer", "Notifier"], start=1):
                fieldset.get_by_label(text).select_option(str(position))
        elif "Associez" in legend:
            fieldset.get_by_label("DPO").select_option(label="Conseiller")
            fieldset.get_by_label("Maire").select_option(label="Responsable")
        else:
            fieldset.locator("input[type=text]").fill("dpo")


def test_every_learner_page_passes_axe_without_violation(site, learner, page):
    violations = {}
    for key, path in _learner_urls().items():
        page.goto(site + path)
        violations[key] = _axe(page)
    quiz_url = site + _learner_urls()["quiz"]
    page.goto(quiz_url)
    _answer_quiz(page)
    page.click(".quiz-form button[type=submit]")
    page.wait_for_load_state()
    violations["quiz result"] = _axe(page)
    log_in(page, site)
    page.goto(quiz_url)
    _answer_quiz(page)
    page.click(".quiz-form button[type=submit]")
    page.wait_for_load_state()
    page.goto(site + "/mon-parcours/")
    violations["my learning"] = _axe(page)
    assert {key: found for key, found in violations.items() if found} == {}


def test_quiz_is_passed_with_javascript_disabled(site, learner, new_page):
    page = new_page(java_script_enabled=False)
    page.goto(site + LessonPage.objects.get(slug="quiz").url)
    _answer_quiz(page)
    page.click(".quiz-form button[type=submit]")
    page.wait_for_load_state()
    assert "Réussi" in page.locator(".result").inner_text()


def _tab_to(page, selector: str, limit: int = 80):
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} is not reachable with the Tab key")


def test_lesson_and_quiz_are_completed_with_the_keyboard_only(site, learner, page):
    page.goto(site + "/compte/login/")
    _tab_to(page, "#id_username")
    page.keyboard.type("camille")
    page.keyboard.press("Tab")
    page.keyboard.type("correct-horse-battery-staple")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.goto(site + LessonPage.objects.get(slug="bases").url)
    _tab_to(page, "a[rel=next]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _tab_to(page, "input[value='0'][type=radio]")  # « La commune »
    page.keyboard.press("Space")
    _tab_to(page, "input[type=checkbox][value='0']")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    _tab_to(page, "input[value='true']")
    page.keyboard.press("ArrowDown")  # moves to and checks « Faux »
    for index in range(3):
        _tab_to(page, f"select[name$='-i{index}']")
        page.keyboard.press("Home")
        page.keyboard.type(str(index + 1))
    for index in range(2):
        _tab_to(page, f"select[name$='-p{index}']")
        page.keyboard.type("Conseiller" if index == 0 else "Responsable")
    _tab_to(page, "input[type=text]")
    page.keyboard.type("DPO")
    _tab_to(page, ".quiz-form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Réussi" in page.locator(".result").inner_text()


def test_lesson_page_weighs_under_100_kb_and_asks_no_other_host(site, page):
    sizes, hosts = {}, set()

    def on_response(response):
        request = response.request
        hosts.add(urlparse(request.url).netloc)
        if request.resource_type in ("document", "stylesheet", "script", "font"):
            transferred = request.sizes()
            sizes[request.url] = transferred["responseBodySize"] + transferred["responseHeadersSize"]

    page.on("response", on_response)
    page.goto(site + LessonPage.objects.get(slug="bases").url)
    page.wait_for_load_state("networkidle")
    total = sum(sizes.values())
    print(f"lesson page: {total} bytes transferred over {len(sizes)} responses")
    assert total < LESSON_BUDGET_BYTES and hosts == {urlparse(site).netloc}


@pytest.mark.parametrize("path_name", ["catalogue", "course", "lesson", "quiz", "my learning"])
def test_pages_fit_a_360_pixel_wide_phone_screen(site, learner, new_page, path_name):
    page = new_page(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True)
    urls = {**_learner_urls(), "my learning": "/mon-parcours/"}
    if path_name == "my learning":
        log_in(page, site)
    page.goto(site + urls[path_name])
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0


def test_the_admin_asks_no_other_host(site, learner, page):
    """No avatar from gravatar.com, no update check against releases.wagtail.org: the admin's pages (home,
    account, users, an HR dashboard) load from the site alone, for a superuser as for an HR manager."""
    from django.contrib.auth import get_user_model

    from lms.models import Collectivity, Membership
    from tests.conftest import PASSWORD, make_user

    get_user_model().objects.create_superuser("root", "root@example.org", PASSWORD)
    make_user("claire", Collectivity.objects.get(slug="valmont"), Membership.Role.HR_MANAGER)
    hosts = set()
    page.on("request", lambda request: hosts.add(urlparse(request.url).netloc))
    for username, paths in {
        "root": ["/admin/", "/admin/account/", "/admin/users/"],
        "claire": ["/admin/", "/admin/tremplin/dashboards/overview/"],
    }.items():
        page.context.clear_cookies()
        log_in(page, site, username)
        for path in paths:
            response = page.goto(site + path)
            page.wait_for_load_state("networkidle")
            assert response.status == 200, path
    assert hosts == {urlparse(site).netloc}


def test_every_dashboard_panel_passes_axe_without_violation(site, learner, page, settings):
    """The HR dashboards (Wagtail admin), with the figures of a passed quiz: charts, tables, filters."""
    from lms.analytics import services
    from lms.models import Collectivity, Membership
    from tests.conftest import make_user

    settings.LMS_MIN_GROUP_SIZE = 1
    commune = Collectivity.objects.get(slug="valmont")
    make_user("claire", commune, Membership.Role.HR_MANAGER)
    log_in(page, site)
    page.goto(site + _learner_urls()["quiz"])
    _answer_quiz(page)
    page.click(".quiz-form button[type=submit]")
    page.wait_for_load_state()
    services.process_new_statements()
    services.rebuild_snapshot(commune.pk)
    page.context.clear_cookies()
    log_in(page, site, "claire")
    violations = {}
    for panel in ["overview", "growth", "levels", "gaps", "elected", "funnel"]:
        response = page.goto(f"{site}/admin/tremplin/dashboards/{panel}/")
        assert response.status == 200, panel
        violations[panel] = _axe(page)
    page.goto(f"{site}/admin/")
    violations["home"] = _axe(page)
    assert {panel: found for panel, found in violations.items() if found} == {}


def test_a_short_text_answer_field_stops_at_the_longest_answer_kept(site, page):
    page.goto(site + LessonPage.objects.get(slug="quiz").url)
    assert page.locator(".quiz-form input[type=text]").get_attribute("maxlength") == "200"
