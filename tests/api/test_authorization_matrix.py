"""Every endpoint of /api/v1/ x {anonymous, owner of A, owner of B, operator, administrator}.

The endpoints come from the URL configuration itself: an endpoint (or a method of one) missing
from MATRIX fails `test_matrix_covers_every_endpoint`, so none can be added unguarded.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from field.commands import command_queue
from monitoring.models import Command
from tests.api.conftest import ROLES

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])

# Expected status per role, in ROLES order: anonymous, owner_a, owner_b, operator, admin.
SEEN_BY_ALL = (401, 200, 200, 200, 200)
PLANT_A = (401, 200, 404, 200, 200)  # B's owner must not learn that plant A exists
STAFF = (401, 403, 403, 200, 200)
ADMIN_WRITE = (401, 403, 403, 403, 200)
COLLECTORS = (401, 401, 401, 401, 401)  # only a collector's Bearer token opens these
OWN_ROW = (401, 200, 404, 404, 404)  # owner A's own subscription

MATRIX: dict[tuple[str, str], tuple] = {
    ("api-ingest", "post"): COLLECTORS,
    ("api-collector-commands", "get"): COLLECTORS,
    ("api-collector-command-result", "post"): COLLECTORS,
    ("api-station-commands", "get"): PLANT_A,
    ("api-station-commands", "post"): (401, 403, 404, 201, 201),
    ("api-station-command", "delete"): (401, 403, 404, 200, 200),  # answers the cancelled command
    ("api-heartbeat", "post"): COLLECTORS,
    ("api-login", "post"): (400, 400, 400, 400, 400),  # public: an empty body is a 400
    ("api-logout", "post"): (401, 204, 204, 204, 204),
    ("api-me", "get"): SEEN_BY_ALL,
    ("api-customers", "get"): STAFF,
    ("api-users", "get"): (401, 403, 403, 403, 200),
    ("api-stations", "get"): SEEN_BY_ALL,
    ("api-station-search", "get"): SEEN_BY_ALL,
    ("api-overview", "get"): PLANT_A,
    ("api-station", "get"): PLANT_A,
    ("api-station-status", "get"): PLANT_A,
    ("api-power", "get"): PLANT_A,
    ("api-inverters", "get"): PLANT_A,
    ("api-inverter", "get"): PLANT_A,
    ("api-inverter-latest", "get"): PLANT_A,
    ("api-inverter-readings", "get"): PLANT_A,
    ("api-keyvalue", "get"): SEEN_BY_ALL,
    ("api-keyvalue", "put"): ADMIN_WRITE,
    ("api-day-curve", "get"): PLANT_A,
    ("api-hourly", "get"): PLANT_A,
    ("api-days", "get"): PLANT_A,
    ("api-daily", "get"): PLANT_A,
    ("api-monthly", "get"): PLANT_A,
    ("api-summary", "get"): PLANT_A,
    ("api-run-time", "get"): PLANT_A,
    ("api-regional", "get"): PLANT_A,
    ("api-statistics", "get"): SEEN_BY_ALL,
    ("api-export", "get"): PLANT_A,
    ("api-alarms", "get"): PLANT_A,
    ("api-alarms-acknowledge", "post"): SEEN_BY_ALL,  # B's owner acknowledges none of A's
    ("api-alarm-acknowledge", "post"): PLANT_A,
    ("api-notify", "get"): PLANT_A,
    ("api-station-events", "get"): PLANT_A,
    ("api-event-type-list", "get"): SEEN_BY_ALL,
    ("api-event-type-list", "post"): (401, 403, 403, 403, 201),
    ("api-event-type-detail", "get"): SEEN_BY_ALL,
    ("api-event-type-detail", "put"): ADMIN_WRITE,
    ("api-event-type-detail", "patch"): ADMIN_WRITE,
    ("api-event-type-detail", "delete"): (401, 403, 403, 403, 204),
    ("api-subscription-list", "get"): SEEN_BY_ALL,
    ("api-subscription-list", "post"): (401, 201, 201, 201, 201),
    ("api-subscription-detail", "get"): OWN_ROW,
    ("api-subscription-detail", "put"): OWN_ROW,
    ("api-subscription-detail", "patch"): OWN_ROW,
    ("api-subscription-detail", "delete"): (401, 204, 404, 404, 404),
    ("api-station-revenue", "get"): PLANT_A,
    ("api-revenue-summary", "get"): SEEN_BY_ALL,
    ("api-revenue-customer", "get"): PLANT_A,  # ?customer=<A's customer>
    ("api-error-classification", "get"): PLANT_A,
    ("api-combiner-readings", "get"): PLANT_A,
    ("api-sensor-readings", "get"): PLANT_A,
    ("api-grid-outages", "get"): PLANT_A,
    ("api-day-end-counters", "get"): PLANT_A,
}


def api_endpoints() -> set[tuple[str, str]]:
    """(url name, method) of every view under /api/<version>/, read from the URL config."""
    found = set()

    def walk(patterns, prefix):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and route.startswith("api/<version>/"):
                for method in _methods(pattern.callback):
                    found.add((pattern.name, method))

    walk(get_resolver().url_patterns, "")
    return found


def _methods(callback) -> list[str]:
    actions = getattr(callback, "actions", None)
    if actions:
        return list(actions)
    view = callback.view_class
    return [m for m in view.http_method_names if m not in ("options", "head") and hasattr(view, m)]


def test_matrix_covers_every_endpoint():
    endpoints = api_endpoints()
    assert endpoints - MATRIX.keys() == set(), "add these endpoints to MATRIX"
    assert MATRIX.keys() - endpoints == set(), "these MATRIX entries name no endpoint"


def fresh_command(name: str, world) -> int | None:
    """Each role's call starts from plant A with no waiting command: a new one to cancel for
    DELETE, none at all for POST (a second waiting reset would be a 409, not a permission)."""
    Command.objects.all().delete()
    if name != "api-station-command":
        return None
    return command_queue(user=world["operator"], station=world["station_a"], kind="read_now").id


def request_for(name: str, method: str, world) -> tuple[str, dict]:
    """The URL and body one call of this endpoint makes, aimed at plant A's things."""
    now = world["now"]
    since, until = (now - timedelta(days=1)).isoformat(), now.isoformat()
    paths = {
        "api-ingest": "ingest",
        "api-heartbeat": "collectors/heartbeat",
        "api-login": "auth/login",
        "api-logout": "auth/logout",
        "api-me": "me",
        "api-customers": "customers",
        "api-users": "users",
        "api-stations": "stations",
        "api-station-search": "stations/search?q=A0",
        "api-overview": "stations/overview?station=A001",
        "api-station": "stations/A001",
        "api-station-status": "stations/A001/status",
        "api-power": "stations/A001/power",
        "api-inverters": "stations/A001/inverters",
        "api-inverter": "stations/A001/inverters/1",
        "api-inverter-latest": "stations/A001/inverters/1/latest",
        "api-inverter-readings": "stations/A001/inverters/1/readings",
        "api-keyvalue": "keyvalue/notice",
        "api-day-curve": "stations/A001/generation/curve?date=2026-06-01",
        "api-hourly": "stations/A001/generation/hourly?date=2026-06-01",
        "api-days": "stations/A001/generation/days?from=2026-06-01&to=2026-06-30",
        "api-daily": "generation/daily?station=A001",
        "api-monthly": "generation/monthly?station=A001",
        "api-summary": "generation/summary?station=A001",
        "api-run-time": "generation/run-time?station=A001",
        "api-regional": "generation/regional-average?station=A001",
        "api-statistics": "generation/statistics",
        "api-export": "generation/export?station=A001",
        "api-alarms": "alarms?station=A001",
        "api-alarms-acknowledge": "alarms/acknowledge",
        "api-alarm-acknowledge": f"alarms/{world['alarm_a'].id}/acknowledge",
        "api-notify": "events/notify?station=A001",
        "api-station-events": "stations/A001/events",
        "api-event-type-list": "event-types",
        "api-event-type-detail": "event-types/999",
        "api-subscription-list": "me/notification-settings",
        "api-subscription-detail": f"me/notification-settings/{world['subscription'].id}",
        "api-collector-commands": "collectors/commands",
        "api-collector-command-result": "collectors/commands/1/result",
        "api-station-commands": "stations/A001/commands",
        "api-station-command": f"stations/A001/commands/{fresh_command(name, world)}",
        "api-station-revenue": "stations/A001/revenue",
        "api-revenue-summary": "revenue",
        "api-revenue-customer": f"revenue/customer?customer={world['station_a'].customer_id}",
        "api-error-classification": "alarms/classification?station=A001",
        "api-combiner-readings": "stations/A001/combiners/1/readings",
        "api-sensor-readings": "stations/A001/sensors/readings",
        "api-grid-outages": "stations/A001/grid-outages",
        "api-day-end-counters": "stations/A001/generation/counters?from=2026-06-01&to=2026-06-02",
    }
    path = "/api/v1/" + paths[name]
    if name in ("api-power", "api-inverter-readings", "api-combiner-readings",
                "api-sensor-readings"):  # fmt: skip
        path += f"?since={since.replace('+', '%2B')}&until={until.replace('+', '%2B')}"
    bodies = {
        "api-keyvalue": {"value": {"text": "changed"}},
        "api-alarms-acknowledge": {"ids": [world["alarm_a"].id]},
        "api-event-type-list": {"code": 998, "name_ko": "새", "name_en": "New"},
        "api-event-type-detail": {"code": 999, "name_ko": "시험", "name_en": "Tested"},
        "api-subscription-list": {"by_email": True},
        "api-subscription-detail": {"by_sms": False},
        "api-collector-command-result": {"ok": True, "message": "done"},
        "api-station-commands": {"kind": "reset_inverter", "inverter": 1},
    }
    return path, bodies.get(name, {})


@pytest.mark.parametrize(("name", "method"), sorted(MATRIX))
def test_each_role_gets_the_expected_status(name, method, world, as_role):
    got = {}
    for role in ROLES:
        path, body = request_for(name, method, world)
        if method == "get":
            response = as_role(role).get(path)
        else:
            response = getattr(as_role(role), method)(path, body, format="json")
        got[role] = response.status_code
        if response.status_code >= 400:
            assert set(response.json()) == {"error", "detail", "fields"}, response.content
    assert got == dict(zip(ROLES, MATRIX[name, method], strict=True))
