"""Loading shipped frameworks (idempotent)."""

import json
from pathlib import Path

from django.db import transaction

from .models import Area, Competence, Framework, Level

DATA_DIR = Path(__file__).resolve().parent / "data"


def competence_uri(framework_uri: str, code: str) -> str:
    """Return the stable URI of competence ``code`` in the framework identified by ``framework_uri``."""
    return f"{framework_uri}/competences/{code}"


@transaction.atomic
def load_framework(data: dict) -> Framework:
    """Create or update a framework from its shipped description.

    Running it twice leaves the database unchanged: rows are matched on their natural keys
    (framework slug, area code, competence code, level number).

    Args:
        data: the parsed content of a file of ``competences/data/``.

    Returns:
        The framework, with its areas, competences and levels saved.
    """
    framework, _ = Framework.objects.update_or_create(
        slug=data["slug"],
        defaults={
            "title": data["title"],
            "version": data.get("version", ""),
            "language": data.get("language", "fr"),
            "source": data.get("source", ""),
            "licence": data.get("licence", ""),
            "uri": data["uri"],
        },
    )
    for level in data["levels"]:
        Level.objects.update_or_create(
            framework=framework,
            number=level["number"],
            defaults={"name": level["name"], "descriptor": level.get("descriptor", "")},
        )
    order = 0
    for area_order, area_data in enumerate(data["areas"]):
        area, _ = Area.objects.update_or_create(
            framework=framework,
            code=area_data["code"],
            defaults={"title": area_data["title"], "sort_order": area_order},
        )
        for competence_data in area_data["competences"]:
            order += 1
            Competence.objects.update_or_create(
                framework=framework,
                code=competence_data["code"],
                defaults={
                    "area": area,
                    "title": competence_data["title"],
                    "description": competence_data.get("description", ""),
                    "uri": competence_uri(framework.uri, competence_data["code"]),
                    "sort_order": order,
                },
            )
    return framework


def load_shipped_frameworks() -> list[Framework]:
    """Load every framework shipped in ``competences/data/`` and return them."""
    return [
        load_framework(json.loads(path.read_text(encoding="utf-8")))
        for path in sorted(DATA_DIR.glob("*.json"))
    ]
