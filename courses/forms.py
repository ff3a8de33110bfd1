"""Forms of the courses app's admin views."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from competences.models import JobProfile
from lms.form_fields import BoundedModelChoiceField, BoundedModelMultipleChoiceField
from lms.models import Membership, Service

from .models import CoursePage


class AssignmentForm(forms.Form):
    """An HR manager assigns a course to people, to a job profile or to a service of their collectivity."""

    course = BoundedModelChoiceField(label=_("Course"), queryset=CoursePage.objects.none())
    collectivity = BoundedModelChoiceField(label=_("Collectivity"), queryset=None)
    learners = BoundedModelMultipleChoiceField(
        label=_("People"),
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick the agents or elected officials to assign the course to."),
    )
    job_profile = BoundedModelChoiceField(
        label=_("Or everyone with the job profile"),
        queryset=JobProfile.objects.none(),
        required=False,
    )
    service = BoundedModelChoiceField(
        label=_("Or everyone in the service"),
        queryset=Service.objects.none(),
        required=False,
    )
    due_date = forms.DateField(
        label=_("Due date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, collectivities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = CoursePage.objects.live().order_by("title")
        self.fields["collectivity"].queryset = collectivities
        self.fields["learners"].queryset = (
            get_user_model()
            .objects.filter(
                lms_memberships__collectivity__in=collectivities,
                lms_memberships__role__in=Membership.LEARNER_ROLES,
            )
            .distinct()
            .order_by("last_name", "first_name", "username")
        )
        self.fields["learners"].label_from_instance = lambda user: user.get_full_name() or user.username
        self.fields["service"].queryset = Service.objects.filter(collectivity__in=collectivities).order_by(
            "collectivity__name", "name"
        )
        self.fields["job_profile"].queryset = JobProfile.objects.filter(
            models_q_shared_or(collectivities)
        ).order_by("name")

    def clean(self):
        data = super().clean()
        chosen = [name for name in ("learners", "job_profile", "service") if data.get(name)]
        if not chosen:
            raise forms.ValidationError(_("Choose people, a job profile or a service."))
        if len(chosen) > 1:
            raise forms.ValidationError(_("Choose people, a job profile or a service: only one of them."))
        collectivity = data.get("collectivity")
        if (
            collectivity is not None
            and data.get("service")
            and data["service"].collectivity_id != collectivity.pk
        ):
            self.add_error("service", _("This service belongs to another collectivity."))
        return data


def models_q_shared_or(collectivities):
    from django.db.models import Q

    return Q(collectivity__isnull=True) | Q(collectivity__in=collectivities)
