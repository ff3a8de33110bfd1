"""1EdTech CASE 1.1 CFPackage (JSON) for a framework.

Mapping (ours; the CASE spec leaves levels open):

- the framework is the ``CFDocument`` (``adoptionStatus`` Draft / Adopted / Deprecated from its status,
  ``extensions`` keep Tremplin's slug and source text);
- areas, competences and levels are ``CFItems`` typed "Area", "Competence" and "Proficiency level";
  a per-competence level descriptor is a ``CFItem`` typed "Level descriptor";
- ``isChildOf`` links an area to the document and a competence to its area (``sequenceNumber`` keeps the
  order); ``hasSkillLevel`` links a competence to each level of the scale, or to its own descriptor of
  that level when it has one;
- a retired competence has a ``statusEndDate``;
- identifiers are UUIDs derived from the URIs (uuid5), so they stay the same across exports.
"""

import json
import uuid

from django.utils.translation import gettext as _

from .errors import ImportRejected

CASE_VERSION = "1.1"
TYPE_AREA = "Area"
TYPE_COMPETENCE = "Competence"
TYPE_LEVEL = "Proficiency level"
TYPE_DESCRIPTOR = "Level descriptor"
STATUS_TO_ADOPTION = {"draft": "Draft", "published": "Adopted", "retired": "Deprecated"}
ADOPTION_TO_STATUS = {value: key for key, value in STATUS_TO_ADOPTION.items()}
EXTENSION = "tremplin"


