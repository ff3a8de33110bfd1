"""The xAPI resources under ``/xapi/``: statements, documents, agents, activities and about.

Thin views: they read parameters and call the store, the queries and the document services.
"""

import json
from dataclasses import replace
from urllib.parse import urlencode

from django.http import HttpResponse
from django.utils.decorators import method_decorator
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt

from lms.conf import lms_settings
from lms.models import LrsDocument

from . import attachments, documents, queries
from .agents import ifi_key
from .auth import authority, grant_agent
from .errors import ValidationError
from .formats import FORMATS, accept_languages, format_statement
from .http import VERSION, XapiError, XapiView, json_response, multipart_parts, parse_json
from .storage import get_store
from .validation import check_actor, check_timestamp, check_uuid

_SINGLE_PARAMS = {"statementId", "voidedStatementId", "format", "attachments"}


def _collectivity_id(request):
    return request.client.collectivity_id if request.client is not None else None


def _check_grant_actor(request, statements) -> None:
    """A launch credential sends statements of its own learner only."""
    agent = grant_agent(request.client)
    if agent is None:
        return
    for index, statement in enumerate(statements):
        actor = statement.get("actor") if isinstance(statement, dict) else None
        if isinstance(actor, dict):
            # Not validated yet: its identifier must be well-formed before it is compared.
            check_actor(actor, f"statements[{index}].actor")
        if not isinstance(actor, dict) or ifi_key(actor) != ifi_key(agent):
            raise XapiError(
                403, f"statements[{index}].actor: a launch credential sends its learner's statements only"
            )


def _grant_params(request, params):
    """Restrict a launch credential's reads to its learner's statements."""
    agent = grant_agent(request.client)
    if agent is None:
        return params
    if "agent" in params and queries.agent_param(params["agent"]) != ifi_key(agent):
        raise XapiError(403, "a launch credential reads its learner's statements only")
    return {**params, "agent": json.dumps(agent)}


