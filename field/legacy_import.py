"""Import from the old system's MySQL database, incrementally and idempotently.

How a run goes, per old table in the mapping's order (field/legacy_mapping.toml):

1. Start after the table's high-water mark (`ImportMark`): an auto-increment id, or a change
   timestamp minus an overlap (rows written in the same second as the last run would be missed
   otherwise). `--since T` re-reads from a time instead.
2. Read a chunk of rows ordered by (mark, key), so the next chunk starts exactly after it.
3. Turn each row into our fields with the mapping (renames, value maps, scales, defaults,
   local time -> UTC), then upsert: registry rows through the ORM with model validation, one
   row at a time; readings a chunk at a time through `readings_store`. Each row is counted as
   inserted, updated, unchanged (the same values again) or skipped with a reason.
4. Store the mark after the chunk is written. A crash between the two only makes the next run
   read the chunk again, which changes nothing: the upserts are idempotent.

A dry run does all of it inside transactions that are rolled back at the end, so its counts
are exactly what a real run would do.
"""

from __future__ import annotations

import tomllib
import zoneinfo
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import environ
import MySQLdb
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connections, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Customer, User
from accounts.phones import normalize_phone
from events.models import EventLog, EventType, SmsLog
from events.sms import sms_type
from field.models import ImportedKey, ImportMark
from generation import rollups
from monitoring.models import Collector, CombinerBox, Inverter, PowerStation, Sensor
from telemetry import store
from telemetry.models import CombinerReading, InverterReading, SensorReading

DEFAULT_MAPPING = Path(__file__).with_name("legacy_mapping.toml")
LEGACY_SCHEMA = Path(__file__).with_name("legacy_schema.sql")
REGISTRY_TARGETS = ("customer", "user", "station", "inverter", "collector_address")
READING_TARGETS = ("inverter_reading", "combiner_reading", "sensor_reading")
ROLLUP_TARGETS = ("day_generation", "day_total", "hour_generation")
EVENT_TARGETS = ("sms_log", "event_type", "event_log")
EXAMPLES_PER_REASON = 3
RUN_LOCK = "__running__"  # an ImportMark row that exists while a run is going
RUN_STALE_HOURS = 2
RUN_LOCK = "__running__"  # an ImportMark row that exists while a run is going
RUN_STALE_HOURS = 2

Progress = Callable[[str, int, int], None]


class MappingError(Exception):
    def __init__(self, path: Path | str, problems: list[str]):
        self.problems = problems
        super().__init__(
            _("%(path)s has %(count)s problem(s):\n  %(list)s")
            % {"path": path, "count": len(problems), "list": "\n  ".join(problems)}
        )


class LegacyImportError(Exception):
    """The import cannot go on (e.g. the old database does not answer)."""


class Skip(Exception):
    """One row is not imported; `reason` is counted, `example` shown for the first few."""

    def __init__(self, reason: str, example: str = ""):
        self.reason = reason
        self.example = example
        super().__init__(reason)


# --- The mapping file --------------------------------------------------------------------------
@dataclass(frozen=True)
class TableMapping:
    name: str
    target: str
    source: str
    key: tuple[str, ...]
    mark: str
    since: str
    overlap: timedelta
    columns: dict[str, Any]  # our field -> old column (or a list of columns, for currents)
    values: dict[str, dict[str, Any]]
    scale: dict[str, float]
    defaults: dict[str, Any]
    options: dict[str, Any]


@dataclass(frozen=True)
class Mapping:
    time_zone: zoneinfo.ZoneInfo
    chunk_rows: int
    tables: dict[str, TableMapping]


def legacy_mapping_load(path: Path | str | None = None) -> Mapping:
    path = Path(path or DEFAULT_MAPPING)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise MappingError(path, [str(exc)]) from exc
    problems: list[str] = []
    try:
        tz = zoneinfo.ZoneInfo(str(data.get("time_zone", "Asia/Seoul")))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        problems.append(_("time_zone: not a known time zone (e.g. Asia/Seoul)."))
        tz = zoneinfo.ZoneInfo("Asia/Seoul")
    chunk_rows = data.get("chunk_rows", 5000)
    if not isinstance(chunk_rows, int) or not 1 <= chunk_rows <= 100_000:
        problems.append(_("chunk_rows: a whole number from 1 to 100000."))
        chunk_rows = 5000
    tables = {
        name: _table_mapping(name, spec, problems)
        for name, spec in (data.get("tables") or {}).items()
    }
    if not tables:
        problems.append(_("tables: no table is mapped."))
    if problems:
        raise MappingError(path, problems)
    return Mapping(time_zone=tz, chunk_rows=chunk_rows, tables=tables)


