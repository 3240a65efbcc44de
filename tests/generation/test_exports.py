"""Downloads: what an owner gets when they export their plant's generation."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from generation import kpis
from generation.models import DailyGeneration
from monitoring.models import PowerStation
from tests.conftest import PASSWORD
from web.exports import csv_bytes, daily_table, sheet_name, xlsx_bytes

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])


@pytest.fixture
def rows(fleet):
    station = fleet["station_a"]
    station.name = "영암 태양광"
    station.save()
    for day, kwh in ((date(2026, 6, 1), 250.0), (date(2026, 6, 2), 150.0)):
        for inverter in station.inverters.all():
            DailyGeneration.objects.create(
                inverter_id=inverter.id,
                station_id=station.id,
                date=day,
                kwh=kwh,
                computed_at=timezone.now(),
            )
        kpis.station_days_recompute(station_days=[(station.id, day)])
    return fleet


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def test_a_period_of_weeks_is_in_day_order_with_one_note(client, rows):
    """The rows are read and written a week at a time (the body is streamed): the weeks
    follow each other, and the note gathers the days without a price of every week."""
    station = rows["station_a"]
    for inverter in station.inverters.all():
        DailyGeneration.objects.create(
            inverter_id=inverter.id, station_id=station.id, date=date(2026, 5, 31), kwh=100.0,
            computed_at=timezone.now(),
        )  # fmt: skip
    kpis.station_days_recompute(station_days=[(station.id, date(2026, 5, 31))])
    login(client, rows["owner_a"])
    period = {"station": "A001", "from": "2026-05-01", "to": "2026-06-30"}
    response = client.get("/generation/export/daily.csv", period)
    lines = response.getvalue().decode("utf-8-sig").splitlines()
    assert [line[:10] for line in lines[1:4]] == ["2026-05-31", "2026-06-01", "2026-06-02"]
    assert len(lines) == 5
    assert lines[4].startswith('메모,"2026-05-31, 2026-06-01, 2026-06-02에 A001의')


def test_a_period_open_back_to_the_year_1_reads_only_the_days_with_rows(rows):
    """A period with one end left open (the API's `from` alone) spans two thousand years: the
    export reads only the days that have rows, in no more queries than for their month."""

    def table_and_queries(start: date) -> tuple[list, int]:
        with CaptureQueriesContext(connections["default"]) as default, CaptureQueriesContext(
            connections["telemetry"]
        ) as telemetry:
            _header, body = daily_table(stations=[rows["station_a"]], start=start,
                                        end=date(2026, 6, 30))  # fmt: skip
            table = list(body)
        return table, len(default.captured_queries) + len(telemetry.captured_queries)

    wide, wide_queries = table_and_queries(date(1, 1, 1))
    june, june_queries = table_and_queries(date(2026, 6, 1))
    assert [row[0] for row in wide[:2]] == [date(2026, 6, 1), date(2026, 6, 2)]
    assert wide == june
    assert wide_queries <= june_queries


def test_daily_csv_has_a_bom_and_the_plants_days(client, rows):
    login(client, rows["owner_a"])
    response = client.get(
        "/generation/export/daily.csv",
        {"station": "A001", "from": "2026-06-01", "to": "2026-06-30"},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert (
        'filename="generation-daily-A001-2026-06-01-2026-06-30.csv"'
        in response["Content-Disposition"]
    )
    body = response.getvalue()  # streamed: read once
    assert body.startswith(b"\xef\xbb\xbf")
    lines = body.decode("utf-8-sig").splitlines()
    assert len(lines) == 4
    # Two 50 kW inverters of 250 kWh on a 100 kWp plant: 500 kWh, 5 kWh/kWp.
    assert lines[1].startswith("2026-06-01,A001,영암 태양광,500.0,5.0,")
    assert lines[2].startswith("2026-06-02,A001,영암 태양광,300.0,3.0,")
    # No price was entered for June: the revenue is blank (not 0), and a note says so.
    assert lines[1].endswith(",") and lines[2].endswith(",")
    assert lines[3] == '메모,"2026-06-01, 2026-06-02에 A001의 가격이 없어 수익을 비워 두었습니다."'




def test_monthly_xlsx_of_the_fleet_holds_only_visible_plants(client, rows):
    login(client, rows["owner_a"])
    response = client.get("/generation/export/monthly.xlsx", {"year": "2026"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.getvalue())).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert len(values) == 3  # header, June of A001 and a note; B001 belongs to someone else
    assert values[1][:5] == ["2026-06", "A001", "영암 태양광", 800, 8]
    assert values[1][7] == 2  # days
    assert values[1][-1] is None  # no price in June: no revenue, rather than 0 won
    assert values[2][0] == "메모" and "2026-06-01, 2026-06-02" in values[2][1]


def test_someone_elses_plant_is_not_found(client, rows):
    login(client, rows["owner_a"])
    assert client.get("/generation/export/daily.csv", {"station": "B001"}).status_code == 404


def test_bad_dates_say_what_was_wrong(client, rows):
    login(client, rows["operator"])
    response = client.get("/generation/export/daily.csv", {"from": "June"})
    assert response.status_code == 400
    assert "from 값은 2026-06-01 같은 날짜여야 합니다" in response.content.decode()  # Korean first
    response = client.get(
        "/generation/export/daily.csv", {"from": "June"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "from must be a date like 2026-06-01, not June." in response.content.decode()
    response = client.get(
        "/generation/export/daily.csv", {"from": "2026-06-02", "to": "2026-06-01"}
    )
    assert response.status_code == 400
    assert client.get("/generation/export/monthly.csv", {"year": "20x6"}).status_code == 400


def test_export_needs_a_login(client, rows):
    response = client.get("/generation/export/daily.csv")
    assert response.status_code == 302


DANGEROUS = ['=HYPERLINK("http://x","y")', "+1+2", "-2+3", "@SUM(A1)", "\tTab", "\rCR", "＝1+1"]


@pytest.mark.parametrize("name", DANGEROUS)
def test_a_plant_name_that_looks_like_a_formula_is_text_in_csv(client, rows, name):
    PowerStation.objects.filter(code="A001").update(name=name)
    login(client, rows["owner_a"])
    response = client.get(
        "/generation/export/daily.csv",
        {"station": "A001", "from": "2026-06-01", "to": "2026-06-01"},
    )
    table = list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"), newline="")))
    assert table[1][2] == "'" + name
    assert table[1][3] == "500.0"  # numbers are left alone


@pytest.mark.parametrize("name", DANGEROUS)
def test_a_plant_name_that_looks_like_a_formula_is_a_text_cell_in_xlsx(client, rows, name):
    PowerStation.objects.filter(code="A001").update(name=name)
    login(client, rows["owner_a"])
    response = client.get("/generation/export/monthly.xlsx", {"year": "2026"})
    body = response.getvalue()  # streamed: read once
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml  # no formula anywhere in the sheet
    cell = load_workbook(io.BytesIO(body)).active["C2"]
    # (XML reads a carriage return back as a line feed)
    assert (cell.value, cell.data_type, cell.quotePrefix) == (name.replace("\r", "\n"), "s", True)


def test_negative_numbers_stay_numbers_and_plain_text_stays_plain():
    table = (["Plant", "kWh", "Note"], [["Plant-1", -2.5, "-"], ["영암", -3, "ok"]])

    sheet = load_workbook(io.BytesIO(xlsx_bytes(table, title="t"))).active
    assert [(c.value, c.data_type) for c in sheet[2]] == [("Plant-1", "s"), (-2.5, "n"), ("-", "s")]
    assert [(c.value, c.data_type) for c in sheet[3]] == [("영암", "s"), (-3, "n"), ("ok", "s")]
    assert sheet["A2"].quotePrefix is False and sheet["C2"].quotePrefix is True

    lines = csv_bytes(table).decode("utf-8-sig").splitlines()
    assert lines[1:] == ["Plant-1,-2.5,'-", "영암,-3,ok"]


def test_headers_cannot_be_confused(client, rows):
    login(client, rows["owner_a"])
    june = {"station": "A001", "from": "2026-06-01", "to": "2026-06-30"}
    response = client.get("/generation/export/daily.csv", june)
    header = response.getvalue().decode("utf-8-sig").splitlines()[0].split(",")
    assert header[3:7] == [
        "발전량 (kWh)", "단위 발전량 (kWh/kWp)", "최대 출력 (kW)", "가동 시간 (h)"
    ]  # fmt: skip
    assert len(set(header)) == len(header)


def test_the_xlsx_sheet_is_named_bold_filtered_and_sized(client, rows):
    login(client, rows["owner_a"])
    june = {"station": "A001", "from": "2026-06-01", "to": "2026-06-30"}
    response = client.get("/generation/export/daily.xlsx", june)
    sheet = load_workbook(io.BytesIO(response.getvalue())).active
    assert sheet.title == "일별 발전량 A001"
    assert all(cell.font.bold for cell in sheet[1]) and not sheet["A2"].font.bold
    assert sheet.auto_filter.ref == "A1:M3"  # the header and two days; the note stays out
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABCM"}
    # as wide as the longest value and the filter's arrow; Hangul counts twice
    assert widths["A"] == len("2026-06-01") + 3 and widths["C"] == 2 * 5 + 1 + 3
    assert max(widths.values()) <= 60
    fleet = client.get("/generation/export/monthly.xlsx", {"year": "2026"})
    title = load_workbook(io.BytesIO(fleet.getvalue())).active.title
    assert title == "월별 발전량 전체 2026" and len(title) <= 31


def test_a_sheet_name_is_one_excel_takes():
    assert sheet_name("Daily kWh A/B [test]: *?") == "Daily kWh A B test"
    assert len(sheet_name("x" * 40)) == 31
