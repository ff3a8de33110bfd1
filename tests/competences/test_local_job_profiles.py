"""HR managers define their own collectivity's job profiles; the shared ones are read-only to them."""

import pytest
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from competences.models import Competence, JobProfile, JobProfileTarget
from lms.models import Membership
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

INDEX = "/admin/lms_jobprofile/"


def crcn(code):
    return Competence.objects.get(framework__slug="crcn", code=code)


@pytest.fixture
def hr(client, hr_manager, frameworks):
    client.force_login(hr_manager)
    return client


@pytest.fixture
def shared(frameworks):
    profile = JobProfile.objects.create(name="Secrétaire de mairie (national)", slug="secretaire")
    JobProfileTarget.objects.create(job_profile=profile, competence=crcn("1.1"), level=3)
    return profile


@pytest.fixture
def own(commune, frameworks):
    profile = JobProfile.objects.create(
        name="Agent d'accueil de Valmont", slug="accueil", collectivity=commune
    )
    JobProfileTarget.objects.create(job_profile=profile, competence=crcn("2.1"), level=2)
    return profile


@pytest.fixture
def others(other_commune, frameworks):
    return JobProfile.objects.create(
        name="Profil de Saint-Aubin", slug="profil-sa", collectivity=other_commune
    )


def _form(commune, targets, *, initial=0, **fields):
    return nested_form_data(
        {
            "name": fields.get("name", "Gestionnaire RH"),
            "slug": fields.get("slug", "gestionnaire-rh"),
            "collectivity": commune.pk,
            "description": "",
            "targets": inline_formset(
                [
                    {"competence": competence.pk, "level": level, **(extra[0] if extra else {})}
                    for competence, level, *extra in targets
                ],
                initial=initial,
            ),
        }
    )


def test_hr_manager_lists_shared_and_own_profiles_but_not_another_collectivitys(hr, shared, own, others):
    page = hr.get(INDEX).content.decode()
    assert (shared.name in page, "Valmont" in page, others.name in page) == (True, True, False)


def test_hr_manager_creates_a_profile_of_their_collectivity_with_targets(hr, commune):
    hr.post(f"{INDEX}new/", _form(commune, [(crcn("4.2"), 3)]))
    profile = JobProfile.objects.get(slug="gestionnaire-rh")
    assert (profile.collectivity, list(profile.targets.values_list("level", flat=True))) == (commune, [3])


def test_hr_manager_cannot_create_a_profile_for_another_collectivity(hr, other_commune):
    response = hr.post(f"{INDEX}new/", _form(other_commune, [(crcn("4.2"), 3)]))
    assert response.status_code == 200 and not JobProfile.objects.filter(slug="gestionnaire-rh").exists()


def test_hr_manager_cannot_create_a_shared_profile(hr, commune):
    data = _form(commune, [(crcn("4.2"), 3)])
    data["collectivity"] = ""
    hr.post(f"{INDEX}new/", data)
    assert not JobProfile.objects.filter(slug="gestionnaire-rh").exists()


def test_a_target_level_outside_the_scale_is_a_form_error(hr, commune):
    page = hr.post(f"{INDEX}new/", _form(commune, [(crcn("4.2"), 9)])).content.decode()
    assert "(1 à 8)" in page or "(1 to 8)" in page


def test_a_target_level_outside_the_scale_saves_nothing(hr, commune):
    hr.post(f"{INDEX}new/", _form(commune, [(crcn("4.2"), 9)]))
    assert not JobProfile.objects.filter(slug="gestionnaire-rh").exists()


def test_the_same_competence_twice_in_a_profile_is_a_form_error(hr, commune):
    hr.post(f"{INDEX}new/", _form(commune, [(crcn("4.2"), 3), (crcn("4.2"), 4)]))
    assert not JobProfile.objects.filter(slug="gestionnaire-rh").exists()


def test_hr_manager_edits_their_own_profile(hr, commune, own):
    target = own.targets.get()
    data = _form(commune, [(crcn("2.1"), 4, {"id": target.pk})], initial=1, name="Accueil", slug="accueil")
    hr.post(f"{INDEX}edit/{own.pk}/", data)
    own.refresh_from_db()
    assert (own.name, list(own.targets.values_list("level", flat=True))) == ("Accueil", [4])


@pytest.mark.parametrize("view", ["edit", "delete", "inspect"])
def test_another_collectivitys_profile_is_not_found(hr, others, view):
    assert hr.get(f"{INDEX}{view}/{others.pk}/").status_code == 404


@pytest.mark.parametrize("view", ["edit", "delete"])
def test_a_shared_profile_cannot_be_changed_by_an_hr_manager(hr, shared, view):
    assert hr.get(f"{INDEX}{view}/{shared.pk}/").status_code == 404


def test_a_shared_profile_can_be_read_by_an_hr_manager_with_its_targets(hr, shared):
    page = hr.get(f"{INDEX}inspect/{shared.pk}/").content.decode()
    assert "1.1" in page and ("level 3" in page or "niveau 3" in page)


def test_an_unused_own_profile_is_deleted(hr, own):
    hr.post(f"{INDEX}delete/{own.pk}/")
    assert not JobProfile.objects.filter(pk=own.pk).exists()


def test_deleting_a_profile_that_people_hold_is_refused_and_says_how_many(hr, own, agent):
    Membership.objects.filter(user=agent).update(job_profile=own)
    response = hr.post(f"{INDEX}delete/{own.pk}/", follow=True)
    page = response.content.decode()
    assert JobProfile.objects.filter(pk=own.pk).exists() and ("1 person" in page or "1 personne" in page)


def test_agents_cannot_open_the_job_profiles(client, agent):
    client.force_login(agent)
    assert client.get(INDEX).status_code in (302, 403)


def test_editors_keep_every_profile_in_the_frameworks_admin(admin_client, own, others, shared):
    page = admin_client.get("/admin/lms_competences_jobprofile/").content.decode()
    assert all(profile.name.replace("'", "&#x27;") in page for profile in (own, others, shared))


def test_editors_get_the_same_target_validation(admin_client, commune, frameworks):
    admin_client.post("/admin/lms_competences_jobprofile/new/", _form(commune, [(crcn("4.2"), 0)]))
    assert not JobProfile.objects.filter(slug="gestionnaire-rh").exists()


def test_a_membership_cannot_point_to_another_collectivitys_profile(client, hr_manager, agent, others):
    from django.core.exceptions import ValidationError

    membership = Membership.objects.get(user=agent)
    membership.job_profile = others
    with pytest.raises(ValidationError):
        membership.full_clean()


def test_the_membership_form_offers_only_shared_and_own_profiles(hr, agent, shared, own, others):
    membership = Membership.objects.get(user=agent)
    page = hr.get(f"/admin/lms_membership/edit/{membership.pk}/").content.decode()
    assert (own.name.replace("'", "&#x27;") in page, others.name in page) == (True, False)


def test_adding_a_membership_with_another_collectivitys_profile_is_refused(commune, others):
    from django.core.exceptions import ValidationError

    from lms.services.organisations import add_membership

    with pytest.raises(ValidationError):
        add_membership(make_user("dominique"), commune, Membership.Role.AGENT, job_profile=others)