def _table_mapping(name: str, spec: Any, problems: list[str]) -> TableMapping:
    at = f"tables.{name}"
    spec = spec if isinstance(spec, dict) else {}
    target = spec.get("target")
    known = REGISTRY_TARGETS + READING_TARGETS + ROLLUP_TARGETS + EVENT_TARGETS
    if target not in known:
        problems.append(
            _("%(where)s.target: one of %(known)s.") % {"where": at, "known": ", ".join(known)}
        )
    key = spec.get("key")
    if not isinstance(key, list) or not key or not all(isinstance(k, str) for k in key):
        problems.append(_("%(where)s.key: a list of the old primary-key columns.") % {"where": at})
        key = []
    mark = spec.get("mark")
    if not isinstance(mark, str) or not mark:
        problems.append(_("%(where)s.mark: the high-water-mark column.") % {"where": at})
    columns = spec.get("columns")
    if not isinstance(columns, dict) or not columns:
        problems.append(_("%(where)s.columns: a table of our field = old column.") % {"where": at})
        columns = {}
    return TableMapping(
        name=name,
        target=target or "",
        source=spec.get("source", name),
        key=tuple(key),
        mark=mark or "",
        since=spec.get("since", mark or ""),
        overlap=timedelta(seconds=spec.get("mark_overlap_seconds", 0)),
        columns=columns,
        values={
            field: {str(k): v for k, v in m.items()}
            for field, m in (spec.get("values") or {}).items()
        },
        scale=dict(spec.get("scale") or {}),
        defaults=dict(spec.get("defaults") or {}),
        options={k: v for k, v in spec.items() if k == "collector_name"},
    )


# --- The summary -------------------------------------------------------------------------------
@dataclass
class TableSummary:
    table: str
    target: str
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    notes: Counter = field(default_factory=Counter)
    status: str = "imported"  # or: missing (not in the old database)
    mark: Any = None

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    def skip(self, reason: str, example: str) -> None:
        self.skipped[reason] += 1
        shown = self.examples.setdefault(reason, [])
        if example and len(shown) < EXAMPLES_PER_REASON:
            shown.append(example)


class _DryRun(Exception):
    pass


# --- The run -----------------------------------------------------------------------------------
def legacy_import(
    *,
    source: Any,
    mapping: Mapping,
    tables: list[str] | None = None,
    since: datetime | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> list[TableSummary]:
    """Import the mapped tables (or only `tables`) from `source`, a DB-API connection."""
    unknown = sorted(set(tables or ()) - set(mapping.tables))
    if unknown:
        raise LegacyImportError(
            _("Not in the mapping: %(tables)s. Mapped tables: %(known)s.")
            % {"tables": ", ".join(unknown), "known": ", ".join(mapping.tables)}
        )
    selected = [m for name, m in mapping.tables.items() if not tables or name in tables]
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


def legacy_import_job() -> str:
    """The scheduled run (every 10 minutes): import after the marks, one line for the job log."""
    if not settings.LEGACY_DATABASE_URL:
        return "legacy import: LEGACY_DATABASE_URL is not set; nothing to do"
    source = legacy_connect(settings.LEGACY_DATABASE_URL)
    try:
        summaries = legacy_import(source=source, mapping=legacy_mapping_load())
    finally:
        source.close()
    imported = [s for s in summaries if s.status == "imported"]
    return (
        f"legacy import: {sum(s.read for s in imported):,} rows read from {len(imported)} "
        f"tables, {sum(s.inserted for s in imported):,} inserted, "
        f"{sum(s.updated for s in imported):,} updated, "
        f"{sum(sum(s.skipped.values()) for s in imported):,} skipped"
    )


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
    source: Any,
    *,
    mapping: Mapping,
    table: TableMapping,
    since: datetime | None,
    progress: Progress | None,
) -> TableSummary:
    summary = TableSummary(table=table.name, target=table.target)
    if not _source_has_table(source, table.source):
        summary.status = "missing"
        return summary
    reader = _Reader(source, mapping=mapping, table=table, since=since)
    total = reader.count()
    start_mark = _mark_load(table.name)
    importer = _IMPORTERS[table.target](mapping=mapping, table=table, summary=summary)
    if progress:
        progress(table.name, 0, total)
    if table.target in READING_TARGETS and not _in_transaction():
        _readings_pipelined(reader, importer, summary, start_mark=start_mark,
                            progress=progress, total=total)  # fmt: skip
        return summary
    for chunk in reader.chunks():
        # Registry rows and the mark commit together; readings commit in readings_store.
        with transaction.atomic(using="default"):
            importer.chunk_import(chunk)
            summary.read += len(chunk)
            summary.mark = reader.mark_of(chunk[-1])
            if start_mark is None or summary.mark > start_mark:  # --since may read older rows
                _mark_store(table.name, summary.mark)
        if progress:
            progress(table.name, summary.read, total)
    return summary


def _in_transaction() -> bool:
    return any(connections[alias].in_atomic_block for alias in ("default", store.DATABASE))


