import uuid

import jsonschema
import pytest

from competences.exchange.case import identifier
from competences.models import Framework
from competences.services import load_shipped_frameworks, save_framework

from .case_schema import CFPACKAGE
from .conftest import sample_data

pytestmark = pytest.mark.django_db

BASE = "/ims/case/v1p1"


@pytest.fixture
def shipped(db):
    load_shipped_frameworks()


def test_cfdocuments_lists_the_published_frameworks(client, shipped):
    save_framework(sample_data(status="draft"))
    titles = [d["title"] for d in client.get(f"{BASE}/CFDocuments").json()["CFDocuments"]]
    assert len(titles) == 2 and all("exemple" not in title for title in titles)


def test_cfdocuments_link_each_document_to_its_package(client, shipped):
    document = client.get(f"{BASE}/CFDocuments").json()["CFDocuments"][0]
    assert document["CFPackageURI"]["uri"].endswith(f"{BASE}/CFPackages/{document['identifier']}")


def test_cfpackage_serves_a_valid_case_package(client, shipped):
    crcn = Framework.objects.get(slug="crcn")
    response = client.get(f"{BASE}/CFPackages/{identifier(crcn.uri)}")
    jsonschema.validate(response.json(), CFPACKAGE, format_checker=jsonschema.FormatChecker())


def test_cfpackage_of_an_unknown_id_is_404(client, shipped):
    assert client.get(f"{BASE}/CFPackages/{uuid.uuid4()}").status_code == 404


def test_cfpackage_of_a_draft_framework_is_404(client):
    draft = save_framework(sample_data(status="draft"))
    assert client.get(f"{BASE}/CFPackages/{identifier(draft.uri)}").status_code == 404


def test_cfitem_serves_a_competence_by_the_uuid_of_its_uri(client, shipped):
    uri = "https://w3id.org/tremplin/frameworks/crcn/2019/competences/4.2"
    item = client.get(f"{BASE}/CFItems/{identifier(uri)}").json()
    assert (item["humanCodingScheme"], item["CFDocumentURI"]["uri"]) == (
        "4.2",
        "https://w3id.org/tremplin/frameworks/crcn/2019",
    )


def test_cfitem_of_an_unknown_id_is_404(client, shipped):
    assert client.get(f"{BASE}/CFItems/{uuid.uuid4()}").status_code == 404


def test_case_api_is_read_only(client, shipped):
    assert client.post(f"{BASE}/CFDocuments").status_code == 405
