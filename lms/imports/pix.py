"""Import of a Pix Orga "collecte de profils" export: Pix levels become evidence in the statement store.

The file (layout of 1024pix/pix ``campaign-profiles-collection-export``): ``;``-separated UTF-8 with a BOM,
one row per participation, the columns

    Nom de l'organisation; ID Campagne; Code; Nom de la campagne; Nom du Participant; Prénom du Participant;
    [organisation columns, the campaign's external id (its label is free, e.g. « Matricule »)];
    Envoi (O/N); Date de l'envoi | Date et heure de l'envoi (Europe/Paris); Nombre de pix total;
    Certifiable (O/N); Nombre de compétences certifiables;
    then per competence: Niveau pour la compétence {title}; Nombre de pix pour la compétence {title}

Pix puts ``'`` before text starting with ``= + - @`` (against formula injection) and writes ``NA`` when the
participant has not shared their results.

Participants are matched to the people (agents and élus) of one collectivity by the values of the optional
columns: an email address matches a person's email, any other value their username. Each level from 1 up
becomes one ``passed`` statement whose object is the competence, with the ``validated-levels`` extension
(as a passed quiz), the Pix campaign in ``contextActivities.grouping``, Pix as a category and the
``evidence-source`` extension; the aggregation turns them into learner levels like any other evidence.
Statement ids are derived from the campaign, the person, the competence, the level and the sending date,
so uploading the same file again stores nothing twice.
"""

import csv
import io
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils.translation import gettext as _

from competences.models import Competence
from lms.conf import lms_settings
from lms.models import Collectivity, Membership, Statement
from lms.services.organisations import learner_for
from lms.xapi import vocabulary as v
from lms.xapi.builders import ActivityRef, CompetenceRef, build_statement
from lms.xapi.storage import StatementError, get_store

ORGANISATION = "Nom de l'organisation"
CAMPAIGN_ID = "ID Campagne"
CAMPAIGN_CODE = "Code"
CAMPAIGN_NAME = "Nom de la campagne"
LAST_NAME = "Nom du Participant"
FIRST_NAME = "Prénom du Participant"
SHARED = "Envoi (O/N)"
SHARED_AT = ("Date de l'envoi", "Date et heure de l'envoi (Europe/Paris)")
TOTAL_PIX = "Nombre de pix total"
REQUIRED = (ORGANISATION, CAMPAIGN_ID, CAMPAIGN_CODE, CAMPAIGN_NAME, LAST_NAME, FIRST_NAME, SHARED)
LEVEL_COLUMN = re.compile(r"^Niveau pour la compétence (?P<name>.+)$")
PIX_COLUMN = re.compile(r"^Nombre de pix pour la compétence (?P<name>.+)$")
NOT_AVAILABLE = "NA"
YES, NO = "Oui", "Non"
PIX_PER_LEVEL = 8
MAX_LEVEL = 8
PARIS = ZoneInfo("Europe/Paris")
#: Titles Pix or the CRCN decree use besides the shipped ones (normalised), by competence code.
ALIASES = {"evoluer dans un environnement numerique": "5.2"}
#: Namespace of the statement ids of Pix imports.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://w3id.org/tremplin/xapi/pix-import")
#: Where Pix Orga shows a campaign; the id of the campaign's activity.
CAMPAIGN_IRI = "https://orga.pix.fr/campagnes/{id}"


class PixImportRejected(ValueError):
    """A file that cannot be imported; ``errors`` names each bad row or column. Nothing is stored."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class Participation:
    line: int
    last_name: str
    first_name: str
    identifiers: list[str]
    shared: bool
    shared_at: datetime | None
    levels: dict[str, tuple[int, int | None]]  # competence URI → (level, pix)


@dataclass
class ParsedFile:
    campaign_id: str
    campaign_code: str
    campaign_name: str
    organisation: str
    competences: dict[str, Competence]  # URI → competence
    participations: list[Participation]


@dataclass
class Unmatched:
    line: int
    name: str
    identifiers: list[str]


@dataclass
class PixImportReport:
    """What an import did."""

    campaign_name: str
    campaign_id: str
    participations: int = 0
    matched: int = 0
    not_shared: list[int] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)
    statements: int = 0
    new_statements: int = 0


def normalise(text: str) -> str:
    """Compare titles without case, accents, apostrophe styles or extra spaces."""
    text = unicodedata.normalize("NFKD", text.replace("’", "'").replace("‘", "'"))
    text = "".join(char for char in text if not unicodedata.combining(char))
    return " ".join(text.lower().split())


def unguard(value: str) -> str:
    """Remove the ``'`` Pix puts before a text starting with ``= + - @``."""
    value = value.strip()
    if len(value) > 1 and value[0] == "'" and value[1] in "=+-@":
        return value[1:]
    return value


def _decode(content: bytes | str) -> str:
    if isinstance(content, bytes):
        try:
            return content.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise PixImportRejected([_("The file is not UTF-8 text (Pix exports are UTF-8).")]) from error
    return content.lstrip("\ufeff")


