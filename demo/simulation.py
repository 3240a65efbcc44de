"""A virtual fleet: what each demo plant's inverters, boxes and sensors would report at a time.

Physics, kept simple but honest:
- irradiance is the clear-sky model of `monitoring.solar` at the plant's coordinates, dimmed
  by the day's weather and by passing clouds (smooth deterministic noise, so a backfill and a
  later live run agree and a test can repeat a day);
- each inverter has the registry's DC capacity (its kWp of modules) and AC capacity (kW): the
  modules lose with heat and to the system's losses (soiling, wiring, mismatch), the inverter's
  efficiency falls at low load, and it clips at its AC capacity (reported state 5,
  throttled); so a clear day's performance ratio lands where real plants' do, 75-90 %;
- `total_kwh` integrates AC power and only grows (unless a counter-reset fault says so),
  `day_kwh` restarts at the plant's local midnight.

Reported operating states follow SunSpec: 2 sleeping (night), 4 MPPT (running), 5 throttled
(clipping), 7 fault, 8 standby (stopped).

Faults (from the command line or a JSON scenario file, see `fault_from_spec`): grid_outage,
collector_silent, inverter_stop, inverter_fault, counter_reset, duplicate_resend, late_burst,
weak_string. `demo_schedule` is the demo's own: one of each kind that alarms, within the first
half hour, so a visitor sees alarms raised, told and cleared.

Remote commands: each step, a connected collector fetches its commands and carries them out
as a plant would (`Simulator.commands_carry_out`): a reset ends its inverter's fault, a power
limit caps the inverter's output from then on; the outcome goes back to the server.
"""

from __future__ import annotations

import math
import re
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from field.api import command_for_collector
from field.collector_client import CollectorClient
from field.commands import command_result, commands_hand_out
from monitoring.models import PowerStation
from monitoring.solar import clear_sky_irradiance
from telemetry import store
from telemetry.ingest import collector_heartbeat, reading_ingest

# What a real plant's DC side loses besides heat: soiling, wiring, module mismatch, tolerance.
SYSTEM_LOSS_FACTOR = 0.92
STATE_SLEEPING, STATE_MPPT, STATE_THROTTLED, STATE_FAULT, STATE_STANDBY = 2, 4, 5, 7, 8
FAULT_KINDS = (
    "grid_outage", "collector_silent", "inverter_stop", "inverter_fault", "counter_reset",
    "duplicate_resend", "late_burst", "weak_string",
)  # fmt: skip
WEAK_STRING_FACTOR = 0.3  # a weak string (a broken module, a blown fuse) carries this share
ONE_SHOT_KINDS = ("counter_reset", "duplicate_resend")


def noise(*parts: int) -> float:
    """A deterministic number in [0, 1) from integers (splitmix64), the same in every process."""
    x = 0x9E3779B97F4A7C15
    for part in parts:
        x = (x ^ (part & 0xFFFFFFFFFFFFFFFF)) * 0xBF58476D1CE4E5B9 & 0xFFFFFFFFFFFFFFFF
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB & 0xFFFFFFFFFFFFFFFF
        x ^= x >> 31
    return x / 2**64


def _smooth(seed: int, t: float, period: float, channel: int) -> float:
    """Value noise in [0, 1) that changes smoothly over `period` seconds."""
    bucket, frac = divmod(t / period, 1.0)
    a, b = noise(seed, channel, int(bucket)), noise(seed, channel, int(bucket) + 1)
    frac = frac * frac * (3 - 2 * frac)
    return a + (b - a) * frac


# The day's weather is one field over the country, on a grid this many degrees wide, so
# neighbouring plants share it as real ones do (their irradiance sensors agree); passing
# clouds are each plant's own.
WEATHER_GRID_DEG = 2.0


def _weather(plant: PlantSpec, t: float) -> float:
    """The day's weather at the plant, in [0, 1): smooth in time and across the map."""
    x, y = plant.longitude / WEATHER_GRID_DEG, plant.latitude / WEATHER_GRID_DEG
    i, j = math.floor(x), math.floor(y)
    fx, fy = x - i, y - j

    def node(di: int, dj: int) -> float:
        return _smooth(plant.weather_seed * 7919 + (i + di) * 1009 + (j + dj), t, 86400, 1)

    top = node(0, 1) * (1 - fx) + node(1, 1) * fx
    bottom = node(0, 0) * (1 - fx) + node(1, 0) * fx
    return bottom * (1 - fy) + top * fy


