"""Settings of Tremplin's reference site, read from environment variables (see docker/env.example)."""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("TREMPLIN_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if not DEBUG else "*")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "lms",
    "courses",
    "competences",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Requests to the LRS (/xapi/) go straight to their view from here: the middleware below serves people.
    "lms.xapi.middleware.LrsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "lms.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "lms.project.urls"
WSGI_APPLICATION = "lms.project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'tremplin.sqlite3'}"), conn_max_age=60
    )
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["lms.accounts.backends.LockoutModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
WAGTAIL_CONTENT_LANGUAGES = [("fr", _("French"))]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = os.environ.get("STATIC_ROOT", str(VAR_DIR / "static"))
MEDIA_URL = "/media/"
MEDIA_ROOT = os.environ.get("MEDIA_ROOT", str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "tremplin@localhost")

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)

WAGTAIL_SITE_NAME = "Tremplin"
WAGTAILADMIN_BASE_URL = os.environ.get("LMS_SITE_URL", "http://127.0.0.1:8000")
WAGTAIL_I18N_ENABLED = False
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
# Sovereign by default: the admin asks no other host. No avatars from gravatar.com (they would send a hash of
# each user's e-mail address to a third party; Wagtail shows its own default avatar), and no check of
# releases.wagtail.org from the administrators' browsers (upgrades follow the project's pinned dependencies).
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False

# Celery: with no broker configured, tasks run eagerly in the web process (the embedded default).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}

# Tremplin (defaults and meaning in lms/conf.py)
LMS_SITE_URL = WAGTAILADMIN_BASE_URL
LMS_MIN_GROUP_SIZE = int(os.environ.get("LMS_MIN_GROUP_SIZE", "5"))
LMS_AGGREGATION_INTERVAL = int(os.environ.get("LMS_AGGREGATION_INTERVAL", "300"))
LMS_INVITATION_MAX_AGE = int(os.environ.get("LMS_INVITATION_MAX_AGE", str(7 * 24 * 3600)))
LMS_PUBLIC_SIGNUP = env_bool("LMS_PUBLIC_SIGNUP", True)
LMS_LOCKOUT_FAILURES = int(os.environ.get("LMS_LOCKOUT_FAILURES", "5"))
LMS_LOCKOUT_WINDOW = int(os.environ.get("LMS_LOCKOUT_WINDOW", "900"))
LMS_RETENTION_DAYS = int(os.environ["LMS_RETENTION_DAYS"]) if os.environ.get("LMS_RETENTION_DAYS") else None
LMS_RETENTION_INTERVAL = int(os.environ.get("LMS_RETENTION_INTERVAL", str(24 * 3600)))
LMS_PRIVACY_CONTACT = os.environ.get("LMS_PRIVACY_CONTACT", "")
# OpenID Connect providers: set LMS_PROCONNECT_* (agents) and/or LMS_FRANCECONNECT_* (public) to enable them.
LMS_OIDC_PROVIDERS = {
    key: {
        "label": label,
        "audience": audience,
        "discovery_url": os.environ[f"LMS_{prefix}_DISCOVERY_URL"],
        "client_id": os.environ.get(f"LMS_{prefix}_CLIENT_ID", ""),
        "client_secret": os.environ.get(f"LMS_{prefix}_CLIENT_SECRET", ""),
        "scopes": os.environ.get(f"LMS_{prefix}_SCOPES", default_scopes),
    }
    for key, prefix, label, audience, default_scopes in (
        ("proconnect", "PROCONNECT", "ProConnect", "agents", "openid email given_name usual_name siret"),
        ("franceconnect", "FRANCECONNECT", "FranceConnect", "public", "openid email given_name family_name"),
    )
    if os.environ.get(f"LMS_{prefix}_DISCOVERY_URL")
}

LMS_AGGREGATION_NIGHTLY_HOUR = int(os.environ.get("LMS_AGGREGATION_NIGHTLY_HOUR", "3"))
LMS_AGGREGATION_SAFETY_LAG = int(os.environ.get("LMS_AGGREGATION_SAFETY_LAG", "60"))

CELERY_BEAT_SCHEDULE = {
    # Catch up from the watermark (ingestion also asks for a run, debounced).
    "tremplin-aggregate": {
        "task": "lms.analytics.tasks.aggregate_statements",
        "schedule": float(LMS_AGGREGATION_INTERVAL),
    },
    # Catches up forwarding to external LRSs after an outage (storing enqueues it too).
    "tremplin-forward": {"task": "lms.xapi.tasks.forward_all", "schedule": 60.0},
    "tremplin-retention": {
        "task": "lms.tasks.apply_retention",
        "schedule": float(LMS_RETENTION_INTERVAL),
    },
    # Nightly: recompute every level from scratch, count what the incremental runs had wrong, rebuild all.
    "tremplin-full-rebuild": {
        "task": "lms.analytics.tasks.full_rebuild",
        "schedule": crontab(hour=LMS_AGGREGATION_NIGHTLY_HOUR, minute=17),
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