@method_decorator(csrf_exempt, name="dispatch")
class StatementsView(XapiView):
    """``/xapi/statements``: POST, PUT, GET (single or filtered, paged) and HEAD."""

    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)
        # xAPI 1.0.3 Communication 2.1.3.s2.b5: on all responses of the statements resource, errors included.
        response["X-Experience-API-Consistent-Through"] = queries.consistent_through()
        return response

    def _parse_body(self, request):
        content_type = request.content_type
        if content_type == "multipart/mixed":
            parts = multipart_parts(request.body, request.headers["content-type"])
            first_headers, first = parts[0]
            if first_headers.get("content-type", "").split(";")[0].strip() != "application/json":
                raise XapiError(400, "the first part of a multipart/mixed request must be application/json")
            return parse_json(first), parts[1:]
        if content_type not in ("application/json", ""):
            raise XapiError(400, "statements are sent as application/json or multipart/mixed")
        return request.json(), None

    def _store(self, request, statements, parts):
        if len(statements) > lms_settings.LRS_MAX_BATCH:
            raise XapiError(413, f"a batch holds at most {lms_settings.LRS_MAX_BATCH} statements")
        _check_grant_actor(request, statements)
        kwargs = {"collectivity": _collectivity_id(request), "authority": authority(request.client)}
        store = get_store()
        if parts is None:
            attachments.check_no_missing_parts(statements)
            return store.store(statements, **kwargs)
        contents = attachments.match_parts(statements, parts)
        return attachments.store_with_attachments(store, statements, contents, **kwargs)

    def post(self, request):
        if request.params:
            raise XapiError(400, "POST statements takes no parameters")
        body, parts = self._parse_body(request)
        if isinstance(body, dict):
            statements = [body]
        elif isinstance(body, list):
            statements = body
            if not statements:
                raise XapiError(400, "the batch is empty")
        else:
            raise XapiError(400, "the body must be a statement or an array of statements")
        if isinstance(body, list) and any(not isinstance(item, dict) for item in statements):
            raise XapiError(400, "every item of the batch must be a statement object")
        return json_response(self._store(request, statements, parts))

    def put(self, request):
        statement_id = request.params.get("statementId")
        if statement_id is None:
            raise XapiError(400, "PUT statements needs the statementId parameter")
        if set(request.params) - {"statementId"}:
            raise XapiError(400, "PUT statements takes only the statementId parameter")
        check_uuid(statement_id, "statementId")
        body, parts = self._parse_body(request)
        if not isinstance(body, dict):
            raise XapiError(400, "PUT statements takes one statement")
        if "id" in body and str(body["id"]).lower() != statement_id.lower():
            raise XapiError(400, "the statement's id differs from the statementId parameter")
        body["id"] = statement_id.lower()
        self._store(request, [body], parts)
        return HttpResponse(status=204)

    def get(self, request):
        params = request.params
        unknown = set(params) - set(queries.FILTERS) - {"statementId", "voidedStatementId"}
        if unknown:
            raise XapiError(400, f"unknown parameter {sorted(unknown)[0]!r}")
        fmt = params.get("format", "exact")
        if fmt not in FORMATS:
            raise ValidationError("format", "must be ids, exact or canonical")
        with_attachments = params.get("attachments", "false")
        if with_attachments not in ("true", "false"):
            raise ValidationError("attachments", "must be true or false")
        languages = accept_languages(request.headers.get("accept-language", ""))
        collectivity_id = _collectivity_id(request)
        if "statementId" in params or "voidedStatementId" in params:
            if set(params) - _SINGLE_PARAMS or ("statementId" in params and "voidedStatementId" in params):
                raise XapiError(400, "statementId and voidedStatementId take only format and attachments")
            voided = "voidedStatementId" in params
            name = "voidedStatementId" if voided else "statementId"
            check_uuid(params[name], name)
            row = queries.get_statement(params[name].lower(), voided=voided, collectivity_id=collectivity_id)
            agent = grant_agent(request.client)
            if row is not None and agent is not None and ifi_key(row.data.get("actor", {})) != ifi_key(agent):
                row = None
            if row is None:
                raise XapiError(404, "no such statement")
            statement = row.statement
            document = format_statement(statement, fmt, languages)
            statements = [statement]
            last_modified = row.stored
        else:
            page = queries.find_statements(
                _grant_params(request, params),
                collectivity_id=collectivity_id,
                max_limit=lms_settings.LRS_MAX_LIMIT,
            )
            more = f"{request.path}?{urlencode(page.more)}" if page.more else ""
            document = {
                "statements": [format_statement(s, fmt, languages) for s in page.statements],
                "more": more,
            }
            statements = page.statements
            last_modified = None
        if with_attachments == "true":
            body, content_type = attachments.multipart_response_body(document, statements)
            response = HttpResponse(body, content_type=content_type)
        else:
            response = json_response(document)
        if last_modified is not None:
            response["Last-Modified"] = http_date(last_modified.timestamp())
        return response

    head = get


class AboutView(XapiView):
    """``/xapi/about``: the versions this LRS speaks; open without credentials."""

    open = True

    def get(self, request):
        # 2.0.0 is accepted in the version header, but this LRS does not claim the whole of xAPI 2.0.
        return json_response({"version": ["1.0.0", "1.0.1", "1.0.2", VERSION], "extensions": {}})

    head = get


# Documents


def _required(params, name):
    if name not in params:
        raise XapiError(400, f"the {name} parameter is required")
    return params[name]


def _iri_param(params, name):
    value = _required(params, name)
    if not value or " " in value or ":" not in value:
        raise ValidationError(name, "must be an IRI")
    return value


def _since(params):
    return check_timestamp(params["since"], "since") if "since" in params else None