def cloud_factor(plant: PlantSpec, when: datetime) -> float:
    """The share of clear-sky light that gets through: the day's weather times passing clouds."""
    t = when.timestamp()
    weather = 0.35 + 0.65 * _weather(plant, t) ** 0.5
    passing = _smooth(plant.seed, t, 900, 2)
    shade = max(0.0, passing - 0.55) / 0.45  # clouds cover the sun a fraction of the time
    return max(0.05, weather * (1 - 0.75 * shade))


@dataclass(frozen=True)
class PlantSpec:
    code: str
    latitude: float
    longitude: float
    time_zone: str
    seed: int
    inverters: tuple[tuple[int, float, int, float], ...]  # (number, AC kW, phases, DC kWp)
    boxes: tuple[tuple[int, int], ...] = ()  # (number, channels)
    sensors: tuple[tuple[str, str], ...] = ()  # (name, kind)
    weather_seed: int = 0  # the whole fleet's: simulate --seed
    watched: bool = True  # operating: its faults raise alarms (not under construction etc.)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


def irradiance(plant: PlantSpec, when: datetime) -> float:
    """Plane-of-array irradiance in W/m² (a fixed tilt gains ~10 % over horizontal)."""
    return 1.1 * clear_sky_irradiance(plant.latitude, plant.longitude, when) * cloud_factor(
        plant, when
    )


def ambient_temp(plant: PlantSpec, when: datetime) -> float:
    local = when.astimezone(plant.tz)
    season = -math.cos(2 * math.pi * (local.timetuple().tm_yday - 15) / 365)  # -1 Jan, +1 Jul
    daily = -math.cos(2 * math.pi * (local.hour + local.minute / 60 - 3) / 24)  # peaks ~15h
    return 13 + 12 * season + 5 * daily


def inverter_power(
    ac_kw: float, dc_kwp: float, poa: float, module_temp: float, mismatch: float
) -> tuple[float, float, bool]:
    """(dc_kw, ac_kw, clipped) for an inverter of `ac_kw` with `dc_kwp` of modules."""
    dc = (
        dc_kwp * poa / 1000 * (1 - 0.004 * (module_temp - 25)) * mismatch * SYSTEM_LOSS_FACTOR
    )
    if dc < 0.005 * ac_kw:
        return 0.0, 0.0, False
    load = dc / ac_kw
    efficiency = 0.975 - 0.035 * math.exp(-load * 8)
    ac = dc * efficiency
    if ac > ac_kw:
        return ac_kw / efficiency, ac_kw, True
    return dc, ac, False


@dataclass
class Counters:
    total_kwh: float
    day_kwh: float = 0.0
    local_day: date | None = None
    last_ts: datetime | None = None
    last_ac_kw: float = 0.0

    def advance(self, when: datetime, ac_kw: float, tz: ZoneInfo) -> None:
        """Integrate power up to `when`; the day counter restarts at local midnight."""
        today = when.astimezone(tz).date()
        if self.last_ts is not None and when > self.last_ts:
            hours = (when - self.last_ts).total_seconds() / 3600
            energy = (self.last_ac_kw + ac_kw) / 2 * hours
            if today != self.local_day:
                midnight = datetime.combine(today, datetime.min.time(), tz)
                share = min(1.0, (when - midnight).total_seconds() / 3600 / hours)
                self.day_kwh = 0.0
                energy_today = energy * share
            else:
                energy_today = energy
            self.total_kwh += energy
            self.day_kwh += energy_today
        elif today != self.local_day:
            self.day_kwh = 0.0
        self.local_day, self.last_ts, self.last_ac_kw = today, when, ac_kw


@dataclass
class Fault:
    kind: str
    start: datetime
    end: datetime
    station: str | None = None
    inverter: int | None = None
    collector: str | None = None
    fault_bits: int = 1
    box: int | None = None  # weak_string: which box and channel (default: the first box, 1)
    channel: int | None = None

    @property
    def one_shot(self) -> bool:
        return self.kind in ONE_SHOT_KINDS

    def active(self, when: datetime) -> bool:
        """One-shot faults stay active from their start; the caller applies them once."""
        return self.start <= when and (self.one_shot or when < self.end)

    def hits(self, *, station: str) -> bool:
        return self.station is None or self.station == station


