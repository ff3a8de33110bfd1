"""Framework services: saving and loading frameworks, carrying levels through mappings, job-profile gaps.

Everything here is the business logic of :mod:`competences`; views, commands and the admin call it.
This app is the bottom layer: it imports nothing of ``lms`` or ``courses``.
"""

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from django.db import router, transaction
from django.db.models import ProtectedError
from django.db.models.deletion import Collector
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from competences.models import (
    Area,
    Competence,
    CompetenceLevel,
    CompetenceMapping,
    Framework,
    JobProfile,
    JobProfileTarget,
    Level,
)

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

#: Framework fields carried by the data dicts of :func:`framework_data` and :func:`save_framework`.
FRAMEWORK_FIELDS = ("title", "description", "version", "language", "source", "licence", "uri", "status")


def competence_uri(framework_uri: str, code: str) -> str:
    """Return the stable URI of competence ``code`` in the framework identified by ``framework_uri``."""
    return f"{framework_uri}/competences/{code}"


class FrameworkDataError(ValueError):
    """Framework data that cannot be saved; ``errors`` lists every problem, one message each."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


#: The largest level number the database stores (``PositiveSmallIntegerField``).
MAX_LEVEL_NUMBER = 32767


def _text_errors(where: str, model, record: dict, fields: Iterable[str]) -> list[str]:
    """The problems of the text fields of ``record`` that the database would refuse.

    Too long for the column, a NUL character (PostgreSQL refuses it), a lone surrogate (not UTF-8), or a list
    or an object where text is expected: a file is refused with these messages rather than half-read.
    """
    errors = []
    for name in fields:
        value = record.get(name)
        if value is None:
            continue
        if isinstance(value, int | float):
            value = str(value)
        label = {"where": where, "field": name}
        if not isinstance(value, str):
            errors.append(_("%(where)s: the field “%(field)s” must be text.") % label)
            continue
        limit = model._meta.get_field(name).max_length
        if limit and len(value) > limit:
            errors.append(
                _("%(where)s: the field “%(field)s” is longer than %(max)d characters.")
                % {**label, "max": limit}
            )
        if "\x00" in value:
            errors.append(_("%(where)s: the field “%(field)s” contains a NUL character.") % label)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            errors.append(
                _("%(where)s: the field “%(field)s” contains a character that is not valid.") % label
            )
    return errors


def _data_text_errors(data: dict) -> list[str]:
    """:func:`_text_errors` over a whole framework data dict."""
    framework = _("Framework")
    errors = _text_errors(framework, Framework, data, ("slug", *FRAMEWORK_FIELDS))
    for level in data.get("levels", []):
        where = _("Level %(number)s") % {"number": level.get("number")}
        errors += _text_errors(where, Level, level, ("name", "descriptor"))
    for area in data.get("areas", []):
        errors += _text_errors(
            _("Area “%(code)s”") % {"code": area.get("code", "")}, Area, area, ("code", "title")
        )
        for competence in area.get("competences", []):
            where = _("Competence “%(code)s”") % {"code": competence.get("code", "")}
            errors += _text_errors(where, Competence, competence, ("code", "title", "description", "uri"))
            for descriptor in competence.get("levels", []):
                errors += _text_errors(where, CompetenceLevel, descriptor, ("descriptor",))
    return errors


def validate_framework_data(data: dict) -> list[str]:
    """Return the problems of a framework data dict (empty when it can be saved).

    Checks what the database would refuse or what would make a broken framework: required fields,
    duplicated codes, levels outside the scale, competence URIs owned by another framework, text the
    columns cannot hold (:func:`_text_errors`).
    """
    errors = _data_text_errors(data)
    if errors:
        return errors  # the checks below compare codes, which must be text first
    for field in ("slug", "title", "uri"):
        if not str(data.get(field) or "").strip():
            errors.append(_("Framework: the field “%(field)s” is required.") % {"field": field})
    if data.get("status", Framework.Status.DRAFT) not in Framework.Status.values:
        errors.append(_("Framework: unknown status “%(status)s”.") % {"status": data.get("status")})
    numbers = [level.get("number") for level in data.get("levels", [])]
    if not numbers:
        errors.append(_("Framework: the level scale is empty."))
    if any(
        not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_LEVEL_NUMBER for n in numbers
    ) or len(set(numbers)) != len(numbers):
        errors.append(_("Framework: level numbers must be distinct whole numbers from 1."))
    area_codes, competence_codes, uris = set(), set(), {}
    for area in data.get("areas", []):
        if not area.get("code") or not area.get("title"):
            errors.append(_("Area “%(code)s”: code and title are required.") % {"code": area.get("code", "")})
        if area.get("code") in area_codes:
            errors.append(_("Area “%(code)s”: the code appears twice.") % {"code": area["code"]})
        area_codes.add(area.get("code"))
        for competence in area.get("competences", []):
            code = competence.get("code") or ""
            if not code or not competence.get("title"):
                errors.append(_("Competence “%(code)s”: code and title are required.") % {"code": code})
            if code in competence_codes:
                errors.append(_("Competence “%(code)s”: the code appears twice.") % {"code": code})
            competence_codes.add(code)
            uri = competence.get("uri") or competence_uri(data.get("uri", ""), code)
            if uri in uris and uris[uri] != code:
                errors.append(
                    _("Competence “%(code)s”: its URI %(uri)s is the URI of the competence “%(other)s”.")
                    % {"code": code, "uri": uri, "other": uris[uri]}
                )
            uris[uri] = code
            for descriptor in competence.get("levels", []):
                if descriptor.get("level") not in numbers:
                    errors.append(
                        _("Competence “%(code)s”: level %(level)s is not in the scale.")
                        % {"code": code, "level": descriptor.get("level")}
                    )
    if uris and data.get("uri"):
        taken = Competence.objects.filter(uri__in=list(uris)).exclude(framework__uri=data["uri"])
        for uri, framework_title in taken.values_list("uri", "framework__title"):
            errors.append(
                _("Competence “%(code)s”: its URI %(uri)s belongs to the framework “%(framework)s”.")
                % {"code": uris[uri], "uri": uri, "framework": framework_title}
            )
        # Within the framework itself, a URI stays with its competence: another code cannot take it.
        renamed = Competence.objects.filter(uri__in=list(uris), framework__uri=data["uri"])
        for uri, other in renamed.values_list("uri", "code"):
            if uris[uri] != other:
                errors.append(
                    _("Competence “%(code)s”: its URI %(uri)s is the URI of the competence “%(other)s”.")
                    % {"code": uris[uri], "uri": uri, "other": other}
                )
    if data.get("slug") and data.get("uri"):
        clash = Framework.objects.filter(slug=data["slug"]).exclude(uri=data["uri"]).first()
        if clash:
            errors.append(
                _("Framework: the slug “%(slug)s” is used by another framework (%(uri)s).")
                % {"slug": data["slug"], "uri": clash.uri}
            )
    return errors


@transaction.atomic
def save_framework(data: dict) -> Framework:
    """Create or update a framework from a data dict, all of it or nothing.

    The dict has the shape of the files in ``competences/data/`` (and of :func:`framework_data`):
    framework fields, ``levels`` (``number``, ``name``, ``descriptor``) and ``areas`` with their
    ``competences`` (``code``, ``title``, ``description``, ``uri``, ``retired``, and ``levels``:
    per-competence descriptors ``{"level", "descriptor"}``). The framework is matched on its URI, then
    on its slug; rows on their natural keys (area code, competence code, level number), so saving the
    same data twice changes nothing. A competence missing from the data is retired, never deleted
    (evidence may point to it); fields missing from the data keep their stored value.

    Raises:
        FrameworkDataError: the data is invalid; nothing is stored.

    Returns:
        The framework, with its areas, competences and levels saved.
    """
    errors = validate_framework_data(data)
    if errors:
        raise FrameworkDataError(errors)
    framework = (
        Framework.objects.filter(uri=data["uri"]).first()
        or Framework.objects.filter(slug=data["slug"]).first()
    )
    before = _without_date(framework_data(framework)) if framework is not None else None
    if framework is None:
        framework = Framework(slug=data["slug"])
    framework.slug = data["slug"]
    for field in FRAMEWORK_FIELDS:
        if field in data and data[field] is not None:
            setattr(framework, field, data[field])
    if before is None or any(
        before[field] != getattr(framework, field) for field in ("slug", *FRAMEWORK_FIELDS)
    ):
        framework.save()
    for level in data["levels"]:
        defaults = {"name": level["name"]}
        if level.get("descriptor") is not None:
            defaults["descriptor"] = level["descriptor"]
        Level.objects.update_or_create(framework=framework, number=level["number"], defaults=defaults)
    Level.objects.filter(framework=framework).exclude(
        number__in=[level["number"] for level in data["levels"]]
    ).delete()
    order, kept = 0, []
    for area_order, area_data in enumerate(data["areas"]):
        area, _created = Area.objects.update_or_create(
            framework=framework,
            code=area_data["code"],
            defaults={"title": area_data["title"], "sort_order": area_order},
        )
        for competence_data in area_data.get("competences", []):
            order += 1
            defaults = {
                "area": area,
                "title": competence_data["title"],
                "sort_order": order,
            }
            if "retired" in competence_data:
                defaults["retired"] = bool(competence_data["retired"])
            if competence_data.get("uri"):
                defaults["uri"] = competence_data["uri"]
            if competence_data.get("description") is not None:
                defaults["description"] = competence_data["description"]
            competence, _created = Competence.objects.update_or_create(
                framework=framework,
                code=competence_data["code"],
                defaults=defaults,
                create_defaults={
                    "uri": competence_uri(framework.uri, competence_data["code"]),
                    **defaults,
                },
            )
            kept.append(competence.pk)
            if "levels" in competence_data:
                descriptors = {d["level"]: d["descriptor"] for d in competence_data["levels"]}
                CompetenceLevel.objects.filter(competence=competence).exclude(
                    level__in=list(descriptors)
                ).delete()
                for level, descriptor in descriptors.items():
                    CompetenceLevel.objects.update_or_create(
                        competence=competence, level=level, defaults={"descriptor": descriptor}
                    )
    framework.competences.exclude(pk__in=kept).update(retired=True)
    if before is not None and before != _without_date(framework_data(framework)):
        framework.save(update_fields=["updated_at"])  # the CASE lastChangeDateTime
    return framework


def _without_date(data: dict) -> dict:
    return {key: value for key, value in data.items() if key != "updated_at"}


def load_framework(data: dict) -> Framework:
    """Create or update a shipped framework (see :func:`save_framework`)."""
    return save_framework({key: value for key, value in data.items() if not key.startswith("_")})


@transaction.atomic
def load_crosswalk(data: dict) -> int:
    """Add the mappings of a shipped crosswalk file; return how many were created.

    The file names a source and a target framework by URI and lists, per source competence code, the
    target competence codes. Mappings are only added (an admin may have added or removed others).
    """
    spec = data["crosswalk"]
    sources = {c.code: c for c in Competence.objects.filter(framework__uri=spec["source"])}
    targets = {c.code: c for c in Competence.objects.filter(framework__uri=spec["target"])}
    created = 0
    for source_code, target_codes in data["pairs"].items():
        for target_code in target_codes:
            _mapping, was_created = CompetenceMapping.objects.get_or_create(
                source=sources[source_code],
                target=targets[target_code],
                defaults={"kind": spec.get("kind", CompetenceMapping.Kind.CROSSWALK)},
            )
            created += was_created
    return created


@transaction.atomic
def load_job_profiles(data: dict) -> list[JobProfile]:
    """Create the shared job profiles of a shipped file that do not exist yet (by slug); return them all.

    Existing profiles are left as they are: collectivities and administrators may have adapted them.
    """
    profiles = []
    for spec in data["job_profiles"]:
        profile, created = JobProfile.objects.get_or_create(
            collectivity=None,
            slug=spec["slug"],
            defaults={"name": spec["name"], "description": spec.get("description", "")},
        )
        if created:
            for target in spec["targets"]:
                JobProfileTarget.objects.create(
                    job_profile=profile,
                    competence=Competence.objects.get(
                        framework__uri=target["framework"], code=target["code"]
                    ),
                    level=target["level"],
                )
        profiles.append(profile)
    return profiles


def load_shipped_frameworks() -> list[Framework]:
    """Load every framework shipped in ``competences/data/``, then the crosswalks and shared job profiles.

    Returns the frameworks.

    Idempotent: running it again changes nothing.
    """
    files = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(DATA_DIR.glob("*.json"))]
    frameworks = [load_framework(data) for data in files if "areas" in data]
    for data in files:
        if "crosswalk" in data:
            load_crosswalk(data)
        if "job_profiles" in data:
            load_job_profiles(data)
    return frameworks


def framework_data(framework: Framework) -> dict:
    """Return a framework as a data dict, the common shape of every export format and of the shipped files.

    ``updated_at`` (ISO 8601, UTC) is informative: :func:`save_framework` ignores it.
    """
    descriptors = defaultdict(list)
    for row in CompetenceLevel.objects.filter(competence__framework=framework).order_by("level"):
        descriptors[row.competence_id].append({"level": row.level, "descriptor": row.descriptor})
    competences = defaultdict(list)
    for competence in framework.competences.order_by("sort_order", "code"):
        competences[competence.area_id].append(
            {
                "code": competence.code,
                "title": competence.title,
                "description": competence.description,
                "uri": competence.uri,
                "retired": competence.retired,
                "levels": descriptors[competence.pk],
            }
        )
    return {
        "slug": framework.slug,
        **{field: getattr(framework, field) for field in FRAMEWORK_FIELDS},
        "updated_at": framework.updated_at.isoformat().replace("+00:00", "Z"),
        "levels": [
            {"number": level.number, "name": level.name, "descriptor": level.descriptor}
            for level in framework.levels.order_by("number")
        ],
        "areas": [
            {"code": area.code, "title": area.title, "competences": competences[area.pk]}
            for area in framework.areas.order_by("sort_order", "code")
        ],
    }


@transaction.atomic
def create_new_version(framework: Framework, version: str) -> Framework:
    """Start a new version of ``framework``: a draft copy linked to it, each competence mapped to its copy.

    The copy gets the slug ``<slug>-<version>`` and the URI ``<uri>/../<version>`` when the old URI ends with
    the old version (``…/crcn/2019`` → ``…/crcn/2025``), otherwise ``<uri>/<version>``. Editors then change
    the draft (retire, split, add competences, adjust the version mappings) and publish it; the old version
    and the evidence recorded against it stay untouched.

    Raises:
        FrameworkDataError: the new slug or URI is taken.
    """
    data = framework_data(framework)
    base = (
        framework.uri.rsplit("/", 1)[0]
        if framework.version and framework.uri.endswith(f"/{framework.version}")
        else framework.uri
    )
    uri = f"{base}/{version}"
    slug = slugify(f"{framework.slug}-{version}")[:50]
    if Framework.objects.filter(uri=uri).exists() or Framework.objects.filter(slug=slug).exists():
        raise FrameworkDataError(
            [
                _("A framework with the slug “%(slug)s” or the URI %(uri)s exists.")
                % {"slug": slug, "uri": uri}
            ]
        )
    for area in data["areas"]:
        for competence in area["competences"]:
            competence["uri"] = competence_uri(uri, competence["code"])
    data.update(slug=slug, uri=uri, version=version, status=Framework.Status.DRAFT)
    new = save_framework(data)
    new.previous_version = framework
    new.save(update_fields=["previous_version", "updated_at"])
    successors = {c.code: c for c in new.competences.all()}
    CompetenceMapping.objects.bulk_create(
        [
            CompetenceMapping(source=old, target=successors[old.code], kind=CompetenceMapping.Kind.VERSION)
            for old in framework.competences.all()
        ]
    )
    return new


def mapping_closure() -> set[tuple[int, int]]:
    """Return every (source id, target id) pair that the mappings the admin defines connect, transitively.

    Version mappings (old version → new version) and crosswalks (e.g. CRCN → DigComp) are followed alike,
    through any number of steps (v1 → v2 → v3, v1 → v2 → DigComp). A cycle (A → B → A) is harmless: a
    competence is never paired with itself. One query; the graph is walked in memory.

    This is the one place that walks the mapping graph: :func:`map_levels` and the analytics
    (``lms.analytics.mapping``) build on it.
    """
    edges: dict[int, set[int]] = defaultdict(set)
    for source_id, target_id in CompetenceMapping.objects.values_list("source_id", "target_id"):
        edges[source_id].add(target_id)
    pairs: set[tuple[int, int]] = set()
    for start in list(edges):
        seen, frontier = {start}, [start]
        while frontier:
            for following in edges.get(frontier.pop(), set()) - seen:
                seen.add(following)
                frontier.append(following)
        pairs.update((start, reached) for reached in seen - {start})
    return pairs


def map_levels(levels_by_competence_id: Mapping[int, int], target_framework: Framework) -> dict[int, int]:
    """Carry levels recorded on any competences over to the competences of ``target_framework``.

    Follows the mappings the admin defines, transitively (:func:`mapping_closure`): version mappings
    (old version → new version) and crosswalks (e.g. CRCN → DigComp). A level reached on a source
    competence counts as the same level on every competence it leads to; when several sources lead to one
    target, the highest level wins. Competences of ``target_framework`` itself keep their level. Retired
    targets are still returned: hiding them is the caller's choice.

    This is how evidence recorded against an old version of a framework, or against another framework,
    shows as levels in the current one (the analytics do the same on the level history with
    ``lms.analytics.mapping.carry_over``).

    Args:
        levels_by_competence_id: a learner's level per competence id, on any framework.
        target_framework: the framework to express the levels in.

    Returns:
        The level per competence id of ``target_framework`` (only competences reached by some level).
    """
    reach: dict[int, set[int]] = defaultdict(set)
    for source_id, target_id in mapping_closure():
        reach[source_id].add(target_id)
    target_ids = set(target_framework.competences.values_list("pk", flat=True))
    result: dict[int, int] = {}
    for competence_id, level in levels_by_competence_id.items():
        for reached in {competence_id} | reach.get(competence_id, set()):
            if reached in target_ids:
                result[reached] = max(result.get(reached, 0), level)
    return result


def superseded_frameworks() -> set[int]:
    """Return the ids of the frameworks that a published later version replaces (directly or not).

    A draft new version supersedes nothing until it is published; a learner then sees their levels on the
    new version only (carried over by the version mappings).
    """
    rows = list(Framework.objects.values_list("pk", "previous_version_id", "status"))
    previous = {pk: previous_id for pk, previous_id, _status in rows}
    superseded: set[int] = set()
    for _pk, previous_id, status in rows:
        if status != Framework.Status.PUBLISHED:
            continue
        while previous_id is not None and previous_id not in superseded:
            superseded.add(previous_id)
            previous_id = previous.get(previous_id)
    return superseded


def protected_by(competence: Competence) -> list:
    """Return the rows that forbid deleting ``competence`` (evidence, learner levels, course mappings…).

    Asks Django's deletion collector, so every ``PROTECT`` foreign key counts, including those of the
    apps above this one, without importing them.
    """
    collector = Collector(using=router.db_for_write(Competence))
    try:
        collector.collect([competence])
    except ProtectedError as error:
        return list(error.protected_objects)
    return []


class InUse(Exception):
    """Something that other records refer to, which a deletion would silently change."""


class CompetenceInUse(InUse):
    """A competence that has evidence, levels or mappings to courses: retire it instead."""


class JobProfileInUse(InUse):
    """A job profile that people hold: give them another one first."""


@transaction.atomic
def delete_competence(competence: Competence) -> None:
    """Delete a competence that nothing refers to.

    Raises:
        CompetenceInUse: evidence, learner levels, course mappings or job profiles refer to it.
    """
    blockers = protected_by(competence)
    if blockers:
        raise CompetenceInUse(
            ngettext(
                "“%(competence)s” is used (%(count)d record: evidence, level, course or job profile). "
                "Retire it instead.",
                "“%(competence)s” is used (%(count)d records: evidence, levels, courses or job profiles). "
                "Retire it instead.",
                len(blockers),
            )
            % {"competence": competence, "count": len(blockers)}
        )
    competence.delete()


@transaction.atomic
def delete_job_profile(profile: JobProfile) -> None:
    """Delete a job profile that nobody holds.

    Deleting it would silently leave its holders without a profile (and their gaps, assignments and
    dashboard groups with it), so HR first gives them another one.

    Raises:
        JobProfileInUse: some memberships hold it (the message says how many).
    """
    # Memberships (app ``lms``, above this one) point here; read them through the reverse relation.
    holders = profile.memberships.count()
    if holders:
        raise JobProfileInUse(
            ngettext(
                "“%(profile)s” is the job profile of %(count)d person: give them another profile first.",
                "“%(profile)s” is the job profile of %(count)d people: give them another profile first.",
                holders,
            )
            % {"profile": profile, "count": holders}
        )
    profile.delete()


@transaction.atomic
def delete_framework(framework: Framework) -> None:
    """Delete a framework whose competences nothing refers to.

    Raises:
        CompetenceInUse: some competence has evidence, levels, course mappings or job-profile targets.
    """
    for competence in framework.competences.all():
        delete_competence(competence)
    framework.delete()


def retire_competence(competence: Competence) -> Competence:
    """Retire a competence: it stays for the evidence recorded against it but is no longer offered."""
    competence.retired = True
    competence.save(update_fields=["retired"])
    return competence


@transaction.atomic
def move(item: Area | Competence, offset: int) -> None:
    """Move an area among its framework's areas, or a competence within its area, by ``offset`` places.

    Positions are renumbered from 0 (areas) or 1 (competences, numbered across the framework in area order).
    """
    if isinstance(item, Area):
        siblings = list(item.framework.areas.order_by("sort_order", "code"))
    else:
        siblings = list(item.area.competences.order_by("sort_order", "code"))
    index = next(i for i, sibling in enumerate(siblings) if sibling.pk == item.pk)
    new_index = min(max(index + offset, 0), len(siblings) - 1)
    siblings.insert(new_index, siblings.pop(index))
    for position, sibling in enumerate(siblings):
        sibling.sort_order = position
    type(item).objects.bulk_update(siblings, ["sort_order"])
    if isinstance(item, Competence):
        renumber_competences(item.framework)


def renumber_competences(framework: Framework) -> None:
    """Number a framework's competences 1, 2, 3… in area order, keeping their order within each area."""
    competences = list(framework.competences.order_by("area__sort_order", "area__code", "sort_order", "code"))
    for position, competence in enumerate(competences, start=1):
        competence.sort_order = position
    Competence.objects.bulk_update(competences, ["sort_order"])


