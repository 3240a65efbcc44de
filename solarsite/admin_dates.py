"""The admin's date drill-down (`date_hierarchy`) without the database's time zone tables.

Django asks the database for the years, months or days that hold rows, converted to the site's
time zone; MySQL and MariaDB do that with CONVERT_TZ, which answers NULL on a server whose
time zone tables were never loaded, and the change list fails. Here the periods are found by
walking the rows in order: the first row's local year (month, day) is a period, then the first
row at or after the next period's start in UTC, and so on. One indexed query per period shown,
exact in every zone, daylight saving included. `templates/admin/change_list.html` uses this
tag in place of Django's; the links and the filtering are Django's own (they filter by ranges
computed in Python, which need no time zone tables either).
"""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.contrib.admin.templatetags import admin_list
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.db.models import Min, QuerySet
from django.utils import timezone

register = template.Library()


def local_periods(queryset: QuerySet, *, field_name: str, kind: str) -> list[datetime]:
    """The starts (aware, in the current time zone) of the years, months or days, by `kind`,
    in which `queryset` has a row, oldest first: what QuerySet.datetimes() answers."""
    starts = []
    first = queryset.aggregate(first=Min(field_name))["first"]
    while first is not None:
        start = _period_start(timezone.localtime(first).date(), kind)
        starts.append(timezone.make_aware(datetime.combine(start, datetime.min.time())))
        following = timezone.make_aware(datetime.combine(_next(start, kind), datetime.min.time()))
        first = queryset.filter(**{f"{field_name}__gte": following}).aggregate(
            first=Min(field_name)
        )["first"]
    return starts


def _period_start(day: date, kind: str) -> date:
    if kind == "year":
        return day.replace(month=1, day=1)
    if kind == "month":
        return day.replace(day=1)
    return day


def _next(start: date, kind: str) -> date:
    if kind == "year":
        return start.replace(year=start.year + 1)
    if kind == "month":
        return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
    return date.fromordinal(start.toordinal() + 1)


class _LocalDates:
    """A change list's queryset whose datetimes() comes from local_periods."""

    def __init__(self, queryset: QuerySet):
        self._queryset = queryset

    def __getattr__(self, name):
        return getattr(self._queryset, name)

    def datetimes(self, field_name: str, kind: str, *args, **kwargs) -> list[datetime]:
        return local_periods(self._queryset, field_name=field_name, kind=kind)


class _ChangeList:
    def __init__(self, change_list):
        self._change_list = change_list
        self.queryset = _LocalDates(change_list.queryset)

    def __getattr__(self, name):
        return getattr(self._change_list, name)


def local_date_hierarchy(change_list):
    return admin_list.date_hierarchy(_ChangeList(change_list))


@register.tag(name="local_date_hierarchy")
def local_date_hierarchy_tag(parser, token):
    return InclusionAdminNode(
        parser,
        token,
        func=local_date_hierarchy,
        template_name="date_hierarchy.html",
        takes_context=False,
    )
