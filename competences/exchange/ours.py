"""Tremplin's own framework CSV: one row per record, documented in ``docs/frameworks-csv.md``."""

import csv
import io

from django.utils.translation import gettext as _

from .errors import ImportRejected

COLUMNS = [
    "record",
    "code",
    "area",
    "level",
    "title",
    "description",
    "uri",
    "retired",
    "version",
    "language",
    "source",
    "licence",
    "status",
]
RECORDS = ("framework", "level", "area", "competence", "descriptor")
TRUE = {"1", "yes", "true", "oui"}
FALSE = {"", "0", "no", "false", "non"}


def dump(data: dict) -> str:
    """Serialise a framework data dict as Tremplin's CSV."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerow(
        {
            "record": "framework",
            "code": data["slug"],
            **{key: data.get(key) or "" for key in ("title", "description", "uri", "version", "language")},
            **{key: data.get(key) or "" for key in ("source", "licence", "status")},
        }
    )
    for level in data["levels"]:
        writer.writerow(
            {
                "record": "level",
                "level": level["number"],
                "title": level["name"],
                "description": level["descriptor"],
            }
        )
    for area in data["areas"]:
        writer.writerow({"record": "area", "code": area["code"], "title": area["title"]})
        for competence in area["competences"]:
            writer.writerow(
                {
                    "record": "competence",
                    "code": competence["code"],
                    "area": area["code"],
                    "title": competence["title"],
                    "description": competence["description"],
                    "uri": competence["uri"],
                    "retired": "1" if competence["retired"] else "0",
                }
            )
            for descriptor in competence["levels"]:
                writer.writerow(
                    {
                        "record": "descriptor",
                        "code": competence["code"],
                        "level": descriptor["level"],
                        "description": descriptor["descriptor"],
                    }
                )
    return buffer.getvalue()


def load(content: str) -> dict:
    """Parse Tremplin's CSV into a framework data dict.

    Raises:
        ImportRejected: naming each bad row and column.
    """
    reader = csv.DictReader(io.StringIO(content.lstrip("\ufeff")))
    missing = [column for column in ("record", "code", "title") if column not in (reader.fieldnames or [])]
    if missing:
        raise ImportRejected([_("Header: missing columns %(columns)s.") % {"columns": ", ".join(missing)}])
    errors: list[str] = []
    data: dict = {}
    areas: dict[str, dict] = {}
    competences: dict[str, dict] = {}

    def error(row_number, column, message):
        errors.append(
            _("Row %(row)d, column “%(column)s”: %(message)s")
            % {"row": row_number, "column": column, "message": message}
        )

    def level_of(row, row_number):
        try:
            number = int(row.get("level") or "")
        except ValueError:
            error(row_number, "level", _("“%s” is not a whole number.") % (row.get("level") or ""))
            return None
        if number < 1:
            error(row_number, "level", _("levels start at 1."))
            return None
        return number

    for row_number, row in enumerate(reader, start=2):
        row = {key: (value or "").strip() for key, value in row.items() if key}
        record = row.get("record", "")
        if record not in RECORDS:
            error(
                row_number,
                "record",
                _("“%(value)s” is not one of %(allowed)s.")
                % {"value": record, "allowed": ", ".join(RECORDS)},
            )
            continue
        if record != "framework" and not data:
            error(row_number, "record", _("the first row must be the framework row."))
            continue
        if record == "framework":
            if data:
                error(row_number, "record", _("only one framework row is allowed."))
                continue
            if not row.get("code"):
                error(row_number, "code", _("the framework's slug is required."))
            if not row.get("title"):
                error(row_number, "title", _("required."))
            data = {
                "slug": row.get("code", ""),
                "title": row.get("title", ""),
                "description": row.get("description", ""),
                "uri": row.get("uri", ""),
                "version": row.get("version", ""),
                "language": row.get("language") or "fr",
                "source": row.get("source", ""),
                "licence": row.get("licence", ""),
                "status": row.get("status") or "draft",
                "levels": [],
                "areas": [],
            }
            if not data["uri"]:
                error(row_number, "uri", _("the framework's URI is required."))
        elif record == "level":
            number = level_of(row, row_number)
            if not row.get("title"):
                error(row_number, "title", _("the level's name is required."))
            if number is not None:
                data["levels"].append(
                    {"number": number, "name": row.get("title", ""), "descriptor": row.get("description", "")}
                )
        elif record == "area":
            if not row.get("code"):
                error(row_number, "code", _("required."))
            if not row.get("title"):
                error(row_number, "title", _("required."))
            if row.get("code") in areas:
                error(row_number, "code", _("area “%s” appears twice.") % row["code"])
                continue
            area = {"code": row.get("code", ""), "title": row.get("title", ""), "competences": []}
            areas[area["code"]] = area
            data["areas"].append(area)
        elif record == "competence":
            if not row.get("code"):
                error(row_number, "code", _("required."))
            if not row.get("title"):
                error(row_number, "title", _("required."))
            if row.get("area") not in areas:
                error(row_number, "area", _("area “%s” is not defined above.") % row.get("area", ""))
                continue
            if row.get("retired", "").lower() not in TRUE | FALSE:
                error(row_number, "retired", _("use 1 or 0."))
            if row.get("code") in competences:
                error(row_number, "code", _("competence “%s” appears twice.") % row["code"])
                continue
            competence = {
                "code": row.get("code", ""),
                "title": row.get("title", ""),
                "description": row.get("description", ""),
                "uri": row.get("uri", ""),
                "retired": row.get("retired", "").lower() in TRUE,
                "levels": [],
            }
            competences[competence["code"]] = competence
            areas[row["area"]]["competences"].append(competence)
        elif record == "descriptor":
            number = level_of(row, row_number)
            if row.get("code") not in competences:
                error(row_number, "code", _("competence “%s” is not defined above.") % row.get("code", ""))
                continue
            if not row.get("description"):
                error(row_number, "description", _("required."))
            if number is not None:
                competences[row["code"]]["levels"].append(
                    {"level": number, "descriptor": row.get("description", "")}
                )
    if not data and not errors:
        errors.append(_("The file has no framework row."))
    if errors:
        raise ImportRejected(errors)
    return data
