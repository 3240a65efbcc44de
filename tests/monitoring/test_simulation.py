"""The simulator's physics and faults, without a server."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from demo.simulation import (
    STATE_FAULT,
    STATE_THROTTLED,
    PlantModel,
    PlantSpec,
    fault_from_cli,
    fault_from_spec,
    inverter_power,
)
from monitoring.solar import sun_elevation_deg

SEOUL = ZoneInfo("Asia/Seoul")
# Inverter 1 has 1.5 kWp of modules per kW: it clips on clear days.
SPEC = PlantSpec(
    code="S001", latitude=35.0, longitude=126.7, time_zone="Asia/Seoul", seed=42,
    inverters=((1, 50.0, 3, 75.0), (2, 30.0, 1, 36.0)), boxes=((1, 4),),
    sensors=(("poa", "poa_irradiance"),),
)  # fmt: skip


def run_days(start: datetime, days: int, *, faults=(), step_minutes: int = 5) -> list[dict]:
    plant = PlantModel(SPEC)
    plant.start_counters(start, {})
    out = []
    moment = start
    while moment < start + timedelta(days=days):
        out.append({"when": moment, **plant.readings(moment, list(faults))})
        moment += timedelta(minutes=step_minutes)
    return out


def inverter(step: dict, number: int) -> dict:
    return next(r for r in step["readings"] if r["inverter"] == number)


@pytest.fixture(scope="module")
def june_week():
    return run_days(datetime(2026, 6, 15, tzinfo=SEOUL), 7)


def test_nothing_at_night_and_never_above_capacity(june_week):
    for step in june_week:
        night = sun_elevation_deg(SPEC.latitude, SPEC.longitude, step["when"]) < 0
        for number, capacity, _, _ in SPEC.inverters:
            reading = inverter(step, number)
            assert reading["ac_kw"] <= capacity
            if night:
                assert reading["ac_kw"] == 0 and reading["dc_kw"] == 0


def test_power_peaks_near_solar_noon_and_clips_on_clear_days(june_week):
    # Solar noon at 126.7°E in Seoul time (UTC+9, meridian 135°E) is about 12:33 in June.
    peaks = {}
    for step in june_week:
        day = step["when"].date()
        reading = inverter(step, 1)
        if reading["ac_kw"] > peaks.get(day, (0, None))[0]:
            peaks[day] = (reading["ac_kw"], step["when"])
    near_noon = [when for _, when in peaks.values() if 10 <= when.hour <= 15]
    assert len(near_noon) >= 5
    assert any(r["state"] == STATE_THROTTLED for s in june_week for r in s["readings"])


def test_counters_grow_with_power_and_the_day_counter_restarts_at_local_midnight(june_week):
    for number, *_ in SPEC.inverters:
        series = [inverter(step, number) | {"when": step["when"]} for step in june_week]
        totals = [r["total_kwh"] for r in series]
        assert totals == sorted(totals) and totals[-1] > totals[0]
        for before, after in zip(series, series[1:], strict=False):
            if after["when"].date() != before["when"].date():
                assert after["day_kwh"] == 0  # midnight, and no sun just after it
            else:
                assert after["day_kwh"] >= before["day_kwh"]
                assert after["day_kwh"] - before["day_kwh"] == pytest.approx(
                    after["total_kwh"] - before["total_kwh"], abs=0.01
                )
        day_end = [r["day_kwh"] for r in series if r["when"].hour == 23 and r["when"].minute == 55]
        assert all(d > 0 for d in day_end)


def test_clouds_differ_between_days_and_repeat_for_the_same_day():
    first = run_days(datetime(2026, 4, 1, tzinfo=SEOUL), 3)
    again = run_days(datetime(2026, 4, 1, tzinfo=SEOUL), 3)
    assert first == again
    daily = {}
    for step in first:
        daily.setdefault(step["when"].date(), 0)
        daily[step["when"].date()] += inverter(step, 1)["ac_kw"]
    assert len(set(round(v) for v in daily.values())) == 3


def test_efficiency_and_clipping():
    dc, ac, clipped = inverter_power(50, 60, 500, 25, 1.0)
    assert 0.93 < ac / dc < 0.98 and not clipped
    dc, ac, clipped = inverter_power(50, 60, 1100, 25, 1.0)
    assert ac == 50 and clipped and dc > ac
    assert inverter_power(50, 60, 2, 25, 1.0) == (0.0, 0.0, False)


def test_the_modules_are_the_registrys_kwp():
    """AC out over DC kWp times irradiance (the performance ratio) is what real plants show:
    at 25 °C, no clipping, 80-92 %; and twice the modules give twice the power."""
    dc, ac, _ = inverter_power(50, 40, 800, 25, 1.0)
    assert 0.80 < ac / (40 * 800 / 1000) < 0.92
    assert inverter_power(100, 80, 800, 25, 1.0)[1] == pytest.approx(2 * ac, rel=1e-3)


def test_faults_outage_stop_fault_and_counter_reset():
    start = datetime(2026, 6, 15, 11, 0, tzinfo=SEOUL)
    faults = [
        fault_from_cli("grid_outage station=S001 start=+10m duration=10m", origin=start),
        fault_from_spec({"kind": "inverter_fault", "station": "S001", "inverter": 2,
                         "start": "+30m", "duration": "10m", "fault_bits": 8}, origin=start),
        fault_from_spec({"kind": "counter_reset", "inverter": 1, "start": "+50m"}, origin=start),
    ]  # fmt: skip
    steps = {s["when"]: s for s in run_days(start, 1, faults=faults)}
    during = steps[start + timedelta(minutes=15)]
    assert during["grid"][0]["outage"] is True
    assert all(r["ac_kw"] == 0 and r["ac_v"][0] == 0 for r in during["readings"])
    faulted = inverter(steps[start + timedelta(minutes=30)], 2)
    assert (faulted["ac_kw"], faulted["state"], faulted["fault_bits"]) == (0, STATE_FAULT, 8)
    assert inverter(steps[start + timedelta(minutes=45)], 1)["total_kwh"] > 1000
    after_reset = inverter(steps[start + timedelta(minutes=50)], 1)["total_kwh"]
    assert after_reset < 10
    assert inverter(steps[start + timedelta(minutes=120)], 1)["total_kwh"] > after_reset


@pytest.mark.parametrize(
    "text",
    ["meteor station=S001", "grid_outage station", "grid_outage start=soon",
     "grid_outage duration=3 weeks", "grid_outage colour=red"],
)  # fmt: skip
def test_a_bad_fault_says_what_is_wrong(text):
    with pytest.raises(ValueError):
        fault_from_cli(text, origin=datetime(2026, 1, 1, tzinfo=SEOUL))


def test_neighbouring_plants_share_the_days_weather():
    """Weather is one field over the map: a plant 15 km away sees the same kind of day (its
    irradiance sensor agrees within a third, the plausibility check's line); passing clouds
    are its own."""
    from dataclasses import replace

    from demo.simulation import irradiance

    near = replace(SPEC, code="S002", seed=7, latitude=35.1, longitude=126.8)
    start = datetime(2026, 4, 1, tzinfo=SEOUL)
    ratios = []
    for day in range(30):
        moments = [start + timedelta(days=day, minutes=m) for m in range(0, 1440, 10)]
        mine, theirs = (sum(irradiance(p, t) for t in moments) for p in (SPEC, near))
        ratios.append(theirs / mine)
    assert all(0.74 < r < 1.35 for r in ratios), ratios
    assert len({round(r, 3) for r in ratios}) > 1  # not the same plant twice
