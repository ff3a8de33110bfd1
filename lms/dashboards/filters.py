"""The filters of the HR dashboards: a plain GET form, so that the pages work without JavaScript."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .panels import POPULATIONS

PERIODS = [("3", _("Last 3 months")), ("6", _("Last 6 months")), ("12", _("Last 12 months"))]


class DashboardFilters(forms.Form):
    """Period, population, service, job profile and course; choices come from the collectivity's snapshot."""

    collectivity = forms.ChoiceField(label=_("Collectivity"), required=False)
    period = forms.ChoiceField(label=_("Period"), choices=PERIODS, required=False)
    population = forms.ChoiceField(label=_("Population"), choices=list(POPULATIONS.items()), required=False)
    service = forms.ChoiceField(
        label=_("Service"),
        required=False,
        help_text=_("Figures per service appear once the collectivity's services are set up."),
    )
    job_profile = forms.ChoiceField(label=_("Job profile"), required=False)
    course = forms.ChoiceField(label=_("Course"), required=False)

    def __init__(self, data, *, collectivities, job_profiles, courses):
        super().__init__(data)
        self.fields["collectivity"].choices = [(c.slug, c.name) for c in collectivities]
        self.fields["service"].choices = [("all", _("All services"))]
        self.fields["job_profile"].choices = [("all", _("All job profiles")), *job_profiles]
        self.fields["course"].choices = [("all", _("All courses")), *courses]

    def value(self, name: str, default: str) -> str:
        return (self.cleaned_data.get(name) or default) if self.is_valid() else default
