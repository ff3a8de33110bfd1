"""Onboarding agents from a CSV file: a preview of every change and error by row, then all or nothing.

The file has a header line; columns (English or French names, any order, ``,`` or ``;`` separated, UTF-8 with
or without BOM): ``email`` (required), ``first_name``/``last_name`` or ``name``, ``service``, ``job_profile``
(slug or name), ``role`` (agent or elected official, default agent), ``mandate``, ``category`` (A, B, C),
``filiere``, ``statut``. The same file imported twice changes nothing the second time.
"""

import csv
import io
import uuid
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils.text import slugify
from django.utils.translation import gettext

from competences.models import JobProfile
from lms.models import Collectivity, Learner, Membership, Service

from . import audit

MAX_ROWS = 20_000

ALIASES = {
    "email": "email",
    "courriel": "email",
    "e-mail": "email",
    "mail": "email",
    "first_name": "first_name",
    "prenom": "first_name",
    "last_name": "last_name",
    "nom": "last_name",
    "name": "name",
    "nom_complet": "name",
    "service": "service",
    "direction": "service",
    "job_profile": "job_profile",
    "profil": "job_profile",
    "profil_de_poste": "job_profile",
    "profil_metier": "job_profile",
    "role": "role",
    "mandate": "mandate",
    "mandat": "mandate",
    "category": "category",
    "categorie": "category",
    "filiere": "filiere",
    "statut": "statut",
    "status": "statut",
}

ROLE_VALUES = {
    "agent": Membership.Role.AGENT,
    "elected_official": Membership.Role.ELECTED_OFFICIAL,
    "elu": Membership.Role.ELECTED_OFFICIAL,
    "elue": Membership.Role.ELECTED_OFFICIAL,
}

#: Membership fields an import sets, in the order a preview lists their changes.
FIELDS = ("service", "job_profile", "mandate", "category", "filiere", "statut")


class ImportRejected(ValueError):
    """The file has errors: nothing was imported."""

    def __init__(self, plan):
        super().__init__(gettext("The file has errors: nothing was imported."))
        self.plan = plan


@dataclass
class RowPlan:
    """What importing one line does."""

    line: int
    email: str
    name: str
    action: str = ""  # "create" (new person), "add" (new membership), "update", "unchanged", "error"
    errors: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    values: dict = field(default_factory=dict)


@dataclass
class ImportPlan:
    """The preview of an import: one :class:`RowPlan` per line, plus the services it creates."""

    collectivity: Collectivity
    rows: list[RowPlan]
    new_services: list[str]
    file_errors: list[str] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return bool(self.file_errors) or any(row.errors for row in self.rows)

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)


def _key(header: str) -> str:
    return slugify(header.strip().lstrip("\ufeff")).replace("-", "_")


def _read(content: str) -> tuple[list[dict], list[str]]:
    content = content.lstrip("\ufeff")
    first = content.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(content), delimiter=delimiter)
    try:
        return _rows(reader)
    except csv.Error:  # a cell longer than the csv module reads, a NUL in a quoted cell…
        return [], [
            gettext(
                "Line %(line)s cannot be read as CSV: a cell is too long or a quotation mark is not closed."
            )
            % {"line": max(reader.line_num, 1)}
        ]


def _rows(reader) -> tuple[list[dict], list[str]]:
    try:
        header = next(reader)
    except StopIteration:
        return [], [gettext("The file is empty.")]
    columns = [ALIASES.get(_key(name)) for name in header]
    if "email" not in columns:
        return [], [gettext("The file has no email column (its first line must name the columns).")]
    rows = []
    for values in reader:
        if not any(value.strip() for value in values):
            continue
        row = {col: value.strip() for col, value in zip(columns, values, strict=False) if col}
        row["_line"] = reader.line_num
        rows.append(row)
        if len(rows) > MAX_ROWS:
            return [], [gettext("The file has more than %(max)s lines.") % {"max": MAX_ROWS}]
    return rows, []


def _choice(value: str, choices) -> str | None:
    """Match a value to a TextChoices member by value or label, ignoring case and accents."""
    wanted = slugify(value).replace("-", "_")
    for member in choices:
        if wanted in {slugify(member.value).replace("-", "_"), slugify(str(member.label)).replace("-", "_")}:
            return member.value
    return None