def _readings_pipelined(
    reader: _Reader,
    importer: _ReadingImporter,
    summary: TableSummary,
    *,
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
            for chunk in reader.chunks():
                rows = importer.prepare(chunk)
                summary.read += len(chunk)
                summary.mark = reader.mark_of(chunk[-1])
                mark = summary.mark if start_mark is None or summary.mark > start_mark else None
                if pending is not None:
                    importer.counts_add(pending.result())
                pending = writer.submit(_chunk_write, importer.model, rows, summary.table, mark)
                if progress:
                    progress(summary.table, summary.read, total)
            if pending is not None:
                importer.counts_add(pending.result())
        finally:
            writer.submit(connections.close_all).result()


def _chunk_write(model: type[models.Model], rows: list[dict], table: str, mark: Any) -> dict:
    counts = readings_store(model=model, rows=rows)
    if mark is not None:
        _mark_store(table, mark)
    return counts


def _source_has_table(source: Any, name: str) -> bool:
    with source.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM information_schema.tables "
            "WHERE table_schema = DATABASE() AND table_name = %s",
            [name],
        )
        return cursor.fetchone()[0] > 0


def _mark_load(table: str) -> Any:
    stored = ImportMark.objects.filter(table=table).values_list("value", flat=True).first()
    if not stored:
        return None
    kind, value = stored["type"], stored["value"]
    if kind == "datetime":
        return datetime.fromisoformat(value)
    if kind == "date":
        return date.fromisoformat(value)
    return value


def _mark_store(table: str, value: Any) -> None:
    if isinstance(value, datetime):
        stored = {"type": "datetime", "value": value.isoformat()}
    elif isinstance(value, date):
        stored = {"type": "date", "value": value.isoformat()}
    else:
        stored = {"type": "value", "value": value}
    ImportMark.objects.update_or_create(table=table, defaults={"value": stored})


# --- Reading the old table ---------------------------------------------------------------------
class _Reader:
    """Chunks of an old table in (mark, key) order, after the mark or from --since."""

    def __init__(self, source: Any, *, mapping: Mapping, table: TableMapping, since):
        self.source = source
        self.table = table
        self.chunk_rows = mapping.chunk_rows
        self.order = [table.mark] + [k for k in table.key if k != table.mark]
        self.numeric = table.target in READING_TARGETS
        self.columns = self._columns()
        # Keyset paging cannot step past a NULL mark: such rows are never read.
        self.where: list[str] = [f"{_q(table.mark)} IS NOT NULL"]
        self.params: list[Any] = []
        mark = _mark_load(table.name)
        if since is not None:
            self.where.append(f"{_q(table.since)} >= %s")
            self.params.append(since.astimezone(mapping.time_zone).replace(tzinfo=None))
        elif mark is not None:
            if isinstance(mark, datetime | date) and table.overlap:
                self.where.append(f"{_q(table.mark)} >= %s")
                self.params.append(mark - table.overlap)
            else:
                self.where.append(f"{_q(table.mark)} > %s")
                self.params.append(mark)

    def _columns(self) -> list[str]:
        wanted: list[str] = list(self.order)
        for column in self.table.columns.values():
            for name in column if isinstance(column, list) else [column]:
                if name not in wanted:
                    wanted.append(name)
        return wanted

    def _select(self) -> str:
        fields = []
        reading_columns = self._reading_value_columns()
        for name in self.columns:
            # DECIMAL -> DOUBLE in the database: float objects come back instead of Decimals,
            # several times faster for a million rows.
            fields.append(f"{_q(name)} * 1e0" if name in reading_columns else _q(name))
        return f"SELECT {', '.join(fields)} FROM {_q(self.table.source)}"

    def _reading_value_columns(self) -> set[str]:
        if not self.numeric:
            return set()
        identity = {"station", "inverter", "box", "sensor", "kind", "ts", "fault_bits"}
        columns: set[str] = set()
        for ours, column in self.table.columns.items():
            if ours not in identity:
                columns.update(column if isinstance(column, list) else [column])
        return columns - set(self.order)

    def count(self) -> int:
        sql = f"SELECT COUNT(*) FROM {_q(self.table.source)}"
        if self.where:
            sql += " WHERE " + " AND ".join(self.where)
        return self._fetch(sql, self.params)[0][0]

    def chunks(self) -> Iterator[list[dict]]:
        after: tuple | None = None
        order_by = ", ".join(_q(c) for c in self.order)
        while True:
            where, params = list(self.where), list(self.params)
            if after is not None:
                if len(self.order) == 1:
                    where.append(f"{_q(self.order[0])} > %s")
                else:
                    where.append(f"({order_by}) > ({', '.join(['%s'] * len(after))})")
                params.extend(after)
            sql = self._select()
            if where:
                sql += " WHERE " + " AND ".join(where)
            sql += f" ORDER BY {order_by} LIMIT {self.chunk_rows}"
            rows = [dict(zip(self.columns, row, strict=True)) for row in self._fetch(sql, params)]
            if not rows:
                return
            yield rows
            if len(rows) < self.chunk_rows:
                return
            after = tuple(rows[-1][c] for c in self.order)

    def mark_of(self, row: dict) -> Any:
        return row[self.table.mark]

    def _fetch(self, sql: str, params: list) -> list[tuple]:
        try:
            with self.source.cursor() as cursor:
                cursor.execute(sql, params)
                return list(cursor.fetchall())
        except Exception as exc:  # the driver's own error classes differ (MySQLdb, Django)
            raise LegacyImportError(
                _("Reading %(table)s from the old database failed: %(error)s")
                % {"table": self.table.source, "error": exc}
            ) from exc