DURATION = re.compile(r"^(\d+(?:\.\d+)?)(s|m|h|d)$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    match = DURATION.match(str(text).strip())
    if not match:
        raise ValueError(f"{text!r} is not a duration; write it like 90s, 30m, 2h or 1d")
    return timedelta(seconds=float(match[1]) * UNIT_SECONDS[match[2]])


def parse_moment(text: str, *, origin: datetime) -> datetime:
    """`+10m` (after the simulation's start) or an ISO 8601 time with an offset."""
    text = str(text).strip()
    if text.startswith("+"):
        return origin + parse_duration(text[1:])
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is neither +DURATION nor an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset; add one, for example +09:00")
    return moment


def fault_from_spec(spec: dict, *, origin: datetime) -> Fault:
    """A Fault from a scenario entry, e.g. {"kind": "grid_outage", "station": "D001",
    "start": "+10m", "duration": "30m"}. One-shot kinds (counter_reset, duplicate_resend)
    need only `start`."""
    spec = dict(spec)
    kind = spec.pop("kind", None)
    if kind not in FAULT_KINDS:
        raise ValueError(f"fault kind {kind!r} is unknown; use one of {', '.join(FAULT_KINDS)}")
    start = parse_moment(spec.pop("start", "+0s"), origin=origin)
    duration = parse_duration(spec.pop("duration", "0s" if kind in ONE_SHOT_KINDS else "10m"))
    inverter = spec.pop("inverter", None)
    box, channel = spec.pop("box", None), spec.pop("channel", None)
    fault = Fault(
        kind=kind,
        start=start,
        end=start + duration,
        station=spec.pop("station", None),
        inverter=int(inverter) if inverter is not None else None,
        collector=spec.pop("collector", None),
        fault_bits=int(spec.pop("fault_bits", 1)),
        box=int(box) if box is not None else None,
        channel=int(channel) if channel is not None else None,
    )
    if spec:
        raise ValueError(f"unknown fault field(s) {', '.join(sorted(spec))} in a {kind} fault")
    return fault


def fault_from_cli(text: str, *, origin: datetime) -> Fault:
    """`grid_outage station=D001 start=+10m duration=30m` -> Fault."""
    kind, *pairs = text.split()
    spec: dict = {"kind": kind}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"{pair!r} in fault {text!r} is not key=value")
        spec[key] = value
    return fault_from_spec(spec, origin=origin)


