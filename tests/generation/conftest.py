"""Helpers for the generation tests: readings go in through the model, as a collector's would."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from telemetry.models import InverterReading

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])


def put_readings(inverter, rows) -> None:
    """rows: (ts, total_kwh, ac_kw[, day_kwh]) tuples."""
    InverterReading.objects.bulk_create(
        [
            InverterReading(
                inverter_id=inverter.id,
                station_id=inverter.station_id,
                ts=row[0],
                total_kwh=row[1],
                ac_kw=row[2],
                day_kwh=row[3] if len(row) > 3 else None,
            )
            for row in rows
        ]
    )


def minutes(start: datetime, count: int, step: int = 1):
    return [start + timedelta(minutes=i * step) for i in range(count)]
