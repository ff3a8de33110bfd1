"""Accounts: invitation and confirmation tokens and emails, public sign-up, lock-out after failures."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode
from django.utils.translation import gettext

from lms.conf import lms_settings
from lms.models import Collectivity, LoginFailure

from .organisations import learner_for


class _MaxAgeTokenGenerator(PasswordResetTokenGenerator):
    """Django's token generator with its own salt and maximum age (an ``LMS_`` setting)."""

    max_age_setting = ""

    def check_token(self, user, token):
        if not (user and token) or "-" not in token:
            return False
        ts_b36, _hash = token.split("-", 1)
        try:
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        if not constant_time_compare(self._make_token_with_timestamp(user, ts, self.secret), token):
            return False
        return (self._num_seconds(self._now()) - ts) <= getattr(lms_settings, self.max_age_setting)


class InvitationTokenGenerator(_MaxAgeTokenGenerator):
    """Tokens of an invitation's set-password link; used once (setting a password changes them)."""

    key_salt = "lms.services.accounts.InvitationTokenGenerator"
    max_age_setting = "INVITATION_MAX_AGE"


class ConfirmationTokenGenerator(_MaxAgeTokenGenerator):
    """Tokens of the email confirmation link of a public sign-up; void once the account is active."""

    key_salt = "lms.services.accounts.ConfirmationTokenGenerator"
    max_age_setting = "SIGNUP_CONFIRMATION_MAX_AGE"

    def _make_hash_value(self, user, timestamp):
        return f"{super()._make_hash_value(user, timestamp)}{user.is_active}"


invitation_tokens = InvitationTokenGenerator()
confirmation_tokens = ConfirmationTokenGenerator()


def _link(name: str, user, token: str) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return lms_settings.SITE_URL.rstrip("/") + reverse(name, kwargs={"uidb64": uid, "token": token})


def invitation_link(user) -> str:
    """Return the absolute, expiring link where an invited person sets their password."""
    return _link("lms:invitation", user, invitation_tokens.make_token(user))


def confirmation_link(user) -> str:
    """Return the absolute, expiring link that confirms a public sign-up's email address."""
    return _link("lms:signup_confirm", user, confirmation_tokens.make_token(user))


def send_invitations(user_ids, collectivity_name: str = "") -> int:
    """Email each user an invitation with their set-password link, over one connection.

    Args:
        user_ids: the invited accounts (those without an email are skipped).
        collectivity_name: named in the message.

    Returns:
        The number of messages sent.
    """
    days = max(1, lms_settings.INVITATION_MAX_AGE // 86400)
    messages = []
    for user in get_user_model().objects.filter(pk__in=list(user_ids)).exclude(email=""):
        body = gettext(
            "Hello,\n\n%(collectivity)s invites you to Tremplin, its training portal.\n"
            "Choose your password here (the link is valid for %(days)s days):\n%(link)s\n\n"
            "Your username: %(username)s\n"
        ) % {
            "collectivity": collectivity_name or "Tremplin",
            "days": days,
            "link": invitation_link(user),
            "username": user.get_username(),
        }
        messages.append(EmailMessage(gettext("Your Tremplin account"), body, to=[user.email]))
    if not messages:
        return 0
    return get_connection().send_messages(messages) or 0


@transaction.atomic
def sign_up(*, email: str, password: str, first_name: str = "", commune: Collectivity | None = None):
    """Create an inactive public account and email its confirmation link.

    The optional ``commune`` is recorded on the learner identity only, to count the person anonymously in its
    inclusion figures: it gives no membership and the commune's managers never see the person.

    Returns:
        The new (inactive) user.
    """
    user = get_user_model().objects.create_user(
        username=email.lower(), email=email.lower(), password=password, first_name=first_name, is_active=False
    )
    learner = learner_for(user)
    if commune is not None:
        learner.declared_commune = commune
        learner.save(update_fields=["declared_commune"])
    body = gettext(
        "Hello,\n\nConfirm your email address to open your Tremplin account "
        "(the link is valid for %(days)s days):\n%(link)s\n"
    ) % {"days": max(1, lms_settings.SIGNUP_CONFIRMATION_MAX_AGE // 86400), "link": confirmation_link(user)}
    transaction.on_commit(
        lambda: EmailMessage(gettext("Confirm your Tremplin account"), body, to=[user.email]).send()
    )
    return user


def confirm_sign_up(user, token: str) -> bool:
    """Activate ``user`` if ``token`` confirms their sign-up; return whether it did."""
    if user.is_active or not confirmation_tokens.check_token(user, token):
        return False
    user.is_active = True
    user.save(update_fields=["is_active"])
    return True


def _window_start():
    return timezone.now() - timedelta(seconds=lms_settings.LOCKOUT_WINDOW)


def is_locked_out(username: str, ip_address: str | None = None) -> bool:
    """Return whether sign-in is refused: too many recent failures for this username or this address."""
    recent = LoginFailure.objects.filter(at__gte=_window_start())
    limit = lms_settings.LOCKOUT_FAILURES
    if recent.filter(username=username.lower()).count() >= limit:
        return True
    # An address trying many usernames is locked out too, with a higher threshold (offices share addresses).
    return bool(ip_address) and recent.filter(ip_address=ip_address).count() >= limit * 4


def record_failure(username: str, ip_address: str | None = None) -> None:
    """Record a failed sign-in (and forget failures older than the window)."""
    LoginFailure.objects.filter(at__lt=_window_start()).delete()
    LoginFailure.objects.create(username=username.lower()[:254], ip_address=ip_address or None)


def clear_failures(username: str) -> None:
    """Forget a username's failures after a successful sign-in."""
    LoginFailure.objects.filter(username=username.lower()).delete()
