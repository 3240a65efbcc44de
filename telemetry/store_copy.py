"""Copying the raw readings from one store to the other (manage.py telemetry_copy), so an
installation can switch TELEMETRY_STORE without losing its history.

Per reading kind (inverter, combiner, sensor, grid):

1. Start after the kind's checkpoint (a KeyValue row `telemetry_copy.<from>.<to>.<kind>`) when
   an earlier run stopped in the middle with the same --since; otherwise from the start.
2. Read a page of readings from the source in key order (device, ts) after the last key
   (store.readings_page: one range of the primary key / unique index).
3. Write it to the target with store.readings_upsert: a reading already there with the same
   values is counted as already there and not written, one with other values is replaced.
4. Store the checkpoint after the page is written. A crash between the two only makes the next
   run read that page again, which changes nothing: the upsert is idempotent.
5. When the kind is done, drop its checkpoint: a later run reads it all again (cheap for what
   is already there, nothing is written), or, with --since, only the readings taken since.

Readings stored in the source while the copy runs are copied when their key comes after the
page being read; for the rest, run the copy again with --since (see docs/telemetry-store.md).
No late-hour marks are made: the rollups were made from the same readings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext as _

from monitoring.models import KeyValue
from telemetry import store

DEFAULT_CHUNK = 5000


@dataclass
class KindCopy:
    """What one kind's copy did in this run: read from the source; new, already there or
    replaced in the target; where it went on from an earlier run's checkpoint."""

    kind: str
    read: int = 0
    counts: dict[str, int] = field(
        default_factory=lambda: {store.NEW: 0, store.DUPLICATE: 0, store.UPDATED: 0}
    )
    resumed_after: tuple[int, datetime] | None = None


Progress = Callable[[str, int, int], None]


def checkpoint_key(*, source: str, target: str, kind: str) -> str:
    return f"telemetry_copy.{source}.{target}.{kind}"


def readings_copy(
    *,
    source: str,
    target: str,
    kinds: list[str] | None = None,
    since: datetime | None = None,
    restart: bool = False,
    chunk: int = DEFAULT_CHUNK,
    progress: Progress | None = None,
) -> list[KindCopy]:
    """Copy the readings of `kinds` (every kind by default) from store `source` to `target`."""
    if source == target or {source, target} - set(store.STORES):
        raise ValueError(f"copy from one of {store.STORES} to the other, not {source} to {target}")
    done = []
    for kind in kinds or list(store.TABLES):
        done.append(_kind_copy(source, target, kind, since, restart, chunk, progress))
    return done


def _kind_copy(source, target, kind, since, restart, chunk, progress) -> KindCopy:
    key = checkpoint_key(source=source, target=target, kind=kind)
    result = KindCopy(kind)
    after = None
    before = 0  # read by the run that left the checkpoint
    mark = None if restart else KeyValue.objects.filter(key=key).first()
    if mark and mark.value.get("since") == (since.isoformat() if since else None):  # 1.
        after = (mark.value["after"][0], datetime.fromisoformat(mark.value["after"][1]))
        result.resumed_after = after
        before = mark.value["read"]
    with store.store_chosen(source):
        total = store.readings_count(kind=kind, since=since)
    if progress:
        progress(kind, before, max(total, before))
    while True:
        with store.store_chosen(source):
            page = store.readings_page(kind=kind, after=after, since=since, limit=chunk)  # 2.
        if not page:
            break
        with store.store_chosen(target):
            written = store.readings_upsert(rows={kind: page})  # 3.
        for outcome, count in written.counts.items():
            result.counts[outcome] += count
        result.read += len(page)
        after = page[-1].key
        KeyValue.objects.update_or_create(  # 4.
            key=key,
            defaults={"value": {"since": since.isoformat() if since else None,
                                "after": [after[0], after[1].isoformat()],
                                "read": before + result.read}},
        )  # fmt: skip
        if progress:
            progress(kind, before + result.read, max(total, before + result.read))
    KeyValue.objects.filter(key=key).delete()  # 5.
    return result


def copy_summary(copies: list[KindCopy], *, source: str, target: str) -> str:
    """The command's closing lines: per kind what was read and what it did to the target."""
    lines = []
    for copy in copies:
        figures = {
            "kind": copy.kind, "read": copy.read, "source": source, "target": target,
            "new": copy.counts[store.NEW], "there": copy.counts[store.DUPLICATE],
            "replaced": copy.counts[store.UPDATED],
        }  # fmt: skip
        if copy.resumed_after:
            device, ts = copy.resumed_after
            line = _(
                "%(kind)s: %(read)d read from %(source)s (went on after %(device)s %(ts)s); in "
                "%(target)s %(new)d new, %(there)d already there, %(replaced)d replaced"
            ) % {**figures, "device": device, "ts": f"{ts:%Y-%m-%d %H:%M:%S}"}
        else:
            line = _(
                "%(kind)s: %(read)d read from %(source)s; in %(target)s %(new)d new, "
                "%(there)d already there, %(replaced)d replaced"
            ) % figures
        lines.append(line)
    return "\n".join(lines)
