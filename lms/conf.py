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
    # Above this many collectivities whose snapshots an aggregation run must refresh, it refreshes them in one
    # national pass (one task) instead of one task per collectivity.
    "NATIONAL_PASS_THRESHOLD": 20,
    # Hour (0-23, server time zone) of the nightly full rebuild that checks the incremental results.
    "AGGREGATION_NIGHTLY_HOUR": 3,
    # Months shown by the dashboards (the snapshot window).
    "DASHBOARD_MONTHS": 12,
    # Dotted path of a function (epci) -> queryset of member collectivities that consent to share their
    # aggregated figures with it (default: the members' active AggregateSharing agreements).
    "CONSOLIDATION_CONSENT": "lms.services.scope.consenting_members",
    # Dotted path of a function (request, collectivity, description, actor_names) called when an HR manager
    # opens the list of learners behind a figure (default: one audit-log entry per person).
    "DRILLDOWN_AUDIT": "lms.services.audit.record_drilldown",
    # Dotted path of the statement store backend.
    "STATEMENT_STORE": "lms.xapi.storage.DatabaseStatementStore",
    # Name of the group that gives HR managers access to the Wagtail admin.
    "HR_GROUP_NAME": "Tremplin — HR managers",
    # URI of the framework whose competences Pix results are recorded against (the CRCN as used by Pix).
    "PIX_FRAMEWORK_URI": "https://w3id.org/tremplin/frameworks/crcn/2019",
    # LRS API (/xapi/): largest request body accepted, in bytes (larger: 413).
    "LRS_MAX_BODY_SIZE": 20 * 1024 * 1024,
    # LRS API: most statements in one POST (more: 413).
    "LRS_MAX_BATCH": 1000,
    # LRS API: most statements in one page of GET /xapi/statements (the page size when limit is 0 or absent).
    "LRS_MAX_LIMIT": 500,
    # LRS API: seconds a web process remembers a verified client secret (password hashing is slow by design).
    "LRS_AUTH_CACHE_SECONDS": 60,
    # LRS API: origins whose scripts may call it from a browser (CORS), e.g. ["https://contenus.example.fr"];
    # ["*"]: any origin (clients send their credentials themselves, the LRS reads no cookie); []: none.
    "LRS_CORS_ORIGINS": ["*"],
    # Forwarding to external LRSs: seconds before an HTTP request to a target gives up.
    "FORWARDING_TIMEOUT": 30,
    # Forwarding: dotted path of the backend that sends batches to a target LRS.
    "FORWARDING_BACKEND": "lms.xapi.forwarding.HttpForwardingBackend",
    # Seconds an invitation's set-password link stays valid (7 days).
    "INVITATION_MAX_AGE": 7 * 24 * 3600,
    # Seconds a sign-up's email confirmation link stays valid (3 days).
    "SIGNUP_CONFIRMATION_MAX_AGE": 3 * 24 * 3600,
    # Whether members of the public may create an account themselves.
    "PUBLIC_SIGNUP": True,
    # Failed sign-ins for one username (or one address) within LOCKOUT_WINDOW that lock it out.
    "LOCKOUT_FAILURES": 5,
    # Seconds over which failures are counted, and for which a lock-out lasts after the last failure.
    "LOCKOUT_WINDOW": 15 * 60,
    # Days after the last sign-in when an account is erased, unless its collectivity says; None: never.
    "RETENTION_DAYS": None,
    # Seconds between two runs of the retention task (Celery beat).
    "RETENTION_INTERVAL": 24 * 3600,
    # Identity providers for OpenID Connect sign-in: {"proconnect": {...}, "franceconnect": {...}}; each with
    # "label", "discovery_url", "client_id", "client_secret", "scopes" and "audience" ("agents" or "public").
    "OIDC_PROVIDERS": {},
    # Dotted path of the class that talks to an OpenID Connect provider.
    "IDENTITY_BACKEND": "lms.accounts.oidc.AuthlibIdentityBackend",
    # Contact shown on the privacy page for personal data requests (the data protection officer).
    "PRIVACY_CONTACT": "",
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
