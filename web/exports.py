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

A download is never held whole in memory: the daily table is read a week at a time, a CSV
is streamed as it is written, and an XLSX is written row by row (openpyxl's write-only mode)
into a temporary file that is then streamed. A year of 1,000 plants is 366,000 rows
(bench/memory.py).
"""

from __future__ import annotations

import csv
import io
import itertools
import tempfile
import unicodedata
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from decimal import Decimal

from django.http import FileResponse, HttpResponseBase, StreamingHttpResponse
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from economics.selectors import stations_daily_revenue
from generation import plausibility
from generation.selectors import month_report, station_day_bounds, station_day_values
from monitoring.models import PowerStation

Table = tuple[list[str], Iterable[list]]
SPAN_DAYS = 7  # a week of 1,000 plants' daily rows and revenue: about 10 MB


def _r(value, digits: int = 3):
    return None if value is None else round(value, digits)


def daily_table(*, stations: Iterable[PowerStation], start: date, end: date) -> Table:
    """One row per plant and day in [start, end], then the no-price notes. The rows are made
    as they are read, SPAN_DAYS at a time (their daily rows and their revenue), so a year of
    a large fleet never sits in memory whole."""
    stations = {s.id: s for s in stations}
    header = [
        _("Date"), _("Plant code"), _("Plant"), _("Energy (kWh)"),
        _("Specific yield (kWh/kWp)"), _("Peak power (kW)"), _("Hours generating"),
        _("Availability (%)"), _("Performance ratio (%)"), _("Completeness (%)"),
        _("Zero-filled"), _("Implausible figures"), _("Revenue (won)"),
    ]  # fmt: skip
    return header, _daily_rows(stations, start, end)


def _daily_rows(stations: dict, start: date, end: date) -> Iterator[list]:
    # Days without a price, as day numbers in arrays: a year of a fleet without prices is
    # 366,000 of them, which as date objects in lists would be most of the export's memory.
    missing: dict[int, array] = defaultdict(lambda: array("l"))
    # Only the days that have rows: a period given with one end open (from the year 1 to
    # today) is otherwise thousands of empty spans, each a query or two.
    bounds = station_day_bounds(station_ids=stations.keys(), start=start, end=end)
    for first, last in _spans(*bounds) if bounds else ():
        revenue = _daily_won(stations.values(), first, last)
        for (station_id, day), value in sorted(revenue.items(), key=lambda item: item[0][1]):
            if value is None:
                missing[station_id].append(day.toordinal())
        # Tuples, not model instances: a third of the memory for the same rows.
        for (
            station_id, day, kwh, specific_yield, peak_kw, run_minutes, availability,
            performance_ratio, completeness, zero_filled, flags,
        ) in station_day_values(station_ids=stations.keys(), start=first, end=last):  # fmt: skip
            station = stations[station_id]
            yield [
                day, station.code, station.name, _r(kwh), _r(specific_yield), _r(peak_kw),
                _r(run_minutes / 60, 2), _percent(availability), _percent(performance_ratio),
                _percent(completeness), _("yes") if zero_filled else "", _flag_text(flags),
                _won(revenue.get((station_id, day))),
            ]  # fmt: skip
    yield from _notes(stations, missing, day_of=date.fromordinal)


def _spans(start: date, end: date) -> Iterator[tuple[date, date]]:
    """[start, end] in spans of at most SPAN_DAYS days."""
    first = start
    while first <= end:
        last = min(end, first + timedelta(days=SPAN_DAYS - 1))
        yield first, last
        first = last + timedelta(days=1)


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
    return list(_notes(stations, missing))


def _notes(stations: dict, missing: dict, *, day_of=lambda day: day) -> Iterator[list]:
    """A note row per plant naming its days without a price (`day_of` turns what `missing`
    holds into a date)."""
    for sid in sorted(missing, key=lambda sid: stations[sid].code):
        days = ", ".join(day_of(day).isoformat() for day in missing[sid])
        yield [_("Note"), _("No price for %(code)s on %(days)s: revenue left blank.")
               % {"code": stations[sid].code, "days": days}]  # fmt: skip


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


def csv_chunks(table: Table, *, rows_per_chunk: int = 2000) -> Iterator[bytes]:
    """The table as CSV (UTF-8 with a byte-order mark), a few thousand rows at a time."""
    header, rows = table
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_csv_cell(v) for v in header])
    for count, row in enumerate(rows, start=1):
        writer.writerow([_csv_cell(v) for v in row])
        if count % rows_per_chunk == 0:
            yield _taken(buffer)
    yield _taken(buffer)


def _taken(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode("utf-8")


# A column's width in Excel's units (about one Latin character); Hangul and other wide
# characters take two. Between these bounds, so a long note does not make a column a screen wide.
MIN_WIDTH, MAX_WIDTH = 8, 60
SIZING_ROWS = 500  # the widths are measured on the first rows; the rest stream past
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


def csv_bytes(table: Table) -> bytes:
    return "\ufeff".encode() + b"".join(csv_chunks(table))


def _xlsx_row(sheet, values: list, *, bold: bool = False) -> list:
    # A text cell is always text: openpyxl would make "=..." a formula and "#N/A" an error.
    cells = []
    for value in values:
        if isinstance(value, str) or bold:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
                cell.quotePrefix = looks_like_formula(value)
            if bold:
                cell.font = Font(bold=True)
            value = cell
        cells.append(value)
    return cells


def _is_data(row: list) -> bool:
    return bool(row) and row[0] != _("Note")


def xlsx_file(table: Table, *, title: str):
    """The table as an XLSX workbook in an anonymous temporary file, read from its start.

    openpyxl's write-only mode keeps one row in memory, not the sheet, and writes the column
    widths before the first row: so the columns are sized to the header and the first
    SIZING_ROWS rows. The header is bold and frozen, with an autofilter over the data rows
    (the notes under them stay out of it)."""
    header, rows = table
    rows = iter(rows)
    first = list(itertools.islice(rows, SIZING_ROWS))
    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_name(title))
    sheet.freeze_panes = "A2"
    for column, name in enumerate(header, start=1):
        values = [name, *(row[column - 1] for row in first if _is_data(row) and len(row) >= column)]
        widest = max(_display_width(v) for v in values) + 3  # room for the filter's arrow
        width = min(MAX_WIDTH, max(MIN_WIDTH, widest))
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.append(_xlsx_row(sheet, header, bold=True))
    data = 0
    for row in itertools.chain(first, rows):
        data += _is_data(row)
        sheet.append(_xlsx_row(sheet, row))
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{1 + data}"
    file = tempfile.TemporaryFile()
    book.save(file)
    file.seek(0)
    return file


def xlsx_bytes(table: Table, *, title: str) -> bytes:
    with xlsx_file(table, title=title) as file:
        return file.read()


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
) -> HttpResponseBase:
    """The daily table over [start, end] or the monthly table of `year`, as a CSV or XLSX file
    named `generation-<kind>-<label>-<period>` (`label`: the plant's code, or "fleet")."""
    if kind == "daily":
        table = daily_table(stations=stations, start=start, end=end)
        name = f"generation-daily-{label}-{start}-{end}"
    else:
        table = monthly_table(stations=stations, year=year)
        name = f"generation-monthly-{label}-{year}"
    if fmt == "csv":
        body = csv_chunks(table)
        response = StreamingHttpResponse(_in_language(get_language(), _with_bom(body)))
        response["Content-Type"] = CONTENT_TYPES[fmt]
    else:
        response = FileResponse(xlsx_file(
            table, title=sheet_title(kind, label, year if kind != "daily" else None)
        ), content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def _with_bom(chunks: Iterator[bytes]) -> Iterator[bytes]:
    yield "\ufeff".encode()
    yield from chunks


def _in_language(language: str | None, chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The chunks made in the request's language: a streamed body is made after the view
    returned, when the request's language may no longer be the thread's."""
    with translation.override(language):
        yield from chunks
