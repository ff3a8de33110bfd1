"""Collectivities, services, memberships and the two scopes: aggregates visible vs individuals visible."""

import pytest
from django.core.exceptions import ValidationError

from lms.models import Collectivity, Membership, Service
from lms.models.organisations import validate_siren
from lms.services import scope
from lms.services.organisations import add_membership, grant_sharing, revoke_sharing
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def epci(commune):
    epci = Collectivity.objects.create(name="CC du Val", slug="cc-val", kind=Collectivity.Kind.EPCI)
    epci.members.add(commune)
    return epci


@pytest.fixture
def epci_hr(epci):
    return make_user("rh.epci", epci, Membership.Role.HR_MANAGER)


def test_a_valid_siren_passes_the_luhn_check():
    validate_siren("217500016")  # Ville de Paris' SIREN pattern: 9 digits, Luhn-valid


def test_a_siren_with_a_wrong_check_digit_is_rejected():
    with pytest.raises(ValidationError):
        validate_siren("217500017")


def test_a_siren_must_have_nine_digits():
    with pytest.raises(ValidationError):
        validate_siren("21750001")


def test_a_service_cannot_have_a_parent_in_another_collectivity(commune, other_commune):
    parent = Service.objects.create(collectivity=other_commune, name="DRH")
    with pytest.raises(ValidationError):
        Service(collectivity=commune, parent=parent, name="Formation").full_clean()


def test_a_service_cannot_be_its_own_ancestor(commune):
    top = Service.objects.create(collectivity=commune, name="DGS")
    child = Service.objects.create(collectivity=commune, name="DRH", parent=top)
    top.parent = child
    with pytest.raises(ValidationError):
        top.full_clean()


def test_only_elected_officials_hold_a_mandate(commune, agent):
    membership = Membership(user=agent, collectivity=commune, role="agent", mandate="maire")
    with pytest.raises(ValidationError):
        membership.clean()


def test_one_person_holds_several_memberships(commune, other_commune, agent):
    add_membership(agent, other_commune, Membership.Role.ELECTED_OFFICIAL, mandate="conseiller")
    assert agent.lms_memberships.count() == 2


def test_add_membership_updates_the_details_of_an_existing_one(commune, agent):
    add_membership(agent, commune, Membership.Role.AGENT, category="B", statut="titulaire")
    assert Membership.objects.get(user=agent).category == "B"


def test_epci_hr_manager_does_not_see_member_aggregates_without_agreement(epci_hr, commune):
    assert commune not in scope.visible_collectivities(epci_hr)


def test_epci_hr_manager_sees_member_aggregates_once_the_member_agrees(epci, epci_hr, commune):
    grant_sharing(commune, epci)
    assert commune in scope.visible_collectivities(epci_hr)


def test_epci_hr_manager_never_sees_the_people_of_a_consenting_member(epci, epci_hr, commune, agent):
    grant_sharing(commune, epci)
    assert not scope.visible_people(epci_hr).filter(pk=agent.pk).exists()


def test_a_revoked_agreement_hides_the_member_aggregates_again(epci, epci_hr, commune):
    grant_sharing(commune, epci)
    revoke_sharing(commune, epci)
    assert commune not in scope.visible_collectivities(epci_hr)


def test_granting_again_after_revocation_reopens_the_agreement(epci, epci_hr, commune):
    grant_sharing(commune, epci)
    revoke_sharing(commune, epci)
    grant_sharing(commune, epci)
    assert commune in scope.visible_collectivities(epci_hr)


def test_a_collectivity_cannot_share_with_a_grouping_it_does_not_belong_to(epci, other_commune):
    with pytest.raises(ValidationError):
        grant_sharing(other_commune, epci)


def test_a_commune_hr_manager_sees_its_own_people(hr_manager, agent):
    assert scope.visible_people(hr_manager).filter(pk=agent.pk).exists()


def test_an_agent_sees_no_one_else(agent, hr_manager):
    assert not scope.visible_people(agent).exists()


def test_scoped_queryset_refuses_a_model_it_does_not_know(hr_manager):
    from competences.models import Competence

    with pytest.raises(LookupError):
        scope.scoped_queryset(hr_manager, Competence)


def test_the_member_records_its_agreement_in_the_admin(client, epci, commune, hr_manager):
    from tests.conftest import PASSWORD

    client.login(username=hr_manager.username, password=PASSWORD)
    client.post("/admin/lms_sharing/new/", {"member": commune.pk, "grouping": epci.pk})
    assert commune in scope.visible_collectivities(make_user("rh.epci2", epci, Membership.Role.HR_MANAGER))


def test_hr_manager_lists_only_the_memberships_of_their_collectivity(
    client, hr_manager, agent, other_hr_manager
):
    from tests.conftest import PASSWORD

    client.login(username=hr_manager.username, password=PASSWORD)
    page = client.get("/admin/lms_membership/").content.decode()
    assert "camille" in page and "rh.saintaubin" not in page


def test_epci_hr_manager_opens_the_dashboard_of_a_consenting_member(client, epci, epci_hr, commune):
    from tests.conftest import PASSWORD

    grant_sharing(commune, epci)
    client.login(username=epci_hr.username, password=PASSWORD)
    assert client.get("/admin/tremplin/competences/", {"collectivity": commune.slug}).status_code == 200


def test_epci_hr_manager_cannot_open_the_dashboard_of_a_member_that_did_not_agree(
    client, epci, epci_hr, commune
):
    from tests.conftest import PASSWORD

    client.login(username=epci_hr.username, password=PASSWORD)
    assert client.get("/admin/tremplin/competences/", {"collectivity": commune.slug}).status_code == 404


def test_epci_hr_manager_does_not_list_the_people_of_a_consenting_member(
    client, epci, epci_hr, commune, agent
):
    from tests.conftest import PASSWORD

    grant_sharing(commune, epci)
    client.login(username=epci_hr.username, password=PASSWORD)
    assert agent.username not in client.get("/admin/lms_membership/").content.decode()


def test_the_grouping_cannot_edit_the_member_s_agreement(client, epci, epci_hr, commune):
    from tests.conftest import PASSWORD

    sharing = grant_sharing(commune, epci)
    client.login(username=epci_hr.username, password=PASSWORD)
    assert client.get(f"/admin/lms_sharing/edit/{sharing.pk}/").status_code == 404


def test_the_member_revokes_its_agreement_in_the_admin(client, epci, hr_manager, commune):
    from tests.conftest import PASSWORD

    sharing = grant_sharing(commune, epci)
    client.login(username=hr_manager.username, password=PASSWORD)
    client.post(
        f"/admin/lms_sharing/edit/{sharing.pk}/",
        {"member": commune.pk, "grouping": epci.pk, "revoked_at": "2026-01-01 10:00:00"},
    )
    sharing.refresh_from_db()
    assert sharing.revoked_at is not None
