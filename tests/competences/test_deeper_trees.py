"""Imports from other tools with trees deeper than area → competence: flattened, and the preview says so."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import translation

from competences.exchange import import_framework, preview_import
from competences.exchange.case import identifier

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """The messages are compared in English (the site's language is French)."""
    with translation.override("en"):
        yield


BASE = "https://example.org/cadre"
STAMP = "2025-01-01T00:00:00Z"


def _item(path, statement, code):
    uri = f"{BASE}/{path}"
    return {
        "identifier": identifier(uri),
        "uri": uri,
        "fullStatement": statement,
        "humanCodingScheme": code,
        "lastChangeDateTime": STAMP,
    }


def _child(child, parent, sequence):
    uri = f"{child['uri']}#isChildOf"
    return {
        "identifier": identifier(uri),
        "uri": uri,
        "associationType": "isChildOf",
        "sequenceNumber": sequence,
        "originNodeURI": {
            "title": child["fullStatement"],
            "identifier": child["identifier"],
            "uri": child["uri"],
        },
        "destinationNodeURI": {"title": "parent", "identifier": parent["identifier"], "uri": parent["uri"]},
        "lastChangeDateTime": STAMP,
    }


def three_level_package() -> str:
    """A CASE package of another tool: domain → competence → sub-competence, no CFItemType."""
    document = {
        "identifier": identifier(BASE),
        "uri": BASE,
        "creator": "Un autre outil",
        "title": "Cadre à trois niveaux",
        "lastChangeDateTime": STAMP,
    }
    domain = _item("d1", "Communication", "D1")
    competence = _item("d1/c1", "Rédiger un courriel", "D1.1")
    sub = _item("d1/c1/s1", "Rédiger un courriel à un usager", "D1.1.a")
    level = {**_item("levels/1", "Acquis", ""), "CFItemType": "Proficiency level", "listEnumeration": "1"}
    return json.dumps(
        {
            "CFDocument": document,
            "CFItems": [level, domain, competence, sub],
            "CFAssociations": [
                _child(domain, document, 1),
                _child(competence, domain, 1),
                _child(sub, competence, 1),
            ],
        }
    )


def test_a_three_level_case_file_is_previewed_with_a_message_for_the_deeper_item():
    notices = preview_import(three_level_package(), "case").notices
    assert notices == [
        f"CFItem D1.1.a ({BASE}/d1/c1/s1) is under the competence D1.1: Tremplin keeps two depths "
        "(area, competence), so it becomes a competence of the area D1."
    ]


def test_a_three_level_case_file_keeps_the_deeper_item_as_a_competence_of_its_area():
    framework = import_framework(three_level_package(), "case")
    assert [(c.area.code, c.code) for c in framework.competences.order_by("sort_order")] == [
        ("D1", "D1.1"),
        ("D1", "D1.1.a"),
    ]


def test_a_two_level_file_has_no_message(frameworks):
    from competences.exchange import export_framework
    from competences.models import Framework

    assert preview_import(export_framework(Framework.objects.get(slug="crcn"), "case"), "case").notices == []


def test_the_admin_preview_shows_the_message_before_the_import(admin_client):
    response = admin_client.post(
        "/admin/frameworks/import/",
        {"file": SimpleUploadedFile("cadre.json", three_level_package().encode()), "format": ""},
    )
    assert "D1.1.a" in response.content.decode() and "D1.1" in response.content.decode()


def test_the_command_prints_the_message(tmp_path, capsys):
    path = tmp_path / "cadre.json"
    path.write_text(three_level_package(), encoding="utf-8")
    call_command("lms_framework", "import", str(path))
    assert "D1.1.a" in capsys.readouterr().out


def test_a_moodle_competency_under_a_competency_gets_a_message_naming_its_row():
    from tests.competences.test_exchange import MOODLE_HEADER

    content = MOODLE_HEADER + (
        ',AGENTS,"Compétences des agents","",1,"Pas encore,Acquis",'
        '"[{""scaleid"":""2""},{""id"":2,""scaledefault"":1,""proficient"":1}]",,,,,,1,'
        '"competency,competency,competency"\n'
        ",accueil,Accueil,,1,,,,0,null,,2,,\n"
        "accueil,orienter,Orienter,,1,,,,0,null,,3,,\n"
        'orienter,orienter-tel,"Orienter au téléphone","",1,,,,0,null,,4,,\n'
    )
    preview = preview_import(content, "moodle")
    assert [notice.split(":")[0] for notice in preview.notices] == ["Row 5"], preview.errors
