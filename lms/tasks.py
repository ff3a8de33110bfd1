"""Celery tasks of the lms core: invitation emails and the retention of personal data."""

from smtplib import SMTPException

from celery import shared_task

from lms.models import Collectivity
from lms.services import accounts, privacy


@shared_task(
    name="lms.tasks.send_invitations",
    acks_late=True,
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    max_retries=5,
)
def send_invitations(user_ids: list[int], collectivity_id: int | None = None) -> int:
    """Email invitations (set-password links) to the given accounts; returns how many were sent."""
    collectivity = Collectivity.objects.filter(pk=collectivity_id).first()
    return accounts.send_invitations(user_ids, collectivity.name if collectivity else "")


@shared_task(name="lms.tasks.apply_retention", acks_late=True, max_retries=3)
def apply_retention() -> int:
    """Erase the accounts whose retention period has passed (idempotent); returns how many were erased."""
    return privacy.apply_retention()
