import pytest

from competences.models import URI_BASE
from competences.services import save_framework

SAMPLE_URI = f"{URI_BASE}sample"


def sample_data(**changes) -> dict:
    """A small framework that uses every feature the formats carry."""
    data = {
        "slug": "sample",
        "title": "Référentiel d'exemple",
        "description": "Deux domaines, trois compétences.",
        "version": "2025",
        "language": "fr",
        "source": "Tremplin, tests",
        "licence": "Licence Ouverte 2.0",
        "uri": SAMPLE_URI,
        "status": "published",
        "levels": [
            {"number": 1, "name": "Débutant", "descriptor": "Avec de l'aide"},
            {"number": 2, "name": "Confirmé", "descriptor": "Seul, y compris dans des cas nouveaux"},
            {"number": 3, "name": "Expert", "descriptor": "Guide les autres"},
        ],
        "areas": [
            {
                "code": "A",
                "title": "Accueil, usagers",
                "competences": [
                    {
                        "code": "A.1",
                        "title": "Orienter un usager vers un service en ligne",
                        "description": "Connaître les démarches ; les expliquer.",
                        "uri": f"{SAMPLE_URI}/competences/A.1",
                        "retired": False,
                        "levels": [
                            {"level": 1, "descriptor": "Montre le site de la démarche"},
                            {"level": 3, "descriptor": "Forme des collègues à l'accompagnement"},
                        ],
                    },
                    {
                        "code": "A.2",
                        "title": "Ancienne compétence",
                        "description": "",
                        "uri": f"{SAMPLE_URI}/competences/A.2",
                        "retired": True,
                        "levels": [],
                    },
                ],
            },
            {
                "code": "B",
                "title": "Sécurité",
                "competences": [
                    {
                        "code": "B.1",
                        "title": "Reconnaître un hameçonnage, un « phishing »",
                        "description": "Ligne 1\nLigne 2, avec virgule",
                        "uri": f"{SAMPLE_URI}/competences/B.1",
                        "retired": False,
                        "levels": [],
                    }
                ],
            },
        ],
    }
    data.update(changes)
    return data


@pytest.fixture
def sample(db):
    return save_framework(sample_data())