def preview(collectivity: Collectivity, content: str) -> ImportPlan:
    """Work out what importing ``content`` into ``collectivity`` would do, without changing anything.

    Args:
        collectivity: where the people are imported.
        content: the CSV file's text.

    Returns:
        The plan: per line, the action (create, add, update, unchanged) or its errors.
    """
    raw_rows, file_errors = _read(content)
    plan = ImportPlan(collectivity=collectivity, rows=[], new_services=[], file_errors=file_errors)
    if file_errors:
        return plan
    users = {
        u.email.lower(): u
        for u in get_user_model().objects.filter(
            # An email with a NUL character is refused by its row's checks, and PostgreSQL refuses it here.
            email__in=[r["email"].lower() for r in raw_rows if r.get("email") and "\x00" not in r["email"]]
        )
    }
    memberships = {
        (m.user_id, m.role): m
        for m in Membership.objects.filter(collectivity=collectivity).select_related("user")
    }
    services = {s.name.lower(): s for s in Service.objects.filter(collectivity=collectivity)}
    profiles = {}
    for profile in JobProfile.objects.filter(Q(collectivity=collectivity) | Q(collectivity__isnull=True)):
        profiles.setdefault(profile.slug.lower(), profile)
        profiles.setdefault(profile.name.lower(), profile)
    seen, new_services = {}, {}
    for raw in raw_rows:
        email = raw.get("email", "").lower()
        name = raw.get("name") or " ".join(filter(None, [raw.get("first_name"), raw.get("last_name")]))
        row = RowPlan(line=raw["_line"], email=email, name=name)
        plan.rows.append(row)
        _check_row(row, raw, email, seen, services, new_services, profiles)
        if row.errors:
            row.action = "error"
            continue
        user = users.get(email)
        membership = memberships.get((user.pk, row.values["role"])) if user else None
        if user is None:
            row.action = "create"
        elif membership is None:
            row.action = "add"
        else:
            row.changes = _changes(membership, row.values)
            row.action = "update" if row.changes else "unchanged"
    plan.new_services = sorted(new_services.values())
    return plan


def _check_row(row, raw, email, seen, services, new_services, profiles):
    if any("\x00" in value for key, value in raw.items() if key != "_line"):
        # PostgreSQL refuses NUL characters: the line is refused, not half-imported.
        row.errors.append(gettext("The line contains a NUL character, which cannot be saved."))
    longest_email = get_user_model()._meta.get_field(get_user_model().USERNAME_FIELD).max_length
    if not email:
        row.errors.append(gettext("The email is missing."))
    elif len(email) > longest_email:
        row.errors.append(gettext("The email is longer than %(max)d characters.") % {"max": longest_email})
    else:
        try:
            validate_email(email)
        except ValidationError:
            row.errors.append(gettext("“%(email)s” is not a valid email address.") % {"email": email})
        if email in seen:
            row.errors.append(gettext("This email is already on line %(line)s.") % {"line": seen[email]})
        seen.setdefault(email, row.line)
    if raw.get("name"):
        first, _, last = raw["name"].partition(" ")
        row.values.update(first_name=first, last_name=last)
    else:
        row.values.update(first_name=raw.get("first_name", ""), last_name=raw.get("last_name", ""))
    role = ROLE_VALUES.get(slugify(raw.get("role") or "agent").replace("-", "_"))
    if role is None:
        row.errors.append(
            gettext("Unknown role “%(role)s” (agent or elected official).") % {"role": raw.get("role")}
        )
    row.values["role"] = role
    service_name = raw.get("service", "")
    longest_service = Service._meta.get_field("name").max_length
    if len(service_name) > longest_service:
        row.errors.append(
            gettext("The service name is longer than %(max)d characters.") % {"max": longest_service}
        )
    service = services.get(service_name.lower())
    if service_name and service is None:
        new_services.setdefault(service_name.lower(), service_name)
    row.values["service"] = service if service else (service_name or None)
    profile_name = raw.get("job_profile", "")
    profile = profiles.get(profile_name.lower())
    if profile_name and profile is None:
        row.errors.append(gettext("Unknown job profile “%(name)s”.") % {"name": profile_name})
    row.values["job_profile"] = profile
    for name, choices in (
        ("mandate", Membership.Mandate),
        ("category", Membership.Category),
        ("filiere", Membership.Filiere),
        ("statut", Membership.Statut),
    ):
        given = raw.get(name, "")
        value = _choice(given, choices) if given else ""
        if value is None:
            row.errors.append(gettext("Unknown %(column)s “%(value)s”.") % {"column": name, "value": given})
        row.values[name] = value or ""
    if row.values["mandate"] and role != Membership.Role.ELECTED_OFFICIAL:
        row.errors.append(gettext("Only elected officials hold a mandate."))
    # A column the file does not have leaves that field of existing memberships as it is.
    row.values["present"] = [name for name in FIELDS if name in raw]


