"""Learner-facing pages: the learner's space, their data (export, erasure), accessibility, privacy."""

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django.views.generic import FormView, TemplateView

from lms.models import Enrolment, LearnerCompetenceLevel
from lms.services import privacy
from lms.services.organisations import learner_for


class EraseAccountForm(forms.Form):
    password = forms.CharField(
        label=_("Your password, to confirm"),
        strip=False,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(label=_("I understand that erasure cannot be undone."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        # Accounts created by single sign-on have no password: the box suffices for them.
        if self.user.has_usable_password() and not self.user.check_password(password):
            raise forms.ValidationError(gettext("This is not your password."))
        return password


class AccessibilityView(TemplateView):
    template_name = "lms/accessibility.html"


class MyLearningView(LoginRequiredMixin, TemplateView):
    """« Mon parcours »: the learner's courses and validated competence levels."""

    template_name = "lms/my_learning.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["enrolments"] = (
            Enrolment.objects.filter(user=self.request.user).select_related("course").order_by("-enrolled_at")
        )
        context["levels"] = (
            LearnerCompetenceLevel.objects.filter(actor_name=str(learner_for(self.request.user).actor_name))
            .select_related("competence")
            .order_by("competence__sort_order")
        )
        return context


class PrivacyView(TemplateView):
    """The privacy page, written from the settings in force (what is kept, how long, who sees what)."""

    template_name = "lms/privacy.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(privacy.facts())
        return context


class MyDataView(LoginRequiredMixin, TemplateView):
    """« Mes données »: download everything, or erase the account."""

    template_name = "lms/my_data.html"


@login_required
@require_POST
def export_my_data(request, fmt):
    """Download the signed-in person's data as JSON or as a ZIP of CSV files."""
    if fmt == "json":
        response = HttpResponse(privacy.export_json(request.user), content_type="application/json")
        name = "tremplin-mes-donnees.json"
    elif fmt == "csv":
        response = HttpResponse(privacy.export_csv_zip(request.user), content_type="application/zip")
        name = "tremplin-mes-donnees.zip"
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class EraseMyAccountView(LoginRequiredMixin, FormView):
    """Erase the signed-in person's account after they confirm with their password."""

    template_name = "lms/erase_account.html"
    form_class = EraseAccountForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        user = self.request.user
        logout(self.request)
        privacy.erase_person(user, by=user)
        messages.success(self.request, gettext("Your account has been erased."))
        return redirect("/")
