"""Benchmark of the analytics at national scale (run by ``make bench-analytics``; not a test).

Creates a dedicated PostgreSQL database (``BENCH_DATABASE_URL``, default
``postgres://postgres@127.0.0.1:5432/tremplin_bench_analytics``), generates with ``COPY`` a synthetic year:
1,000,000 statements, 20,000 learners, 200 collectivities, 12 months; then measures

* the floor: one PostgreSQL ``GROUP BY`` scan over the same statements;
* the first build of the levels (empty tables) and of the snapshots (one national pass), then the nightly full
  rebuild (``services.nightly_rebuild``, as the nightly task: levels recomputed from the statements and
  compared with the stored ones + every collectivity's snapshot in one national pass, which rewrites only the
  snapshots whose data changed, its activity read beside the level check) in a worker subprocess, with its
  phases and peak resident memory (after :func:`settle`, as after the data generation) —
  ``BENCH_NIGHTLY_RUNS`` nights in a row (default 3) in the same worker,
  the first in a fresh process, each after one more run of the floor's query: ``full_rebuild_s`` is the best
  nightly run and ``group_by_floor_s`` the best floor run (the same estimate on both sides, over the same
  minutes; every run, the fresh process's and the ratio of the medians are printed too);
* the incremental absorption of 10,000 new statements through ``tasks.aggregate_statements`` (eager Celery):
  the levels, then the snapshots of the collectivities they touch — in one national pass restricted to them
  above ``LMS_NATIONAL_PASS_THRESHOLD``, one task each below; for comparison the same snapshots rebuilt one
  task each (their hashes cleared so that they are rewritten, as before; skipped with
  ``BENCH_PER_COLLECTIVITY=0``), and a national pass with nothing changed;
* the render time of the dashboard pages (Django test client), p50 and p95.

The last line is one JSON object. Sizes can be reduced for a quick try: ``BENCH_STATEMENTS``,
``BENCH_LEARNERS``, ``BENCH_COLLECTIVITIES``.
"""

import io
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tremplin_bench_analytics"
)
STATEMENTS = int(os.environ.get("BENCH_STATEMENTS", 1_000_000))
LEARNERS = int(os.environ.get("BENCH_LEARNERS", 20_000))
COLLECTIVITIES = int(os.environ.get("BENCH_COLLECTIVITIES", 200))
INCREMENT = int(os.environ.get("BENCH_INCREMENT", 10_000))
PER_COLLECTIVITY = os.environ.get("BENCH_PER_COLLECTIVITY", "1") != "0"
NIGHTLY_RUNS = max(1, int(os.environ.get("BENCH_NIGHTLY_RUNS", 3)))
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"


def create_database():
    import psycopg

    parsed = urlparse(DATABASE_URL)
    name = parsed.path.lstrip("/")
    admin = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


def setup_django():
    import django

    django.setup()


def say(message):
    print(message, flush=True)


