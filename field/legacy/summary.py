"""What a run did to each table: rows read, inserted, updated, unchanged, skipped and why."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

EXAMPLES_PER_REASON = 3


@dataclass
class TableSummary:
    table: str
    target: str
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    # Records the second source (the old MongoDB) holds differently from what is stored: the
    # stored one was kept (field/legacy/run.py's precedence rule).
    disagreed: int = 0
    skipped: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    notes: Counter = field(default_factory=Counter)
    status: str = "imported"  # or: missing (not in the old database)
    mark: Any = None

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    def counts_add(self, counts: dict[str, int]) -> None:
        for outcome, number in counts.items():
            setattr(self, outcome, getattr(self, outcome) + number)

    def skip(self, reason: str, example: str) -> None:
        self.skipped[reason] += 1
        shown = self.examples.setdefault(reason, [])
        if example and len(shown) < EXAMPLES_PER_REASON:
            shown.append(example)


def summary_text(summaries: list[TableSummary], *, dry_run: bool) -> str:
    """The table `manage.py import_legacy` prints, then each skip reason and note."""
    lines = [_("Dry run: nothing was changed.") if dry_run else _("Import finished.")]
    header = (_("table"), _("read"), _("inserted"), _("updated"), _("unchanged"), _("skipped"))
    lines.append("{:<20} {:>10} {:>10} {:>10} {:>10} {:>10}".format(*header))
    for s in summaries:
        if s.status == "imported":
            lines.append(
                f"{s.table:<20} {s.read:>10} {s.inserted:>10} {s.updated:>10} "
                f"{s.unchanged:>10} {sum(s.skipped.values()):>10}"
            )
        else:
            lines.append(f"{s.table:<20} " + _("not in the old database; nothing to import"))
    for s in summaries:
        for reason, count in s.skipped.most_common():
            examples = "; ".join(s.examples.get(reason, []))
            values = {"table": s.table, "count": count, "reason": reason, "examples": examples}
            if examples:
                line = _("%(table)s: skipped %(count)s, %(reason)s (e.g. %(examples)s)") % values
            else:
                line = _("%(table)s: skipped %(count)s, %(reason)s") % values
            lines.append(line)
        for note, count in s.notes.most_common():
            lines.append(f"{s.table}: {note}: {count}")
        if s.disagreed:
            lines.append(
                _("%(table)s: %(count)s records differ from those already imported; kept")
                % {"table": s.table, "count": s.disagreed}
            )
    return "\n".join(lines)


def summary_line(summaries: list[TableSummary]) -> str:
    """One line for the job log."""
    imported = [s for s in summaries if s.status == "imported"]
    return (
        f"legacy import: {sum(s.read for s in imported):,} rows read from {len(imported)} "
        f"tables, {sum(s.inserted for s in imported):,} inserted, "
        f"{sum(s.updated for s in imported):,} updated, "
        f"{sum(sum(s.skipped.values()) for s in imported):,} skipped"
        + (f", {disagreed:,} disagreements" if (disagreed := sum(s.disagreed for s in imported))
           else "")
    )
