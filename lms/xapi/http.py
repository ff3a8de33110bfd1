"""The HTTP side of the LRS: version header, alternate request syntax, authentication, limits, errors and
cross-origin requests (CORS).

Every resource view of :mod:`lms.xapi.views` derives from :class:`XapiView` and handles an
:class:`XapiRequest`; errors are raised as :class:`XapiError` (or the xAPI errors of
:mod:`lms.xapi.errors`) and answered as JSON with the right status, never a 500 for bad input.
"""

import json
import re
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qsl

import orjson
from django.http import HttpResponse, JsonResponse
from django.utils.cache import patch_vary_headers
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from lms.conf import lms_settings
from lms.models import LrsClient

from .auth import authenticate
from .errors import StatementConflict, StatementError, StatementForbidden
from .validation import has_nul_escape

VERSION = "1.0.3"
_ACCEPTED_VERSION = re.compile(r"^(?:1\.0(?:\.\d+)?|2\.0\.0)$")
#: The escapes :func:`parse_json` must look at: a NUL character, anything from U+0030 to U+003F (the colon,
#: U+003A, among them) — found in one pass over the body.
_SPECIAL_ESCAPES = re.compile(rb"\\u00(?:00|3)")
#: The deepest nesting of objects and arrays in a statement (the statement itself being level 1): what orjson
#: writes (254 levels) less the two levels of the statements resource's answer.
MAX_DEPTH = 252
#: Headers the alternate request syntax may carry as form fields.
ALTERNATE_HEADERS = {
    "authorization",
    "x-experience-api-version",
    "content-type",
    "content-length",
    "if-match",
    "if-none-match",
}


class XapiError(Exception):
    """An error answered with its HTTP status and a JSON message."""

    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


@dataclass
class XapiRequest:
    """A request to the LRS after the alternate syntax has been unfolded."""

    method: str
    params: dict[str, str]
    headers: dict[str, str]
    body: bytes
    path: str
    client: LrsClient | None = None
    version: str = VERSION
    extra: dict = field(default_factory=dict)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def json(self):
        """Parse the body as JSON, refusing duplicate keys (a MUST of xAPI)."""
        return parse_json(self.body)


