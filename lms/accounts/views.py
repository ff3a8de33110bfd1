"""Public sign-up with email confirmation, and the set-password page of invitations."""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.views import PasswordResetConfirmView
from django.http import Http404
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.encoding import force_str
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.utils.translation import gettext
from django.views.generic import FormView

from lms.conf import lms_settings
from lms.services import accounts, identity

from . import oidc
from .forms import SignUpForm

logger = logging.getLogger(__name__)


class SignUpView(FormView):
    template_name = "lms/accounts/signup.html"
    form_class = SignUpForm

    def dispatch(self, request, *args, **kwargs):
        if not lms_settings.PUBLIC_SIGNUP:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        accounts.sign_up(
            email=data["email"],
            password=data["password1"],
            first_name=data["first_name"],
            commune=data["commune"],
        )
        return render(self.request, "lms/accounts/signup_sent.html", {"email": data["email"]})


def confirm_sign_up(request, uidb64, token):
    """Activate the account of a confirmed sign-up, then send the person to the login page."""
    try:
        user = get_user_model().objects.get(pk=force_str(urlsafe_base64_decode(uidb64)))
    except (ValueError, TypeError, OverflowError, get_user_model().DoesNotExist):
        user = None
    if user is None or not accounts.confirm_sign_up(user, token):
        return render(request, "lms/accounts/signup_invalid.html", status=400)
    messages.success(request, gettext("Your email address is confirmed: you can log in."))
    return redirect(_login_url())


def _login_url():
    return resolve_url(settings.LOGIN_URL)


class InvitationView(PasswordResetConfirmView):
    """An invited person chooses their password (Django's validators apply); the link expires."""

    token_generator = accounts.invitation_tokens
    template_name = "lms/accounts/invitation.html"
    success_url = reverse_lazy("lms:invitation_done")


def invitation_done(request):
    return render(request, "lms/accounts/invitation_done.html")


def oidc_login(request, provider):
    """Send the browser to the identity provider ``provider`` (ProConnect, FranceConnect)."""
    backend = oidc.get_backend(provider)
    if backend is None:
        raise Http404
    next_url = request.GET.get("next", "")
    # A path only: ``redirect()`` would read a bare word (« next=foo ») as the name of a URL pattern.
    if next_url.startswith("/") and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}
    ):
        request.session["lms_oidc_next"] = next_url
    redirect_uri = request.build_absolute_uri(reverse("lms:oidc_callback", kwargs={"provider": provider}))
    return backend.authorization_redirect(request, redirect_uri)


def oidc_callback(request, provider):
    """Receive the provider's answer, sign the person in (creating or attaching their account)."""
    backend = oidc.get_backend(provider)
    if backend is None:
        raise Http404
    try:
        found = backend.identity_from_callback(request)
        user = identity.sign_in(found, audience=backend.config.get("audience", "public"))
    except Exception:  # any protocol or provider failure: the person sees a message, nothing is created
        logger.exception("OpenID Connect sign-in with %s failed", provider)
        messages.error(request, gettext("Sign-in with this provider failed. Please try again."))
        return redirect(_login_url())
    if not user.is_active:
        messages.error(request, gettext("This account is disabled."))
        return redirect(_login_url())
    login(request, user, backend="lms.accounts.backends.LockoutModelBackend")
    return redirect(request.session.pop("lms_oidc_next", "") or settings.LOGIN_REDIRECT_URL)
