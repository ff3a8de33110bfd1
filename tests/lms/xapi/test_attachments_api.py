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
    # The boundary as a bare token, as naive clients read it.
    boundary = response["Content-Type"].split("boundary=")[1]
    assert response.content.startswith(f"--{boundary}\r\n".encode())
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


def _certificate_and_key():
    """A self-signed X.509 certificate and its RSA private key, as a signing tool would hold them."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Organisme de formation")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    der = certificate.public_bytes(serialization.Encoding.DER)
    return base64.b64encode(der).decode(), key


@pytest.fixture(scope="module")
def signer():
    return _certificate_and_key()


def _signed_jws(payload: dict, certificate: str, key, alg="RS256") -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    digest = {"RS256": hashes.SHA256(), "RS384": hashes.SHA384(), "RS512": hashes.SHA512()}[alg]
    signing_input = f"{_b64(json.dumps({'alg': alg, 'x5c': [certificate]}).encode())}."
    signing_input += _b64(json.dumps(payload).encode())
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), digest)
    return f"{signing_input}.{_b64(signature)}".encode()


def _post_signed(api, body, jws):
    body["attachments"] = [_attachment(jws, SIGNATURE, "application/octet-stream")]
    return _post(api, body, [(jws, "application/octet-stream")])


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512"])
def test_a_statement_signed_with_its_certificate_is_accepted(api, signer, alg):
    body = statement()
    response = _post_signed(api, body, _signed_jws(body, *signer, alg=alg))
    assert (response.status_code, Statement.objects.count()) == (200, 1)


def test_a_signature_that_does_not_match_its_certificate_is_refused(api, signer):
    body = statement()
    certificate, _key = signer
    _other_certificate, other_key = _certificate_and_key()
    response = _post_signed(api, body, _signed_jws(body, certificate, other_key))
    assert (response.status_code, Statement.objects.count()) == (400, 0)
    assert "does not match the certificate" in response.json()["message"]


def test_a_signed_payload_altered_after_signing_is_refused(api, signer):
    body = statement()
    header, payload, signature = _signed_jws(body, *signer).decode().split(".")
    altered = {**body, "timestamp": "2026-01-01T00:00:00Z"}
    body["timestamp"] = altered["timestamp"]
    jws = f"{header}.{_b64(json.dumps(altered).encode())}.{signature}".encode()
    assert _post_signed(api, body, jws).status_code == 400


def test_an_unreadable_certificate_chain_is_refused(api):
    body = statement()
    header = _b64(json.dumps({"alg": "RS256", "x5c": ["not a certificate"]}).encode())
    jws = f"{header}.{_b64(json.dumps(body).encode())}.{_b64(b'signature-bytes')}".encode()
    response = _post_signed(api, body, jws)
    assert response.status_code == 400 and "x5c" in response.json()["message"]