class DocumentView(XapiView):
    """Shared behaviour of the three document resources."""

    kind: str
    id_param: str
    allowed: set
    #: The 409 rule (a PUT on an existing document needs If-Match or If-None-Match) applies.
    require_precondition = True
    #: DELETE without an id removes every document under the key (state only).
    delete_all = False

    def key(self, params) -> documents.DocumentKey:
        raise NotImplementedError

    def _checked(self, request):
        unknown = set(request.params) - self.allowed
        if unknown:
            raise XapiError(400, f"unknown parameter {sorted(unknown)[0]!r}")
        key = replace(self.key(request.params), collectivity_id=_collectivity_id(request))
        agent = grant_agent(request.client)
        if agent is not None and (not isinstance(self, StateView) or key.agent_ifi != ifi_key(agent)):
            raise XapiError(403, "a launch credential reaches its learner's state documents only")
        if len(key.activity_id) > 500 or len(key.agent_ifi) > 500:
            raise XapiError(400, "the activityId or the agent is longer than this LRS keeps (500 characters)")
        if len(request.params.get(self.id_param, "")) > 255:
            raise XapiError(400, f"{self.id_param} is longer than this LRS keeps (255 characters)")
        return key

    def get(self, request):
        key = self._checked(request)
        document_id = request.params.get(self.id_param)
        if document_id is None:
            return json_response(documents.list_documents(key, _since(request.params)))
        document = documents.get_document(key, document_id)
        if document is None:
            raise XapiError(404, "no such document")
        response = HttpResponse(bytes(document.content), content_type=document.content_type)
        response["ETag"] = f'"{document.etag}"'
        response["Last-Modified"] = http_date(document.updated.timestamp())
        return response

    head = get

    def _write(self, request, merge):
        key = self._checked(request)
        document_id = _required(request.params, self.id_param)
        content_type = request.headers.get("content-type", "application/octet-stream")
        if "\x00" in content_type:
            # (A form field of the alternate request syntax; PostgreSQL cannot keep a NUL in text.)
            raise XapiError(400, "the Content-Type header contains a NUL character")
        try:
            document = documents.write_document(
                key,
                document_id,
                request.body,
                content_type,
                merge=merge,
                if_match=request.headers.get("if-match"),
                if_none_match=request.headers.get("if-none-match"),
                require_precondition=self.require_precondition,
            )
        except documents.DocumentError as error:
            raise XapiError(error.status, str(error)) from error
        response = HttpResponse(status=204)
        response["ETag"] = f'"{document.etag}"'
        return response

    def put(self, request):
        return self._write(request, merge=False)

    def post(self, request):
        return self._write(request, merge=True)

    def delete(self, request):
        key = self._checked(request)
        document_id = request.params.get(self.id_param)
        if document_id is None and not self.delete_all:
            raise XapiError(400, f"the {self.id_param} parameter is required")
        try:
            documents.delete_documents(
                key,
                document_id,
                if_match=request.headers.get("if-match"),
                if_none_match=request.headers.get("if-none-match"),
            )
        except documents.DocumentError as error:
            raise XapiError(error.status, str(error)) from error
        return HttpResponse(status=204)


class StateView(DocumentView):
    """``/xapi/activities/state``."""

    kind = LrsDocument.Kind.STATE
    id_param = "stateId"
    allowed = {"activityId", "agent", "registration", "stateId", "since"}
    require_precondition = False
    delete_all = True

    def key(self, params):
        registration = params.get("registration", "")
        if registration:
            check_uuid(registration, "registration")
        return documents.DocumentKey(
            kind=self.kind,
            activity_id=_iri_param(params, "activityId"),
            agent_ifi=queries.agent_param(_required(params, "agent")),
            registration=registration.lower(),
        )


class ActivityProfileView(DocumentView):
    """``/xapi/activities/profile``."""

    kind = LrsDocument.Kind.ACTIVITY_PROFILE
    id_param = "profileId"
    allowed = {"activityId", "profileId", "since"}

    def key(self, params):
        return documents.DocumentKey(kind=self.kind, activity_id=_iri_param(params, "activityId"))


class AgentProfileView(DocumentView):
    """``/xapi/agents/profile``."""

    kind = LrsDocument.Kind.AGENT_PROFILE
    id_param = "profileId"
    allowed = {"agent", "profileId", "since"}

    def key(self, params):
        return documents.DocumentKey(
            kind=self.kind, agent_ifi=queries.agent_param(_required(params, "agent"))
        )


class AgentsView(XapiView):
    """``/xapi/agents``: the Person object of an agent."""

    def get(self, request):
        if set(request.params) - {"agent"}:
            raise XapiError(400, "agents takes only the agent parameter")
        raw = _required(request.params, "agent")
        key = queries.agent_param(raw)
        agent = grant_agent(request.client)
        if agent is not None and key != ifi_key(agent):
            raise XapiError(403, "a launch credential reads its learner only")
        return json_response(queries.person(key, json.loads(raw), _collectivity_id(request)))

    head = get


class ActivitiesView(XapiView):
    """``/xapi/activities``: the full definition of an activity, merged from the statements."""

    def get(self, request):
        if set(request.params) - {"activityId"}:
            raise XapiError(400, "activities takes only the activityId parameter")
        activity_id = _iri_param(request.params, "activityId")
        return json_response(queries.activity_definition(activity_id, _collectivity_id(request)))

    head = get
