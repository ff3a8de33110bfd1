"""Ingestion benchmark of the LRS (``make bench-ingest``).

Creates a dedicated PostgreSQL database, migrates it, starts the reference site under gunicorn, posts
``--statements`` varied valid statements in batches of ``--batch`` from ``--threads`` client threads,
``--rounds`` times (new statements each round; the rate is the median of the rounds, since one round lasts a
second or two and a burst of load elsewhere can halve it). Right after each round, a raw ``COPY`` of the same
statements into a bare table of the same database (the median of three) gives that round's reference: the
speed of this shared machine varies by a fifth from one minute to the next (the CPU per statement of a round
moves with it), so each round is compared with a ``COPY`` made under the same conditions, and the ratio is the
median of the rounds' ratios. Then it checks that every statement was stored once. Prints statements/s,
p50/p95 batch latency (over every round), the COPY rate (median of the rounds'), the ratio and the CPU per
statement of the web server, PostgreSQL and the client; the last line is JSON. The database is dropped at the
end.

gunicorn runs with the production settings (``lms.project.gunicorn_conf``, as in docker/compose.yaml and the
image; ``WEB_CONCURRENCY`` or ``--workers`` changes the number of workers). Celery publishes to an in-memory
broker: as in production, a request only asks for an aggregation run (without a broker the task would run
eagerly inside the request, which production never does); no worker consumes it, the aggregation is measured
by ``make bench-analytics``.

``--collectivity`` posts as a collectivity's client: its statements are then attributed to it, as those of the
learner's space are, and the stages of a course among them are written to the activity figures' index
(``lms_stmt_course_stage``); without it (the default, as in the figures of docs/architecture.md) they are
attributed to no collectivity.

Environment: ``BENCH_DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/postgres``: the server and
the maintenance database used to create and drop the benchmark database, named after the process id so that
two runs never share one).
"""

import argparse
import base64
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg

from lms.project import gunicorn_conf

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
KEY, SECRET = "bench", "bench-secret-0123456789"

VERBS = ["experienced", "completed", "passed", "failed", "answered", "progressed", "launched", "initialized"]
TYPES = ["course", "module", "lesson", "assessment", "interaction"]


def make_statements(count: int, seed: int = 7) -> list[dict]:
    """Varied, valid statements: accounts and mboxes, several verbs, results, contexts, interactions."""
    rng = random.Random(seed)
    statements = []
    for index in range(count):
        verb = rng.choice(VERBS)
        activity_type = rng.choice(TYPES)
        if rng.random() < 0.8:
            actor = {
                "objectType": "Agent",
                "account": {
                    "homePage": "https://tremplin.example.fr",
                    "name": str(uuid.UUID(int=rng.getrandbits(128))),
                },
            }
        else:
            actor = {
                "objectType": "Agent",
                "name": f"Agent {index}",
                "mbox": f"mailto:agent{index % 900}@mairie.fr",
            }
        course = rng.randrange(40)
        statement = {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "actor": actor,
            "verb": {
                "id": f"http://adlnet.gov/expapi/verbs/{verb}",
                "display": {"fr-FR": verb, "en-US": verb},
            },
            "object": {
                "objectType": "Activity",
                "id": f"https://tremplin.example.fr/activities/{activity_type}/{rng.randrange(2000)}",
                "definition": {
                    "type": f"http://adlnet.gov/expapi/activities/{activity_type}",
                    "name": {"fr-FR": f"Activité {index % 500}", "en-US": f"Activity {index % 500}"},
                },
            },
            "context": {
                "registration": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "contextActivities": {
                    "grouping": [{"id": f"https://tremplin.example.fr/activities/course/{course}"}],
                    "category": [{"id": "https://w3id.org/tremplin/xapi"}],
                },
                "platform": "Tremplin",
                "language": "fr-FR",
            },
            "timestamp": f"2026-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T"
            f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}.{rng.randrange(1000):03d}+01:00",
        }
        if verb in ("passed", "failed", "answered", "completed"):
            maximum = rng.choice([5, 10, 20])
            raw = rng.randrange(maximum + 1)
            statement["result"] = {
                "score": {"raw": raw, "min": 0, "max": maximum, "scaled": round(raw / maximum, 3)},
                "success": verb != "failed",
                "completion": True,
                "duration": f"PT{rng.randrange(1, 59)}M{rng.randrange(60)}S",
            }
        if activity_type == "interaction":
            statement["object"]["definition"].update(
                {
                    "interactionType": "choice",
                    "correctResponsesPattern": ["b"],
                    "choices": [{"id": c, "description": {"fr-FR": c.upper()}} for c in "abcd"],
                }
            )
            statement["result"] = {"response": rng.choice("abcd"), "success": rng.random() < 0.5}
        statements.append(statement)
    return statements


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def with_database(url: str, name: str) -> str:
    parsed = urlparse(url)
    return urlunparse(parsed._replace(path=f"/{name}"))


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux ``/proc``), 0 when it is gone or unreadable."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


