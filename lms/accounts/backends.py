"""An authentication backend that refuses sign-in while a username or an address is locked out."""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver

from lms.services import accounts


def _ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


class LockoutModelBackend(ModelBackend):
    """Django's model backend, refusing every attempt (right password included) during a lock-out.

    Put it in ``AUTHENTICATION_BACKENDS`` instead of ``ModelBackend``: every login form that calls
    ``authenticate()`` (the site's and the Wagtail admin's) is then protected.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username and accounts.is_locked_out(username, _ip(request)):
            raise PermissionDenied  # stops the other backends; Django sends user_login_failed
        return super().authenticate(request, username=username, password=password, **kwargs)


@receiver(user_login_failed, dispatch_uid="lms_record_login_failure")
def _record_failure(sender, credentials, request=None, **kwargs):
    username = credentials.get("username")
    if username:
        accounts.record_failure(username, _ip(request))


@receiver(user_logged_in, dispatch_uid="lms_clear_login_failures")
def _clear_failures(sender, request, user, **kwargs):
    accounts.clear_failures(user.get_username())
