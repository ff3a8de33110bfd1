"""Consistency of the container setup (docker/) with the code, checked without Docker and without a database.

Modules are located with ``importlib.machinery.PathFinder`` one package level at a time, which finds the
files without executing them: importing ``lms.project`` would create its Celery app (and make it the
current one for the whole test session) and importing ``lms.project.wsgi`` would configure Django.
"""

import ast
import json
import re
import shlex
from functools import cache
from importlib.machinery import PathFinder
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCKER_DIR = ROOT / "docker"
DOCKERFILE = DOCKER_DIR / "Dockerfile"
COMPOSE_FILE = DOCKER_DIR / "compose.yaml"
ENV_EXAMPLE = DOCKER_DIR / "env.example"
SETTINGS_FILE = ROOT / "lms" / "project" / "settings.py"

# The packages the image ships (pyproject.toml's packages, copied by the Dockerfile).
APPS = ("lms", "courses", "competences")
# Django's own management commands the containers may run (get_commands() would need the project settings).
DJANGO_BUILTIN_COMMANDS = {"migrate", "collectstatic", "compilemessages", "check"}
SHELLS = {"sh", "/bin/sh", "bash", "/bin/bash"}
PYTHONS = {"python", "python3", "python3.11"}
ENV_READERS = {"env_bool", "env_list", "getenv"}


# --- Parsing helpers ------------------------------------------------------------------------------------


@cache
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, arguments = line.partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def dockerfile_cmd() -> list[str]:
    cmds = [arguments for keyword, arguments in dockerfile_instructions() if keyword == "CMD"]
    assert cmds, "the Dockerfile has no CMD"
    return json.loads(cmds[-1])  # exec form; a shell-form CMD fails here


def env_example() -> dict[str, str]:
    return dict(
        line.split("=", 1)
        for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
        if re.match(r"[A-Z_][A-Z0-9_]*=", line)
    )


def variables_read_by_settings() -> set[str]:
    """Names passed as literals to os.environ.get / os.environ[...] / os.getenv / env_bool / env_list."""
    names = set()
    for node in ast.walk(ast.parse(SETTINGS_FILE.read_text(encoding="utf-8"))):
        key = None
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            is_environ_get = (
                isinstance(func, ast.Attribute)
                and func.attr == "get"
                and isinstance(func.value, ast.Attribute)
                and func.value.attr == "environ"
            )
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if is_environ_get or called in ENV_READERS:
                key = node.args[0]
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "environ"
        ):
            key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            names.add(key.value)
    return names


def _statements(body):
    """Module-level statements, including those nested in if / try / with blocks."""
    for node in body:
        yield node
        for field in ("body", "orelse", "finalbody", "handlers"):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                yield from _statements(getattr(node, field, []))


