"""What the soak runs, and how it looks at it: the deployment on this machine.

`Deployment.up()` creates throw-away MariaDB databases, claims an empty Redis database,
migrates (which writes the job table into django-q2's schedules), and starts an SMTP server
for the alarm e-mails, gunicorn and `manage.py qcluster` on the real settings with DEBUG off,
each in a session of its own; `down()` stops them by process group, deletes the Redis keys the
soak wrote and drops the databases. `Deployment.fleet_grow()` is the only place that writes
through the ORM (by app label and model name); everything else uses HTTP, manage.py,
environment variables, the job-run and schedule tables and /proc.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from soaklib.figures import Run
from soaklib.senders import INVERTERS_PER_PLANT, Collector

BASE_DIR = Path(__file__).resolve().parents[2]
PY = sys.executable
PASSWORD = secrets.token_urlsafe(16)
OPERATOR = "soak-operator"
PLANTS_PER_OWNER = 3
READINGS_TABLE = "generation_inverterreading"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

# --- the deployment -------------------------------------------------------------------------


def prefix_claim(prefix: str):
    """Hold the databases of this prefix for as long as the process lives: a second soak on the
    same names would drop them under the first one's feet when it ends (or the first would)."""
    (BASE_DIR / "var").mkdir(exist_ok=True)
    handle = (BASE_DIR / "var" / f"soak-{prefix}.lock").open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise SystemExit(
            f"Another soak is using the databases {prefix} and {prefix}_tel: wait for it to end "
            "(it drops them), or give this one its own --prefix."
        ) from None
    return handle


