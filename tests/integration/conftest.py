"""Real services for integration tests: Redis on this machine and a Celery worker in a subprocess."""

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlparse

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def require_redis():
    if not redis_reachable(REDIS_URL):
        message = f"Redis is not reachable at {REDIS_URL}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def database_url() -> str:
    """The URL of the test database this process uses, for a subprocess to use the same one."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = quote(settings.get("USER") or "")
    password = f":{quote(settings['PASSWORD'])}" if settings.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host, port = settings.get("HOST") or "127.0.0.1", settings.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{settings['NAME']}"


class Worker:
    def __init__(self, queue: str, process: subprocess.Popen, log: Path):
        self.queue, self.process, self.log = queue, process, log

    def send(self, task_name: str, args=()):
        from celery import Celery

        client = Celery("tremplin-test-client", broker=REDIS_URL)
        client.send_task(task_name, args=list(args), queue=self.queue)


def start_worker(queue: str, log: Path, **extra_env) -> subprocess.Popen:
    """Start ``celery worker`` (solo pool) on Redis against the test database and wait until it is ready."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),
        "TEST_CELERY_BROKER_URL": REDIS_URL,
        "TEST_CELERY_QUEUE": queue,
        **extra_env,
    }
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "tests.celery_app",
                "worker",
                "--pool",
                "solo",
                "--loglevel",
                "INFO",
                "-Q",
                queue,
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while b"ready" not in log.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"The Celery worker did not start:\n{log.read_text()}")
        time.sleep(0.2)
    return process


def stop_worker(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def celery_worker_process(transactional_db, tmp_path):
    """Start ``celery worker`` on Redis against the test database; stop it after the test."""
    require_redis()
    queue = f"tremplin-test-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    process = start_worker(queue, log)
    yield Worker(queue, process, log)
    stop_worker(process)
    connection.close()


@pytest.fixture
def worker_factory(transactional_db, tmp_path):
    """Start workers on one private queue (``factory(**env)``); every worker still running is stopped."""
    require_redis()
    queue = f"tremplin-test-{uuid.uuid4().hex[:8]}"
    started = []

    def factory(**extra_env) -> Worker:
        log = tmp_path / f"worker-{len(started)}.log"
        worker = Worker(queue, start_worker(queue, log, **extra_env), log)
        started.append(worker)
        return worker

    yield factory
    for worker in started:
        stop_worker(worker.process)
    connection.close()
