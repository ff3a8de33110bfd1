"""The one place that decides which collectivities' figures a viewer may see.

Every dashboard and export query starts from :func:`visible_collectivities`.
"""

from django.db.models import QuerySet

from lms.models import Collectivity, Membership


def visible_collectivities(user) -> QuerySet[Collectivity]:
    """Return the collectivities whose aggregated figures ``user`` may see.

    An HR manager sees the collectivities they manage; a superuser (platform administrator) sees all;
    anyone else sees none.
    """
    if not user.is_authenticated or not user.is_active:
        return Collectivity.objects.none()
    if user.is_superuser:
        return Collectivity.objects.all()
    return Collectivity.objects.filter(
        memberships__user=user, memberships__role=Membership.Role.HR_MANAGER
    ).distinct()
