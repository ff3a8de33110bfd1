"""Bad input never makes the LRS fail: hand-written classics, then property-based fuzzing of every resource.

The product rule: bad input gets a clear error and loses nothing. Every answer here must be below 500 (the
test client re-raises an exception a view lets through), a 4xx must carry a non-empty ``message``, and a
refused batch or document write must change nothing.
"""

import base64
import copy
import hashlib
import json
import os
import re
import uuid
from urllib.parse import urlencode

import pytest
from django.test import Client
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from lms.models import LrsAttachment, LrsDocument, Statement
from lms.xapi import validation as v
from lms.xapi.launch import LaunchGrant, get_launch_credentials
from lms.xapi.queries import FILTERS

from .conftest import SECRET, basic, statement
from .test_attachments_api import SIGNATURE, _b64, _certificate_and_key
from .test_attachments_api import signer as signer  # the fixture

pytestmark = pytest.mark.django_db

ACCOUNT_AGENT = {"objectType": "Agent", "account": {"homePage": "http://testserver", "name": "learner-1"}}
ACTIVITY = "http://testserver/activities/lesson-1"
BOUNDARY = "fuzz-boundary"


def _client():
    return Client(raise_request_exception=True)


def _headers(key="platform", version="1.0.3", **extra):
    headers = {"Authorization": basic(key), "X-Experience-API-Version": version}
    headers.update(extra)
    return {name: value for name, value in headers.items() if value is not None}


def _request(method, path, body=b"", *, params=None, content_type="application/json", headers=None, **meta):
    # A lone surrogate goes as the bytes a careless client would send (Django decodes them as U+FFFD).
    query = f"?{urlencode(params, errors='surrogatepass')}" if params else ""
    return _client().generic(
        method,
        f"/xapi/{path}{query}",
        body,
        content_type=content_type,
        headers=_headers() if headers is None else headers,
        **meta,
    )


def _assert_clean(response, method="GET"):
    """Below 500; a 4xx says why in its JSON ``message``."""
    assert response.status_code < 500, response.content[:500]
    if response.status_code >= 400 and method != "HEAD":
        message = response.json()["message"]
        assert isinstance(message, str) and message.strip()


def _refused(response) -> str:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:500])
    return response.json()["message"]


def _nested(depth: int, leaf=1):
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def _multipart(first: bytes, parts, boundary=BOUNDARY) -> bytes:
    chunks = [f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode(), first]
    for headers, content in parts:
        chunks += [f"\r\n--{boundary}\r\n".encode(), headers, b"\r\n", content]
    chunks.append(f"\r\n--{boundary}--\r\n".encode())
    return b"".join(chunks)


def _part_headers(content: bytes, content_type: bytes = b"text/plain") -> bytes:
    digest = hashlib.sha256(content).hexdigest().encode()
    return (
        b"Content-Type: " + content_type + b"\r\nContent-Transfer-Encoding: binary\r\n"
        b"X-Experience-API-Hash: " + digest + b"\r\n"
    )


def _attachment(content: bytes) -> dict:
    return {
        "usageType": "http://example.org/attachments/report",
        "display": {"fr-FR": "Compte rendu"},
        "contentType": "text/plain",
        "length": len(content),
        "sha2": hashlib.sha256(content).hexdigest(),
    }


# Hand-written classics


def test_a_statement_nested_deeper_than_can_be_served_is_refused(lrs_client):
    body = json.dumps(statement(result={"extensions": {"http://example.org/x": _nested(300)}})).encode()
    message = _refused(_request("POST", "statements", body))
    assert "nests deeper" in message and Statement.objects.count() == 0


def test_a_statement_accepted_near_the_depth_limit_can_be_read_back(lrs_client):
    statuses = {}
    for depth in range(245, 255):
        # The statement, its result and the extensions are 3 levels: 249 arrays make MAX_DEPTH (252).
        single = statement(result={"extensions": {"http://example.org/x": _nested(depth)}})
        for body in (single, [{**single, "id": str(uuid.uuid4())}]):
            statuses[depth, type(body).__name__] = _request("POST", "statements", _dumps(body)).status_code
    expected = {key: 200 if key[0] <= 249 else 400 for key in statuses}
    assert statuses == expected
    for fmt in ("exact", "ids", "canonical"):
        for attachments in ("false", "true"):
            _assert_clean(_request("GET", "statements", params={"format": fmt, "attachments": attachments}))


def test_a_nul_character_in_a_statement_is_refused(lrs_client):
    body = json.dumps(statement(actor={"account": {"homePage": "http://testserver", "name": "a\x00b"}}))
    assert "NUL" in _refused(_request("POST", "statements", body.encode()))


def test_the_text_of_a_nul_escape_after_a_backslash_is_stored_and_read_back(lrs_client):
    """``\\\\u0000`` in JSON is a backslash then the letters ``u0000``: text like any other, not a NUL."""
    text = "C:\\u0000\\rapport"
    body = statement(result={"response": text})
    assert _request("POST", "statements", json.dumps(body).encode()).status_code == 200
    read = _request("GET", "statements", params={"statementId": body["id"]})
    assert read.json()["result"]["response"] == text


