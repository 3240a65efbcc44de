"""Detection as situations over time: the clock moves by passing `now` to each pass."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from events.detection import detect_events
from events.models import Alarm, EventLog, Notification
from monitoring.models import CombinerBox, InverterState, InverterStatus
from monitoring.solar import daylight_intervals
from telemetry.models import CombinerReading
from tests.events.world import NIGHT, World

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])

GRID, COMM, STOP, FAULT, WEAK, COLLECTOR, REFUSALS = 201, 202, 203, 204, 205, 301, 302


def run(world: World, minutes, feed) -> dict[int, list[tuple[int, str]]]:
    """Feed each minute's data, run a detection pass, and note what is open afterwards."""
    seen = {}
    for minute in minutes:
        feed(minute)
        world.detect(minute)
        seen[minute] = world.open_codes()
    return seen


def log_counts(world: World) -> Counter:
    return Counter(
        (e.event_type_id, e.kind) for e in EventLog.objects.filter(station=world.station)
    )


def test_grid_outage_raised_after_two_passes_and_cleared_after_two(world):
    station = f"st:{world.station.id}"

    def feed(minute):
        outage = 5 <= minute < 10
        world.grid(minute, outage=outage)
        world.readings(minute, ac_kw=0 if outage else 30, grid_outage=outage)

    seen = run(world, range(0, 14), feed)
    assert seen[4] == [] and seen[5] == []  # first sighting only
    assert seen[6] == [(GRID, station)]
    assert seen[10] == [(GRID, station)]  # the grid is back, seen once
    assert seen[11] == []
    assert log_counts(world)[(GRID, "raised")] == 1
    assert log_counts(world)[(GRID, "cleared")] == 1
    # The inverters stood still during the outage: that is the outage, not "not generating".
    assert STOP not in {code for codes in seen.values() for code, _ in codes}


def test_all_phases_at_zero_is_a_grid_outage_without_a_site_report(world):
    def feed(minute):
        world.readings(minute, ac_kw=0, ac_v_min=0)

    seen = run(world, range(0, 2), feed)
    assert seen[1] == [(GRID, f"st:{world.station.id}")]


def test_comm_error_after_the_stations_minutes_of_silence(world):
    world.station.comm_loss_minutes = 30
    world.station.save()

    def feed(minute):
        world.heartbeat(minute)  # the collector is alive; the inverter's data stops
        world.reading(world.inverters[0], minute)
        if minute <= 5 or minute >= 40:
            world.reading(world.inverters[1], minute)

    seen = run(world, [5, 20, 35, 36, 37, 40, 41, 42], feed)
    silent = world.subject(2)
    assert seen[35] == []
    assert seen[36] == [(COMM, silent)]
    assert seen[40] == [(COMM, silent)]
    assert seen[41] == []
    counts = log_counts(world)
    assert counts[(COMM, "raised")] == 1 and counts[(COMM, "cleared")] == 1
    # Detection owns the time-based state: the silent inverter was marked comm_lost.
    assert (
        EventLog.objects.filter(event_type_id=COMM, kind="raised").get().inverter
        == world.inverters[1]
    )


def test_silence_marks_the_inverter_comm_lost(world):
    world.readings(0)
    world.detect(61)
    status = InverterStatus.objects.get(inverter=world.inverters[0])
    assert status.state == InverterState.COMM_LOST
    assert status.state_since == world.at(61)


def test_not_generating_after_stop_minutes_in_daylight(world):
    def feed(minute):
        world.reading(world.inverters[0], minute, ac_kw=0 if minute < 30 else 25)
        world.reading(world.inverters[1], minute)

    seen = run(world, [0, 10, 19, 20, 21, 29, 30, 31], feed)
    stopped = world.subject(1)
    assert seen[20] == []  # 20 minutes stopped: seen once
    assert seen[21] == [(STOP, stopped)]
    assert seen[30] == [(STOP, stopped)]
    assert seen[31] == []
    counts = log_counts(world)
    assert counts[(STOP, "raised")] == 1 and counts[(STOP, "cleared")] == 1


