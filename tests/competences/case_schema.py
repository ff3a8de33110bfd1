"""The required fields of a CASE 1.1 CFPackage, as a JSON Schema (draft 2020-12).

Written after the 1EdTech "CASE Service Version 1.1" JSON binding (``case-v1p1-cfpackage-schema.json``, as
kept in opensalt/opensalt ``core/config/schema/``): the required properties of ``CFPckgDocumentDType``,
``CFPckgItemDType``, ``CFPckgAssociationDType``, ``LinkGenURIDType``, ``LinkURIDType`` and ``CFLicenseDType``,
UUID identifiers and the ``associationType`` enumeration.
"""

UUID = {"type": "string", "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"}
DATETIME = {"type": "string", "format": "date-time"}
LINK = {
    "type": "object",
    "required": ["title", "identifier", "uri"],
    "properties": {"title": {"type": "string"}, "identifier": UUID, "uri": {"type": "string"}},
}
ASSOCIATION_TYPES = [
    "isChildOf",
    "isPeerOf",
    "isPartOf",
    "exactMatchOf",
    "precedes",
    "isRelatedTo",
    "replacedBy",
    "exemplar",
    "hasSkillLevel",
    "isTranslationOf",
]

CFPACKAGE = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["CFDocument"],
    "properties": {
        "CFDocument": {
            "type": "object",
            "required": ["identifier", "uri", "creator", "title", "lastChangeDateTime"],
            "properties": {
                "identifier": UUID,
                "uri": {"type": "string"},
                "creator": {"type": "string"},
                "title": {"type": "string"},
                "lastChangeDateTime": DATETIME,
                "licenseURI": LINK,
                "caseVersion": {"enum": ["1.1"]},
            },
        },
        "CFItems": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["identifier", "fullStatement", "uri", "lastChangeDateTime"],
                "properties": {
                    "identifier": UUID,
                    "fullStatement": {"type": "string", "minLength": 1},
                    "uri": {"type": "string"},
                    "lastChangeDateTime": DATETIME,
                    "humanCodingScheme": {"type": "string"},
                    "listEnumeration": {"type": "string"},
                    "statusEndDate": {"type": "string", "format": "date"},
                },
            },
        },
        "CFAssociations": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "identifier",
                    "associationType",
                    "uri",
                    "originNodeURI",
                    "destinationNodeURI",
                    "lastChangeDateTime",
                ],
                "properties": {
                    "identifier": UUID,
                    "associationType": {
                        "anyOf": [{"enum": ASSOCIATION_TYPES}, {"type": "string", "pattern": "^ext:"}]
                    },
                    "originNodeURI": LINK,
                    "destinationNodeURI": LINK,
                    "sequenceNumber": {"type": "integer"},
                    "lastChangeDateTime": DATETIME,
                },
            },
        },
        "CFDefinitions": {
            "type": "object",
            "properties": {
                "CFLicenses": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["identifier", "uri", "title", "licenseText", "lastChangeDateTime"],
                    },
                }
            },
        },
    },
}
