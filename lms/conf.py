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
    # Dotted path of the statement store backend.
    "STATEMENT_STORE": "lms.xapi.storage.DatabaseStatementStore",
    # Name of the group that gives HR managers access to the Wagtail admin.
    "HR_GROUP_NAME": "Tremplin — HR managers",
    # Dotted path of the backend issuing per-learner LRS credentials to launched external xAPI activities.
    "LRS_LAUNCH_CREDENTIALS": "lms.xapi.launch.SignedLaunchCredentials",
    # Seconds a launch credential stays valid.
    "LAUNCH_CREDENTIAL_MAX_AGE": 4 * 3600,
}


class LmsSettings:
    def __getattr__(self, name):
        if name not in DEFAULTS:
            raise AttributeError(name)
        return getattr(settings, f"LMS_{name}", DEFAULTS[name])


lms_settings = LmsSettings()
