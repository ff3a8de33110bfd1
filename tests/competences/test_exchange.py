import json
import re

import jsonschema
import pytest
from django.core.management import CommandError, call_command

from competences.exchange import ImportRejected, export_framework, import_framework, preview_import
from competences.exchange.case import identifier
from competences.models import Competence, Framework, JobProfile
from competences.services import (
    FrameworkDataError,
    delete_framework,
    framework_data,
    load_shipped_frameworks,
    save_framework,
)

from .case_schema import CFPACKAGE

pytestmark = pytest.mark.django_db

#: What Moodle's CSV cannot carry (see competences/exchange/moodle.py).
NOT_IN_MOODLE = ("version", "source", "licence", "status", "updated_at")


def comparable(data: dict, drop=("updated_at",)) -> dict:
    data = {key: value for key, value in data.items() if key not in drop}
    if "status" in drop:
        for area in data["areas"]:
            for competence in area["competences"]:
                competence["retired"] = "see the stored value"
        for level in data["levels"]:
            level.pop("descriptor")
    return data


def round_trip(framework: Framework, fmt: str) -> tuple[dict, dict]:
    before = framework_data(framework)
    content = export_framework(framework, fmt)
    delete_framework(framework)
    return before, framework_data(import_framework(content, fmt))


@pytest.mark.parametrize("fmt", ["csv", "case"])
def test_export_then_import_reproduces_the_framework(sample, fmt):
    before, after = round_trip(sample, fmt)
    assert comparable(after) == comparable(before)


def test_moodle_export_then_import_reproduces_what_moodle_carries(sample):
    before, after = round_trip(sample, "moodle")
    assert comparable(after, NOT_IN_MOODLE) == comparable(before, NOT_IN_MOODLE)


@pytest.mark.parametrize("fmt", ["csv", "case", "moodle"])
def test_importing_an_export_over_the_same_framework_changes_nothing(sample, fmt):
    before = framework_data(sample)
    import_framework(export_framework(sample, fmt), fmt)
    assert comparable(framework_data(Framework.objects.get(slug="sample"))) == comparable(before)


@pytest.mark.parametrize("slug", ["crcn", "digcomp-2-2"])
def test_shipped_frameworks_round_trip_through_case(slug):
    load_shipped_frameworks()
    JobProfile.objects.all().delete()  # the shipped job profile would protect CRCN competences
    before, after = round_trip(Framework.objects.get(slug=slug), "case")
    assert comparable(after) == comparable(before)


def test_case_export_passes_the_case_1_1_required_fields(sample):
    package = json.loads(export_framework(sample, "case"))
    jsonschema.validate(package, CFPACKAGE, format_checker=jsonschema.FormatChecker())


def test_case_export_of_digcomp_passes_the_case_1_1_required_fields():
    load_shipped_frameworks()
    package = json.loads(export_framework(Framework.objects.get(slug="digcomp-2-2"), "case"))
    jsonschema.validate(package, CFPACKAGE, format_checker=jsonschema.FormatChecker())


def test_case_identifiers_are_uuid5_of_the_uris_and_stable_across_exports(sample):
    first = json.loads(export_framework(sample, "case"))
    second = json.loads(export_framework(sample, "case"))
    assert [i["identifier"] for i in first["CFItems"]] == [i["identifier"] for i in second["CFItems"]] and (
        first["CFDocument"]["identifier"] == identifier(sample.uri)
    )


def test_case_competences_carry_their_code_and_are_children_of_their_area(sample):
    package = json.loads(export_framework(sample, "case"))
    item = next(i for i in package["CFItems"] if i.get("humanCodingScheme") == "B.1")
    parent = next(
        a["destinationNodeURI"]["uri"]
        for a in package["CFAssociations"]
        if a["associationType"] == "isChildOf" and a["originNodeURI"]["uri"] == item["uri"]
    )
    assert parent == f"{sample.uri}/areas/B"


def test_case_competences_have_skill_levels(sample):
    package = json.loads(export_framework(sample, "case"))
    levels = [
        a
        for a in package["CFAssociations"]
        if a["associationType"] == "hasSkillLevel" and a["originNodeURI"]["uri"].endswith("/A.1")
    ]
    assert len(levels) == 3


