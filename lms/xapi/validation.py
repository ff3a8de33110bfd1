"""Strict validation of xAPI 1.0.3 statements (the MUST rules of the spec's data part).

:func:`validate_statement` raises :class:`~lms.xapi.errors.ValidationError` naming the field path (for example
``statements[3].context.registration``) and the rule broken. It also normalises what the spec tells an LRS to
normalise: a single context activity becomes a one-item list.

Written as plain functions over dicts, without a schema library, because the LRS validates every statement of
every batch in the request: this runs some microseconds per statement. On the hot path a field's path (for the
error message) is built only when the field fails, and the strings found valid as IRIs, IRLs and language tags
are remembered by the process (:func:`_remember`): their validity depends on the string alone, and a batch
repeats its verbs, activity types, context activities, home pages and languages.
"""

import re
from datetime import UTC, datetime

from . import vocabulary as v
from .errors import ValidationError

# Loose IRI: a scheme then no whitespace (RFC 3987 allows almost every other character).
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]*$")
_IRL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://[^\s]+$")
_MBOX = re.compile(r"^mailto:[^@\s:/]+@[^@\s]+$")
_SHA1 = re.compile(r"^[0-9a-fA-F]{40}$")
_SHA2 = re.compile(r"^[0-9a-fA-F]{56}$|^[0-9a-fA-F]{64}$|^[0-9a-fA-F]{96}$|^[0-9a-fA-F]{128}$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# RFC 4122: version 1 to 5 (13th hex digit), variant 10xx (17th hex digit 8, 9, a or b).
_RFC4122 = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$"
)
# RFC 5646 language tag (simplified: language, script, region, variants, extensions, private use). The primary
# language subtag has 2-3 letters (ISO 639) or 5-8 (registered); 4 letters are reserved, never valid.
_LANGUAGE = re.compile(
    r"^(?:(?:[A-Za-z]{2,3}|[A-Za-z]{5,8})(?:-[A-Za-z0-9]{1,8})*|[xXiI](?:-[A-Za-z0-9]{1,8})+)$"
)
# ASCII digits only (``re.ASCII``): ``\d`` would also match other scripts' digits, which ISO 8601 refuses.
_VERSION = re.compile(r"^1\.0(?:\.\d+)?$", re.ASCII)
_MEDIA_TYPE = re.compile(r"^[\w.+\-!#$&^]+/[\w.+\-!#$&^]+(?:\s*;.*)?$")
_TIMESTAMP = re.compile(
    r"^(\d{4})-?(\d{2})-?(\d{2})T(\d{2}):?(\d{2}):?(\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}(?::?\d{2})?)$", re.ASCII
)
_EXTENDED = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})$", re.ASCII)
_DURATION = re.compile(
    r"^P(?:(?:\d+(?:[.,]\d+)?Y)?(?:\d+(?:[.,]\d+)?M)?(?:\d+(?:[.,]\d+)?D)?"
    r"(?:T(?:\d+(?:[.,]\d+)?H)?(?:\d+(?:[.,]\d+)?M)?(?:\d+(?:[.,]\d+)?S)?)?|\d+(?:[.,]\d+)?W)$",
    re.ASCII,
)

#: The JSON escape of a NUL character: ``\\u0000`` after an even number of backslashes (``\\\\u0000`` is an
#: escaped backslash, then the text ``u0000``).
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def has_nul_escape(text: bytes) -> bool:
    """Whether JSON text holds a NUL character (which PostgreSQL cannot keep in ``jsonb`` or text)."""
    return b"\\u0000" in text and _NUL_ESCAPE.search(text) is not None


