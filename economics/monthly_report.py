"""The monthly report of one plant as a PDF: generation by day, revenue, specific yield against
the regional median, availability and the month's alarms, in the reader's language.

fpdf2 writes it with a TrueType Hangul font embedded (subset). The CFF fonts of Noto CJK draw
fine but their text cannot be read back or copied correctly, so we use a TrueType one:
settings.REPORT_FONT_PATH, else Debian's fonts-nanum (scripts/setup.sh installs it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from fpdf import FPDF, FontFace

from economics.selectors import Revenue, month_bounds, station_revenue
from events.models import Alarm
from generation import plausibility
from generation.selectors import daily_yield_medians, station_day_rows
from monitoring import plant_time
from monitoring.models import PowerStation

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/nanum/NanumGothic.ttf",
    "/usr/share/fonts/truetype/nanum/NanumBarunGothic.ttf",
)
# fontTools warns about every hinting table it drops while subsetting; that is expected.
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)


class ReportFontMissing(RuntimeError):
    pass


def report_font() -> Path:
    """The TrueType font the report embeds; ReportFontMissing says what to install."""
    configured = settings.REPORT_FONT_PATH
    candidates = (configured,) if configured else FONT_CANDIDATES
    for candidate in candidates:
        if Path(candidate).is_file():
            return Path(candidate)
    raise ReportFontMissing(
        f"No Hangul TrueType font for the monthly report at {', '.join(candidates)}: "
        "install Debian's fonts-nanum (scripts/setup.sh does) or set REPORT_FONT_PATH."
    )


@dataclass(frozen=True)
class ReportDay:
    date: date
    kwh: float
    specific_yield: float | None
    regional_median: float | None
    availability: float | None
    won: Decimal | None
    performance_ratio: float | None = None
    flags: tuple[str, ...] = ()  # generation/plausibility.py codes

    def marked(self, figure: str) -> bool:
        return figure in plausibility.figure_marks(self.flags)


@dataclass(frozen=True)
class MonthFigures:
    station: PowerStation
    year: int
    month: int
    days: list[ReportDay]
    revenue: Revenue
    alarms: list[Alarm]

    @property
    def specific_yield(self) -> float:
        return round(sum(d.specific_yield or 0 for d in self.days), 2)

    @property
    def regional_median(self) -> float | None:
        medians = [d.regional_median for d in self.days if d.regional_median is not None]
        return round(sum(medians), 2) if medians else None

    @property
    def median_days(self) -> int:
        return sum(1 for d in self.days if d.regional_median is not None)

    @property
    def availability(self) -> float | None:
        """The mean of the days' availability, implausible days left out."""
        shares = [
            d.availability
            for d in self.days
            if d.availability is not None and not d.marked(plausibility.AVAILABILITY)
        ]
        return sum(shares) / len(shares) if shares else None

    @property
    def flagged_days(self) -> list[ReportDay]:
        return [d for d in self.days if d.flags]


def month_figures(*, station: PowerStation, year: int, month: int) -> MonthFigures:
    start, end = month_bounds(year, month)
    revenue = station_revenue(station=station, start=start, end=end)
    won = {d.date: d.won for d in revenue.days}
    medians = daily_yield_medians(scope=station.region, start=start, end=end)
    days = [
        ReportDay(row.date, row.kwh, row.specific_yield, medians.get(row.date), row.availability,
                  won.get(row.date), row.performance_ratio, tuple(row.flags))
        for row in station_day_rows(station_ids=[station.id], start=start, end=end)
    ]  # fmt: skip
    first = plant_time.day_bounds(start, station.tz)[0]
    last = plant_time.day_bounds(end, station.tz)[1]
    alarms = list(
        Alarm.objects.filter(station=station, raised_at__lt=last)
        .filter(Q(cleared_at__isnull=True) | Q(cleared_at__gte=first))
        .select_related("event_type", "inverter")
        .order_by("raised_at")
    )
    return MonthFigures(station, year, month, days, revenue, alarms)


def monthly_report_pdf(*, station: PowerStation, year: int, month: int, language: str) -> bytes:
    with translation.override(language):  # the price notes are written in it too
        figures = month_figures(station=station, year=year, month=month)
        return _Report(figures, language).render()


def _number(value, digits: int = 0) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.1f}%"


def _mark(text: str, day: ReportDay, figure: str) -> str:
    """A flagged figure keeps its value, with a mark the flag list below explains."""
    return f"{text} *" if day.marked(figure) else text


