"""A small xAPI Profile statement-template matcher for the tests (the subset Tremplin's profile uses).

Locations are JSONPath with dotted names, ``['quoted key']`` and ``[*]``; rules use ``presence`` (included,
excluded), ``any`` and ``all``; determining properties are the verb, the object's activity type and the
context activity types.
"""

import json
import re
from pathlib import Path

PROFILE_PATH = Path(__file__).resolve().parents[3] / "docs" / "xapi-profile.jsonld"
_TOKEN = re.compile(r"\.([A-Za-z_][\w-]*)|\['([^']+)'\]|\[(\*)\]")


def load_profile() -> dict:
    return json.loads(PROFILE_PATH.read_text())


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


def _types(activities) -> set:
    return {(a.get("definition") or {}).get("type") for a in activities or ()}


def problems(statement: dict, template: dict) -> list[str]:
    """What keeps a statement from matching a template (empty when it matches)."""
    found = []
    if template.get("verb") and statement["verb"]["id"] != template["verb"]:
        found.append("verb")
    object_type = (statement["object"].get("definition") or {}).get("type")
    if template.get("objectActivityType") and object_type != template["objectActivityType"]:
        found.append("objectActivityType")
    context_activities = (statement.get("context") or {}).get("contextActivities") or {}
    for key in ("parent", "grouping", "category", "other"):
        wanted = template.get(f"context{key.title()}ActivityType")
        if wanted and not set(wanted) <= _types(context_activities.get(key)):
            found.append(f"context{key.title()}ActivityType")
    for rule in template.get("rules", ()):
        values = locate(statement, rule["location"])
        presence = rule.get("presence")
        if presence == "included" and not values:
            found.append(f"{rule['location']} missing")
        if presence == "excluded" and values:
            found.append(f"{rule['location']} present")
        if "any" in rule and values and not set(map(json.dumps, values)) & set(map(json.dumps, rule["any"])):
            found.append(f"{rule['location']} not any of {rule['any']}")
        if "all" in rule and values and not set(map(json.dumps, values)) <= set(map(json.dumps, rule["all"])):
            found.append(f"{rule['location']} not all in {rule['all']}")
    return found


def matching_templates(statement: dict, profile: dict) -> list[str]:
    return [t["id"] for t in profile["templates"] if not problems(statement, t)]