STATEMENT_KEYS = frozenset(
    {
        "id",
        "actor",
        "verb",
        "object",
        "result",
        "context",
        "timestamp",
        "stored",
        "authority",
        "version",
        "attachments",
    }  # fmt: skip
)
SUBSTATEMENT_KEYS = frozenset(
    {"objectType", "actor", "verb", "object", "result", "context", "timestamp", "attachments"}
)
AGENT_KEYS = frozenset({"objectType", "name", "mbox", "mbox_sha1sum", "openid", "account"})
GROUP_KEYS = AGENT_KEYS | {"member"}
IFIS = ("mbox", "mbox_sha1sum", "openid", "account")
ACCOUNT_KEYS = frozenset({"homePage", "name"})
VERB_KEYS = frozenset({"id", "display"})
ACTIVITY_KEYS = frozenset({"objectType", "id", "definition"})
STATEMENT_REF_KEYS = frozenset({"objectType", "id"})
DEFINITION_KEYS = frozenset(
    {
        "name",
        "description",
        "type",
        "moreInfo",
        "extensions",
        "interactionType",
        "correctResponsesPattern",
        "choices",
        "scale",
        "source",
        "target",
        "steps",
    }  # fmt: skip
)
INTERACTION_TYPES = {
    "true-false": (),
    "choice": ("choices",),
    "fill-in": (),
    "long-fill-in": (),
    "matching": ("source", "target"),
    "performance": ("steps",),
    "sequencing": ("choices",),
    "likert": ("scale",),
    "numeric": (),
    "other": (),
}
COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")
#: The properties of a definition that describe an interaction; a definition without any is checked sooner.
INTERACTION_KEYS = frozenset({"interactionType", "correctResponsesPattern", *COMPONENT_LISTS})
COMPONENT_KEYS = frozenset({"id", "description"})
RESULT_KEYS = frozenset({"score", "success", "completion", "response", "duration", "extensions"})
SCORE_KEYS = frozenset({"scaled", "raw", "min", "max"})
CONTEXT_KEYS = frozenset(
    {
        "registration",
        "instructor",
        "team",
        "contextActivities",
        "revision",
        "platform",
        "language",
        "statement",
        "extensions",
    }  # fmt: skip
)
CONTEXT_ACTIVITY_KEYS = frozenset({"parent", "grouping", "category", "other"})
ATTACHMENT_KEYS = frozenset(
    {"usageType", "display", "description", "contentType", "length", "sha2", "fileUrl"}
)


#: The most strings remembered per kind (the set is emptied when it is full), and the longest one: at most
#: 3 × 4,096 × 500 characters, whatever a client sends.
MEMO_SIZE = 4096
MEMO_MAX_LENGTH = 500
_valid_iris: set[str] = set()
_valid_irls: set[str] = set()
_valid_languages: set[str] = set()


def _remember(valid: set, value: str) -> None:
    """Remember a string that passed a check which depends on the string alone."""
    if len(value) > MEMO_MAX_LENGTH:
        return
    if len(valid) >= MEMO_SIZE:
        valid.clear()
    valid.add(value)


def _known_iri(value) -> bool:
    return type(value) is str and value in _valid_iris


def _fail(path, rule):
    raise ValidationError(path, rule)


def _object(value, path, allowed):
    if type(value) is not dict:
        _fail(path, "must be a JSON object")
    if not allowed.issuperset(value):
        _fail(f"{path}.{sorted(value.keys() - allowed)[0]}", "is not a property allowed here")


def _string(value, path):
    if type(value) is not str:
        _fail(path, "must be a string")


def _iri(value, path):
    if type(value) is str and value in _valid_iris:
        return
    if type(value) is not str or not _IRI.match(value):
        _fail(path, "must be an IRI (an absolute identifier with a scheme)")
    _remember(_valid_iris, value)


def _irl(value, path):
    if type(value) is str and value in _valid_irls:
        return
    if type(value) is not str or not _IRL.match(value):
        _fail(path, "must be an IRL (an absolute URL)")
    _remember(_valid_irls, value)


def check_uuid(value, path):
    """Check a UUID in its standard string form (RFC 4122)."""
    if type(value) is not str or not _RFC4122.match(value):
        if type(value) is str and _UUID.match(value):
            _fail(path, "must be an RFC 4122 UUID (variant 1, versions 1 to 5)")
        _fail(path, "must be a UUID in its standard string form")


def _number(value, path):
    if type(value) not in (int, float):
        _fail(path, "must be a number")


def _language_map(value, path):
    if type(value) is not dict:
        _fail(path, "must be a language map (a JSON object)")
    for key, text in value.items():
        if key not in _valid_languages:
            if not _LANGUAGE.match(key):
                _fail(f"{path}.{key}", "the key must be an RFC 5646 language tag")
            _remember(_valid_languages, key)
        if type(text) is not str:
            _fail(f"{path}.{key}", "must be a string")


def _extensions(value, path):
    if type(value) is not dict:
        _fail(path, "must be a JSON object")
    for key in value:
        if not _IRI.match(key):
            _fail(f"{path}.{key}", "an extension key must be an IRI")