@dataclass
class PlantModel:
    """One plant's devices and counters; `readings(when)` is what its logger would send."""

    spec: PlantSpec
    counters: dict[int, Counters] = field(default_factory=dict)
    limits: dict[int, float] = field(default_factory=dict)  # inverter -> % of its AC capacity
    _reset_done: set[tuple[int, int]] = field(default_factory=set)

    def start_counters(self, when: datetime, stored: dict[int, tuple[datetime, float, float]]):
        """Counters at `when`: continued from the stored (ts, day_kwh, total_kwh) of an
        inverter when there is one, else a plant two years old integrated since midnight."""
        tz = self.spec.tz
        for number, capacity, _, dc_kwp in self.spec.inverters:
            if number in stored:
                ts, day_kwh, total_kwh = stored[number]
                self.counters[number] = Counters(
                    total_kwh=total_kwh, day_kwh=day_kwh,
                    local_day=ts.astimezone(tz).date(), last_ts=ts,
                )  # fmt: skip
                continue
            counters = Counters(total_kwh=round(dc_kwp * 1200 * 2, 1))
            midnight = datetime.combine(when.astimezone(tz).date(), datetime.min.time(), tz)
            moment = midnight
            while moment < when:
                counters.advance(moment, self._ac(number, capacity, dc_kwp, moment), tz)
                moment += timedelta(minutes=5)
            self.counters[number] = counters

    def _ac(self, number: int, capacity: float, dc_kwp: float, when: datetime) -> float:
        poa = irradiance(self.spec, when)
        module = ambient_temp(self.spec, when) + poa / 40
        return inverter_power(capacity, dc_kwp, poa, module, self._mismatch(number))[1]

    def _mismatch(self, number: int) -> float:
        return 0.96 + 0.04 * noise(self.spec.seed, number, 7)

    def readings(self, when: datetime, faults: list[Fault] = ()) -> dict[str, list[dict]]:
        spec, tz = self.spec, self.spec.tz
        ts = when.isoformat()
        stamp = int(when.timestamp())
        poa = irradiance(spec, when)
        ambient = ambient_temp(spec, when)
        module = ambient + poa / 40
        active = [f for f in faults if f.active(when) and f.hits(station=spec.code)]
        outage = any(f.kind == "grid_outage" for f in active)
        grid = [{"station": spec.code, "ts": ts, "outage": outage}]
        out: dict[str, list[dict]] = {"readings": [], "combiner_boxes": [], "sensors": [],
                                      "grid": grid}  # fmt: skip
        for number, capacity, phases, dc_kwp in spec.inverters:
            counters = self.counters.setdefault(
                number, Counters(total_kwh=round(dc_kwp * 1200 * 2, 1))
            )
            mine = [f for f in active if f.inverter in (None, number)]
            dc, ac, clipped = inverter_power(
                capacity, dc_kwp, poa, module, self._mismatch(number)
            )
            state, fault_bits = (STATE_THROTTLED if clipped else STATE_MPPT), 0
            if number in self.limits and ac > capacity * self.limits[number] / 100:
                ac = capacity * self.limits[number] / 100  # a power limit the server set
                dc = min(dc, ac * 1.03)
                state = STATE_THROTTLED
            if ac == 0:
                state = STATE_SLEEPING
            kinds = {f.kind for f in mine}
            if outage or "inverter_stop" in kinds or "inverter_fault" in kinds:
                dc, ac, state = 0.0, 0.0, STATE_STANDBY
            if "inverter_fault" in kinds:
                state = STATE_FAULT
                fault_bits = next(f.fault_bits for f in mine if f.kind == "inverter_fault")
            for fault in mine:
                key = (id(fault), number)
                if fault.kind == "counter_reset" and key not in self._reset_done:
                    self._reset_done.add(key)
                    counters.total_kwh = 0.0
            counters.advance(when, ac, tz)
            volts = 0.0 if outage else 380 + 4 * (noise(spec.seed, number, stamp, 1) - 0.5)
            pf = 0.99 if ac > 0 else 1.0
            amps = ac * 1000 / (math.sqrt(3) * volts * pf) if volts and ac else 0.0
            dc_v = 0.0 if dc == 0 else 560 + 80 * min(1.0, poa / 400) - 1.5 * (module - 25)
            out["readings"].append({
                "station": spec.code, "inverter": number, "ts": ts,
                "ac_kw": round(ac, 3), "dc_kw": round(dc, 3),
                "dc_v": round(dc_v, 1), "dc_a": round(dc * 1000 / dc_v, 2) if dc_v else 0.0,
                "ac_v": [round(volts, 1)] * (1 if phases == 1 else 3),
                "ac_a": [round(amps, 2)] * (1 if phases == 1 else 3),
                "freq_hz": 0.0 if outage else 60.0, "pf": pf,
                "temp_c": round(ambient + 20 * ac / capacity + 5, 1),
                "day_kwh": round(counters.day_kwh, 3), "total_kwh": round(counters.total_kwh, 3),
                "state": state, "fault_bits": fault_bits,
            })  # fmt: skip
        weak = {
            (f.box or spec.boxes[0][0], f.channel or 1)
            for f in active if f.kind == "weak_string" and spec.boxes
        }  # fmt: skip
        for number, channels in spec.boxes:
            string_a = 0.0 if outage else 9.5 * poa / 1000
            currents = [
                string_a * (0.97 + 0.03 * noise(spec.seed, number, c))
                * (WEAK_STRING_FACTOR if (number, c + 1) in weak else 1.0)
                for c in range(channels)
            ]  # fmt: skip
            out["combiner_boxes"].append({
                "station": spec.code, "box": number, "ts": ts,
                "voltage": 0.0 if string_a == 0 else 640.0 - 1.5 * (module - 25),
                "currents": [round(current, 2) for current in currents],
            })  # fmt: skip
        for name, kind in spec.sensors:
            value = {"poa_irradiance": poa, "ghi_irradiance": poa / 1.1,
                     "module_temp": module, "ambient_temp": ambient}.get(kind, 0.0)  # fmt: skip
            out["sensors"].append(
                {"station": spec.code, "sensor": name, "ts": ts, "value": round(value, 1)}
            )
        return out


