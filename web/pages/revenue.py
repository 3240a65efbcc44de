"""The monthly report download. Thin: check visibility and the month, make the PDF."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.utils import timezone, translation

from economics.monthly_mail import report_filename
from economics.monthly_report import monthly_report_pdf
from monitoring.visibility import visible_station_or_404


@login_required
def monthly_report(request, code: str, year: int, month: int):
    """/economics/report/<code>/<YYYY>-<MM>.pdf: a past month of a plant the user may see."""
    station = visible_station_or_404(request.user, code)
    this_month = timezone.localdate(timezone=station.tz).replace(day=1)
    if (
        not 1 <= month <= 12
        or not 2000 <= year
        or (year, month)
        >= (
            this_month.year,
            this_month.month,
        )
    ):
        raise Http404("Reports exist for past months only.")
    pdf = monthly_report_pdf(
        station=station, year=year, month=month, language=translation.get_language()
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    name = report_filename(station, year, month)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
