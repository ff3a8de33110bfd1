"""Benchmark: onboarding 1,000 agents from one CSV file (preview, then apply in one transaction).

Run with ``make bench-onboarding`` (``DATABASE_URL`` selects PostgreSQL; SQLite by default). It creates a
throw-away test database, prints the figures, and ends with one line of JSON.
"""

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core import mail  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment, teardown_test_environment  # noqa: E402

AGENTS = int(os.environ.get("BENCH_AGENTS", "1000"))


def make_csv(count: int) -> str:
    lines = ["first_name;last_name;email;service;role;category;filiere;statut"]
    categories, filieres = "ABC", ["administrative", "technique", "animation", "culturelle"]
    for n in range(count):
        lines.append(
            f"Prénom{n};Nom{n};agent{n:05d}@bench.example;Service {n % 25};agent;{categories[n % 3]};"
            f"{filieres[n % 4]};{'titulaire' if n % 4 else 'contractuel'}"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    setup_test_environment()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from lms.models import Collectivity, Membership
        from lms.services import onboarding

        collectivity = Collectivity.objects.create(name="Bench", slug="bench", kind="epci")
        content = make_csv(AGENTS)
        start = time.perf_counter()
        plan = onboarding.preview(collectivity, content)
        preview_s = time.perf_counter() - start
        start = time.perf_counter()
        result = onboarding.apply(collectivity, content)
        apply_s = time.perf_counter() - start
        start = time.perf_counter()
        onboarding.apply(collectivity, content)
        reimport_s = time.perf_counter() - start
        assert not plan.has_errors and len(result.created) == AGENTS
        assert Membership.objects.filter(collectivity=collectivity).count() == AGENTS
        figures = {
            "benchmark": "onboarding",
            "agents": AGENTS,
            "database": connection.vendor,
            "preview_s": round(preview_s, 3),
            "apply_s": round(apply_s, 3),
            "reimport_s": round(reimport_s, 3),
            "invitations_sent": len(mail.outbox),
        }
        print(f"Onboarding {AGENTS} agents on {connection.vendor}:")
        print(f"  preview          {preview_s:7.2f} s")
        print(f"  apply + invite   {apply_s:7.2f} s  ({len(mail.outbox)} invitations, Celery eager)")
        print(f"  re-import (no-op){reimport_s:7.2f} s")
        print(json.dumps(figures))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()
