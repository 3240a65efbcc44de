"""manage.py simulate: one virtual collector per demo collector, sending through the HTTP API."""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from demo.simulation import (
    Fault,
    PlantModel,
    Simulator,
    VirtualCollector,
    demo_schedule,
    fault_from_cli,
    fault_from_spec,
    parse_duration,
    parse_moment,
    plant_specs,
    stored_counters,
)
from field.collector_client import CollectorClient, ReadingBuffer
from monitoring.models import Collector
from telemetry.ingest import reading_ingest

DEFAULT_COLLECTORS_FILE = settings.VAR_DIR / "demo-collectors.json"
SOFTWARE_VERSION = "solarsite-simulator 1"


class Command(BaseCommand):
    help = (
        "Simulate the demo plants' collectors: sun, clouds, clipping, counters and faults, sent "
        "through POST /api/v1/ingest. Reads collector tokens from var/demo-collectors.json."
    )

    def add_arguments(self, parser):
        parser.add_argument("--stations", default="all",
                            help="Comma-separated plant codes, or 'all' (default).")
        parser.add_argument("--url", default=settings.SITE_URL,
                            help="The server's base URL (default SITE_URL).")
        parser.add_argument("--token", help="Send as this one collector instead of the file's.")
        parser.add_argument("--collectors-file", type=Path, default=DEFAULT_COLLECTORS_FILE,
                            help="JSON list of {name, token, stations} (written by seed_demo).")
        parser.add_argument("--interval", type=float, default=60,
                            help="Seconds of simulated time between readings (default 60).")
        parser.add_argument("--speed", type=float, default=1.0,
                            help="Simulated seconds per real second; the clock never runs "
                                 "past the present, so use with --start in the past.")
        parser.add_argument("--start", help="Simulated start, ISO 8601 with offset (default now).")
        parser.add_argument("--duration", help="Stop after this much simulated time (90s, 2h).")
        parser.add_argument("--backfill-days", type=float, default=0,
                            help="First write this many days of history, in process, through "
                                 "the same ingest code; only the gap since each plant's last "
                                 "reading is filled, so repeating it is cheap.")
        parser.add_argument("--backfill-interval", type=float, default=300,
                            help="Seconds between backfilled readings (default 300).")
        parser.add_argument("--fault", action="append", default=[],
                            help="A fault, e.g. 'grid_outage station=D001 start=+10m "
                                 "duration=30m' (repeatable).")
        parser.add_argument("--scenario", type=Path, help="JSON file: {\"faults\": [...]}.")
        parser.add_argument("--demo-schedule", action="store_true",
                            help="Add the demo's faults: a grid outage, an inverter fault, a "
                                 "weak string and a silent collector in the first half hour.")
        parser.add_argument("--schedule-scale", type=float, default=1.0,
                            help="Stretch (>1) or shorten (<1) the demo schedule's times.")
        parser.add_argument("--buffer-dir", type=Path,
                            help="Keep unsent readings in files here (survive a restart).")
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--seed", type=int, default=0, help="Changes the weather.")
        parser.add_argument("--backfill-only", action="store_true",
                            help="Stop after the backfill.")  # fmt: skip

    def handle(self, *args, **options):
        logging.getLogger("field.collector_client").setLevel(
            logging.INFO if options["verbosity"] > 1 else logging.WARNING
        )
        logging.getLogger("httpx").setLevel(logging.WARNING)
        now = timezone.now()
        start = parse_time(options["start"], now) if options["start"] else now
        if start > now:
            raise CommandError("--start must not be in the future.")
        entries = self.collector_entries(options)
        faults = self.faults(options, origin=start)
        collectors = [self.virtual_collector(entry, options) for entry in entries]
        collectors = [vc for vc in collectors if vc.plants]
        if not collectors:
            raise CommandError("No plant to simulate: check --stations and the collectors file.")
        if options["demo_schedule"]:
            if options["schedule_scale"] <= 0:
                raise CommandError("--schedule-scale must be a positive number, like 0.5 or 2.")
            faults += demo_schedule(collectors, origin=start, scale=options["schedule_scale"])
            for fault in faults:
                self.stdout.write(f"fault {fault.kind} {fault.station or fault.collector} "
                                  f"{timezone.localtime(fault.start):%H:%M}-"
                                  f"{timezone.localtime(fault.end):%H:%M}")  # fmt: skip
        plants = sum(len(vc.plants) for vc in collectors)
        self.stdout.write(f"simulating {plants} plants with {len(collectors)} collectors "
                          f"-> {options['url']}")  # fmt: skip
        if options["backfill_days"] > 0:
            for vc, entry in zip(collectors, entries_with_plants(entries, collectors), strict=True):
                self.backfill(vc, entry, start=start, options=options)
        else:
            for vc in collectors:
                for plant in vc.plants:
                    plant.start_counters(start, stored_counters(plant.spec))
        if options["backfill_only"]:
            return
        self.run(Simulator(collectors, faults), start=start, options=options)

    # --- configuration ----------------------------------------------------------------------
    def collector_entries(self, options) -> list[dict]:
        wanted = None if options["stations"] == "all" else set(options["stations"].split(","))
        if options["token"]:
            collector = Collector.objects.filter(
                token_hash=Collector.hash_token(options["token"])
            ).first()
            codes = (
                sorted(wanted) if wanted
                else list(collector.stations.values_list("code", flat=True)) if collector
                else []
            )  # fmt: skip
            entries = [{"name": collector.name if collector else "cli",
                        "token": options["token"], "stations": codes}]  # fmt: skip
        else:
            entries = read_collectors_file(options["collectors_file"])
        for entry in entries:
            entry["stations"] = [c for c in entry["stations"] if wanted is None or c in wanted]
        return [entry for entry in entries if entry["stations"]]

    def faults(self, options, *, origin: datetime) -> list[Fault]:
        faults = []
        try:
            for text in options["fault"]:
                faults.append(fault_from_cli(text, origin=origin))
            if options["scenario"]:
                try:
                    scenario = json.loads(options["scenario"].read_text())
                except (OSError, ValueError) as error:
                    raise ValueError(f"cannot read {options['scenario']}: {error}") from None
                if not isinstance(scenario, dict) or not isinstance(scenario.get("faults"), list):
                    raise ValueError('a scenario file is {"faults": [{"kind": ...}, ...]}')
                faults.extend(fault_from_spec(spec, origin=origin) for spec in scenario["faults"])
        except (ValueError, TypeError) as error:
            raise CommandError(f"Bad fault: {error}") from None
        return faults

    def virtual_collector(self, entry: dict, options) -> VirtualCollector:
        buffer = ReadingBuffer()
        if options["buffer_dir"]:
            options["buffer_dir"].mkdir(parents=True, exist_ok=True)
            buffer = ReadingBuffer(str(options["buffer_dir"] / f"{entry['name']}.sqlite3"))
        client = CollectorClient(
            url=options["url"], token=entry["token"], buffer=buffer,
            batch_size=options["batch_size"], software_version=SOFTWARE_VERSION,
        )  # fmt: skip
        plants = [PlantModel(spec) for spec in plant_specs(entry["stations"], options["seed"])]
        return VirtualCollector(entry["name"], plants, client)

    # --- backfill ---------------------------------------------------------------------------
    def backfill(self, vc: VirtualCollector, entry: dict, *, start: datetime, options) -> None:
        token_hash = Collector.hash_token(entry["token"])
        collector = Collector.objects.filter(token_hash=token_hash).first()
        if collector is None:
            raise CommandError(f"Collector {entry['name']}'s token is not known to this database.")
        step = timedelta(seconds=options["backfill_interval"])
        earliest = start - timedelta(days=options["backfill_days"])
        totals = {"accepted": 0, "duplicate": 0, "updated": 0, "rejected": 0}
        for plant in vc.plants:
            stored = stored_counters(plant.spec)
            newest = max((ts for ts, _, _ in stored.values()), default=None)
            moment = max(earliest, newest + step) if newest else earliest
            moment = align(moment, step)
            plant.start_counters(moment, stored)
            batch: dict[str, list] = {}
            while moment <= start:
                for section, items in plant.readings(moment).items():
                    batch.setdefault(section, []).extend(items)
                moment += step
                if sum(map(len, batch.values())) >= options["batch_size"] or moment > start:
                    result = reading_ingest(collector=collector, payload=batch)
                    for key in totals:
                        totals[key] += getattr(result, key)
                    batch = {}
        self.stdout.write(f"backfill {vc.name}: " + ", ".join(f"{v} {k}" for k, v in
                                                               totals.items()))  # fmt: skip

    # --- live -------------------------------------------------------------------------------
    def run(self, simulator: Simulator, *, start: datetime, options) -> None:
        interval = timedelta(seconds=options["interval"])
        end = start + parse_duration_option(options["duration"]) if options["duration"] else None
        speed = max(options["speed"], 1e-6)
        real_start = time.monotonic()
        moment = start
        reported = time.monotonic()
        try:
            while end is None or moment <= end:
                # Never ahead of the present: the server refuses readings from the future.
                due = real_start + (moment - start).total_seconds() / speed
                wait = max(due - time.monotonic(), (moment - timezone.now()).total_seconds())
                if wait > 0:
                    time.sleep(wait)
                simulator.step(moment)
                simulator.send(moment)
                simulator.commands_carry_out(moment)
                if time.monotonic() - reported >= 60 or options["verbosity"] > 1:
                    self.report(simulator, moment)
                    reported = time.monotonic()
                moment += interval
        except KeyboardInterrupt:
            pass
        finally:
            simulator.send(moment, force=True)
            self.report(simulator, moment)
            for vc in simulator.collectors:
                vc.client.close()

    def report(self, simulator: Simulator, moment: datetime) -> None:
        sent = accepted = duplicate = rejected = waiting = dead = 0
        for vc in simulator.collectors:
            stats = vc.client.stats
            sent += stats.sent
            accepted += stats.accepted
            duplicate += stats.duplicate
            rejected += stats.rejected
            waiting += vc.client.pending
            dead += stats.dead_lettered
        self.stdout.write(
            f"{timezone.localtime(moment):%Y-%m-%d %H:%M} generated {simulator.generated} "
            f"inverter readings; sent {sent} items: {accepted} accepted, {duplicate} duplicate, "
            f"{rejected} rejected; {waiting} waiting; {dead} in dead letters"
        )