def _q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


# --- Turning old rows into our fields ----------------------------------------------------------
_LIST = object()  # a column list (combiner-box channels), taken as is


class _Importer:
    def __init__(self, *, mapping: Mapping, table: TableMapping, summary: TableSummary):
        self.mapping = mapping
        self.table = table
        self.summary = summary
        # Per column, what `fields` applies, worked out once: it runs for every row.
        self._plan = [
            (
                ours,
                column,
                _LIST if isinstance(column, list) else table.values.get(ours),
                table.scale.get(ours),
                ours in table.defaults,
                table.defaults.get(ours),
            )
            for ours, column in table.columns.items()
        ]
        self._aware: dict[datetime, datetime] = {}

    def fields(self, row: dict) -> dict[str, Any]:
        """Our field -> value, with value maps, scales and defaults applied."""
        result: dict[str, Any] = {}
        for ours, column, values, scale, has_default, default in self._plan:
            if values is _LIST:
                result[ours] = [row[c] for c in column]
                continue
            value = row[column]
            if value.__class__ is str:
                value = value.strip()
            if value is None or value == "":
                if has_default:
                    value = default
            elif values is not None:
                value = values.get(str(value), value)
            if scale is not None and value is not None:
                value = value * scale
            result[ours] = value
        return result

    def example(self, row: dict) -> str:
        return " ".join(f"{k}={row[k]}" for k in self.table.key)

    def old_key(self, row: dict) -> str:
        return "/".join(str(row[k]) for k in self.table.key)

    def aware(self, value: Any) -> datetime | None:
        if not isinstance(value, datetime):
            return None
        found = self._aware.get(value)
        if found is None:
            # A log chunk holds few distinct times (every inverter reports at once): converting
            # each once saves a zone lookup per row.
            if len(self._aware) > 100_000:
                self._aware.clear()
            local = value if value.tzinfo else value.replace(tzinfo=self.mapping.time_zone)
            found = self._aware[value] = local.astimezone(UTC)
        return found

    def chunk_import(self, rows: list[dict]) -> None:
        for row in rows:
            try:
                # A savepoint per row: a row the database refuses leaves the chunk usable.
                with transaction.atomic(using="default"):
                    self.summary.count(self.row_import(row))
            except Skip as skip:
                self.summary.skip(skip.reason, skip.example or self.example(row))
            except DatabaseError as exc:
                self.summary.skip(_("refused by the database"), f"{self.example(row)}: {exc}")

    def row_import(self, row: dict) -> str:
        raise NotImplementedError


def _model_save(obj: models.Model, values: dict[str, Any], *, exclude: tuple = ()) -> str:
    """Set `values` on obj, validate, save; 'inserted', 'updated' or 'unchanged'."""
    is_new = obj._state.adding
    changed = False
    for name, value in values.items():
        model_field = obj._meta.get_field(name)
        if value is None and isinstance(model_field, models.CharField | models.TextField):
            value = ""
        if isinstance(model_field, models.DecimalField) and isinstance(value, float):
            value = Decimal(str(value))
        attname = model_field.attname
        if getattr(obj, attname) != value:
            setattr(obj, attname, value)
            changed = True
    if not is_new and not changed:
        return "unchanged"
    try:
        obj.full_clean(exclude=list(exclude))
    except ValidationError as exc:
        first_field, messages = next(iter(exc.message_dict.items()))
        raise Skip(
            _("invalid %(field)s") % {"field": first_field},
            f"{messages[0]}",
        ) from exc
    obj.save()
    return "inserted" if is_new else "updated"


class _CustomerImporter(_Importer):
    def row_import(self, row: dict) -> str:
        values = self.fields(row)
        old_key = self.old_key(row)
        known = ImportedKey.objects.filter(table="customer", old_key=old_key).first()
        customer = None
        if known:
            customer = Customer.objects.filter(pk=known.object_id).first()
        if customer is None:  # adopt a customer entered by hand before the import
            customer = Customer.objects.filter(name=values.get("name")).first() or Customer()
        outcome = _model_save(customer, values)
        ImportedKey.objects.update_or_create(
            table="customer", old_key=old_key, defaults={"object_id": customer.pk}
        )
        return outcome


def _customer_id(old_cno: Any) -> int | None:
    if old_cno in (None, ""):
        return None
    known = ImportedKey.objects.filter(table="customer", old_key=str(old_cno)).first()
    return known.object_id if known else None


