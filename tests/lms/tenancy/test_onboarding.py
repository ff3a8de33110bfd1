"""CSV onboarding of agents: preview by row, all or nothing, idempotent, invitations with an expiring link."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from competences.models import JobProfile
from lms.models import Membership, Service
from lms.services import accounts, onboarding
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

GOOD = (
    "prénom;nom;courriel;service;profil_de_poste;rôle;catégorie;filière;statut\n"
    "Ada;Lovelace;ada@valmont.fr;Direction des finances;secretaire;agent;A;administrative;titulaire\n"
    "Alan;Turing;alan@valmont.fr;Services techniques;;agent;C;technique;contractuel\n"
    "Rosa;Parks;rosa@valmont.fr;;;élu;;;\n"
)


@pytest.fixture
def profile(commune):
    return JobProfile.objects.create(name="Secrétaire de mairie", slug="secretaire", collectivity=commune)


def test_preview_lists_what_each_line_creates(commune, profile):
    plan = onboarding.preview(commune, GOOD)
    assert [row.action for row in plan.rows] == ["create", "create", "create"]


def test_preview_changes_nothing(commune, profile):
    onboarding.preview(commune, GOOD)
    assert not get_user_model().objects.filter(email="ada@valmont.fr").exists()


def test_preview_reports_every_error_with_its_line(commune, profile):
    content = GOOD + "Bob;;not-an-email;;inconnu;pilote;D;;\nAda2;;ada@valmont.fr;;;;;;\n"
    plan = onboarding.preview(commune, content)
    errors = {row.line: len(row.errors) for row in plan.rows if row.errors}
    assert errors == {5: 4, 6: 1}


def test_import_creates_people_memberships_services_and_details(commune, profile):
    onboarding.apply(commune, GOOD)
    membership = Membership.objects.get(user__email="ada@valmont.fr")
    assert (membership.service.name, membership.job_profile, membership.category, membership.statut) == (
        "Direction des finances",
        profile,
        "A",
        "titulaire",
    )


def test_an_import_with_one_bad_line_imports_nothing(commune, profile):
    with pytest.raises(onboarding.ImportRejected):
        onboarding.apply(commune, GOOD + "X;Y;broken;;;;;;\n")
    assert (
        get_user_model().objects.filter(email__endswith="@valmont.fr").count(),
        Service.objects.count(),
    ) == (0, 0)


def test_importing_the_same_file_twice_changes_nothing(commune, profile):
    onboarding.apply(commune, GOOD)
    plan = onboarding.preview(commune, GOOD)
    result = onboarding.apply(commune, GOOD)
    assert ([row.action for row in plan.rows], result.created, Membership.objects.count()) == (
        ["unchanged"] * 3,
        [],
        3,
    )


def test_a_changed_line_is_an_update(commune, profile):
    onboarding.apply(commune, GOOD)
    plan = onboarding.preview(commune, GOOD.replace(";agent;A;", ";agent;B;"))
    assert (plan.rows[0].action, plan.rows[0].changes) == ("update", ["category"])


def test_an_existing_account_of_another_collectivity_gets_a_new_membership(commune, other_commune, profile):
    onboarding.apply(other_commune, "email;name\nada@valmont.fr;Ada Lovelace\n")
    plan = onboarding.preview(commune, GOOD)
    assert plan.rows[0].action == "add"


def test_new_people_are_invited_by_email(commune, profile, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        onboarding.apply(commune, GOOD)
    assert sorted(m.to[0] for m in mail.outbox) == ["ada@valmont.fr", "alan@valmont.fr", "rosa@valmont.fr"]


def _invitation_path(message) -> str:
    return re.search(r"http://testserver(/invitation/\S+/)", message.body).group(1)


def test_the_invitation_link_sets_a_password(client, commune, profile, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        onboarding.apply(commune, "email;name\nada@valmont.fr;Ada Lovelace\n")
    page = client.get(_invitation_path(mail.outbox[0]), follow=True)
    client.post(page.redirect_chain[-1][0], {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert client.login(username="ada@valmont.fr", password=PASSWORD)


def test_the_invitation_link_expires(settings, commune, profile):
    onboarding.apply(commune, "email;name\nada@valmont.fr;Ada Lovelace\n")
    user = get_user_model().objects.get(email="ada@valmont.fr")
    token = accounts.invitation_tokens.make_token(user)
    settings.LMS_INVITATION_MAX_AGE = -1
    assert not accounts.invitation_tokens.check_token(user, token)


def test_the_invitation_page_applies_the_password_validators(
    client, commune, profile, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        onboarding.apply(commune, "email;name\nada@valmont.fr;Ada Lovelace\n")
    page = client.get(_invitation_path(mail.outbox[0]), follow=True)
    client.post(page.redirect_chain[-1][0], {"new_password1": "short", "new_password2": "short"})
    assert not get_user_model().objects.get(email="ada@valmont.fr").has_usable_password()


def test_hr_manager_previews_then_confirms_in_the_admin(client, hr_manager, commune, profile):
    client.login(username=hr_manager.username, password=PASSWORD)
    upload = SimpleUploadedFile("agents.csv", GOOD.encode("utf-8-sig"), content_type="text/csv")
    preview = client.post("/admin/tremplin/import/", {"collectivity": commune.pk, "file": upload})
    digest = preview.context["digest"]
    client.post("/admin/tremplin/import/", {"confirm": "1", "digest": digest})
    assert Membership.objects.filter(collectivity=commune, role="agent").count() == 2


def test_hr_manager_cannot_import_into_another_collectivity(client, hr_manager, other_commune):
    client.login(username=hr_manager.username, password=PASSWORD)
    upload = SimpleUploadedFile("agents.csv", GOOD.encode(), content_type="text/csv")
    response = client.post("/admin/tremplin/import/", {"collectivity": other_commune.pk, "file": upload})
    assert "digest" not in response.context or response.context.get("digest") is None


def test_agents_cannot_open_the_import(client, agent):
    client.login(username=agent.username, password=PASSWORD)
    assert client.get("/admin/tremplin/import/").status_code in (302, 403)


def test_a_column_missing_from_the_file_leaves_that_field_as_it_is(commune, profile):
    onboarding.apply(commune, GOOD)
    onboarding.apply(commune, "email;service\nada@valmont.fr;Direction des finances\n")
    assert Membership.objects.get(user__email="ada@valmont.fr").category == "A"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("Ada;Love\x00lace;ada@valmont.fr;;;agent;;;", "NUL"),
        ("Ada;Lovelace;ad\x00a@valmont.fr;;;agent;;;", "NUL"),
        ("Ada;Lovelace;" + "a" * 200 + "@valmont.fr;;;agent;;;", "150"),
        ("Ada;Lovelace;ada@valmont.fr;" + "S" * 300 + ";;agent;;;", "255"),
    ],
)
def test_a_line_the_database_would_refuse_is_an_error_of_its_line(commune, line, message):
    content = GOOD.split("\n")[0] + "\n" + line + "\n"
    plan = onboarding.preview(commune, content)
    assert any(message in error for error in plan.rows[0].errors)


def test_a_file_with_a_cell_longer_than_the_csv_module_reads_is_refused(commune):
    plan = onboarding.preview(commune, GOOD.split("\n")[0] + '\n"' + "x" * 200_000 + '";b\n')
    assert plan.file_errors and not plan.rows
