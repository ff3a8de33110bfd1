"""Agents and the things a statement refers to, reduced to the keys the LRS indexes them by."""

IFIS = ("mbox", "mbox_sha1sum", "openid", "account")


def ifi_key(agent: dict) -> str:
    """Return one string for an Agent's or identified Group's inverse functional identifier.

    ``mbox:mailto:a@b.fr``, ``mbox_sha1sum:<hex>``, ``openid:<uri>`` or ``account:<homePage>|<name>``; empty
    for an anonymous Group.
    """
    if "account" in agent:
        account = agent["account"]
        return f"account:{account.get('homePage', '')}|{account.get('name', '')}"
    for ifi in ("mbox", "mbox_sha1sum", "openid"):
        if ifi in agent:
            return f"{ifi}:{agent[ifi]}"
    return ""


def actor_key(actor: dict) -> str:
    """Return the string Tremplin indexes an actor by: its account name, or its other identifier."""
    if "account" in actor:
        return actor["account"].get("name", "")
    for ifi in ("mbox_sha1sum", "openid", "mbox"):
        if ifi in actor:
            return actor[ifi]
    return ""


def _agents_of(actor: dict, keys: list) -> None:
    key = ifi_key(actor)
    if key:
        keys.append(key)
    for member in actor.get("member") or ():
        keys.append(ifi_key(member))


def related(statement: dict, *, authority: dict | None = None) -> tuple[list[str], list[str]]:
    """Return the agents and the activities a statement refers to anywhere.

    What the ``related_agents`` and ``related_activities`` filters of the statements resource look into:
    actor, object, authority (``authority``, else the statement's own), context instructor and team,
    context activities, and the same inside a SubStatement.
    """
    agents, activities = [], []
    parts = [statement]
    target = statement.get("object") or {}
    if target.get("objectType") == "SubStatement":
        parts.append(target)
    for part in parts:
        _agents_of(part.get("actor") or {}, agents)
        obj = part.get("object") or {}
        object_type = obj.get("objectType", "Activity")
        if object_type == "Activity":
            activities.append(obj.get("id", ""))
        elif object_type in ("Agent", "Group"):
            _agents_of(obj, agents)
        context = part.get("context")
        if context:
            for key in ("instructor", "team"):
                if key in context:
                    _agents_of(context[key], agents)
            for items in (context.get("contextActivities") or {}).values():
                for item in items if isinstance(items, list) else [items]:
                    activities.append(item.get("id", ""))
    if authority is None:
        authority = statement.get("authority")
    if authority:
        _agents_of(authority, agents)
    return agents, activities


def lines(values: list[str]) -> str:
    """Join keys as ``\\nkey1\\nkey2\\n`` so that a LIKE ``%\\nkey\\n%`` matches one key exactly."""
    return "\n" + "\n".join(dict.fromkeys(values)) + "\n" if values else ""