#: PostgreSQL's own processes, which work for every database (their command line names no database).
_POSTGRES_AUXILIARIES = ("checkpointer", "background writer", "walwriter", "autovacuum launcher")


def _postgres_processes(database: str) -> list[int]:
    """The PostgreSQL processes that work for ``database``: its backends (and their parallel workers) and the
    server's auxiliary processes (WAL writer, checkpointer...), not the backends of other databases."""
    postgres = []
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as comm:
                    if comm.read().strip() != "postgres":
                        continue
                with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                    title = cmdline.read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            postgres.append((int(entry), title))
    ours = {pid for pid, title in postgres if f" {database} " in title}
    return [
        pid
        for pid, title in postgres
        if pid in ours
        or any(f"parallel worker for PID {leader}" in title for leader in ours)
        or title.rstrip().endswith(_POSTGRES_AUXILIARIES)
    ]


def cpu_usage(server: subprocess.Popen, database: str) -> dict[str, dict[int, float]]:
    """CPU seconds used so far, per process: the web server (gunicorn and its workers), the PostgreSQL
    processes of ``database`` and the server's auxiliary ones, and this client (pid 0: its process time).

    Where the time of the ingestion goes, measured rather than guessed: read before and after each round and
    compared pid by pid (:func:`cpu_used`); a process that ends between two readings takes its time with it,
    which the persistent connections of the site avoid.
    """
    web = [server.pid, *(int(pid) for pid in _children(server.pid))]
    return {
        "web": {pid: _cpu_seconds(pid) for pid in web},
        "database": {pid: _cpu_seconds(pid) for pid in _postgres_processes(database)},
        "client": {0: time.process_time()},
    }


def cpu_used(before: dict, after: dict) -> dict[str, float]:
    """Seconds of CPU per part between two readings of :func:`cpu_usage` (a process started in between
    counts from 0)."""
    return {
        part: sum(seconds - before[part].get(pid, 0.0) for pid, seconds in processes.items())
        for part, processes in after.items()
    }


