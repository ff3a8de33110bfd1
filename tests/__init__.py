# The test host's Celery app, configured from tests.settings (eager unless a test starts a real worker).
from .celery_app import app as celery_app

__all__ = ["celery_app"]
