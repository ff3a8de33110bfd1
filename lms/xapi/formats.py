"""The ``format`` parameter of GET statements: ``exact`` (as stored), ``ids`` and ``canonical``."""

from .agents import IFIS

FORMATS = ("exact", "ids", "canonical")


def _agent_ids(agent: dict) -> dict:
    result = {key: agent[key] for key in ("objectType", *IFIS) if key in agent}
    if "member" in agent and not any(ifi in agent for ifi in IFIS):
        result["member"] = [_agent_ids(member) for member in agent["member"]]
    return result


def _activity_ids(activity: dict) -> dict:
    # The id alone identifies an Activity ("objectType" defaults to Activity), so ``ids`` gives nothing else.
    return {"id": activity["id"]}


def _object_ids(target: dict) -> dict:
    object_type = target.get("objectType", "Activity")
    if object_type == "Activity":
        return _activity_ids(target)
    if object_type in ("Agent", "Group"):
        return _agent_ids(target)
    if object_type == "SubStatement":
        return _statement_ids(target)
    return target


def _statement_ids(statement: dict) -> dict:
    result = dict(statement)
    result["actor"] = _agent_ids(statement["actor"])
    result["verb"] = {"id": statement["verb"]["id"]}
    result["object"] = _object_ids(statement["object"])
    if "authority" in statement:
        result["authority"] = _agent_ids(statement["authority"])
    context = statement.get("context")
    if context:
        context = dict(context)
        for key in ("instructor", "team"):
            if key in context:
                context[key] = _agent_ids(context[key])
        if "contextActivities" in context:
            context["contextActivities"] = {
                key: [_activity_ids(item) for item in items]
                for key, items in context["contextActivities"].items()
            }
        result["context"] = context
    return result


def _pick(language_map: dict, languages: list[str]) -> dict:
    if not language_map:
        return language_map
    for language in languages:
        if language in language_map:
            return {language: language_map[language]}
        for key in language_map:
            if key.split("-")[0].lower() == language.split("-")[0].lower():
                return {key: language_map[key]}
    key = next(iter(language_map))
    return {key: language_map[key]}


def _canonical_activity(activity: dict, languages) -> dict:
    definition = activity.get("definition")
    if not definition:
        return activity
    definition = dict(definition)
    for key in ("name", "description"):
        if key in definition:
            definition[key] = _pick(definition[key], languages)
    for key in ("choices", "scale", "source", "target", "steps"):
        if key in definition:
            definition[key] = [
                {**c, "description": _pick(c["description"], languages)} if "description" in c else c
                for c in definition[key]
            ]
    return {**activity, "definition": definition}


def _canonical(statement: dict, languages) -> dict:
    result = dict(statement)
    verb = statement["verb"]
    if "display" in verb:
        result["verb"] = {**verb, "display": _pick(verb["display"], languages)}
    target = statement["object"]
    object_type = target.get("objectType", "Activity")
    if object_type == "Activity":
        result["object"] = _canonical_activity(target, languages)
    elif object_type == "SubStatement":
        result["object"] = _canonical(target, languages)
    context = statement.get("context")
    if context and "contextActivities" in context:
        result["context"] = {
            **context,
            "contextActivities": {
                key: [_canonical_activity(item, languages) for item in items]
                for key, items in context["contextActivities"].items()
            },
        }
    if "attachments" in statement:
        result["attachments"] = [
            {
                **a,
                **{key: _pick(a[key], languages) for key in ("display", "description") if key in a},
            }
            for a in statement["attachments"]
        ]
    return result


def format_statement(statement: dict, fmt: str, languages: list[str]) -> dict:
    """Return a statement in one of :data:`FORMATS`.

    Args:
        statement: the stored statement.
        fmt: ``exact``, ``ids`` or ``canonical``.
        languages: the client's preferred languages (``Accept-Language``), for ``canonical``.
    """
    if fmt == "ids":
        return _statement_ids(statement)
    if fmt == "canonical":
        return _canonical(statement, languages)
    return statement


def accept_languages(header: str) -> list[str]:
    """The languages of an ``Accept-Language`` header, best first."""
    weighted = []
    for index, item in enumerate((header or "").split(",")):
        language, _, params = item.strip().partition(";")
        if not language or language == "*":
            continue
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        weighted.append((-quality, index, language))
    return [language for _, _, language in sorted(weighted)]