def generate():
    """Collectivities, people, a catalogue and a year of statements (COPY)."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from competences.models import Competence, JobProfile, JobProfileTarget
    from competences.services import load_shipped_frameworks
    from courses.models import CourseCompetence, CoursePage
    from courses.services import course_ref
    from lms.demo.services import build_catalogue, load_content
    from lms.models import Collectivity, Learner, Membership

    call_command("migrate", verbosity=0)
    load_shipped_frameworks()
    build_catalogue(load_content())
    rng = random.Random(7)
    kinds = ["commune"] * 7 + ["epci", "departement", "cdg"]
    Collectivity.objects.bulk_create(
        [
            Collectivity(
                name=f"Collectivité {i}",
                slug=f"c{i}",
                kind=kinds[i % 10],
                population=rng.choice([800, 2500, 8000, 30000, 120000]),
            )
            for i in range(COLLECTIVITIES)
        ]
    )
    collectivity_ids = list(Collectivity.objects.order_by("pk").values_list("pk", flat=True))
    competences = list(Competence.objects.values_list("pk", "uri"))
    profiles = []
    for i in range(5):
        profile = JobProfile.objects.create(name=f"Métier {i}", slug=f"metier-{i}")
        JobProfileTarget.objects.bulk_create(
            [
                JobProfileTarget(job_profile=profile, competence_id=pk, level=rng.randint(2, 5))
                for pk, _ in rng.sample(competences, 5)
            ]
        )
        profiles.append(profile.pk)
    User = get_user_model()
    User.objects.bulk_create(
        [User(username=f"u{i:05d}", password="!") for i in range(LEARNERS)], batch_size=5000
    )
    users = list(User.objects.order_by("pk").values_list("pk", flat=True))
    actors = [uuid.uuid4() for _ in users]
    Learner.objects.bulk_create(
        [Learner(user_id=u, actor_name=a) for u, a in zip(users, actors, strict=True)], batch_size=5000
    )
    home = {}
    memberships = []
    for index, user_id in enumerate(users):
        collectivity = collectivity_ids[index % len(collectivity_ids)]
        home[index] = collectivity
        elected = rng.random() < 0.1
        memberships.append(
            Membership(
                user_id=user_id,
                collectivity_id=collectivity,
                role="elected_official" if elected else "agent",
                job_profile_id=None if elected else rng.choice([*profiles, None]),
            )
        )
    Membership.objects.bulk_create(memberships, batch_size=5000)
    hr = User.objects.create_user("bench.rh", password="bench-password-123")
    Membership.objects.create(user=hr, collectivity_id=collectivity_ids[0], role="hr_manager")
    from lms.services.organisations import hr_group

    hr.groups.add(hr_group())
    courses = []
    for page in CoursePage.objects.all():
        mapping = [
            (uri, level)
            for uri, level in CourseCompetence.objects.filter(page=page).values_list(
                "competence__uri", "level"
            )
        ]
        courses.append((course_ref(page).id, mapping))
    say(
        f"  people and catalogue ready: {len(users)} learners, {len(collectivity_ids)} collectivities, "
        f"{len(courses)} courses"
    )
    start = time.perf_counter()
    copy_statements(connection, rng, actors, home, collectivity_ids, courses, STATEMENTS, months=12)
    say(f"  {STATEMENTS} statements copied in {time.perf_counter() - start:.1f} s")
    settle()
    return actors, home, collectivity_ids, courses


def settle():
    """Bring the database to the state a production server keeps between jobs, before measuring.

    ``VACUUM (ANALYZE)`` as autovacuum would (this machine's server runs without it): the planner's
    statistics, the hint bits and visibility map of the rows just written, which the first reader would
    otherwise set (and write back) inside the timed query; then a checkpoint and ``sync``, so that the writes
    of the data generation or of the first build are not still going to disk during the measures that follow.
    """
    from django.db import connection

    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
        cursor.execute("CHECKPOINT")
    connection.close()
    os.sync()
    say(f"  settled (VACUUM ANALYZE, CHECKPOINT, sync) in {time.perf_counter() - start:.1f} s")


VERBS = None


def copy_statements(connection, rng, actors, home, collectivity_ids, courses, count, *, months, recent=False):
    from lms.analytics import rules
    from lms.xapi import vocabulary as v
    from lms.xapi.evidence import course_stage

    site = "http://testserver"
    verbs = [
        (v.REGISTERED.id, 0.12),
        (v.EXPERIENCED.id, 0.50),
        (v.PASSED.id, 0.15),
        (v.FAILED.id, 0.06),
        (v.COMPLETED.id, 0.12),
        ("declared", 0.05),
    ]
    names, weights = zip(*verbs, strict=True)
    now = datetime.now(UTC)
    buffer = io.StringIO()
    sql = (
        "COPY lms_statement (statement_id, actor_name, agent_ifi, object_type, verb, object_id, timestamp, "
        "stored, collectivity_id, voided, related_agents, related_activities, evidence, course_stage, "
        "data) FROM STDIN"
    )
    chosen = rng.choices(names, weights, k=count)
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(sql) as copy:
            for verb in chosen:
                index = rng.randrange(len(actors))
                actor = str(actors[index])
                course, mapping = courses[rng.randrange(len(courses))]
                age = rng.random() * (1 if recent else months * 30.4)
                when = now - timedelta(days=age)
                month = int((months * 30.4 - age) // 30.4)
                context = {"contextActivities": {"grouping": [{"id": course}]}, "extensions": {}}
                object_id = course + "/lesson"
                if verb == v.PASSED.id and mapping:
                    object_id = course + "/quiz"
                    context["extensions"][v.EXT_VALIDATED_LEVELS] = [
                        {"competence": uri, "level": min(8, level + month // 4 + rng.randint(0, 1))}
                        for uri, level in mapping
                    ]
                    if rng.random() < 0.1:
                        context["extensions"][rules.EXT_EVIDENCE_SOURCE] = "pix"
                elif verb == v.COMPLETED.id:
                    object_id = course
                    context["contextActivities"]["other"] = [
                        {"id": uri, "definition": {"type": v.OBJECTIVE.id}} for uri, _ in mapping
                    ]
                elif verb == v.REGISTERED.id:
                    object_id = course
                elif verb == "declared":
                    # A self-assessment as the learner's space records it (learning.record_self_assessment):
                    # "answered" on a block of the lesson, the declared levels and the moment.
                    verb = v.ANSWERED.id
                    object_id = course + "/self-assessment"
                    context["contextActivities"]["parent"] = [{"id": course + "/lesson"}]
                    context["extensions"][v.EXT_DECLARED_LEVELS] = [
                        {"competence": uri, "level": rng.randint(1, 6)} for uri, _ in mapping
                    ]
                    context["extensions"][v.EXT_SELF_ASSESSMENT_MOMENT] = "before" if index % 2 else "after"
                sid = uuid.UUID(int=rng.getrandbits(128), version=4)
                data = {
                    "id": str(sid),
                    "actor": {"account": {"homePage": site, "name": actor}},
                    "verb": {"id": verb},
                    "object": {"id": object_id},
                    "context": context,
                    "timestamp": when.isoformat(),
                }
                ifi = f"account:{site}|{actor}"
                copy.write_row(
                    (
                        sid,
                        actor,
                        ifi,
                        "Activity",
                        verb,
                        object_id,
                        when,
                        now,
                        home[index],
                        False,
                        ifi,
                        object_id,
                        rules.evidence_summary(data),  # as the statement store writes it
                        course_stage(data, object_id),
                        json.dumps(data),
                    )
                )
    del buffer


def floor_group_by():
    """The floor: one PostgreSQL ``GROUP BY`` scan over the statements (by this process and by the worker)."""
    from django.db import connection

    with connection.cursor() as cursor:
        start = time.perf_counter()
        cursor.execute(
            "SELECT collectivity_id, verb, date_trunc('month', timestamp), count(*) "
            "FROM lms_statement GROUP BY 1, 2, 3"
        )
        cursor.fetchall()
        return time.perf_counter() - start


WORKER = r"""
import os, sys, time, json, logging, resource
sys.path.insert(0, os.environ["BENCH_ROOT"])
import django
django.setup()
logging.getLogger("lms.analytics").setLevel(logging.DEBUG)  # the national pass logs its reads at debug level
handler = logging.StreamHandler(sys.stdout)
handler.setFormatter(logging.Formatter("    %(message)s"))
logging.getLogger("lms.analytics").addHandler(handler)
from lms.analytics import services
from lms.models import Collectivity, CollectivitySnapshot
mode = sys.argv[1]
ids = [int(x) for x in sys.argv[2].split(",")] if len(sys.argv) > 2 and sys.argv[2] else []
if mode == "snapshots":
    CollectivitySnapshot.objects.update(data_hash="")  # rewritten, as before the hashes
start = time.perf_counter()
if mode == "levels":
    services.rebuild_levels()
elif mode == "first":
    services.rebuild_levels()
    levels = time.perf_counter() - start
    services.rebuild_all_snapshots()
    print(json.dumps({"levels_s": levels, "snapshots_s": time.perf_counter() - start - levels}))
elif mode == "aggregate":
    from lms.analytics import tasks
    from lms.conf import lms_settings
    process, marks = services.process_new_statements, {}
    def timed():
        touched = process()
        marks["levels_s"] = time.perf_counter() - start
        return touched
    services.process_new_statements = timed
    touched = tasks.aggregate_statements()
    print(json.dumps({"touched": touched, "threshold": lms_settings.NATIONAL_PASS_THRESHOLD, **marks}))
elif mode == "nightly":
    # What the nightly task runs (services.nightly_rebuild), the end of the level check marked; several
    # nights in a row in this process, as in a worker that stays up, each after one run of the floor's query.
    from tests.benchmarks.bench_analytics import floor_group_by
    rebuild, marks = services.rebuild_levels, {}
    def timed(**kwargs):
        mismatches = rebuild(**kwargs)
        marks["levels_s"] = time.perf_counter() - start
        return mismatches
    services.rebuild_levels = timed
    for run in range(int(os.environ["BENCH_NIGHTLY_RUNS"])):
        floor = floor_group_by()
        start = time.perf_counter()
        services.nightly_rebuild()
        seconds, levels = time.perf_counter() - start, marks["levels_s"]
        print(json.dumps({"run": run + 1, "floor_s": floor, "seconds": seconds, "levels_s": levels,
                          "snapshots_s": seconds - levels}))
elif mode == "national":
    services.rebuild_all_snapshots()
elif mode == "incremental":
    touched = services.process_new_statements()
    print(json.dumps({"touched": sorted(touched)}))
for pk in ids:
    services.rebuild_snapshot(pk)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": time.perf_counter() - start, "rss_mb": rss}))
"""


def worker(mode, ids=()):
    """Run in a fresh process, as a Celery worker would; return its JSON lines merged into one dict."""
    merged = {}
    for line in worker_lines(mode, ids):
        merged.update(line)
    return merged


def worker_lines(mode, ids=()):
    """Run in a fresh process, as a Celery worker would; return its JSON lines."""
    env = {**os.environ, "BENCH_ROOT": str(ROOT), "BENCH_NIGHTLY_RUNS": str(NIGHTLY_RUNS)}
    result = subprocess.run(
        [sys.executable, "-c", WORKER, mode, ",".join(map(str, ids))],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if result.returncode:
        raise SystemExit(result.stderr)
    for line in result.stdout.splitlines():
        if line.startswith("    "):
            say(line)
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def full_rebuild(floors):
    """The first build of the levels (empty tables), then the nightly full rebuild, each in a fresh worker.

    The nightly run is what the targets are about: every level recomputed from the statements and compared
    with what the incremental runs stored, then every snapshot in one national pass. It runs
    ``NIGHTLY_RUNS`` nights in a row in one worker process — the first in a fresh process, the others in a
    process that has run it before, as a Celery worker that stays up from one night to the next — each after
    one more run of the floor's query (appended to ``floors``): the two are compared by the same estimate, the
    best run of each, measured over the same minutes (on this kind of machine the same query varies by 10-30 %
    from one minute to the next).

    Returns:
        the nightly runs (the worker's JSON line of each), the first build's JSON, and the peak RSS of the
        nightly worker.
    """
    first = worker("first")
    say(
        f"  first build of the levels (empty tables): {first['levels_s']:.1f} s, of the snapshots "
        f"{first['snapshots_s']:.1f} s (RSS {first['rss_mb']:.0f} MB)"
    )
    settle()
    lines = worker_lines("nightly")
    runs = [line for line in lines if "run" in line]
    rss = lines[-1]["rss_mb"]
    for nightly in runs:
        floors.append(nightly["floor_s"])
        state = "a fresh worker" if nightly["run"] == 1 else "the same worker"
        say(
            f"  nightly run {nightly['run']} ({state}): {nightly['seconds']:.2f} s = levels "
            f"{nightly['levels_s']:.2f} s + {len(COLLECTIVITY_IDS)} snapshots (national pass) "
            f"{nightly['snapshots_s']:.2f} s (floor just before: {nightly['floor_s']:.2f} s)"
        )
    return runs, first, rss


COLLECTIVITY_IDS = []


def dashboard_times(collectivity_slug, rounds=40):
    from django.test import Client

    client = Client()
    assert client.login(username="bench.rh", password="bench-password-123")
    times = []
    panels = ["overview", "growth", "levels", "gaps", "elected", "funnel"]
    for i in range(rounds * len(panels)):
        panel = panels[i % len(panels)]
        start = time.perf_counter()
        response = client.get(f"/admin/tremplin/dashboards/{panel}/", {"collectivity": collectivity_slug})
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (panel, response.status_code)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def main():
    say(
        f"Analytics benchmark — {STATEMENTS} statements, {LEARNERS} learners, "
        f"{COLLECTIVITIES} collectivities, 12 months"
    )
    create_database()
    setup_django()
    from django.db import connection

    from lms.models import Collectivity

    actors, home, collectivity_ids, courses = generate()
    floors = [floor_group_by() for _ in range(3)]
    say(f"PostgreSQL GROUP BY floor: {min(floors):.2f} s (best of {', '.join(f'{f:.2f}' for f in floors)})")
    connection.close()
    COLLECTIVITY_IDS[:] = collectivity_ids
    runs, first, nightly_rss = full_rebuild(floors)
    floor = min(floors)
    nightly = min(runs, key=lambda run: run["seconds"])
    total = nightly["seconds"]
    median = statistics.median(run["seconds"] for run in runs)
    rss = max(first["rss_mb"], nightly_rss)
    say(
        f"Full rebuild (nightly): {total:.2f} s (best of {len(runs)}; median {median:.2f} s) against a "
        f"floor of {floor:.2f} s (best of {len(floors)}; median {statistics.median(floors):.2f} s) = "
        f"{total / floor:.1f} × floor (medians: {median / statistics.median(floors):.1f} ×); "
        f"peak worker RSS {rss:.0f} MB"
    )

    rng = random.Random(11)
    copy_statements(
        connection, rng, actors, home, collectivity_ids, courses, INCREMENT, months=12, recent=True
    )
    connection.close()
    incremental = worker("aggregate")
    touched = incremental.get("touched", [])
    path = "one national pass" if len(touched) > incremental["threshold"] else "one task each"
    say(
        f"Incremental absorption of {INCREMENT} statements (aggregate_statements): "
        f"{incremental['seconds']:.2f} s "
        f"= levels {incremental['levels_s']:.2f} s + the {len(touched)} touched snapshots ({path}) "
        f"{incremental['seconds'] - incremental['levels_s']:.2f} s"
    )
    snapshot_run = worker("snapshots", touched) if PER_COLLECTIVITY else {"seconds": None}
    if PER_COLLECTIVITY:
        say(f"  the same snapshots one task each, rewritten: {snapshot_run['seconds']:.1f} s by one worker")
    national_run = worker("national")
    say(f"  a national pass with nothing changed: {national_run['seconds']:.2f} s")

    slug = Collectivity.objects.get(pk=collectivity_ids[0]).slug
    p50, p95 = dashboard_times(slug)
    say(f"Dashboard render: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    print(
        json.dumps(
            {
                "statements": STATEMENTS,
                "learners": LEARNERS,
                "collectivities": COLLECTIVITIES,
                "full_rebuild_s": round(total, 2),
                "full_rebuild_levels_s": round(nightly["levels_s"], 2),
                "full_rebuild_snapshots_s": round(nightly["snapshots_s"], 2),
                "first_build_levels_s": round(first["levels_s"], 2),
                "first_build_snapshots_s": round(first["snapshots_s"], 2),
                "full_rebuild_runs_s": [round(run["seconds"], 2) for run in runs],
                "full_rebuild_fresh_process_s": round(runs[0]["seconds"], 2),
                "full_rebuild_median_s": round(median, 2),
                "group_by_floor_s": round(floor, 3),
                "group_by_floor_runs_s": [round(value, 3) for value in floors],
                "full_rebuild_over_floor": round(total / floor, 2) if floor else None,
                "full_rebuild_over_floor_medians": round(median / statistics.median(floors), 2),
                "peak_worker_rss_mb": round(rss),
                "incremental_10k_s": round(incremental["levels_s"], 3),
                "incremental_10k_with_snapshots_s": round(incremental["seconds"], 2),
                "incremental_10k_snapshots_one_task_each_s": (
                    round(snapshot_run["seconds"], 2) if PER_COLLECTIVITY else None
                ),
                "national_pass_unchanged_s": round(national_run["seconds"], 2),
                "dashboard_p50_ms": round(p50, 1),
                "dashboard_p95_ms": round(p95, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
