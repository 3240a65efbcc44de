"""Refused readings: every item the ingest refuses is kept for a while, and each collector's
refusal rate is counted, so a site logger that sends garbage is seen instead of forgotten.

    refusals_record(collector_id=..., station_ids=..., items=..., errors=..., now=...)
      1. one RefusedReading row per refused item: the collector, the plant when the item names
         a known one, the item as sent (JSON, cut to ITEM_MAX_CHARS), the error code and
         sentence, the time;
      2. the collector's IngestTally of this UTC hour gains the batch's items and refusals
         (the rate's two counts);
      both in one transaction of the telemetry database, after the batch's readings were
      committed: a failure here is logged and swallowed, so it never costs the accepted
      readings nor turns the collector's answer into an error.
    refusal_rates(collector_ids=..., since=...)   -> {collector_id: RefusalRate}
    refusals_purge(now=...)                       rows older than REFUSED_READINGS_DAYS go
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Sum
from django.utils import timezone

from solarsite.db_routers import database_for
from solarsite.upsert import upsert_add_sql
from telemetry.models import IngestTally, RefusedReading

if TYPE_CHECKING:
    from telemetry.ingest import ItemError

log = logging.getLogger(__name__)
DATABASE = database_for("telemetry")
# An item is at most about 1 KB in a well-formed batch; more than this is garbage already seen.
ITEM_MAX_CHARS = 2000
PURGE_CHUNK = 5000


@dataclass(frozen=True)
class RefusalRate:
    items: int
    refused: int

    @property
    def share(self) -> float:
        return self.refused / self.items if self.items else 0.0


def refusals_record(
    *,
    collector_id: int,
    station_ids: Mapping[str, int],
    sections: Mapping[str, Sequence[object]],
    refusals: Sequence[ItemError],
    now: datetime,
) -> bool:
    """Keep the batch's refused items and count the batch; see the module docstring. Returns
    False (and logs why) if the database refused to keep them."""
    items = sum(len(section) for section in sections.values())
    if not items:
        return True
    try:
        rows = [
            RefusedReading(
                collector_id=collector_id,
                station_id=_station_of(sections[r.section][r.index], station_ids),
                received_at=now,
                section=r.section,
                index=r.index,
                field=r.field[:50],
                code=r.code[:40],
                message=r.message[:300],
                item=item_text(sections[r.section][r.index]),
            )
            for r in refusals
        ]
        # Without refusals the count is one statement, needing no transaction of its own.
        with transaction.atomic(using=DATABASE) if rows else nullcontext():
            if rows:
                RefusedReading.objects.using(DATABASE).bulk_create(rows, batch_size=500)
            _tally_add(collector_id=collector_id, hour=_hour(now), items=items,
                       refused=len(rows))  # fmt: skip
    # The readings are stored and the answer is due: nothing here may turn it into an error.
    except Exception:  # noqa: BLE001
        log.exception("collector %s: %d refused items not kept", collector_id, len(refusals))
        return False
    return True


def _station_of(item: object, station_ids: Mapping[str, int]) -> int | None:
    code = item.get("station") if isinstance(item, dict) else None
    return station_ids.get(code) if isinstance(code, str) else None


def item_text(item: object) -> str:
    """The item as sent, as JSON, cut to ITEM_MAX_CHARS; always storable (a lone surrogate is
    escaped, an integer too long to print stands as its size)."""
    try:
        text = json.dumps(item, ensure_ascii=False, default=repr)
    except ValueError:  # an integer of over 4,300 digits, which Python will not print
        text = json.dumps(_shrink(item), ensure_ascii=False, default=repr)
    except RecursionError:
        text = type(item).__name__
    text = text[:ITEM_MAX_CHARS]
    try:
        text.encode()
    except UnicodeEncodeError:
        text = text.encode("utf-8", "backslashreplace").decode()[:ITEM_MAX_CHARS]
    return text


def _shrink(value: object) -> object:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and abs(value) >= 10**100:
        return f"~1e{int(abs(value).bit_length() * 0.30103)}"
    if isinstance(value, dict):
        return {k: _shrink(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shrink(v) for v in value]
    return value


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _tally_add(*, collector_id: int, hour: datetime, items: int, refused: int) -> None:
    """Add to the hour's counts in one statement (an insert, or an addition on conflict)."""
    connection = connections[DATABASE]
    sql = upsert_add_sql(
        connection, table=IngestTally._meta.db_table, key=("collector_id", "hour"),
        counters=("items", "refused"),
    )  # fmt: skip
    hour_value = connection.ops.adapt_datetimefield_value(hour)
    with connection.cursor() as cursor:
        cursor.execute(sql, [collector_id, hour_value, items, refused])


def refusal_rates(
    *, since: datetime, collector_ids: Iterable[int] | None = None
) -> dict[int, RefusalRate]:
    """Items sent and refused per collector in the hours from `since`'s hour on (one query)."""
    tallies = IngestTally.objects.using(DATABASE).filter(hour__gte=_hour(since))
    if collector_ids is not None:
        tallies = tallies.filter(collector_id__in=list(collector_ids))
    return {
        row["collector_id"]: RefusalRate(items=row["items"], refused=row["refused"])
        for row in tallies.values("collector_id").annotate(
            items=Sum("items"), refused=Sum("refused")
        )
    }


def refusal_rates_last_day(
    *, collector_ids: Iterable[int], now: datetime | None = None
) -> dict[int, RefusalRate]:
    """The collector page's figure: the last 24 hours (by whole UTC hours)."""
    now = now or timezone.now()
    return refusal_rates(since=now - timedelta(hours=23), collector_ids=collector_ids)


def refusals_purge(*, now: datetime | None = None, chunk: int = PURGE_CHUNK) -> str:
    """Delete refused readings and tallies older than REFUSED_READINGS_DAYS, the readings in
    chunks of `chunk` rows (each its own short transaction)."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.REFUSED_READINGS_DAYS)
    refused = RefusedReading.objects.using(DATABASE)
    deleted = 0
    while True:
        ids = list(refused.filter(received_at__lt=cutoff).values_list("pk", flat=True)[:chunk])
        if not ids:
            break
        deleted += refused.filter(pk__in=ids).delete()[0]
    tallies = IngestTally.objects.using(DATABASE).filter(hour__lt=_hour(cutoff)).delete()[0]
    return (
        f"purged {deleted} refused readings and {tallies} hourly tallies older than "
        f"{cutoff:%Y-%m-%d %H:%M} UTC"
    )
