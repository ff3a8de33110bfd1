"""French is complete and the catalogues match the code (what `make messages` would write)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPS = ["lms", "courses", "competences"]
DJANGO_ADMIN = [sys.executable, "-m", "django"]


def _catalogue(app_dir: Path) -> Path:
    return app_dir / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def _messages(text: str) -> dict[str, str]:
    """Parse a .po file into {msgctxt + msgid (+ msgid_plural): translations}, whatever the line wrapping."""
    entries, current, key = {}, {}, None
    for line in text.splitlines() + [""]:
        line = line.strip()
        if not line or line.startswith("#"):
            if current.get("msgid"):
                ident = "\x04".join(current.get(k, "") for k in ("msgctxt", "msgid", "msgid_plural"))
                entries[ident] = "|".join(v for k, v in sorted(current.items()) if k.startswith("msgstr"))
            if not line:
                current, key = {}, None
            continue
        if line.startswith('"'):
            current[key] += line[1:-1]
        else:
            key, _, value = line.partition(" ")
            current[key] = value[1:-1]
    return entries


@pytest.mark.parametrize("app", APPS)
def test_makemessages_would_not_change_the_french_catalogue(app, tmp_path):
    copy = tmp_path / app
    shutil.copytree(ROOT / app, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    subprocess.run(
        [*DJANGO_ADMIN, "makemessages", "-l", "fr", "--no-obsolete", "--add-location", "file"],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
    )
    committed = _messages(_catalogue(ROOT / app).read_text(encoding="utf-8"))
    regenerated = _messages(_catalogue(copy).read_text(encoding="utf-8"))
    assert regenerated.keys() == committed.keys(), f"Run `make messages` and translate {app}'s new strings."


@pytest.mark.parametrize("app", APPS)
def test_every_french_message_is_translated(app):
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", os.devnull, str(_catalogue(ROOT / app))],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr
