"""Reading statements back: single statements and the filtered, paged list of GET /xapi/statements."""

import json
import time
from dataclasses import dataclass
from datetime import UTC, timedelta

import orjson
from django.db.models import Q, QuerySet
from django.utils import timezone

from lms.analytics.services import oldest_writer_start
from lms.models import Statement
from lms.models.statements import full_statement

from .agents import actor_key, ifi_key
from .errors import ValidationError
from .validation import check_actor, check_timestamp, check_uuid, has_nul_escape

FILTERS = (
    "agent",
    "verb",
    "activity",
    "registration",
    "related_activities",
    "related_agents",
    "since",
    "until",
    "limit",
    "format",
    "attachments",
    "ascending",
    "cursor",
)


def scoped(collectivity_id=None) -> QuerySet:
    """Statements a reader may see: those of its collectivity, or all for a platform-wide reader."""
    statements = Statement.objects.all()
    if collectivity_id is not None:
        statements = statements.filter(collectivity_id=collectivity_id)
    return statements


def agent_param(value: str, name: str = "agent") -> str:
    """Parse an Agent/Group JSON parameter and return its identifier key.

    Raises:
        ValidationError: when the value is not a valid Agent or identified Group.
    """
    try:
        # orjson: it refuses lone surrogates (which PostgreSQL cannot encode) and stops at 1,024 levels
        # where the standard library's parser would exhaust the stack.
        agent = orjson.loads(value)
    except orjson.JSONDecodeError as error:
        raise ValidationError(name, "must be an Agent or Group as JSON") from error
    if has_nul_escape(value.encode()):
        raise ValidationError(name, "must not contain a NUL character (\\u0000)")
    check_actor(agent, name)
    key = ifi_key(agent)
    if not key:
        raise ValidationError(name, "must carry an inverse functional identifier")
    return key


#: The lengths the statement store keeps of a verb id, an object id and an agent's key (the columns the
#: filters use): a longer value is stored cut, and compared cut, then checked whole in the statement.
VERB_LENGTH = Statement._meta.get_field("verb").max_length
OBJECT_LENGTH = Statement._meta.get_field("object_id").max_length
AGENT_LENGTH = Statement._meta.get_field("agent_ifi").max_length


def as_actor(agent: dict, key: str) -> Q:
    """Statements whose actor is ``agent`` (whose identifier key is ``key``).

    Looked up through the ``actor_name`` index (the actor's account name or other identifier, which the key
    determines) and checked on the full key: ``agent_ifi`` has no index of its own, each one costing every
    stored statement.
    """
    match = Q(actor_name=actor_key(agent)[:255], agent_ifi=key[:AGENT_LENGTH])
    if len(key) > AGENT_LENGTH:
        match &= Q(related_agents__contains=f"\n{key}\n")
    return match


def _object_agent(key: str) -> Q:
    """Statements whose object is the Agent or Group with this identifier key."""
    match = Q(object_id=key[:OBJECT_LENGTH], object_type__in=("Agent", "Group"))
    if len(key) > OBJECT_LENGTH:
        match &= Q(related_agents__contains=f"\n{key}\n")
    return match


def _bool(params, name) -> bool:
    value = params.get(name, "false").lower()
    if value not in ("true", "false"):
        raise ValidationError(name, "must be true or false")
    return value == "true"


@dataclass
class Page:
    statements: list[dict]
    more: dict | None
    """The parameters of the next page, or None on the last one."""


def find_statements(params: dict, *, collectivity_id=None, max_limit: int) -> Page:
    """Return one page of the statements matching the filters of the xAPI statements resource.

    Voided statements are left out; results are ordered by storage, newest first unless ``ascending``.

    Args:
        params: the query parameters (``agent``, ``verb``, ``activity``, ``registration``,
            ``related_activities``, ``related_agents``, ``since``, ``until``, ``limit``, ``ascending`` and the
            ``cursor`` of the ``more`` link).
        collectivity_id: restrict to this collectivity's statements.
        max_limit: the largest page.

    Raises:
        ValidationError: a parameter is not valid.
    """
    base = scoped(collectivity_id)
    matching = base
    if "agent" in params:
        key = agent_param(params["agent"])
        if _bool(params, "related_agents"):
            matching = matching.filter(related_agents__contains=f"\n{key}\n")
        else:
            matching = matching.filter(as_actor(json.loads(params["agent"]), key) | _object_agent(key))
    elif "related_agents" in params:
        _bool(params, "related_agents")
    if "verb" in params:
        verb = params["verb"]
        matching = matching.filter(verb=verb[:VERB_LENGTH])
        if len(verb) > VERB_LENGTH:
            matching = matching.filter(data__verb__id=verb)
    if "activity" in params:
        if _bool(params, "related_activities"):
            matching = matching.filter(related_activities__contains=f"\n{params['activity']}\n")
        else:
            activity = params["activity"]
            matching = matching.filter(object_id=activity[:OBJECT_LENGTH], object_type="Activity")
            if len(activity) > OBJECT_LENGTH:
                matching = matching.filter(data__object__id=activity)
    elif "related_activities" in params:
        _bool(params, "related_activities")
    if "registration" in params:
        check_uuid(params["registration"], "registration")
        matching = matching.filter(registration=params["registration"])
    bounds = Q(voided=False)
    if "since" in params:
        bounds &= Q(stored__gt=check_timestamp(params["since"], "since"))
    if "until" in params:
        bounds &= Q(stored__lte=check_timestamp(params["until"], "until"))
    ascending = _bool(params, "ascending")
    try:
        limit = int(params.get("limit", 0))
    except ValueError as error:
        raise ValidationError("limit", "must be a non-negative integer") from error
    if limit < 0:
        raise ValidationError("limit", "must be a non-negative integer")
    limit = min(limit or max_limit, max_limit)
    if "cursor" in params:
        try:
            cursor = int(params["cursor"])
        except ValueError as error:
            raise ValidationError("cursor", "is not a cursor of this LRS") from error
        bounds &= Q(seq__gt=cursor) if ascending else Q(seq__lt=cursor)
    order = "seq" if ascending else "-seq"
    columns = ("seq", "data", "stored", "authority")
    statements = matching.filter(bounds).order_by().values_list(*columns)
    if matching is not base:
        # A statement whose object is a StatementRef to a matching statement (voided or not) matches too.
        targeting = base.filter(bounds, ref_id__in=matching.order_by().values("statement_id"))
        targeting = targeting.order_by().values_list(*columns)
        statements = statements.union(targeting)
    rows = list(statements.order_by(order)[: limit + 1])
    more = None
    if len(rows) > limit:
        rows = rows[:limit]
        more = {key: value for key, value in params.items() if key != "cursor"}
        more["cursor"] = str(rows[-1][0])
    return Page([full_statement(data, stored, authority) for _, data, stored, authority in rows], more)


