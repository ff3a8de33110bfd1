"""Learner-facing pages of the lms app: the learner's space and the accessibility statement."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from lms.models import Enrolment, LearnerCompetenceLevel
from lms.services.organisations import learner_for


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