def identifier(uri: str) -> str:
    """Return the stable CASE identifier (a UUID) of the node with ``uri``."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, uri))


def _link(title: str, uri: str) -> dict:
    return {"title": title, "identifier": identifier(uri), "uri": uri}


def package(data: dict, *, package_url: str | None = None) -> dict:
    """Return the CFPackage of a framework data dict (see :func:`competences.services.framework_data`).

    Args:
        data: the framework.
        package_url: where the package is served (the API), used in ``CFPackageURI``-style links.
    """
    now = data.get("updated_at") or "1970-01-01T00:00:00Z"
    doc_uri = data["uri"]
    document = {
        "identifier": identifier(doc_uri),
        "uri": doc_uri,
        "creator": data.get("source") or "Tremplin",
        "title": data["title"],
        "lastChangeDateTime": now,
        "caseVersion": CASE_VERSION,
        "frameworkType": "competency",
        "language": data.get("language") or "",
        "version": data.get("version") or "",
        "adoptionStatus": STATUS_TO_ADOPTION.get(data.get("status") or "draft", "Draft"),
        "description": data.get("description") or "",
        "extensions": {EXTENSION: {"slug": data["slug"], "source": data.get("source") or ""}},
    }
    if (data.get("source") or "").startswith(("http://", "https://")):
        document["officialSourceURL"] = data["source"]
    definitions: dict = {}
    if data.get("licence"):
        licence_uri = f"{doc_uri}/licence"
        document["licenseURI"] = _link(data["licence"], licence_uri)
        definitions["CFLicenses"] = [
            {
                "identifier": identifier(licence_uri),
                "uri": licence_uri,
                "title": data["licence"],
                "licenseText": data["licence"],
                "lastChangeDateTime": now,
            }
        ]
    items, associations = [], []

    def item(uri, item_type, full_statement, **extra):
        node = {
            "identifier": identifier(uri),
            "uri": uri,
            "fullStatement": full_statement,
            "CFItemType": item_type,
            "lastChangeDateTime": now,
            "language": data.get("language") or "",
        }
        node.update({key: value for key, value in extra.items() if value not in (None, "")})
        items.append(node)
        return node

    def associate(kind, origin, destination, sequence=None):
        uri = f"{origin['uri']}#{kind}:{destination['uri']}"
        association = {
            "identifier": identifier(uri),
            "uri": uri,
            "associationType": kind,
            "originNodeURI": _link(origin.get("fullStatement") or origin["title"], origin["uri"]),
            "destinationNodeURI": _link(
                destination.get("fullStatement") or destination["title"], destination["uri"]
            ),
            "lastChangeDateTime": now,
        }
        if sequence is not None:
            association["sequenceNumber"] = sequence
        associations.append(association)

    level_items = {}
    for level in data["levels"]:
        level_items[level["number"]] = item(
            f"{doc_uri}/levels/{level['number']}",
            TYPE_LEVEL,
            level["name"],
            abbreviatedStatement=level["name"],
            listEnumeration=str(level["number"]),
            notes=level.get("descriptor"),
        )
    for area_index, area in enumerate(data["areas"], start=1):
        area_item = item(
            f"{doc_uri}/areas/{area['code']}", TYPE_AREA, area["title"], humanCodingScheme=area["code"]
        )
        associate("isChildOf", area_item, document, area_index)
        for competence_index, competence in enumerate(area["competences"], start=1):
            competence_item = item(
                competence["uri"],
                TYPE_COMPETENCE,
                competence["title"],
                humanCodingScheme=competence["code"],
                notes=competence.get("description"),
                statusEndDate=now[:10] if competence.get("retired") else None,
            )
            associate("isChildOf", competence_item, area_item, competence_index)
            own = {d["level"]: d["descriptor"] for d in competence.get("levels", [])}
            for number, level_item in level_items.items():
                if number in own:
                    target = item(
                        f"{competence['uri']}/levels/{number}",
                        TYPE_DESCRIPTOR,
                        own[number],
                        listEnumeration=str(number),
                        humanCodingScheme=f"{competence['code']}-{number}",
                    )
                else:
                    target = level_item
                associate("hasSkillLevel", competence_item, target, number)
    result = {"CFDocument": document, "CFItems": items, "CFAssociations": associations}
    if definitions:
        result["CFDefinitions"] = definitions
    return result


def dump(data: dict) -> str:
    """Serialise a framework data dict as a CASE 1.1 CFPackage JSON document."""
    return json.dumps(package(data), ensure_ascii=False, indent=2)


def load(content: str) -> dict:
    """Parse a CASE 1.1 CFPackage into a framework data dict.

    Accepts packages from other tools: items without a ``CFItemType`` are placed by their depth in the
    ``isChildOf`` tree (children of the document are areas, their children competences).

    Raises:
        ImportRejected: naming each bad node or field.
    """
    try:
        payload = json.loads(content.lstrip("\ufeff"))
    except json.JSONDecodeError as error:
        raise ImportRejected(
            [_("Not JSON: %(error)s (line %(line)d).") % {"error": error.msg, "line": error.lineno}]
        ) from error
    if not isinstance(payload, dict) or not isinstance(payload.get("CFDocument"), dict):
        raise ImportRejected([_("CFPackage: the CFDocument object is required.")])
    errors = _type_errors(payload)
    if errors:
        raise ImportRejected(errors)
    document = payload["CFDocument"]
    for field in ("identifier", "uri", "creator", "title", "lastChangeDateTime"):
        if not document.get(field):
            errors.append(_("CFDocument: the field “%(field)s” is required.") % {"field": field})
    items = payload.get("CFItems") or []
    associations = payload.get("CFAssociations") or []
    if not isinstance(items, list) or not isinstance(associations, list):
        raise ImportRejected([*errors, _("CFPackage: CFItems and CFAssociations must be lists.")])
    by_uri = {}
    for index, node in enumerate(items):
        label = _("CFItems[%(index)d]") % {"index": index}
        if not isinstance(node, dict):
            errors.append(_("%(node)s: not an object.") % {"node": label})
            continue
        for field in ("identifier", "uri", "fullStatement", "lastChangeDateTime"):
            if not node.get(field):
                errors.append(
                    _("%(node)s: the field “%(field)s” is required.") % {"node": label, "field": field}
                )
        if node.get("uri"):
            by_uri[node["uri"]] = node
    children: dict[str, list[tuple[int, str]]] = {}
    skill_levels: dict[str, list[str]] = {}
    for index, association in enumerate(associations):
        label = _("CFAssociations[%(index)d]") % {"index": index}
        try:
            origin = association["originNodeURI"]["uri"]
            destination = association["destinationNodeURI"]["uri"]
            kind = association["associationType"]
        except (KeyError, TypeError):
            errors.append(
                _("%(node)s: associationType, originNodeURI and destinationNodeURI are required.")
                % {"node": label}
            )
            continue
        if kind == "isChildOf":
            children.setdefault(destination, []).append((association.get("sequenceNumber") or 0, origin))
        elif kind == "hasSkillLevel":
            skill_levels.setdefault(origin, []).append(destination)
    if errors:
        raise ImportRejected(errors)
    extension = (document.get("extensions") or {}).get(EXTENSION) or {}
    licence = (document.get("licenseURI") or {}).get("title", "")
    data = {
        "slug": extension.get("slug") or _slug(document),
        "title": document["title"],
        "description": document.get("description", ""),
        "uri": document["uri"],
        "version": document.get("version", ""),
        "language": document.get("language") or "fr",
        "source": extension.get("source", document.get("creator", "")),
        "licence": licence,
        "status": ADOPTION_TO_STATUS.get(document.get("adoptionStatus"), "draft"),
        "levels": [],
        "areas": [],
    }
    levels = [node for node in items if node.get("CFItemType") == TYPE_LEVEL]
    for node in levels:
        try:
            number = int(node.get("listEnumeration") or "")
        except ValueError:
            errors.append(
                _("CFItem %(uri)s: a proficiency level needs its number in listEnumeration.")
                % {"uri": node["uri"]}
            )
            continue
        data["levels"].append(
            {
                "number": number,
                "name": node.get("abbreviatedStatement") or node["fullStatement"],
                "descriptor": node.get("notes", ""),
            }
        )
    data["levels"].sort(key=lambda level: level["number"])

    def ordered_children(uri):
        return [by_uri[child] for _seq, child in sorted(children.get(uri, [])) if child in by_uri]

    def descendants(uri, parent=None):
        # Tremplin has two depths (area, competence): deeper items of other tools' packages become
        # competences of their area, depth first; the preview says so for each of them.
        for child in ordered_children(uri):
            if child.get("CFItemType") in (TYPE_LEVEL, TYPE_DESCRIPTOR):
                continue
            yield child, parent
            yield from descendants(child["uri"], child)

    notices: list[str] = []
    for area_node in ordered_children(document["uri"]):
        if area_node.get("CFItemType") not in (None, "", TYPE_AREA):
            continue
        area = {
            "code": area_node.get("humanCodingScheme") or "",
            "title": area_node["fullStatement"],
            "competences": [],
        }
        if not area["code"]:
            errors.append(_("CFItem %(uri)s: humanCodingScheme is required.") % {"uri": area_node["uri"]})
        for node, parent in descendants(area_node["uri"]):
            if parent is not None:
                notices.append(
                    _(
                        "CFItem %(code)s (%(uri)s) is under the competence %(parent)s: Tremplin keeps two "
                        "depths (area, competence), so it becomes a competence of the area %(area)s."
                    )
                    % {
                        "code": node.get("humanCodingScheme") or node["fullStatement"],
                        "uri": node["uri"],
                        "parent": parent.get("humanCodingScheme") or parent["fullStatement"],
                        "area": area["code"] or area["title"],
                    }
                )
            if not node.get("humanCodingScheme"):
                errors.append(_("CFItem %(uri)s: humanCodingScheme is required.") % {"uri": node["uri"]})
            descriptors = []
            for target_uri in skill_levels.get(node["uri"], []):
                target = by_uri.get(target_uri)
                if target is None:
                    errors.append(
                        _("CFItem %(uri)s: hasSkillLevel points to an unknown item %(target)s.")
                        % {"uri": node["uri"], "target": target_uri}
                    )
                elif target.get("CFItemType") == TYPE_DESCRIPTOR:
                    try:
                        descriptors.append(
                            {
                                "level": int(target.get("listEnumeration") or ""),
                                "descriptor": target["fullStatement"],
                            }
                        )
                    except ValueError:
                        errors.append(
                            _("CFItem %(uri)s: a level descriptor needs its level in listEnumeration.")
                            % {"uri": target_uri}
                        )
            area["competences"].append(
                {
                    "code": node.get("humanCodingScheme") or "",
                    "title": node["fullStatement"],
                    "description": node.get("notes", ""),
                    "uri": node["uri"],
                    "retired": bool(node.get("statusEndDate")),
                    "levels": sorted(descriptors, key=lambda d: d["level"]),
                }
            )
        data["areas"].append(area)
    if errors:
        raise ImportRejected(errors)
    data["notices"] = notices
    return data


#: The fields read from each object of a package, with the JSON types they may have (``None``: absent).
DOCUMENT_FIELDS = {
    **dict.fromkeys(
        (
            "identifier",
            "uri",
            "creator",
            "title",
            "lastChangeDateTime",
            "description",
            "version",
            "language",
            "adoptionStatus",
        ),
        (str,),
    ),
    "extensions": (dict,),
    "licenseURI": (dict,),
}
ITEM_FIELDS = {
    **dict.fromkeys(
        (
            "identifier",
            "uri",
            "fullStatement",
            "lastChangeDateTime",
            "humanCodingScheme",
            "CFItemType",
            "abbreviatedStatement",
            "notes",
            "statusEndDate",
        ),
        (str,),
    ),
    "listEnumeration": (str, int),
}
ASSOCIATION_FIELDS = {
    "associationType": (str,),
    "originNodeURI": (dict,),
    "destinationNodeURI": (dict,),
    "sequenceNumber": (int,),
}


def _wrong_fields(label: str, node: dict, fields: dict) -> list[str]:
    errors = []
    for name, types in fields.items():
        value = node.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, types)):
            kind = _("a number") if types == (int,) else _("an object") if types == (dict,) else _("text")
            errors.append(
                _("%(node)s: the field “%(field)s” must be %(kind)s.")
                % {"node": label, "field": name, "kind": kind}
            )
    return errors


def _type_errors(payload: dict) -> list[str]:
    """The fields of a package whose JSON type is not the one CASE gives them (a list for a title, a number
    for a URI…): the file is refused with their names rather than read wrong."""
    document = payload["CFDocument"]
    errors = _wrong_fields("CFDocument", document, DOCUMENT_FIELDS)
    extension = document.get("extensions") if isinstance(document.get("extensions"), dict) else {}
    if not isinstance(extension.get(EXTENSION) or {}, dict):
        errors.append(
            _("CFDocument: the extension %(extension)s must be an object.") % {"extension": EXTENSION}
        )
    else:
        errors += _wrong_fields(
            "CFDocument", extension.get(EXTENSION) or {}, {"slug": (str,), "source": (str,)}
        )
    licence = document.get("licenseURI") if isinstance(document.get("licenseURI"), dict) else {}
    errors += _wrong_fields("CFDocument.licenseURI", licence, {"title": (str,)})
    for key, fields in (("CFItems", ITEM_FIELDS), ("CFAssociations", ASSOCIATION_FIELDS)):
        nodes = payload.get(key) or []
        if not isinstance(nodes, list):
            continue  # said by the caller
        for index, node in enumerate(nodes):
            label = f"{key}[{index}]"
            if not isinstance(node, dict):
                errors.append(_("%(node)s: not an object.") % {"node": label})
                continue
            errors += _wrong_fields(label, node, fields)
            for end in ("originNodeURI", "destinationNodeURI"):
                if isinstance(node.get(end), dict):
                    errors += _wrong_fields(f"{label}.{end}", node[end], {"uri": (str,)})
    return errors


def _slug(document: dict) -> str:
    from django.utils.text import slugify

    return slugify(f"{document.get('title', '')} {document.get('version', '')}")[:50] or "framework"


def find_node(packages: list[dict], node_identifier: str) -> tuple[dict, dict] | None:
    """Return ``(item, package)`` for the CFItem with ``node_identifier`` in ``packages``, if any."""
    for pkg in packages:
        for node in pkg["CFItems"]:
            if node["identifier"] == node_identifier:
                return node, pkg
    return None
