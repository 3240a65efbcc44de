"""The hourly and daily rules, each with values computed by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from generation import rollups
from generation.models import DailyGeneration, HourlyGeneration
from telemetry import store
from telemetry.models import DirtyHour, InverterReading
from tests.conftest import make_station
from tests.generation.conftest import minutes, put_readings

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])

SEOUL = ZoneInfo("Asia/Seoul")


def seoul(*args) -> datetime:
    return datetime(*args, tzinfo=SEOUL)


@pytest.fixture
def plant(db):
    station = make_station("R001", inverters=1)  # one 50 kW inverter, Asia/Seoul
    return station, station.inverters.get()


def redo_day(station, day: date, now=None) -> dict:
    meters = rollups.meters_for(station_ids=[station.id])
    return rollups.days_recompute(meters=meters, day_of={i: day for i in meters}, now=now)


def hour_kwh(inverter, local_hour: int, day=date(2026, 6, 1)) -> HourlyGeneration:
    return HourlyGeneration.objects.get(
        inverter_id=inverter.id, local_date=day, local_hour=local_hour
    )


def test_hourly_kwh_is_counter_at_end_of_hour_minus_end_of_previous_hour(plant):
    station, inverter = plant
    # Every minute from 10:00 to 11:59; the counter rises 0.5 kWh a minute in hour 10 and
    # 0.25 kWh a minute in hour 11. The last reading of hour 9 is at 09:59: 1000 kWh.
    rows = [(seoul(2026, 6, 1, 9, 59), 1000.0, 20.0)]
    rows += [
        (t, 1000.0 + 0.5 * (i + 1), 30.0) for i, t in enumerate(minutes(seoul(2026, 6, 1, 10), 60))
    ]
    rows += [
        (t, 1030.0 + 0.25 * (i + 1), 15.0) for i, t in enumerate(minutes(seoul(2026, 6, 1, 11), 60))
    ]
    put_readings(inverter, rows)
    redo_day(station, date(2026, 6, 1))

    ten = hour_kwh(inverter, 10)
    assert ten.kwh == pytest.approx(30.0)  # 1030 at 10:59 - 1000 at 09:59
    assert ten.readings == 60 and ten.expected == 60 and ten.complete
    assert ten.total_kwh_end == 1030.0
    assert ten.peak_kw == 30.0 and ten.run_minutes == 60
    assert hour_kwh(inverter, 11).kwh == pytest.approx(15.0)
    assert hour_kwh(inverter, 9).kwh == 0  # nothing before 09:59 to count from
    assert not hour_kwh(inverter, 9).complete
    day = DailyGeneration.objects.get(inverter_id=inverter.id, date=date(2026, 6, 1))
    assert day.kwh == pytest.approx(45.0)
    assert day.total_kwh_end == 1045.0
    assert day.run_minutes == 121
    assert day.peak_kw == 30.0
    assert day.peak_at == seoul(2026, 6, 1, 10, 0).astimezone(UTC)
    # Readings stood for 09:59-12:00, all in daylight: 121 of the day's daylight minutes.
    assert day.covered_minutes == pytest.approx(121)
    assert day.completeness == pytest.approx(121 / day.daylight_minutes, abs=1e-4)
    assert not day.zero_filled


def test_day_counter_only_counts_the_first_hour_from_zero(plant):
    station, inverter = plant
    # No lifetime counter. Yesterday ended at 80 kWh; today the day counter restarts.
    rows = [(seoul(2026, 6, 1, 23, 50), None, 0.0, 80.0)]
    rows += [(t, None, 6.0, 0.1 * (i + 1)) for i, t in enumerate(minutes(seoul(2026, 6, 2, 0), 60))]
    rows += [
        (t, None, 6.0, 6.0 + 0.1 * (i + 1)) for i, t in enumerate(minutes(seoul(2026, 6, 2, 1), 60))
    ]
    put_readings(inverter, rows)
    redo_day(station, date(2026, 6, 2))

    assert hour_kwh(inverter, 0, date(2026, 6, 2)).kwh == pytest.approx(6.0)  # from zero, not -74
    assert hour_kwh(inverter, 1, date(2026, 6, 2)).kwh == pytest.approx(6.0)
    day = DailyGeneration.objects.get(inverter_id=inverter.id, date=date(2026, 6, 2))
    assert day.kwh == pytest.approx(12.0)
    assert day.counter_kwh == pytest.approx(12.0) and day.counter_agrees is True


def test_counter_reset_gives_no_negative_energy_and_no_spike(plant):
    station, inverter = plant
    # 10:00-10:04 the counter climbs 1 kWh a minute from 500; at 10:05 the inverter is
    # replaced and its counter starts again at 0, then climbs 1 kWh a minute.
    rows = [(seoul(2026, 6, 1, 9, 59), 500.0, 40.0)]
    rows += [(seoul(2026, 6, 1, 10, m), 501.0 + m, 40.0) for m in range(5)]  # 501..505
    rows += [(seoul(2026, 6, 1, 10, 5 + m), 0.0 + m, 40.0) for m in range(5)]  # 0..4
    put_readings(inverter, rows)
    redo_day(station, date(2026, 6, 1))

    ten = hour_kwh(inverter, 10)
    # 5 kWh before the reset, 0 for the reset itself, 4 kWh after it (0 -> 4).
    assert ten.kwh == pytest.approx(9.0)
    assert ten.counter_reset
    assert ten.excluded_kwh == 0


def test_single_wild_reading_is_skipped_and_costs_nothing(plant):
    station, inverter = plant
    rows = [(seoul(2026, 6, 1, 10, m), 100.0 + 0.5 * m, 30.0) for m in range(5)]
    rows[2] = (rows[2][0], 0.0, 30.0)  # a glitch that reads zero
    put_readings(inverter, rows)
    redo_day(station, date(2026, 6, 1))
    # 100 -> 100.5 -> (glitch) -> 101.5 -> 102: 2 kWh, as if the glitch never happened.
    assert hour_kwh(inverter, 10).kwh == pytest.approx(2.0)


def test_jump_beyond_capacity_is_flagged_and_left_out(plant):
    station, inverter = plant
    # A 50 kW inverter can make 50 * 1/60 * 1.1 + 1 = 1.9167 kWh in a minute at most.
    rows = [(seoul(2026, 6, 1, 10, 0), 200.0, 30.0), (seoul(2026, 6, 1, 10, 1), 200.5, 30.0)]
    rows += [(seoul(2026, 6, 1, 10, 2), 1200.5, 30.0), (seoul(2026, 6, 1, 10, 3), 1201.0, 30.0)]
    put_readings(inverter, rows)
    redo_day(station, date(2026, 6, 1))
    ten = hour_kwh(inverter, 10)
    assert ten.kwh == pytest.approx(1.0)  # 0.5 before and 0.5 after the jump
    assert ten.excluded_kwh == pytest.approx(1000.0)
    day = DailyGeneration.objects.get(inverter_id=inverter.id, date=date(2026, 6, 1))
    assert day.excluded_kwh == pytest.approx(1000.0)


def test_gap_is_not_piled_into_one_hour(plant):
    station, inverter = plant
    # Readings every minute until 09:59 (counter 100), then nothing until 13:00 (counter
    # 190). The 90 kWh happened somewhere in 10:00-13:00; hour 13 must not get them all.
    rows = [(t, 100.0, 30.0) for t in minutes(seoul(2026, 6, 1, 9), 60)]
    rows += [(seoul(2026, 6, 1, 13, 0), 190.0, 30.0)]
    put_readings(inverter, rows)
    redo_day(station, date(2026, 6, 1))

    gap_hours = [hour_kwh(inverter, h) for h in (9, 10, 11, 12)]
    # The gap starts at 09:59 (after the last reading), so one minute of it lies in hour 9.
    assert all(not h.complete for h in gap_hours)
    assert all(h.estimated for h in gap_hours[1:])
    thirteen = hour_kwh(inverter, 13)
    assert thirteen.kwh == 0  # the reading at 13:00 ends the gap and starts hour 13
    assert sum(h.kwh for h in gap_hours) == pytest.approx(90.0)
    # Midday hours get roughly equal shares by clear-sky irradiance, none more than half.
    assert max(h.kwh for h in gap_hours) < 45
    assert not hour_kwh(inverter, 8).estimated


def test_berlin_days_have_23_and_25_hours(db):
    station = make_station("DE01", inverters=1, time_zone="Europe/Berlin")
    inverter = station.inverters.get()
    berlin = ZoneInfo("Europe/Berlin")
    for day, hours in ((date(2026, 3, 29), 23), (date(2026, 10, 25), 25), (date(2026, 6, 1), 24)):
        start = datetime(day.year, day.month, day.day, tzinfo=berlin).astimezone(UTC)
        # A reading every 10 minutes through the whole local day, +1 kWh each (0.5 kW steady
        # would be 1/6 kWh; capacity allows it), plus one just before the day for the baseline.
        count = hours * 6
        rows = [(start - timedelta(minutes=10), 0.0, 6.0)]
        rows += [(start + timedelta(minutes=10 * i), float(i + 1), 6.0) for i in range(count)]
        put_readings(inverter, rows)
        redo_day(station, day)
        stored = HourlyGeneration.objects.filter(inverter_id=inverter.id, local_date=day)
        assert stored.count() == hours
        daily = DailyGeneration.objects.get(inverter_id=inverter.id, date=day)
        assert daily.kwh == pytest.approx(count)
        assert daily.expected == hours * 6 and daily.interval_seconds == 600
        InverterReading.objects.filter(inverter_id=inverter.id).delete()


def test_berlin_autumn_day_has_hour_two_twice(db):
    station = make_station("DE02", inverters=1, time_zone="Europe/Berlin")
    inverter = station.inverters.get()
    start = datetime(2026, 10, 25, 0, 0, tzinfo=ZoneInfo("Europe/Berlin")).astimezone(UTC)
    put_readings(inverter, [(start + timedelta(minutes=i), float(i), 1.0) for i in range(25 * 60)])
    redo_day(station, date(2026, 10, 25))
    hours = list(HourlyGeneration.objects.filter(inverter_id=inverter.id).order_by("hour_start"))
    assert [h.local_hour for h in hours] == [0, 1, 2, 2, *range(3, 24)]
    assert hours[0].kwh == pytest.approx(59)  # nothing before 00:00 to count the first from
    assert all(h.kwh == pytest.approx(60) for h in hours[1:])


def test_recompute_twice_changes_nothing(plant):
    station, inverter = plant
    put_readings(
        inverter, [(t, i * 0.5, 30.0) for i, t in enumerate(minutes(seoul(2026, 6, 1, 10), 120))]
    )
    first = redo_day(station, date(2026, 6, 1))
    stamps = list(
        HourlyGeneration.objects.order_by("hour_start").values_list("computed_at", flat=True)
    )
    second = redo_day(station, date(2026, 6, 1))
    assert first["hours"] == 24 and first["days"] == 1
    assert second == {"readings": 120, "hours": 0, "days": 0}
    assert (
        list(HourlyGeneration.objects.order_by("hour_start").values_list("computed_at", flat=True))
        == stamps
    )


def test_late_reading_marks_its_hour_and_recompute_clears_only_what_it_saw(plant):
    station, inverter = plant
    put_readings(
        inverter, [(t, i * 0.5, 30.0) for i, t in enumerate(minutes(seoul(2026, 6, 1, 10), 30))]
    )
    redo_day(station, date(2026, 6, 1), now=seoul(2026, 6, 1, 11, 2))  # the hourly job's run
    assert hour_kwh(inverter, 10).kwh == pytest.approx(14.5)

    # The second half of hour 10 arrives the next morning.
    late = [(t, (30 + i) * 0.5, 30.0) for i, t in enumerate(minutes(seoul(2026, 6, 1, 10, 30), 30))]
    put_readings(inverter, late)
    now = seoul(2026, 6, 2, 8, 0)
    assert store.late_readings_mark([(inverter.id, t) for t, *_ in late], now=now) == 1
    # A reading of the hour now running is not late.
    assert store.late_readings_mark([(inverter.id, seoul(2026, 6, 2, 7, 59))], now=now) == 0
    # ... nor one of the hour that ended less than a minute ago.
    assert (
        store.late_readings_mark(
            [(inverter.id, seoul(2026, 6, 2, 7, 59))], now=now + timedelta(seconds=30)
        )
        == 0
    )

    result = rollups.dirty_recompute(now=now)
    assert result["marks"] == 1 and result["hours"] == 1 and result["days"] == 1
    assert hour_kwh(inverter, 10).kwh == pytest.approx(29.5)
    assert hour_kwh(inverter, 10).readings == 60
    assert DailyGeneration.objects.get(inverter_id=inverter.id).kwh == pytest.approx(29.5)
    assert not DirtyHour.objects.exists()


def test_late_readings_recompute_their_hours_as_the_whole_day_would(plant):
    """Only the marked hours are read again (from the first to the last of a day), and the
    rows come out as a recompute of the whole day makes them."""
    station, inverter = plant
    morning = minutes(seoul(2026, 6, 1, 8), 7 * 60)  # 08:00 to 14:59
    put_readings(inverter, [(t, i * 0.5, 30.0) for i, t in enumerate(morning)])
    redo_day(station, date(2026, 6, 1), now=seoul(2026, 6, 1, 15, 2))
    with_every_reading = DailyGeneration.objects.get(inverter_id=inverter.id).kwh
    # The logger had lost 10:20-10:39 and 12:00-12:29 and sends them the next morning.
    lost = [t for t in morning if (t.hour, t.minute // 20) == (10, 1)]
    lost += [t for t in morning if (t.hour, t.minute // 30) == (12, 0)]
    InverterReading.objects.filter(inverter_id=inverter.id, ts__in=lost).delete()
    redo_day(station, date(2026, 6, 1), now=seoul(2026, 6, 1, 15, 2))
    gap = hour_kwh(inverter, 10)
    assert gap.readings == 40 and gap.estimated
    now = seoul(2026, 6, 2, 8)
    put_readings(inverter, [(t, morning.index(t) * 0.5, 30.0) for t in lost])
    assert store.late_readings_mark([(inverter.id, t) for t in lost], now=now) == 2

    result = rollups.dirty_recompute(now=now)
    assert result["readings"] == 3 * 60  # hours 10 to 12, not the day's seven
    assert [hour_kwh(inverter, h).readings for h in (10, 11, 12)] == [60, 60, 60]
    assert not hour_kwh(inverter, 10).estimated
    assert DailyGeneration.objects.get(inverter_id=inverter.id).kwh == with_every_reading
    whole_day = redo_day(station, date(2026, 6, 1), now=now)
    assert whole_day["hours"] == 0 and whole_day["days"] == 0  # nothing left to change


def test_a_mark_renewed_during_recompute_survives_it(plant):
    station, inverter = plant
    hour = seoul(2026, 6, 1, 10, 5)
    store.late_readings_mark([(inverter.id, hour)], now=seoul(2026, 6, 2, 8))
    seen = store.dirty_hours(limit=10)  # what a recompute read before computing
    store.late_readings_mark([(inverter.id, hour)], now=seoul(2026, 6, 2, 8, 1))  # more data came
    assert store.dirty_hours_clear(seen) == 0
    assert DirtyHour.objects.get().marked_at == seoul(2026, 6, 2, 8, 1)
    assert store.dirty_hours_clear(store.dirty_hours(limit=10)) == 1


def test_hourly_sum_disagreeing_with_day_counter_is_flagged(plant):
    station, inverter = plant
    # Lifetime counter says 10 kWh over hour 10; the day counter says 13 kWh for the day.
    rows = [(seoul(2026, 6, 1, 9, 59), 0.0, 10.0, 0.0)]
    rows += [
        (t, (i + 1) / 6, 10.0, (i + 1) / 6 * 1.3)
        for i, t in enumerate(minutes(seoul(2026, 6, 1, 10), 60))
    ]
    put_readings(inverter, rows)
    redo_day(station, date(2026, 6, 1))
    day = DailyGeneration.objects.get(inverter_id=inverter.id)
    assert day.kwh == pytest.approx(10.0)
    assert day.counter_kwh == pytest.approx(13.0)
    assert day.counter_agrees is False  # 3 kWh apart: more than 0.5 kWh and 2 % of 13


def test_zero_fill_for_watched_plants_that_sent_nothing(db):
    silent = make_station("Z001", inverters=2)
    building = make_station("Z002", inverters=1, status="under_construction")
    talking = make_station("Z003", inverters=1)
    put_readings(
        talking.inverters.get(), [(seoul(2026, 6, 1, 12, m), 10.0 + m, 5.0) for m in range(3)]
    )
    redo_day(talking, date(2026, 6, 1))
    day = date(2026, 6, 1)
    filled = rollups.zero_fill(
        stations=[silent, building, talking],
        day_of={s.id: day for s in (silent, building, talking)},
    )
    assert filled == 2
    rows = DailyGeneration.objects.filter(station_id=silent.id, date=day)
    assert [(r.kwh, r.zero_filled, r.completeness) for r in rows] == [(0.0, True, 0.0)] * 2
    assert not DailyGeneration.objects.filter(station_id=building.id).exists()
    assert DailyGeneration.objects.get(station_id=talking.id).zero_filled is False
    # Filling again adds nothing.
    assert rollups.zero_fill(stations=[silent], day_of={silent.id: day}) == 0


def test_purged_readings_do_not_erase_what_was_rolled_up(plant):
    from telemetry.models import InverterReading

    station, inverter = plant
    put_readings(
        inverter, [(t, i * 0.5, 30.0) for i, t in enumerate(minutes(seoul(2026, 6, 1, 10), 60))]
    )
    redo_day(station, date(2026, 6, 1))
    InverterReading.objects.all().delete()  # the retention purge, a year later
    assert redo_day(station, date(2026, 6, 1)) == {"readings": 0, "hours": 0, "days": 0}
    assert DailyGeneration.objects.get(inverter_id=inverter.id).kwh == pytest.approx(29.5)


def test_a_gap_across_midnight_is_shared_by_both_days_and_nothing_is_lost(plant):
    station, inverter = plant
    # Data until 14:59 on June 1 (counter 100), then nothing until 09:00 on June 2 (150).
    rows = [(t, 100.0, 30.0) for t in minutes(seoul(2026, 6, 1, 14), 60)]
    rows += [(seoul(2026, 6, 2, 9, 0), 150.0, 30.0)]
    put_readings(inverter, rows)
    redo_day(station, date(2026, 6, 1))
    redo_day(station, date(2026, 6, 2))
    first = DailyGeneration.objects.get(inverter_id=inverter.id, date=date(2026, 6, 1))
    second = DailyGeneration.objects.get(inverter_id=inverter.id, date=date(2026, 6, 2))
    # The 50 kWh are split by sunlight: June 1's afternoon and June 2's morning, none at night.
    assert first.kwh + second.kwh == pytest.approx(50.0)
    assert first.kwh > 0 and second.kwh > 0 and first.estimated and second.estimated
    night = HourlyGeneration.objects.filter(
        inverter_id=inverter.id,
        hour_start__gte=seoul(2026, 6, 1, 21),
        hour_start__lt=seoul(2026, 6, 2, 4),
    )
    assert sum(h.kwh for h in night) == 0


def test_hourly_window_marks_earlier_hours_of_a_gap_for_recompute(plant):
    station, inverter = plant
    # Last reading 10:30, next 12:10: the hourly run for hour 12 spreads part of the energy
    # into hours 10 and 11, which it does not write itself, so it marks them dirty.
    put_readings(
        inverter,
        [(seoul(2026, 6, 1, 10, 30), 100.0, 30.0), (seoul(2026, 6, 1, 12, 10), 150.0, 30.0)],
    )
    meters = rollups.meters_for(station_ids=[station.id])
    rollups.hours_recompute(
        meters=meters,
        start=seoul(2026, 6, 1, 12),
        end=seoul(2026, 6, 1, 13),
        now=seoul(2026, 6, 1, 13, 2),
    )
    marked = sorted(m.hour_start for m in DirtyHour.objects.all())
    assert marked == [seoul(2026, 6, 1, 10).astimezone(UTC), seoul(2026, 6, 1, 11).astimezone(UTC)]
    rollups.dirty_recompute(now=seoul(2026, 6, 1, 13, 5))
    hours = {h.local_hour: h.kwh for h in HourlyGeneration.objects.filter(inverter_id=inverter.id)}
    assert hours[10] + hours[11] + hours[12] == pytest.approx(50.0)
    assert 0 < hours[12] < hours[11]  # 10 minutes of hour 12 against all of hour 11


def test_without_a_day_counter_the_lifetime_counter_checks_the_day(plant):
    station, inverter = plant
    for day in (1, 2):
        start = seoul(2026, 6, day, 10)
        base = 100.0 if day == 1 else 160.0
        put_readings(inverter, [(t, base + i, 30.0) for i, t in enumerate(minutes(start, 60, 2))])
        redo_day(station, date(2026, 6, day))
    first, second = DailyGeneration.objects.filter(inverter_id=inverter.id).order_by("date")
    assert first.counter_kwh is None  # no day counter, no earlier day to subtract
    assert (first.kwh, first.total_kwh_end) == (59.0, 159.0)
    # June 2 by the counter: 219 at its end minus 159 at the end of June 1.
    assert second.counter_kwh == pytest.approx(60.0)
    # By the hours: 59 kWh of readings plus June 2's share of the 1 kWh that crossed the night
    # (11:58 to 10:00, spread by sunlight); 1 kWh off at most, within 2 % of 60: agreeing.
    assert 59.0 < second.kwh < 60.0 and second.estimated
    assert second.counter_agrees is True
    # June 1's share of that night was marked; once recomputed, no energy is lost or doubled.
    rollups.dirty_recompute(now=seoul(2026, 6, 3, 8))
    first.refresh_from_db()
    assert first.kwh + second.kwh == pytest.approx(219.0 - 100.0)


def test_data_arriving_for_a_zero_filled_day_replaces_the_fill(plant):
    station, inverter = plant
    rollups.zero_fill(stations=[station], day_of={station.id: date(2026, 6, 1)})
    assert DailyGeneration.objects.get(inverter_id=inverter.id).zero_filled
    put_readings(
        inverter, [(t, i * 0.5, 30.0) for i, t in enumerate(minutes(seoul(2026, 6, 1, 10), 10))]
    )
    redo_day(station, date(2026, 6, 1))
    day = DailyGeneration.objects.get(inverter_id=inverter.id)
    assert not day.zero_filled and day.kwh == pytest.approx(4.5)
