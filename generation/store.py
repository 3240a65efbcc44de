"""Every read and write of raw readings goes through this module (see DESIGN.md).

The telemetry helper (issue 3) owns the write side and the range reads; other helpers append
read functions in blocks of their own at the end.
"""

from __future__ import annotations

from datetime import datetime

from generation.models import CombinerReading


# --- events (issue 5): reads for detection ----------------------------------------------------
def latest_combiner_currents(
    *, since: datetime, until: datetime | None = None
) -> dict[int, tuple[datetime, list[float | None]]]:
    """Per combiner box, the newest reading's time and channel currents in [since, until].

    One query over the recent window of the whole fleet (detection runs it once per pass).
    """
    readings = CombinerReading.objects.filter(ts__gte=since)
    if until is not None:
        readings = readings.filter(ts__lte=until)
    latest: dict[int, tuple[datetime, list[float | None]]] = {}
    for box_id, ts, currents in readings.values_list("box_id", "ts", "currents"):
        if box_id not in latest or ts > latest[box_id][0]:
            latest[box_id] = (ts, list(currents or []))
    return latest


# --- end events -------------------------------------------------------------------------------
