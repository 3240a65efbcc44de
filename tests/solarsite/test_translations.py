"""Korean first: every message catalogue in the project is complete."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(
    path
    for path in ROOT.glob("**/locale/ko/LC_MESSAGES/django.po")
    if not {".venv", "node_modules", "var"} & set(path.relative_to(ROOT).parts)
)


def test_the_project_and_its_apps_have_korean_catalogues():
    places = {path.relative_to(ROOT).parts[0] for path in CATALOGUES}
    assert {"locale", "accounts", "monitoring"} <= places


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_message_is_translated(catalogue):
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(catalogue)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr


def test_every_string_of_the_code_is_in_exactly_one_catalogue(tmp_path):
    """What `make messages` would write is what the repository holds: no string left out of
    the catalogues or left in one after it went from the code, none in two."""
    copy = tmp_path / "project"
    skipped = (".venv", "node_modules", "var", ".git", "__pycache__", "*.mo", "tests", "bench")
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(*skipped))
    done = subprocess.run(
        [sys.executable, "scripts/messages.py"], cwd=copy, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "translated differently" not in done.stdout, done.stdout
    for catalogue in CATALOGUES:
        relative = catalogue.relative_to(ROOT)
        assert _messages(copy / relative) == _messages(catalogue), relative


def _messages(path: Path) -> dict:
    return {
        (e.msgctxt, e.msgid, e.msgid_plural): (e.msgstr, sorted(e.msgstr_plural.items()))
        for e in polib.pofile(str(path))
        if not e.obsolete
    }


def test_one_korean_word_for_alarm():
    """The site says 알람; the admin and the messages say the same, never 경보."""
    for catalogue in CATALOGUES:
        for entry in polib.pofile(str(catalogue)):
            texts = [entry.msgstr, *entry.msgstr_plural.values()]
            assert not any("경보" in text for text in texts), (catalogue, entry.msgid)
