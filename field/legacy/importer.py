"""What every table's importer shares: the row's fields, skipping a row, saving a model.

An importer takes one chunk of old rows at a time (`chunk_import`). The base imports a row at
a time (`row_import` returns "inserted", "updated" or "unchanged", or raises Skip), each in a
savepoint, so one row the database refuses leaves the rest of the chunk usable. The readings
and the generation figures override `chunk_import` to write a chunk in one go.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, models, transaction
from django.utils.translation import gettext as _

from field.legacy.mapping import Mapping, RowFields, TableMapping
from field.legacy.summary import TableSummary
from monitoring.models import Inverter, PowerStation


class Skip(Exception):
    """One row is not imported; `reason` is counted, `example` shown for the first few."""

    def __init__(self, reason: str, example: str = ""):
        self.reason = reason
        self.example = example
        super().__init__(reason)


class Importer(RowFields):
    def __init__(
        self,
        *,
        mapping: Mapping,
        table: TableMapping,
        summary: TableSummary,
        fill_only: bool = False,
    ):
        super().__init__(mapping=mapping, table=table)
        self.mapping = mapping
        self.summary = summary
        # A second source (the old MongoDB) only adds what is missing: a record that exists
        # and differs is counted as a disagreement and left as it is (see run.py).
        self.fill_only = fill_only
        # The name rows of this table are remembered under (ImportedKey): a second source's
        # copy of a table names the first one (`same_as`), so both find the same records.
        self.identity = table.options.get("same_as", table.name)

    def save(self, obj: models.Model, values: dict[str, Any], *, exclude: tuple = ()) -> str:
        return model_save(obj, values, exclude=exclude, fill_only=self.fill_only)

    @cached_property
    def stations(self) -> dict[str, int]:
        """Plant code -> id, read once per table."""
        return dict(PowerStation.objects.values_list("code", "id"))

    def station_id(self, code: Any) -> int:
        station_id = self.stations.get(str(code)) if code not in (None, "") else None
        if station_id is None:
            raise Skip(_("unknown station"))
        return station_id

    def chunk_import(self, rows: list[dict]) -> None:
        for row in rows:
            if any(row[k] is None or row[k] == "" for k in self.table.key):
                self.summary.skip(_("no key"), self.example(row))
                continue
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


class NotImported(Importer):
    """A collection read only to be counted: every row is skipped with the mapping's reason."""

    def chunk_import(self, rows: list[dict]) -> None:
        reason = str(self.table.options.get("reason") or _("not imported"))
        self.summary.skipped[reason] += len(rows)


def model_save(
    obj: models.Model, values: dict[str, Any], *, exclude: tuple = (), fill_only: bool = False
) -> str:
    """Set `values` on obj, validate, save; 'inserted', 'updated' or 'unchanged'. With
    `fill_only`, an existing row that would change is left alone: 'disagreed'."""
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
    if not is_new and fill_only:
        return "disagreed"
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


def inverters_by_code() -> dict[tuple[str, int], tuple[int, int]]:
    """(plant code, inverter number) -> (inverter id, plant id)."""
    return {
        (code, number): (inverter_id, station_id)
        for inverter_id, station_id, code, number in Inverter.objects.values_list(
            "id", "station_id", "station__code", "number"
        )
    }


def whole(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
