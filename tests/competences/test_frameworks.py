import pytest

from competences.models import Area, Competence, Framework, Level
from competences.services import load_shipped_frameworks

pytestmark = pytest.mark.django_db


def test_crcn_has_five_domains_sixteen_competences_and_eight_levels():
    load_shipped_frameworks()
    crcn = Framework.objects.get(slug="crcn")
    assert (crcn.areas.count(), crcn.competences.count(), crcn.levels.count()) == (5, 16, 8)


def test_crcn_titles_are_the_french_pix_labels():
    load_shipped_frameworks()
    assert Competence.objects.get(framework__slug="crcn", code="4.2").title == (
        "Protéger les données personnelles et la vie privée"
    )
    assert Level.objects.get(framework__slug="crcn", number=5).name == "Avancé 5"


def test_loading_frameworks_twice_changes_nothing():
    load_shipped_frameworks()
    before = list(Competence.objects.values_list("pk", "code", "uri", "title").order_by("pk"))
    load_shipped_frameworks()
    after = list(Competence.objects.values_list("pk", "code", "uri", "title").order_by("pk"))
    assert before == after and Area.objects.count() == 5


def test_each_competence_has_a_stable_uri_under_its_framework():
    load_shipped_frameworks()
    competence = Competence.objects.get(framework__slug="crcn", code="4.2")
    assert competence.uri == "https://w3id.org/tremplin/frameworks/crcn/2019/competences/4.2"


def test_load_frameworks_command_reports_what_it_loaded(capsys):
    from django.core.management import call_command

    call_command("lms_load_frameworks")
    assert "16" in capsys.readouterr().out
