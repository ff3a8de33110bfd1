"""Framework exchange: export and import in three formats.

- ``csv``: Tremplin's own columns (``docs/frameworks-csv.md``), the whole framework in one file;
- ``case``: a 1EdTech CASE 1.1 CFPackage (JSON);
- ``moodle``: Moodle's competency-framework CSV (``tool_lpimportcsv``).

Each format turns a framework data dict (:func:`competences.services.framework_data`) into text and
back; :func:`import_framework` validates the whole file and stores all of it or nothing.
"""

import csv
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from competences.models import Framework
from competences.services import (
    FrameworkDataError,
    framework_data,
    save_framework,
    validate_framework_data,
)

from . import case, moodle, ours
from .errors import ImportRejected

__all__ = [
    "FORMATS",
    "ImportRejected",
    "export_framework",
    "guess_format",
    "import_framework",
    "preview_import",
]

FORMATS = {"csv": ours, "case": case, "moodle": moodle}


@dataclass
class ImportPreview:
    """What an import would do, before it is confirmed."""

    data: dict
    format: str
    existing: Framework | None
    errors: list[str] = field(default_factory=list)
    #: What the import changes in the file's structure, one line per row (e.g. a deeper tree flattened).
    notices: list[str] = field(default_factory=list)

    @property
    def competence_count(self) -> int:
        return sum(len(area.get("competences", [])) for area in self.data.get("areas", []))

    @property
    def area_count(self) -> int:
        return len(self.data.get("areas", []))


def guess_format(filename: str, content: str) -> str:
    """Guess the format of a file from its name and first characters."""
    if filename.lower().endswith(".json") or content.lstrip().startswith("{"):
        return "case"
    first_line = content.lstrip("\ufeff").split("\n", 1)[0]
    if "Is framework" in first_line or "Parent id number" in first_line:
        return "moodle"
    return "csv"


def export_framework(framework: Framework, fmt: str) -> str:
    """Return ``framework`` serialised in format ``fmt`` (``csv``, ``case`` or ``moodle``)."""
    return FORMATS[fmt].dump(framework_data(framework))


def preview_import(content: str, fmt: str) -> ImportPreview:
    """Parse and validate a file without storing anything.

    Returns:
        The parsed data, the framework it would update (if any) and every error found.
    """
    if fmt not in FORMATS:
        return ImportPreview(data={}, format=fmt, existing=None, errors=[_("Unknown format “%s”.") % fmt])
    try:
        data = FORMATS[fmt].load(content)
    except ImportRejected as error:
        return ImportPreview(data={}, format=fmt, existing=None, errors=error.errors)
    except csv.Error:  # a cell longer than the csv module reads, a NUL in a quoted cell…
        errors = [_("The file cannot be read as CSV: a cell is too long or a quotation mark is not closed.")]
        return ImportPreview(data={}, format=fmt, existing=None, errors=errors)
    except RecursionError:  # JSON nested deeper than Python reads
        errors = [_("The file nests its JSON too deeply to be read.")]
        return ImportPreview(data={}, format=fmt, existing=None, errors=errors)
    notices = data.pop("notices", [])
    errors = validate_framework_data(data)
    existing = None
    if all(_queryable(data.get(key)) for key in ("uri", "slug")):
        existing = (
            Framework.objects.filter(uri=data.get("uri")).first()
            or Framework.objects.filter(slug=data.get("slug")).first()
        )
    return ImportPreview(data=data, format=fmt, existing=existing, errors=errors, notices=notices)


def _queryable(value) -> bool:
    """Whether PostgreSQL accepts ``value`` in a query: no NUL character, no lone surrogate (the validation
    of the data reports them)."""
    if not isinstance(value, str | None):
        return False
    try:
        (value or "").encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in (value or "")


@transaction.atomic
def import_framework(content: str, fmt: str) -> Framework:
    """Import a framework file: create the framework, or update the one with the same URI or slug.

    Raises:
        ImportRejected: the file is invalid; the message names each bad row or field and nothing is stored.
    """
    preview = preview_import(content, fmt)
    if preview.errors:
        raise ImportRejected(preview.errors)
    try:
        return save_framework(preview.data)
    except FrameworkDataError as error:
        raise ImportRejected(error.errors) from error