def test_nothing_at_night():
    night = World(start=NIGHT)

    def feed(minute):
        night.readings(minute, ac_kw=0)

    seen = run(night, range(0, 60, 5), feed)
    assert all(codes == [] for codes in seen.values())
    assert not Alarm.objects.exists()


def test_inverter_fault_names_the_decoded_faults(world):
    def feed(minute):
        world.reading(world.inverters[1], minute)
        if 3 <= minute < 6:
            world.reading(world.inverters[0], minute, ac_kw=0, reported_state=7, fault_bits=0b1001)
        else:
            world.reading(world.inverters[0], minute)

    seen = run(world, range(0, 9), feed)
    faulted = world.subject(1)
    assert seen[3] == [] and seen[4] == [(FAULT, faulted)]
    assert seen[7] == []
    alarm = Alarm.objects.get(event_type_id=FAULT)
    assert alarm.details["faults"] == ["ground_fault", "dc_disconnect"]
    counts = log_counts(world)
    assert counts[(FAULT, "raised")] == 1 and counts[(FAULT, "cleared")] == 1


def test_weak_string_after_its_minutes_in_daylight(world, settings):
    settings.WEAK_STRING_MINUTES = 5
    box = CombinerBox.objects.create(station=world.station, number=1, channels=4)

    def feed(minute):
        world.readings(minute)
        currents = [8.1, 7.9, 2.0, 8.0] if minute < 10 else [8.1, 7.9, 7.7, 8.0]
        CombinerReading.objects.create(
            box_id=box.id, station_id=world.station.id, ts=world.at(minute), currents=currents
        )

    seen = run(world, range(0, 13), feed)
    weak = f"cb:{box.id}:3"
    assert seen[4] == []  # seen on every pass, but not yet for 5 minutes
    assert seen[5] == [(WEAK, weak)]
    assert seen[10] == [(WEAK, weak)]
    assert seen[11] == []
    counts = log_counts(world)
    assert counts[(WEAK, "raised")] == 1 and counts[(WEAK, "cleared")] == 1


def test_collector_down_folds_its_inverters_communication_errors(world):
    def feed(minute):
        if minute <= 0 or minute >= 70:
            world.readings(minute)  # data and heartbeat stop together between 0 and 70

    seen = run(world, [0, 9, 10, 11, 40, 61, 62, 63, 70, 71], feed)
    down = f"col:{world.collector.id}:st:{world.station.id}"
    assert seen[10] == []  # silent for COLLECTOR_DOWN_MINUTES: seen once
    assert seen[11] == [(COLLECTOR, down)]
    assert seen[63] == [(COLLECTOR, down)]  # silent for over 60 minutes, yet no 202
    assert seen[71] == []
    counts = log_counts(world)
    assert counts[(COLLECTOR, "raised")] == 1 and counts[(COLLECTOR, "cleared")] == 1
    assert counts[(COMM, "raised")] == 0
    # One message per person for the collector, none for the inverters.
    raised = Notification.objects.filter(transition="raised")
    assert {n.alarm.event_type_id for n in raised} == {COLLECTOR}


def test_no_flapping_on_a_state_seen_once(world):
    def feed(minute):
        blip = minute % 2 == 1
        world.grid(minute, outage=blip)
        world.readings(minute, ac_kw=0 if blip else 30, grid_outage=blip)

    seen = run(world, range(0, 12), feed)
    assert all(codes == [] for codes in seen.values())
    # Generation went on and off every minute, never twice in a row: no 101/102 either.
    assert not EventLog.objects.exists()


def test_generation_started_and_stopped_are_logged(world):
    def feed(minute):
        world.reading(world.inverters[0], minute, ac_kw=0 if 3 <= minute < 6 else 30)
        world.reading(world.inverters[1], minute)

    run(world, range(0, 9), feed)
    entries = list(EventLog.objects.order_by("at").values_list("event_type_id", "at"))
    assert entries == [(102, world.at(4)), (101, world.at(7))]


