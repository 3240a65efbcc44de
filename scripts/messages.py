"""Refresh the Korean catalogues (`make messages`), then fill in the new msgstr entries.

1. Django's makemessages extracts each app's strings into the app's catalogue
   (<app>/locale/ko) and those of the templates and of solarsite into the project's
   (locale/ko), keeping every translation already there and dropping strings no longer used.
2. Words several catalogues would hold (the same string in two apps, or in an app and a
   template) are kept once, in the project's catalogue, with their translation: Django looks
   there first, so every app finds them, and one string has one translation.
3. Each catalogue lists its strings' files but not their lines, and no creation date, so a
   change elsewhere in a file, or another branch's new strings, leave its lines alone.

    .venv/bin/python scripts/messages.py [--root DIR]

Prints each catalogue's entries and what is left to translate. Apps without a locale/ folder
have their strings in the project's catalogue.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
LANGUAGE = "ko"
IGNORED = [".venv", "var", "node_modules", "tests", "bench", "scripts"]
CATALOGUE = Path("locale") / LANGUAGE / "LC_MESSAGES" / "django.po"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the project to work in")
    args = parser.parse_args()
    root = args.root.resolve()
    paths = catalogue_paths(root)
    memory = translations_of(catalogues_load(root, paths))
    extract(root)
    catalogues = catalogues_load(root, paths)
    shared = shared_move(catalogues)
    for catalogue in catalogues.values():
        translations_fill(catalogue, memory)
    for path, catalogue in catalogues.items():
        catalogue.metadata.pop("POT-Creation-Date", None)
        catalogue.save(str(root / path))
    report(catalogues, shared)


def extract(root: Path) -> None:
    command = [sys.executable, "manage.py", "makemessages", "-l", LANGUAGE, "--no-obsolete",
               "--add-location=file", *(f"--ignore={name}" for name in IGNORED)]  # fmt: skip
    subprocess.run(command, cwd=root, check=True, stdout=subprocess.DEVNULL)


def catalogue_paths(root: Path) -> list[Path]:
    """Every catalogue, in the order Django looks strings up: the project's, then the apps'
    in INSTALLED_APPS order."""
    import django
    from django.apps import apps

    sys.path.insert(0, str(root))
    django.setup()
    labels = [config.label for config in apps.get_app_configs()]
    found = [Path(label) / CATALOGUE for label in labels if (root / label / CATALOGUE).exists()]
    return [CATALOGUE, *found]


def catalogues_load(root: Path, paths: list[Path]) -> dict[Path, polib.POFile]:
    return {path: polib.pofile(str(root / path), wrapwidth=100) for path in paths}


def translations_of(catalogues: dict[Path, polib.POFile]) -> dict[tuple, polib.POEntry]:
    """Every translation there is, before extracting: a string that moved (to another app, or
    into the project's catalogue as shared words) keeps its translation."""
    memory: dict[tuple, polib.POEntry] = {}
    for catalogue in catalogues.values():
        for entry in catalogue.translated_entries():
            memory.setdefault(_key(entry), entry)
    return memory


def translations_fill(catalogue: polib.POFile, memory: dict[tuple, polib.POEntry]) -> None:
    """Untranslated or fuzzy entries get the translation the string had before, if any."""
    for entry in catalogue:
        known = memory.get(_key(entry))
        if known is None or entry.translated():
            continue
        entry.msgstr, entry.msgstr_plural = known.msgstr, dict(known.msgstr_plural)
        entry.flags = [flag for flag in entry.flags if flag != "fuzzy"]
        entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None


def _key(entry: polib.POEntry) -> tuple:
    return entry.msgctxt, entry.msgid, entry.msgid_plural


def shared_move(catalogues: dict[Path, polib.POFile]) -> list[str]:
    """Move every string held by more than one catalogue into the project's, with the
    translation Django would have shown (the first catalogue's that has one); returns the
    strings whose translations disagreed."""
    project = catalogues[CATALOGUE]
    holders: dict[tuple, list[Path]] = {}
    for path, catalogue in catalogues.items():
        for entry in catalogue:
            if not entry.obsolete:
                holders.setdefault(_key(entry), []).append(path)
    disagreed = []
    for key, paths in holders.items():
        if len(paths) < 2:
            continue
        entries = [(path, _entry(catalogues[path], key)) for path in paths]
        kept = _entry(project, key) if CATALOGUE in paths else None
        if kept is None:
            kept = polib.POEntry(msgid=key[1], msgctxt=key[0], msgid_plural=key[2] or "")
            project.append(kept)
        translations = {_translation(e) for _, e in entries if e.translated()}
        if len(translations) > 1:
            disagreed.append(key[1])
        if not kept.translated():
            for _, entry in entries:
                if entry.translated():
                    kept.msgstr, kept.msgstr_plural = entry.msgstr, dict(entry.msgstr_plural)
                    kept.flags = [f for f in entry.flags if f != "fuzzy"]
                    break
        for path, entry in entries:
            if path == CATALOGUE:
                continue
            for occurrence in entry.occurrences:
                if occurrence not in kept.occurrences:
                    kept.occurrences.append(occurrence)
            if not kept.comment and entry.comment:
                kept.comment = entry.comment
            for flag in entry.flags:
                if flag not in kept.flags and flag != "fuzzy":
                    kept.flags.append(flag)
            catalogues[path].remove(entry)
    return disagreed


def _entry(catalogue: polib.POFile, key: tuple) -> polib.POEntry:
    return next(e for e in catalogue if _key(e) == key and not e.obsolete)


def _translation(entry: polib.POEntry) -> tuple:
    return entry.msgstr, tuple(sorted(entry.msgstr_plural.items()))


def report(catalogues: dict[Path, polib.POFile], disagreed: list[str]) -> None:
    for path, catalogue in catalogues.items():
        left = len(catalogue.untranslated_entries()) + len(catalogue.fuzzy_entries())
        print(f"{str(path):<45} {len(catalogue):4} strings, {left} to translate")
    for msgid in disagreed:
        print(f"translated differently in two catalogues; the one shown is kept: {msgid!r}")


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "solarsite.settings")
    main()
