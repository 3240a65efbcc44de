"""Generation figures the old system computed: daily, daily lifetime counter, hourly.

They fill the rollup tables where solarsite has nothing better, through generation/rollups.py's
import functions, which keep a figure computed from our own readings.
"""

from __future__ import annotations

from datetime import date, datetime

from django.utils.translation import gettext as _

from field.legacy.importer import Importer, Skip, inverters_by_code, whole
from generation import rollups


class _RollupImporter(Importer):
    """A chunk at a time into the rollup tables, through generation/rollups.py's import
    functions (which keep a figure computed from our own readings)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inverters = inverters_by_code()

    def chunk_import(self, rows: list[dict]) -> None:
        items = []
        for row in rows:
            try:
                items.append(self.item(self.fields(row)))
            except Skip as skip:
                self.summary.skip(skip.reason, skip.example or self.example(row))
        counts = self.write(items)
        self.summary.counts_add(
            {o: counts[o] for o in ("inserted", "updated", "unchanged", "disagreed")}
        )
        self.summary.unchanged += counts["kept"]
        if counts["kept"]:
            self.summary.notes[_("kept: computed from our own readings")] += counts["kept"]
        if counts.get("missing"):
            self.summary.skipped[_("no daily generation for that day (import it first)")] += (
                counts["missing"]
            )

    def inverter_of(self, values: dict) -> tuple[int, int]:
        found = self.inverters.get((str(values.get("station")), whole(values.get("inverter"))))
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
        return rollups.imported_days_upsert(rows=items, only_new=self.fill_only)


class _DayTotalImporter(_RollupImporter):
    def item(self, values: dict) -> tuple:
        inverter_id, _station_id = self.inverter_of(values)
        return (inverter_id, self.day(values), self.energy(values, "total_kwh"))

    def write(self, items: list[tuple]) -> dict[str, int]:
        return rollups.imported_day_totals_upsert(rows=items, only_new=self.fill_only)


class _HourGenerationImporter(_RollupImporter):
    def item(self, values: dict) -> tuple:
        inverter_id, station_id = self.inverter_of(values)
        hour = self.aware(values.get("hour"))
        if hour is None:
            raise Skip(_("no time"))
        return (inverter_id, station_id, hour, self.energy(values, "energy_kwh"))

    def write(self, items: list[tuple]) -> dict[str, int]:
        return rollups.imported_hours_upsert(rows=items, only_new=self.fill_only)


IMPORTERS: dict[str, type[_RollupImporter]] = {
    "day_generation": _DayGenerationImporter,
    "day_total": _DayTotalImporter,
    "hour_generation": _HourGenerationImporter,
}
