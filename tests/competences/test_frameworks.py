import pytest
from django.core.management import call_command

from competences.models import Area, Competence, CompetenceMapping, Framework, Level
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


def test_digcomp_has_five_areas_twenty_one_competences_and_eight_levels():
    load_shipped_frameworks()
    digcomp = Framework.objects.get(slug="digcomp-2-2")
    assert (digcomp.areas.count(), digcomp.competences.count(), digcomp.levels.count()) == (5, 21, 8)


def test_digcomp_has_english_competence_titles_and_french_area_titles():
    load_shipped_frameworks()
    competence = Competence.objects.select_related("area").get(framework__slug="digcomp-2-2", code="5.4")
    assert (competence.title, competence.area.title) == (
        "Identifying digital competence gaps",
        "Résolution de problèmes",
    )


def test_digcomp_levels_are_named_by_broad_level_and_describe_autonomy():
    load_shipped_frameworks()
    levels = Level.objects.filter(framework__slug="digcomp-2-2").order_by("number")
    assert [level.name for level in levels][::2] == [
        "Foundation 1",
        "Intermediate 3",
        "Advanced 5",
        "Highly specialised 7",
    ] and "Autonomy: With guidance" in levels[0].descriptor


def test_shipped_frameworks_are_published():
    load_shipped_frameworks()
    assert set(Framework.objects.values_list("status", flat=True)) == {Framework.Status.PUBLISHED}


def test_crosswalk_maps_every_crcn_competence_to_digcomp():
    load_shipped_frameworks()
    mapped = set(
        CompetenceMapping.objects.filter(
            source__framework__slug="crcn", target__framework__slug="digcomp-2-2"
        ).values_list("source__code", flat=True)
    )
    assert len(mapped) == 16


def test_crosswalk_maps_crcn_privacy_to_digcomp_privacy():
    load_shipped_frameworks()
    targets = CompetenceMapping.objects.filter(source__framework__slug="crcn", source__code="4.2")
    assert [m.target.title for m in targets] == ["Protecting personal data and privacy"]


def test_loading_frameworks_twice_changes_nothing():
    load_shipped_frameworks()
    before = list(Competence.objects.values_list("pk", "code", "uri", "title").order_by("pk"))
    mappings = CompetenceMapping.objects.count()
    load_shipped_frameworks()
    after = list(Competence.objects.values_list("pk", "code", "uri", "title").order_by("pk"))
    assert (before, Area.objects.count(), CompetenceMapping.objects.count()) == (after, 10, mappings)


def test_each_competence_has_a_stable_uri_under_its_framework():
    load_shipped_frameworks()
    competence = Competence.objects.get(framework__slug="crcn", code="4.2")
    assert competence.uri == "https://w3id.org/tremplin/frameworks/crcn/2019/competences/4.2"


def test_load_frameworks_command_reports_what_it_loaded(capsys):
    call_command("lms_load_frameworks")
    assert "16" in capsys.readouterr().out


def test_loading_frameworks_again_keeps_their_last_change_date():
    load_shipped_frameworks()
    before = Framework.objects.get(slug="digcomp-2-2").updated_at
    load_shipped_frameworks()
    assert Framework.objects.get(slug="digcomp-2-2").updated_at == before


def test_a_shared_job_profile_is_shipped_with_its_targets():
    from competences.models import JobProfile

    load_shipped_frameworks()
    load_shipped_frameworks()
    profile = JobProfile.objects.get(slug="agent-accueil-france-services", collectivity=None)
    assert sorted((t.competence.code, t.level) for t in profile.targets.all()) == [("2.1", 3), ("4.2", 3)]
