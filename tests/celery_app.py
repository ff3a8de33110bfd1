"""The Celery app a real worker runs in the integration tests, on the test host settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

app = Celery("tremplin-tests")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["lms.analytics", "lms.xapi", "lms"])