def test_unwatched_stations_are_not_watched(world):
    world.station.status = "not_in_use"
    world.station.save()
    world.readings(0)
    for minute in (61, 62, 63):
        world.detect(minute)
    assert not Alarm.objects.exists()


def test_a_pass_repeated_in_the_same_minute_raises_nothing_more(world):
    world.collector.stations.clear()
    world.readings(0)
    world.detect(61)
    first = detect_events(now=world.at(62))
    again = detect_events(now=world.at(62))
    assert len(first.raised) == 2 and again.raised == []
    assert Alarm.objects.filter(event_type_id=COMM).count() == 2


def test_the_database_holds_at_most_one_open_alarm_per_subject_and_code(world):
    fields = dict(event_type_id=COMM, subject="inv:1", station=world.station, raised_at=world.at(0))
    Alarm.objects.create(open_key="202:inv:1", **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Alarm.objects.create(open_key="202:inv:1", **fields)
    # Cleared alarms keep no key, so the same problem can be raised again later.
    Alarm.objects.filter(open_key="202:inv:1").update(open_key=None, cleared_at=world.at(1))
    Alarm.objects.create(open_key="202:inv:1", **fields)
    Alarm.objects.create(open_key=None, cleared_at=world.at(2), **fields)
    assert Alarm.objects.filter(subject="inv:1").count() == 3


def test_storm_guard_sends_one_summary_to_administrators(settings, admin_user):
    settings.STORM_MIN_SUBJECTS = 4
    settings.STORM_SHARE = 0.5
    plants = [World(code=f"S{n:03}", inverters=3) for n in range(4)]
    for plant in plants:
        plant.collector.stations.clear()  # no collector: the inverters themselves fall silent
        plant.readings(0)
    for minute in (61, 62):
        detect_events(now=plants[0].at(minute))
    assert Alarm.objects.filter(event_type_id=COMM, storm=True).count() == 12
    outbox = list(Notification.objects.all())
    assert {(n.transition, n.recipient) for n in outbox} == {
        ("storm", "chief@example.com"),
        ("storm", "+821099990000"),
    }
    email = next(n for n in outbox if n.channel == "email")
    assert "12" in email.subject and "202" in email.body


def test_query_count_does_not_grow_with_the_fleet(world):
    def steady_pass_queries(plants: list[World], start: int) -> int:
        for plant in plants:
            plant.readings(start)
        detect_events(now=world.at(start + 1))  # first sightings are written here
        with CaptureQueriesContext(connection) as captured:
            detect_events(now=world.at(start + 2))
        return len(captured)

    small = steady_pass_queries([world], 0)
    bigger = [world] + [World(code=f"Q{n:03}", inverters=5) for n in range(6)]
    assert steady_pass_queries(bigger, 10) == small


def test_a_night_of_sleeping_inverters_raises_nothing_but_a_silent_collector_raises_301():
    """At 19:30 (the sun below 5 degrees) both plants' inverters report 0 kW at 0 V, as they
    disconnect for the night, and fall silent. P001's collector keeps its heartbeat all night;
    P002's stops at 22:00. In the morning one of P001's inverters wakes, the other does not."""
    dusk = datetime(2026, 6, 15, 10, 30, tzinfo=UTC)  # 19:30 in Korea
    sleepy, down = World(start=dusk, code="P001"), World(start=dusk, code="P002")
    for world in (sleepy, down):
        world.readings(0, ac_kw=0, ac_v_min=0)
    sunrise = daylight_intervals(34.8, 126.4, dusk.timestamp(), dusk.timestamp() + 86400)[0][0]
    awake = (sunrise - dusk.timestamp()) / 60  # minutes after dusk the sun is 5 degrees up

    seen = {}
    for minute in range(5, int(awake) + 90, 5):
        sleepy.heartbeat(minute)
        if minute <= 150:
            down.heartbeat(minute)
        if minute >= awake + 10:
            sleepy.reading(sleepy.inverters[0], minute, ac_kw=3.0)
        sleepy.detect(minute)
        seen[minute] = (sleepy.open_codes(), down.open_codes())

    night = [m for m in seen if m < awake]
    assert all(seen[m][0] == [] for m in night)  # no 202, no 201 for 0 V, no 203 at night
    collector = (COLLECTOR, f"col:{down.collector.id}:st:{down.station.id}")
    assert all(seen[m][1] == [] for m in night if m <= 160)
    assert all(seen[m][1] == [collector] for m in night if m >= 170)  # 301 knows no night
    # The inverter that did not wake has been silent for 60 minutes of daylight only at
    # sunrise + 60; the next pass confirms it.
    asleep = (COMM, sleepy.subject(2))
    assert all(asleep not in seen[m][0] for m in seen if m < awake + 60)
    assert asleep in seen[max(seen)][0] and (COMM, sleepy.subject(1)) not in seen[max(seen)][0]
    assert not Alarm.objects.filter(event_type_id=GRID).exists()


def test_a_collector_refusing_much_of_what_it_sends_raises_302_until_the_share_falls(world):
    from telemetry.ingest import ItemError
    from telemetry.refusals import refusals_record

    refusing = f"col:{world.collector.id}:st:{world.station.id}"
    bad = ItemError("readings", 0, "ac_kw", "out_of_range", "ac_kw is out of range.")

    def feed(minute, refused):
        world.readings(minute)
        items = [{"station": world.station.code}] * 30
        refusals_record(
            collector_id=world.collector.id, station_ids={world.station.code: world.station.id},
            sections={"readings": items}, refusals=[bad] * refused, now=world.at(minute),
        )  # fmt: skip

    seen = run(world, [0, 1, 2], lambda minute: feed(minute, refused=2))
    assert seen[2] == []  # 2 of 30 refused: the usual few
    seen = run(world, [3, 4, 5], lambda minute: feed(minute, refused=25))
    assert seen[3] == []  # the share jumped, seen once
    assert seen[4] == [(REFUSALS, refusing)]
    # The share counts whole hours of the window: once the bad hour is out of it, it clears.
    seen = run(world, [180, 181, 182], lambda minute: feed(minute, refused=0))
    assert seen[180] == [(REFUSALS, refusing)] and seen[181] == []
    counts = log_counts(world)
    assert counts[(REFUSALS, "raised")] == 1 and counts[(REFUSALS, "cleared")] == 1
    assert {n.alarm.event_type_id for n in Notification.objects.all()} == {REFUSALS}


def test_a_refusal_alarm_is_folded_while_its_collector_is_down(world):
    from telemetry.ingest import ItemError
    from telemetry.refusals import refusals_record

    subject = f"col:{world.collector.id}:st:{world.station.id}"
    bad = ItemError("readings", 0, "ts", "too_old", "ts is too old.")

    def feed(minute, *, refused, alive=True):
        if alive:
            world.heartbeat(minute)
        refusals_record(
            collector_id=world.collector.id, station_ids={}, sections={"readings": [{}] * 40},
            refusals=[bad] * refused, now=world.at(minute),
        )  # fmt: skip

    seen = run(world, [0, 1], lambda minute: feed(minute, refused=40))
    assert seen[1] == [(REFUSALS, subject)]
    # Clean items but no heartbeat: the collector is down, and 302 is neither cleared nor
    # repeated under its 301; once it is back, the clean share clears it.
    seen = run(world, [130, 131, 132], lambda minute: feed(minute, refused=0, alive=False))
    assert seen[132] == [(COLLECTOR, subject), (REFUSALS, subject)]
    seen = run(world, [133, 134], lambda minute: feed(minute, refused=0))
    assert seen[134] == []
    assert log_counts(world)[(REFUSALS, "raised")] == 1