# --- The registry's plants -------------------------------------------------------------------
def plant_specs(codes: list[str], seed: int) -> list[PlantSpec]:
    stations = (
        PowerStation.objects.filter(code__in=codes)
        .prefetch_related("inverters", "combiner_boxes", "sensors")
        .order_by("code")
    )
    return [
        PlantSpec(
            code=s.code,
            latitude=s.latitude,
            longitude=s.longitude,
            time_zone=s.time_zone,
            watched=s.is_watched,
            seed=zlib.crc32(s.code.encode()) + seed * 7919,
            inverters=tuple((i.number, float(i.capacity_kw), i.phases, i.dc_kwp())
                            for i in s.inverters.all() if i.is_active),
            boxes=tuple((b.number, b.channels) for b in s.combiner_boxes.all()),
            sensors=tuple((x.name, x.kind) for x in s.sensors.all()),
            weather_seed=seed,
        )  # fmt: skip
        for s in stations
    ]


def stored_counters(spec: PlantSpec) -> dict[int, tuple[datetime, float, float]]:
    """Per inverter number, the newest stored (ts, day_kwh, total_kwh), to continue from."""
    station = PowerStation.objects.get(code=spec.code)
    numbers = dict(station.inverters.values_list("pk", "number"))
    latest = store.latest_inverter_readings(inverter_ids=numbers)
    return {
        numbers[pk]: (r.ts, r.day_kwh or 0.0, r.total_kwh or 0.0)
        for pk, r in latest.items()
        if r.total_kwh is not None
    }


# --- Virtual collectors -----------------------------------------------------------------------
@dataclass
class VirtualCollector:
    """One collector program: its plants and the client that sends for them."""

    name: str
    plants: list[PlantModel]
    client: CollectorClient
    last_step: dict[str, list[dict]] = field(default_factory=dict)
    _resent: set[int] = field(default_factory=set)

    @property
    def station_codes(self) -> set[str]:
        return {plant.spec.code for plant in self.plants}

    def faults_on(self, faults: list[Fault], when: datetime, kind: str) -> list[Fault]:
        return [
            f for f in faults
            if f.kind == kind and f.active(when) and f.collector in (None, self.name)
            and (f.station is None or f.station in self.station_codes)
        ]  # fmt: skip


class Simulator:
    """Steps every virtual collector through time; the caller decides how fast."""

    def __init__(self, collectors: list[VirtualCollector], faults: list[Fault] = ()):
        self.collectors = collectors
        self.faults = list(faults)
        self.generated = 0

    def step(self, when: datetime) -> None:
        """Measure every plant at `when` and put the readings in each collector's buffer."""
        for vc in self.collectors:
            if vc.faults_on(self.faults, when, "collector_silent"):
                continue  # the collector program is down: nothing is measured or sent
            for fault in vc.faults_on(self.faults, when, "duplicate_resend"):
                if id(fault) not in vc._resent and vc.last_step:
                    vc._resent.add(id(fault))
                    for section, items in vc.last_step.items():
                        vc.client.add(section, items)
            step: dict[str, list[dict]] = {}
            for plant in vc.plants:
                for section, items in plant.readings(when, self.faults).items():
                    step.setdefault(section, []).extend(items)
            for section, items in step.items():
                vc.client.add(section, items)
            self.generated += len(step.get("readings", []))
            vc.last_step = step

    def commands_carry_out(self, when: datetime) -> int:
        """Each connected collector fetches its commands, carries them out and reports how
        it went; the number carried out."""
        done = 0
        for vc in self.collectors:
            if vc.faults_on(self.faults, when, "collector_silent"):
                continue
            for command in vc.client.commands_fetch():
                succeeded, message = self._carry_out(vc, command, when)
                vc.client.command_report(command["id"], succeeded=succeeded, message=message)
                done += 1
        return done

    def _carry_out(self, vc: VirtualCollector, command: dict, when: datetime) -> tuple[bool, str]:
        plant = next((p for p in vc.plants if p.spec.code == command.get("station")), None)
        if plant is None:
            return False, f"no plant {command.get('station')} behind this collector"
        number = command.get("inverter")
        numbers = [n for n, *_ in plant.spec.inverters if number in (None, n)]
        if not numbers:
            return False, f"no inverter {number} in {plant.spec.code}"
        kind = command.get("kind")
        if kind == "reset_inverter":
            for fault in self.faults:
                ends = fault.kind in ("inverter_fault", "inverter_stop") and fault.active(when)
                if ends and fault.hits(station=plant.spec.code) and fault.inverter in (
                    None, *numbers
                ):
                    fault.end = when  # the reset cleared it
            return True, "reset done; generating again"
        if kind == "set_power_limit":
            percent = float((command.get("params") or {}).get("percent", 100))
            for n in numbers:
                if percent >= 100:
                    plant.limits.pop(n, None)
                else:
                    plant.limits[n] = percent
            return True, f"active-power limit {percent:g} % applied"
        if kind in ("restart_collector", "read_now"):
            return True, "done"
        return False, f"this collector cannot carry out {kind!r}"

    def send(self, when: datetime, *, force: bool = False) -> bool:
        """Flush every collector that is connected at `when`; True when all buffers are empty."""
        done = True
        for vc in self.collectors:
            if vc.faults_on(self.faults, when, "collector_silent"):
                done = done and vc.client.pending == 0
                continue
            if vc.faults_on(self.faults, when, "late_burst"):
                done = False  # offline: readings pile up and go out together afterwards
                continue
            vc.client.heartbeat()
            done = vc.client.flush(force=force) and done
        return done