class _UserImporter(_Importer):
    def row_import(self, row: dict) -> str:
        values = self.fields(row)
        cno = values.pop("customer", None)
        values["customer_id"] = _customer_id(cno)
        if cno not in (None, "") and values["customer_id"] is None:
            self.summary.notes[_("customer not found; imported without one")] += 1
        values["phone"] = self._phone(values.get("phone"))
        user = User.objects.filter(username=values["username"]).first()
        if user is None:
            # Old password hashes cannot be carried over: a new user sets a password first.
            user = User(username=values["username"])
            user.set_unusable_password()
            self.summary.notes[_("new users without a password (they must set one)")] += 1
        return _model_save(user, values, exclude=("password",))

    def _phone(self, raw: Any) -> str:
        if not raw:
            return ""
        try:
            return normalize_phone(str(raw))
        except ValidationError:
            self.summary.notes[_("phone not a mobile number; left blank")] += 1
            return ""


class _StationImporter(_Importer):
    def row_import(self, row: dict) -> str:
        values = self.fields(row)
        cno = values.pop("customer", None)
        values["customer_id"] = _customer_id(cno)
        if cno not in (None, "") and values["customer_id"] is None:
            self.summary.notes[_("customer not found; imported without one")] += 1
        manager = values.pop("manager", None)
        values["manager_id"] = None
        if manager:
            found = User.objects.filter(
                username=manager, role__in=[User.Role.OPERATOR, User.Role.ADMIN]
            ).first()
            values["manager_id"] = found.pk if found else None
            if not found:
                self.summary.notes[_("manager not an operator or administrator; left empty")] += 1
        station = PowerStation.objects.filter(code=values["code"]).first() or PowerStation()
        return _model_save(station, values)


