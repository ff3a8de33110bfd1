"""gunicorn settings of the reference site, shared by the image, docker/compose.yaml and bench-ingest.

Run as ``gunicorn --config python:lms.project.gunicorn_conf lms.project.wsgi:application`` (each passes its
own ``--bind``); the benchmark starts the same command, so that it measures what production runs.

Sync workers: a request to the LRS is CPU work (JSON, validation) then one database round trip, so one process
per request in flight is the simplest fit; ``WEB_CONCURRENCY`` sets their number.
"""

import gc
import os

workers = int(os.environ.get("WEB_CONCURRENCY") or 3)
worker_class = "sync"

#: First-generation threshold of the garbage collector in the workers (Python's default: 700).
GC_THRESHOLD = 10_000


def post_worker_init(worker):
    """Once a worker has loaded the site, keep the garbage collector off what lives as long as it does.

    ``gc.freeze()`` puts the ~230,000 objects that importing Django, Wagtail and the project created in a
    permanent generation that collections skip; the higher first threshold lets a request's objects (a batch
    of 100 statements parses into ~8,000 dicts, lists and strings, freed by reference counting when the
    request ends) die before a collection promotes them and scans them again. Neither changes what is freed:
    reference cycles are still collected. Measured with ``make bench-ingest``: collections took 0.14-0.21 s of
    each worker's CPU for ~20,000 statements, 0.01 s with these settings; the web CPU per statement went from
    60-66 to 53-59 µs (three interleaved runs each).
    """
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, 10, 10)
