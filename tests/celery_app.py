"""The Celery app a real worker runs in the integration tests, on the test host settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

app = Celery("tremplin-tests")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["lms.analytics", "lms.xapi", "lms"])

# Integration tests: redeliver the unacknowledged task of a killed worker quickly.
if os.environ.get("TEST_CELERY_VISIBILITY_TIMEOUT"):
    timeout = float(os.environ["TEST_CELERY_VISIBILITY_TIMEOUT"])
    # The restore mutex too: a worker killed while holding it would otherwise block restores for 5 minutes.
    app.conf.broker_transport_options = {
        "visibility_timeout": timeout,
        "unacked_mutex_expire": int(timeout) + 2,
    }

# Integration tests: hold the first snapshot computation (marker file written) so a test can kill the worker.
if os.environ.get("TEST_SNAPSHOT_PAUSE_FILE"):
    import time
    from pathlib import Path

    def _pause_once(compute):
        def paused(inputs):
            marker = Path(os.environ["TEST_SNAPSHOT_PAUSE_FILE"])
            if not marker.exists():
                marker.write_text("computing")
                time.sleep(300)
            return compute(inputs)

        return paused

    @app.on_after_finalize.connect
    def _install_pause(sender, **kwargs):
        from lms.analytics import figures

        figures.compute = _pause_once(figures.compute)
