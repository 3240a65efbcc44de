"""Daily and monthly generation of a plant or the fleet as CSV and XLSX.

CSV is UTF-8 with a byte-order mark, so Korean Excel opens it with the right encoding.
Both formats are built from the same table (a header and rows), read from the daily rows.
A day without any price has no revenue: its cell is blank, never 0, a month with such a day
has a blank revenue too, and a note row at the end names the days. A day with an implausible
figure says why in its flags column (generation/plausibility.py).

Names come from people (a plant called "=HYPERLINK(...)"), and a spreadsheet runs a cell that
starts like a formula: text starting with = + - @, a tab or a carriage return (or their
full-width forms) gets a leading apostrophe in CSV, and is a text cell with Excel's quote
prefix in XLSX. Numbers stay numbers, negative ones included.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.http import HttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from economics.selectors import stations_daily_revenue
from generation import plausibility
from generation.selectors import month_report, station_day_rows
from monitoring.models import PowerStation

Table = tuple[list[str], list[list]]


def _r(value, digits: int = 3):
    return None if value is None else round(value, digits)


def daily_table(*, stations: Iterable[PowerStation], start: date, end: date) -> Table:
    """One row per plant and day in [start, end]."""
    stations = {s.id: s for s in stations}
    header = [
        _("Date"), _("Plant code"), _("Plant"), _("Energy (kWh)"),
        _("Specific yield (kWh/kWp)"), _("Peak power (kW)"), _("Hours generating"),
        _("Availability (%)"), _("Performance ratio (%)"), _("Completeness (%)"),
        _("Zero-filled"), _("Implausible figures"), _("Revenue (won)"),
    ]  # fmt: skip
    revenue = _daily_won(stations.values(), start, end)
    rows = []
    for row in station_day_rows(station_ids=stations.keys(), start=start, end=end):
        station = stations[row.station_id]
        rows.append(
            [
                row.date, station.code, station.name, _r(row.kwh), _r(row.specific_yield),
                _r(row.peak_kw), _r(row.run_minutes / 60, 2), _percent(row.availability),
                _percent(row.performance_ratio), _percent(row.completeness),
                _("yes") if row.zero_filled else "", _flag_text(row.flags),
                _won(revenue.get((row.station_id, row.date))),
            ]
        )  # fmt: skip
    return header, rows + _no_price_notes(stations, revenue)


def monthly_table(*, stations: Iterable[PowerStation], year: int) -> Table:
    """One row per plant and month of the year, from the plant daily rows."""
    stations = {s.id: s for s in stations}
    header = [
        _("Month"), _("Plant code"), _("Plant"), _("Energy (kWh)"),
        _("Specific yield (kWh/kWp)"), _("Peak power (kW)"), _("Hours generating"), _("Days"),
        _("Zero-filled days"), _("Under-performing days"), _("Days with implausible figures"),
        _("Revenue (won)"),
    ]  # fmt: skip
    revenue = _daily_won(stations.values(), date(year, 1, 1), date(year, 12, 31))
    won: dict[tuple[int, int], Decimal | None] = defaultdict(Decimal)
    for (station_id, day), value in sorted(revenue.items(), key=lambda item: item[0][1]):
        key = (station_id, day.month)
        # One day without a price leaves the month's revenue unknown: blank, not a sum that
        # counts that day as 0 won.
        won[key] = None if value is None or won[key] is None else won[key] + value
    rows = []
    for month in range(1, 13):
        for row in month_report(stations=stations.values(), year=year, month=month):
            station = stations[row["station_id"]]
            rows.append(
                [
                    f"{year}-{month:02d}", station.code, station.name, _r(row["kwh"]),
                    _r(row["specific_yield"]), _r(row["peak_kw"]),
                    _r((row["run_minutes"] or 0) / 60, 2), row["days"],
                    row["zero_filled_days"], row["underperforming_days"], row["flagged_days"],
                    _won(won.get((row["station_id"], month))),
                ]
            )  # fmt: skip
    return header, rows + _no_price_notes(stations, revenue)


def _daily_won(stations, start: date, end: date) -> dict[tuple[int, date], Decimal | None]:
    """(station id, day) -> won, from economics (the revenue column)."""
    per_station, _notes = stations_daily_revenue(stations=stations, start=start, end=end)
    return {(sid, day.date): day.won for sid, days in per_station.items() for day in days}


def _no_price_notes(stations: dict, revenue: dict) -> list[list]:
    """A note row per plant naming the days that had no price at all."""
    missing: dict[int, list[date]] = defaultdict(list)
    for (station_id, day), value in sorted(revenue.items(), key=lambda item: item[0][1]):
        if value is None:
            missing[station_id].append(day)
    return [
        [_("Note"), _("No price for %(code)s on %(days)s: revenue left blank.")
         % {"code": stations[sid].code, "days": ", ".join(d.isoformat() for d in days)}]
        for sid, days in sorted(missing.items(), key=lambda item: stations[item[0]].code)
    ]  # fmt: skip


def _flag_text(codes: list[str]) -> str:
    return " ".join(flag["message"] for flag in plausibility.flags_explained(codes))


def _won(value: Decimal | None) -> int | None:
    return None if value is None else round(value)


def _percent(share: float | None):
    return None if share is None else round(share * 100, 1)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def looks_like_formula(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def _csv_cell(value):
    if value is None:
        return ""
    return "'" + value if looks_like_formula(value) else value


def csv_bytes(table: Table) -> bytes:
    header, rows = table
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_csv_cell(v) for v in header])
    writer.writerows([[_csv_cell(v) for v in row] for row in rows])
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx_row(sheet, values: list) -> None:
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"  # openpyxl makes "=..." a formula and "#N/A" an error
            cell.quotePrefix = looks_like_formula(cell.value)


# A column's width in Excel's units (about one Latin character); Hangul and other wide
# characters take two. Between these bounds, so a long note does not make a column a screen wide.
MIN_WIDTH, MAX_WIDTH = 8, 60
SHEET_NAME_LIMIT = 31  # Excel's
SHEET_NAME_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


def _display_width(value) -> int:
    if value is None:
        return 0
    text = value.isoformat() if isinstance(value, date) else str(value)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def sheet_name(text: str) -> str:
    """A sheet name Excel takes: without []:*?/\\ and at most 31 characters."""
    return " ".join(text.translate(SHEET_NAME_FORBIDDEN).split())[:SHEET_NAME_LIMIT] or "Sheet"


def xlsx_bytes(table: Table, *, title: str) -> bytes:
    """The table as a workbook of one sheet named `title`: the header bold, frozen and with
    an autofilter over the data, each column as wide as its longest value."""
    header, rows = table
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_name(title)
    _xlsx_row(sheet, header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    data = [row for row in rows if row and row[0] != _("Note")]
    for row in rows:
        _xlsx_row(sheet, row)
    sheet.freeze_panes = "A2"
    last = get_column_letter(len(header))
    sheet.auto_filter.ref = f"A1:{last}{1 + len(data)}"  # the notes stay out of the filter
    for column, name in enumerate(header, start=1):
        values = [name, *(row[column - 1] for row in data if len(row) >= column)]
        widest = max(_display_width(v) for v in values) + 3  # room for the filter's arrow
        width = min(MAX_WIDTH, max(MIN_WIDTH, widest))
        sheet.column_dimensions[get_column_letter(column)].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- One download, for the page and the API ------------------------------------------------
def sheet_title(kind: str, label: str, year: int | None = None) -> str:
    """What the sheet holds, in the reader's language ("일별 발전량 A001")."""
    what = _("Daily kWh") if kind == "daily" else _("Monthly kWh")
    who = _("all plants") if label == "fleet" else label
    return sheet_name(f"{what} {who}" + (f" {year}" if year else ""))


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
YEARS = (2000, 2100)


def export_download(
    *,
    stations: list[PowerStation],
    kind: str,
    fmt: str,
    label: str,
    start: date | None = None,
    end: date | None = None,
    year: int | None = None,
) -> HttpResponse:
    """The daily table over [start, end] or the monthly table of `year`, as a CSV or XLSX file
    named `generation-<kind>-<label>-<period>` (`label`: the plant's code, or "fleet")."""
    if kind == "daily":
        table = daily_table(stations=stations, start=start, end=end)
        name = f"generation-daily-{label}-{start}-{end}"
    else:
        table = monthly_table(stations=stations, year=year)
        name = f"generation-monthly-{label}-{year}"
    body = csv_bytes(table) if fmt == "csv" else xlsx_bytes(
        table, title=sheet_title(kind, label, year if kind != "daily" else None)
    )
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
