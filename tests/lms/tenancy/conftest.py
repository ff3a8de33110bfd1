"""A populated tenant: a collectivity, its HR manager, an agent, a service, progress, statements, levels."""

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.utils import timezone
from wagtail.models import Page

from competences.models import Competence
from lms.models import (
    AuditLogEntry,
    Collectivity,
    CollectivitySnapshot,
    CompetenceEvidence,
    Enrolment,
    LearnerCompetenceLevel,
    Membership,
    Service,
    Statement,
)
from lms.services.organisations import add_membership, learner_for
from lms.xapi import vocabulary as v
from lms.xapi.builders import ActivityRef, build_statement
from lms.xapi.storage import get_store
from tests.conftest import _wagtail_root, make_user


@dataclass
class Tenant:
    collectivity: Collectivity
    hr: object
    agent: object
    service: Service
    markers: list[str] = field(default_factory=list)


def populate(name: str, slug: str, competence: Competence) -> Tenant:
    """Create a collectivity ``name`` with people and learning data; return it with its marker strings."""
    collectivity = Collectivity.objects.create(name=name, slug=slug, kind="commune", population=1234)
    service = Service.objects.create(collectivity=collectivity, name=f"Service {name}")
    hr = make_user(f"rh-{slug}", collectivity, Membership.Role.HR_MANAGER)
    agent = make_user(f"agent-{slug}")
    add_membership(agent, collectivity, Membership.Role.AGENT, service=service, category="C")
    actor = str(learner_for(agent).actor_name)
    now = timezone.now() - timedelta(days=1)
    enrolment = Enrolment.objects.create(
        user=agent, course=Page.objects.get(depth=1), collectivity=collectivity, enrolled_at=now
    )
    activity = ActivityRef(id=f"http://testserver/{slug}/quiz", name=f"Quiz {name}", type=v.ASSESSMENT)
    statement = build_statement(
        actor_name=actor, verb=v.PASSED, activity=activity, timestamp=now, registration=enrolment.registration
    )
    statement_id = get_store().store([statement], collectivity=collectivity)[0]
    CompetenceEvidence.objects.create(
        statement_id=statement_id, actor_name=actor, competence=competence, level=3, occurred_at=now
    )
    LearnerCompetenceLevel.objects.create(actor_name=actor, competence=competence, level=3, reached_at=now)
    CollectivitySnapshot.objects.create(
        collectivity=collectivity,
        kind=CollectivitySnapshot.Kind.LEVEL_DISTRIBUTION,
        computed_at=now,
        watermark=Statement.objects.order_by("-seq").first().seq,
        data={"learners": 1, "competences": []},
    )
    AuditLogEntry.objects.create(actor=hr, actor_label=hr.username, action="viewed", subject=agent)
    return Tenant(
        collectivity=collectivity,
        hr=hr,
        agent=agent,
        service=service,
        markers=[name, slug, agent.username, agent.email, actor, str(statement_id), service.name],
    )


@pytest.fixture
def two_tenants(frameworks):
    _wagtail_root()  # gone after a transactional test elsewhere
    competence = Competence.objects.order_by("pk").first()
    tenant_a = populate("Ville Alpha", "alpha-ville", competence)
    tenant_b = populate("Bourg Zebulon", "zebulon-bourg", competence)
    return tenant_a, tenant_b
