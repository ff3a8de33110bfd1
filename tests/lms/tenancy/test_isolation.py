"""Isolation, the property that must never break: an HR manager of A sees nothing of collectivity B.

The URLs are discovered, not listed: every URL pattern of Tremplin's apps (a view defined in ``lms``,
``courses`` or ``competences``, or a Wagtail viewset on one of their models) found by walking the URL
resolver. Views that take an object id are called with every id of B's objects and must answer 403 or 404
(401 for an API that wants its own credentials; Wagtail's "no permission on this model at all" redirect
to the admin home counts as a refusal too); views without an id (lists, dashboards, exports) must show nothing
of B. B's objects are found by following foreign keys, not by asking the scope module under test.
"""

import uuid
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

OUR_APPS = {"lms", "lms_courses", "lms_competences"}
OUR_MODULES = ("lms.", "courses.", "competences.")
DENIED = {401, 403, 404}


@dataclass
class Route:
    name: str
    params: dict  # name -> converter class name ("int", "str", "uuid", "slug", "path")
    model: type | None


def _converters(pattern) -> dict:
    converters = getattr(pattern, "converters", None)
    if converters:
        return {
            name: type(conv).__name__.replace("Converter", "").lower() for name, conv in converters.items()
        }
    regex = getattr(pattern, "regex", None)
    return {name: "str" for name in regex.groupindex} if regex is not None else {}


def _walk(resolver, namespace=None, params=None):
    for entry in resolver.url_patterns:
        found = {**(params or {}), **_converters(entry.pattern)}
        if isinstance(entry, URLResolver):
            ns = ":".join(filter(None, [namespace, entry.namespace])) or None
            yield from _walk(entry, ns, found)
        elif isinstance(entry, URLPattern) and entry.name:
            yield ":".join(filter(None, [namespace, entry.name])), found, entry.callback


def _ours(callback) -> tuple[bool, type | None]:
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    model = (getattr(callback, "view_initkwargs", None) or {}).get("model")
    if isinstance(model, str):
        model = apps.get_model(model)
    module = (view_class or callback).__module__
    own_model = model is not None and model._meta.app_label in OUR_APPS
    return module.startswith(OUR_MODULES) or own_model, model


def discover_routes() -> list[Route]:
    """Every named URL pattern of Tremplin's apps, with its parameters and model (if a viewset's)."""
    routes = {}
    for name, params, callback in _walk(get_resolver()):
        ours, model = _ours(callback)
        if ours:
            routes[name] = Route(name, params, model)
    return list(routes.values())


def _owned_by_collectivities(model) -> bool:
    """Whether rows of ``model`` belong to a collectivity or a person (and so must be scoped)."""
    targets = {apps.get_model("lms", "Collectivity"), get_user_model()}
    return (
        any(
            isinstance(f, models.ForeignKey | models.OneToOneField) and f.related_model in targets
            for f in model._meta.get_fields()
        )
        or model in targets
    )


def _our_models():
    return [m for m in apps.get_models() if m._meta.app_label in OUR_APPS]


def owned_rows(tenant) -> dict[type, set]:
    """The primary keys of every row that belongs to ``tenant``, found without asking the scope module.

    A row belongs to the tenant when a foreign key leads to its collectivity, to one of its people or to a row
    that belongs to it, or when it names one of its people's pseudonymous actors.
    """
    user_model, collectivity_model = get_user_model(), apps.get_model("lms", "Collectivity")
    people = set(tenant.collectivity.memberships.values_list("user_id", flat=True))
    actors = {
        str(a)
        for a in apps.get_model("lms", "Learner")
        .objects.filter(user__in=people)
        .values_list("actor_name", flat=True)
    }
    owned = {collectivity_model: {tenant.collectivity.pk}, user_model: people}
    for _ in range(3):
        for model in _our_models():
            condition = models.Q(pk__in=[])
            for f in model._meta.concrete_fields:
                if f.is_relation and owned.get(f.related_model):
                    condition |= models.Q(**{f"{f.name}__in": owned[f.related_model]})
                elif f.name == "actor_name" and actors:
                    condition |= models.Q(**{f"{f.name}__in": actors})
            found = set(model._default_manager.filter(condition).values_list("pk", flat=True))
            owned[model] = owned.get(model, set()) | found
    return owned


def _b_only(model, tenant_a, tenant_b) -> set:
    """B's rows of ``model`` that are not A's too (a person may belong to both)."""
    return owned_rows(tenant_b).get(model, set()) - owned_rows(tenant_a).get(model, set())


def _all_b_values(tenant_a, tenant_b) -> dict[str, set[str]]:
    """Every identifier of B's objects, by converter: to call views whose model is not known."""
    values = {"int": set(), "uuid": set(), "str": set()}
    owned_a, owned_b = owned_rows(tenant_a), owned_rows(tenant_b)
    for model, pks in owned_b.items():
        for row in model._default_manager.filter(pk__in=pks - owned_a.get(model, set())):
            for f in row._meta.concrete_fields:
                value = getattr(row, f.attname)
                if f.primary_key and isinstance(value, int):
                    values["int"].add(str(value))
                elif isinstance(value, uuid.UUID):
                    values["uuid"].add(str(value))
                if isinstance(f, models.SlugField | models.UUIDField | models.CharField) and value:
                    values["str"].add(str(value))
    values["str"] |= values["int"] | values["uuid"]
    return values