def _changes(membership: Membership, values: dict) -> list[str]:
    changes = []
    for name in values["present"]:
        new = values[name]
        current = getattr(membership, name)
        if isinstance(new, str) and name in ("service",):
            changes.append(name)  # a service the import creates
        elif (getattr(new, "pk", new) or None) != (getattr(current, "pk", current) or None):
            changes.append(name)
    return changes


@dataclass
class ImportResult:
    created: list[int]
    added: int
    updated: int
    unchanged: int


def apply(collectivity: Collectivity, content: str, *, by=None) -> ImportResult:
    """Import ``content`` into ``collectivity``: everything in one transaction, or nothing.

    New people get an account without a password and an invitation email (sent after the commit, through the
    Celery task :func:`lms.tasks.send_invitations`).

    Raises:
        ImportRejected: when any line has an error; its ``plan`` says which.
    """
    plan = preview(collectivity, content)
    if plan.has_errors:
        raise ImportRejected(plan)
    with transaction.atomic():
        result = _apply(plan, by)
    if result.created:
        from lms.tasks import send_invitations

        send_invitations.delay_on_commit(result.created, collectivity.pk)
    return result


def _apply(plan: ImportPlan, by) -> ImportResult:
    collectivity = plan.collectivity
    services = {s.name.lower(): s for s in Service.objects.filter(collectivity=collectivity)}
    created_services = Service.objects.bulk_create(
        [
            Service(collectivity=collectivity, name=name)
            for name in plan.new_services
            if name.lower() not in services
        ]
    )
    services.update({s.name.lower(): s for s in created_services})
    for row in plan.rows:
        if isinstance(row.values["service"], str):
            row.values["service"] = services[row.values["service"].lower()]
    user_model = get_user_model()
    new_rows = [row for row in plan.rows if row.action == "create"]
    unusable = make_password(None)
    new_users = user_model.objects.bulk_create(
        [
            user_model(
                username=row.email,
                email=row.email,
                first_name=row.values["first_name"][:150],
                last_name=row.values["last_name"][:150],
                password=unusable,
            )
            for row in new_rows
        ]
    )
    if new_users and new_users[0].pk is None:  # backends that do not return ids
        ids = dict(
            user_model.objects.filter(email__in=[u.email for u in new_users]).values_list("email", "pk")
        )
        for user in new_users:
            user.pk = ids[user.email]
    users = {u.email.lower(): u for u in new_users}
    users.update(
        {
            u.email.lower(): u
            for u in user_model.objects.filter(email__in=[r.email for r in plan.rows if r.action != "create"])
        }
    )
    memberships = {(m.user_id, m.role): m for m in Membership.objects.filter(collectivity=collectivity)}
    to_create, to_update = [], []
    for row in plan.rows:
        user = users[row.email]
        details = {name: row.values[name] for name in FIELDS}
        if row.action in ("create", "add"):
            to_create.append(
                Membership(user=user, collectivity=collectivity, role=row.values["role"], **details)
            )
        elif row.action == "update":
            membership = memberships[(user.pk, row.values["role"])]
            for name in row.values["present"]:
                setattr(membership, name, details[name])
            to_update.append(membership)
    Membership.objects.bulk_create(to_create)
    Membership.objects.bulk_update(to_update, list(FIELDS))
    with_learner = set(
        Learner.objects.filter(user__in=list(users.values())).values_list("user_id", flat=True)
    )
    Learner.objects.bulk_create(
        [Learner(user=u, actor_name=uuid.uuid4()) for u in users.values() if u.pk not in with_learner],
        ignore_conflicts=True,
    )
    audit.record(
        by,
        audit.Action.IMPORTED,
        what=f"CSV import: {len(new_users)} created, {len(to_create)} memberships, {len(to_update)} updated",
        collectivity=collectivity,
    )
    return ImportResult(
        created=[u.pk for u in new_users],
        added=plan.count("add"),
        updated=len(to_update),
        unchanged=plan.count("unchanged"),
    )