def test_an_agent_parameter_holding_a_backslash_then_u0000_is_read_as_text(lrs_client):
    agent = json.dumps({"account": {"homePage": "http://testserver", "name": "a\\u0000"}})
    assert _request("GET", "statements", params={"agent": agent}).status_code == 200


def test_merging_a_document_with_nan_is_refused_and_keeps_the_document(lrs_client):
    params = {"activityId": ACTIVITY, "agent": json.dumps(ACCOUNT_AGENT), "stateId": "nan"}
    assert _request("POST", "activities/state", b'{"a": 1}', params=params).status_code == 204
    _refused(_request("POST", "activities/state", b'{"b": NaN}', params=params))
    assert json.loads(_request("GET", "activities/state", params=params).content) == {"a": 1}


def test_an_interaction_type_that_is_not_a_string_is_refused(lrs_client):
    target = {"id": ACTIVITY, "definition": {"interactionType": [], "correctResponsesPattern": ["a"]}}
    message = _refused(_request("POST", "statements", json.dumps(statement(object=target)).encode()))
    assert message.startswith("statement.object.definition.interactionType")


def test_a_timestamp_before_year_one_in_utc_is_refused(lrs_client):
    body = json.dumps(statement(timestamp="0001-01-01T00:00:00+01:00")).encode()
    assert _refused(_request("POST", "statements", body)).startswith("statement.timestamp")


def test_a_timestamp_after_year_9999_in_utc_is_refused(lrs_client):
    body = json.dumps(statement(timestamp="9999-12-31T23:30:00-01:00")).encode()
    assert _refused(_request("POST", "statements", body)).startswith("statement.timestamp")


def test_a_non_ascii_basic_authorization_gets_401(lrs_client):
    response = _request("GET", "statements", headers=_headers(Authorization="Basic \xe9t\xe9"))
    assert response.status_code == 401


def test_a_nul_character_in_the_client_key_gets_401(lrs_client):
    header = "Basic " + base64.b64encode(f"plat\x00form:{SECRET}".encode()).decode()
    assert _request("GET", "statements", headers=_headers(Authorization=header)).status_code == 401


AGENT_PARAMS = {
    "statements": {},
    "agents": {},
    "activities/state": {"activityId": ACTIVITY, "stateId": "s"},
    "agents/profile": {"profileId": "p"},
}


@pytest.mark.parametrize("escape", ["\\u0000", "\\ud800"])
@pytest.mark.parametrize("path", sorted(AGENT_PARAMS))
def test_an_agent_parameter_with_a_nul_or_a_lone_surrogate_is_refused(lrs_client, escape, path):
    agent = '{"account": {"homePage": "http://testserver", "name": "a' + escape + 'b"}}'
    assert _refused(_request("GET", path, params={"agent": agent, **AGENT_PARAMS[path]})).startswith("agent")


def test_an_agent_parameter_nested_too_deep_is_refused(lrs_client):
    assert _refused(_request("GET", "agents", params={"agent": "[" * 5000})).startswith("agent")


def test_a_json_state_document_nested_too_deep_is_refused_on_post(lrs_client):
    params = {"activityId": ACTIVITY, "agent": json.dumps(ACCOUNT_AGENT), "stateId": "deep"}
    _refused(_request("POST", "activities/state", b"[" * 5000 + b"]" * 5000, params=params))
    assert LrsDocument.objects.count() == 0


@pytest.mark.parametrize("method", ["SETUP", "_WRITE", "_CHECKED", "KEY", "DISPATCH", "GET_STORE", "AS_VIEW"])
def test_an_http_method_that_names_a_view_attribute_gets_405(lrs_client, method):
    response = _request(method, "activities/state", params={"activityId": ACTIVITY, "stateId": "s"})
    assert response.status_code == 405


def test_a_multipart_statement_with_attachments_that_are_not_objects_is_refused(lrs_client):
    content = b"report"
    for attachments in (
        [{}],
        ["x"],
        {"sha2": "x"},
        [{"sha2": 5}],
        7,
        [{**_attachment(content), "usageType": 3}],
    ):
        first = json.dumps(statement(attachments=attachments)).encode()
        response = _request(
            "POST",
            "statements",
            _multipart(first, [(_part_headers(content), content)]),
            content_type=f"multipart/mixed; boundary={BOUNDARY}",
        )
        _refused(response)
    assert Statement.objects.count() == LrsAttachment.objects.count() == 0


