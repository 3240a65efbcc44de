"""On the 1st of each month: every plant's report of the month before, e-mailed to its owners.

Each message goes into the notification outbox (events/outbox.py) with the PDF attached and
the idempotency key `report:<station>:<YYYY-MM>:email:<address>`, so running the job again,
or twice at once, never queues a second copy; the send_email job delivers it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from economics.monthly_report import monthly_report_pdf
from economics.selectors import month_bounds
from events.models import Channel, Notification
from events.outbox import outbox_enqueue
from generation.selectors import stations_with_generation
from monitoring.models import PowerStation


def previous_month(today: date) -> tuple[int, int]:
    last = today.replace(day=1) - timedelta(days=1)
    return last.year, last.month


def report_filename(station: PowerStation, year: int, month: int) -> str:
    return f"report-{station.code}-{year}-{month:02d}.pdf"


def monthly_reports_enqueue(*, year: int, month: int, now: datetime | None = None) -> int:
    """Queue the month's report of every plant with generation data in it for each of its
    owners with an e-mail address; returns how many are new. A PDF is made once per plant and
    language."""
    now = now or timezone.now()
    start, end = month_bounds(year, month)
    with_data = stations_with_generation(start=start, end=end)
    # A plant with no generation data in the month (not yet built, long dead) gets no report.
    stations = PowerStation.objects.filter(id__in=with_data).exclude(customer=None)
    owners: dict[int, list[User]] = {}
    for user in User.objects.filter(
        is_active=True, role=User.Role.OWNER, customer__isnull=False
    ).exclude(email=""):
        owners.setdefault(user.customer_id, []).append(user)
    queued = 0
    for station in stations:
        pdfs: dict[str, bytes] = {}
        rows = []
        for user in owners.get(station.customer_id, []):
            language = user.language or settings.LANGUAGE_CODE
            key = f"report:{station.id}:{year}-{month:02d}:email:{user.email}"
            if Notification.objects.filter(idempotency_key=key).exists():
                continue  # already queued: do not make the PDF again
            if language not in pdfs:
                pdfs[language] = monthly_report_pdf(
                    station=station, year=year, month=month, language=language
                )
            rows.append(_report_message(station, user, year, month, key, pdfs[language], now))
        queued += outbox_enqueue(rows)
    return queued


def _report_message(station, user, year, month, key, pdf, now) -> Notification:
    with translation.override(user.language or settings.LANGUAGE_CODE):
        values = {"plant": station.name, "month": f"{year}-{month:02d}"}
        subject = _("[%(plant)s] Monthly report %(month)s") % values
        body = _(
            "The monthly report of %(plant)s for %(month)s is attached: generation by day, "
            "revenue, specific yield against the regional median, availability and alarms."
        ) % values  # fmt: skip
    return Notification(
        channel=Channel.EMAIL,
        recipient=user.email,
        user=user,
        station=station,
        transition=Notification.Transition.INFO,
        subject=subject[:200],
        body=body,
        next_attempt_at=now,
        idempotency_key=key[:200],
        attachment_name=report_filename(station, year, month),
        attachment=pdf,
    )