def _no_duplicates(pairs):
    result = dict(pairs)
    if len(result) != len(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise XapiError(400, f"the JSON object uses the key {key!r} twice")
            seen.add(key)
    return result


def parse_json(body: bytes):
    """Parse a JSON body; a syntax error or a duplicate key is a 400.

    orjson keeps the last of duplicate keys silently, so the colons of the body are counted against those of a
    compact re-serialisation (two ``bytes.count``, in C): a dropped duplicate takes its colon with it. A colon
    written as a ``\\u003a`` escape would count in the copy only, so a body holding such an escape, or whose
    counts differ, is parsed again with the slow, key-by-key check of the standard library. Both escapes are
    looked for in one pass (most bodies have neither). The same re-serialisation refuses a body nested deeper
    than :data:`MAX_DEPTH`, which orjson reads but could not write back when the statement is served.

    Raises:
        XapiError: 400 with the reason.
    """
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise XapiError(400, f"the body is not valid JSON: {error}") from error
    escaped = _SPECIAL_ESCAPES.search(body) is not None
    if escaped and has_nul_escape(body):
        # PostgreSQL cannot keep a NUL character in JSON text.
        raise XapiError(400, "the JSON body contains a NUL character (\\u0000), which this LRS cannot store")
    if isinstance(data, (dict, list)):
        try:
            # Wrapped as the statements resource serves a statement (``{"statements": [statement]}``): orjson
            # reads 1,024 levels but writes 254, and a statement stored deeper could never be read back.
            copy = orjson.dumps([[data]] if type(data) is dict else [data])
        except orjson.JSONEncodeError as error:
            raise XapiError(
                400,
                f"the JSON body nests deeper than this LRS keeps (at most {MAX_DEPTH} levels in a statement)",
            ) from error
        if escaped or body.count(b":") != copy.count(b":"):
            try:
                json.loads(body, object_pairs_hook=_no_duplicates)
            except ValueError as error:
                raise XapiError(400, f"the body is not valid JSON: {error}") from error
    return data


def _read_body(request) -> bytes:
    limit = lms_settings.LRS_MAX_BODY_SIZE
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError as error:
        raise XapiError(400, "Content-Length is not a number") from error
    if length > limit:
        raise XapiError(413, f"the request body is larger than {limit} bytes")
    body = request.read(limit + 1) if length else b""
    if len(body) > limit:
        raise XapiError(413, f"the request body is larger than {limit} bytes")
    return body


def unfold(request) -> XapiRequest:
    """Build the :class:`XapiRequest` of a Django request, unfolding the alternate request syntax.

    Alternate syntax: ``POST ...?method=PUT`` with a form body whose fields are headers, the ``content`` and
    the other parameters.
    """
    headers = {
        key[5:].replace("_", "-").lower(): value for key, value in request.META.items() if key[:5] == "HTTP_"
    }
    if "CONTENT_TYPE" in request.META:
        headers["content-type"] = request.META["CONTENT_TYPE"]
    body = _read_body(request)
    params = dict(parse_qsl(request.META.get("QUERY_STRING", ""), keep_blank_values=True))
    method = request.method.upper()
    if "method" in params:
        if method != "POST":
            raise XapiError(400, "the alternate request syntax needs a POST")
        if len(params) > 1:
            raise XapiError(
                400, "with the alternate request syntax, 'method' must be the only query parameter"
            )
        if not headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            raise XapiError(
                400, "the alternate request syntax needs an application/x-www-form-urlencoded body"
            )
        method = params.pop("method").upper()
        if method not in ("GET", "HEAD", "PUT", "POST", "DELETE"):
            raise XapiError(400, f"unknown method {method!r}")
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        headers.pop("content-type", None)
        for name in list(form):
            if name.lower() in ALTERNATE_HEADERS:
                headers[name.lower()] = form.pop(name)
        body = form.pop("content", "").encode("utf-8")
        params = form
    if any("\x00" in value for value in params.values()):
        raise XapiError(400, "a parameter contains a NUL character")
    return XapiRequest(method=method, params=params, headers=headers, body=body, path=request.path)


def error_response(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": True, "message": message}, status=status)


#: Cross-origin requests (CORS): an activity running in a browser on another site — a package or an address
#: launched from a lesson, H5P content, an authoring tool's export — calls the LRS with ``fetch``. It sends
#: its LRS credentials itself (``Authorization``): the LRS reads no cookie, so allowing an origin gives it
#: nothing it does not already hold, and no ``Access-Control-Allow-Credentials`` is sent.
CORS_METHODS = "GET, HEAD, POST, PUT, DELETE"
#: The headers an xAPI client sends that a browser asks about (when the preflight does not list its own).
CORS_REQUEST_HEADERS = "Authorization, Content-Type, X-Experience-API-Version, If-Match, If-None-Match"
#: The LRS's headers a script may read besides the safelisted ones (``Content-Type``, ``Last-Modified``…).
CORS_EXPOSED_HEADERS = "ETag, X-Experience-API-Consistent-Through, X-Experience-API-Version"
#: Seconds a browser may reuse a preflight's answer (browsers cap it: 2 hours in Chromium).
CORS_MAX_AGE = "86400"
#: A list of header names (tokens between commas, spaces or tabs around them): nothing else is echoed.
_HEADER_LIST = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+(?:[ \t]*,[ \t]*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*")


def allowed_origin(origin: str | None) -> str | None:
    """The ``Access-Control-Allow-Origin`` answered to a request from ``origin``; None when not allowed.

    ``LMS_LRS_CORS_ORIGINS`` lists the allowed origins (``"https://contenus.example.fr"``) or holds ``"*"``
    (any origin, the default); an empty list allows none.
    """
    if not origin:
        return None
    allowed = lms_settings.LRS_CORS_ORIGINS
    if isinstance(allowed, str):
        allowed = [allowed]
    if "*" in allowed:
        return "*"
    wanted = origin.rstrip("/").lower()
    return origin if any(wanted == entry.rstrip("/").lower() for entry in allowed) else None


def preflight_response(request) -> HttpResponse:
    """The answer to a CORS preflight (``OPTIONS`` with ``Access-Control-Request-Method``).

    No credentials and no version header: a browser sends neither before the real request.
    """
    origin = allowed_origin(request.headers.get("Origin"))
    if origin is None:
        return error_response(
            403, "cross-origin requests from this origin are not allowed (LMS_LRS_CORS_ORIGINS)"
        )
    response = HttpResponse(status=204)
    requested = request.headers.get("Access-Control-Request-Headers", "").strip()
    response["Access-Control-Allow-Methods"] = CORS_METHODS
    # The headers the browser asks for (a script's own, such as X-Requested-With), else the xAPI ones.
    response["Access-Control-Allow-Headers"] = (
        requested if _HEADER_LIST.fullmatch(requested) else CORS_REQUEST_HEADERS
    )
    response["Access-Control-Max-Age"] = CORS_MAX_AGE
    _allow(response, origin)
    return response


def add_cors_headers(request, response) -> None:
    """Let a script of an allowed origin read ``response`` (errors included: it must see why it failed)."""
    origin = allowed_origin(request.headers.get("Origin"))
    if origin is not None:
        response["Access-Control-Expose-Headers"] = CORS_EXPOSED_HEADERS
        _allow(response, origin)


def _allow(response, origin: str) -> None:
    response["Access-Control-Allow-Origin"] = origin
    if origin != "*":
        # The answer depends on the origin: a cache must not give one origin's answer to another.
        patch_vary_headers(response, ["Origin"])


def multipart_parts(body: bytes, content_type: str) -> list[tuple[dict, bytes]]:
    """Split a ``multipart/mixed`` body into (headers, content) parts.

    Raises:
        XapiError: 400 when the body is not a well-formed multipart message.
    """
    try:
        # (Only the alternate request syntax can carry a header that is not ISO-8859-1 text.)
        header = content_type.encode("latin-1")
    except UnicodeEncodeError as error:
        raise XapiError(400, "the Content-Type header must be ISO-8859-1 (latin-1) text") from error
    try:
        message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + header + b"\r\n\r\n" + body)
        if not message.is_multipart() or not message.get_payload():
            raise XapiError(400, "the multipart/mixed body has no parts (is the boundary right?)")
        parts = []
        for part in message.iter_parts():
            headers = {key.lower(): str(value) for key, value in part.items()}
            parts.append((headers, part.get_payload(decode=True) or b""))
    except XapiError:
        raise
    except Exception as error:
        # The email package parses a structured header (Content-Type and its parameters) when it is read,
        # and some malformed ones make it raise rather than note a defect: an IndexError for
        # ``text/plain; a*0*=x; a*1=y`` cut short, among others. Whatever it raises, the body is unreadable.
        raise XapiError(400, "a header of the multipart/mixed body is malformed") from error
    return parts


@method_decorator(csrf_exempt, name="dispatch")
class XapiView(View):
    """Base of the LRS resources: checks version, credentials and access, maps errors to statuses."""

    #: False for resources open without credentials or version header (``about``).
    open = False
    http_method_names = ["get", "head", "post", "put", "delete", "options"]

    def dispatch(self, request, *args, **kwargs):
        version = VERSION
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            response = preflight_response(request)
            response["X-Experience-API-Version"] = version
            return response
        try:
            xrequest = unfold(request)
            requested = xrequest.headers.get("x-experience-api-version")
            if not self.open:
                if requested is None:
                    raise XapiError(400, "the X-Experience-API-Version header is required")
                if not _ACCEPTED_VERSION.match(requested):
                    raise XapiError(
                        400, f"X-Experience-API-Version {requested!r} is not supported (1.0.x, 2.0.0)"
                    )
            if requested == "2.0.0":
                version = xrequest.version = "2.0.0"
            method = xrequest.method.lower()
            # Only the HTTP methods: another name would reach any attribute of the view ("SETUP", "_WRITE").
            handler = getattr(self, method, None) if method in self.http_method_names else None
            if handler is None or method == "options":
                raise XapiError(405, f"method {xrequest.method} not allowed here")
            if not self.open:
                xrequest.client = authenticate(xrequest.headers.get("authorization", ""))
                if xrequest.client is None:
                    raise XapiError(
                        401,
                        "valid LRS client credentials are required",
                        {"WWW-Authenticate": 'Basic realm="xAPI"'},
                    )
                reading = xrequest.method in ("GET", "HEAD")
                if reading and not xrequest.client.can_read:
                    raise XapiError(403, "this client may not read")
                if not reading and not xrequest.client.can_write:
                    raise XapiError(403, "this client may not write")
            response = handler(xrequest, *args, **kwargs)
            if xrequest.method == "HEAD":
                length = len(response.content)
                response.content = b""
                response["Content-Length"] = str(length)
        except XapiError as error:
            response = error_response(error.status, error.message)
            for name, value in error.headers.items():
                response[name] = value
        except StatementConflict as error:
            response = error_response(409, str(error))
        except StatementForbidden as error:
            response = error_response(403, str(error))
        except StatementError as error:
            response = error_response(400, str(error))
        response["X-Experience-API-Version"] = version
        if "HTTP_ORIGIN" in request.META:  # (request.headers would be built for every request)
            add_cors_headers(request, response)
        return response


def json_response(data, status=200, **kwargs) -> HttpResponse:
    return HttpResponse(
        orjson.dumps(data),
        status=status,
        content_type="application/json",
        **kwargs,
    )