class _InverterImporter(_Importer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.stations = dict(PowerStation.objects.values_list("code", "id"))

    def row_import(self, row: dict) -> str:
        values = self.fields(row)
        code = str(values.pop("station"))
        station_id = (
            self.stations.get(code)
            or PowerStation.objects.filter(code=code).values_list("id", flat=True).first()
        )
        if station_id is None:
            raise Skip(_("unknown station"))
        self.stations[code] = station_id
        values["station_id"] = station_id
        inverter = (
            Inverter.objects.filter(station_id=station_id, number=values["number"]).first()
            or Inverter()
        )
        return _model_save(inverter, values)


class _CollectorAddressImporter(_Importer):
    def row_import(self, row: dict) -> str:
        values = self.fields(row)
        station = PowerStation.objects.filter(code=str(values["station"])).first()
        if station is None:
            raise Skip(_("unknown station"))
        name = self.table.options.get("collector_name", "legacy-{station}").format(
            station=station.code
        )
        collector = Collector.objects.filter(name=name).first() or Collector(name=name)
        outcome = _model_save(collector, {"remote_address": values.get("remote_address")})
        collector.stations.add(station)
        return outcome


# --- Readings ----------------------------------------------------------------------------------
class _ReadingImporter(_Importer):
    """A chunk at a time: resolve devices, convert, de-duplicate, then one store call."""

    model: type[models.Model]
    device_field: str

    def chunk_import(self, rows: list[dict]) -> None:
        self.counts_add(readings_store(model=self.model, rows=self.prepare(rows)))

    def prepare(self, rows: list[dict]) -> list[dict]:
        """The chunk's readings, ready for readings_store; skips are counted here."""
        readings: dict[tuple, dict] = {}
        for row in rows:
            try:
                reading = self.reading_from(self.fields(row))
            except Skip as skip:
                self.summary.skip(skip.reason, skip.example or self.example(row))
                continue
            key = (reading[self.device_field], reading["ts"])
            if key in readings:
                self.summary.skip(
                    _("same device and time twice in the old table"), self.example(row)
                )
            readings[key] = reading
        return list(readings.values())

    def counts_add(self, counts: dict[str, int]) -> None:
        for outcome, number in counts.items():
            setattr(self.summary, outcome, getattr(self.summary, outcome) + number)

    def timestamp(self, values: dict) -> datetime:
        ts = self.aware(values.pop("ts"))
        if ts is None:
            raise Skip(_("no time"))
        return ts

    def reading_from(self, values: dict) -> dict:
        raise NotImplementedError


class _InverterReadingImporter(_ReadingImporter):
    model = InverterReading
    device_field = "inverter_id"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inverters = {
            (code, number): (inverter_id, station_id)
            for inverter_id, station_id, code, number in Inverter.objects.values_list(
                "id", "station_id", "station__code", "number"
            )
        }

    def reading_from(self, values: dict) -> dict:
        found = self.inverters.get((str(values.pop("station")), int(values.pop("inverter"))))
        if found is None:
            raise Skip(_("unknown inverter"))
        ts = self.timestamp(values)
        if values.get("fault_bits") is not None:
            values["fault_bits"] = int(values["fault_bits"])
        return {"inverter_id": found[0], "station_id": found[1], "ts": ts, **values}


class _CombinerReadingImporter(_ReadingImporter):
    model = CombinerReading
    device_field = "box_id"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.stations = dict(PowerStation.objects.values_list("code", "id"))
        self.boxes = {
            (station_id, number): box_id
            for box_id, station_id, number in CombinerBox.objects.values_list(
                "id", "station_id", "number"
            )
        }

    def reading_from(self, values: dict) -> dict:
        station_id = self.stations.get(str(values.pop("station")))
        if station_id is None:
            raise Skip(_("unknown station"))
        currents = list(values.pop("currents", []))
        while currents and currents[-1] is None:
            currents.pop()
        number = int(values.pop("box"))
        box_id = self.boxes.get((station_id, number))
        if box_id is None:
            box = CombinerBox.objects.create(
                station_id=station_id, number=number, channels=max(len(currents), 1)
            )
            self.summary.notes[_("combiner boxes created")] += 1
            box_id = self.boxes[(station_id, number)] = box.id
        ts = self.timestamp(values)
        return {
            "box_id": box_id,
            "station_id": station_id,
            "ts": ts,
            "currents": currents,
            "voltage": values.get("voltage"),
        }


class _SensorReadingImporter(_ReadingImporter):
    model = SensorReading
    device_field = "sensor_id"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.stations = dict(PowerStation.objects.values_list("code", "id"))
        self.sensors = {
            (station_id, name): sensor_id
            for sensor_id, station_id, name in Sensor.objects.values_list(
                "id", "station_id", "name"
            )
        }

    def reading_from(self, values: dict) -> dict:
        station_id = self.stations.get(str(values.pop("station")))
        if station_id is None:
            raise Skip(_("unknown station"))
        name = str(values.pop("sensor"))
        sensor_id = self.sensors.get((station_id, name))
        if sensor_id is None:
            kind = values.get("kind")
            if kind not in Sensor.Kind.values:
                raise Skip(_("unknown sensor kind"), f"{name}: {kind}")
            sensor = Sensor.objects.create(station_id=station_id, name=name, kind=kind)
            self.summary.notes[_("sensors created")] += 1
            sensor_id = self.sensors[(station_id, name)] = sensor.id
        ts = self.timestamp(values)
        return {
            "sensor_id": sensor_id,
            "station_id": station_id,
            "ts": ts,
            "value": values.get("value"),
        }


_IMPORTERS: dict[str, type[_Importer]] = {
    "customer": _CustomerImporter,
    "user": _UserImporter,
    "station": _StationImporter,
    "inverter": _InverterImporter,
    "collector_address": _CollectorAddressImporter,
    "inverter_reading": _InverterReadingImporter,
    "combiner_reading": _CombinerReadingImporter,
    "sensor_reading": _SensorReadingImporter,
}


# --- Readings go through the store ----------------------------------------------------------
READING_TABLES = {InverterReading: "inverter", CombinerReading: "combiner", SensorReading: "sensor"}
STORE_OUTCOMES = {store.NEW: "inserted", store.UPDATED: "updated", store.DUPLICATE: "unchanged"}


def readings_store(*, model: type[models.Model], rows: list[dict]) -> dict[str, int]:
    """Upsert readings keyed by (device, ts) through telemetry/store.py (the one door to the
    reading tables); count inserted, updated and unchanged rows. New and changed inverter
    readings mark their hours for the rollups' late-data recompute, as the ingest does."""
    counts = {"inserted": 0, "updated": 0, "unchanged": 0}
    if not rows:
        return counts
    name = READING_TABLES[model]
    table = store.TABLES[name]
    device_field = table.key[0]
    store_rows = [
        store.Row(row[device_field], row["ts"], tuple(map(row.get, table.values))) for row in rows
    ]
    # In primary-key order, InnoDB appends to each device's range instead of jumping between
    # them (old logs come in time order, every inverter interleaved).
    store_rows.sort(key=lambda row: (row.device_id, row.ts))
    with transaction.atomic(using=store.DATABASE):
        result = store.readings_upsert(rows={name: store_rows})
        if name == "inverter":
            outcomes = result.outcomes.get(name, [])
            store.late_readings_mark(
                (row.key for row, outcome in zip(store_rows, outcomes, strict=True)
                 if outcome != store.DUPLICATE)
            )  # fmt: skip
    for outcome, number in result.counts.items():
        counts[STORE_OUTCOMES[outcome]] += number
    return counts


# --- Generation figures the old system computed ------------------------------------------------
class _RollupImporter(_Importer):
    """A chunk at a time into the rollup tables, through generation/rollups.py's import
    functions (which keep a figure computed from our own readings)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inverters = {
            (code, number): (inverter_id, station_id)
            for inverter_id, station_id, code, number in Inverter.objects.values_list(
                "id", "station_id", "station__code", "number"
            )
        }

    def chunk_import(self, rows: list[dict]) -> None:
        items = []
        for row in rows:
            try:
                items.append(self.item(self.fields(row)))
            except Skip as skip:
                self.summary.skip(skip.reason, skip.example or self.example(row))
        counts = self.write(items)
        for outcome in ("inserted", "updated", "unchanged"):
            setattr(self.summary, outcome, getattr(self.summary, outcome) + counts[outcome])
        self.summary.unchanged += counts["kept"]
        if counts["kept"]:
            self.summary.notes[_("kept: computed from our own readings")] += counts["kept"]
        if counts.get("missing"):
            self.summary.skipped[_("no daily generation for that day (import it first)")] += (
                counts["missing"]
            )

    def inverter_of(self, values: dict) -> tuple[int, int]:
        found = self.inverters.get((str(values.get("station")), _whole(values.get("inverter"))))
        if found is None:
            raise Skip(_("unknown inverter"))
        return found

    def energy(self, values: dict, name: str) -> float:
        value = values.get(name)
        if value is None or value == "":
            raise Skip(_("no value"))
        return float(value)

    def day(self, values: dict) -> date:
        value = values.get("day")
        if isinstance(value, datetime):
            return value.date()
        if not isinstance(value, date):
            raise Skip(_("no date"))
        return value

    def item(self, values: dict) -> tuple:
        raise NotImplementedError

    def write(self, items: list[tuple]) -> dict[str, int]:
        raise NotImplementedError


class _DayGenerationImporter(_RollupImporter):
    def item(self, values: dict) -> tuple:
        inverter_id, station_id = self.inverter_of(values)
        return (inverter_id, station_id, self.day(values), self.energy(values, "energy_kwh"))

    def write(self, items: list[tuple]) -> dict[str, int]:
        return rollups.imported_days_upsert(rows=items)


class _DayTotalImporter(_RollupImporter):
    def item(self, values: dict) -> tuple:
        inverter_id, _station_id = self.inverter_of(values)
        return (inverter_id, self.day(values), self.energy(values, "total_kwh"))

    def write(self, items: list[tuple]) -> dict[str, int]:
        return rollups.imported_day_totals_upsert(rows=items)


class _HourGenerationImporter(_RollupImporter):
    def item(self, values: dict) -> tuple:
        inverter_id, station_id = self.inverter_of(values)
        hour = self.aware(values.get("hour"))
        if hour is None:
            raise Skip(_("no time"))
        return (inverter_id, station_id, hour, self.energy(values, "energy_kwh"))

    def write(self, items: list[tuple]) -> dict[str, int]:
        return rollups.imported_hours_upsert(rows=items)


def _whole(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- SMS log, event types, event log -----------------------------------------------------------
class _KeyedImporter(_Importer):
    """Rows with no natural key of ours: ImportedKey remembers which row each old one became."""

    model: type[models.Model]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.stations = dict(PowerStation.objects.values_list("code", "id"))

    def station_id(self, code: Any) -> int:
        station_id = self.stations.get(str(code)) if code not in (None, "") else None
        if station_id is None:
            raise Skip(_("unknown station"))
        return station_id

    def keyed_save(self, old_key: str, values: dict[str, Any]) -> str:
        known = ImportedKey.objects.filter(table=self.table.name, old_key=old_key).first()
        obj = self.model.objects.filter(pk=known.object_id).first() if known else None
        obj = obj or self.model()
        outcome = _model_save(obj, values)
        ImportedKey.objects.update_or_create(
            table=self.table.name, old_key=old_key, defaults={"object_id": obj.pk}
        )
        return outcome


class _SmsLogImporter(_KeyedImporter):
    model = SmsLog

    def row_import(self, row: dict) -> str:
        values = self.fields(row)
        code = values.get("station")
        station_id = self.station_id(code) if code not in (None, "") else None
        sent_at = self.aware(values.get("sent_at"))
        if sent_at is None:
            raise Skip(_("no time"))
        raw = str(values.get("to") or "").strip()
        if not raw:
            raise Skip(_("no phone number"))
        try:
            recipient = normalize_phone(raw)
        except ValidationError:
            recipient = raw[:20]  # logged as the old system wrote it
        text = str(values.get("text") or "")
        succeeded = values.get("succeeded")
        return self.keyed_save(
            self.old_key(row),
            {
                "recipient": recipient,
                "text": text,
                "message_type": sms_type(text),
                "station_id": station_id,
                "succeeded": succeeded if isinstance(succeeded, bool) else True,
                "result": str(values.get("result") or "")[:300],
                "sent_at": sent_at,
            },
        )


# The old notifyType: which channels an event type goes by.
NOTIFY_TYPES = {"mail": (True, False), "sms": (False, True), "both": (True, True),
                "none": (False, False)}  # fmt: skip


class _EventTypeImporter(_Importer):
    """The old event types' channel choices; names of the codes we know stay ours."""

    def row_import(self, row: dict) -> str:
        values = self.fields(row)
        code = _whole(values.get("code"))
        if code is None or not 1 <= code <= 32767:
            raise Skip(_("invalid code"))
        channels = str(values.get("channels") or "none").strip().lower()
        if channels not in NOTIFY_TYPES:
            raise Skip(_("unknown notify type"), f"code={code}: {channels}")
        by_email, by_sms = NOTIFY_TYPES[channels]
        event_type = EventType.objects.filter(code=code).first()
        name = str(values.get("name") or code)[:100]
        fields: dict[str, Any] = {"by_email": by_email, "by_sms": by_sms}
        if event_type is None:
            event_type = EventType(code=code)
            fields.update(name_ko=name, name_en=name)
        return _model_save(event_type, fields)


# Informational codes: a moment, not a state with an end.
INFO_CODES = (EventType.GENERATION_STARTED, EventType.GENERATION_STOPPED,
              EventType.COMMAND_COMPLETED)  # fmt: skip


class _EventLogImporter(_KeyedImporter):
    """An old event becomes event-log entries: raised (or information) at dateAt, cleared at
    clearAt; whether an operator had seen it (userChecked) is kept in the details. History
    only: it opens no alarm, so detection decides afresh what is wrong now."""

    model = EventLog

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inverters = {
            (station_id, number): inverter_id
            for inverter_id, station_id, number in Inverter.objects.values_list(
                "id", "station_id", "number"
            )
        }
        self.codes = set(EventType.objects.values_list("code", flat=True))

    def row_import(self, row: dict) -> str:
        values = self.fields(row)
        station_id = self.station_id(values.get("station"))
        inverter_id = None
        if values.get("inverter") not in (None, "", 0):
            inverter_id = self.inverters.get((station_id, _whole(values["inverter"])))
            if inverter_id is None:
                raise Skip(_("unknown inverter"))
        code = _whole(values.get("code"))
        if code not in self.codes:
            raise Skip(_("unknown event code (import the event types first)"), f"code={code}")
        raised_at = self.aware(values.get("raised_at"))
        if raised_at is None:
            raise Skip(_("no time"))
        old_key = self.old_key(row)
        common = {
            "event_type_id": code,
            "station_id": station_id,
            "inverter_id": inverter_id,
            "subject": f"inv:{inverter_id}" if inverter_id else f"st:{station_id}",
            "details": {"legacy": old_key, "acknowledged": bool(values.get("acknowledged"))},
        }
        kind = EventLog.Kind.INFO if code in INFO_CODES else EventLog.Kind.RAISED
        outcome = self.keyed_save(old_key, {**common, "kind": kind, "at": raised_at})
        cleared_at = self.aware(values.get("cleared_at"))
        if cleared_at is not None and kind == EventLog.Kind.RAISED:
            cleared = self.keyed_save(
                f"{old_key}/cleared", {**common, "kind": EventLog.Kind.CLEARED, "at": cleared_at}
            )
            if outcome == "unchanged" and cleared != "unchanged":
                outcome = "updated"
        return outcome


_IMPORTERS.update({
    "day_generation": _DayGenerationImporter,
    "day_total": _DayTotalImporter,
    "hour_generation": _HourGenerationImporter,
    "sms_log": _SmsLogImporter,
    "event_type": _EventTypeImporter,
    "event_log": _EventLogImporter,
})  # fmt: skip


# --- The old database --------------------------------------------------------------------------
def legacy_connect(url: str) -> Any:
    """A read-only DB-API connection to the old MySQL/MariaDB database at `url`."""
    config = environ.Env.db_url_config(url)
    if config["ENGINE"] != "django.db.backends.mysql":
        raise LegacyImportError(
            _("LEGACY_DATABASE_URL must be a mysql:// URL; the old system ran on MySQL.")
        )
    try:
        connection = MySQLdb.connect(
            host=config.get("HOST") or "127.0.0.1",
            port=int(config.get("PORT") or 3306),
            user=config.get("USER") or "",
            password=config.get("PASSWORD") or "",
            database=config["NAME"],
            charset="utf8mb4",
        )
    except MySQLdb.Error as exc:
        raise LegacyImportError(
            _("Cannot connect to the old database at LEGACY_DATABASE_URL: %(error)s")
            % {"error": exc}
        ) from exc
    # Autocommit: every chunk sees rows committed since the run began, not an old snapshot.
    connection.autocommit(True)
    with connection.cursor() as cursor:
        cursor.execute("SET SESSION TRANSACTION READ ONLY")
    return connection


def legacy_schema_create(connection: Any) -> None:
    """Build the old schema (field/legacy_schema.sql) in an empty database, for tests and bench."""
    text = "\n".join(
        line.split("--", 1)[0] for line in LEGACY_SCHEMA.read_text(encoding="utf-8").splitlines()
    )
    with connection.cursor() as cursor:
        for statement in text.split(";"):
            if statement.strip():
                cursor.execute(statement)
