"""Tremplin settings, read from Django settings prefixed ``LMS_``, with their defaults.

Usage: ``from lms.conf import lms_settings; lms_settings.SITE_URL``.
"""

from django.conf import settings

DEFAULTS = {
    # Public URL of the platform: the homePage of pseudonymous xAPI accounts and the base of activity ids.
    "SITE_URL": "http://127.0.0.1:8000",
    # Aggregates computed over fewer people than this are hidden.
    "MIN_GROUP_SIZE": 5,
    # Seconds between two scheduled aggregation runs (Celery beat).
    "AGGREGATION_INTERVAL": 300,
    # Seconds a hole in the statement sequence is presumed to be a transaction still in flight: the
    # aggregation watermark does not move past it sooner (see lms/analytics/services.py).
    "AGGREGATION_SAFETY_LAG": 60,
    # Seconds after which a pending snapshot rebuild whose task never ran is enqueued again.
    "AGGREGATION_PENDING_TIMEOUT": 600,
    # Hour (0-23, server time zone) of the nightly full rebuild that checks the incremental results.
    "AGGREGATION_NIGHTLY_HOUR": 3,
    # Months shown by the dashboards (the snapshot window).
    "DASHBOARD_MONTHS": 12,
    # Dotted path of a function (epci) -> queryset of member collectivities that consent to share their
    # aggregated figures with it; the default shares nothing until the tenancy consent lands.
    "CONSOLIDATION_CONSENT": "lms.analytics.consolidation.no_consent",
    # Dotted path of a function (request, collectivity, description, actor_names) called when an HR manager
    # opens the list of learners behind a figure (the audit log hook); the default logs it.
    "DRILLDOWN_AUDIT": "lms.analytics.consolidation.log_drilldown",
    # Dotted path of the statement store backend.
    "STATEMENT_STORE": "lms.xapi.storage.DatabaseStatementStore",
    # Name of the group that gives HR managers access to the Wagtail admin.
    "HR_GROUP_NAME": "Tremplin — HR managers",
}


class LmsSettings:
    def __getattr__(self, name):
        if name not in DEFAULTS:
            raise AttributeError(name)
        return getattr(settings, f"LMS_{name}", DEFAULTS[name])


lms_settings = LmsSettings()
