"""The reference host project in lms/project: settings from the environment."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _import_settings(**env):
    ignored = {"SECRET_KEY", "DEBUG", "DATABASE_URL", "CELERY_BROKER_URL"}
    environment = {k: v for k, v in os.environ.items() if k not in ignored}
    environment.update(env)
    code = (
        "import lms.project.settings as s; print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL == '')"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True
    )


def test_secret_key_is_required_when_debug_is_off():
    result = _import_settings(DEBUG="0")
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def test_embedded_default_is_sqlite_with_eager_tasks():
    result = _import_settings()
    assert result.stdout.split() == ["django.db.backends.sqlite3", "True"]


def test_database_url_and_broker_come_from_the_environment():
    result = _import_settings(
        DEBUG="0",
        SECRET_KEY="x" * 50,
        DATABASE_URL="postgres://u@db:5432/tremplin",
        CELERY_BROKER_URL="redis://redis:6379/0",
    )
    assert result.stdout.split() == ["django.db.backends.postgresql", "False"]


def test_the_reference_site_passes_the_check_that_the_admin_asks_no_other_host():
    environment = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL"}}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert (result.returncode, "lms.W00" in result.stderr + result.stdout) == (0, False), result.stderr


def test_a_host_site_with_wagtails_defaults_is_warned_of_gravatar_and_the_update_check(settings):
    from django.core.checks import run_checks

    del settings.WAGTAIL_GRAVATAR_PROVIDER_URL
    del settings.WAGTAIL_ENABLE_UPDATE_CHECK
    assert sorted(m.id for m in run_checks() if m.id.startswith("lms.")) == ["lms.W001", "lms.W002"]
