"""One hand-computed day, for the tests of real-time figures and plausibility.

2026-06-01 at 34.8 N 126.4 E (Asia/Seoul): two 50 kW inverters deliver 20 kW each from 05:00 to
20:00 and nothing otherwise, and send readings all day; a plane-of-array sensor reads 400 and
440 W/m² by turns from 05:00 to the last reading before 20:00, and 0 otherwise. By hand:

- energy: 20 kW x 15 h = 300 kWh an inverter, 600 kWh a plant;
- insolation: the trapezoids between 400 and 440 average 420 W/m², and the ramps from and to
  0 at 05:00 and 20:00 make the 15 hours exactly 6.3 kWh/m²;
- run time 15 h; the plant's peak 40 kW, first reached at 05:00;
- daylight (the sun 5 degrees up) runs from 05:53:53 to 19:09:56, inside 05:00-20:00.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from generation import kpis, rollups
from generation.models import StationDailyGeneration
from monitoring import plant_time
from monitoring.models import Sensor
from monitoring.solar import daylight_seconds
from telemetry.models import InverterReading, SensorReading
from tests.conftest import make_station

SEOUL = ZoneInfo("Asia/Seoul")
DAY = date(2026, 6, 1)
START, END = plant_time.day_bounds(DAY, SEOUL)
ON, OFF = datetime(2026, 6, 1, 5, tzinfo=SEOUL), datetime(2026, 6, 1, 20, tzinfo=SEOUL)
KW = 20.0


def sunny_plant(code: str, *, kwp: str = "120", **fields):
    """Two 50 kW inverters sharing `kwp` of modules, and a plane-of-array sensor."""
    station = make_station(code, inverters=2, capacity_kwp=Decimal(kwp), **fields)
    station.inverters.update(capacity_kwp=Decimal(kwp) / 2)
    sensor = Sensor.objects.create(station=station, kind=Sensor.Kind.POA_IRRADIANCE, name="poa")
    return station, list(station.inverters.order_by("number")), sensor


def sunny_day(station, inverters, sensor, step: timedelta) -> None:
    """The day of the module docstring, every `step`, for every inverter and the sensor."""
    for inverter in inverters:
        inverter_readings(inverter, every(step))
    sensor_readings(sensor, step)


def counter(ts: datetime) -> float:
    """kWh an inverter has made since midnight: 20 kW while it runs."""
    running = min(max(ts, ON), OFF) - ON
    return KW * running.total_seconds() / 3600


def inverter_readings(inverter, stamps) -> None:
    InverterReading.objects.bulk_create(
        InverterReading(
            inverter_id=inverter.id, station_id=inverter.station_id, ts=ts,
            ac_kw=KW if ON <= ts < OFF else 0.0, total_kwh=1000 + counter(ts),
        )  # fmt: skip
        for ts in stamps
    )


def sensor_readings(sensor, step: timedelta) -> None:
    rows, ts, k = [], START, 0
    while ts < END:
        value = 0.0
        if ON <= ts < OFF:
            value = 400.0 if k % 2 == 0 else 440.0
            k += 1
        rows.append(SensorReading(sensor_id=sensor.id, station_id=sensor.station_id, ts=ts,
                                  value=value))  # fmt: skip
        ts += step
    SensorReading.objects.bulk_create(rows)


def every(step: timedelta) -> list[datetime]:
    stamps, ts = [], START - step  # one before midnight: the baseline
    while ts < END + step:
        stamps.append(ts)
        ts += step
    return stamps


def compute(station) -> StationDailyGeneration:
    meters = rollups.meters_for(station_ids=[station.id])
    rollups.days_recompute(meters=meters, day_of={i: DAY for i in meters})
    kpis.station_days_recompute(station_days=[(station.id, DAY)])
    return StationDailyGeneration.objects.get(station_id=station.id, date=DAY)


def daylight_minutes() -> float:
    return daylight_seconds(34.8, 126.4, START.timestamp(), END.timestamp()) / 60
