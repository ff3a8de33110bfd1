"""People and organisations: memberships, learner identities, HR access."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from lms.conf import lms_settings
from lms.models import Collectivity, Learner, Membership

ADMIN_ROLES = (Membership.Role.HR_MANAGER, Membership.Role.EDITOR)


def learner_for(user) -> Learner:
    """Return the pseudonymous learner identity of ``user``, creating it on first use."""
    learner, _ = Learner.objects.get_or_create(user=user)
    return learner


def hr_group() -> Group:
    """Return the group that lets HR managers into the Wagtail admin (created on first use)."""
    group, created = Group.objects.get_or_create(name=lms_settings.HR_GROUP_NAME)
    if created:
        group.permissions.add(
            Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
        )
    return group


@transaction.atomic
def add_membership(user, collectivity: Collectivity, role: str) -> Membership:
    """Attach ``user`` to ``collectivity`` with ``role``; HR managers and editors get admin access.

    Idempotent: an existing membership is returned unchanged.
    """
    membership, _ = Membership.objects.get_or_create(user=user, collectivity=collectivity, role=role)
    if role in ADMIN_ROLES:
        user.groups.add(hr_group())
    if role in Membership.LEARNER_ROLES:
        learner_for(user)
    return membership


def learning_collectivity(user) -> Collectivity | None:
    """Return the collectivity a learner's activity is attributed to: their first agent or élu membership."""
    membership = (
        Membership.objects.filter(user=user, role__in=Membership.LEARNER_ROLES)
        .select_related("collectivity")
        .order_by("role", "pk")
        .first()
    )
    return membership.collectivity if membership else None