def _wagtail_permission_denied(response) -> bool:
    """Wagtail's admin answers "no permission" (for the whole model, before any object) by a redirect home."""
    return response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")


def _call(client, url):
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url, {})
    return response


def _leaks(response, markers) -> list[str]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8", "replace")
    return [marker for marker in markers if marker in text]


def test_discovery_finds_the_object_urls_of_the_organisation_admin():
    names = {route.name for route in discover_routes() if route.params}
    assert {"lms_membership:edit", "lms_service:delete", "lms_collectivity:inspect"} <= names


def test_hr_manager_of_a_gets_403_or_404_for_every_object_of_b(client, two_tenants):
    tenant_a, tenant_b = two_tenants
    assert client.login(username=tenant_a.hr.username, password=PASSWORD)
    any_values = _all_b_values(tenant_a, tenant_b)
    failures, checked = [], 0
    for route in discover_routes():
        if not route.params:
            continue
        if route.model is not None:
            if route.model._meta.app_label not in OUR_APPS:
                continue
            candidates = [
                {name: str(pk) for name in route.params} for pk in _b_only(route.model, tenant_a, tenant_b)
            ]
        else:
            kinds = {kind if kind in any_values else "str" for kind in route.params.values()}
            candidates = [
                {name: value for name in route.params} for kind in kinds for value in any_values[kind]
            ]
        for kwargs in candidates:
            try:
                url = reverse(route.name, kwargs=kwargs)
            except Exception:  # a value that does not fit this converter
                continue
            response = _call(client, url)
            checked += 1
            if response.status_code in DENIED or _wagtail_permission_denied(response):
                continue
            echoed = [m for m in tenant_b.markers if m not in url]  # not our own URL echoed back
            if route.model is not None or _leaks(response, echoed):
                failures.append(f"{url} -> {response.status_code}")
    assert (failures, checked > 20) == ([], True)


def test_lists_dashboards_and_exports_of_a_contain_nothing_of_b(client, two_tenants):
    tenant_a, tenant_b = two_tenants
    assert client.login(username=tenant_a.hr.username, password=PASSWORD)
    b = tenant_b.collectivity
    failures = []
    for route in discover_routes():
        if route.params:
            continue
        url = reverse(route.name)
        for query in ("", "?export=csv", f"?collectivity={b.slug}", f"?collectivity={b.pk}", "?q=zebulon"):
            response = client.get(url + query)
            markers = [m for m in tenant_b.markers if m.lower() not in query.lower()]  # not our own echo
            if response.status_code >= 500:
                failures.append(f"{url}{query} -> {response.status_code}")
            elif response.status_code == 200 and (leaked := _leaks(response, markers)):
                public = Client().get(url + query)  # what anyone may read is no leak (e.g. commune names)
                if public.status_code != 200 or set(leaked) - set(_leaks(public, leaked)):
                    failures.append(f"{url}{query} shows {leaked}")
    assert failures == []


def test_hr_manager_of_a_sees_a_own_people_in_the_memberships_list(client, two_tenants):
    tenant_a, _ = two_tenants
    client.login(username=tenant_a.hr.username, password=PASSWORD)
    assert tenant_a.agent.username in client.get(reverse("lms_membership:index")).content.decode()


def test_hr_manager_of_a_cannot_attach_a_person_of_b_nor_write_into_b(client, two_tenants):
    tenant_a, tenant_b = two_tenants
    client.login(username=tenant_a.hr.username, password=PASSWORD)
    client.post(
        reverse("lms_membership:add"),
        {"user": tenant_b.agent.pk, "collectivity": tenant_a.collectivity.pk, "role": "agent"},
    )
    client.post(
        reverse("lms_membership:add"),
        {"user": tenant_a.agent.pk, "collectivity": tenant_b.collectivity.pk, "role": "elected_official"},
    )
    client.post(reverse("lms_service:add"), {"collectivity": tenant_b.collectivity.pk, "name": "Intrusion"})
    writes = (
        tenant_b.agent.lms_memberships.filter(collectivity=tenant_a.collectivity).exists(),
        tenant_a.agent.lms_memberships.filter(collectivity=tenant_b.collectivity).exists(),
        tenant_b.collectivity.services.filter(name="Intrusion").exists(),
    )
    assert writes == (False, False, False)


def test_hr_manager_of_a_adds_a_membership_for_their_own_person(client, two_tenants):
    tenant_a, _ = two_tenants
    client.login(username=tenant_a.hr.username, password=PASSWORD)
    client.post(
        reverse("lms_membership:add"),
        {
            "user": tenant_a.agent.pk,
            "collectivity": tenant_a.collectivity.pk,
            "role": "elected_official",
            "mandate": "adjoint",
        },
    )
    assert tenant_a.agent.lms_memberships.filter(role="elected_official", mandate="adjoint").exists()
