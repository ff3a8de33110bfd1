"""People and organisations: memberships, learner identities, HR access."""

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from lms.conf import lms_settings
from lms.models import AggregateSharing, Collectivity, Learner, Membership

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
def add_membership(user, collectivity: Collectivity, role: str, **details) -> Membership:
    """Attach ``user`` to ``collectivity`` with ``role``; HR managers and editors get admin access.

    Idempotent: an existing membership is returned, updated with the given ``details``.

    Args:
        user: the person.
        collectivity: the collectivity.
        role: a :class:`~lms.models.Membership.Role`.
        **details: other membership fields (``service``, ``job_profile``, ``mandate``, ``category``,
            ``filiere``, ``statut``).

    Raises:
        ValidationError: the job profile is another collectivity's own.
    """
    profile = details.get("job_profile")
    if profile is not None and profile.collectivity_id not in (None, collectivity.pk):
        raise ValidationError(
            gettext("The job profile must be shared or belong to the membership's collectivity.")
        )
    membership, created = Membership.objects.get_or_create(
        user=user, collectivity=collectivity, role=role, defaults=details
    )
    if not created and details:
        for field, value in details.items():
            setattr(membership, field, value)
        membership.save(update_fields=list(details))
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


@transaction.atomic
def grant_sharing(member: Collectivity, grouping: Collectivity, *, by=None) -> AggregateSharing:
    """Record that ``member`` lets ``grouping`` (its EPCI or centre de gestion) read its aggregated figures.

    Idempotent; granting again after a revocation re-opens the agreement.

    Raises:
        ValidationError: when ``grouping`` is not an EPCI or a centre de gestion that ``member`` belongs to.
    """
    if grouping.kind not in Collectivity.GROUPING_KINDS or not grouping.members.filter(pk=member.pk).exists():
        raise ValidationError(
            gettext("%(member)s is not a member of %(grouping)s.") % {"member": member, "grouping": grouping}
        )
    sharing, created = AggregateSharing.objects.get_or_create(
        member=member, grouping=grouping, defaults={"granted_by": by}
    )
    if not created and sharing.revoked_at is not None:
        sharing.revoked_at = None
        sharing.granted_at = timezone.now()
        sharing.granted_by = by
        sharing.save(update_fields=["revoked_at", "granted_at", "granted_by"])
    return sharing


def revoke_sharing(member: Collectivity, grouping: Collectivity) -> None:
    """Withdraw ``member``'s agreement to share its aggregated figures with ``grouping`` (no-op if none)."""
    AggregateSharing.objects.filter(member=member, grouping=grouping, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
