"""The whole system at fleet scale on one machine: does everything keep up, and how big a fleet?

    .venv/bin/python bench/soak.py [--plants 1000] [--minutes 3]      # make bench-quick
    .venv/bin/python bench/soak.py --plants 10000 --minutes 30         # the target
    .venv/bin/python bench/soak.py --find-max [--plants 1000] [--step 1.5] [--minutes 3]

What runs is the deployment: gunicorn on the real settings with DEBUG off, `manage.py qcluster`
with the real job table (synced into django-q2's schedules by migrate; Redis as broker and
cache, on a Redis database of its own), MariaDB (throw-away databases ss_soak_bench and
ss_soak_bench_tel on $MARIADB_URL, dropped afterwards unless --keep) and an SMTP server that
receives the alarm e-mails. Steps:
  1. create the databases, migrate, and write the fleet into the registry in bulk: N plants of
     5 x 50 kW inverters, one collector with its token per plant (--plants-per-collector),
     an owner per three plants and the operator who opens the pages;
  2. start the services; each collector first sends its last hour (--backfill-minutes) in one
     batch, as a logger does after an outage, so the hourly rollup has a full hour to do;
  3. from the next full minute, sender processes (bench/soaklib/senders.py) send every collector's
     readings each minute at its own second, and a heartbeat, in real time; one plant in 500
     loses the grid for four minutes in every ten, so alarms are raised, cleared and mailed;
     the operator opens the overview and a plant page a few times a minute;
  4. every minute print the collectors' latency and errors, the job runs that ended, the pages'
     latency, the CPU of each part and the job queue; at the end the same for the whole window,
     each job's lag and duration against its cron, memory of every process, whether every
     reading sent is stored, and whether everything kept up (bench/soaklib/figures.py).
With --find-max the services stay up while the fleet grows by --step after every run that kept
up; the last fleet that kept up is the answer. The harness uses the HTTP API, manage.py,
environment variables and the tables of job runs and schedules; only step 1 writes the
registry with the ORM, by app label and model name. Never part of the tests.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import queue
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR), str(BENCH_DIR.parent)]

from soaklib.deployment import (  # noqa: E402
    Deployment,
    Usage,
    job_runs,
    load_average,
    machine_busy,
    prefix_claim,
    readings_stored,
    redis_queue_length,
    schedules,
)
from soaklib.figures import (  # noqa: E402
    PAGE_P95_TARGET_MS,
    SENDER_LAG_LIMIT_S,
    TARGET_MINUTES,
    TARGET_PLANTS,
    Outcome,
    jobs_judge,
    kept_up_reasons,
    percentile,
)
from soaklib.senders import INVERTERS_PER_PLANT, SenderSpec, sender_run  # noqa: E402


def main() -> None:
    args = arguments()
    claim = prefix_claim(args.prefix)  # noqa: F841 - held until the process ends
    deployment = Deployment(args)
    try:
        deployment.up()
        if args.find_max:
            find_max(deployment, args)
        else:
            soak(deployment, plants=args.plants, minutes=args.minutes, args=args)
    except BaseException:
        deployment.kept_up = False  # keep the logs
        raise
    finally:
        deployment.down()


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add(
        "--plants",
        type=int,
        default=1000,
        help="plants of 5 inverters (with --find-max: the first step)",
    )
    add("--minutes", type=float, default=3, help="length of the measured window (of each step)")
    add("--senders", type=int, default=4, help="collector processes")
    add("--plants-per-collector", type=int, default=1, help="1: a site logger per plant")
    add("--backfill-minutes", type=int, default=60, help="history each collector sends first")
    add("--no-heartbeat", dest="heartbeat", action="store_false", help="ingest requests only")
    add("--outage-every", type=int, default=500, help="one plant in N loses the grid (0: none)")
    add("--page-requests", type=int, default=10, help="requests per minute of each page")
    # As the README deploys it: a process per core, threads for the requests that wait.
    add("--workers", type=int, default=os.cpu_count() or 1, help="gunicorn workers")
    add("--worker-class", default="gthread", help="gunicorn worker class (gthread, sync)")
    add("--threads", type=int, default=4, help="threads per gunicorn worker (gthread)")
    add("--q-workers", type=int, default=None, help="Q_WORKERS (default: the settings' 2)")
    add("--find-max", action="store_true", help="grow the fleet until it no longer keeps up")
    add("--step", type=float, default=1.5, help="--find-max: fleet growth per step")
    add("--max-plants", type=int, default=20_000, help="--find-max: stop here")
    add("--prefix", default="ss_soak_bench", help="database names: PREFIX and PREFIX_tel")
    add("--keep", action="store_true", help="keep the databases afterwards")
    return parser.parse_args()


# --- one measured window --------------------------------------------------------------------


@dataclass
class Window:
    """What one measured window collected."""

    start: float
    end: float
    ms: dict[str, list[float]] = field(default_factory=lambda: {"ingest": [], "heartbeat": []})
    status: dict[str, Counter] = field(
        default_factory=lambda: {"ingest": Counter(), "heartbeat": Counter()}
    )
    answer: Counter = field(default_factory=Counter)
    sent_readings: int = 0
    lag_max: float = 0.0
    in_flight_max: int = 0
    cpu: Counter = field(default_factory=Counter)  # CPU seconds by group of processes
    sender_cpu: float = 0.0  # what the senders said they used, start-up included
    unsent: int = 0  # requests the senders were too far behind to start before the end
    finished: int = 0  # senders that have said they are done
    machine_before: float = 0.0  # busy CPU seconds of the whole machine
    machine_after: float = 0.0

    def add(self, minute: dict) -> None:
        for kind in ("ingest", "heartbeat"):
            self.ms[kind].extend(minute["ms"][kind])
            self.status[kind].update(minute["status"][kind])
        self.answer.update(minute["answer"])
        self.sent_readings += minute["sent_readings"]
        self.lag_max = max(self.lag_max, minute["lag_max"])
        self.in_flight_max = max(self.in_flight_max, minute["in_flight_max"])

    def errors(self) -> Counter:
        errors = Counter()
        for kind, statuses in self.status.items():
            for status, count in statuses.items():
                if status != "200":
                    errors[f"{kind} {status}"] += count
        return errors


def senders_start(
    deployment: Deployment, *, start: float, end: float, backfill: int
) -> tuple[list, multiprocessing.Queue]:
    args = deployment.args
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    host, port = deployment.url.removeprefix("http://").split(":")
    processes = []
    for n in range(args.senders):
        spec = SenderSpec(
            host=host,
            port=int(port),
            collectors=tuple(deployment.collectors[n :: args.senders]),
            start=start,
            end=end,
            heartbeat=args.heartbeat,
            outage_every=0 if backfill else args.outage_every,
            backfill_minutes=backfill,
        )
        process = context.Process(target=sender_run, args=(spec, results), daemon=True)
        process.start()
        processes.append(process)
    return processes, results


def backfill(deployment: Deployment, minutes: int) -> None:
    if minutes <= 0:
        return
    began = time.time()
    processes, results = senders_start(deployment, start=began, end=began, backfill=minutes)
    window = Window(start=began, end=began)
    while senders_report(window, processes, results, until=math.inf):
        pass
    for process in processes:
        process.join(timeout=30)
    seconds = time.time() - began
    errors = window.errors()
    print(
        f"== backfill: {window.sent_readings:,} readings of the last {minutes} minutes in "
        f"{seconds:.0f} s ({window.sent_readings / seconds:,.0f} readings/s, "
        f"{len(window.ms['ingest']):,} batches, p50 {ms(percentile(window.ms['ingest'], 50))} ms); "
        f"errors: {dict(errors) or 0}"
    )


def soak(deployment: Deployment, *, plants: int, minutes: float, args) -> list[str]:
    """Grow the fleet to `plants` and measure a window of `minutes`; returns why it did not
    keep up (nothing when it did)."""
    first_run = not deployment.codes
    deployment.fleet_grow(plants)
    if first_run:  # later steps of --find-max add plants to a fleet that is already live
        backfill(deployment, args.backfill_minutes)
    start = math.ceil((time.time() + 2) / 60) * 60
    end = start + minutes * 60
    rows_before, mails_before = readings_stored(), deployment.smtp.received()
    print(
        f"== live from {clock(start)} for {minutes:g} min: {plants:,} plants, "
        f"{plants * INVERTERS_PER_PLANT:,} inverters, "
        f"{plants * INVERTERS_PER_PLANT / 60:,.0f} readings/s, "
        f"{len(deployment.collectors):,} collectors in {args.senders} processes; "
        f"load average {load_average()}"
    )
    window, usage = window_run(deployment, start=start, end=end)
    stored = readings_stored() - rows_before
    pages = deployment.pages.between(start, end)
    outcome = Outcome(
        errors=window.errors(),
        rejected=window.answer["rejected"],
        jobs=jobs_figures(deployment, start, end),
        pages_p95_ms={page: percentile(page_ms(pages, page), 95) for page in PAGES},
        page_errors=Counter(f"{p} {o}" for _, p, _, o in pages if o not in PAGE_ANSWERS),
        sender_lag_max_s=window.lag_max,
        requests=len(window.ms["ingest"]),
        readings_missing=window.sent_readings - stored,
    )
    reasons = kept_up_reasons(outcome)
    deployment.kept_up = deployment.kept_up and not reasons
    print(f"\n== {plants:,} plants for {minutes:g} min")
    summary_print(deployment, window, outcome, usage, pages)
    print(
        f"kept        {window.sent_readings:,} readings sent, {stored:,} new rows stored: "
        + ("every reading sent is kept" if stored == window.sent_readings else "CHECK: they differ")
    )
    print(
        f"alarms      {deployment.smtp.received() - mails_before} e-mails reached the SMTP server"
    )
    print(f"kept up     {'yes' if not reasons else 'NO: ' + '; '.join(reasons)}\n")
    return reasons


def window_run(deployment: Deployment, *, start: float, end: float) -> tuple[Window, Usage]:
    """Senders from `start` to `end`, a line every minute; returns what they and /proc saw."""
    processes, results = senders_start(deployment, start=start, end=end, backfill=0)
    window, usage = Window(start=start, end=end), Usage()
    per_minute: dict[int, Window] = defaultdict(lambda: Window(start=0, end=0))
    time.sleep(max(0.0, start - time.time()))
    usage.sample(deployment.pids())
    window.machine_before = machine_busy()[0]
    print(MINUTE_HEADER)
    minute, running = start, True
    while minute < end or running:
        # Each sender reports a minute half a second after it ends.
        if running:
            running = senders_report(
                window, processes, results, until=minute + 63, per_minute=per_minute
            )
        else:  # a sender died early: keep the minutes of the rest
            time.sleep(max(0.0, minute + 63 - time.time()))
        if minute < end:
            used = usage.sample(deployment.pids() | {"senders": [p.pid for p in processes]})
            window.cpu.update(used)
            minute_print(deployment, per_minute.pop(int(minute), Window(0, 0)), minute, usage, used)
        minute += 60
    for process in processes:
        process.join(timeout=30)
    window.machine_after = machine_busy()[0]
    return window, usage


def senders_report(
    window: Window, processes: list, results, *, until: float, per_minute: dict | None = None
) -> bool:
    """Take the senders' reports until `until`; False once every sender has finished (or
    died: its traceback is on stderr)."""
    while time.time() < until:
        try:
            kind, data = results.get(timeout=min(5.0, max(0.1, until - time.time())))
        except queue.Empty:
            if not any(process.is_alive() for process in processes):
                return False
            continue
        if kind == "minute":
            window.add(data)
            if per_minute is not None:
                per_minute[data["minute"]].add(data)
        else:
            window.sender_cpu += data["cpu_seconds"]
            window.unsent += data["unsent"]
            window.finished += 1
            if window.finished == len(processes):
                return False
    return True


def find_max(deployment: Deployment, args) -> None:
    plants, last_good, failure = args.plants, None, None
    while plants <= args.max_plants:
        reasons = soak(deployment, plants=plants, minutes=args.minutes, args=args)
        if reasons:
            failure = (plants, reasons)
            break
        last_good = plants
        plants = max(plants + 1, round(plants * args.step))
    print()
    if last_good:
        print(
            f"== largest fleet that kept up: {last_good:,} plants "
            f"({last_good * INVERTERS_PER_PLANT:,} inverters, "
            f"{last_good * INVERTERS_PER_PLANT / 60:,.0f} readings/s); target {TARGET_PLANTS:,}"
        )
    else:
        print(f"== not even {args.plants:,} plants kept up")
    if failure:
        print(f"   {failure[0]:,} plants did not: {'; '.join(failure[1])}")
    else:
        print(f"   stopped at --max-plants {args.max_plants:,}")


def jobs_figures(deployment: Deployment, start: float, end: float):
    time_zone = ZoneInfo(deployment.env.get("TIME_ZONE", "Asia/Seoul"))
    crons = {name: cron for name, cron, _ in schedules() if cron}
    return jobs_judge(
        job_runs(start),
        crons,
        start=datetime.fromtimestamp(start, UTC),
        end=datetime.fromtimestamp(end, UTC),
        now=datetime.now(UTC),
        tz=time_zone,
    )


# --- printing -------------------------------------------------------------------------------

PAGES = ("overview", "map", "plant")
PAGE_ANSWERS = ("200", "304")  # the map answers 304 while no dot changed
# Each minute's line: (heading, width) of each column, then the values in the same order.
COLUMNS = [
    ("minute", 6), ("ingest", 7), ("p50 ms", 7), ("p99 ms", 7), ("errors", 7), ("beats", 7),
    ("lag s", 6), ("overview", 9), ("map", 5), ("plant", 6), ("web", 6), ("jobs", 5), ("db", 5),
    ("send", 5), ("web MB", 7), ("jobs MB", 8), ("queue", 6), ("load", 6),
]  # fmt: skip
MINUTE_HEADER = (
    " " * 43
    + "| pages p95 ms          | CPU cores              | peak RSS        |\n"
    + " ".join(f"{heading:>{width}}" for heading, width in COLUMNS)
)


def minute_print(
    deployment: Deployment, minute: Window, start: float, usage: Usage, used: dict[str, float]
) -> None:
    ingest, pages, errors = (
        minute.ms["ingest"],
        deployment.pages.between(start, start + 60),
        minute.errors(),
    )
    values = [
        clock(start), f"{len(ingest):,}", ms(percentile(ingest, 50)), ms(percentile(ingest, 99)),
        sum(errors.values()), f"{len(minute.ms['heartbeat']):,}", f"{minute.lag_max:.1f}",
        *(ms(percentile(page_ms(pages, page), 95)) for page in PAGES),
        *(f"{used.get(group, 0.0) / 60:.2f}" for group in GROUPS),
        f"{usage.rss_max('gunicorn workers'):.0f}", f"{usage.rss_max('qcluster'):.0f}",
        redis_queue_length(deployment.redis_db), load_average().split()[0],
    ]  # fmt: skip
    print(" ".join(f"{value:>{width}}" for value, (_, width) in zip(values, COLUMNS, strict=True)))
    if errors:
        print(f"        errors: {dict(errors)}")
    for run in job_runs(start):
        if run.finished and start <= run.finished.timestamp() < start + 60:
            print(
                f"        job {run.name} {run.status} in "
                f"{(run.finished - run.started).total_seconds():.1f} s, started "
                f"{run.started.astimezone():%H:%M:%S} {run.error[:120]}"
            )


GROUPS = ("gunicorn workers", "qcluster", "MariaDB (shared)", "senders")


def summary_print(
    deployment: Deployment, window: Window, outcome: Outcome, usage: Usage, pages: list
) -> None:
    seconds = window.end - window.start
    a = deployment.args
    print(
        f"deployment  gunicorn {a.workers} {a.worker_class} workers x {a.threads} threads, "
        f"qcluster {a.q_workers or 2} workers, {os.cpu_count()} CPUs"
    )
    for kind in ("ingest", "heartbeat"):
        times = window.ms[kind]
        print(
            f"{kind:<11} {len(times):,} requests, p50 {ms(percentile(times, 50))} ms, "
            f"p99 {ms(percentile(times, 99))} ms, max {ms(max(times, default=None))} ms"
        )
    print(f"errors      {sum(outcome.errors.values())} (target 0) {dict(outcome.errors) or ''}")
    print(
        f"items       {window.sent_readings:,} readings and the plants' grid reports sent; "
        f"answers: {dict(window.answer)}"
    )
    print(
        f"senders     behind real time at most {window.lag_max:.2f} s (limit "
        f"{SENDER_LAG_LIMIT_S:.0f} s), at most {window.in_flight_max} requests in flight per "
        f"process, {window.unsent:,} never started; CPU "
        f"{window.cpu['senders'] / seconds:.3f} cores "
        f"({window.sender_cpu:.0f} CPU seconds in all, start-up included)"
    )
    for page in PAGES:
        times = page_ms(pages, page)
        unchanged = sum(1 for _, p, _, o in pages if p == page and o == "304")
        print(
            f"page        {page:<8} {len(times)} requests, p50 {ms(percentile(times, 50))} ms, "
            f"p95 {ms(outcome.pages_p95_ms[page])} ms (target < {PAGE_P95_TARGET_MS:.0f} ms)"
            + (f", {unchanged} answered 304" if unchanged else "")
        )
        # When the slowest began, to set beside the job runs printed each minute.
        slowest = sorted((e for e in pages if e[1] == page), key=lambda e: -e[2])[:5]
        began = [f"{ms(took)} ms at {clock(done - took / 1000, seconds=True)}"
                 for done, _, took, _ in slowest]  # fmt: skip
        print(f"            slowest: {', '.join(began)}")
    jobs_print(outcome.jobs)
    print(
        f"CPU cores   whole machine {(window.machine_after - window.machine_before) / seconds:.2f} "
        f"of {os.cpu_count()}; "
        + ", ".join(f"{group} {used / seconds:.2f}" for group, used in window.cpu.most_common())
    )
    print("memory      peak RSS in MB: " + "; ".join(memory_lines(usage)))
    print(f"load        {load_average()} (1, 5, 15 min)")
    print(
        f"targets     {TARGET_PLANTS:,} plants ({TARGET_PLANTS * INVERTERS_PER_PLANT:,} inverters, "
        f"{TARGET_PLANTS * INVERTERS_PER_PLANT / 60:,.0f} readings/s) for {TARGET_MINUTES} min: "
        f"0 errors, every job inside its period, pages < {PAGE_P95_TARGET_MS:.0f} ms p95"
    )


def jobs_print(jobs: dict) -> None:
    print("jobs        name                 runs missed late failed  seconds p50/max  lag p50/max")
    for job in jobs.values():
        print(
            f"            {job.name:<20} {job.runs:4} {len(job.missed):6} {len(job.late):4} "
            f"{len(job.failed):6}  {num(percentile(job.seconds, 50))} "
            f"{num(max(job.seconds, default=None))}"
            f"  {num(percentile(job.lags, 50))} {num(max(job.lags, default=None))}"
            + (f"  ({job.running} still running)" if job.running else "")
        )
    now = datetime.now(UTC)
    overdue = [
        f"{name} (due {next_run.astimezone():%H:%M:%S})"
        for name, _, next_run in schedules()
        if next_run and (now - next_run).total_seconds() > 90
    ]
    print(
        "schedules   "
        + ("next run overdue: " + ", ".join(overdue) if overdue else "every next run is ahead")
    )


def memory_lines(usage: Usage) -> list[str]:
    by_group: dict[str, list[int]] = defaultdict(list)
    for pid, rss in usage.peak_rss.items():
        by_group[usage.group_of[pid]].append(rss)
    return [
        f"{group} " + " ".join(f"{size / 2**20:.0f}" for size in sorted(sizes, reverse=True))
        for group, sizes in by_group.items()
    ]


def page_ms(pages: list, page: str) -> list[float]:
    return [elapsed for _, name, elapsed, _ in pages if name == page]


def clock(moment: float, *, seconds: bool = False) -> str:
    return datetime.fromtimestamp(moment).strftime("%H:%M:%S" if seconds else "%H:%M")


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def num(value: float | None) -> str:
    return "    -" if value is None else f"{value:5.1f}"


if __name__ == "__main__":
    main()