#: The scale of a framework that defines no levels of its own (CRCN, DigComp).
DEFAULT_LEVELS = range(1, 9)


def allowed_levels(competence: Competence) -> list[int]:
    """Return the level numbers of ``competence``'s framework scale (1..8 when it defines none)."""
    numbers = list(
        Level.objects.filter(framework_id=competence.framework_id).values_list("number", flat=True)
    )
    return sorted(numbers) if numbers else list(DEFAULT_LEVELS)


def target_errors(targets: Iterable[tuple[Competence | None, int | None]]) -> dict[int, tuple[str, str]]:
    """Check the targets of a job profile: each level in its framework's scale, each competence once.

    Args:
        targets: (competence, level) pairs in the order of the form; incomplete pairs are skipped.

    Returns:
        Per position in ``targets`` that is wrong, the field at fault (``competence`` or ``level``) and the
        message; empty when all is well.
    """
    errors: dict[int, tuple[str, str]] = {}
    seen: set[int] = set()
    for position, (competence, level) in enumerate(targets):
        if competence is None or level is None:
            continue
        if competence.pk in seen:
            errors[position] = (
                "competence",
                _("“%(competence)s” is already a target of this profile.") % {"competence": competence},
            )
            continue
        seen.add(competence.pk)
        levels = allowed_levels(competence)
        if level not in levels:
            errors[position] = (
                "level",
                _("Level %(level)d is not in the scale of %(framework)s (%(first)d to %(last)d).")
                % {"level": level, "framework": competence.framework, "first": levels[0], "last": levels[-1]},
            )
    return errors