@pytest.mark.parametrize(
    "content_type", [b"text/plain\xff", b"text/\x00plain", b"text/plain; a=" + b"x" * 300, b"\xe9/\xe9"]
)
def test_an_attachment_part_with_a_bad_content_type_is_refused(lrs_client, content_type):
    content = b"report"
    first = json.dumps(statement(attachments=[_attachment(content)])).encode()
    response = _request(
        "POST",
        "statements",
        _multipart(first, [(_part_headers(content, content_type), content)]),
        content_type=f"multipart/mixed; boundary={BOUNDARY}",
    )
    _refused(response)
    assert Statement.objects.count() == LrsAttachment.objects.count() == 0


def test_a_multipart_part_header_the_email_parser_cannot_read_is_refused(lrs_client):
    # The standard library's header parser raises IndexError on this parameter cut short.
    body = _multipart(json.dumps(statement()).encode(), [(b"Content-Type: text/plain; a*0*=x; a*", b"")])
    body = body[: body.rindex(b"a*") + 2]
    response = _request("POST", "statements", body, content_type=f"multipart/mixed; boundary={BOUNDARY}")
    assert "malformed" in _refused(response) and Statement.objects.count() == 0


def test_a_signature_whose_jws_header_is_nested_too_deep_is_refused(lrs_client):
    header = base64.urlsafe_b64encode(b"[" * 5000).decode().rstrip("=")
    jws = f"{header}.e30.c2ln".encode()
    signed = statement()
    signed["attachments"] = [
        {
            **_attachment(jws),
            "usageType": "http://adlnet.gov/expapi/attachments/signature",
            "contentType": "application/octet-stream",
        }
    ]
    response = _request(
        "POST",
        "statements",
        _multipart(json.dumps(signed).encode(), [(_part_headers(jws, b"application/octet-stream"), jws)]),
        content_type=f"multipart/mixed; boundary={BOUNDARY}",
    )
    _refused(response)


def test_an_alternate_request_with_a_nul_in_a_header_field_is_refused(lrs_client):
    params = {"activityId": ACTIVITY, "agent": json.dumps(ACCOUNT_AGENT), "stateId": "s"}
    form = {
        "Authorization": basic("platform"),
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "text/plain\x00",
        "content": "page=4",
        **params,
    }
    response = _request(
        "POST",
        "activities/state",
        urlencode(form),
        params={"method": "PUT"},
        content_type="application/x-www-form-urlencoded",
        headers={},
    )
    _refused(response)
    assert LrsDocument.objects.count() == 0


def test_an_alternate_request_with_a_non_latin_multipart_content_type_is_refused(lrs_client):
    form = {
        "Authorization": basic("platform"),
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "multipart/mixed; boundary=\u20ac",
        "content": "--\u20ac\r\nContent-Type: application/json\r\n\r\n{}\r\n--\u20ac--",
    }
    response = _request(
        "POST",
        "statements",
        urlencode(form),
        params={"method": "POST"},
        content_type="application/x-www-form-urlencoded",
        headers={},
    )
    _refused(response)


def test_a_cursor_beyond_the_sequence_range_is_handled(lrs_client):
    _assert_clean(_request("GET", "statements", params={"cursor": str(10**30)}))
    _assert_clean(_request("GET", "statements", params={"cursor": str(-(10**30)), "ascending": "true"}))


def test_a_negative_content_length_is_handled(lrs_client):
    _assert_clean(_request("POST", "statements", b"{}", CONTENT_LENGTH="-5"), "POST")


# Property-based fuzzing

#: ``LRS_FUZZ_EXAMPLES=2000`` for a longer hunt than the suite's.
FUZZ = settings(
    max_examples=int(os.environ.get("LRS_FUZZ_EXAMPLES", "150")),
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

#: Strings that have broken parsers, validators and databases before.
NASTY_STRINGS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "\u202e",
    "é",
    "\U0001d518",
    "a" * 3000,
    "NaN",
    "Infinity",
    "-0",
    "1e999",
    "null",
    "not-a-uuid",
    "00000000-0000-0000-0000-000000000000",
    "F8B4C7F6-1F1C-4E7E-9B53-52E4D3C8A0B1",
    "f8b4c7f6-1f1c-7e7e-9b53-52e4d3c8a0b1",
    "f8b4c7f6-1f1c-4e7e-9b53-52e4d3c8a0b1\n",
    "0001-01-01T00:00:00+01:00",
    "0001-01-01T00:00:00.5-01:00",
    "9999-12-31T23:59:59-14:00",
    "9999-12-31T23:59:59.999999Z",
    "99991231T235959,9-0100",
    "2026-02-30T00:00:00Z",
    "2026-01-01T24:00:00Z",
    "2026-01-01T00:00:60Z",
    "2026-01-01T00:00:00-00:00",
    "2026-01-01T00:00:00",
    "2026-01-01",
    "\u0662\u0660\u0662\u0666-01-01T00:00:00Z",
    "2026-01-01T00:00:00.123456789012345678901234567890Z",
    "2026-01-01T00:00:00+99:99",
    "P",
    "PT",
    "P1Y2M3DT4H5M6.7S",
    "PT-1S",
    "P\u0661D",
    "P" + "9" * 400 + "D",
    "en-",
    "-en",
    "abcd",
    "x-",
    "zh-Hant-CN-x-private",
    "mailto:",
    "mailto:a@b.fr",
    "http://",
    "http:// a",
    "urn:x",
    ":",
    "{",
    "[" * 50,
    "%00",
    "\\u0000",
    "'; DROP TABLE lms_statement; --",
    "http://adlnet.gov/expapi/verbs/voided",
    "SubStatement",
    "StatementRef",
    "Group",
    "Agent",
    "Activity",
    "choice",
    "likert",
    "http://adlnet.gov/expapi/attachments/signature",
]
#: Property names of statements, so that mutations add meaningful keys as often as random ones.
KEYS = [
    *sorted(
        v.STATEMENT_KEYS
        | v.GROUP_KEYS
        | v.ACCOUNT_KEYS
        | v.VERB_KEYS
        | v.ACTIVITY_KEYS
        | v.DEFINITION_KEYS
        | v.COMPONENT_KEYS
        | v.RESULT_KEYS
        | v.SCORE_KEYS
        | v.CONTEXT_KEYS
        | v.CONTEXT_ACTIVITY_KEYS
        | v.ATTACHMENT_KEYS
    ),
    "en-US",
    "http://example.org/extension",
]

