"""GET /healthz: 200 {"status": "ok"} or 503 {"status": "unavailable"} for a load balancer or
a monitor. Which database failed and why is shown only to administrators and to callers
with `Authorization: Bearer <HEALTHZ_TOKEN>`; everyone else gets the verdict alone (the error
text can name hosts, users and versions). The errors are logged either way.

Besides Django's databases, a store an app keeps elsewhere (the telemetry app's MongoDB) is
checked when the app has registered it with `store_register`: this module imports no app."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, connections
from django.http import JsonResponse

logger = logging.getLogger(__name__)

# name -> a check that returns False when the store is not in use, True when it answers, and
# raises a DatabaseError when it does not.
STORES: dict[str, Callable[[], bool]] = {}


def store_register(name: str, check: Callable[[], bool]) -> None:
    STORES[name] = check


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
            logger.warning("healthz: database %s does not answer: %s", alias, exc)
            states[alias] = f"down: {exc}"
    for name, check in STORES.items():
        try:
            if check():
                states[name] = "ok"
        except DatabaseError as exc:
            logger.warning("healthz: store %s does not answer: %s", name, exc)
            states[name] = f"down: {exc}"
    return states


def may_see_details(request) -> bool:
    token = settings.HEALTHZ_TOKEN
    given = request.headers.get("Authorization", "")
    if token and secrets.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    try:
        user = request.user
        return user.is_authenticated and user.is_administrator
    except DatabaseError:  # the session or user table is what is down
        return False


def healthz(request):
    states = database_states()
    healthy = all(state == "ok" for state in states.values())
    body = {"status": "ok" if healthy else "unavailable"}
    if may_see_details(request):
        body["databases"] = states
    return JsonResponse(body, status=200 if healthy else 503)