def _children(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            return children.read().split()
    except OSError:
        return []


def post_batches(port: int, batches: list[bytes], threads: int) -> tuple[list[float], list[str], float]:
    """Post the batches from client threads with keep-alive connections; return latencies, errors, elapsed."""
    auth = "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    latencies, errors, lock = [], [], threading.Lock()
    queue = list(reversed(batches))

    def work():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while True:
            with lock:
                if not queue:
                    break
                body = queue.pop()
            start = time.perf_counter()
            connection.request(
                "POST",
                "/xapi/statements",
                body=body,
                headers={
                    "Authorization": auth,
                    "X-Experience-API-Version": "1.0.3",
                    "Content-Type": "application/json",
                },
            )
            response = connection.getresponse()
            content = response.read()
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                if response.status != 200:
                    errors.append(f"{response.status}: {content[:300]!r}")
        connection.close()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return latencies, errors, time.perf_counter() - start


def gunicorn_command(port: int) -> list[str]:
    """The web process of production (docker/compose.yaml), bound to a local port."""
    return [
        str(BIN / "gunicorn"),
        "--config",
        "python:lms.project.gunicorn_conf",
        "lms.project.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
    ]


def wait_until_up(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("gunicorn stopped before serving")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/xapi/about")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not answer in time")


def raw_copy_rate(database_url: str, statements: list[dict], runs: int = 3) -> float:
    """Rows per second of a COPY of the same statements (id, JSON) into a bare, unindexed table.

    The median of ``runs`` COPYs, each into a new table, so that one burst of load elsewhere does not decide.
    """
    rates = [_raw_copy_once(database_url, statements) for _ in range(runs)]
    return statistics.median(rates)


def _raw_copy_once(database_url: str, statements: list[dict]) -> float:
    # COPY's text format: a backslash is written twice.
    texts = (
        json.dumps(s, ensure_ascii=False, separators=(",", ":")).replace("\\", "\\\\") for s in statements
    )
    lines = "".join(f"{s['id']}\t{text}\n" for s, text in zip(statements, texts, strict=True)).encode()
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute("DROP TABLE IF EXISTS bench_raw_copy")
        connection.execute("CREATE TABLE bench_raw_copy (id uuid, data jsonb)")
        start = time.perf_counter()
        with (
            connection.transaction(),
            connection.cursor() as cursor,
            cursor.copy("COPY bench_raw_copy (id, data) FROM STDIN") as copy,
        ):
            copy.write(lines)
        elapsed = time.perf_counter() - start
        (count,) = connection.execute("SELECT count(*) FROM bench_raw_copy").fetchone()
        assert count == len(statements), count
    return len(statements) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of --statements; the median counts")
    parser.add_argument(
        "--collectivity",
        action="store_true",
        help="post as a collectivity's client (its statements are attributed to it, as those of the "
        "learner's space are, and the activity figures' index is written for them)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        help="gunicorn workers (default: WEB_CONCURRENCY, else production's: one per core)",
    )
    args = parser.parse_args()

    admin_url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    name = f"tremplin_bench_ingest_{os.getpid()}"
    database_url = with_database(admin_url, name)
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lms.project.settings",
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": "bench-only",
        "ALLOWED_HOSTS": "127.0.0.1",
        "CELERY_BROKER_URL": "memory://",
        "LOG_LEVEL": "ERROR",
    }
    if args.workers:
        env["WEB_CONCURRENCY"] = os.environ["WEB_CONCURRENCY"] = str(args.workers)
    workers = args.workers or gunicorn_conf.workers
    server = None
    try:
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--no-input", "--verbosity", "0"], env=env, cwd=ROOT, check=True)
        client = [*manage, "lms_lrs_client", "create", "bench", "--key", KEY, "--secret", SECRET]
        if args.collectivity:
            create = "from lms.models import Collectivity as C; C.objects.create(name='Bench', slug='bench')"
            subprocess.run([*manage, "shell", "-c", create], env=env, cwd=ROOT, check=True)
            client += ["--collectivity", "bench"]
        subprocess.run(
            client,
            env=env,
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        server = subprocess.Popen(gunicorn_command(port), env=env, cwd=ROOT)
        wait_until_up(port, server)
        # Warm-up: one small batch per worker (imports, connections, the first secret check).
        warmup = make_statements(workers * 2, seed=99)
        post_batches(port, [json.dumps([s]).encode() for s in warmup], workers)
        rates, copy_rates, latencies, posted = [], [], [], []
        cpu = {"web": 0.0, "database": 0.0, "client": 0.0}
        for round_index in range(args.rounds):
            statements = make_statements(args.statements, seed=7 + round_index)
            batches = [
                json.dumps(statements[i : i + args.batch], separators=(",", ":")).encode()
                for i in range(0, len(statements), args.batch)
            ]
            before = cpu_usage(server, name)
            round_latencies, errors, elapsed = post_batches(port, batches, args.threads)
            used = cpu_used(before, cpu_usage(server, name))
            cpu = {part: cpu[part] + seconds for part, seconds in used.items()}
            if errors:
                raise SystemExit(f"{len(errors)} batches failed, e.g. {errors[0]}")
            rates.append(len(statements) / elapsed)
            # The reference of this round, under the same conditions (gunicorn's workers wait, idle).
            copy_rates.append(raw_copy_rate(database_url, statements))
            latencies += round_latencies
            posted += statements
        with psycopg.connect(database_url) as connection:
            (count,) = connection.execute(
                "SELECT count(DISTINCT statement_id) FROM lms_statement WHERE statement_id = ANY(%s)",
                [[uuid.UUID(s["id"]) for s in posted]],
            ).fetchone()
        if count != len(posted):
            raise SystemExit(f"stored {count} of {len(posted)} statements")
        statements = posted[: args.statements]
        server.terminate()
        server.wait(timeout=30)
        server = None
    finally:
        if server is not None:
            server.kill()
            server.wait()
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    rate = statistics.median(rates)
    copy_rate = statistics.median(copy_rates)
    ratios = [api / copy for api, copy in zip(rates, copy_rates, strict=True)]
    ratio = statistics.median(ratios)
    latencies.sort()
    p50 = statistics.median(latencies)
    p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)]
    print(
        f"{args.rounds} rounds of {len(statements)} statements in batches of {args.batch} from "
        f"{args.threads} threads, gunicorn {workers} sync workers"
    )
    print(
        f"API ingestion:  {rate:,.0f} statements/s (median of the rounds: "
        + ", ".join(f"{r:,.0f}" for r in rates)
        + ")"
    )
    print(f"batch latency:  p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
    print(
        f"raw COPY:       {copy_rate:,.0f} rows/s into a bare (id uuid, data jsonb) table "
        "(median of the rounds: " + ", ".join(f"{r:,.0f}" for r in copy_rates) + ")"
    )
    print(
        f"ratio API/COPY: {ratio:.3f} (median of the rounds: " + ", ".join(f"{r:.3f}" for r in ratios) + ")"
    )
    cpu = {part: used / len(posted) * 1e6 for part, used in cpu.items()}
    if cpu["web"]:
        print(
            "CPU per statement: "
            + ", ".join(f"{part} {microseconds:.0f} µs" for part, microseconds in cpu.items())
            + f" (this machine: {os.cpu_count()} cores)"
        )
    print(
        json.dumps(
            {
                "statements": len(statements),
                "rounds": args.rounds,
                "statements_per_s": round(rate, 1),
                "p50_batch_s": round(p50, 4),
                "p95_batch_s": round(p95, 4),
                "copy_rows_per_s": round(copy_rate, 1),
                "ratio": round(ratio, 3),
                "workers": workers,
                "threads": args.threads,
                "round_statements_per_s": [round(r, 1) for r in rates],
                "round_copy_rows_per_s": [round(r, 1) for r in copy_rates],
                "round_ratios": [round(r, 3) for r in ratios],
                "cpu_us_per_statement": {part: round(microseconds, 1) for part, microseconds in cpu.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
