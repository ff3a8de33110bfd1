"""The one place that decides what a viewer may see of collectivities, people and their learning.

Two notions, never to be mixed up:

* **individuals visible** (:func:`individuals_visible_collectivities`): the collectivities whose people a
  viewer may see one by one — their memberships, progress, statements, exports. An HR manager sees those they
  manage; a platform administrator (superuser) sees all.
* **aggregates visible** (:func:`visible_collectivities`): the collectivities whose aggregated figures a
  viewer may read. On top of the above, an HR manager of an EPCI or a centre de gestion reads the figures of
  the member collectivities that agreed to it (:class:`~lms.models.AggregateSharing`, revocable)
  — never their people.

Every query for people, progress, statements, dashboards and exports starts from a function of this module;
:func:`scoped_queryset` gives the scoped queryset of any model it knows, for generic (admin) views.
"""

from django.contrib.auth import get_user_model
from django.db.models import F, Model, Q, QuerySet

from competences.models import JobProfile
from lms.models import (
    AggregateSharing,
    AuditLogEntry,
    Collectivity,
    CollectivitySnapshot,
    Enrolment,
    Learner,
    Membership,
    Service,
    Statement,
)


def _is_platform_admin(user) -> bool:
    return user.is_authenticated and user.is_active and user.is_superuser


def _managed_ids(user) -> QuerySet:
    return Membership.objects.filter(user=user, role=Membership.Role.HR_MANAGER).values("collectivity_id")


def individuals_visible_collectivities(user) -> QuerySet[Collectivity]:
    """Return the collectivities whose people ``user`` may see one by one.

    Args:
        user: the viewer (anonymous users see nothing).

    Returns:
        All collectivities for a platform administrator, those the user is HR manager of otherwise.
    """
    if not user.is_authenticated or not user.is_active:
        return Collectivity.objects.none()
    if user.is_superuser:
        return Collectivity.objects.all()
    return Collectivity.objects.filter(pk__in=_managed_ids(user))


#: The collectivities a viewer administers (edits their services, memberships, sharing agreements).
managed_collectivities = individuals_visible_collectivities


def visible_collectivities(user) -> QuerySet[Collectivity]:
    """Return the collectivities whose aggregated figures ``user`` may see.

    An HR manager sees the collectivities they manage, plus the members of a managed EPCI or centre de
    gestion that have an active agreement to share their figures with it; a platform administrator sees all;
    anyone else sees none. Dashboards and aggregated exports start here.
    """
    if not user.is_authenticated or not user.is_active:
        return Collectivity.objects.none()
    if user.is_superuser:
        return Collectivity.objects.all()
    managed = _managed_ids(user)
    shared = AggregateSharing.objects.filter(
        grouping_id__in=managed,
        grouping__kind__in=Collectivity.GROUPING_KINDS,
        revoked_at__isnull=True,
    ).filter(member__groupings=F("grouping_id"))
    return Collectivity.objects.filter(Q(pk__in=managed) | Q(pk__in=shared.values("member_id"))).distinct()


def visible_memberships(user) -> QuerySet[Membership]:
    """Return the memberships (people with their role, service, job profile) ``user`` may see."""
    return Membership.objects.filter(collectivity__in=individuals_visible_collectivities(user))


def visible_people(user) -> QuerySet:
    """Return the accounts of the people ``user`` may see one by one (distinct)."""
    if _is_platform_admin(user):
        return get_user_model().objects.all()
    return get_user_model().objects.filter(pk__in=visible_memberships(user).values("user_id"))


def can_see_person(user, person) -> bool:
    """Return whether ``user`` may see ``person``'s individual data (themselves always)."""
    if user.is_authenticated and user.pk == person.pk:
        return True
    return visible_people(user).filter(pk=person.pk).exists()


def visible_services(user) -> QuerySet[Service]:
    """Return the services of the collectivities whose people ``user`` may see."""
    return Service.objects.filter(collectivity__in=individuals_visible_collectivities(user))