def check_timestamp(value, path) -> datetime:
    """Check an ISO 8601 timestamp with a time zone offset and return it parsed.

    Raises:
        ValidationError: when the value is not such a timestamp (``-00:00``, forbidden by RFC 3339, included).
    """
    if type(value) is not str:
        _fail(path, "must be an ISO 8601 timestamp string")
    if _EXTENDED.match(value) and value[-6:] != "-00:00":
        # Fast path: the extended format with at most 6 decimals, which fromisoformat reads as it is.
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if value[0] in "09":  # (only the years 0001 and 9999 can leave the range in UTC)
                _check_utc_range(parsed, path)
            return parsed
    match = _TIMESTAMP.match(value)
    if match is None:
        _fail(path, "must be an ISO 8601 timestamp with a time zone offset")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    if offset in ("-00", "-0000", "-00:00"):
        _fail(path, "a negative zero offset (-00:00) is not allowed")
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    if offset == "Z":
        tz = "+00:00"
    else:
        digits = offset[1:].replace(":", "").ljust(4, "0")
        tz = f"{offset[0]}{digits[:2]}:{digits[2:]}"
    try:
        parsed = datetime.fromisoformat(f"{year}-{month}-{day}T{hour}:{minute}:{second}.{micro:06d}{tz}")
    except ValueError:
        _fail(path, "is not a valid date and time")
    _check_utc_range(parsed, path)
    return parsed