class Deployment:
    """Databases, Redis database, fleet, SMTP sink, gunicorn and qcluster of one soak."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.base = os.environ.get("MARIADB_URL", "mysql://root@127.0.0.1:3306/").rstrip("/")
        self.names = (args.prefix, f"{args.prefix}_tel")
        (BASE_DIR / "var").mkdir(exist_ok=True)
        self.logs = Path(tempfile.mkdtemp(prefix="soak-", dir=BASE_DIR / "var"))
        self.services: dict[str, subprocess.Popen] = {}
        self.collectors: list[Collector] = []
        self.codes: list[str] = []
        self.redis_db: int | None = None
        self.smtp = None
        self.pages: PageClient | None = None
        self.url = ""
        self.django_ready = False
        self.kept_up = True  # every measured window so far kept up

    def up(self) -> None:
        self.databases_reset(create=True)
        self.redis_db = redis_database_claim()
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.env = self.environment(port)
        os.environ.update(self.env)
        print(
            f"== databases {', '.join(self.names)}, Redis database {self.redis_db}, "
            f"logs in {self.logs}"
        )
        started = time.monotonic()
        for database in ("default", "telemetry"):
            subprocess.run(
                [PY, "manage.py", "migrate", "--database", database, "--skip-checks", "-v0"],
                cwd=BASE_DIR,
                env=self.env,
                check=True,
            )
        print(f"== migrated in {time.monotonic() - started:.0f} s")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "solarsite.settings")
        import django

        django.setup()
        self.django_ready = True
        operator_create()
        self.smtp = smtp_sink(self.env["EMAIL_URL"])
        self.start_services(port)

    def environment(self, port: int) -> dict[str, str]:
        smtp_port = free_port()
        env = dict(os.environ)
        env.update(
            {
                "DATABASE_URL": f"{self.base}/{self.names[0]}",
                "TELEMETRY_DATABASE_URL": f"{self.base}/{self.names[1]}",
                "REDIS_URL": f"redis://127.0.0.1:6379/{self.redis_db}",
                "DEBUG": "false",
                "SECRET_KEY": secrets.token_urlsafe(50),
                "ALLOWED_HOSTS": "127.0.0.1",
                "SITE_URL": f"http://127.0.0.1:{port}",
                # Plain HTTP on the loopback: TLS belongs to the proxy in front of a real site.
                "SECURE_SSL_REDIRECT": "false",
                "SESSION_COOKIE_SECURE": "false",
                "CSRF_COOKIE_SECURE": "false",
                "SECURE_HSTS_SECONDS": "0",
                "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
                "SMS_BACKEND": "console",
                "LOG_LEVEL": "WARNING",
            }
        )
        if self.args.q_workers:
            env["Q_WORKERS"] = str(self.args.q_workers)
        return env

    def start_services(self, port: int) -> None:
        a = self.args
        gunicorn = [
            PY,
            "-m",
            "gunicorn",
            "--workers",
            str(a.workers),
            "--worker-class",
            a.worker_class,
            "--threads",
            str(a.threads),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "solarsite.wsgi",
        ]
        qcluster = [PY, "manage.py", "qcluster"]
        for name, command, env in (
            ("gunicorn", gunicorn, self.env),
            ("qcluster", qcluster, dict(self.env, LOG_LEVEL="INFO")),
        ):
            with open(self.logs / f"{name}.log", "wb") as log:
                self.services[name] = subprocess.Popen(
                    command,
                    cwd=BASE_DIR,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
        health_wait(self.url, self.services["gunicorn"])
        self.pages = PageClient(
            self.url,
            per_minute=self.args.page_requests,
            codes=self.codes,
            workers=self.args.workers,
        )
        self.pages.start()

    def down(self) -> None:
        if self.pages:
            self.pages.stop.set()
            self.pages.join(timeout=40)
        for name, process in self.services.items():
            process_group_stop(process)
            print(f"== {name} stopped")
        if self.smtp:
            self.smtp.stop()
        if self.redis_db is not None:
            redis_database_release(self.redis_db)
        if self.django_ready:
            from django.db import connections

            connections.close_all()
        self.logs_tidy()
        if self.args.keep:
            print(f"== kept databases {', '.join(self.names)} (--keep)")
        else:
            self.databases_reset(create=False)
            print(f"== dropped databases {', '.join(self.names)}")

    def logs_tidy(self) -> None:
        """Say how many error lines each service logged; keep the logs only when they may be
        needed (something did not keep up, or --keep)."""
        counts = []
        for name in self.services:
            text = (self.logs / f"{name}.log").read_text(errors="replace")
            counts.append(f"{name} {len(re.findall(r' ERROR |Traceback', text))}")
        if self.kept_up and not self.args.keep:
            shutil.rmtree(self.logs)
            print(f"== error lines in the logs: {', '.join(counts)}")
        else:
            print(f"== error lines in the logs: {', '.join(counts)}; logs kept in {self.logs}")

    def databases_reset(self, *, create: bool) -> None:
        """Drop the soak's databases on the MariaDB server, and create them afresh."""
        import MySQLdb

        server = urlsplit(self.base)
        conn = MySQLdb.connect(
            host=server.hostname or "127.0.0.1",
            port=server.port or 3306,
            user=unquote(server.username or "root"),
            passwd=unquote(server.password or ""),
        )
        with conn.cursor() as cursor:
            for name in self.names:
                cursor.execute(f"DROP DATABASE IF EXISTS {name}")
                if create:
                    cursor.execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4")
        conn.close()

    def fleet_grow(self, plants: int) -> None:
        started = time.monotonic()
        added = fleet_add(
            first=len(self.codes), last=plants, per_collector=self.args.plants_per_collector
        )
        loggers = [(c.token, c.plants) for c in self.collectors]
        for token, plant_codes in added:
            loggers.append((token, tuple(enumerate(plant_codes, start=len(self.codes)))))
            self.codes.extend(plant_codes)
        # The loggers' clocks spread their sends evenly over the minute.
        self.collectors[:] = [
            Collector(token=token, plants=plants_of, offset=n * 60 / len(loggers))
            for n, (token, plants_of) in enumerate(loggers)
        ]
        print(
            f"== fleet: {len(self.codes):,} plants, {len(self.codes) * INVERTERS_PER_PLANT:,} "
            f"inverters, {len(self.collectors):,} collectors "
            f"({time.monotonic() - started:.0f} s to write)"
        )

    def pids(self) -> dict[str, list[int]]:
        """Every process of the soak by the part it plays."""
        parents = process_parents()
        groups: dict[str, list[int]] = {}
        for name, process in self.services.items():
            descendants = process_descendants(process.pid, parents)
            if name == "gunicorn":
                groups["gunicorn master"] = [process.pid]
                groups["gunicorn workers"] = descendants
            else:
                groups[name] = [process.pid, *descendants]
        groups["MariaDB (shared)"] = [pid for pid in [mariadb_pid()] if pid]
        groups["Redis (shared)"] = [pid for pid in [redis_pid()] if pid]
        groups["harness"] = [os.getpid()]
        return groups


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def health_wait(url: str, server: subprocess.Popen) -> None:
    import httpx

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(url + "/healthz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("gunicorn did not answer /healthz within 90 s; see its log")


def process_group_stop(process: subprocess.Popen) -> None:
    """SIGTERM to the group the process leads (it was started in a session of its own)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


# --- Redis: a database of its own -----------------------------------------------------------

REDIS_CLAIM = "ss_soak_bench:claim"
REDIS_OURS = ("django_q:*", ":1:*", REDIS_CLAIM)  # django-q2's keys, Django's cache, the claim


def redis_database_claim() -> int:
    """The first empty Redis database from 15 down, claimed with a key naming this process."""
    import redis

    for number in range(15, 3, -1):
        client = redis.Redis(host="127.0.0.1", port=6379, db=number)
        if client.dbsize() == 0 and client.set(REDIS_CLAIM, os.getpid(), nx=True):
            return number
    raise SystemExit("No empty Redis database between 4 and 15; the soak needs one of its own.")


def redis_database_release(number: int) -> None:
    """Deletes what the soak wrote: django-q2's and the cache's keys, and the claim."""
    import redis

    client = redis.Redis(host="127.0.0.1", port=6379, db=number)
    if client.get(REDIS_CLAIM) != str(os.getpid()).encode():
        return
    for pattern in REDIS_OURS:
        for key in client.scan_iter(match=pattern, count=1000):
            client.delete(key)


def redis_queue_length(number: int) -> int:
    import redis

    client = redis.Redis(host="127.0.0.1", port=6379, db=number)
    return sum(client.llen(key) for key in client.scan_iter(match="django_q:*:q"))


def redis_pid() -> int | None:
    import redis

    try:
        return int(redis.Redis(host="127.0.0.1", port=6379).info("server")["process_id"])
    except Exception:
        return None


def mariadb_pid() -> int | None:
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT @@pid_file")
            return int(Path(cursor.fetchone()[0]).read_text().strip())
    except Exception:
        return None


# --- the fleet: the only place that writes through the ORM ----------------------------------


def operator_create() -> None:
    User = model("accounts", "User")  # noqa: N806
    User.objects.create_user(
        username=OPERATOR, password=PASSWORD, role="operator", email="operator@example.com"
    )


def fleet_add(*, first: int, last: int, per_collector: int) -> list[tuple[str, list[str]]]:
    """Plants first..last-1 with their owners, collectors and inverters, in bulk; returns each
    new collector's token and plant codes."""
    from django.db import transaction

    indexes = range(first, last)
    groups = [list(indexes[g : g + per_collector]) for g in range(0, len(indexes), per_collector)]
    tokens = [secrets.token_urlsafe(32) for _ in groups]
    with transaction.atomic():
        station_ids = stations_add(indexes, customers=owners_add(indexes))
        collectors_add(groups, tokens, station_ids=station_ids)
        Inverter = model("monitoring", "Inverter")  # noqa: N806
        Inverter.objects.bulk_create(
            (
                Inverter(station_id=station_id, number=n, capacity_kw=50, maker="Soak")
                for station_id in station_ids.values()
                for n in range(1, INVERTERS_PER_PLANT + 1)
            ),
            batch_size=5000,
        )
    return [
        (token, [plant_code(i) for i in group]) for group, token in zip(groups, tokens, strict=True)
    ]


def owners_add(indexes: range) -> dict:
    """A customer with an owner login per three plants; returns the customers by name."""
    from django.contrib.auth.hashers import make_password

    User, Customer = model("accounts", "User"), model("accounts", "Customer")  # noqa: N806
    numbers = sorted({i // PLANTS_PER_OWNER for i in indexes})
    # A step of --find-max may start inside the last step's owner: those rows stay.
    Customer.objects.bulk_create(
        (Customer(name=owner_name(n), email=f"owner{n}@example.com") for n in numbers),
        ignore_conflicts=True,
    )
    customers = Customer.objects.filter(name__startswith="Soak owner ").in_bulk(field_name="name")
    unusable = make_password(None)
    User.objects.bulk_create(
        (
            User(username=f"soak-owner-{n}", role="owner", email=f"owner{n}@example.com",
                 customer=customers[owner_name(n)], password=unusable)
            for n in numbers
        ),
        ignore_conflicts=True,
    )  # fmt: skip
    return customers


def stations_add(indexes: range, *, customers: dict) -> dict[str, int]:
    """The plants, spread over Korea and its regions; returns their ids by code."""
    PowerStation, User = model("monitoring", "PowerStation"), model("accounts", "User")  # noqa: N806
    regions = [value for value, _ in PowerStation._meta.get_field("region").choices]
    operator = User.objects.get(username=OPERATOR)
    PowerStation.objects.bulk_create(
        (
            PowerStation(code=plant_code(i), name=f"Soak plant {i}",
                         region=regions[i % len(regions)],
                         latitude=34.6 + (i % 29) * 0.1, longitude=126.4 + (i % 23) * 0.1,
                         capacity_kwp=300, customer=customers[owner_name(i // PLANTS_PER_OWNER)],
                         manager=operator)
            for i in indexes
        ),
        batch_size=2000,
    )  # fmt: skip
    codes = [plant_code(i) for i in indexes]
    return dict(PowerStation.objects.filter(code__in=codes).values_list("code", "id"))


def collectors_add(groups: list[list[int]], tokens: list[str], *, station_ids: dict) -> None:
    """A collector per group of plants, holding its token's hash like manage.py collector_token."""
    Collector = model("monitoring", "Collector")  # noqa: N806
    Collector.objects.bulk_create(
        (
            Collector(name=f"soak-{plant_code(group[0])}", token_hash=Collector.hash_token(token),
                      token_prefix=token[:8])
            for group, token in zip(groups, tokens, strict=True)
        ),
        batch_size=2000,
    )  # fmt: skip
    names = [f"soak-{plant_code(group[0])}" for group in groups]
    ids = dict(Collector.objects.filter(name__in=names).values_list("name", "id"))
    Serves = Collector.stations.through  # noqa: N806
    Serves.objects.bulk_create(
        (
            Serves(collector_id=ids[f"soak-{plant_code(group[0])}"],
                   powerstation_id=station_ids[plant_code(i)])
            for group in groups
            for i in group
        ),
        batch_size=5000,
    )  # fmt: skip


def model(app_label: str, name: str):
    from django.apps import apps

    return apps.get_model(app_label, name)


def owner_name(number: int) -> str:
    return f"Soak owner {number}"


def plant_code(index: int) -> str:
    return f"S{index:05d}"


# --- the operator's pages -------------------------------------------------------------------


class PageClient(threading.Thread):
    """An operator, logged in through the login page, opening the overview and a plant page.

    Once the fleet exists it warms every gunicorn worker up (a few requests of each page at
    once, not timed), as the morning's first visitors would, then opens the two pages in turn
    `per_minute` times a minute each, until stopped. After each overview it asks for the map's
    dots as the page's script does, with the ETag of the last answer (a 304 while no dot
    changed).
    """

    def __init__(self, url: str, *, per_minute: int, codes: list[str], workers: int):
        super().__init__(daemon=True)
        self.url, self.per_minute, self.codes, self.workers = url, per_minute, codes, workers
        self.stop = threading.Event()
        self.times: list[tuple[float, str, float, str]] = []  # (finished, page, ms, outcome)
        self.map_etag = ""

    def run(self) -> None:
        import httpx

        with httpx.Client(base_url=self.url, timeout=30) as client:
            self.log_in(client)
            while not self.codes:
                if self.stop.wait(1):
                    return
            with ThreadPoolExecutor(self.workers) as pool:
                list(pool.map(lambda n: self.open(client, n), range(4 * self.workers)))
            self.times.clear()
            turn = 0
            while not self.stop.wait(60 / max(1, 2 * self.per_minute)):
                self.open(client, turn)
                turn += 1

    def log_in(self, client) -> None:
        login = client.get("/accounts/login/")
        token = CSRF_FIELD.search(login.text).group(1)
        answer = client.post(
            "/accounts/login/",
            data={"username": OPERATOR, "password": PASSWORD, "csrfmiddlewaretoken": token},
        )
        if answer.status_code != 302:
            raise SystemExit(f"The operator could not log in: {answer.status_code}")

    def open(self, client, turn: int) -> None:
        if turn % 2 == 0:
            self.timed(client, "overview", "/")
            answer = self.timed(client, "map", "/map/", {"If-None-Match": self.map_etag})
            if answer is not None and answer.status_code == 200:
                self.map_etag = answer.headers.get("ETag", "")
        else:
            self.timed(client, "plant", f"/plants/{random.choice(self.codes)}/")

    def timed(self, client, page: str, path: str, headers=None):
        import httpx

        began = time.perf_counter()
        answer = None
        try:
            answer = client.get(path, headers=headers)
            outcome = str(answer.status_code)
        except httpx.HTTPError as exc:
            outcome = type(exc).__name__
        self.times.append((time.time(), page, (time.perf_counter() - began) * 1000, outcome))
        return answer

    def between(self, start: float, end: float) -> list[tuple[float, str, float, str]]:
        return [entry for entry in list(self.times) if start <= entry[0] < end]


# --- an SMTP server that receives the alarms ------------------------------------------------


def smtp_sink(email_url: str):
    from aiosmtpd.controller import Controller

    class Counting:
        received = 0

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
            Counting.received += 1
            return "250 OK"

    port = int(email_url.rsplit(":", 1)[1])
    controller = Controller(Counting(), hostname="127.0.0.1", port=port)
    controller.start()
    controller.received = lambda: Counting.received
    return controller


# --- processes: CPU and memory from /proc ---------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK")


def process_parents() -> dict[int, int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
                )
            except (OSError, IndexError, ValueError):
                continue
    return parents


def process_descendants(pid: int, parents: dict[int, int]) -> list[int]:
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, p in parents.items() if p == parent]
        found.extend(children)
        frontier.extend(children)
    return found


def process_usage(pid: int) -> tuple[float, int] | None:
    """(CPU seconds so far, resident bytes) of a process, None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    rss = re.search(r"VmRSS:\s+(\d+) kB", status)
    return (int(fields[11]) + int(fields[12])) / TICKS, int(rss.group(1)) * 1024 if rss else 0


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / TICKS, sum(values) / TICKS


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


@dataclass
class Usage:
    """CPU and memory of the soak's processes, sampled once a minute."""

    cpu: dict[int, float] = field(default_factory=dict)
    rss: dict[int, int] = field(default_factory=dict)
    peak_rss: dict[int, int] = field(default_factory=dict)
    group_of: dict[int, str] = field(default_factory=dict)

    def rss_max(self, group: str) -> float:
        """MB of the group's largest process at the last sample."""
        sizes = [rss for pid, rss in self.rss.items() if self.group_of[pid] == group]
        return max(sizes, default=0) / 2**20

    def sample(self, groups: dict[str, list[int]]) -> dict[str, float]:
        """CPU seconds each group used since the last sample; remembers peak memory."""
        used: dict[str, float] = defaultdict(float)
        self.rss = {}
        for group, pids in groups.items():
            for pid in pids:
                usage = process_usage(pid)
                if usage is None:
                    continue
                cpu, rss = usage
                # A process not in the first sample (a sender, a new worker) counts from its start.
                used[group] += cpu - self.cpu.get(pid, 0.0)
                self.cpu[pid] = cpu
                self.group_of[pid] = group
                if rss:  # an exited process not yet reaped has CPU time but no memory
                    self.rss[pid] = rss
                    self.peak_rss[pid] = max(self.peak_rss.get(pid, 0), rss)
        return used


# --- reading the records --------------------------------------------------------------------


def readings_stored() -> int:
    from django.db import connections

    with connections["telemetry"].cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {READINGS_TABLE}")
        return cursor.fetchone()[0]


def job_runs(since: float) -> list[Run]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, status, started_at, finished_at, error FROM jobs_jobrun "
            "WHERE started_at >= %s AND `trigger` = 'schedule' ORDER BY started_at",
            [datetime.fromtimestamp(since - 3600, UTC).replace(tzinfo=None)],
        )
        rows = cursor.fetchall()
    return [
        Run(name=name, status=status, started=aware(started), finished=aware(finished), error=error)
        for name, status, started, finished, error in rows
    ]


def schedules() -> list[tuple[str, str, datetime | None]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT name, cron, next_run FROM django_q_schedule ORDER BY name")
        return [(name, cron, aware(next_run)) for name, cron, next_run in cursor.fetchall()]


def aware(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
