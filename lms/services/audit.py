"""The audit log of access to people's individual data, readable by platform administrators."""

from django.contrib.auth import get_user_model

from lms.models import AuditLogEntry

Action = AuditLogEntry.Action


def _label(user) -> str:
    if user is None or not getattr(user, "is_authenticated", True):
        return ""
    return user.get_username()


def record(actor, action: str, subject=None, *, what: str = "", collectivity=None) -> AuditLogEntry:
    """Record that ``actor`` did ``action`` on ``subject``'s individual data.

    The labels are copied so the entry keeps its meaning after either account is deleted.

    Args:
        actor: the user who acted (``None`` for the platform itself, e.g. a retention task).
        action: an :class:`~lms.models.AuditLogEntry.Action`.
        subject: the person whose data it was, if one.
        what: a short description (a page, an export format, a file).
        collectivity: the collectivity the access was made through, if one.
    """
    return AuditLogEntry.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        actor_label=_label(actor),
        action=action,
        subject=subject,
        subject_label=_label(subject),
        collectivity=collectivity,
        what=what[:255],
    )


def record_drilldown(request, collectivity, description: str, actor_names: list[str]) -> None:
    """Record that an HR manager opened the list of learners behind a dashboard figure: one entry per person.

    This is the dashboards' audit hook (``LMS_DRILLDOWN_AUDIT``).
    """
    people = get_user_model().objects.filter(lms_learner__actor_name__in=actor_names)
    actor = request.user if request.user.is_authenticated else None
    AuditLogEntry.objects.bulk_create(
        [
            AuditLogEntry(
                actor=actor,
                actor_label=_label(actor),
                action=Action.VIEWED,
                subject=person,
                subject_label=_label(person),
                collectivity=collectivity,
                what=description[:255],
            )
            for person in people
        ]
    )
