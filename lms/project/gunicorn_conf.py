"""gunicorn settings of the reference site, shared by the image, docker/compose.yaml and bench-ingest.

Run as ``gunicorn --config python:lms.project.gunicorn_conf lms.project.wsgi:application`` (each passes its
own ``--bind``); the benchmark starts the same command, so that it measures what production runs.

Sync workers: a request to the LRS is CPU work (JSON, validation) then one database round trip, so one
process per request in flight is the simplest fit. Their number: ``WEB_CONCURRENCY``, else one per CPU core
(between two and eight). More workers than cores only make them take turns on the processor: on the 2-core
benchmark machine, four interleaved pairs of ``make bench-ingest --workers 2`` and ``--workers 3`` gave
20,600-23,700 against 19,500-21,600 statements/s, 40-45 against 48-52 µs of web CPU per statement, batch p95
21-24 against 28-29 ms. Raise it where slow requests (large exports) must not hold the others up.
"""

import gc
import os


def _cores() -> int:
    """The processors this process may run on (its affinity: a container's cpuset), else the machine's."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 2


#: At least two (one slow request does not stop the site), at most eight (each worker holds the whole site in
#: memory; a container limited by a CPU quota rather than a cpuset still sees every core of its host).
workers = int(os.environ.get("WEB_CONCURRENCY") or min(max(2, _cores()), 8))
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
