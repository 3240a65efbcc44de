"""The soak's collectors: processes that send a fleet's readings over HTTP in real time.

Each sender process owns a share of the fleet's collectors and plays them all:
  1. every minute, each collector sends the minute's readings of its plants (five inverters and
     the grid report per plant) in one POST /api/v1/ingest at its own second of the minute, as a
     site logger does after each reading, and a heartbeat (POST /api/v1/collectors/heartbeat)
     half a minute later;
  2. a request starts at its time unless MAX_IN_FLIGHT requests of this process are still
     unanswered; how late it starts is the sender's lag behind real time;
  3. at every wall-clock minute the process puts what finished in the minute before on the
     harness's queue (latencies, statuses, lag, items accepted and rejected), and at the end
     its own CPU time.

The backfill mode sends each collector's last minutes in one batch instead (a logger catching
up), a few requests at a time, and reports how long that took.

To leave the machine to the server, bodies are formatted from prepared templates and sent over
plain asyncio sockets, with keep-alive where the server keeps the connection open. The process
imports nothing of the application: it speaks HTTP only.
"""

from __future__ import annotations

import asyncio
import math
import re
import resource
import time
from collections import Counter
from dataclasses import dataclass, field

INGEST_PATH = "/api/v1/ingest"
HEARTBEAT_PATH = "/api/v1/collectors/heartbeat"
INVERTERS_PER_PLANT = 5
INVERTER_KW = 50.0
# Requests one process may have unanswered before it stops starting new ones (and falls behind).
MAX_IN_FLIGHT = 256
BACKFILL_IN_FLIGHT = 4
# A site logger gives up on a request after this long (monitoring/collector_client.py's default).
TIMEOUT_SECONDS = 10.0
KST = 9 * 3600
EPOCH_2026 = 1767225600  # 2026-01-01 00:00 UTC: the lifetime counters grow from here
ANSWER_COUNT = re.compile(rb'"(accepted|duplicate|updated|rejected)"\s*:\s*(\d+)')

READING = (
    '{"station":"%s","inverter":%d,"ts":"%s","ac_kw":%.2f,"dc_kw":%.2f,"day_kwh":%.1f,'
    '"total_kwh":%.1f,"dc_v":%.1f,"dc_a":%.1f,"ac_v":[%.1f,%.1f,%.1f],"ac_a":[%.1f,%.1f,%.1f],'
    '"freq_hz":60.0,"pf":0.99,"temp_c":%.1f,"state":%d,"fault_bits":0}'
)
GRID = '{"station":"%s","ts":"%s","outage":%s}'


@dataclass(frozen=True)
class Collector:
    token: str
    plants: tuple[tuple[int, str], ...]  # (plant index, plant code)
    offset: float  # its second of the minute


@dataclass(frozen=True)
class SenderSpec:
    """What one sender process plays; plain data, so it crosses to a spawned process."""

    host: str
    port: int
    collectors: tuple[Collector, ...]
    start: float  # epoch seconds: the first request may go at this time
    end: float  # no request starts at or after this time
    heartbeat: bool = True
    outage_every: int = 0  # one plant in this many loses the grid for 4 minutes in every 10
    backfill_minutes: int = 0  # backfill mode: send this many minutes before `start` and stop


def minute_body(collector: Collector, minutes: list[int], *, spec: SenderSpec) -> bytes:
    """The ingest body of a collector's plants for the given minutes (epoch seconds)."""
    readings, grid = [], []
    for minute in minutes:
        ts = time.strftime("%Y-%m-%dT%H:%M:%S+09:00", time.gmtime(minute + KST))
        for index, code in collector.plants:
            outage = plant_outage(index, minute, spec=spec)
            readings.extend(plant_readings(code, minute, ts, outage=outage))
            grid.append(GRID % (code, ts, "true" if outage else "false"))
    return f'{{"readings":[{",".join(readings)}],"grid":[{",".join(grid)}]}}'.encode()