nasty_text = st.sampled_from(NASTY_STRINGS) | st.text(max_size=12)
#: Text that can be encoded (without lone surrogates).
unicode_text = nasty_text.filter(lambda text: not any(0xD800 <= ord(char) <= 0xDFFF for char in text))
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**63 - 2, max_value=2**70)
    | st.integers(min_value=-(2**70), max_value=-(2**63) + 2)
    | st.floats()
    | nasty_text
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=10,
)
#: Deeply nested arrays, around the depth limit and past orjson's: a marker that :func:`_dumps` writes out
#: (too deep to copy or serialise with the standard library).
DEEP = "\u2063deep:"
deep_values = st.integers(min_value=240, max_value=1100).map(lambda depth: f"{DEEP}{depth}")
weird_values = json_values | deep_values | st.sampled_from([{}, [], {"": None}, [[]]])


def _base_statements() -> list[dict]:
    """Valid statements that cover the shapes of xAPI: every object type, results, contexts, attachments."""
    agent = {"objectType": "Agent", "mbox": "mailto:learner@example.org", "name": "Learner"}
    group = {"objectType": "Group", "name": "Team", "member": [ACCOUNT_AGENT, agent]}
    definition = {
        "name": {"fr-FR": "Question", "en-US": "Question"},
        "description": {"fr-FR": "Choisir"},
        "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
        "moreInfo": "http://example.org/more",
        "interactionType": "choice",
        "correctResponsesPattern": ["a[,]b"],
        "choices": [{"id": "a", "description": {"fr-FR": "A"}}, {"id": "b"}],
        "extensions": {"http://example.org/ext": {"k": [1, 2.5, None]}},
    }
    result = {
        "score": {"scaled": 0.5, "raw": 5, "min": 0, "max": 10},
        "success": True,
        "completion": False,
        "response": "a[,]b",
        "duration": "PT1H2M3.5S",
        "extensions": {"http://example.org/r": "x"},
    }
    context = {
        "registration": "6f1e3a3c-8d2b-4d8e-9a57-2b1f6c3d4e5f",
        "instructor": agent,
        "team": group,
        "contextActivities": {"parent": {"id": ACTIVITY}, "grouping": [{"id": "http://example.org/c"}]},
        "revision": "1",
        "platform": "Tremplin",
        "language": "fr-FR",
        "statement": {"objectType": "StatementRef", "id": "0b5a8d0e-4a3f-4c8e-8b1d-2e3f4a5b6c7d"},
        "extensions": {"http://example.org/c": 1},
    }
    attachment = {**_attachment(b"x"), "fileUrl": "http://example.org/file.txt"}
    sub = {
        "objectType": "SubStatement",
        "actor": agent,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
        "object": {"id": ACTIVITY, "definition": definition},
        "result": result,
        "context": context,
        "timestamp": "2026-01-01T10:00:00+02:00",
    }
    return [
        statement(),
        statement(actor=agent, object={"objectType": "Activity", "id": ACTIVITY, "definition": definition}),
        statement(actor=group, result=result, context=context, attachments=[attachment], version="1.0.3"),
        statement(object=sub, stored="2026-01-01T00:00:00Z"),
        statement(object={"objectType": "Agent", "openid": "http://example.org/openid"}),
        statement(object={"objectType": "Group", "member": [agent]}),
        statement(
            verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
            object={"objectType": "StatementRef", "id": "0b5a8d0e-4a3f-4c8e-8b1d-2e3f4a5b6c7d"},
        ),
        statement(
            actor={"mbox_sha1sum": "a" * 40},
            authority={"objectType": "Group", "member": [ACCOUNT_AGENT, agent]},
            timestamp="20260101T100000,5+0200",
        ),
    ]


BASES = _base_statements()


