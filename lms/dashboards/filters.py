"""The filters of the HR dashboards: a plain GET form, so that the pages work without JavaScript."""

from django import forms
from django.utils.translation import gettext_lazy as _

from lms.conf import lms_settings

from .panels import PANELS, POPULATIONS

PERIODS = [("3", _("Last 3 months")), ("6", _("Last 6 months")), ("12", _("Last 12 months"))]
#: Snapshots hold figures per service for these populations only (elected officials and the public have none).
SERVICE_POPULATIONS = ("all", "agent")
#: Likewise per job profile: everyone and agents only.
JOB_PROFILE_POPULATIONS = ("all", "agent")
#: The panels the course filter applies to; elsewhere it is shown disabled, on « All courses ».
COURSE_PANELS = ("funnel",)
#: Filters a panel does not depend on, with the value its figures have: shown disabled on that value, so that
#: the form (and the filters an export lists) say what the page shows.
FIXED_FILTERS = {
    "elected": {"population": "elected_official", "service": "all", "job_profile": "all"},
    "consolidated": {"service": "all", "job_profile": "all"},
}


class DashboardFilters(forms.Form):
    """Period, population, service, job profile and course; choices come from the collectivity's snapshot.

    A service is computed for everyone and for agents, on its own: asking for a service together with a job
    profile, or with another population, is refused with an error rather than shown with one filter silently
    dropped (an export would not say which one was applied). A job profile likewise, for everyone and agents.

    The course filter applies to the course completion panel only: on the other panels it is disabled and
    reads « All courses », so that the form says what the page shows (a ``course`` in the address, kept by
    the panel links, is then ignored).
    """

    collectivity = forms.ChoiceField(label=_("Collectivity"), required=False)
    period = forms.ChoiceField(label=_("Period"), choices=PERIODS, required=False)
    population = forms.ChoiceField(label=_("Population"), choices=list(POPULATIONS.items()), required=False)
    service = forms.ChoiceField(label=_("Service"), required=False)
    job_profile = forms.ChoiceField(label=_("Job profile"), required=False)
    course = forms.ChoiceField(label=_("Course"), required=False)

    def __init__(self, data, *, collectivities, job_profiles, courses, services=(), panel=None):
        """
        Args:
            services: ``(id, name)`` of the shown collectivity's services that its snapshot has figures for.
            panel: the shown panel; ``None`` offers every filter.
        """
        default_period = str(lms_settings.DASHBOARD_MONTHS)
        if data is not None and not data.get("period"):
            # No period asked (the panel links carry the collectivity only): the figures cover the whole
            # window, and the form must say so rather than show its first choice.
            data = data.copy()
            data["period"] = default_period
        super().__init__(data)
        period = self.fields["period"]
        window = lms_settings.DASHBOARD_MONTHS
        period.choices = [(value, label) for value, label in PERIODS if int(value) < window] + [
            next(
                ((value, label) for value, label in PERIODS if int(value) == window),
                (default_period, _("Last %(months)d months") % {"months": window}),
            )
        ]
        period.initial = default_period
        self.fields["collectivity"].choices = [(c.slug, c.name) for c in collectivities]
        self.fields["service"].choices = [("all", _("All services")), *services]
        if not services:
            self.fields["service"].help_text = _(
                "Figures per service appear once the collectivity's services are set up."
            )
        self.fields["job_profile"].choices = [("all", _("All job profiles")), *job_profiles]
        self.fields["course"].choices = [("all", _("All courses")), *courses]
        for name, value in FIXED_FILTERS.get(panel, {}).items():
            field = self.fields[name]
            field.disabled, field.initial = True, value
            field.help_text = (
                _("This page covers all the collectivity's elected officials.")
                if name == "population"
                else _("The figures of this page are not computed per service or job profile.")
            )
        if panel is not None and panel not in COURSE_PANELS:
            course = self.fields["course"]
            course.disabled, course.initial = True, "all"
            course.help_text = _("The course filter applies to the “%(panel)s” page only.") % {
                "panel": PANELS[COURSE_PANELS[0]]
            }

    def clean(self):
        data = super().clean()
        if (data.get("job_profile") or "all") != "all" and (
            data.get("population") or "all"
        ) not in JOB_PROFILE_POPULATIONS:
            self.add_error(
                "job_profile",
                _(
                    "Figures per job profile cover everyone or agents only: "
                    "choose one of them, or “All job profiles”."
                ),
            )
        if (data.get("service") or "all") == "all":
            return data
        if (data.get("job_profile") or "all") != "all":
            self.add_error(
                "service",
                _(
                    "Figures are not computed for a service and a job profile together: "
                    "choose “All services” or “All job profiles”."
                ),
            )
        if (data.get("population") or "all") not in SERVICE_POPULATIONS:
            self.add_error(
                "service",
                _(
                    "Figures per service cover everyone or agents only: "
                    "choose one of them, or “All services”."
                ),
            )
        return data

    def value(self, name: str, default: str) -> str:
        return (self.cleaned_data.get(name) or default) if self.is_valid() else default
