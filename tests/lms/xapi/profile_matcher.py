"""A small xAPI Profile statement-template matcher for the tests (the subset Tremplin's profile uses).

Locations are JSONPath with dotted names, ``['quoted key']`` and ``[*]``. Rules follow the xAPI Profiles spec
(Statement Template Rules): ``presence`` ``included`` needs at least one value, ``excluded`` none; ``any``,
``all`` and ``none`` apply when the location has values, whatever the presence (``recommended`` or missing
makes the location optional). The determining properties are the verb, the object's activity type and the
context activities' types.
"""

import json
import re
from pathlib import Path

PROFILE_PATH = Path(__file__).resolve().parents[3] / "docs" / "xapi-profile.jsonld"
_TOKEN = re.compile(r"\.([A-Za-z_][\w-]*)|\['([^']+)'\]|\[(\*)\]")
CONTEXT_ACTIVITY_KEYS = ("parent", "grouping", "category", "other")


def load_profile() -> dict:
    return json.loads(PROFILE_PATH.read_text())


def concepts_by_type(profile: dict) -> dict[str, dict[str, dict]]:
    """Return the profile's concepts by type, then by id."""
    found: dict[str, dict[str, dict]] = {}
    for concept in profile["concepts"]:
        found.setdefault(concept["type"], {})[concept["id"]] = concept
    return found


def locate(statement: dict, location: str) -> list:
    assert location.startswith("$"), location
    values = [statement]
    position = 1
    while position < len(location):
        match = _TOKEN.match(location, position)
        assert match, f"unsupported location {location!r}"
        name = match.group(1) or match.group(2)
        found = []
        for value in values:
            if match.group(3):
                if isinstance(value, list):
                    found.extend(value)
            elif isinstance(value, dict) and name in value:
                found.append(value[name])
        values = found
        position = match.end()
    return values


def _key(value) -> str:
    """JSON value equality: ``0`` and ``0.0`` are the same number, ``true`` is not ``1``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = float(value)
    return json.dumps(value, sort_keys=True)


def _types(activities) -> set:
    return {(a.get("definition") or {}).get("type") for a in activities or ()}


def determining_problems(statement: dict, template: dict) -> list[str]:
    """The determining properties of ``template`` that ``statement`` lacks."""
    found = []
    if template.get("verb") and statement["verb"]["id"] != template["verb"]:
        found.append("verb")
    object_type = (statement["object"].get("definition") or {}).get("type")
    if template.get("objectActivityType") and object_type != template["objectActivityType"]:
        found.append("objectActivityType")
    context_activities = (statement.get("context") or {}).get("contextActivities") or {}
    for key in CONTEXT_ACTIVITY_KEYS:
        wanted = template.get(f"context{key.title()}ActivityType")
        if wanted and not set(wanted) <= _types(context_activities.get(key)):
            found.append(f"context{key.title()}ActivityType")
    return found


def rule_problems(statement: dict, template: dict) -> list[str]:
    """The rules of ``template`` that ``statement`` breaks."""
    found = []
    for rule in template.get("rules", ()):
        location, presence = rule["location"], rule.get("presence")
        values = {_key(value) for value in locate(statement, location)}
        if presence == "included" and not values:
            found.append(f"{location} missing")
        if presence == "excluded" and values:
            found.append(f"{location} present")
        if not values or presence == "excluded":
            continue
        if "any" in rule and not values & {_key(value) for value in rule["any"]}:
            found.append(f"{location} not any of {rule['any']}")
        if "all" in rule and not values <= {_key(value) for value in rule["all"]}:
            found.append(f"{location} not all in {rule['all']}")
        if "none" in rule and values & {_key(value) for value in rule["none"]}:
            found.append(f"{location} one of {rule['none']}")
    return found


def problems(statement: dict, template: dict) -> list[str]:
    """What keeps a statement from matching a template (empty when it matches)."""
    return determining_problems(statement, template) + rule_problems(statement, template)


def matching_templates(statement: dict, profile: dict) -> list[str]:
    """The ids of the templates ``statement`` matches (determining properties and rules)."""
    return [t["id"] for t in profile["templates"] if not problems(statement, t)]


def determined_templates(statement: dict, profile: dict) -> list[str]:
    """The ids of the templates whose determining properties ``statement`` has: it must follow their rules."""
    return [t["id"] for t in profile["templates"] if not determining_problems(statement, t)]


def activity_types(statement: dict) -> set[str]:
    """The activity types of a statement's object and context activities."""
    context_activities = (statement.get("context") or {}).get("contextActivities") or {}
    found = _types([statement["object"]])
    for key in CONTEXT_ACTIVITY_KEYS:
        found |= _types(context_activities.get(key))
    return found - {None}


def agents(statement: dict) -> list[dict]:
    """Every agent of a statement that names a person: the actor and the context's instructor."""
    context = statement.get("context") or {}
    return [statement["actor"], *([context["instructor"]] if "instructor" in context else [])]