def _paths(value, prefix=()):
    yield prefix
    if len(prefix) > 8:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _at(value, path):
    for step in path:
        value = value[step]
    return value


@st.composite
def statements(draw, valid=False):
    """A statement of any shape with a new id; unless ``valid``, broken at one to three places, any depth."""
    body = copy.deepcopy(draw(st.sampled_from(BASES)))
    body["id"] = str(draw(st.uuids(version=4)))
    if valid:
        return body
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(list(_paths(body))[1:]))
        parent, step = _at(body, path[:-1]), path[-1]
        action = draw(st.sampled_from(["replace", "replace", "delete", "add", "wrap"]))
        if action == "replace":
            parent[step] = copy.deepcopy(draw(weird_values))
        elif action == "delete":
            del parent[step]
        elif action == "wrap":
            parent[step] = draw(st.sampled_from([[parent[step]], {"id": parent[step]}, str(parent[step])]))
        elif isinstance(parent[step], dict):
            parent[step][draw(st.sampled_from(KEYS) | st.text(max_size=8))] = copy.deepcopy(
                draw(weird_values)
            )
        else:
            parent[step] = copy.deepcopy(draw(weird_values))
    return body


def _dumps(value) -> bytes:
    # The standard library writes lone surrogates as \\ud800 escapes, NaN and Infinity as such (not JSON).
    text = json.dumps(value)
    if "\\u2063deep:" in text:
        text = re.sub(r'"\\u2063deep:(\d+)"', lambda match: "[" * int(match[1]) + "]" * int(match[1]), text)
    return text.encode()


@pytest.fixture
def stored(lrs_client):
    """The base statements, stored (with new ids) so that queries have something to find and format."""
    batch = [{**copy.deepcopy(base), "id": str(uuid.uuid4())} for base in BASES]
    assert _request("POST", "statements", _dumps(batch)).status_code == 200
    return batch


def _clean(response, method="GET"):
    """:func:`_assert_clean`, and the status for ``--hypothesis-show-statistics``."""
    event(f"{method} {response.status_code} {_message(response)}")
    _assert_clean(response, method)


def _message(response) -> str:
    try:
        return response.json()["message"].split(":")[0][:60]
    except (ValueError, KeyError, TypeError):
        return ""


def _counts():
    return Statement.objects.count(), LrsAttachment.objects.count(), LrsDocument.objects.count()


@FUZZ
@given(body=weird_values)
def test_any_json_value_posted_as_statements_gets_a_clean_answer(lrs_client, body):
    _clean(_request("POST", "statements", _dumps(body)), "POST")


@FUZZ
@given(body=statements(), method=st.sampled_from(["POST", "PUT"]))
def test_a_statement_broken_anywhere_gets_a_clean_answer_and_reads_back(lrs_client, body, method):
    params = {"statementId": body.get("id") if isinstance(body.get("id"), str) else "x"}
    response = _request(method, "statements", _dumps(body), params=params if method == "PUT" else None)
    _clean(response, method)
    if response.status_code < 300 and isinstance(body.get("id"), str):
        # Accepted: it must read back in every format (a stored statement that cannot be read is lost).
        for fmt in ("exact", "ids", "canonical"):
            reading = _request(
                "GET", "statements", params={"statementId": body["id"], "format": fmt, "attachments": "true"}
            )
            _clean(reading)


@FUZZ
@given(
    before=st.lists(statements(valid=True), max_size=3),
    broken=statements(),
    after=st.lists(statements(valid=True), max_size=3),
)
def test_a_refused_batch_stores_nothing(lrs_client, before, broken, after):
    counts = _counts()
    response = _request("POST", "statements", _dumps([*before, broken, *after]))
    _clean(response, "POST")
    if response.status_code >= 400:
        assert _counts() == counts


@FUZZ
@given(
    body=st.binary(max_size=200)
    | st.builds(
        lambda text, at, junk: text[:at] + junk + text[at:],
        st.sampled_from([_dumps(s) for s in BASES]),
        st.integers(min_value=0, max_value=400),
        st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\\u0000", b"\\ud800", b'"', b"\\"]),
    ),
    content_type=st.sampled_from(
        ["application/json", "application/json; charset=latin-1", "", "text/plain", "application/JSON"]
    ),
)
def test_any_bytes_posted_as_statements_get_a_clean_answer(lrs_client, body, content_type):
    _clean(_request("POST", "statements", body, content_type=content_type), "POST")


STATEMENT_PARAMS = [
    *FILTERS,
    "statementId",
    "voidedStatementId",
    "more",
    "method",
]
agent_texts = st.one_of(
    st.just(json.dumps(ACCOUNT_AGENT)),
    st.just('{"mbox": "mailto:learner@example.org"}'),
    st.just('{"objectType": "Group", "member": [{"mbox": "mailto:a@b.fr"}]}'),
    json_values.map(json.dumps),
    st.builds(
        lambda name: json.dumps({"account": {"homePage": "http://testserver", "name": name}}), nasty_text
    ),
    nasty_text,
)
param_values = st.one_of(
    nasty_text,
    agent_texts,
    st.sampled_from(["true", "false", "TRUE", "1", "0", "-1", "10", "500", "501", str(10**30), "1_0", " 5"]),
    st.sampled_from(["exact", "ids", "canonical"]),
    st.uuids().map(str),
)