def plant_readings(code: str, minute: int, ts: str, *, outage: bool) -> list[str]:
    """Five inverters' readings. Power follows a daily curve but never drops to zero, so runs
    at any hour compare and the fleet looks healthy; energy counters grow 0.5 kWh a minute,
    `day_kwh` restarting at Korean midnight."""
    local = (minute + KST) % 86400
    level = 0.25 + 0.5 * max(0.0, math.sin(math.pi * (local / 3600 - 6) / 13))
    day_kwh = local / 120
    items = []
    for number in range(1, INVERTERS_PER_PLANT + 1):
        total_kwh = 40_000 + 1_000 * number + (minute - EPOCH_2026) / 120
        if outage:
            ac_kw, volts, amps, state = 0.0, 0.0, 0.0, 8
        else:
            ac_kw = INVERTER_KW * level * (0.96 + 0.01 * number)
            volts, amps, state = 380.0 + number / 10, ac_kw * 1000 / (380 * 1.732), 4
        dc_kw = ac_kw * 1.03
        items.append(
            READING
            % (
                code,
                number,
                ts,
                ac_kw,
                dc_kw,
                day_kwh,
                total_kwh,
                620.0,
                dc_kw * 1000 / 620,
                volts,
                volts,
                volts,
                amps,
                amps,
                amps,
                30.0 + 10 * level,
                state,
            )
        )
    return items


def plant_outage(index: int, minute: int, *, spec: SenderSpec) -> bool:
    """One plant in `outage_every` loses the grid for the first four minutes of every ten, a
    different plant each time, so detection raises and clears alarms and people are told."""
    if not spec.outage_every:
        return False
    since = int(minute - spec.start) // 60
    block, within = divmod(since, 10)
    return within < 4 and index % spec.outage_every == block % spec.outage_every


def heartbeat_body(now: float, started: float) -> bytes:
    clock = time.strftime("%Y-%m-%dT%H:%M:%S+09:00", time.gmtime(now + KST))
    uptime = int(now - started) + 86_400
    return b'{"software_version":"soak logger 1.0","uptime_seconds":%d,"clock":"%s"}' % (
        uptime,
        clock.encode(),
    )


def request_head(path: str, *, host: str, port: int, token: str, length: int) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


class Connections:
    """A pool of HTTP/1.1 connections to one server: kept open when the server allows it."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def post(self, head: bytes, body: bytes) -> tuple[int, bytes]:
        """Send one request; returns (status, body). A connection the server closed while idle
        is replaced once by a new one (nothing of the request reached it: the other idle ones
        may have been closed as well); anything else raises."""
        for attempt in (1, 2):
            reused = attempt == 1 and bool(self.idle)
            if reused:
                reader, writer = self.idle.pop()
            else:
                reader, writer = await asyncio.open_connection(self.host, self.port)
            try:
                writer.write(head + body)
                status, keep, answer = await http_response(reader)
            except (ConnectionError, asyncio.IncompleteReadError) as exc:
                writer.close()
                closed_while_idle = isinstance(exc, ConnectionError) or not exc.partial
                if reused and attempt == 1 and closed_while_idle:
                    continue
                raise
            except BaseException:
                writer.close()
                raise
            if keep:
                self.idle.append((reader, writer))
            else:
                writer.close()
            return status, answer
        raise ConnectionError("no connection")


async def http_response(reader: asyncio.StreamReader) -> tuple[int, bool, bytes]:
    """(status, keep the connection, body) of one HTTP/1.1 response."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length, keep, chunked = None, True, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection":
            keep = value != b"close"
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value
    if chunked:
        parts = []
        while size := int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16):
            parts.append(await reader.readexactly(size + 2))
        await reader.readuntil(b"\r\n")
        return status, keep, b"".join(part[:-2] for part in parts)
    if length is None:
        return status, False, await reader.read()
    return status, keep, await reader.readexactly(length)


@dataclass
class Bucket:
    """What finished in one wall-clock minute, in one process."""

    ms: dict[str, list[float]] = field(default_factory=lambda: {"ingest": [], "heartbeat": []})
    status: dict[str, Counter] = field(
        default_factory=lambda: {"ingest": Counter(), "heartbeat": Counter()}
    )
    lag_max: float = 0.0
    sent_readings: int = 0
    answer: Counter = field(default_factory=Counter)
    in_flight_max: int = 0

    def as_dict(self, minute: int) -> dict:
        return {
            "minute": minute,
            "ms": self.ms,
            "status": {kind: dict(c) for kind, c in self.status.items()},
            "lag_max": self.lag_max,
            "sent_readings": self.sent_readings,
            "answer": dict(self.answer),
            "in_flight_max": self.in_flight_max,
        }


