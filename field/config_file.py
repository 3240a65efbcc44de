"""A config file the field tools read (the Modbus collector's, the legacy mapping) with problems.

Every problem is found before the error is raised, so whoever edits the file fixes them all in
one go: `problems` lists them, one sentence each, starting with the setting's path.
"""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext as _


class ConfigFileError(Exception):
    def __init__(self, path: Path | str, problems: list[str]):
        self.problems = problems
        super().__init__(
            _("%(path)s has %(count)s problem(s):\n  %(list)s")
            % {"path": path, "count": len(problems), "list": "\n  ".join(problems)}
        )