@FUZZ
@given(
    params=st.dictionaries(st.sampled_from(STATEMENT_PARAMS) | st.text(max_size=6), param_values, max_size=5),
    method=st.sampled_from(["GET", "HEAD"]),
    language=st.sampled_from(["", "fr-FR", "*", "en;q=nan, fr;q=1e999, de;q=x", "\xe9;q=0.5,,"]),
)
def test_any_query_on_statements_gets_a_clean_answer(stored, params, method, language):
    response = _request(
        method, "statements", params=params, headers=_headers(**{"Accept-Language": language})
    )
    _clean(response, method)


def _header_text(text: str) -> bool:
    """What a WSGI server can hand over as a header value: ISO-8859-1 text without NUL or line breaks."""
    return all(ord(char) < 256 for char in text) and not {"\x00", "\r", "\n"} & set(text)


header_values = st.one_of(st.none(), nasty_text.filter(_header_text))


@FUZZ
@given(
    method=st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "SETUP"]),
    path=st.sampled_from(
        [
            "statements",
            "about",
            "activities/state",
            "activities/profile",
            "activities",
            "agents/profile",
            "agents",
        ]
    ),
    content_type=st.sampled_from(
        [
            "application/json",
            "",
            "multipart/mixed",
            "multipart/mixed; boundary=",
            "text/plain",
            "*/*",
            "\xe9/\xe9",
        ]
    ),
    version=st.one_of(
        st.sampled_from(["1.0.3", "1.0", "1.0.99", "2.0.0", "0.95", "1.0.3 ", "", None]), header_values
    ),
    authorization=st.one_of(
        st.sampled_from(
            [basic("platform"), basic("platform", "wrong"), basic("nobody"), "Basic", "Basic ===="]
        ),
        st.sampled_from(["Bearer x", "Basic \xe9\xe9", basic("tremplin-launch", "x:y")]),
        st.builds(basic, unicode_text, unicode_text),
        st.none(),
    ),
    extra=st.fixed_dictionaries(
        {},
        optional={
            "If-Match": header_values,
            "If-None-Match": header_values,
            "Origin": header_values,
            "Accept-Language": header_values,
            "Access-Control-Request-Method": header_values,
        },
    ),
    body=st.sampled_from([b"", b"{}", b"[]", _dumps(BASES[0]), b"\xff"]),
)
def test_any_headers_get_a_clean_answer(
    lrs_client, method, path, content_type, version, authorization, extra, body
):
    headers = {"Authorization": authorization, "X-Experience-API-Version": version}
    headers.update(extra)
    headers = {name: value for name, value in headers.items() if value is not None}
    params = {"activityId": ACTIVITY, "agent": json.dumps(ACCOUNT_AGENT), "stateId": "s", "profileId": "p"}
    if path in ("activities", "agents"):
        params = {key: params[key] for key in ("activityId" if path == "activities" else "agent",)}
    elif path in ("statements", "about"):
        params = {}
    response = _request(method, path, body, params=params, content_type=content_type, headers=headers)
    _clean(response, method)


DOCUMENT_PARAMS = ["activityId", "agent", "registration", "stateId", "profileId", "since", "extra"]
document_param_values = st.one_of(
    st.sampled_from(
        [ACTIVITY, "urn:tremplin:a", json.dumps(ACCOUNT_AGENT), "s", "p", "2026-01-01T00:00:00Z"]
    ),
    st.uuids().map(str),
    param_values,
)


def _documents():
    return sorted(LrsDocument.objects.values_list("kind", "document_id", "etag", "content_type"))


@FUZZ
@given(
    method=st.sampled_from(["GET", "HEAD", "PUT", "POST", "DELETE"]),
    path=st.sampled_from(
        ["activities/state", "activities/profile", "agents/profile", "agents", "activities"]
    ),
    params=st.fixed_dictionaries(
        {
            "activityId": st.just(ACTIVITY) | document_param_values,
            "agent": st.just(json.dumps(ACCOUNT_AGENT)) | document_param_values,
        },
        optional={name: document_param_values for name in DOCUMENT_PARAMS[2:]},
    ),
    body=st.one_of(
        st.sampled_from([b"", b"{}", b'{"a": 1}', b"[1]", b"null", b"\xff\xfe", b"[" * 3000, b'{"a": NaN}']),
        json_values.map(_dumps),
        st.binary(max_size=50),
    ),
    content_type=st.sampled_from(["application/json", "text/plain", "", "application/json; charset=utf-8"]),
    preconditions=st.fixed_dictionaries(
        {}, optional={"If-Match": header_values, "If-None-Match": header_values}
    ),
)
def test_any_document_request_gets_a_clean_answer_and_a_refusal_writes_nothing(
    lrs_client, method, path, params, body, content_type, preconditions
):
    # A JSON document to merge into, under the key most requests use.
    state = {"activityId": ACTIVITY, "agent": json.dumps(ACCOUNT_AGENT), "stateId": "s"}
    _request("PUT", "activities/state", b'{"page": 1}', params=state)
    before = _documents()
    response = _request(
        method, path, body, params=params, content_type=content_type, headers=_headers(**preconditions)
    )
    _clean(response, method)
    if response.status_code >= 400:
        assert _documents() == before


