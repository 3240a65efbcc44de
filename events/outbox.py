"""The outbox: the one way in for every message, and sending, one channel per run.

Into it: every message (an alarm's, an escalation, a storm summary, a command's SMS, a monthly
report) is a `Notification` row queued by `outbox_enqueue`, with an idempotency key unique in
the table, so queueing the same message twice (a job run again, two runs at once) keeps one
row. Who is told and what they read are worked out before (events/notify.py); the admin's
"send again" puts rows back through `notifications_retry`.

Out of it: one channel per run, one claimed row at a time, within a time budget. Each channel
(e-mail, SMS, webhook) has its own send job, so a mail server that hangs delays e-mail only;
nothing here waits on another channel's peer.

1. Rows whose claim is older than CLAIM_EXPIRY belong to a sender that died (the job's timeout
   killed it, the server stopped): they go back to the queue. A send job is killed at the
   latest 55 s after it started, so an older claim is never a live sender's. An SMS of such a
   row is looked up at the provider before it is sent again (events/sms.py).
2. The due rows of the channel are claimed one at a time with a guarded UPDATE (as
   healthchecks' sendalerts does): only the sender whose UPDATE changed the row sends it, so
   two senders running at once never send one row twice, and no row waits claimed while
   another is being sent.
3. No row is started once the run's budget (NOTIFY_RUN_SECONDS) is spent; every network call
   has its own timeout, so the run ends within the budget plus one message's longest wait.
   Rows not reached stay in the queue, untouched, for the next run.
4. A failure is recorded on the row, which waits 1, 2, 4 ... 60 minutes and is tried again up
   to NOTIFY_MAX_ATTEMPTS times. When the channel has a single peer (the mail server, the SMS
   provider), a failure that may pass ends the run: the peer is down, and trying every other
   row now would only spend the budget on timeouts. An SMS whose outcome is unknown is never
   given up before a later attempt has looked it up.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, QuerySet
from django.utils import timezone

from events.models import Channel, Notification
from events.transports import TRANSPORTS, TransportError

CLAIM_EXPIRY = timedelta(minutes=2)
MAX_BACKOFF_MINUTES = 60
CLAIM_CANDIDATES = 10  # rows looked at per claim, so a sender racing another still finds one


@dataclass
class SendResult:
    escalated: int = 0
    sent: int = 0
    retrying: int = 0
    gave_up: int = 0
    left: int = 0  # due rows not reached in this run
    stopped: str = ""  # why the run ended early

    @property
    def summary(self) -> str:
        text = f"{self.sent} sent, {self.retrying} to retry, {self.gave_up} gave up"
        if self.left:
            text += f", {self.left} left for the next run"
        if self.escalated:
            text += f", {self.escalated} alarms escalated"
        if self.stopped:
            text += f"; stopped: {self.stopped}"
        return text

    def add(self, other: SendResult) -> None:
        for name in ("sent", "retrying", "gave_up", "left"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.stopped = "; ".join(s for s in (self.stopped, other.stopped) if s)


def outbox_enqueue(rows: list[Notification]) -> int:
    """Queue these messages; one whose idempotency key is already in the outbox is left out.
    Returns how many are new."""
    keys = [row.idempotency_key for row in rows]
    existing = set(
        Notification.objects.filter(idempotency_key__in=keys).values_list(
            "idempotency_key", flat=True
        )
    )
    new = {row.idempotency_key: row for row in rows if row.idempotency_key not in existing}
    # ignore_conflicts: a row another process wrote since the read above stays the only one.
    Notification.objects.bulk_create(new.values(), ignore_conflicts=True)
    return len(new)


def notifications_retry(*, rows: QuerySet[Notification], now: datetime) -> int:
    """Give messages that gave up a fresh start at the next send run; returns how many."""
    return rows.filter(status=Notification.Status.GAVE_UP).update(
        status=Notification.Status.PENDING, attempts=0, next_attempt_at=now
    )


def outbox_send(
    *, channel: str, now: datetime | None = None, budget: float | None = None
) -> SendResult:
    """Send the due rows of one channel until none is left, the peer fails, or time is up."""
    now = now or timezone.now()
    stop_at = time.monotonic() + (settings.NOTIFY_RUN_SECONDS if budget is None else budget)
    claims_expire(channel=channel, now=now)
    result = SendResult()
    transport = TRANSPORTS[channel]()
    try:
        for _ in range(settings.NOTIFY_BATCH_SIZE):
            if time.monotonic() >= stop_at:
                result.left = _due(channel, now).count()
                break
            row = notification_claim(channel=channel, now=now)
            if row is None:
                break
            try:
                provider_id = transport.send(row)
            except TransportError as exc:
                failure_record(row, exc, now=now, result=result)
                if transport.single_peer and not exc.permanent:
                    result.stopped = str(exc)[:200]
                    break
            else:
                Notification.objects.filter(id=row.id).update(
                    status=Notification.Status.SENT,
                    sent_at=timezone.now(),
                    provider_message_id=provider_id[:100],
                    last_error="",
                )
                result.sent += 1
        else:
            result.left = _due(channel, now).count()
    finally:
        transport.close()
    return result


def _due(channel: str, now: datetime):
    return Notification.objects.filter(
        channel=channel, status=Notification.Status.PENDING, next_attempt_at__lte=now
    )


def claims_expire(*, channel: str, now: datetime) -> int:
    return Notification.objects.filter(
        channel=channel, status=Notification.Status.SENDING, claimed_at__lt=now - CLAIM_EXPIRY
    ).update(status=Notification.Status.PENDING)


def notification_claim(*, channel: str, now: datetime) -> Notification | None:
    """The next due row of the channel, claimed with a guarded UPDATE, or None."""
    candidates = _due(channel, now).order_by("next_attempt_at", "id")
    for row_id in candidates.values_list("id", flat=True)[:CLAIM_CANDIDATES]:
        if Notification.objects.filter(id=row_id, status=Notification.Status.PENDING).update(
            status=Notification.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
        ):
            return Notification.objects.get(id=row_id)
    return None


def failure_record(
    row: Notification, exc: TransportError, *, now: datetime, result: SendResult
) -> None:
    # An unknown outcome is never the last word: the next attempt looks it up and settles it.
    if exc.permanent or (row.attempts >= settings.NOTIFY_MAX_ATTEMPTS and not exc.unknown):
        status, next_attempt = Notification.Status.GAVE_UP, row.next_attempt_at
        result.gave_up += 1
    else:
        backoff = min(2 ** (row.attempts - 1), MAX_BACKOFF_MINUTES)
        status, next_attempt = Notification.Status.PENDING, now + timedelta(minutes=backoff)
        result.retrying += 1
    Notification.objects.filter(id=row.id).update(
        status=status, next_attempt_at=next_attempt, last_error=str(exc)[:2000]
    )


def outbox_send_all(*, now: datetime | None = None) -> SendResult:
    """Every channel in turn (a hand run or a test; the jobs send each channel on its own)."""
    now = now or timezone.now()
    result = SendResult()
    for channel in Channel.values:
        result.add(outbox_send(channel=channel, now=now))
    return result