def _parse_date(value: str) -> datetime | None:
    for pattern in ("%Y-%m-%d", "%d/%m/%Y %H:%M", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, pattern).replace(tzinfo=PARIS)
        except ValueError:
            continue
    return None


def parse_profiles_collection(content: bytes | str) -> ParsedFile:
    """Read and check a "collecte de profils" export, without storing anything.

    Raises:
        PixImportRejected: naming each bad column or row.
    """
    text = _decode(content)
    reader = csv.reader(io.StringIO(text), delimiter=";")
    try:
        rows = list(reader)
    except csv.Error as error:  # a cell longer than the csv module reads, a NUL in a quoted cell…
        raise PixImportRejected(
            [
                _(
                    "Line %(line)s cannot be read as CSV: a cell is too long or a quotation mark is not "
                    "closed."
                )
                % {"line": reader.line_num}
            ]
        ) from error
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise PixImportRejected([_("The file is empty.")])
    header = [cell.strip() for cell in rows[0]]
    errors = []
    if len(header) < 2:
        raise PixImportRejected(
            [_("The file is not separated by semicolons (;) as Pix exports are; is it the right file?")]
        )
    for column in REQUIRED:
        if column not in header:
            errors.append(_("Header: the column “%(column)s” is missing.") % {"column": column})
    date_column = next((column for column in SHARED_AT if column in header), None)
    if date_column is None:
        errors.append(_("Header: the column “%(column)s” is missing.") % {"column": SHARED_AT[0]})
    framework_competences = list(Competence.objects.filter(framework__uri=lms_settings.PIX_FRAMEWORK_URI))
    by_title = {normalise(c.title): c for c in framework_competences}
    by_code = {c.code: c for c in framework_competences}
    by_title.update({alias: by_code[code] for alias, code in ALIASES.items() if code in by_code})
    level_columns: dict[int, Competence] = {}
    pix_columns: dict[int, Competence] = {}
    for index, column in enumerate(header):
        for pattern, target in ((LEVEL_COLUMN, level_columns), (PIX_COLUMN, pix_columns)):
            match = pattern.match(column)
            if match:
                competence = by_title.get(normalise(match["name"]))
                if competence is None:
                    errors.append(
                        _("Header, column %(index)d “%(column)s”: no competence of the CRCN has this title.")
                        % {"index": index + 1, "column": column}
                    )
                else:
                    target[index] = competence
    if not level_columns and not errors:
        errors.append(
            _("Header: no “Niveau pour la compétence …” column; is it a “collecte de profils” export?")
        )
    if errors:
        raise PixImportRejected(errors)
    position = {column: header.index(column) for column in REQUIRED}
    first_optional = position[FIRST_NAME] + 1
    optional = [i for i in range(first_optional, position[SHARED])]
    date_index = header.index(date_column)
    participations, campaign_ids = [], set()
    first = None
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            errors.append(
                _("Row %(row)d: %(found)d columns instead of %(expected)d.")
                % {"row": line, "found": len(row), "expected": len(header)}
            )
            continue
        cells = [unguard(cell) for cell in row]
        first = first or cells
        campaign_ids.add(cells[position[CAMPAIGN_ID]])
        shared_value = cells[position[SHARED]]
        if shared_value not in (YES, NO):
            errors.append(
                _("Row %(row)d, column “%(column)s”: “%(value)s” is neither Oui nor Non.")
                % {"row": line, "column": SHARED, "value": shared_value}
            )
            continue
        shared = shared_value == YES
        shared_at = None
        levels: dict[str, tuple[int, int | None]] = {}
        if shared:
            shared_at = _parse_date(cells[date_index])
            if shared_at is None:
                errors.append(
                    _("Row %(row)d, column “%(column)s”: “%(value)s” is not a date.")
                    % {"row": line, "column": date_column, "value": cells[date_index]}
                )
            pix_by_uri = {}
            for index, competence in pix_columns.items():
                value = cells[index]
                if value in ("", NOT_AVAILABLE):
                    continue
                if not value.isdigit():
                    errors.append(
                        _("Row %(row)d, column “%(column)s”: “%(value)s” is not a number of pix.")
                        % {"row": line, "column": header[index], "value": value}
                    )
                    continue
                pix_by_uri[competence.uri] = int(value)
            for index, competence in level_columns.items():
                value = cells[index]
                if value in ("", NOT_AVAILABLE):
                    continue
                if not value.isdigit() or int(value) > MAX_LEVEL:
                    errors.append(
                        _("Row %(row)d, column “%(column)s”: “%(value)s” is not a level from 0 to 8.")
                        % {"row": line, "column": header[index], "value": value}
                    )
                    continue
                levels[competence.uri] = (int(value), pix_by_uri.get(competence.uri))
        participations.append(
            Participation(
                line=line,
                last_name=cells[position[LAST_NAME]],
                first_name=cells[position[FIRST_NAME]],
                identifiers=[cells[i] for i in optional if cells[i] and cells[i] != NOT_AVAILABLE],
                shared=shared,
                shared_at=shared_at,
                levels=levels,
            )
        )
    if len(campaign_ids) > 1:
        errors.append(
            _(
                "Column “%(column)s”: the file mixes several campaigns (%(ids)s); "
                "export one campaign per file."
            )
            % {"column": CAMPAIGN_ID, "ids": ", ".join(sorted(campaign_ids))}
        )
    if not participations and not errors:
        errors.append(_("The file has no participant."))
    if errors:
        raise PixImportRejected(errors)
    return ParsedFile(
        campaign_id=first[position[CAMPAIGN_ID]],
        campaign_code=first[position[CAMPAIGN_CODE]],
        campaign_name=first[position[CAMPAIGN_NAME]],
        organisation=first[position[ORGANISATION]],
        competences={c.uri: c for c in list(level_columns.values())},
        participations=participations,
    )