def csv_with(*rows) -> str:
    header = "record,code,area,level,title,description,uri,retired,version,language,source,licence,status\n"
    return header + "".join(row + "\n" for row in rows)


BAD_CSV = csv_with(
    "framework,bad,,,Mauvais,,https://example.org/bad,,,,,,",
    "level,,,un,Débutant,,,,,,,,",
    "area,X,,,Domaine,,,,,,,,",
    "competence,X.1,Y,,Compétence,,,,,,,,",
    "competence,X.2,X,,,,,,,,,,",
)


def test_invalid_csv_is_rejected_with_each_bad_row_and_column():
    with pytest.raises(ImportRejected) as rejected:
        import_framework(BAD_CSV, "csv")
    # Row numbers and column names, whatever the language of the messages.
    assert [
        (re.findall(r"\d+", e)[0], re.findall(r"[“«]\s?(\w+)\s?[”»]", e)[0]) for e in rejected.value.errors
    ] == [
        ("3", "level"),
        ("5", "area"),
        ("6", "title"),
    ]


def test_invalid_csv_stores_nothing():
    with pytest.raises(ImportRejected):
        import_framework(BAD_CSV, "csv")
    assert not Framework.objects.filter(slug="bad").exists()


def test_a_file_valid_row_by_row_but_reusing_another_frameworks_uri_stores_nothing(sample):
    content = csv_with(
        "framework,copy,,,Copie,,https://example.org/copy,,,,,,",
        "level,,,1,Un,,,,,,,,",
        "area,A,,,Domaine,,,,,,,,",
        f"competence,A.1,A,,Compétence,,{sample.uri}/competences/A.1,0,,,,,",
    )
    with pytest.raises(ImportRejected):
        import_framework(content, "csv")
    assert not Framework.objects.filter(slug="copy").exists()


def test_invalid_case_names_the_missing_fields():
    content = json.dumps({"CFDocument": {"identifier": "x", "title": "T"}, "CFItems": [{"uri": "u"}]})
    with pytest.raises(ImportRejected) as rejected:
        import_framework(content, "case")
    assert any("CFItems[0]" in error and "fullStatement" in error for error in rejected.value.errors)


def test_invalid_json_is_rejected():
    with pytest.raises(ImportRejected):
        import_framework("{not json", "case")


def test_invalid_moodle_csv_names_the_unknown_parent():
    content = (
        "Parent id number,Id number,Shortname,Description,Description format,Scale values,"
        "Scale configuration,Rule type (optional),Rule outcome (optional),Rule config (optional),"
        "Cross referenced competency id numbers,Exported id (optional),Is framework,Taxonomy\n"
        ',m,Moodle,,1,"Non,Oui",,,,,,,1,competency\n'
        ",1,Domaine,,1,,,,,,,,0,\n"
        "9,1.1,Compétence,,1,,,,,,,,0,\n"
    )
    with pytest.raises(ImportRejected) as rejected:
        import_framework(content, "moodle")
    assert [(re.findall(r"\d+", e)[0], "Parent id number" in e) for e in rejected.value.errors] == [
        ("4", True)
    ]


def test_preview_says_which_framework_an_import_would_update(sample):
    preview = preview_import(export_framework(sample, "csv"), "csv")
    assert (preview.existing, preview.competence_count, preview.errors) == (sample, 3, [])


def test_command_exports_and_imports_a_file(sample, tmp_path):
    path = tmp_path / "sample.json"
    call_command("lms_framework", "export", "sample", "--format", "case", "-o", str(path))
    delete_framework(sample)
    call_command("lms_framework", "import", str(path))
    assert Competence.objects.filter(framework__slug="sample").count() == 3


