import pytest

from competences.models import Competence, CompetenceMapping, Framework, JobProfile, JobProfileTarget
from competences.services import (
    CompetenceInUse,
    FrameworkDataError,
    create_new_version,
    delete_competence,
    job_profile_gaps,
    load_shipped_frameworks,
    map_levels,
    protected_by,
    retire_competence,
    save_framework,
)

from .conftest import sample_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipped(db):
    load_shipped_frameworks()


def crcn(code):
    return Competence.objects.get(framework__slug="crcn", code=code)


def digcomp(code):
    return Competence.objects.get(framework__slug="digcomp-2-2", code=code)


@pytest.fixture
def new_version(sample):
    """Version 2026 of the sample framework: A.1 is split into A.1 and A.3; B.1 becomes B.2."""
    data = sample_data(slug="sample-2026", version="2026", uri=sample.uri + "-2026")
    for area in data["areas"]:
        for competence in area["competences"]:
            competence.pop("uri")
    data["areas"][1]["competences"][0]["code"] = "B.2"
    data["areas"][0]["competences"].append({"code": "A.3", "title": "Accompagner une démarche"})
    framework = save_framework(data)
    framework.previous_version = sample
    framework.save()
    old, new = sample.competences.all(), framework.competences.all()
    for source, target in [("A.1", "A.1"), ("A.1", "A.3"), ("B.1", "B.2")]:
        CompetenceMapping.objects.create(
            source=old.get(code=source), target=new.get(code=target), kind=CompetenceMapping.Kind.VERSION
        )
    return framework


def test_a_new_version_is_a_new_framework_linked_to_the_previous_one(sample, new_version):
    assert (new_version.previous_version, sample.competences.count()) == (sample, 3)


def test_a_new_version_keeps_the_old_competences_and_their_uris(sample, new_version):
    assert sample.competences.get(code="A.1").uri.endswith("/sample/competences/A.1")


def test_levels_follow_the_version_mapping_to_the_new_version(sample, new_version):
    old = {c.code: c.pk for c in sample.competences.all()}
    new = {c.pk: c.code for c in new_version.competences.all()}
    mapped = map_levels({old["A.1"]: 2, old["B.1"]: 3}, new_version)
    assert {new[pk]: level for pk, level in mapped.items()} == {"A.1": 2, "A.3": 2, "B.2": 3}


def test_levels_follow_the_crosswalk_from_crcn_to_digcomp(shipped):
    mapped = map_levels({crcn("4.3").pk: 4}, Framework.objects.get(slug="digcomp-2-2"))
    assert mapped == {digcomp("4.3").pk: 4, digcomp("4.4").pk: 4}


def test_several_sources_of_one_target_give_the_highest_level(shipped):
    mapped = map_levels({crcn("1.2").pk: 2, crcn("1.3").pk: 5}, Framework.objects.get(slug="digcomp-2-2"))
    assert mapped[digcomp("1.3").pk] == 5


def test_levels_on_the_target_framework_itself_are_kept(shipped):
    digcomp_framework = Framework.objects.get(slug="digcomp-2-2")
    assert map_levels({digcomp("2.5").pk: 6}, digcomp_framework) == {digcomp("2.5").pk: 6}


def test_deleting_a_competence_used_by_a_job_profile_is_refused(shipped):
    profile = JobProfile.objects.create(name="Programmation", slug="programmation")
    JobProfileTarget.objects.create(job_profile=profile, competence=crcn("3.4"), level=3)
    with pytest.raises(CompetenceInUse):
        delete_competence(crcn("3.4"))


def test_deleting_an_unused_competence_works(sample):
    delete_competence(sample.competences.get(code="B.1"))
    assert not sample.competences.filter(code="B.1").exists()


def test_protected_by_lists_what_forbids_deletion(shipped):
    profile = JobProfile.objects.create(name="Programmation", slug="programmation")
    target = JobProfileTarget.objects.create(job_profile=profile, competence=crcn("3.4"), level=3)
    assert protected_by(crcn("3.4")) == [target]


def test_retiring_a_competence_keeps_it(sample):
    retire_competence(sample.competences.get(code="B.1"))
    assert sample.competences.get(code="B.1").retired


def test_saving_a_framework_without_a_competence_retires_it(sample):
    data = sample_data()
    data["areas"][1]["competences"] = []
    save_framework(data)
    assert sample.competences.get(code="B.1").retired


@pytest.fixture
def reception_profile(shipped):
    profile = JobProfile.objects.create(name="Agent d'accueil France Services", slug="accueil-fs")
    JobProfileTarget.objects.create(job_profile=profile, competence=crcn("2.1"), level=3)
    JobProfileTarget.objects.create(job_profile=profile, competence=crcn("4.2"), level=3)
    return profile


def test_gaps_give_current_level_target_and_gap_per_target(reception_profile):
    gaps = job_profile_gaps({crcn("2.1").pk: 1, crcn("4.2").pk: 4}, reception_profile)
    assert [(g.competence.code, g.current, g.target, g.gap) for g in gaps] == [
        ("2.1", 1, 3, 2),
        ("4.2", 4, 3, 0),
    ]


def test_gaps_count_a_missing_level_as_zero(reception_profile):
    assert [g.gap for g in job_profile_gaps({}, reception_profile)] == [3, 3]


def test_gaps_of_a_digcomp_profile_use_crcn_levels_through_the_crosswalk(shipped):
    profile = JobProfile.objects.create(name="DigComp", slug="digcomp")
    JobProfileTarget.objects.create(job_profile=profile, competence=digcomp("4.2"), level=2)
    (gap,) = job_profile_gaps({crcn("4.2").pk: 2}, profile)
    assert gap.reached


def test_create_new_version_copies_the_framework_as_a_linked_draft(shipped):
    crcn_2019 = Framework.objects.get(slug="crcn")
    new = create_new_version(crcn_2019, "2026")
    assert (new.uri, new.status, new.previous_version, new.competences.count()) == (
        "https://w3id.org/tremplin/frameworks/crcn/2026",
        Framework.Status.DRAFT,
        crcn_2019,
        16,
    )


def test_levels_on_the_old_version_count_on_the_new_one(shipped):
    new = create_new_version(Framework.objects.get(slug="crcn"), "2026")
    mapped = map_levels({crcn("4.2").pk: 3}, new)
    assert mapped == {new.competences.get(code="4.2").pk: 3}


def test_creating_the_same_version_twice_is_refused(shipped):
    create_new_version(Framework.objects.get(slug="crcn"), "2026")
    with pytest.raises(FrameworkDataError):
        create_new_version(Framework.objects.get(slug="crcn"), "2026")


def test_changing_a_competence_updates_the_frameworks_last_change_date(sample):
    before = sample.updated_at
    data = sample_data()
    data["areas"][1]["competences"][0]["title"] = "Reconnaître un hameçonnage"
    assert save_framework(data).updated_at > before


def test_saving_a_framework_without_a_descriptor_removes_it(sample):
    data = sample_data()
    data["areas"][0]["competences"][0]["levels"] = [{"level": 1, "descriptor": "Montre le site"}]
    save_framework(data)
    assert list(sample.competences.get(code="A.1").level_descriptors.values_list("level", flat=True)) == [1]


def test_saving_a_framework_with_a_shorter_scale_removes_the_extra_levels(sample):
    data = sample_data()
    data["levels"] = data["levels"][:2]
    data["areas"][0]["competences"][0]["levels"] = []
    save_framework(data)
    assert list(sample.levels.values_list("number", flat=True)) == [1, 2]
