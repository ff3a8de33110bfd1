"""Pix Orga "collecte de profils" exports as evidence: parsing, matching, statements, aggregation, admin."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from competences.models import Competence
from lms.analytics import services as analytics
from lms.imports.pix import PixImportRejected, import_profiles_collection, parse_profiles_collection
from lms.models import LearnerCompetenceLevel, Membership, Statement
from lms.services.organisations import learner_for
from lms.xapi import vocabulary as v
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "pix_collecte_profils.csv"
URL = "/admin/tremplin/import-pix/"


@pytest.fixture
def sample() -> bytes:
    return SAMPLE.read_bytes()


@pytest.fixture
def people(frameworks, agent, commune, other_commune):
    """Camille (matched by email), Dominique (by username), Alix of another commune (never matched)."""
    dominique = make_user("dominique", commune, Membership.Role.AGENT)
    make_user("alix", other_commune, Membership.Role.AGENT)
    return {"camille": agent, "dominique": dominique}


def test_sample_file_is_a_pix_export_with_a_bom_and_semicolons(sample):
    assert sample.startswith("\ufeff".encode()) and sample.split(b"\n")[0].count(b";") == 11 + 32


def test_parsing_reads_sixteen_competences_and_the_campaign(frameworks, sample):
    parsed = parse_profiles_collection(sample)
    assert (len(parsed.competences), parsed.campaign_id, len(parsed.participations)) == (16, "48213", 5)


def test_parsing_matches_pix_titles_with_typographic_apostrophes(frameworks, sample):
    parsed = parse_profiles_collection(sample)
    codes = {competence.code for competence in parsed.competences.values()}
    assert {"1.1", "2.4", "4.1"} <= codes


def test_parsing_removes_the_formula_guard(frameworks, sample):
    last = parse_profiles_collection(sample).participations[-1]
    assert (last.last_name, last.first_name) == ("=Durand", "@Alix")


def test_import_matches_by_email_and_by_username(people, commune, sample):
    report = import_profiles_collection(sample, commune)
    assert report.matched == 2


def test_import_reports_unmatched_rows_including_people_of_other_collectivities(people, commune, sample):
    report = import_profiles_collection(sample, commune)
    assert [(row.line, row.name) for row in report.unmatched] == [(4, "Sacha Bernard"), (6, "@Alix =Durand")]


def test_import_reports_rows_not_shared(people, commune, sample):
    assert import_profiles_collection(sample, commune).not_shared == [5]


def test_each_level_from_one_becomes_a_passed_statement(people, commune, sample):
    report = import_profiles_collection(sample, commune)
    # Camille: 15 competences at level ≥ 1; Dominique: 9.
    assert report.new_statements == Statement.objects.filter(verb=v.PASSED.id).count() == 15 + 9


def test_statements_carry_the_validated_level_the_campaign_and_the_source(people, commune, sample):
    import_profiles_collection(sample, commune)
    actor = str(learner_for(people["camille"]).actor_name)
    uri = "https://w3id.org/tremplin/frameworks/crcn/2019/competences/1.1"
    data = Statement.objects.get(actor_name=actor, object_id=uri).data
    context = data["context"]
    assert (
        context["extensions"][v.EXT_VALIDATED_LEVELS],
        context["extensions"][v.EXT_EVIDENCE_SOURCE],
        context["contextActivities"]["grouping"][0]["id"],
        v.PIX_CATEGORY in [a["id"] for a in context["contextActivities"]["category"]],
    ) == ([{"competence": uri, "level": 3}], "pix", "https://orga.pix.fr/campagnes/48213", True)


def test_statements_use_the_pseudonymous_actor_never_the_email(people, commune, sample):
    import_profiles_collection(sample, commune)
    assert not Statement.objects.filter(data__actor__mbox__isnull=False).exists() and not any(
        "example.org" in str(s.data["actor"]) for s in Statement.objects.all()
    )


def test_statements_are_dated_when_the_participant_shared_their_results(people, commune, sample):
    import_profiles_collection(sample, commune)
    assert Statement.objects.first().timestamp.isoformat() == "2025-03-14T08:42:00+00:00"


def test_uploading_the_same_file_again_adds_nothing(people, commune, sample):
    import_profiles_collection(sample, commune)
    count = Statement.objects.count()
    report = import_profiles_collection(sample, commune)
    assert (Statement.objects.count(), report.new_statements, report.statements) == (count, 0, 24)


def test_pix_levels_become_learner_levels_after_aggregation(people, commune, sample):
    import_profiles_collection(sample, commune)
    analytics.process_new_statements()
    actor = str(learner_for(people["camille"]).actor_name)
    level = LearnerCompetenceLevel.objects.get(
        actor_name=actor, competence__framework__slug="crcn", competence__code="2.1"
    )
    assert level.level == 3


def test_pix_levels_show_in_the_collectivity_snapshot(people, commune, sample):
    import_profiles_collection(sample, commune)
    analytics.process_new_statements()
    snapshot = analytics.rebuild_snapshot(commune.pk)
    crcn_11 = Competence.objects.get(framework__slug="crcn", code="1.1")
    levels = snapshot.data["groups"]["all|all|all"]["levels"]  # [competence][month][level 0..8]
    assert levels[snapshot.data["competences"].index(crcn_11.pk)][-1][3] == 1


def bad_file(sample: bytes, old: str, new: str) -> bytes:
    return sample.decode("utf-8").replace(old, new, 1).encode("utf-8")


def test_a_bad_level_rejects_the_file_and_names_the_row_and_column(people, commune, sample):
    content = bad_file(
        sample, '"14/03/2025 09:42";240;"Oui";15;3;26', '"14/03/2025 09:42";240;"Oui";15;trois;26'
    )
    with pytest.raises(PixImportRejected) as rejected:
        import_profiles_collection(content, commune)
    assert (
        len(rejected.value.errors) == 1
        and "2" in rejected.value.errors[0]
        and ("Mener une recherche" in rejected.value.errors[0])
    )


def test_a_rejected_file_stores_nothing(people, commune, sample):
    content = bad_file(sample, '"Oui";"14/03/2025 09:42";240', '"Oui";"le 14 mars";240')
    with pytest.raises(PixImportRejected):
        import_profiles_collection(content, commune)
    assert Statement.objects.count() == 0


def test_an_unknown_competence_title_rejects_the_file(people, commune, sample):
    content = bad_file(sample, "compétence Interagir", "compétence Jongler")
    with pytest.raises(PixImportRejected) as rejected:
        import_profiles_collection(content, commune)
    assert any("Jongler" in error for error in rejected.value.errors)


def test_a_file_without_the_required_columns_is_rejected(people, commune):
    with pytest.raises(PixImportRejected):
        import_profiles_collection(b"\xef\xbb\xbfnom,prenom\nMartin,Camille\n", commune)


def test_a_file_that_is_not_utf8_is_rejected(people, commune, sample):
    with pytest.raises(PixImportRejected):
        import_profiles_collection(sample.decode("utf-8").encode("latin-1", errors="replace"), commune)


def test_older_exports_with_a_date_only_column_are_read(people, commune, sample):
    content = bad_file(sample, "Date et heure de l'envoi (Europe/Paris)", "Date de l'envoi")
    content = content.decode("utf-8").replace('"14/03/2025 09:42"', "2025-03-14").encode("utf-8")
    assert import_profiles_collection(content, commune).matched == 2


# The admin page


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_hr_manager_imports_a_file_from_the_admin(client, people, hr_manager, commune, sample):
    login(client, hr_manager)
    response = client.post(URL, {"collectivity": commune.pk, "file": SimpleUploadedFile("r.csv", sample)})
    assert response.status_code == 200 and Statement.objects.count() == 24


def test_the_admin_report_lists_unmatched_rows(client, people, hr_manager, commune, sample):
    login(client, hr_manager)
    response = client.post(URL, {"collectivity": commune.pk, "file": SimpleUploadedFile("r.csv", sample)})
    assert "Sacha Bernard" in response.content.decode()


def test_a_bad_file_in_the_admin_is_a_400_with_the_report(client, people, hr_manager, commune):
    login(client, hr_manager)
    response = client.post(
        URL, {"collectivity": commune.pk, "file": SimpleUploadedFile("r.csv", b"a;b\n1;2\n")}
    )
    assert response.status_code == 400 and Statement.objects.count() == 0


def test_hr_manager_cannot_import_for_another_collectivity(client, people, hr_manager, other_commune, sample):
    login(client, hr_manager)
    response = client.post(
        URL, {"collectivity": other_commune.pk, "file": SimpleUploadedFile("r.csv", sample)}
    )
    assert response.status_code == 400 and Statement.objects.count() == 0


def test_an_agent_cannot_open_the_import_page(client, people, agent):
    login(client, agent)
    assert client.get(URL).status_code in (302, 403)


def test_import_command_reports_matches_and_unmatched_rows(people, commune, capsys):
    from django.core.management import call_command

    call_command("lms_import_pix", str(SAMPLE), "--collectivity", commune.slug)
    out = capsys.readouterr().out
    assert "24" in out and "Sacha Bernard" in out


def test_import_command_rejects_a_bad_file(people, commune, tmp_path):
    from django.core.management import CommandError, call_command

    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"a;b\n1;2\n")
    with pytest.raises(CommandError):
        call_command("lms_import_pix", str(bad), "--collectivity", commune.slug)


def test_a_file_with_a_cell_longer_than_the_csv_module_reads_is_rejected(frameworks, sample):
    with pytest.raises(PixImportRejected):
        parse_profiles_collection(sample + b'"' + b"x" * 200_000 + b'";x\n')
