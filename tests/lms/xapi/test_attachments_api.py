"""Attachments as multipart/mixed parts with SHA-2 hashes, signed statements, and reading them back."""

import base64
import hashlib
import json
from email.parser import BytesParser
from email.policy import HTTP

import pytest

from lms.models import LrsAttachment, Statement

from .conftest import statement

pytestmark = pytest.mark.django_db

BOUNDARY = "tremplin-boundary"
SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"


def _attachment(content: bytes, usage="http://example.org/attachments/report", content_type="text/plain"):
    return {
        "usageType": usage,
        "display": {"fr-FR": "Compte rendu"},
        "contentType": content_type,
        "length": len(content),
        "sha2": hashlib.sha256(content).hexdigest(),
    }


def _multipart(document, parts, *, encoding=True):
    chunks = [
        f"--{BOUNDARY}\r\nContent-Type: application/json\r\n\r\n".encode(),
        json.dumps(document).encode(),
    ]
    for content, content_type in parts:
        digest = hashlib.sha256(content).hexdigest()
        headers = f"Content-Type: {content_type}\r\nX-Experience-API-Hash: {digest}\r\n"
        if encoding:
            headers += "Content-Transfer-Encoding: binary\r\n"
        chunks += [f"\r\n--{BOUNDARY}\r\n{headers}\r\n".encode(), content]
    chunks.append(f"\r\n--{BOUNDARY}--\r\n".encode())
    return b"".join(chunks)


def _post(api, document, parts, **kwargs):
    return api.post(
        "statements",
        _multipart(document, parts, **kwargs),
        content_type=f'multipart/mixed; boundary="{BOUNDARY}"',
    )


def test_a_statement_with_its_attachment_part_is_stored_with_the_content(api):
    content = b"Bilan de la formation"
    response = _post(api, statement(attachments=[_attachment(content)]), [(content, "text/plain")])
    assert (response.status_code, bytes(LrsAttachment.objects.get().content)) == (200, content)


def test_an_attachment_without_its_part_is_refused(api):
    response = api.post("statements", statement(attachments=[_attachment(b"missing")]))
    assert (response.status_code, Statement.objects.count()) == (400, 0)


def test_a_part_whose_hash_does_not_match_is_refused(api):
    body = statement(attachments=[_attachment(b"declared")])
    response = _post(api, body, [(b"something else", "text/plain")])
    assert response.status_code == 400


def test_a_part_without_binary_transfer_encoding_is_refused(api):
    content = b"x"
    response = _post(
        api, statement(attachments=[_attachment(content)]), [(content, "text/plain")], encoding=False
    )
    assert response.status_code == 400


def test_attachments_are_returned_as_multipart_parts(api):
    content = b"Bilan de la formation"
    body = statement(attachments=[_attachment(content)])
    _post(api, body, [(content, "text/plain")])
    response = api.get("statements", {"statementId": body["id"], "attachments": "true"})
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + response["Content-Type"].encode() + b"\r\n\r\n" + response.content
    )
    parts = [part.get_payload(decode=True) for part in message.iter_parts()]
    assert (json.loads(parts[0])["id"], parts[1]) == (body["id"], content)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jws(payload: dict, alg="RS256") -> bytes:
    header = _b64(json.dumps({"alg": alg}).encode())
    return f"{header}.{_b64(json.dumps(payload).encode())}.{_b64(b'signature-bytes')}".encode()


def test_a_signed_statement_with_a_well_formed_jws_is_accepted(api):
    body = statement()
    jws = _jws(body)
    body["attachments"] = [_attachment(jws, SIGNATURE, "application/octet-stream")]
    assert _post(api, body, [(jws, "application/octet-stream")]).status_code == 200


def test_a_signature_whose_payload_differs_from_the_statement_is_refused(api):
    body = statement()
    jws = _jws({**body, "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"}})
    body["attachments"] = [_attachment(jws, SIGNATURE, "application/octet-stream")]
    assert _post(api, body, [(jws, "application/octet-stream")]).status_code == 400


def test_a_signature_with_another_algorithm_is_refused(api):
    body = statement()
    jws = _jws(body, alg="HS256")
    body["attachments"] = [_attachment(jws, SIGNATURE, "application/octet-stream")]
    assert _post(api, body, [(jws, "application/octet-stream")]).status_code == 400
