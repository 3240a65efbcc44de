"""The reports page's figures, gathered from the selectors in a fixed number of queries."""

from __future__ import annotations

import calendar
from datetime import date

from economics.selectors import stations_revenue_total
from generation import plausibility, selectors
from monitoring.models import PowerStation, Region


def report(
    *, stations: list[PowerStation], year: int, month: int, per_inverter: PowerStation | None
) -> dict:
    by_id = {s.id: s for s in stations}
    month_rows = selectors.month_report(stations=stations, year=year, month=month)
    year_rows = _year_rows(by_id, year)
    start = date(year, month, 1)
    end = date(year, month, calendar.monthrange(year, month)[1])
    won, revenue_notes = stations_revenue_total(stations=stations, start=start, end=end)
    for row in month_rows:
        row["station"] = by_id[row["station_id"]]
        row["won"] = won.get(row["station_id"])
        row["flag_messages"] = [f["message"] for f in plausibility.flags_explained(row["flags"])]
    result = {
        "month_rows": sorted(month_rows, key=lambda r: r["station"].code),
        "year_rows": year_rows,
        "regions": _region_statistics(start, end),
        "underperforming": sorted(
            (r for r in month_rows if r["underperforming_days"]),
            key=lambda r: (-r["underperforming_days"], r["station"].code),
        ),
        "month_start": start,
        "month_end": end,
        "revenue_notes": revenue_notes,
    }
    if per_inverter is not None:
        result["inverter_rows"] = _inverter_rows(per_inverter, year, start, end)
    return result


def _year_rows(by_id: dict[int, PowerStation], year: int) -> list[dict]:
    """Per plant, kWh of each month of the year and the year's total (12 grouped queries)."""
    rows: dict[int, dict] = {}
    for month in range(1, 13):
        for row in selectors.month_report(stations=by_id.values(), year=year, month=month):
            entry = rows.setdefault(
                row["station_id"],
                {"station": by_id[row["station_id"]], "months": [None] * 12, "kwh": 0.0},
            )
            entry["months"][month - 1] = row["kwh"]
            entry["kwh"] += row["kwh"] or 0
    return sorted(rows.values(), key=lambda r: r["station"].code)


def _region_statistics(start: date, end: date) -> list[dict]:
    """Average and median over the whole fleet and per region, for the period."""
    names = dict(Region.choices)
    regions = selectors.regions_with_generation(start=start, end=end)
    found = [{"scope": None, "figures": selectors.statistics_over(start=start, end=end)}]
    for region in regions:
        found.append(
            {
                "scope": names.get(region, region),
                "figures": selectors.statistics_over(start=start, end=end, region=region),
            }
        )
    return found


def _inverter_rows(station: PowerStation, year: int, start: date, end: date) -> list[dict]:
    monthly = selectors.monthly_generation(stations=[station], year=year)["inverters"]
    daily = selectors.daily_generation(stations=[station], start=start, end=end)["inverters"]
    rows = []
    for inverter in station.inverters.order_by("number"):
        months = monthly.get(inverter.id, {})
        rows.append(
            {
                "inverter": inverter,
                "months": [months.get(m) for m in range(1, 13)],
                "year_kwh": sum(v for v in months.values() if v),
                "month_kwh": sum(kwh for _, kwh in daily.get(inverter.id, [])),
            }
        )
    return rows
