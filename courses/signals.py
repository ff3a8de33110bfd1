"""Signal receivers of the courses app: thin, they call services."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from . import services


@receiver(user_logged_in, dispatch_uid="lms_courses_attach_session_progress")
def attach_session_progress(sender, request, user, **kwargs):
    """A visitor who logs in (or signs up) keeps the progress they made without an account."""
    if request is not None and hasattr(request, "session"):
        services.attach_session_progress(user, request.session)
