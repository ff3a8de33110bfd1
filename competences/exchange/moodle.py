"""Moodle's competency-framework CSV (admin tool ``tool_lpimportcsv``), both ways.

The framework row carries the slug (``Id number``), the title (``Shortname``), the description and the
level scale (``Scale values``, one name per level, and ``Scale configuration``). Areas are top-level
competencies (taxonomy ``domain``), competences their children (``competency``) and per-competence level
descriptors the children of a competence (``level``, ``Id number`` = ``<code>-<level>``). On import, Moodle
competencies deeper than two levels become competences of their top-level ancestor's area.

Moodle does not carry a framework's URI, version, language, source, licence, status, the descriptors of
the scale's levels nor a retired flag: on import they keep the stored values of a framework with the same
slug, or defaults (URI under ``URI_BASE``).
"""

import csv
import io
import json
import re

from django.utils.translation import gettext as _

from competences.models import URI_BASE, Framework

from .errors import ImportRejected

COLUMNS = [
    "Parent id number",
    "Id number",
    "Shortname",
    "Description",
    "Description format",
    "Scale values",
    "Scale configuration",
    "Rule type (optional)",
    "Rule outcome (optional)",
    "Rule config (optional)",
    "Cross referenced competency id numbers",
    "Exported id (optional)",
    "Is framework",
    "Taxonomy",
]
FORMAT_PLAIN = "2"
TAXONOMY = "domain,competency,level"
DESCRIPTOR_ID = re.compile(r"^(?P<code>.+)-(?P<level>\d+)$")


def dump(data: dict) -> str:
    """Serialise a framework data dict as Moodle's competency-framework CSV."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    names = [level["name"].replace(",", " ") for level in data["levels"]]
    config = [{"scaleid": "1"}] + [
        {"id": index, "scaledefault": 1 if index == 1 else 0, "proficient": 1}
        for index in range(1, len(names) + 1)
    ]
    writer.writerow(
        {
            "Id number": data["slug"],
            "Shortname": data["title"],
            "Description": data.get("description") or "",
            "Description format": FORMAT_PLAIN,
            "Scale values": ",".join(names),
            "Scale configuration": json.dumps(config, separators=(",", ":")),
            "Is framework": "1",
            "Taxonomy": TAXONOMY,
        }
    )
    for area in data["areas"]:
        writer.writerow(_competency("", area["code"], area["title"], ""))
        for competence in area["competences"]:
            writer.writerow(
                _competency(area["code"], competence["code"], competence["title"], competence["description"])
            )
            for descriptor in competence["levels"]:
                writer.writerow(
                    _competency(
                        competence["code"],
                        f"{competence['code']}-{descriptor['level']}",
                        descriptor["descriptor"][:100],
                        descriptor["descriptor"],
                    )
                )
    return buffer.getvalue()


def _is_descriptor(idnumber: str, parent: str) -> bool:
    match = DESCRIPTOR_ID.match(idnumber)
    return bool(match) and match["code"] == parent


def _competency(parent: str, idnumber: str, shortname: str, description: str) -> dict:
    return {
        "Parent id number": parent,
        "Id number": idnumber,
        "Shortname": shortname,
        "Description": description,
        "Description format": FORMAT_PLAIN,
        "Is framework": "0",
    }


def load(content: str) -> dict:
    """Parse Moodle's competency-framework CSV into a framework data dict.

    Raises:
        ImportRejected: naming each bad row and column.
    """
    reader = csv.DictReader(io.StringIO(content.lstrip("\ufeff")))
    required = ["Parent id number", "Id number", "Shortname", "Is framework"]
    missing = [column for column in required if column not in (reader.fieldnames or [])]
    if missing:
        raise ImportRejected([_("Header: missing columns %(columns)s.") % {"columns": ", ".join(missing)}])
    errors: list[str] = []

    def error(row_number, column, message):
        errors.append(
            _("Row %(row)d, column “%(column)s”: %(message)s")
            % {"row": row_number, "column": column, "message": message}
        )

    framework_row, rows = None, []
    for row_number, row in enumerate(reader, start=2):
        row = {key: (value or "").strip() for key, value in row.items() if key}
        if row.get("Is framework") == "1":
            if framework_row is not None:
                error(row_number, "Is framework", _("only one framework row is allowed."))
            framework_row = (row_number, row)
        else:
            rows.append((row_number, row))
    if framework_row is None:
        raise ImportRejected([*errors, _("The file has no framework row (Is framework = 1).")])
    row_number, row = framework_row
    slug = row.get("Id number", "")
    if not slug:
        error(row_number, "Id number", _("the framework's id number is required."))
    if not row.get("Shortname"):
        error(row_number, "Shortname", _("required."))
    scale = [name.strip() for name in row.get("Scale values", "").split(",") if name.strip()]
    if not scale:
        error(row_number, "Scale values", _("the framework needs a scale."))
    # A NUL character (refused by PostgreSQL, even in a query) is reported by the validation of the data.
    existing = Framework.objects.filter(slug=slug).first() if slug and "\x00" not in slug else None
    stored_levels = {level.number: level.descriptor for level in existing.levels.all()} if existing else {}
    data = {
        "slug": slug,
        "title": row.get("Shortname", ""),
        "description": row.get("Description", ""),
        "uri": existing.uri if existing else f"{URI_BASE}{slug}",
        "levels": [
            {"number": number, "name": name, "descriptor": stored_levels.get(number, "")}
            for number, name in enumerate(scale, start=1)
        ],
        "areas": [],
    }
    if existing is None:
        data.update(language="fr", status="draft")
    areas, competences, area_of, seen = {}, {}, {}, set()
    notices: list[str] = []
    for row_number, row in rows:
        idnumber, parent = row.get("Id number", ""), row.get("Parent id number", "")
        if not idnumber:
            error(row_number, "Id number", _("required."))
            continue
        if idnumber in seen:
            error(row_number, "Id number", _("“%s” appears twice.") % idnumber)
            continue
        seen.add(idnumber)
        if not row.get("Shortname"):
            error(row_number, "Shortname", _("required."))
        if not parent:
            area = {"code": idnumber, "title": row.get("Shortname", ""), "competences": []}
            areas[idnumber] = area
            area_of[idnumber] = idnumber
            data["areas"].append(area)
        elif parent in competences and _is_descriptor(idnumber, parent):
            competences[parent]["levels"].append(
                {
                    "level": int(DESCRIPTOR_ID.match(idnumber)["level"]),
                    "descriptor": row.get("Description") or row.get("Shortname", ""),
                }
            )
        elif parent in area_of:
            # Tremplin has two depths (area, competence): deeper Moodle competencies are kept as competences
            # of the area of their top-level ancestor, in the file's order.
            competence = {
                "code": idnumber,
                "title": row.get("Shortname", ""),
                "description": row.get("Description", ""),
                "levels": [],
            }
            competences[idnumber] = competence
            area_of[idnumber] = area_of[parent]
            if parent in competences:
                notices.append(
                    _(
                        "Row %(row)d: “%(code)s” is under the competency “%(parent)s”: Tremplin keeps two "
                        "depths (area, competence), so it becomes a competence of the area “%(area)s”."
                    )
                    % {"row": row_number, "code": idnumber, "parent": parent, "area": area_of[parent]}
                )
            areas[area_of[parent]]["competences"].append(competence)
        else:
            error(row_number, "Parent id number", _("“%s” is not defined above.") % parent)
    if errors:
        raise ImportRejected(errors)
    data["notices"] = notices
    return data
