"""Learner-facing pages of the lms app: « Mon parcours », attestations, sign-up, accessibility statement.

Thin: they call :mod:`lms.learner_space.services` and friends.
"""

from django.contrib.auth import login
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import slugify
from django.views import View
from django.views.generic import FormView, TemplateView

from lms.learner_space import attestation as attestation_pdf
from lms.learner_space import services as learner_space

#: Geometry of the competence profile chart (SVG user units).
CHART_LABEL_WIDTH = 60
CHART_SCALE_WIDTH = 280
CHART_ROW_HEIGHT = 34
CHART_MAX_LEVEL = 8


class AccessibilityView(TemplateView):
    template_name = "lms/accessibility.html"


def chart(profile) -> dict:
    """Lay out the profile chart: one row per competence, a bar for validated, a mark for declared."""
    rows, y = [], 24
    unit = CHART_SCALE_WIDTH / CHART_MAX_LEVEL
    for area in profile:
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
            chart=chart(profile),
            job_profile=learner_space.job_profile_of(user),
            gaps=learner_space.gaps(user, profile),
            history=learner_space.history(user),
        )
        return context


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


class SignupView(FormView):
    """A light account for the public (username and password, no e-mail); keeps the visitor's progress."""

    template_name = "registration/signup.html"
    form_class = UserCreationForm

    def _next(self):
        target = self.request.POST.get("next") or self.request.GET.get("next") or ""
        if url_has_allowed_host_and_scheme(target, {self.request.get_host()}, self.request.is_secure()):
            return target
        return resolve_url("lms:my_learning")

    def get_context_data(self, **kwargs):
        return super().get_context_data(next=self._next(), **kwargs)

    def form_valid(self, form):
        user = form.save()
        login(self.request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(self._next())

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response
