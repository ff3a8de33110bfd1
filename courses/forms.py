"""Forms of the courses app's admin views."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from competences.models import JobProfile
from lms.models import Membership

from .models import CoursePage


class AssignmentForm(forms.Form):
    """An HR manager assigns a course to people or to a job profile of their collectivity."""

    course = forms.ModelChoiceField(label=_("Course"), queryset=CoursePage.objects.none())
    collectivity = forms.ModelChoiceField(label=_("Collectivity"), queryset=None)
    learners = forms.ModelMultipleChoiceField(
        label=_("People"),
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick the agents or elected officials to assign the course to."),
    )
    job_profile = forms.ModelChoiceField(
        label=_("Or everyone with the job profile"),
        queryset=JobProfile.objects.none(),
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
        self.fields["job_profile"].queryset = JobProfile.objects.filter(
            models_q_shared_or(collectivities)
        ).order_by("name")

    def clean(self):
        data = super().clean()
        if not data.get("learners") and not data.get("job_profile"):
            raise forms.ValidationError(_("Choose people or a job profile."))
        if data.get("learners") and data.get("job_profile"):
            raise forms.ValidationError(_("Choose people or a job profile, not both."))
        return data


def models_q_shared_or(collectivities):
    from django.db.models import Q

    return Q(collectivity__isnull=True) | Q(collectivity__in=collectivities)