def top_level_names(path: Path) -> set[str]:
    names = set()
    for node in _statements(ast.parse(path.read_text(encoding="utf-8")).body):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            names.add(node.target.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return names


def find_module(dotted: str):
    """The spec of a module of the repository, found without importing it or its parent packages."""
    parts = dotted.split(".")
    spec = PathFinder.find_spec(parts[0], [str(ROOT)])
    for part in parts[1:]:
        if spec is None or not spec.submodule_search_locations:
            return None
        spec = PathFinder.find_spec(part, list(spec.submodule_search_locations))
    return spec


# --- Checks of one command line -------------------------------------------------------------------------


def check_gunicorn(argv: list[str]) -> list[str]:
    # module:attribute, both identifiers (so that a "0.0.0.0:8000" bind address is not taken for it)
    targets = [arg for arg in argv[1:] if re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*", arg)]
    if len(targets) != 1:
        return [f"{argv}: expected exactly one module:attribute application"]
    module, attribute = targets[0].split(":")
    spec = find_module(module)
    if spec is None or not spec.origin:
        return [f"{argv}: module {module} does not exist"]
    if attribute not in top_level_names(Path(spec.origin)):
        return [f"{argv}: {spec.origin} does not define {attribute}"]
    configs = [value for option, value in zip(argv, argv[1:], strict=False) if option in ("-c", "--config")]
    for config in configs:
        if config.startswith("python:") and find_module(config.removeprefix("python:")) is None:
            return [f"{argv}: the settings module {config} does not exist"]
    return []


def check_celery(argv: list[str]) -> list[str]:
    app = None
    for i, arg in enumerate(argv):
        if arg in ("-A", "--app") and i + 1 < len(argv):
            app = argv[i + 1]
        elif arg.startswith("--app="):
            app = arg.partition("=")[2]
    if not app:
        return [f"{argv}: no -A/--app given"]
    module, _, attribute = app.partition(":")
    spec = find_module(module)
    if spec is None or not spec.origin:
        return [f"{argv}: module {module} does not exist"]
    # What celery's find_app accepts: the named attribute, else `app` / `celery_app` in the module, else
    # `app` in the package's `celery` submodule.
    wanted = {attribute} if attribute else {"app", "celery_app"}
    if wanted & top_level_names(Path(spec.origin)):
        return []
    if not attribute and spec.submodule_search_locations:
        submodule = find_module(f"{module}.celery")
        if submodule and submodule.origin and "app" in top_level_names(Path(submodule.origin)):
            return []
    return [f"{argv}: {module} defines no Celery application ({' or '.join(sorted(wanted))})"]


def check_management_command(argv: list[str], command: str | None) -> list[str]:
    if not command or command.startswith("-"):
        return [f"{argv}: no management command given"]
    if command in DJANGO_BUILTIN_COMMANDS:
        return []
    if any((ROOT / app / "management" / "commands" / f"{command}.py").is_file() for app in APPS):
        return []
    return [f"{argv}: no management command {command!r} in {', '.join(APPS)}"]


def check_command(argv: list[str]) -> list[str]:
    program = Path(argv[0]).name if argv else ""
    if program in SHELLS and len(argv) == 3 and argv[1] == "-c":
        return [
            problem
            for part in re.split(r"&&|\|\||;", argv[2])
            if part.strip()
            for problem in check_command(shlex.split(part))
        ]
    if program == "gunicorn":
        return check_gunicorn(argv)
    if program == "celery":
        return check_celery(argv)
    if program in PYTHONS and len(argv) > 1 and argv[1] == "manage.py":
        if not (ROOT / "manage.py").is_file():
            return [f"{argv}: manage.py is missing at the repository root"]
        return check_management_command(argv, argv[2] if len(argv) > 2 else None)
    if program == "django-admin":
        return check_management_command(argv, argv[1] if len(argv) > 1 else None)
    return [f"{argv}: no check for this program, add one to tests/test_docker.py"]


def our_image_services() -> dict[str, dict]:
    """The compose services built from docker/Dockerfile, or running the image such a service builds."""
    services = compose()["services"]
    images, built = set(), {}
    for name, service in services.items():
        build = service.get("build")
        if isinstance(build, dict):
            context = (DOCKER_DIR / build.get("context", ".")).resolve()
            if (context / build.get("dockerfile", "Dockerfile")).resolve() == DOCKERFILE:
                built[name] = service
                images.add(service.get("image"))
    images.discard(None)
    return built | {name: service for name, service in services.items() if service.get("image") in images}


# --- Tests ----------------------------------------------------------------------------------------------


def test_the_application_services_all_run_the_image_built_from_the_repository_root():
    services = our_image_services()
    assert set(services) == {"migrate", "web", "worker", "beat"}
    for service in services.values():
        assert (DOCKER_DIR / service["build"]["context"]).resolve() == ROOT
        assert service["image"] == services["web"]["image"]


def test_compose_commands_are_yaml_lists():
    for name, service in compose()["services"].items():
        if "command" in service:
            assert isinstance(service["command"], list), f"{name}: write the command as a YAML list"
            assert all(isinstance(arg, str) for arg in service["command"]), name


@pytest.mark.parametrize("service", sorted(our_image_services()))
def test_compose_commands_point_at_existing_modules(service):
    argv = our_image_services()[service].get("command") or dockerfile_cmd()
    assert check_command(argv) == []


def test_migrate_runs_the_migrations_then_loads_the_competence_frameworks():
    argv = compose()["services"]["migrate"]["command"]
    assert argv[:2] == ["sh", "-c"]
    steps = [shlex.split(part) for part in argv[2].split("&&")]
    assert steps == [
        ["python", "manage.py", "migrate", "--no-input"],
        ["python", "manage.py", "lms_load_frameworks"],
    ]


def test_the_command_checks_reject_missing_modules_and_commands():
    assert check_command(["gunicorn", "lms.project.wsgi:app"])
    assert check_command(["gunicorn", "lms.project.nowhere:application"])
    assert check_command(["celery", "-A", "lms.nowhere", "worker"])
    assert check_command(["celery", "-A", "lms", "worker"])
    assert check_command(["python", "manage.py", "no_such_command"])
    assert check_command(["sh", "-c", "python manage.py migrate && python manage.py no_such_command"])
    assert check_command(["uwsgi", "--http", ":8000"])
    assert check_command(
        ["gunicorn", "--config", "python:lms.project.nowhere", "lms.project.wsgi:application"]
    )


@pytest.mark.parametrize("service", ["web", "worker", "beat"])
def test_long_running_services_wait_for_the_migrations_and_healthy_backing_services(service):
    depends_on = compose()["services"][service]["depends_on"]
    assert depends_on["migrate"]["condition"] == "service_completed_successfully"
    assert depends_on["db"]["condition"] == "service_healthy"
    assert depends_on["redis"]["condition"] == "service_healthy"
    for backing in ("db", "redis"):
        assert "healthcheck" in compose()["services"][backing]


def test_media_volume_is_mounted_at_media_root():
    media_root = env_example()["MEDIA_ROOT"]
    for name, service in our_image_services().items():
        targets = {
            volume.split(":")[1] for volume in service.get("volumes", []) if volume.startswith("media:")
        }
        assert targets == {media_root}, name
    assert "media" in compose()["volumes"]


def test_env_example_documents_every_variable_read_by_the_settings():
    read = variables_read_by_settings()
    assert {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "TREMPLIN_VAR_DIR"} <= read  # the parser finds them
    assert sorted(read - set(env_example())) == []


def test_every_env_example_variable_has_a_comment_above_it():
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if re.match(r"[A-Z_][A-Z0-9_]*=", line):
            assert i > 0 and lines[i - 1].startswith("#"), f"{line!r} is not documented"


def test_env_example_targets_the_compose_services_in_production_mode():
    env, services = env_example(), compose()["services"]
    database = urlsplit(env["DATABASE_URL"])
    assert database.scheme.startswith("postgres")
    assert database.hostname in services and database.port == 5432
    assert database.username == services["db"]["environment"]["POSTGRES_USER"]
    assert database.path == "/" + services["db"]["environment"]["POSTGRES_DB"]
    assert urlsplit(env["CELERY_BROKER_URL"]).hostname in services
    assert env["DEBUG"] == "0"
    assert env["SECRET_KEY"]


def test_dockerfile_cmd_serves_the_wsgi_application_on_port_8000():
    argv = dockerfile_cmd()
    assert argv[0] == "gunicorn"
    assert "lms.project.wsgi:application" in argv
    assert "0.0.0.0:8000" in argv
    assert check_command(argv) == []
    assert ("EXPOSE", "8000") in dockerfile_instructions()


def test_the_web_service_the_image_and_the_ingestion_benchmark_share_the_gunicorn_settings():
    from tests.benchmarks.bench_ingest import gunicorn_command

    shared = ["--config", "python:lms.project.gunicorn_conf"]
    for argv in (compose()["services"]["web"]["command"], dockerfile_cmd(), gunicorn_command(8000)):
        assert argv[1:3] == shared, argv
        assert not {"-w", "--workers", "-k", "--worker-class", "--threads"} & set(argv), argv


def test_gunicorn_runs_one_worker_per_core_between_two_and_eight_unless_told(monkeypatch):
    import importlib

    from lms.project import gunicorn_conf

    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    for cores, expected in ((1, 2), (2, 2), (6, 6), (64, 8)):
        monkeypatch.setattr(gunicorn_conf.os, "sched_getaffinity", lambda pid, n=cores: set(range(n)))
        assert importlib.reload(gunicorn_conf).workers == expected
    monkeypatch.setenv("WEB_CONCURRENCY", "5")
    assert importlib.reload(gunicorn_conf).workers == 5
    monkeypatch.undo()
    importlib.reload(gunicorn_conf)


def test_gunicorn_workers_keep_the_garbage_collector_off_the_loaded_site():
    import gc

    from lms.project import gunicorn_conf

    threshold = gc.get_threshold()
    try:
        gunicorn_conf.post_worker_init(worker=None)
        # What importing the site created is frozen: collections no longer scan it, request after request.
        assert gc.get_freeze_count() > 10_000
        assert gc.get_threshold()[0] == gunicorn_conf.GC_THRESHOLD > threshold[0]
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


def test_the_image_runs_in_production_mode_as_an_unprivileged_user():
    instructions = dockerfile_instructions()
    env = " ".join(arguments for keyword, arguments in instructions if keyword == "ENV")
    assert "DEBUG=0" in env.split()
    assert "DJANGO_SETTINGS_MODULE=lms.project.settings" in env.split()
    assert find_module("lms.project.settings") is not None
    users = [arguments for keyword, arguments in instructions if keyword == "USER"]
    assert users and users[-1] not in {"root", "0"}