def _people(collectivity: Collectivity) -> tuple[dict, dict]:
    memberships = Membership.objects.filter(
        collectivity=collectivity, role__in=Membership.LEARNER_ROLES
    ).select_related("user")
    by_email, by_username = {}, {}
    for membership in memberships:
        user = membership.user
        if user.email:
            by_email.setdefault(user.email.strip().lower(), user)
        by_username.setdefault(user.get_username().strip().lower(), user)
    return by_email, by_username


def _match(participation: Participation, by_email: dict, by_username: dict):
    for value in participation.identifiers:
        key = value.strip().lower()
        user = by_email.get(key) if "@" in key else by_username.get(key)
        if user is not None:
            return user
    return None


def pix_statement(
    *,
    actor_name,
    competence: Competence,
    level: int,
    pix: int | None,
    shared_at: datetime,
    parsed: ParsedFile,
) -> dict:
    """Build the evidence statement of one Pix level (see the module's docstring)."""
    campaign = ActivityRef(
        id=CAMPAIGN_IRI.format(id=parsed.campaign_id),
        # Statement content, not UI: fixed French text, so that a re-upload builds the very same statement.
        name=f"Campagne Pix « {parsed.campaign_name} » ({parsed.campaign_code})",
        type=v.ASSESSMENT,
    )
    statement_id = uuid.uuid5(
        NAMESPACE, "|".join([campaign.id, str(actor_name), competence.uri, str(level), shared_at.isoformat()])
    )
    statement = build_statement(
        actor_name=actor_name,
        verb=v.PASSED,
        activity=ActivityRef(id=competence.uri, name=competence.title, type=v.OBJECTIVE),
        timestamp=shared_at,
        grouping=[campaign],
        competences=[CompetenceRef(uri=competence.uri, title=competence.title, level=level)],
        validated=True,
        score=(min(pix, PIX_PER_LEVEL * MAX_LEVEL), PIX_PER_LEVEL * MAX_LEVEL) if pix is not None else None,
        success=True,
        statement_id=statement_id,
    )
    context = statement["context"]
    context["contextActivities"].setdefault("category", []).append(
        {"id": v.PIX_CATEGORY, "objectType": "Activity"}
    )
    context["extensions"][v.EXT_EVIDENCE_SOURCE] = "pix"
    return statement


@transaction.atomic
def import_profiles_collection(content: bytes | str, collectivity: Collectivity) -> PixImportReport:
    """Import a Pix "collecte de profils" export for the people of one collectivity.

    Args:
        content: the uploaded file (bytes, UTF-8 with or without BOM).
        collectivity: the HR manager's collectivity; only its agents and élus are matched.

    Raises:
        PixImportRejected: the file is invalid; the errors name each bad row or column, nothing is stored.

    Returns:
        The report: participations read, matched, not shared, unmatched rows, statements stored.
    """
    parsed = parse_profiles_collection(content)
    report = PixImportReport(campaign_name=parsed.campaign_name, campaign_id=parsed.campaign_id)
    by_email, by_username = _people(collectivity)
    statements = []
    for participation in parsed.participations:
        report.participations += 1
        if not participation.shared:
            report.not_shared.append(participation.line)
            continue
        user = _match(participation, by_email, by_username)
        if user is None:
            report.unmatched.append(
                Unmatched(
                    line=participation.line,
                    name=f"{participation.first_name} {participation.last_name}".strip(),
                    identifiers=participation.identifiers,
                )
            )
            continue
        report.matched += 1
        actor_name = learner_for(user).actor_name
        for uri, (level, pix) in participation.levels.items():
            if level < 1:
                continue
            statements.append(
                pix_statement(
                    actor_name=actor_name,
                    competence=parsed.competences[uri],
                    level=level,
                    pix=pix,
                    shared_at=participation.shared_at,
                    parsed=parsed,
                )
            )
    report.statements = len(statements)
    if statements:
        existing = Statement.objects.filter(statement_id__in=[s["id"] for s in statements]).count()
        try:
            get_store().store(statements, collectivity=collectivity)
        except StatementError as error:
            raise PixImportRejected([str(error)]) from error
        report.new_statements = len(statements) - existing
    return report
