import base64
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from competences.exchange import export_framework
from competences.models import Competence, Framework, JobProfile, JobProfileTarget
from competences.services import delete_framework
from lms.models import CompetenceEvidence

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser("admin", "admin@example.org", "pw")
    client.force_login(user)
    return client


def crcn(code):
    return Competence.objects.get(framework__slug="crcn", code=code)


def test_frameworks_listing_shows_the_shipped_frameworks(admin_client, frameworks):
    response = admin_client.get("/admin/lms_competences_framework/")
    assert b"DigComp 2.2" in response.content


def test_frameworks_listing_links_each_framework_to_its_tree(admin_client, frameworks):
    digcomp = Framework.objects.get(slug="digcomp-2-2")
    response = admin_client.get("/admin/lms_competences_framework/")
    assert f'href="/admin/frameworks/{digcomp.pk}/tree/"' in response.content.decode()


def test_tree_shows_areas_competences_and_levels(admin_client, frameworks):
    digcomp = Framework.objects.get(slug="digcomp-2-2")
    response = admin_client.get(f"/admin/frameworks/{digcomp.pk}/tree/")
    content = response.content.decode()
    assert all(text in content for text in ("Protection et sécurité", "Netiquette", "Highly specialised 8"))


def test_tree_search_keeps_matching_competences_only(admin_client, frameworks):
    digcomp = Framework.objects.get(slug="digcomp-2-2")
    content = admin_client.get(f"/admin/frameworks/{digcomp.pk}/tree/", {"q": "privacy"}).content.decode()
    assert "Protecting personal data and privacy" in content and "Netiquette" not in content


def test_moving_a_competence_down_swaps_it_with_the_next_one(admin_client, frameworks):
    first, second = crcn("1.1"), crcn("1.2")
    admin_client.post(f"/admin/frameworks/move/competence/{first.pk}/down/")
    codes = list(first.area.competences.order_by("sort_order").values_list("code", flat=True))
    assert codes == ["1.2", "1.1", "1.3"] and second.pk


def test_moving_an_area_up_reorders_the_framework(admin_client, frameworks):
    crcn_framework = Framework.objects.get(slug="crcn")
    area = crcn_framework.areas.get(code="2")
    admin_client.post(f"/admin/frameworks/move/area/{area.pk}/up/")
    assert list(crcn_framework.areas.order_by("sort_order").values_list("code", flat=True))[:2] == ["2", "1"]


def test_competence_edit_page_opens(admin_client, frameworks):
    assert admin_client.get(f"/admin/lms_competences_competence/edit/{crcn('4.2').pk}/").status_code == 200


def test_competence_search_finds_by_title(admin_client, frameworks):
    response = admin_client.get("/admin/lms_competences_competence/", {"q": "vie privée"})
    assert "Protéger les données personnelles" in response.content.decode()


def test_deleting_a_competence_mapped_to_a_course_is_refused(admin_client, catalogue):
    competence = crcn("4.2")
    admin_client.post(f"/admin/lms_competences_competence/delete/{competence.pk}/")
    assert Competence.objects.filter(pk=competence.pk).exists()


def test_deleting_a_competence_with_evidence_is_refused(admin_client, frameworks):
    competence = crcn("3.4")
    CompetenceEvidence.objects.create(
        statement_id=uuid.uuid4(), actor_name="a", competence=competence, level=2, occurred_at=timezone.now()
    )
    response = admin_client.post(f"/admin/lms_competences_competence/delete/{competence.pk}/", follow=True)
    assert Competence.objects.filter(pk=competence.pk).exists() and response.status_code == 200


def test_deleting_an_unused_competence_from_the_admin_works(admin_client, frameworks):
    competence = crcn("3.4")
    admin_client.post(f"/admin/lms_competences_competence/delete/{competence.pk}/")
    assert not Competence.objects.filter(pk=competence.pk).exists()


def test_job_profile_edit_page_lists_its_targets(admin_client, frameworks):
    profile = JobProfile.objects.create(name="Agent d'accueil France Services", slug="accueil")
    JobProfileTarget.objects.create(job_profile=profile, competence=crcn("2.1"), level=3)
    response = admin_client.get(f"/admin/lms_competences_jobprofile/edit/{profile.pk}/")
    assert response.status_code == 200 and "Agent d&#x27;accueil" in response.content.decode()


