"""Event pages: the alarm list with acknowledging, one alarm's page, and "my notifications".
Thin: parse the request, call events' selectors and functions, render."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from events.acknowledge import alarm_acknowledge, alarms_acknowledge
from events.faults import fault_named
from events.models import Alarm, EventType, Subscription
from events.selectors import alarms_for
from monitoring.visibility import stations_visible_to, visible_station_or_404
from web.forms import SubscriptionForm

PAGE_SIZE = 100
CHOICES = {"status": {"open": True, "cleared": False}, "ack": {"yes": True, "no": False}}


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filters(request) -> dict:
    get = request.GET
    code = get.get("code", "")
    return {
        "station": get.get("station", "").strip(),
        "code": int(code) if code.isdigit() else None,
        "status": get.get("status", "") if get.get("status") in CHOICES["status"] else "",
        "ack": get.get("ack", "") if get.get("ack") in CHOICES["ack"] else "",
        "from": _day(get.get("from")),
        "to": _day(get.get("to")),
    }


def _instant(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.get_current_timezone())


@login_required
def alarm_list(request):
    f = _filters(request)
    stations = [visible_station_or_404(request.user, f["station"])] if f["station"] else None
    alarms = alarms_for(
        user=request.user,
        stations=stations,
        is_open=CHOICES["status"].get(f["status"]),
        acknowledged=CHOICES["ack"].get(f["ack"]),
        since=_instant(f["from"]) if f["from"] else None,
        until=_instant(f["to"] + timedelta(days=1)) if f["to"] else None,
    )
    if f["code"]:
        alarms = alarms.filter(event_type_id=f["code"])
    page = Paginator(alarms.select_related("collector"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "alarms": page.object_list,
        "f": f,
        "event_types": EventType.objects.order_by("code"),
        "stations": stations_visible_to(request.user).order_by("code").only("code", "name"),
    }
    return render(request, "events/alarm_list.html", context)


@login_required
@require_POST
def acknowledge_many(request):
    ids = [int(i) for i in request.POST.getlist("alarm") if i.isdigit()]
    if not ids:
        messages.warning(request, _("Tick the alarms to acknowledge first."))
    else:
        note = request.POST.get("note", "")
        done = alarms_acknowledge(user=request.user, alarm_ids=ids, note=note)
        messages.success(
            request,
            ngettext("%(n)s alarm acknowledged.", "%(n)s alarms acknowledged.", done) % {"n": done},
        )
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/") and not back.startswith("//") else "events:list")


def _visible_alarm(user, alarm_id: int) -> Alarm:
    return get_object_or_404(
        Alarm.objects.select_related("event_type", "station", "inverter", "collector",
                                     "acknowledged_by"),
        id=alarm_id,
        station__in=stations_visible_to(user).values("id"),
    )  # fmt: skip


@login_required
@require_POST
def acknowledge_one(request, alarm_id: int):
    """One row's button: htmx gets the row back, a plain form the page it came from."""
    alarm = _visible_alarm(request.user, alarm_id)
    alarm_acknowledge(user=request.user, alarm=alarm)
    alarm.refresh_from_db()
    if request.headers.get("HX-Request"):
        return render(request, "events/_alarm_row.html", {"alarm": alarm, "selectable": True})
    return redirect("events:alarm", alarm_id=alarm.id)


@login_required
def alarm_detail(request, alarm_id: int):
    alarm = _visible_alarm(request.user, alarm_id)
    timeline = [(alarm.raised_at, _("Raised"), "")]
    for entry in alarm.log.all():
        if entry.kind != "raised" or entry.at != alarm.raised_at:
            timeline.append((entry.at, entry.get_kind_display(), ""))
    if alarm.acknowledged_at:
        by = alarm.acknowledged_by
        who = (by.get_full_name() or by.username) if by else ""
        timeline.append((alarm.acknowledged_at, _("Acknowledged"), who))
    if alarm.cleared_at:
        timeline.append((alarm.cleared_at, _("Cleared"), ""))
    timeline = sorted(set(timeline), key=lambda item: item[0])
    faults = [fault_named(slug) for slug in alarm.details.get("faults", [])]
    context = {
        "alarm": alarm,
        "timeline": timeline,
        "faults": faults,
        "notifications": alarm.notifications.order_by("created_at", "id"),
        "show_recipients": request.user.sees_all_stations,
    }
    return render(request, "events/alarm_detail.html", context)


# --- My notifications -----------------------------------------------------------------------


@login_required
def my_notifications(request):
    subscriptions = (
        Subscription.objects.filter(user=request.user)
        .prefetch_related("stations", "event_types")
        .order_by("id")
    )
    return render(request, "events/my_notifications.html", {"subscriptions": subscriptions})


@login_required
def subscription_edit(request, subscription_id: int | None = None):
    subscription = None
    if subscription_id is not None:
        subscription = get_object_or_404(Subscription, id=subscription_id, user=request.user)
    form = SubscriptionForm(request.POST or None, instance=subscription, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your notification settings are saved."))
        return redirect("events:my_notifications")
    return render(
        request, "events/subscription_form.html", {"form": form, "subscription": subscription}
    )


@login_required
@require_POST
def subscription_delete(request, subscription_id: int):
    deleted, _rows = Subscription.objects.filter(id=subscription_id, user=request.user).delete()
    if not deleted:
        raise Http404("No such subscription of yours.")
    messages.success(request, _("The subscription is deleted."))
    return redirect("events:my_notifications")
