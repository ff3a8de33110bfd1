"""Statement attachments sent as ``multipart/mixed`` parts, signed statements included.

A part carries ``X-Experience-API-Hash`` (the SHA-2 of its content) and ``Content-Transfer-Encoding: binary``;
each attachment of the statements without a ``fileUrl`` must have its part, and each part its attachment.
A signature attachment (a JWS) is checked for its structure and its payload's agreement with the statement;
when its header carries an X.509 certificate chain (``x5c``), the signature is verified against the first
certificate's key, as xAPI 1.0.3 (Data 2.6) requires. As the specification says, this catches mistakes, it
does not authenticate the signer: the chain is not checked against any trust anchor.
"""

import base64
import binascii
import hashlib
import json
import re
import secrets

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.db import transaction

from lms.models import LrsAttachment

from .errors import ValidationError
from .validation import check_attachments

SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"
_HASHES = {56: hashlib.sha224, 64: hashlib.sha256, 96: hashlib.sha384, 128: hashlib.sha512}
_SIGNED_PROPERTIES = ("actor", "verb", "object", "result", "context", "timestamp")
#: A part's Content-Type: a media type, then parameters.
_MEDIA_TYPE = re.compile(r"^[A-Za-z0-9.+\-!#$&^_]+/[A-Za-z0-9.+\-!#$&^_]+(?:\s*;.*)?$")
_JWS_HASHES = {"RS256": hashes.SHA256, "RS384": hashes.SHA384, "RS512": hashes.SHA512}


