"""Fault: two job clusters run the real schedule on the same databases and queue at once.

Two `manage.py qcluster` processes share the test databases and one Redis queue (a queue name
of their own, so nothing else on that Redis is touched; without Redis they share the ORM
broker; FAULTS_REDIS_URL names another Redis, empty for the ORM broker). The schedule is the
real one, in real time: FAULTS_CLUSTER_SLOTS one-minute slots (default 3; 5 reproduces the
five minutes of the original report). Meanwhile three plants' collectors fall silent (their
alarms are raised by the clusters' own detection) and a backlog of e-mail, SMS and webhooks
is due.

Every per-minute job must run exactly once in every slot, and every message must reach its
peer exactly once.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta

import pytest
import redis
from django.utils import timezone
from django_q.models import Schedule, Task

from events.models import Notification
from events.outbox import outbox_enqueue
from jobs.models import JobRun
from jobs.schedules import RUNNER, next_cron_time
from monitoring.models import Collector
from solarsite.schedules import JOBS
from tests.events.servers import SmtpServer, WebhookReceiver
from tests.events.world import World, free_port
from tests.faults.peers_cluster import Cluster
from tests.faults.peers_solapi import SOLAPI_KEY, SOLAPI_SECRET, SOLAPI_SENDER, SolapiStandIn

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"], transaction=True)

SLOTS = int(os.environ.get("FAULTS_CLUSTER_SLOTS", "3"))
# The queue's Redis; empty (or a Redis that does not answer): the ORM broker on the database.
REDIS_URL = os.environ.get("FAULTS_REDIS_URL", "redis://127.0.0.1:6379/0")
HOOK_SECRET = "hook-secret-for-the-cluster-test"
EVERY_MINUTE = [job.name for job in JOBS if job.cron == "* * * * *"]


def redis_answers() -> bool:
    if not REDIS_URL:
        return False
    try:
        return redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping()
    except redis.RedisError:
        return False


def wait_for(condition, *, until: datetime, clusters: list[Cluster], what: str):
    while timezone.now() < until:
        if value := condition():
            return value
        for cluster in clusters:
            assert cluster.alive(), f"cluster {cluster.name} exited:\n{cluster.log}"
        time.sleep(0.5)  # polling for a condition with a deadline
    unsent = list(Notification.objects.exclude(status="sent").values_list("channel", "last_error"))
    logs = "\n".join(f"--- {c.name}\n{c.log[-3000:]}" for c in clusters)
    raise AssertionError(f"{what} did not happen by {until:%H:%M:%S}; unsent: {unsent[:5]}\n{logs}")


def backlog(*, webhook_url: str, now: datetime) -> int:
    rows = [
        Notification(channel=channel, recipient=recipient, transition="info",
                     subject=f"backlog {n}", body=json.dumps({"backlog": n}),
                     next_attempt_at=now, idempotency_key=f"backlog:{channel}:{n}")  # fmt: skip
        for n in range(15)
        for channel, recipient in (
            ("email", f"reader{n}@example.com"),
            ("sms", f"+8210555500{n:02}"),
            ("webhook", f"{webhook_url}/{n}"),
        )
    ]
    return outbox_enqueue(rows)


def first_slot_after(seconds: float) -> datetime:
    """Wait until the clusters' first look at the schedule (30 s after they start) will fall
    just after a minute boundary; that boundary is the first slot."""
    while True:
        now = timezone.now()
        if 28 <= now.second < 31:
            return next_cron_time("* * * * *", after=now + timedelta(seconds=seconds))
        time.sleep(0.2)  # waiting for the clock, not for a race


def test_two_clusters_run_each_slot_once_and_deliver_each_message_once(tmp_path):
    smtp = SmtpServer(free_port())
    smtp.start()
    solapi = SolapiStandIn()
    hooks = WebhookReceiver(HOOK_SECRET)
    use_redis = redis_answers()
    queue = f"faults-{uuid.uuid4().hex[:10]}"
    env = {
        "REDIS_URL": REDIS_URL if use_redis else "",
        "Q_QUEUE_NAME": queue,
        "Q_WORKERS": "2",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
        "SMS_BACKEND": "solapi",
        "SOLAPI_API_KEY": SOLAPI_KEY,
        "SOLAPI_API_SECRET": SOLAPI_SECRET,
        "SOLAPI_SENDER": SOLAPI_SENDER,
        "SOLAPI_BASE_URL": solapi.url,
        "WEBHOOK_SECRET": HOOK_SECRET,
        "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
    }
    clusters = [Cluster(name, tmp_path, env) for name in ("a", "b")]

    plants = [World(code=f"C{n:03}") for n in range(3)]
    silent_since = timezone.now() - timedelta(minutes=20)
    Collector.objects.filter(id__in=[p.collector.id for p in plants]).update(last_seen=silent_since)
    queued = backlog(webhook_url=hooks.url, now=timezone.now())

    first = first_slot_after(seconds=3)
    for schedule in Schedule.objects.filter(func=RUNNER):
        schedule.next_run = next_cron_time(schedule.cron, after=first - timedelta(seconds=1))
        schedule.save()
    slots = [first + timedelta(minutes=n) for n in range(SLOTS)]
    try:
        for cluster in clusters:
            cluster.start()
        # Every per-minute job has finished its run of the last slot ...
        wait_for(
            lambda: JobRun.objects.filter(scheduled_for=slots[-1], name__in=EVERY_MINUTE)
            .exclude(status="running").count() == len(EVERY_MINUTE),
            until=slots[-1] + timedelta(seconds=150), clusters=clusters,
            what=f"every per-minute job's run for {slots[-1]:%H:%M}",
        )  # fmt: skip
        # ... and the messages the alarms queued meanwhile are out (at the next slot at most).
        wait_for(
            lambda: not Notification.objects.exclude(status="sent").exists(),
            until=slots[-1] + timedelta(seconds=150), clusters=clusters,
            what="every message sent",
        )  # fmt: skip
    finally:
        for cluster in clusters:
            cluster.stop()
        if use_redis:
            connection = redis.Redis.from_url(REDIS_URL)
            for key in connection.scan_iter(f"django_q:{queue}:*"):
                connection.delete(key)
        smtp.stop()
        solapi.close()
        hooks.close()

    # Each slot's task was created once, and each slot ran once.
    tasks = Counter(
        (task.group, task.kwargs.get("scheduled_for")) for task in Task.objects.filter(func=RUNNER)
    )
    runs = Counter((run.name, run.scheduled_for) for run in JobRun.objects.all())
    skipped = JobRun.objects.filter(summary__startswith="skipped").count()
    missing = [(name, slot) for name in EVERY_MINUTE for slot in slots
               if runs[(name, slot)] != 1]  # fmt: skip
    failed = list(JobRun.objects.exclude(status="ok").values_list("name", "error"))

    rows = list(Notification.objects.all())
    mail_ids = Counter(message["Message-ID"] for _rcpts, message in smtp.inbox.messages)
    per_sms = solapi.deliveries_per_reference()
    per_hook = Counter(headers.get("Idempotency-Key") for _path, headers in hooks.requests)
    by_channel = Counter(row.channel for row in rows)
    twice = sum(1 for c in (*mail_ids.values(), *per_sms.values(), *per_hook.values()) if c > 1)
    created = [cluster.log.count("created task") for cluster in clusters]
    processed = [cluster.tasks_processed() for cluster in clusters]
    print(
        f"\ntwo clusters ({'Redis' if use_redis else 'ORM broker'}), {SLOTS} one-minute slots "
        f"from {timezone.localtime(first):%H:%M}: {sum(runs.values())} scheduled runs, "
        f"{sum(1 for c in tasks.values() if c > 1)} slots handed out twice, {skipped} runs "
        f"skipped as repeats, {len(missing)} per-minute slots missed; tasks created by each "
        f"cluster's scheduler {created}, run by each {processed}; {by_channel['email']} "
        f"e-mails, {by_channel['sms']} SMS, {by_channel['webhook']} webhooks, {twice} delivered "
        f"twice"
    )
    assert queued == 45 and failed == []
    assert set(tasks.values()) == {1} and skipped == 0
    assert missing == []
    assert max(runs.values()) == 1
    assert sum(created) == sum(tasks.values()) == sum(processed)
    assert Notification.objects.filter(alarm__event_type_id=301).exists()  # raised meanwhile
    assert {row.status for row in rows} == {"sent"}
    assert len(mail_ids) == by_channel["email"] and set(mail_ids.values()) == {1}
    assert len(per_sms) == by_channel["sms"] and set(per_sms.values()) == {1}
    assert len(per_hook) == by_channel["webhook"] and set(per_hook.values()) == {1}