class _Report:
    def __init__(self, figures: MonthFigures, language: str) -> None:
        self.f = figures
        self.language = language
        self.pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        self.pdf.set_auto_page_break(auto=True, margin=15)
        font = report_font()
        self.pdf.add_font("report", fname=str(font))
        bold = font.with_name(f"{font.stem}Bold{font.suffix}")
        if bold.is_file():
            self.pdf.add_font("report", style="B", fname=str(bold))
        # Table headings in bold where the bold face exists, else in the regular one.
        self.headings = FontFace(emphasis="BOLD" if bold.is_file() else None, fill_color=235)
        self.pdf.set_title(self.title())
        self.pdf.set_creator("solarsite")

    def title(self) -> str:
        return _("Monthly report %(month)s: %(plant)s") % {
            "month": f"{self.f.year}-{self.f.month:02d}",
            "plant": self.f.station.name,
        }

    def render(self) -> bytes:
        self.pdf.add_page()
        self.heading()
        self.summary()
        self.daily_table()
        self.flag_list()
        self.alarm_list()
        self.notes()
        return bytes(self.pdf.output())

    def text(self, size: float, line: str, height: float = 7) -> None:
        self.pdf.set_font("report", size=size)
        self.pdf.multi_cell(0, height, line, new_x="LMARGIN", new_y="NEXT")

    def heading(self) -> None:
        station = self.f.station
        self.text(16, self.title(), 9)
        self.text(
            9,
            _("Plant %(code)s, %(region)s, %(capacity)s kWp")
            % {"code": station.code, "region": station.get_region_display(),
               "capacity": _number(station.capacity_kwp, 2)},
        )  # fmt: skip
        self.pdf.ln(2)

    def summary(self) -> None:
        f = self.f
        rows = [
            (_("Generation"), f"{_number(f.revenue.kwh, 1)} kWh"),
            (_("Revenue"), _("%(won)s won") % {"won": _number(f.revenue.won)}),
            (_("Specific yield"), f"{_number(f.specific_yield, 2)} kWh/kWp"),
            (_("Regional median"), self.median_summary()),
            (_("Availability"), _percent(f.availability)),
            (_("Alarms"), str(len(f.alarms))),
        ]
        self.pdf.set_font("report", size=10)
        with self.pdf.table(
            col_widths=(50, 80), width=130, align="LEFT", first_row_as_headings=False
        ) as table:
            for label, value in rows:
                table.row([label, value])
        self.pdf.ln(4)

    def median_summary(self) -> str:
        f = self.f
        line = f"{_number(f.regional_median, 2)} kWh/kWp"
        if f.regional_median is not None and f.median_days < len(f.days):
            line += " " + _("(%(days)s days with a regional figure)") % {"days": f.median_days}
        return line

    def daily_table(self) -> None:
        self.text(12, _("Generation by day"), 8)
        self.pdf.set_font("report", size=8)
        header = [_("Date"), "kWh", "kWh/kWp", _("Regional median"), _("Availability"), "PR",
                  _("Revenue (won)")]  # fmt: skip
        with self.pdf.table(
            col_widths=(24, 24, 22, 28, 24, 20, 34),
            text_align="RIGHT",
            line_height=5,
            headings_style=self.headings,
        ) as table:
            table.row(header)
            for day in self.f.days:
                table.row([
                    day.date.isoformat(), _number(day.kwh, 1),
                    _mark(_number(day.specific_yield, 2), day, plausibility.YIELD),
                    _number(day.regional_median, 2),
                    _mark(_percent(day.availability), day, plausibility.AVAILABILITY),
                    _mark(_percent(day.performance_ratio), day, plausibility.PR),
                    _number(day.won),
                ])  # fmt: skip
            f = self.f
            table.row([_("Total"), _number(f.revenue.kwh, 1), _number(f.specific_yield, 2),
                       _number(f.regional_median, 2), _percent(f.availability), "",
                       _number(f.revenue.won)])  # fmt: skip
        self.pdf.ln(4)

    def flag_list(self) -> None:
        """The reasons behind the marks (*) in the daily table."""
        if not self.f.flagged_days:
            return
        self.text(12, _("Implausible figures (*)"), 8)
        for day in self.f.flagged_days:
            for flag in plausibility.flags_explained(day.flags):
                self.text(8, f"{day.date.isoformat()}: {flag['message']}", 5)
        self.text(8, _("These days are left out of the month's availability and of the fleet's "
                       "statistics."), 5)  # fmt: skip
        self.pdf.ln(3)

    def alarm_list(self) -> None:
        self.text(12, _("Alarms of the month"), 8)
        if not self.f.alarms:
            self.text(9, _("No alarms this month."))
            return
        tz = self.f.station.tz
        self.pdf.set_font("report", size=8)
        with self.pdf.table(
            col_widths=(30, 30, 60, 30), line_height=5, headings_style=self.headings
        ) as table:
            table.row([_("Raised"), _("Cleared"), _("Event"), _("Device")])
            for alarm in self.f.alarms:
                table.row([
                    _local(alarm.raised_at, tz), _local(alarm.cleared_at, tz) or _("open"),
                    f"{alarm.event_type_id} {alarm.event_type.name_in(self.language)}",
                    _("inverter %(number)s") % {"number": alarm.inverter.number}
                    if alarm.inverter else _("whole plant"),
                ])  # fmt: skip
        self.pdf.ln(4)

    def notes(self) -> None:
        lines = list(self.f.revenue.notes)
        lines.append(
            _("Made on %(date)s. Revenue is an estimate from the measured generation and the "
              "prices of each day; the settlement of the power exchange is authoritative.")
            % {"date": timezone.localdate()}
        )  # fmt: skip
        for line in lines:
            self.text(7, line, 4)


def _local(when: datetime | None, tz) -> str:
    return "" if when is None else f"{timezone.localtime(when, tz):%Y-%m-%d %H:%M}"
