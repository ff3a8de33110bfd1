"""The nightly run alone, on the database ``make bench-analytics`` left (run by hand; not a test).

Runs ``services.nightly_rebuild()`` — what the nightly task runs — ``BENCH_RUNS`` times (default 3) in
this process, outside a transaction, and prints for each run its wall time and the CPU time the whole machine
spent meanwhile (``/proc/stat``: this process, PostgreSQL's backends and their parallel workers), then one
JSON line. Used to compare two versions of the code on the same data: run it from each version's own
directory, in turn (Celery's Django fixup puts the working directory first on ``sys.path``: a script run
from another directory imports the code found there, whatever its own path).

    BENCH_RUNS=6 .venv/bin/python tests/benchmarks/nightly_alone.py
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tremplin_bench_analytics"
)
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
RUNS = int(os.environ.get("BENCH_RUNS", 3))


def busy_seconds() -> float:
    """CPU seconds the machine has spent busy since it booted (every state but idle and I/O wait)."""
    with open("/proc/stat") as stat:
        ticks = [int(value) for value in stat.readline().split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def main():
    import django

    django.setup()
    from lms.analytics import services

    walls, cpus = [], []
    for run in range(RUNS):
        cpu, start = busy_seconds(), time.perf_counter()
        result = services.nightly_rebuild()
        walls.append(time.perf_counter() - start)
        cpus.append(busy_seconds() - cpu)
        print(
            f"run {run + 1}: {walls[-1]:.2f} s, {cpus[-1]:.2f} core-s, "
            f"{result['mismatches']} level-history rows differed",
            flush=True,
        )
    print(
        json.dumps(
            {
                "code": str(services.__file__),
                "runs": RUNS,
                "nightly_s": [round(wall, 2) for wall in walls],
                "nightly_median_s": round(statistics.median(walls), 2),
                "core_s": [round(cpu, 2) for cpu in cpus],
            }
        )
    )


if __name__ == "__main__":
    main()
