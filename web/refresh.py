"""Keeps the fleet's rows of a server process fresh between requests (web/selectors.py).

Under a live fleet every plant is written about once a minute. A request whose process last
built the rows 30 s ago (five workers share the requests) would first rebuild half of a
10,000-plant fleet. Instead, in each server process:
1. a set of stations that a request asked the rows of (`fleet_rows`) stays watched for
   WATCH_SECONDS after the last ask;
2. a daemon thread refreshes the watched sets every FLEET_ROWS_REFRESH_SECONDS, rebuilding
   the stale rows exactly as a request would (`rows_refresh`, one at a time per set), so a
   request finds only the last seconds' writes left to rebuild, and makes of them what every
   request makes of every row (the overview's map dots: `FleetRows.shaped(ahead=True)`);
3. each round also makes the overview's figures that are kept per 5-minute step (the fleet's
   kWh expected by now and of the month, the revenue card) for the next step, in the last
   seconds before it starts (`figures_ahead`): made by the step's first request instead,
   they cost it 150-250 ms at 10,000 plants;
4. only server processes run it: solarsite/wsgi.py turns it on, and the thread starts with
   the first request of each worker process (after gunicorn forks it), so tests, commands and
   the job cluster never have one;
5. a failure (the database or the cache down) is logged and the next round tries again; the
   thread gives back its database connections after every round.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from django.conf import settings
from django.core.signals import request_started
from django.db import connections
from django.utils import timezone

from web import selectors
from web.fleet import figures_ahead as fleet_figures_ahead
from web.templatetags.economics import card_ahead

log = logging.getLogger(__name__)
WATCH_SECONDS = 120
_running_in: int | None = None  # the process id whose thread runs
_start_lock = threading.Lock()


def enable() -> None:
    """Refresh in this server's worker processes (item 4); off when the setting is 0."""
    if settings.FLEET_ROWS_REFRESH_SECONDS > 0:
        request_started.connect(_start_once, dispatch_uid="web.refresh")


def refresh_round() -> int:
    """Refresh every watched set once; returns how many sets."""
    watched = selectors.sets_asked(within=WATCH_SECONDS)
    try:
        for stations in watched:
            now = timezone.now()
            kept = selectors.rows_refresh(stations, now=now, ahead_within=WATCH_SECONDS)
            if kept is not None:
                figures_ahead([k.row for k in kept], now=now)
    finally:
        connections.close_all()  # this thread's own connections
    return len(watched)


def figures_ahead(rows: list[selectors.StationRow], *, now) -> None:
    """Item 3: the overview's slow figures of the next step, before a request needs them."""
    fleet_figures_ahead(rows, now=now)
    card_ahead([row.station for row in rows], now=now)


def _start_once(**_signal) -> None:
    global _running_in
    if _running_in == os.getpid():
        return
    with _start_lock:
        if _running_in != os.getpid():
            threading.Thread(target=_run, name="fleet-rows-refresh", daemon=True).start()
            _running_in = os.getpid()


def _run() -> None:
    while True:
        time.sleep(settings.FLEET_ROWS_REFRESH_SECONDS)
        try:
            refresh_round()
        except Exception:  # noqa: BLE001 - item 5: the next round tries again
            log.exception("the fleet's rows were not refreshed")
