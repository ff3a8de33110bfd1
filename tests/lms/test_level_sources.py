"""Where a validated level comes from (Pix, a Tremplin assessment) is shown to the learner and exported."""

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from django.urls import reverse

from lms.analytics import services as analytics
from lms.imports.pix import import_profiles_collection
from tests.conftest import right_answers

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "pix_collecte_profils.csv"
#: Camille's Pix result in the sample: level 3 in CRCN 1.1, shared on 14 March 2025.
PIX_COMPETENCE = "1.1"


@pytest.fixture
def pix_learner(client, frameworks, agent, commune):
    import_profiles_collection(SAMPLE.read_bytes(), commune)
    analytics.process_new_statements()
    client.force_login(agent)
    return client


def _profile_row(page: str, code: str) -> str:
    start = page.index(f'<th scope="row">{code} ')
    return page[start : page.index("</tr>", start)]


def test_my_learning_shows_pix_next_to_a_level_imported_from_pix(pix_learner):
    page = pix_learner.get(reverse("lms:my_learning")).content.decode()
    assert "<td>3</td><td>14/03/2025</td><td>Pix</td>" in _profile_row(page, PIX_COMPETENCE)


def test_my_learning_says_a_tremplin_assessment_validated_a_quiz_level(
    client, agent, quiz_lesson, django_capture_on_commit_callbacks
):
    client.force_login(agent)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(quiz_lesson.url, right_answers(quiz_lesson))
    page = client.get(reverse("lms:my_learning")).content.decode()
    assert "<td>une évaluation Tremplin</td>" in _profile_row(page, "4.2")


def test_json_export_gives_the_source_of_each_piece_of_evidence(pix_learner):
    data = json.loads(pix_learner.post(reverse("lms:my_data_export", args=["json"])).content)
    sources = {row["competence"].split()[0]: row["source"] for row in data["evidence"]}
    assert sources[PIX_COMPETENCE] == "Pix"


def test_csv_export_gives_the_source_of_each_piece_of_evidence(pix_learner):
    response = pix_learner.post(reverse("lms:my_data_export", args=["csv"]))
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    rows = csv.DictReader(io.StringIO(archive.read("evidence.csv").decode("utf-8-sig")), delimiter=";")
    assert {row["source"] for row in rows} == {"Pix"}


def test_a_competence_titled_in_english_is_marked_as_english_on_my_learning(client, frameworks, agent):
    """RGAA 8.7: DigComp's competence titles exist in English only; the French page marks them."""
    from django.utils import timezone

    from competences.models import Competence
    from lms.models import EvidenceKind, LearnerLevelHistory
    from lms.services.organisations import learner_for

    actor = str(learner_for(agent).actor_name)
    for slug in ("crcn", "digcomp"):
        LearnerLevelHistory.objects.create(
            actor_name=actor,
            competence=Competence.objects.get(framework__slug__startswith=slug, code="1.1"),
            kind=EvidenceKind.VALIDATED,
            level=2,
            reached_at=timezone.now(),
        )
    client.force_login(agent)
    page = client.get(reverse("lms:my_learning")).content.decode()
    digcomp = Competence.objects.get(framework__slug__startswith="digcomp", code="1.1")
    crcn = Competence.objects.get(framework__slug__startswith="crcn", code="1.1")
    assert f'<span lang="en">{digcomp.title}</span>' in page
    assert f'<th scope="row">{crcn.code} {crcn.title}</th>' in page
