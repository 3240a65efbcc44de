"""The mapping file (field/legacy/mapping.toml): which old table becomes what, and how.

`legacy_mapping_load` reads and checks the file, reporting every problem at once. `RowFields`
applies one table's mapping to an old row: renames, coded values (`authority` 0/1/2 -> role),
scales and defaults, and turns the old naive local times into aware UTC.
"""

from __future__ import annotations

import tomllib
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from field.config_file import ConfigFileError

DEFAULT_MAPPING = Path(__file__).with_name("mapping.toml")
REGISTRY_TARGETS = ("customer", "user", "postal_area", "station", "inverter",
                    "collector_address", "combiner_box", "sensor", "key_value")  # fmt: skip
READING_TARGETS = ("inverter_reading", "combiner_reading", "sensor_reading", "grid_report")
ROLLUP_TARGETS = ("day_generation", "day_total", "hour_generation")
EVENT_TARGETS = ("sms_log", "event_type", "event_log", "login_history")
# A collection read only to be counted, with the mapping's `reason` in the summary.
NOT_IMPORTED = "not_imported"


class MappingError(ConfigFileError):
    """The mapping file is unusable; `problems` lists every bad setting."""


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

    @property
    def order(self) -> list[str]:
        """The columns rows are read in order of: the mark, then the rest of the key."""
        return [self.mark] + [k for k in self.key if k != self.mark]

    @property
    def old_columns(self) -> list[str]:
        """Every old column the import reads, the order columns first."""
        wanted: list[str] = list(self.order)
        for column in self.columns.values():
            for name in column if isinstance(column, list) else [column]:
                if name not in wanted:
                    wanted.append(name)
        return wanted


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
    known = REGISTRY_TARGETS + READING_TARGETS + ROLLUP_TARGETS + EVENT_TARGETS + (NOT_IMPORTED,)
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
        options={k: v for k, v in spec.items() if k in ("collector_name", "same_as", "reason")},
    )


_LIST = object()  # a column list (combiner-box channels), taken as is


class RowFields:
    """One table's mapping, applied to its old rows."""

    def __init__(self, *, mapping: Mapping, table: TableMapping):
        self.time_zone = mapping.time_zone
        self.table = table
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
        """The row's old key, as shown beside a skip reason."""
        return " ".join(f"{k}={row[k]}" for k in self.table.key)

    def old_key(self, row: dict) -> str:
        return "/".join(str(row[k]) for k in self.table.key)

    def aware(self, value: Any) -> datetime | None:
        """An old time (naive: the mapping's time zone) as aware UTC; None if not a time."""
        if not isinstance(value, datetime):
            return None
        found = self._aware.get(value)
        if found is None:
            # A log chunk holds few distinct times (every inverter reports at once): converting
            # each once saves a zone lookup per row.
            if len(self._aware) > 100_000:
                self._aware.clear()
            local = value if value.tzinfo else value.replace(tzinfo=self.time_zone)
            found = self._aware[value] = local.astimezone(UTC)
        return found
