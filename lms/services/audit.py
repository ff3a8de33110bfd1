"""The audit log of access to people's individual data, readable by platform administrators."""

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
