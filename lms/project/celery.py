"""The Celery application of the reference site: ``celery -A lms.project worker`` / ``beat``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.project.settings")

app = Celery("tremplin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["lms.analytics", "lms.xapi", "lms"])