ALTERNATE_FIELDS = [
    "Authorization",
    "X-Experience-API-Version",
    "Content-Type",
    "Content-Length",
    "If-Match",
    "If-None-Match",
    "content",
    "agent",
    "activityId",
    "stateId",
    "statementId",
    "method",
]


@FUZZ
@given(
    method=st.sampled_from(["GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS", "PATCH", "get", ""]),
    path=st.sampled_from(["statements", "activities/state", "agents", "about"]),
    fields=st.fixed_dictionaries(
        {
            "Authorization": st.sampled_from([basic("platform"), "Basic \u20ac", basic("x\x00", "y")]),
            "X-Experience-API-Version": st.sampled_from(["1.0.3", "\u20ac"]),
        },
        optional={name: param_values for name in ALTERNATE_FIELDS[3:]}
        | {
            "content": st.one_of(st.sampled_from([_dumps(s).decode() for s in BASES]), nasty_text),
            "Content-Type": st.sampled_from(
                ["application/json", "multipart/mixed; boundary=\u20ac", "text/plain\x00", "\xe9"]
            ),
        },
    ),
    query=st.dictionaries(st.sampled_from(["activityId", "x"]), st.just("1"), max_size=1),
    form_type=st.sampled_from(
        ["application/x-www-form-urlencoded", "application/x-www-form-urlencoded; x", "text/plain"]
    ),
)
def test_any_alternate_request_gets_a_clean_answer(lrs_client, method, path, fields, query, form_type):
    params = {"method": method, **query}
    form = urlencode(fields, errors="surrogatepass")
    response = _request("POST", path, form, params=params, content_type=form_type, headers={})
    _clean(response, method.upper() if method else "POST")


part_headers = st.lists(
    st.sampled_from(
        [
            b"Content-Type: text/plain",
            b"Content-Type: \xff/\xfe",
            b"Content-Type: multipart/mixed; boundary=inner",
            b"Content-Type: text/plain; charset=\x00",
            b"Content-Transfer-Encoding: binary",
            b"Content-Transfer-Encoding: base64",
            b"Content-Transfer-Encoding: quoted-printable",
            b"Content-Transfer-Encoding: \xe9",
            b"X-Experience-API-Hash: " + hashlib.sha256(b"report").hexdigest().encode(),
            b"X-Experience-API-Hash: zz",
            b"X-Experience-API-Hash: \xff",
            b"Content-Disposition: attachment; filename*=utf-8''%ff",
            b": no name",
            b"Content-Type: =?utf-8?q?=FF?=",
            b"Content-Type: text/plain; a*0*=x; a*1=y",
            b"\x00",
        ]
    ),
    max_size=5,
).map(lambda lines: b"".join(line + b"\r\n" for line in lines))


@FUZZ
@given(
    first=st.one_of(
        st.sampled_from([_dumps(statement(attachments=[_attachment(b"report")]))]),
        statements().map(_dumps),
        st.binary(max_size=30),
    ),
    first_type=st.sampled_from([b"application/json", b"text/plain", b"application/json; charset=\xff", b""]),
    parts=st.lists(
        st.tuples(part_headers, st.sampled_from([b"report", b"", b"\x00\xff", b"--fuzz-boundary"])),
        max_size=3,
    ),
    boundary=st.sampled_from(["fuzz-boundary", '"fuzz-boundary"', "other", "", "fuzz-boundary; charset=x"]),
    cut=st.integers(min_value=0, max_value=1000),
    method=st.sampled_from(["POST", "PUT"]),
)
def test_any_multipart_body_gets_a_clean_answer_and_a_refusal_stores_nothing(
    lrs_client, first, first_type, parts, boundary, cut, method
):
    body = _multipart(first, parts).replace(
        b"Content-Type: application/json", b"Content-Type: " + first_type, 1
    )
    body = body[: len(body) - cut] if cut < len(body) else body
    counts = _counts()
    response = _request(
        method,
        "statements",
        body,
        params={"statementId": str(uuid.uuid4())} if method == "PUT" else None,
        content_type=f"multipart/mixed; boundary={boundary}",
    )
    _clean(response, method)
    if response.status_code >= 400:
        assert _counts() == counts