# --- The demo's own faults -------------------------------------------------------------------
# (kind, minutes after the start, minutes it lasts, which of the plants, extra fields): one of
# each fault that raises an alarm, all raised and cleared within the first half hour when the
# alarm delays are the demo's (scripts/demo.sh: WEAK_STRING_MINUTES=5, COLLECTOR_DOWN_MINUTES
# of 10). The inverter fault lasts until a reset, or 20 minutes.
DEMO_SCHEDULE = (
    ("grid_outage", 2, 8, 0, {}),
    ("inverter_fault", 3, 20, 1, {"inverter": 1, "fault_bits": 1}),
    ("weak_string", 4, 16, 2, {"box": None, "channel": 2}),
    ("collector_silent", 6, 14, 3, {}),
)


def demo_schedule(
    collectors: list[VirtualCollector], *, origin: datetime, scale: float = 1.0
) -> list[Fault]:
    """The demo's faults on its first plants (the weak string on a plant with combiner
    boxes), starting at `origin`; `scale` shortens or stretches every time in it."""
    plants = [(vc, plant) for vc in collectors for plant in vc.plants if plant.spec.watched]
    with_boxes = [pair for pair in plants if pair[1].spec.boxes]
    faults = []
    used: set[str] = set()
    for kind, start, minutes, index, extra in DEMO_SCHEDULE:
        pool = with_boxes if kind == "weak_string" else plants
        pool = [pair for pair in pool if pair[1].spec.code not in used] or pool
        if not pool:
            continue
        vc, plant = pool[min(index, len(pool) - 1)] if kind != "weak_string" else pool[0]
        used.add(plant.spec.code)
        begin = origin + timedelta(minutes=start * scale)
        faults.append(
            Fault(
                kind=kind, start=begin, end=begin + timedelta(minutes=minutes * scale),
                station=None if kind == "collector_silent" else plant.spec.code,
                collector=vc.name if kind == "collector_silent" else None,
                **{k: v for k, v in extra.items() if v is not None},
            )
        )  # fmt: skip
    return faults


class InProcessLink:
    """A collector's link to the server in this same process, on a clock the caller sets:
    the ingest, heartbeat and command functions the collectors' HTTP API calls, so a test or
    a tour can run simulated time faster than the wall clock. Same methods the simulator uses
    of `CollectorClient`."""

    def __init__(self, collector, clock) -> None:
        self.collector, self.clock = collector, clock
        self.batch: dict[str, list] = {}

    def add(self, section: str, items: list[dict]) -> None:
        self.batch.setdefault(section, []).extend(items)

    @property
    def pending(self) -> int:
        return sum(map(len, self.batch.values()))

    def heartbeat(self, *, force: bool = False) -> bool:
        collector_heartbeat(collector=self.collector, remote_address=None, now=self.clock())
        return True

    def flush(self, *, force: bool = False) -> bool:
        if self.batch:
            reading_ingest(collector=self.collector, payload=self.batch, now=self.clock())
            self.batch = {}
        return True

    def commands_fetch(self) -> list[dict]:
        commands = commands_hand_out(collector=self.collector, now=self.clock())
        return [command_for_collector(c) for c in commands]

    def command_report(self, command_id: int, *, succeeded: bool, message: str) -> bool:
        command_result(
            collector=self.collector, command_id=command_id, succeeded=succeeded,
            message=message, now=self.clock(),
        )  # fmt: skip
        return True

    def close(self) -> None:
        pass