def visible_learners(user) -> QuerySet[Learner]:
    """Return the pseudonymous learner identities of the people ``user`` may see."""
    return Learner.objects.filter(user__in=visible_people(user))


def visible_statements(user) -> QuerySet[Statement]:
    """Return the statements ``user`` may read one by one: of visible people or visible collectivities."""
    if _is_platform_admin(user):
        return Statement.objects.all()
    actors = [str(name) for name in visible_learners(user).values_list("actor_name", flat=True)]
    return Statement.objects.filter(
        Q(collectivity__in=individuals_visible_collectivities(user)) | Q(actor_name__in=actors)
    )


def visible_enrolments(user) -> QuerySet[Enrolment]:
    """Return the enrolments (progress) of the people ``user`` may see."""
    if _is_platform_admin(user):
        return Enrolment.objects.all()
    return Enrolment.objects.filter(user__in=visible_people(user))


def visible_snapshots(user) -> QuerySet[CollectivitySnapshot]:
    """Return the aggregated snapshots ``user`` may read."""
    return CollectivitySnapshot.objects.filter(collectivity__in=visible_collectivities(user))


def visible_sharings(user) -> QuerySet[AggregateSharing]:
    """Return the sharing agreements ``user`` sees: those given by, or to, a collectivity they manage."""
    managed = individuals_visible_collectivities(user)
    return AggregateSharing.objects.filter(Q(member__in=managed) | Q(grouping__in=managed))


def visible_audit_log(user) -> QuerySet[AuditLogEntry]:
    """Return the audit log entries ``user`` may read: all of them for a platform administrator only."""
    return AuditLogEntry.objects.all() if _is_platform_admin(user) else AuditLogEntry.objects.none()


def visible_job_profiles(user) -> QuerySet[JobProfile]:
    """Return the job profiles ``user`` may read: the shared ones and those of the collectivities they manage.

    Anyone signed in to the admin who manages no collectivity reads the shared ones only; a platform
    administrator reads all.
    """
    if not user.is_authenticated or not user.is_active:
        return JobProfile.objects.none()
    if user.is_superuser:
        return JobProfile.objects.all()
    return JobProfile.objects.filter(Q(collectivity__isnull=True) | Q(collectivity_id__in=_managed_ids(user)))


def managed_job_profiles(user) -> QuerySet[JobProfile]:
    """Return the job profiles ``user`` may change or delete: their collectivities' own (all for an admin)."""
    if _is_platform_admin(user):
        return JobProfile.objects.all()
    return JobProfile.objects.filter(collectivity__in=managed_collectivities(user))


_SCOPES = {
    JobProfile: visible_job_profiles,
    Collectivity: individuals_visible_collectivities,
    Service: visible_services,
    Membership: visible_memberships,
    AggregateSharing: visible_sharings,
    AuditLogEntry: visible_audit_log,
    Learner: visible_learners,
    Statement: visible_statements,
    Enrolment: visible_enrolments,
    CollectivitySnapshot: visible_snapshots,
}


def scoped_queryset(user, model: type[Model]) -> QuerySet:
    """Return the rows of ``model`` that ``user`` may see.

    Raises:
        LookupError: when this module does not know how to scope ``model`` (a view must not guess).
    """
    if model is get_user_model():
        return visible_people(user)
    try:
        scope = _SCOPES[model]
    except KeyError:
        raise LookupError(f"No collectivity scope for {model._meta.label}") from None
    return scope(user)


def consenting_members(collectivity: Collectivity) -> QuerySet[Collectivity]:
    """Return the members of an EPCI or centre de gestion that share their aggregated figures with it.

    The dashboards' consolidated view reads only these (``LMS_CONSOLIDATION_CONSENT``); an agreement is
    recorded and revoked on the member's side (:class:`~lms.models.AggregateSharing`).
    """
    return Collectivity.objects.filter(
        groupings=collectivity,
        sharings_granted__grouping=collectivity,
        sharings_granted__revoked_at__isnull=True,
    ).distinct()
