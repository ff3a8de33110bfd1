"""Learner-facing pages: « Mon parcours », attestations, personal data, accessibility, privacy.

Thin: they call :mod:`lms.learner_space.services`, :mod:`lms.services.privacy` and friends.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.http import require_POST
from django.views.generic import FormView, TemplateView

from lms.learner_space import attestation as attestation_pdf
from lms.learner_space import services as learner_space
from lms.services import privacy

#: Geometry of the competence profile chart (SVG user units).
CHART_LABEL_WIDTH = 60
CHART_SCALE_WIDTH = 280
CHART_ROW_HEIGHT = 34
CHART_MAX_LEVEL = 8


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


def chart(areas) -> dict:
    """Lay out a profile chart: one row per competence, a bar for validated, a mark for declared."""
    rows, y = [], 24
    unit = CHART_SCALE_WIDTH / CHART_MAX_LEVEL
    for area in areas:
        for row in area.rows:
            rows.append(
                {
                    "code": row.competence.code,
                    "y": y,
                    "text_y": y + 15,
                    "validated_width": round(row.validated * unit, 1),
                    "declared_x": round(CHART_LABEL_WIDTH + (row.declared or 0) * unit, 1)
                    if row.declared is not None
                    else None,
                    "target_x": round(CHART_LABEL_WIDTH + row.target * unit, 1) if row.target else None,
                }
            )
            y += CHART_ROW_HEIGHT
    ticks = [
        {"level": level, "x": round(CHART_LABEL_WIDTH + level * unit, 1)}
        for level in range(CHART_MAX_LEVEL + 1)
    ]
    return {
        "rows": rows,
        "ticks": ticks,
        "width": CHART_LABEL_WIDTH + CHART_SCALE_WIDTH + 20,
        "height": y + 10,
        "axis_y": y,
        "label_width": CHART_LABEL_WIDTH,
        "bar_height": 20,
    }


def charts(profile) -> list[dict]:
    """One profile chart per framework, in the profile's order, each with its framework.

    Competence codes repeat across frameworks (CRCN 4.2 and DigComp 4.2): a chart whose rows are labelled by
    code names its framework in its title and caption.
    """
    groups: dict[int, tuple] = {}
    for area in profile:
        framework = area.area.framework
        groups.setdefault(framework.pk, (framework, []))[1].append(area)
    return [{"framework": framework, **chart(areas)} for framework, areas in groups.values()]


class MyLearningView(LoginRequiredMixin, TemplateView):
    """« Mon parcours »: courses, competence profile (chart and table), gaps, history, attestations."""

    template_name = "lms/my_learning.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        profile = learner_space.competence_profile(user)
        context.update(
            courses=learner_space.my_courses(user),
            profile=profile,
            charts=charts(profile),
            job_profile=learner_space.job_profile_of(user),
            gaps=learner_space.gaps(user, profile),
            history=learner_space.history(user),
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


class AttestationView(LoginRequiredMixin, View):
    """The PDF attestation of one of the learner's completed courses (404 for anything else)."""

    def get(self, request, enrolment_id: int):
        attestation = learner_space.attestation_for(request.user, enrolment_id)
        if attestation is None:
            raise Http404
        response = HttpResponse(attestation_pdf.render(attestation), content_type="application/pdf")
        filename = f"attestation-{slugify(attestation.course_title)[:60]}.pdf"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
