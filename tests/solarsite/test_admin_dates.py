"""The admin's date drill-down works without the database's time zone tables (a fresh MariaDB
has none): the periods are found in Python, in the site's zone, daylight saving included."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import LoginHistory
from solarsite.admin_dates import local_periods

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


def at(*args, zone=BERLIN) -> datetime:
    return datetime(*args, tzinfo=zone)


def logins_at(*moments: datetime) -> None:
    LoginHistory.objects.bulk_create(
        [
            LoginHistory(username="owner_a", logged_in_at=moment, succeeded=False)
            for moment in moments
        ]
    )


def periods(kind: str, queryset=None) -> list[datetime]:
    queryset = queryset if queryset is not None else LoginHistory.objects.all()
    return local_periods(queryset, field_name="logged_in_at", kind=kind)


def test_days_are_the_sites_local_days_across_a_daylight_saving_change():
    with timezone.override(BERLIN):
        # 2026-03-29 02:00 the clocks jump to 03:00; 23:30 local is already the next day in UTC
        # the night before (22:30Z) and the night after (21:30Z).
        logins_at(at(2026, 3, 28, 23, 30), at(2026, 3, 29, 23, 30), at(2026, 3, 29, 0, 10),
                  at(2026, 3, 31, 0, 0))  # fmt: skip
        assert periods("day") == [
            at(2026, 3, 28), at(2026, 3, 29), at(2026, 3, 31),
        ]  # fmt: skip
        assert [p.utcoffset().total_seconds() / 3600 for p in periods("day")] == [1, 1, 2]


def test_years_and_months_skip_the_empty_ones():
    with timezone.override(BERLIN):
        logins_at(at(2024, 12, 31, 23, 59), at(2026, 1, 1, 0, 0), at(2026, 6, 15, 12, 0))
        assert periods("year") == [at(2024, 1, 1), at(2026, 1, 1)]
        in_2026 = LoginHistory.objects.filter(logged_in_at__gte=at(2026, 1, 1))
        assert periods("month", in_2026) == [at(2026, 1, 1), at(2026, 6, 1)]


def test_the_admin_drills_down_by_local_date_without_converting_zones_in_sql(client, fleet):
    seoul = ZoneInfo("Asia/Seoul")
    # 00:30 in Seoul on June 2nd is still June 1st in UTC.
    logins_at(at(2025, 5, 5, 9, zone=seoul), at(2026, 6, 2, 0, 30, zone=seoul))
    client.force_login(fleet["admin"])
    url = "/admin/accounts/loginhistory/"
    with CaptureQueriesContext(connection) as queries:
        years = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        months = client.get(url, {"logged_in_at__year": 2026}, HTTP_ACCEPT_LANGUAGE="en")
        days = client.get(url, {"logged_in_at__year": 2026, "logged_in_at__month": 6},
                          HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
        one_day = client.get(url, {"logged_in_at__year": 2026, "logged_in_at__month": 6,
                                   "logged_in_at__day": 2}, HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert "?logged_in_at__year=2025" in years and "?logged_in_at__year=2026" in years
    assert "logged_in_at__month=6" in months.content.decode()
    assert "logged_in_at__day=2" in days.content.decode()
    assert "logged_in_at__day=1" not in days.content.decode()
    assert one_day.context["cl"].result_count == 1
    sql = " ".join(query["sql"] for query in queries.captured_queries).upper()
    assert "CONVERT_TZ" not in sql and "DJANGO_DATETIME" not in sql