def _b64url(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def check_signature(statement: dict, jws: bytes, path: str) -> None:
    """Check a signed statement's JWS: three base64url parts, an RS algorithm, the statement as payload.

    Raises:
        ValidationError: naming the attachment and what is wrong.
    """
    try:
        header_b64, payload_b64, signature_b64 = jws.decode("ascii").strip().split(".")
        header = json.loads(_b64url(header_b64))
        payload = json.loads(_b64url(payload_b64))
        signature = _b64url(signature_b64)
    except (ValueError, RecursionError) as error:
        # (UnicodeDecodeError is a ValueError; the standard library's parser recurses on nested arrays.)
        raise ValidationError(path, "a signature must be a JWS in compact serialization") from error
    if not isinstance(header, dict) or type(header.get("alg")) is not str or header["alg"] not in _JWS_HASHES:
        raise ValidationError(path, "a JWS signature must use RS256, RS384 or RS512")
    if not isinstance(payload, dict):
        raise ValidationError(path, "the JWS payload must be the signed statement")
    for key in _SIGNED_PROPERTIES:
        if payload.get(key) != statement.get(key):
            raise ValidationError(path, f"the JWS payload differs from the statement in {key!r}")
    if "id" in payload and payload["id"] != statement.get("id"):
        raise ValidationError(path, "the JWS payload differs from the statement in 'id'")
    if "x5c" in header:
        signing_input = f"{header_b64}.{payload_b64}".encode("ascii")
        _verify_with_certificate(header, signing_input, signature, path)


def _verify_with_certificate(header: dict, signing_input: bytes, signature: bytes, path: str) -> None:
    """Verify a JWS signature against the first certificate of its header's ``x5c`` chain (RFC 7515 § 4.1.6).

    Raises:
        ValidationError: the chain is malformed, its key is not RSA, or the signature does not match.
    """
    chain = header["x5c"]
    if not isinstance(chain, list) or not chain or not all(isinstance(item, str) for item in chain):
        raise ValidationError(path, "the JWS header's x5c must be a non-empty array of base64 certificates")
    try:
        certificate = x509.load_der_x509_certificate(base64.b64decode(chain[0], validate=True))
    except (ValueError, binascii.Error) as error:
        raise ValidationError(path, "the first certificate of the JWS header's x5c cannot be read") from error
    try:
        key = certificate.public_key()
    except (ValueError, UnsupportedAlgorithm) as error:
        # (The certificate's fields are read when used: an unknown key algorithm, a malformed key.)
        raise ValidationError(
            path, "the public key of the JWS header's x5c certificate cannot be read"
        ) from error
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValidationError(path, "the x5c certificate must hold an RSA key for RS256, RS384 or RS512")
    try:
        key.verify(signature, signing_input, padding.PKCS1v15(), _JWS_HASHES[header["alg"]]())
    except InvalidSignature as error:
        raise ValidationError(
            path, "the JWS signature does not match the certificate of its x5c header"
        ) from error


def match_parts(statements: list[dict], parts: list[tuple[dict, bytes]]) -> dict[str, tuple[str, bytes]]:
    """Check the attachment parts against the statements' attachments; return ``{sha2: (type, content)}``.

    Raises:
        ValidationError: a part is missing, unexpected, or its hash or encoding is wrong.
    """
    contents: dict[str, tuple[str, bytes]] = {}
    for index, (headers, content) in enumerate(parts):
        where = f"attachment part {index + 1}"
        sha2 = headers.get("x-experience-api-hash", "").strip().lower()
        if not sha2:
            raise ValidationError(where, "X-Experience-API-Hash is required")
        if headers.get("content-transfer-encoding", "").strip().lower() != "binary":
            raise ValidationError(where, "Content-Transfer-Encoding: binary is required")
        algorithm = _HASHES.get(len(sha2))
        if algorithm is None or algorithm(content).hexdigest() != sha2:
            raise ValidationError(where, "X-Experience-API-Hash is not the SHA-2 of the part")
        content_type = headers.get("content-type", "application/octet-stream")
        if not _is_media_type(content_type):
            # Kept with the content: a header the email parser read from other bytes than ASCII text
            # (surrogates), a NUL or a value longer than its column would fail the insert.
            raise ValidationError(
                f"{where}.Content-Type", "must be an Internet media type in ASCII, at most 255 characters"
            )
        contents[sha2] = (content_type, content)
    declared = set()
    for index, statement in enumerate(statements):
        if "attachments" not in statement:
            continue
        # Checked here already (the statement as a whole is checked when stored): the parts are matched
        # against the attachments' hashes, usage types and content types.
        check_attachments(statement["attachments"], f"statements[{index}].attachments")
        for position, attachment in enumerate(statement["attachments"]):
            path = f"statements[{index}].attachments[{position}]"
            sha2 = attachment["sha2"].lower()
            declared.add(sha2)
            if sha2 not in contents:
                if "fileUrl" in attachment:
                    continue
                raise ValidationError(
                    path, "no multipart part carries this attachment (and it has no fileUrl)"
                )
            if attachment["usageType"] == SIGNATURE:
                if attachment["contentType"] != "application/octet-stream":
                    raise ValidationError(
                        f"{path}.contentType", "a signature must be application/octet-stream"
                    )
                check_signature(statement, contents[sha2][1], path)
    extra = set(contents) - declared
    if extra:
        raise ValidationError("attachment parts", f"the part {sorted(extra)[0]} matches no attachment")
    return contents


def _is_media_type(value: str) -> bool:
    return (
        len(value) <= 255 and value.isascii() and value.isprintable() and _MEDIA_TYPE.match(value) is not None
    )


def check_no_missing_parts(statements: list[dict]) -> None:
    """In a JSON-only request, every attachment must have a ``fileUrl``.

    Raises:
        ValidationError: naming the attachment.
    """
    for index, statement in enumerate(statements):
        attachments = statement.get("attachments")
        if type(attachments) is not list:
            continue  # not an array: the validation of the statement refuses it with its path
        for position, attachment in enumerate(attachments):
            if type(attachment) is dict and "fileUrl" not in attachment:
                raise ValidationError(
                    f"statements[{index}].attachments[{position}]",
                    "without a fileUrl, the attachment must be sent as a multipart/mixed part",
                )


def store_with_attachments(store, statements, contents, **kwargs) -> list[str]:
    """Store statements and their attachment contents in one transaction.

    Args:
        store: the statement store.
        statements: the statements.
        contents: ``{sha2: (content type, bytes)}`` from :func:`match_parts`.
        **kwargs: passed to ``store.store`` (collectivity, authority).
    """
    with transaction.atomic():
        ids = store.store(statements, **kwargs)
        known = set(LrsAttachment.objects.filter(sha2__in=list(contents)).values_list("sha2", flat=True))
        LrsAttachment.objects.bulk_create(
            [
                LrsAttachment(sha2=sha2, content_type=content_type, content=content)
                for sha2, (content_type, content) in contents.items()
                if sha2 not in known
            ],
            ignore_conflicts=True,
        )
    return ids


def multipart_response_body(document: dict, statements: list[dict]) -> tuple[bytes, str]:
    """Build a ``multipart/mixed`` body: the JSON document, then each attachment stored for the statements.

    Returns:
        The body and its Content-Type header value.
    """
    boundary = secrets.token_hex(16)
    hashes = []
    for statement in statements:
        for attachment in statement.get("attachments") or ():
            hashes.append(attachment["sha2"].lower())
        target = statement.get("object") or {}
        for attachment in target.get("attachments") or ():
            hashes.append(attachment["sha2"].lower())
    stored = {a.sha2: a for a in LrsAttachment.objects.filter(sha2__in=set(hashes))}
    chunks = [
        f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode(),
        json.dumps(document, ensure_ascii=False).encode(),
        b"\r\n",
    ]
    for sha2 in dict.fromkeys(hashes):
        attachment = stored.get(sha2)
        if attachment is None:
            continue
        chunks += [
            (
                f"--{boundary}\r\nContent-Type: {attachment.content_type}\r\n"
                f"Content-Transfer-Encoding: binary\r\nX-Experience-API-Hash: {sha2}\r\n\r\n"
            ).encode(),
            bytes(attachment.content),
            b"\r\n",
        ]
    chunks.append(f"--{boundary}--\r\n".encode())
    # A bare token (hex needs no quotes): clients that do not unquote the parameter, the ADL conformance
    # suite's parser among them, would look for `--"…"` in the body.
    return b"".join(chunks), f"multipart/mixed; boundary={boundary}"
