"""A run of the import: every mapped table in the mapping's order, incrementally, idempotently.

Per old table (field/legacy/mapping.toml):

1. Start after the table's high-water mark (field/legacy/reader.py), or from `--since T`.
2. Read a chunk of rows ordered by (mark, key), so the next chunk starts exactly after it.
3. Turn each row into our fields with the mapping, then upsert: registry rows through the ORM
   with model validation, one row at a time (field/legacy/registry.py, history.py); readings a
   chunk at a time through the readings store (readings.py); the old generation figures a
   chunk at a time into the rollups (figures.py). Each row is counted as inserted, updated,
   unchanged (the same values again) or skipped with a reason (summary.py).
4. Store the mark after the chunk is written. A crash between the two only makes the next run
   read the chunk again, which changes nothing: the upserts are idempotent.

One run goes at a time (a lock row). A dry run does all of it inside transactions that are
rolled back at the end, so its counts are exactly what a real run would do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from field.legacy import figures, history, readings, registry
from field.legacy.importer import Importer, NotImported
from field.legacy.mapping import (
    NOT_IMPORTED,
    READING_TARGETS,
    Mapping,
    TableMapping,
    legacy_mapping_load,
)
from field.legacy.reader import (
    LegacyImportError,
    LegacySource,
    legacy_connect,
    mark_load,
    mark_of,
    mark_store,
    read_start,
)
from field.legacy.readings import ReadingImporter, readings_store
from field.legacy.summary import TableSummary
from field.models import ImportMark
from telemetry import store

RUN_LOCK = "__running__"  # an ImportMark row that exists while a run is going
RUN_STALE_HOURS = 2
IMPORTERS: dict[str, type[Importer]] = {
    **registry.IMPORTERS,
    **readings.IMPORTERS,
    **figures.IMPORTERS,
    **history.IMPORTERS,
    NOT_IMPORTED: NotImported,
}

Progress = Callable[[str, int, int], None]


class _DryRun(Exception):
    pass


# The old system's two databases, in the order they are imported: MySQL first, and its records
# win; MongoDB then adds only what MySQL did not hold (its sources are fill_only).
SOURCES = ("mysql", "mongodb")
MONGO_MAPPING = Path(__file__).with_name("mongo_mapping.toml")


def legacy_sources_configured() -> list[str]:
    """The old databases set in the environment, in import order."""
    urls = {"mysql": settings.LEGACY_DATABASE_URL, "mongodb": settings.LEGACY_MONGODB_URI}
    return [name for name in SOURCES if urls[name]]


def legacy_mapping_of(source: str, path: Path | str | None = None) -> Mapping:
    return legacy_mapping_load(path or (MONGO_MAPPING if source == "mongodb" else None))


def legacy_source_open(source: str, *, mapping: Mapping) -> LegacySource:
    if source == "mongodb":
        from field.legacy.mongo import legacy_mongo_connect  # pymongo only when it is used

        return legacy_mongo_connect(settings.LEGACY_MONGODB_URI, time_zone=mapping.time_zone)
    return legacy_connect(settings.LEGACY_DATABASE_URL)


def legacy_import(
    *,
    source: LegacySource,
    mapping: Mapping,
    tables: list[str] | None = None,
    since: datetime | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> list[TableSummary]:
    """Import the mapped tables (or only `tables`) from `source` (field/legacy/reader.py)."""
    unknown = sorted(set(tables or ()) - set(mapping.tables))
    if unknown:
        raise LegacyImportError(
            _("Not in the mapping: %(tables)s. Mapped tables: %(known)s.")
            % {"tables": ", ".join(unknown), "known": ", ".join(mapping.tables)}
        )
    selected = [m for name, m in mapping.tables.items() if not tables or name in tables]
    if dry_run and settings.TELEMETRY_STORE == "mongodb":
        readings = [m.name for m in selected if m.target in READING_TARGETS]
        if readings:
            # A dry run is a rollback of SQL transactions; MongoDB's writes cannot be taken back.
            raise LegacyImportError(
                _(
                    "A dry run cannot take back readings written to MongoDB "
                    "(TELEMETRY_STORE=mongodb); leave out %(tables)s with --tables, or run "
                    "without --dry-run."
                )
                % {"tables": ", ".join(readings)}
            )
    summaries: list[TableSummary] = []
    if not _run_claim():
        raise LegacyImportError(
            _(
                "Another import is still running; wait for it to finish (a run that died is "
                "forgotten after %(hours)s hours)."
            )
            % {"hours": RUN_STALE_HOURS}
        )
    try:
        with ExitStack() as stack:
            if dry_run:
                stack.enter_context(_rolled_back())
            for table in selected:
                summaries.append(
                    _table_import(
                        source, mapping=mapping, table=table, since=since, progress=progress
                    )
                )
    finally:
        ImportMark.objects.filter(table=RUN_LOCK).delete()
    return summaries


def _run_claim() -> bool:
    """One run at a time: the command and the job both claim the same row (or find it taken)."""
    stale = timezone.now() - timedelta(hours=RUN_STALE_HOURS)
    ImportMark.objects.filter(table=RUN_LOCK, updated_at__lt=stale).delete()
    _lock, created = ImportMark.objects.get_or_create(
        table=RUN_LOCK, defaults={"value": {"started": timezone.now().isoformat()}}
    )
    return created


@contextmanager
def _rolled_back() -> Iterator[None]:
    """Everything inside runs as usual, in transactions that are rolled back at the end."""
    try:
        with transaction.atomic(using="default"), transaction.atomic(using="telemetry"):
            yield
            raise _DryRun
    except _DryRun:
        pass


def _table_import(
    source: LegacySource,
    *,
    mapping: Mapping,
    table: TableMapping,
    since: datetime | None,
    progress: Progress | None,
) -> TableSummary:
    summary = TableSummary(table=table.name, target=table.target)
    if not source.has_table(table.source):
        summary.status = "missing"
        return summary
    start_mark = mark_load(table.name)
    start = read_start(table, mark=start_mark, since=since, time_zone=mapping.time_zone)
    total = source.count(table, start)
    chunks = source.chunks(table, start, chunk_rows=mapping.chunk_rows)
    importer = IMPORTERS[table.target](
        mapping=mapping, table=table, summary=summary, fill_only=source.fill_only
    )
    if progress:
        progress(table.name, 0, total)
    if table.target in READING_TARGETS and not _in_transaction():
        _readings_pipelined(chunks, importer, summary, table=table, start_mark=start_mark,
                            progress=progress, total=total)  # fmt: skip
        return summary
    for chunk in chunks:
        # Registry rows and the mark commit together; readings commit in readings_store.
        with transaction.atomic(using="default"):
            importer.chunk_import(chunk)
            summary.read += len(chunk)
            summary.mark = mark_of(table, chunk[-1])
            if start_mark is None or summary.mark > start_mark:  # --since may read older rows
                mark_store(table.name, summary.mark)
        if progress:
            progress(table.name, summary.read, total)
    return summary


def _in_transaction() -> bool:
    return any(connections[alias].in_atomic_block for alias in ("default", store.DATABASE))


def _readings_pipelined(
    chunks: Iterator[list[dict]],
    importer: ReadingImporter,
    summary: TableSummary,
    *,
    table: TableMapping,
    start_mark: Any,
    progress: Progress | None,
    total: int,
) -> None:
    """Read and convert the next chunk while a second thread writes this one, so a log table
    takes about as long as the slower of the two instead of their sum (bench/import.py).

    One write is in flight at a time, in order, and each chunk's mark is stored by the writer
    after its readings commit, so a crash never leaves a mark ahead of the data. Inside a
    caller's transaction (a dry run, a test) the import writes inline instead: another
    thread's connection would not see, or would commit past, that transaction.
    """
    pending = None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="legacy-writer") as writer:
        try:
            for chunk in chunks:
                rows = importer.prepare(chunk)
                summary.read += len(chunk)
                summary.mark = mark_of(table, chunk[-1])
                mark = summary.mark if start_mark is None or summary.mark > start_mark else None
                if pending is not None:
                    summary.counts_add(pending.result())
                pending = writer.submit(
                    _chunk_write, importer.model, rows, summary.table, mark, importer.fill_only
                )
                if progress:
                    progress(summary.table, summary.read, total)
            if pending is not None:
                summary.counts_add(pending.result())
        finally:
            writer.submit(connections.close_all).result()


def _chunk_write(
    model: type[models.Model], rows: list[dict], table: str, mark: Any, fill_only: bool
) -> dict:
    counts = readings_store(model=model, rows=rows, fill_only=fill_only)
    if mark is not None:
        mark_store(table, mark)
    return counts