def read_collectors_file(path: Path) -> list[dict]:
    """The demo collectors: a JSON list of {"name", "token", "stations": [codes]}, or an object
    {"collectors": [...]} or {name: {"token", "stations"}}."""
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise CommandError(
            f"{path} does not exist: run manage.py seed_demo first, or pass --token."
        ) from None
    except ValueError as error:
        raise CommandError(f"{path} is not valid JSON: {error}") from None
    if isinstance(data, dict) and "collectors" in data:
        data = data["collectors"]
    if isinstance(data, dict):
        data = [{"name": name, **value} for name, value in data.items()]
    entries = []
    for entry in data if isinstance(data, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("token"), str):
            raise CommandError(f"{path}: every collector needs a token; got {entry!r:.80}.")
        codes = [str(code) for code in entry.get("stations", entry.get("station_codes", []))]
        name = str(entry.get("name", entry["token"][:8]))
        entries.append({"name": name, "token": entry["token"], "stations": codes})
    if not entries:
        raise CommandError(f"{path} lists no collectors.")
    return entries


def entries_with_plants(entries: list[dict], collectors: list[VirtualCollector]) -> list[dict]:
    names = {vc.name for vc in collectors}
    return [entry for entry in entries if entry["name"] in names]


def align(moment: datetime, step: timedelta) -> datetime:
    seconds = step.total_seconds()
    return datetime.fromtimestamp(
        -(-moment.timestamp() // seconds) * seconds, tz=moment.tzinfo
    )


def parse_time(text: str, now: datetime) -> datetime:
    try:
        return parse_moment(text, origin=now)
    except ValueError as error:
        raise CommandError(f"--start: {error}") from None


def parse_duration_option(text: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as error:
        raise CommandError(f"--duration: {error}") from None