@dataclass(frozen=True)
class Gap:
    """How far a learner is from one target of their job profile."""

    competence: Competence
    current: int
    target: int

    @property
    def gap(self) -> int:
        """Levels missing to reach the target (0 when reached or exceeded)."""
        return max(self.target - self.current, 0)

    @property
    def reached(self) -> bool:
        return self.current >= self.target


def job_profile_gaps(levels_by_competence_id: Mapping[int, int], job_profile: JobProfile) -> list[Gap]:
    """Compare a learner's levels with the targets of a job profile.

    Levels recorded on other frameworks or older versions count through the mappings
    (:func:`map_levels`) towards the target's framework.

    Args:
        levels_by_competence_id: the learner's level per competence id (missing means level 0).
        job_profile: the profile whose targets to compare with.

    Returns:
        One :class:`Gap` per target, in the order of the framework.
    """
    targets = list(
        job_profile.targets.select_related("competence__framework").order_by(
            "competence__framework_id", "competence__sort_order"
        )
    )
    mapped: dict[int, dict[int, int]] = {}
    gaps = []
    for target in targets:
        framework = target.competence.framework
        if framework.pk not in mapped:
            mapped[framework.pk] = map_levels(levels_by_competence_id, framework)
        current = mapped[framework.pk].get(target.competence_id, 0)
        gaps.append(Gap(competence=target.competence, current=current, target=target.level))
    return gaps


def competences_by_uri(uris: Iterable[str]) -> dict[str, Competence]:
    """Return the competences whose URI is in ``uris``, keyed by URI."""
    return {c.uri: c for c in Competence.objects.filter(uri__in=list(uris)).select_related("framework")}