def _check_utc_range(value: datetime, path) -> None:
    """PostgreSQL keeps the instant in UTC, and Python reads back the years 1 to 9999 only: the timestamp
    ``0001-01-01T00:00:00+01:00`` would be stored, then make every read of its row fail."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        _fail(path, "must fall between the years 1 and 9999 once converted to UTC")


def check_agent(value, path, *, object_type_required=False):
    """Check an Agent: at most the allowed properties and exactly one inverse functional identifier."""
    if type(value) is not dict or not AGENT_KEYS.issuperset(value):
        _object(value, path, AGENT_KEYS)
    object_type = value.get("objectType")
    if object_type is None:
        if object_type_required:
            _fail(f"{path}.objectType", "is required here")
    elif object_type != "Agent":
        _fail(f"{path}.objectType", "must be 'Agent'")
    if "name" in value and type(value["name"]) is not str:
        _fail(f"{path}.name", "must be a string")
    count = _check_ifis(value, path)
    if count != 1:
        _fail(path, "an Agent must have exactly one of mbox, mbox_sha1sum, openid, account")


def _check_ifis(value, path) -> int:
    count = 0
    if "mbox" in value:
        count += 1
        mbox = value["mbox"]
        if type(mbox) is not str or not _MBOX.match(mbox):
            _fail(f"{path}.mbox", "must be an email address IRI starting with 'mailto:'")
    if "mbox_sha1sum" in value:
        count += 1
        if type(value["mbox_sha1sum"]) is not str or not _SHA1.match(value["mbox_sha1sum"]):
            _fail(f"{path}.mbox_sha1sum", "must be the hexadecimal SHA-1 of a mailto IRI")
    if "openid" in value:
        count += 1
        if type(value["openid"]) is not str or not _IRL.match(value["openid"]):
            _fail(f"{path}.openid", "must be a URI")
    if "account" in value:
        count += 1
        account = value["account"]
        if type(account) is not dict or not ACCOUNT_KEYS.issuperset(account):
            _object(account, f"{path}.account", ACCOUNT_KEYS)
        if "homePage" not in account:
            _fail(f"{path}.account.homePage", "is required")
        home_page = account["homePage"]
        if type(home_page) is not str or home_page not in _valid_irls:
            _irl(home_page, f"{path}.account.homePage")
        if "name" not in account:
            _fail(f"{path}.account.name", "is required")
        if type(account["name"]) is not str:
            _fail(f"{path}.account.name", "must be a string")
    return count


def check_group(value, path):
    """Check a Group: anonymous (members, no identifier) or identified (one identifier)."""
    _object(value, path, GROUP_KEYS)
    if value.get("objectType") != "Group":
        _fail(f"{path}.objectType", "must be 'Group'")
    if "name" in value:
        _string(value["name"], f"{path}.name")
    count = _check_ifis(value, path)
    if count > 1:
        _fail(path, "a Group must have at most one of mbox, mbox_sha1sum, openid, account")
    if "member" in value:
        members = value["member"]
        if type(members) is not list:
            _fail(f"{path}.member", "must be an array of Agents")
        for index, member in enumerate(members):
            check_agent(member, f"{path}.member[{index}]")
    if count == 0 and not value.get("member"):
        _fail(f"{path}.member", "an anonymous Group must list at least one member")


def check_actor(value, path):
    """Check an Agent or a Group."""
    if type(value) is dict and value.get("objectType") == "Group":
        check_group(value, path)
    else:
        check_agent(value, path)


def _check_verb(value, path):
    if type(value) is not dict or not VERB_KEYS.issuperset(value):
        _object(value, path, VERB_KEYS)
    if "id" not in value:
        _fail(f"{path}.id", "is required")
    verb_id = value["id"]
    if type(verb_id) is not str or verb_id not in _valid_iris:
        _iri(verb_id, f"{path}.id")
    if "display" in value:
        _language_map(value["display"], f"{path}.display")


def check_activity(value, path):
    """Check an Activity and its definition (interaction types and their components included)."""
    if type(value) is not dict or not ACTIVITY_KEYS.issuperset(value):
        _object(value, path, ACTIVITY_KEYS)
    if "objectType" in value and value["objectType"] != "Activity":
        _fail(f"{path}.objectType", "must be 'Activity'")
    if "id" not in value:
        _fail(f"{path}.id", "is required")
    activity_id = value["id"]
    if type(activity_id) is not str or activity_id not in _valid_iris:
        _iri(activity_id, f"{path}.id")
    if "definition" in value:
        _check_definition(value["definition"], f"{path}.definition")


def _check_definition(value, path):
    if type(value) is not dict or not DEFINITION_KEYS.issuperset(value):
        _object(value, path, DEFINITION_KEYS)
    if "name" in value:
        _language_map(value["name"], f"{path}.name")
    if "description" in value:
        _language_map(value["description"], f"{path}.description")
    if "type" in value:
        activity_type = value["type"]
        if type(activity_type) is not str or activity_type not in _valid_iris:
            _iri(activity_type, f"{path}.type")
    if "moreInfo" in value:
        _irl(value["moreInfo"], f"{path}.moreInfo")
    if "extensions" in value:
        _extensions(value["extensions"], f"{path}.extensions")
    if value.keys().isdisjoint(INTERACTION_KEYS):
        return
    interaction = value.get("interactionType")
    if "interactionType" in value and (type(interaction) is not str or interaction not in INTERACTION_TYPES):
        _fail(f"{path}.interactionType", "must be one of " + ", ".join(INTERACTION_TYPES))
    if "correctResponsesPattern" in value:
        if interaction is None:
            _fail(f"{path}.correctResponsesPattern", "requires an interactionType")
        pattern = value["correctResponsesPattern"]
        if type(pattern) is not list or any(type(item) is not str for item in pattern):
            _fail(f"{path}.correctResponsesPattern", "must be an array of strings")
    for key in COMPONENT_LISTS:
        if key not in value:
            continue
        if interaction is None or key not in INTERACTION_TYPES[interaction]:
            _fail(f"{path}.{key}", f"is not allowed for the interactionType {interaction!r}")
        components = value[key]
        if type(components) is not list:
            _fail(f"{path}.{key}", "must be an array of interaction components")
        seen = set()
        for index, component in enumerate(components):
            where = f"{path}.{key}[{index}]"
            _object(component, where, COMPONENT_KEYS)
            if "id" not in component:
                _fail(f"{where}.id", "is required")
            _string(component["id"], f"{where}.id")
            if component["id"] in seen:
                _fail(f"{where}.id", "must be unique within its array")
            seen.add(component["id"])
            if "description" in component:
                _language_map(component["description"], f"{where}.description")


def _check_statement_ref(value, path):
    _object(value, path, STATEMENT_REF_KEYS)
    if value.get("objectType") != "StatementRef":
        _fail(f"{path}.objectType", "must be 'StatementRef'")
    if "id" not in value:
        _fail(f"{path}.id", "is required")
    check_uuid(value["id"], f"{path}.id")


def _check_object(value, path, *, in_substatement):
    if type(value) is not dict:
        _fail(path, "must be a JSON object")
    object_type = value.get("objectType", "Activity")
    if object_type == "Activity":
        check_activity(value, path)
    elif object_type == "Agent":
        check_agent(value, path, object_type_required=True)
    elif object_type == "Group":
        check_group(value, path)
    elif object_type == "StatementRef":
        _check_statement_ref(value, path)
    elif object_type == "SubStatement":
        if in_substatement:
            _fail(f"{path}.objectType", "a SubStatement cannot contain a SubStatement")
        _object(value, path, SUBSTATEMENT_KEYS)
        _check_body(value, path, in_substatement=True)
    else:
        _fail(f"{path}.objectType", "must be one of Activity, Agent, Group, StatementRef, SubStatement")
    return object_type


def _check_result(value, path):
    _object(value, path, RESULT_KEYS)
    if "score" in value:
        score = value["score"]
        where = f"{path}.score"
        _object(score, where, SCORE_KEYS)
        for key in SCORE_KEYS & score.keys():
            _number(score[key], f"{where}.{key}")
        if "scaled" in score and not -1 <= score["scaled"] <= 1:
            _fail(f"{where}.scaled", "must be between -1 and 1")
        minimum, maximum, raw = score.get("min"), score.get("max"), score.get("raw")
        if minimum is not None and maximum is not None and minimum >= maximum:
            _fail(f"{where}.min", "must be less than max")
        if raw is not None:
            if minimum is not None and raw < minimum:
                _fail(f"{where}.raw", "must not be less than min")
            if maximum is not None and raw > maximum:
                _fail(f"{where}.raw", "must not be more than max")
    for key in ("success", "completion"):
        if key in value and type(value[key]) is not bool:
            _fail(f"{path}.{key}", "must be a boolean")
    if "response" in value:
        _string(value["response"], f"{path}.response")
    if "duration" in value:
        duration = value["duration"]
        if type(duration) is not str or duration in ("P", "PT") or duration.endswith("T"):
            _fail(f"{path}.duration", "must be an ISO 8601 duration")
        if not _DURATION.match(duration):
            _fail(f"{path}.duration", "must be an ISO 8601 duration")
    if "extensions" in value:
        _extensions(value["extensions"], f"{path}.extensions")


def _check_context(value, path, object_type):
    if type(value) is not dict or not CONTEXT_KEYS.issuperset(value):
        _object(value, path, CONTEXT_KEYS)
    if "registration" in value:
        registration = value["registration"]
        if type(registration) is not str or not _RFC4122.match(registration):
            check_uuid(registration, f"{path}.registration")
    if "instructor" in value:
        check_actor(value["instructor"], f"{path}.instructor")
    if "team" in value:
        check_group(value["team"], f"{path}.team")
    for key in ("revision", "platform"):
        if key in value:
            _string(value[key], f"{path}.{key}")
            if object_type != "Activity":
                _fail(f"{path}.{key}", "may only be used when the object is an Activity")
    if "language" in value:
        language = value["language"]
        if type(language) is not str or (language not in _valid_languages and not _LANGUAGE.match(language)):
            _fail(f"{path}.language", "must be an RFC 5646 language tag")
    if "statement" in value:
        _check_statement_ref(value["statement"], f"{path}.statement")
    if "extensions" in value:
        _extensions(value["extensions"], f"{path}.extensions")
    if "contextActivities" in value:
        activities = value["contextActivities"]
        where = f"{path}.contextActivities"
        _object(activities, where, CONTEXT_ACTIVITY_KEYS)
        if not activities:
            _fail(where, "must not be empty")
        for key, items in activities.items():
            if type(items) is dict:
                # The spec lets a single activity be sent; the LRS returns it in an array.
                items = activities[key] = [items]
            if type(items) is not list:
                _fail(f"{where}.{key}", "must be an array of Activities")
            for index, item in enumerate(items):
                if type(item) is dict and len(item) == 1 and _known_iri(item.get("id")):
                    continue  # {"id": <a known IRI>}: the usual context activity, valid as it is.
                check_activity(item, f"{where}.{key}[{index}]")


def check_attachments(value, path):
    """Check a statement's ``attachments`` array (each attachment's properties, types and formats)."""
    if type(value) is not list:
        _fail(path, "must be an array of attachments")
    for index, attachment in enumerate(value):
        where = f"{path}[{index}]"
        _object(attachment, where, ATTACHMENT_KEYS)
        for key in ("usageType", "display", "contentType", "length", "sha2"):
            if key not in attachment:
                _fail(f"{where}.{key}", "is required")
        _iri(attachment["usageType"], f"{where}.usageType")
        _language_map(attachment["display"], f"{where}.display")
        if "description" in attachment:
            _language_map(attachment["description"], f"{where}.description")
        content_type = attachment["contentType"]
        if type(content_type) is not str or not _MEDIA_TYPE.match(content_type):
            _fail(f"{where}.contentType", "must be an Internet media type")
        if type(attachment["length"]) is not int or attachment["length"] < 0:
            _fail(f"{where}.length", "must be a non-negative integer (octets)")
        if type(attachment["sha2"]) is not str or not _SHA2.match(attachment["sha2"]):
            _fail(f"{where}.sha2", "must be a hexadecimal SHA-2 hash")
        if "fileUrl" in attachment:
            _irl(attachment["fileUrl"], f"{where}.fileUrl")


def _check_body(value, path, *, in_substatement) -> datetime | None:
    for key in ("actor", "verb", "object"):
        if key not in value:
            _fail(f"{path}.{key}", "is required")
    check_actor(value["actor"], f"{path}.actor")
    _check_verb(value["verb"], f"{path}.verb")
    object_type = _check_object(value["object"], f"{path}.object", in_substatement=in_substatement)
    if "result" in value:
        _check_result(value["result"], f"{path}.result")
    if "context" in value:
        _check_context(value["context"], f"{path}.context", object_type)
    timestamp = None
    if "timestamp" in value:
        timestamp = check_timestamp(value["timestamp"], f"{path}.timestamp")
    if "attachments" in value:
        check_attachments(value["attachments"], f"{path}.attachments")
    return timestamp


def validate_statement(statement, path: str = "statement") -> dict:
    """Check one statement against the MUST rules of xAPI 1.0.3 and return it (normalised in place).

    Args:
        statement: the statement as parsed from JSON.
        path: the name of the statement in error messages (``statements[3]`` in a batch).

    Raises:
        ValidationError: naming the field path and the rule broken.
    """
    check_statement(statement, path)
    return statement


def check_statement(statement, path: str = "statement") -> datetime | None:
    """:func:`validate_statement`, returning the statement's ``timestamp`` parsed (None when it has none).

    Raises:
        ValidationError: naming the field path and the rule broken.
    """
    if type(statement) is not dict or not STATEMENT_KEYS.issuperset(statement):
        _object(statement, path, STATEMENT_KEYS)
    if "id" in statement:
        statement_id = statement["id"]
        if type(statement_id) is not str or not _RFC4122.match(statement_id):
            check_uuid(statement_id, f"{path}.id")
    timestamp = _check_body(statement, path, in_substatement=False)
    if "stored" in statement:
        check_timestamp(statement["stored"], f"{path}.stored")
    if "version" in statement:
        version = statement["version"]
        if type(version) is not str or not _VERSION.match(version):
            _fail(f"{path}.version", "must be 1.0 or 1.0.x")
    if "authority" in statement:
        authority = statement["authority"]
        check_actor(authority, f"{path}.authority")
        if authority.get("objectType") == "Group":
            # 3-legged OAuth: the application and the user together, an anonymous Group of exactly two Agents.
            if any(ifi in authority for ifi in IFIS):
                _fail(f"{path}.authority", "an authority Group must be anonymous (no identifier)")
            if len(authority.get("member") or ()) != 2:
                _fail(f"{path}.authority.member", "an authority Group must have exactly two Agents")
    verb_id = statement["verb"]["id"]
    if verb_id == v.VOIDED.id:
        target = statement["object"]
        if target.get("objectType") != "StatementRef":
            _fail(f"{path}.object", "a voiding statement's object must be a StatementRef")
    return timestamp


def validate_statements(statements) -> list[dict]:
    """Validate a single statement or a batch; return the list of statements.

    Raises:
        ValidationError: on the first statement that breaks a rule (the whole batch is refused).
    """
    if type(statements) is dict:
        return [validate_statement(statements)]
    if type(statements) is not list:
        _fail("statements", "must be a statement object or an array of statements")
    for index, statement in enumerate(statements):
        validate_statement(statement, f"statements[{index}]")
    return statements