def get_statement(statement_id: str, *, voided: bool, collectivity_id=None) -> Statement | None:
    """Return the stored statement with this id (a voided one when ``voided``), or None."""
    try:
        return scoped(collectivity_id).filter(statement_id=statement_id, voided=voided).first()
    except (ValueError, ValidationError):
        return None


#: How long before its insert a statement's ``stored`` may be taken: the store dates a batch, validates it,
#: then writes it (milliseconds; a second of slack).
STORE_MARGIN = timedelta(seconds=1)
#: How long a process answers the same ``Consistent-Through`` (an older bound stays true, see below).
CONSISTENT_THROUGH_CACHE_SECONDS = 1.0

_consistent_through: tuple[float, str] | None = None


def consistent_through() -> str:
    """What ``X-Experience-API-Consistent-Through`` says: every statement stored before it is readable.

    Not simply "now": a statement is dated (``stored``) before its transaction commits, and a transaction that
    began earlier may still commit statements dated before now — a client that reads ``since`` the header's
    value would miss them for good. So the bound is the start of the oldest transaction of the database that
    has written (``lms.analytics.services.oldest_writer_start``; readers, a vacuum or a dump do not hold it
    back), or now when there is none, minus :data:`STORE_MARGIN`: a store dates its batch at most that long
    before its insert gives its transaction an xid (each attempt dates it again). A bound computed at *t*
    stays true later (a transaction still open then is counted, one begun after dates its statements after
    *t* − the margin), so each process computes it at most once a second: the header is sent on every answer
    of the statements resource, POSTs included.
    """
    global _consistent_through
    clock = time.monotonic()
    cached = _consistent_through
    if cached is not None and cached[0] > clock:
        return cached[1]
    now = timezone.now()
    oldest = oldest_writer_start()
    bound = (min(now, oldest) if oldest is not None else now) - STORE_MARGIN
    value = bound.astimezone(UTC).isoformat(timespec="microseconds")
    _consistent_through = (clock + CONSISTENT_THROUGH_CACHE_SECONDS, value)
    return value


def forget_consistent_through() -> None:
    """Forget the remembered bound (tests)."""
    global _consistent_through
    _consistent_through = None


def activity_definition(activity_id: str, collectivity_id=None) -> dict:
    """Return the Activity object with the definition merged from the statements that carry it.

    Newer statements win, property by property (language maps are merged language by language).
    """
    rows = (
        scoped(collectivity_id)
        .filter(related_activities__contains=f"\n{activity_id}\n")
        .order_by("seq")
        .values_list("data", flat=True)[:1000]
    )
    definition: dict = {}
    for data in rows:
        for activity in _activities_in(data):
            if activity.get("id") == activity_id and activity.get("definition"):
                for key, value in activity["definition"].items():
                    if isinstance(value, dict) and key in ("name", "description"):
                        definition[key] = {**definition.get(key, {}), **value}
                    else:
                        definition[key] = value
    result = {"objectType": "Activity", "id": activity_id}
    if definition:
        result["definition"] = definition
    return result


def _activities_in(statement: dict):
    parts = [statement]
    if statement["object"].get("objectType") == "SubStatement":
        parts.append(statement["object"])
    for part in parts:
        if part["object"].get("objectType", "Activity") == "Activity":
            yield part["object"]
        for items in ((part.get("context") or {}).get("contextActivities") or {}).values():
            yield from items


def person(agent_key: str, agent: dict, collectivity_id=None) -> dict:
    """Return the Person object of an agent: every name and identifier known for it.

    Tremplin knows an agent by one identifier only, so the Person holds that identifier and its names.
    """
    names = set()
    if agent.get("name"):
        names.add(agent["name"])
    rows = scoped(collectivity_id).filter(as_actor(agent, agent_key)).values_list("data", flat=True)[:100]
    for data in rows:
        if data["actor"].get("name"):
            names.add(data["actor"]["name"])
    result: dict = {"objectType": "Person"}
    if names:
        result["name"] = sorted(names)
    for ifi in ("mbox", "mbox_sha1sum", "openid", "account"):
        if ifi in agent:
            result[ifi] = [agent[ifi]]
    return result
