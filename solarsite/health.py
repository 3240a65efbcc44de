"""GET /healthz: the state of each database, 503 when one does not answer."""

from __future__ import annotations

from django.db import DatabaseError, connections
from django.http import JsonResponse


def database_states() -> dict[str, str]:
    states = {}
    for alias in connections:
        if alias == "legacy":
            continue
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT 1")
            states[alias] = "ok"
        except DatabaseError as exc:
            states[alias] = f"down: {exc}"
    return states


def healthz(request):
    states = database_states()
    healthy = all(state == "ok" for state in states.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "databases": states},
        status=200 if healthy else 503,
    )