class Sender:
    def __init__(self, spec: SenderSpec, queue):
        self.spec, self.queue = spec, queue
        self.connections = Connections(spec.host, spec.port)
        self.buckets: dict[int, Bucket] = {}
        self.in_flight = 0
        self.unsent = 0
        self.started = time.time()

    def bucket(self, when: float) -> Bucket:
        minute = int(when // 60 * 60)
        return self.buckets.setdefault(minute, Bucket())

    async def request(self, kind: str, collector: Collector, body: bytes, readings: int) -> None:
        path = INGEST_PATH if kind == "ingest" else HEARTBEAT_PATH
        head = request_head(
            path, host=self.spec.host, port=self.spec.port, token=collector.token, length=len(body)
        )
        began = time.time()
        outcome, answer = "?", b""
        try:
            async with asyncio.timeout(TIMEOUT_SECONDS):
                status, answer = await self.connections.post(head, body)
            outcome = str(status)
        except TimeoutError:
            outcome = "timeout"
        except (ConnectionError, asyncio.IncompleteReadError, OSError) as exc:
            outcome = type(exc).__name__
        finally:
            self.in_flight -= 1
        finished = time.time()
        bucket = self.bucket(finished)
        bucket.ms[kind].append((finished - began) * 1000)
        bucket.status[kind][outcome] += 1
        if kind == "ingest":
            bucket.sent_readings += readings
            for name, count in ANSWER_COUNT.findall(answer):
                bucket.answer[name.decode()] += int(count)

    async def start(
        self,
        kind: str,
        collector: Collector,
        body: bytes,
        readings: int,
        *,
        due: float,
        limit: asyncio.Semaphore,
    ) -> asyncio.Task:
        await limit.acquire()
        self.in_flight += 1
        lagged = time.time() - due
        bucket = self.bucket(time.time())
        bucket.lag_max = max(bucket.lag_max, lagged)
        bucket.in_flight_max = max(bucket.in_flight_max, self.in_flight)
        task = asyncio.create_task(self.request(kind, collector, body, readings))
        task.add_done_callback(lambda _: limit.release())
        return task

    async def live(self) -> None:
        spec = self.spec
        limit = asyncio.Semaphore(MAX_IN_FLIGHT)
        plan = sorted(
            [(c.offset, "ingest", c) for c in spec.collectors]
            + [((c.offset + 30) % 60, "heartbeat", c) for c in spec.collectors if spec.heartbeat],
            key=lambda item: item[0],
        )
        reporter = asyncio.create_task(self.report_every_minute())
        tasks = set()
        minute = int(spec.start // 60 * 60)
        while minute < spec.end:
            for offset, kind, collector in plan:
                due = minute + offset
                if due < spec.start or due >= spec.end:
                    continue
                if time.time() >= spec.end:  # so far behind that the window is over
                    self.unsent += 1
                    continue
                if (wait := due - time.time()) > 0:
                    await asyncio.sleep(wait)
                if kind == "ingest":
                    # The minute's reading, taken on the minute and sent at this logger's second.
                    body = minute_body(collector, [minute], spec=spec)
                    readings = len(collector.plants) * INVERTERS_PER_PLANT
                else:
                    body, readings = heartbeat_body(time.time(), self.started), 0
                task = await self.start(kind, collector, body, readings, due=due, limit=limit)
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            minute += 60
        if tasks:
            await asyncio.wait(tasks)
        reporter.cancel()
        self.flush(before=math.inf)

    async def backfill(self) -> None:
        spec = self.spec
        first = int(spec.start // 60 * 60) - 60 * spec.backfill_minutes
        minutes = list(range(first, first + 60 * spec.backfill_minutes, 60))
        limit = asyncio.Semaphore(BACKFILL_IN_FLIGHT)
        tasks = []
        for collector in spec.collectors:
            body = minute_body(collector, minutes, spec=spec)
            readings = len(collector.plants) * INVERTERS_PER_PLANT * len(minutes)
            tasks.append(
                await self.start("ingest", collector, body, readings, due=time.time(), limit=limit)
            )
        if tasks:
            await asyncio.wait(tasks)
        self.flush(before=math.inf)

    async def report_every_minute(self) -> None:
        while True:
            now = time.time()
            await asyncio.sleep(60 - now % 60 + 0.5)
            self.flush(before=time.time() // 60 * 60)

    def flush(self, *, before: float) -> None:
        for minute in sorted(m for m in self.buckets if m < before):
            self.queue.put(("minute", self.buckets.pop(minute).as_dict(minute)))


def sender_run(spec: SenderSpec, queue) -> None:
    """The entry point of a sender process."""
    sender = Sender(spec, queue)
    asyncio.run(sender.backfill() if spec.backfill_minutes else sender.live())
    usage = resource.getrusage(resource.RUSAGE_SELF)
    queue.put(("done", {"cpu_seconds": usage.ru_utime + usage.ru_stime, "unsent": sender.unsent}))
