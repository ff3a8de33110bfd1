"""The document resources: activity state, activity profiles and agent profiles.

Concurrency follows xAPI: an ``If-Match`` that does not match the stored ETag, or an ``If-None-Match: *`` on a
document that exists, is a 412; writing a profile document that exists without either header is a 409.
"""

import hashlib
import json
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from lms.models import LrsDocument

from .errors import StatementError


def _not_json(constant: str):
    raise ValueError(f"{constant} is not JSON")


def _json_loads(content: bytes):
    """JSON as RFC 8259 has it: the standard library would also read ``NaN`` and ``Infinity``, which a merged
    document would then be written back with."""
    return json.loads(content, parse_constant=_not_json)


class DocumentError(StatementError):
    """A document request that cannot be served; ``status`` is its HTTP status."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class DocumentKey:
    """Where a document lives: its kind, activity, agent, registration and id."""

    kind: str
    activity_id: str = ""
    agent_ifi: str = ""
    registration: str = ""
    #: The collectivity whose documents these are; None for the platform's.
    collectivity_id: int | None = None

    def filter(self):
        return LrsDocument.objects.filter(
            kind=self.kind,
            activity_id=self.activity_id,
            agent_ifi=self.agent_ifi,
            registration=self.registration,
            collectivity_id=self.collectivity_id,
        )


def etag_of(content: bytes) -> str:
    return hashlib.sha1(content).hexdigest()


def _check_preconditions(document, if_match, if_none_match, *, require):
    if if_match is not None:
        tags = {tag.strip().strip('"') for tag in if_match.split(",")}
        if document is None or ("*" not in tags and document.etag not in tags):
            raise DocumentError(412, "If-Match does not match the document's ETag")
    if if_none_match is not None and document is not None:
        tags = {tag.strip().strip('"') for tag in if_none_match.split(",")}
        if "*" in tags or document.etag in tags:
            raise DocumentError(412, "If-None-Match: the document exists")
    if require and document is not None and if_match is None and if_none_match is None:
        raise DocumentError(409, "the document exists: send If-Match or If-None-Match to change it")


def get_document(key: DocumentKey, document_id: str) -> LrsDocument | None:
    """Return one document, or None."""
    return key.filter().filter(document_id=document_id).first()


def list_documents(key: DocumentKey, since=None) -> list[str]:
    """Return the ids of the documents under a key, changed after ``since`` if given."""
    documents = key.filter()
    if since is not None:
        documents = documents.filter(updated__gt=since)
    return list(documents.order_by("document_id").values_list("document_id", flat=True))


def _is_json(content_type: str) -> bool:
    return content_type.split(";")[0].strip().lower() == "application/json"


@transaction.atomic
def write_document(
    key: DocumentKey,
    document_id: str,
    content: bytes,
    content_type: str,
    *,
    merge: bool,
    if_match=None,
    if_none_match=None,
    require_precondition=False,
) -> LrsDocument:
    """Store a document (PUT) or merge a JSON object into it (POST).

    Args:
        key: where the document lives.
        document_id: the stateId or profileId.
        content: the body.
        content_type: the body's media type.
        merge: POST semantics: merge the top-level properties of two JSON objects.
        if_match: the ``If-Match`` header.
        if_none_match: the ``If-None-Match`` header.
        require_precondition: a PUT on an existing document needs one of the two headers (profiles).

    Raises:
        DocumentError: 400 (merging non-JSON), 409 or 412.
    """
    document = key.filter().select_for_update().filter(document_id=document_id).first()
    _check_preconditions(document, if_match, if_none_match, require=require_precondition and not merge)
    if merge and document is not None:
        try:
            incoming = _json_loads(content)
            current = _json_loads(bytes(document.content))
        except (ValueError, RecursionError) as error:
            raise DocumentError(400, "only JSON objects can be merged (POST)") from error
        if not (_is_json(content_type) and _is_json(document.content_type)):
            raise DocumentError(400, "only JSON objects can be merged (POST)")
        if not isinstance(incoming, dict) or not isinstance(current, dict):
            raise DocumentError(400, "only JSON objects can be merged (POST)")
        try:
            content = json.dumps({**current, **incoming}).encode()
        except RecursionError as error:
            raise DocumentError(400, "the merged JSON document nests too deeply") from error
    elif merge and _is_json(content_type):
        try:
            if not isinstance(_json_loads(content), dict):
                raise DocumentError(400, "a JSON document sent with POST must be an object")
        except (ValueError, RecursionError) as error:
            # (The standard library's parser recurses on nested arrays and objects.)
            raise DocumentError(400, "the body is not valid JSON") from error
    if document is None:
        document = LrsDocument(
            kind=key.kind,
            activity_id=key.activity_id,
            agent_ifi=key.agent_ifi,
            registration=key.registration,
            document_id=document_id,
            collectivity_id=key.collectivity_id,
        )
    document.content = content
    document.content_type = (content_type or "application/octet-stream")[:255]
    document.etag = etag_of(content)
    document.updated = timezone.now()
    try:
        with transaction.atomic():
            document.save()
    except IntegrityError as error:
        raise DocumentError(409, "the document was written concurrently; try again") from error
    return document


@transaction.atomic
def delete_documents(key: DocumentKey, document_id: str | None, *, if_match=None, if_none_match=None) -> int:
    """Delete one document, or every document under the key when ``document_id`` is None.

    Raises:
        DocumentError: 412 when a precondition fails.
    """
    if document_id is None:
        return key.filter().delete()[0]
    document = key.filter().select_for_update().filter(document_id=document_id).first()
    _check_preconditions(document, if_match, if_none_match, require=False)
    if document is None:
        return 0
    document.delete()
    return 1
