"""gunicorn settings of the reference site, shared by the image, docker/compose.yaml and bench-ingest.

Run as ``gunicorn --config python:lms.project.gunicorn_conf lms.project.wsgi:application`` (each passes its
own ``--bind``); the benchmark starts the same command, so that it measures what production runs.

Sync workers: a request to the LRS is CPU work (JSON, validation) then one database round trip, so one process
per request in flight is the simplest fit; ``WEB_CONCURRENCY`` sets their number.
"""

import os

workers = int(os.environ.get("WEB_CONCURRENCY") or 3)
worker_class = "sync"