def test_job_profile_can_be_created_with_targets_in_the_admin(admin_client, frameworks, commune):
    data = {
        "name": "Secrétaire de mairie",
        "slug": "secretaire",
        "description": "",
        "collectivity": commune.pk,
        "targets-TOTAL_FORMS": "1",
        "targets-INITIAL_FORMS": "0",
        "targets-MIN_NUM_FORMS": "0",
        "targets-MAX_NUM_FORMS": "1000",
        "targets-0-competence": crcn("1.2").pk,
        "targets-0-level": "4",
        "targets-0-id": "",
        "targets-0-ORDER": "1",
        "targets-0-DELETE": "",
    }
    admin_client.post("/admin/lms_competences_jobprofile/new/", data)
    assert JobProfileTarget.objects.filter(job_profile__slug="secretaire", competence__code="1.2").exists()


@pytest.mark.parametrize(
    "fmt,marker", [("case", b"CFDocument"), ("csv", b"record,code"), ("moodle", b"Is framework")]
)
def test_export_downloads_a_file(admin_client, frameworks, fmt, marker):
    crcn_framework = Framework.objects.get(slug="crcn")
    response = admin_client.get(f"/admin/frameworks/{crcn_framework.pk}/export/", {"format": fmt})
    assert marker in response.content and "attachment" in response["Content-Disposition"]


def test_import_upload_shows_a_preview_and_stores_nothing(admin_client, frameworks):
    crcn_framework = Framework.objects.get(slug="crcn")
    content = export_framework(crcn_framework, "csv").replace("crcn", "crcn-copy").replace("/2019", "/copy")
    response = admin_client.post(
        "/admin/frameworks/import/", {"file": SimpleUploadedFile("f.csv", content.encode()), "format": ""}
    )
    assert response.status_code == 200 and not Framework.objects.filter(slug="crcn-copy").exists()


def test_import_confirmation_stores_the_framework(admin_client, frameworks):
    crcn_framework = Framework.objects.get(slug="crcn")
    content = export_framework(crcn_framework, "case")
    JobProfile.objects.all().delete()  # the shipped job profile would protect CRCN competences
    delete_framework(crcn_framework)
    admin_client.post(
        "/admin/frameworks/import/",
        {"content": base64.b64encode(content.encode()).decode(), "format": "case", "confirm": "True"},
    )
    assert Framework.objects.get(slug="crcn").competences.count() == 16


def test_import_of_an_invalid_file_is_a_400_with_the_report(admin_client, frameworks):
    content = "record,code,title\nframework,x,X\nlevel,,\n"
    response = admin_client.post(
        "/admin/frameworks/import/", {"file": SimpleUploadedFile("f.csv", content.encode()), "format": "csv"}
    )
    assert response.status_code == 400 and b"level" in response.content


def test_new_version_from_the_tree_creates_a_linked_draft(admin_client, frameworks):
    crcn_framework = Framework.objects.get(slug="crcn")
    admin_client.post(f"/admin/frameworks/{crcn_framework.pk}/new-version/", {"version": "2026"})
    assert Framework.objects.get(slug="crcn-2026").previous_version == crcn_framework


def test_tree_search_with_a_nul_character_is_a_400_not_a_server_error(admin_client, frameworks):
    digcomp = Framework.objects.get(slug="digcomp-2-2")
    response = admin_client.get(f"/admin/frameworks/{digcomp.pk}/tree/", {"q": "priv\x00acy"})
    assert response.status_code == 400 and 'id="q-errors"' in response.content.decode()


@pytest.mark.parametrize("version", ["20\x0026", "x" * 51])
def test_new_version_with_a_nul_or_a_name_too_long_is_refused_with_a_message(
    admin_client, frameworks, version
):
    digcomp = Framework.objects.get(slug="digcomp-2-2")
    count = Framework.objects.count()
    response = admin_client.post(
        f"/admin/frameworks/{digcomp.pk}/new-version/", {"version": version}, follow=True
    )
    assert Framework.objects.count() == count and list(response.context["messages"])


def test_the_tree_is_headed_by_its_framework_under_the_frameworks(admin_client, frameworks):
    """Wagtail's header shows the last breadcrumb; without the page's own it read « Home »."""
    framework = Framework.objects.get(slug="crcn")
    response = admin_client.get(f"/admin/frameworks/{framework.pk}/tree/")
    items = response.context["breadcrumbs_items"]
    with translation.override("fr"):
        expected = [translation.gettext("Home"), translation.gettext("Frameworks"), str(framework)]
    assert [str(item["label"]) for item in items] == expected
    assert items[1]["url"] == "/admin/lms_competences_framework/"
