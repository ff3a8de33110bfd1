"""Wagtail admin for the LRS: client credentials, forwarding targets and forwarding failures.

Registered by ``lms/wagtail_hooks.py``; forms and viewsets only call the model and forwarding services.
"""

from django import forms
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup

from lms.models import ForwardingFailure, ForwardingTarget, LrsClient

from .clients import CredentialError, check_key, check_secret


class LrsClientForm(forms.ModelForm):
    """Client credentials; the secret is written here and kept only hashed."""

    secret = forms.CharField(
        label=_("Secret"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "At least 16 characters. Required for a new client; leave empty to keep the current secret."
        ),
    )

    class Meta:
        model = LrsClient
        fields = ["name", "key", "collectivity", "scope", "active"]

    def clean_key(self):
        key = self.cleaned_data["key"]
        try:
            check_key(key)
        except CredentialError as error:
            raise forms.ValidationError(str(error)) from error
        return key

    def clean_secret(self):
        secret = self.cleaned_data["secret"]
        if not secret and not self.instance.pk:
            raise forms.ValidationError(_("A new client needs a secret."))
        if secret:
            try:
                check_secret(secret)
            except CredentialError as error:
                raise forms.ValidationError(str(error)) from error
        return secret

    def save(self, commit=True):
        client = super().save(commit=False)
        if self.cleaned_data["secret"]:
            client.set_secret(self.cleaned_data["secret"])
        if commit:
            client.save()
        return client


class LrsClientViewSet(ModelViewSet):
    model = LrsClient
    icon = "key"
    menu_label = _("LRS clients")
    url_prefix = "tremplin/lrs-clients"
    list_display = ["name", "key", "collectivity", "scope", "active", "created"]
    list_filter = ["scope", "active"]
    search_fields = ["name", "key"]

    def get_form_class(self, for_update=False):
        return LrsClientForm


class ForwardingTargetViewSet(ModelViewSet):
    model = ForwardingTarget
    icon = "redirect"
    menu_label = _("Forwarding targets")
    url_prefix = "tremplin/forwarding-targets"
    list_display = ["name", "endpoint", "collectivity", "active", "last_seq", "last_success"]
    form_fields = ["name", "endpoint", "username", "password", "collectivity", "batch_size", "active"]

    def formfield_for_dbfield(self, db_field, **kwargs):
        if db_field.name == "password":
            kwargs["widget"] = forms.PasswordInput(render_value=True)
        if db_field.name == "endpoint":
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, **kwargs)


class ForwardingFailureForm(forms.ModelForm):
    """A failure's page: tick « retry now » to send its batch again."""

    retry_now = forms.BooleanField(
        label=_("Retry now"), required=False, help_text=_("Send this batch to the target again.")
    )

    class Meta:
        model = ForwardingFailure
        fields = ["resolved"]

    def save(self, commit=True):
        failure = super().save(commit=commit)
        if self.cleaned_data.get("retry_now") and failure.pk:
            from .tasks import retry_now

            transaction.on_commit(lambda: retry_now(failure.pk))
        return failure


class ForwardingFailureViewSet(ModelViewSet):
    model = ForwardingFailure
    icon = "warning"
    menu_label = _("Forwarding failures")
    url_prefix = "tremplin/forwarding-failures"
    list_display = [
        "target",
        "first_seq",
        "last_seq",
        "statement_count",
        "reason",
        "attempts",
        "resolved",
        "updated",
    ]
    list_filter = ["resolved", "target"]
    add_to_admin_menu = False

    def get_form_class(self, for_update=False):
        return ForwardingFailureForm


class LrsViewSetGroup(ModelViewSetGroup):
    """The « LRS » menu of the admin."""

    menu_label = _("LRS")
    menu_icon = "site"
    menu_order = 260
    items = (LrsClientViewSet, ForwardingTargetViewSet, ForwardingFailureViewSet)