@pytest.fixture
def launch_headers(db):
    """The headers of an external activity launched with its learner's launch credential."""
    grant = LaunchGrant(actor_name="learner-1", registration=str(uuid.uuid4()), activity_id=ACTIVITY)
    credential = get_launch_credentials().issue(grant)
    return {"Authorization": credential.authorization, "X-Experience-API-Version": "1.0.3"}


@pytest.mark.parametrize(
    "actor", [{"account": "learner-1"}, {"account": {"name": 1}}, {"mbox": 3}, "learner-1"]
)
def test_a_launch_credential_statement_with_a_malformed_actor_is_refused(launch_headers, actor):
    body = json.dumps(statement(actor=actor)).encode()
    _refused(_request("POST", "statements", body, headers=launch_headers))
    assert Statement.objects.count() == 0


@FUZZ
@given(body=statements(), method=st.sampled_from(["POST", "PUT"]))
def test_a_launch_credential_statement_broken_anywhere_gets_a_clean_answer(launch_headers, body, method):
    params = {"statementId": body.pop("id", None) or str(uuid.uuid4())} if method == "PUT" else None
    _clean(_request(method, "statements", _dumps(body), params=params, headers=launch_headers), method)


@FUZZ
@given(
    method=st.sampled_from(["GET", "HEAD", "PUT", "POST", "DELETE"]),
    path=st.sampled_from(["statements", "activities/state", "agents/profile", "agents", "activities"]),
    params=st.dictionaries(
        st.sampled_from([*STATEMENT_PARAMS, *DOCUMENT_PARAMS]), document_param_values, max_size=4
    ),
)
def test_a_launch_credential_request_gets_a_clean_answer(launch_headers, method, path, params):
    _clean(_request(method, path, b'{"a": 1}', params=params, headers=launch_headers), method)


def _certificate_with_an_unknown_key_algorithm() -> str:
    certificate, _key = _certificate_and_key()
    der = base64.b64decode(certificate)
    rsa_encryption = bytes.fromhex("2a864886f70d010101")  # the OID 1.2.840.113549.1.1.1, same length below
    return base64.b64encode(der.replace(rsa_encryption, bytes.fromhex("2a0304050607080901"), 1)).decode()


def _signed_request(body: dict, jws: bytes):
    body["attachments"] = [
        {**_attachment(jws), "usageType": SIGNATURE, "contentType": "application/octet-stream"}
    ]
    return _request(
        "POST",
        "statements",
        _multipart(_dumps(body), [(_part_headers(jws, b"application/octet-stream"), jws)]),
        content_type=f"multipart/mixed; boundary={BOUNDARY}",
    )


def test_a_signature_certificate_with_an_unknown_key_algorithm_is_refused(lrs_client):
    body = statement()
    header = _b64(
        json.dumps({"alg": "RS256", "x5c": [_certificate_with_an_unknown_key_algorithm()]}).encode()
    )
    jws = f"{header}.{_b64(json.dumps(body).encode())}.{_b64(b'signature')}".encode()
    assert "x5c" in _refused(_signed_request(body, jws))
    assert Statement.objects.count() == 0


@pytest.mark.parametrize("alg", [["RS256"], {"RS256": 1}, 256, None])
def test_a_signature_whose_algorithm_is_not_a_string_is_refused(lrs_client, alg):
    body = statement()
    jws = f"{_b64(json.dumps({'alg': alg}).encode())}.{_b64(json.dumps(body).encode())}.{_b64(b's')}".encode()
    assert "RS256" in _refused(_signed_request(body, jws))


@FUZZ
@given(
    base=statements(valid=True),
    header=st.one_of(
        st.fixed_dictionaries(
            {"alg": st.sampled_from(["RS256", "RS512", "HS256", "none"]) | json_values},
            optional={
                "x5c": st.one_of(
                    json_values,
                    st.lists(
                        st.sampled_from(["not base64", "", "AAAA", "x" * 100])
                        | st.binary(max_size=64).map(lambda data: base64.b64encode(data).decode()),
                        max_size=2,
                    ),
                    st.just("signer"),
                    st.just("unknown key algorithm"),
                )
            },
        ),
        json_values,
    ),
    payload=st.sampled_from(["statement", "other"]) | json_values,
    signature=st.binary(max_size=300),
    garble=st.sampled_from(["", ".", "..", "\xe9", "=", " "]),
)
def test_any_signature_gets_a_clean_answer(lrs_client, signer, base, header, payload, signature, garble):
    if isinstance(header, dict) and header.get("x5c") == "signer":
        header = {**header, "x5c": [signer[0]]}
    elif isinstance(header, dict) and header.get("x5c") == "unknown key algorithm":
        header = {**header, "x5c": [_certificate_with_an_unknown_key_algorithm()]}
    if payload == "statement":
        payload = base
    elif payload == "other":
        payload = {**base, "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"}}
    jws = f"{_b64(_dumps(header))}.{_b64(_dumps(payload))}{garble}.{_b64(signature)}".encode()
    _clean(_signed_request(base, jws), "POST")