def test_command_reports_a_rejected_file(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(BAD_CSV, encoding="utf-8")
    with pytest.raises(CommandError, match="level"):
        call_command("lms_framework", "import", str(path))


def test_command_refuses_an_unknown_slug():
    with pytest.raises(CommandError):
        call_command("lms_framework", "export", "nope")


MOODLE_HEADER = (
    '"Parent id number","Id number",Shortname,Description,"Description format","Scale values",'
    '"Scale configuration","Rule type (optional)","Rule outcome (optional)","Rule config (optional)",'
    '"Cross referenced competency id numbers","Exported id (optional)","Is framework",Taxonomy\n'
)


def test_a_moodle_framework_deeper_than_two_levels_is_kept_flattened_under_its_areas():
    content = MOODLE_HEADER + (
        ',AGENTS,"Compétences des agents","<p>Référentiel interne</p>",1,"Pas encore,Acquis",'
        '"[{""scaleid"":""2""},{""id"":2,""scaledefault"":1,""proficient"":1}]",,,,,,1,'
        '"competency,competency,competency"\n'
        ",accueil,Accueil,,1,,,,0,null,,2,,\n"
        "accueil,orienter,Orienter,,1,,,,0,null,,3,,\n"
        'orienter,orienter-tel,"Orienter au téléphone","<p>Au standard</p>",1,,,,0,null,,4,,\n'
        ",securite,Sécurité,,1,,,,0,null,,5,,\n"
    )
    framework = import_framework(content, "moodle")
    assert [(c.area.code, c.code, c.title) for c in framework.competences.order_by("sort_order")] == [
        ("accueil", "orienter", "Orienter"),
        ("accueil", "orienter-tel", "Orienter au téléphone"),
    ]


def test_a_case_package_from_another_tool_with_deeper_items_is_flattened(sample):
    package = json.loads(export_framework(sample, "case"))
    delete_framework(sample)
    child = {
        "identifier": identifier("https://example.org/sub"),
        "uri": "https://example.org/sub",
        "fullStatement": "Sous-compétence",
        "humanCodingScheme": "B.1.a",
        "lastChangeDateTime": "2025-01-01T00:00:00Z",
    }
    parent_uri = next(i["uri"] for i in package["CFItems"] if i.get("humanCodingScheme") == "B.1")
    package["CFItems"].append(child)
    package["CFAssociations"].append(
        {
            "identifier": identifier("https://example.org/sub#isChildOf"),
            "uri": "https://example.org/sub#isChildOf",
            "associationType": "isChildOf",
            "originNodeURI": {"title": "x", "identifier": child["identifier"], "uri": child["uri"]},
            "destinationNodeURI": {"title": "B.1", "identifier": identifier(parent_uri), "uri": parent_uri},
            "lastChangeDateTime": "2025-01-01T00:00:00Z",
        }
    )
    framework = import_framework(json.dumps(package), "case")
    assert framework.competences.get(code="B.1.a").area.code == "B"


def test_a_case_package_with_a_list_for_a_title_is_rejected_with_the_field_named(frameworks):
    package = json.loads(export_framework(Framework.objects.get(slug="crcn"), "case"))
    package["CFItems"][0]["fullStatement"] = ["not", "text"]
    with pytest.raises(ImportRejected, match="fullStatement"):
        import_framework(json.dumps(package), "case")


@pytest.mark.parametrize("bad", ["Titre\x00", "\ud800", "x" * 300])
def test_a_framework_file_with_text_the_database_refuses_is_rejected_and_stores_nothing(frameworks, bad):
    package = json.loads(export_framework(Framework.objects.get(slug="crcn"), "case"))
    package["CFDocument"]["uri"] = "https://example.org/frameworks/other"
    package["CFDocument"]["extensions"] = {}
    package["CFDocument"]["title"] = bad
    count = Framework.objects.count()
    with pytest.raises(ImportRejected):
        import_framework(json.dumps(package), "case")
    assert Framework.objects.count() == count


def test_a_csv_with_a_cell_longer_than_the_csv_module_reads_is_rejected(frameworks):
    content = "record,code,title\nframework," + "x" * 200_000 + ",T\n"
    assert preview_import(content, "csv").errors


def test_a_competence_taking_the_uri_of_another_competence_of_its_framework_is_rejected(frameworks):
    data = framework_data(Framework.objects.get(slug="crcn"))
    data["areas"][0]["competences"][0]["code"] = "9.9"  # a new code with the URI of 1.1
    with pytest.raises(FrameworkDataError, match="9.9"):
        save_framework(data)
