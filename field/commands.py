"""Remote commands (the old command queue): queue, cancel, hand out, report, expire.

Every state change is a guarded UPDATE ("only if it is still in the state I read"), as
healthchecks claims its flips: two collector polls never get the same command, a cancel and a
hand-out racing each other leave exactly one winner, and a result reported twice is recorded
once. Each change also writes a CommandEvent in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from events.models import Channel, EventType, Notification
from events.notify import event_record
from events.outbox import outbox_enqueue
from monitoring.models import Collector, Command, CommandEvent, Inverter, PowerStation

MAX_TTL_MINUTES = 24 * 60
MAX_MESSAGE_CHARS = 2000
HAND_OUT_LIMIT = 20
# Completed commands that changed something on site are events (401); "read now" is not.
EVENT_KINDS = (
    Command.Kind.RESET_INVERTER,
    Command.Kind.RESTART_COLLECTOR,
    Command.Kind.SET_POWER_LIMIT,
)


@dataclass
class CommandRefused(Exception):
    """A request that cannot be carried out; `code` for programs, `message` for people."""

    code: str
    message: str
    status: int = 400
    field: str | None = None

    def __str__(self) -> str:
        return self.message


# --- operators ---------------------------------------------------------------------------------
def command_queue(
    *,
    user,
    station: PowerStation,
    kind: str,
    inverter_number: int | None = None,
    params: dict | None = None,
    ttl_minutes: int | None = None,
    now: datetime | None = None,
) -> Command:
    """Queue a command for a plant (or one of its inverters) on behalf of an operator."""
    now = now or timezone.now()
    command_permission_check(user=user)
    if kind not in Command.Kind.values:
        raise CommandRefused(
            "unknown_kind",
            _("kind must be one of: %(kinds)s.") % {"kinds": ", ".join(Command.Kind.values)},
            field="kind",
        )
    inverter = _target_inverter(station, kind, inverter_number)
    params = _checked_params(kind, params)
    ttl = _checked_ttl(ttl_minutes)
    command = Command(
        station=station,
        inverter=inverter,
        kind=kind,
        params=params,
        requested_by=user,
        created_at=now,
        expires_at=now + timedelta(minutes=ttl),
        open_key=Command.key_for(station.pk, inverter.pk if inverter else None, kind),
    )
    try:
        with transaction.atomic():
            command.save()
            CommandEvent.objects.create(command=command, state=Command.State.QUEUED, at=now,
                                        user=user)  # fmt: skip
    except IntegrityError:
        raise CommandRefused(
            "command_pending",
            _("The same command is already waiting for this target; cancel it or wait for it."),
            status=409,
        ) from None
    return command


def command_permission_check(*, user) -> None:
    """Operators and administrators give commands; plant owners may only look at them."""
    if not (user.is_authenticated and user.is_active and user.sees_all_stations):
        raise CommandRefused(
            "permission_denied",
            _("Only operators and administrators can give or cancel remote commands."),
            status=403,
        )


def _kind_name(kind: str) -> str:
    """A command in words for a sentence ("Reset inverter"), not its code."""
    return str(Command.Kind(kind).label) if kind in Command.Kind.values else kind


def _target_inverter(station: PowerStation, kind: str, number: int | None) -> Inverter | None:
    if number is None:
        if kind in (Command.Kind.RESET_INVERTER, Command.Kind.SET_POWER_LIMIT):
            raise CommandRefused(
                "inverter_required",
                _("%(kind)s needs the inverter number.") % {"kind": _kind_name(kind)},
                field="inverter",
            )
        return None
    if kind not in Command.INVERTER_KINDS:
        raise CommandRefused(
            "inverter_not_allowed",
            _("%(kind)s is for the whole plant; leave out the inverter.")
            % {"kind": _kind_name(kind)},
            field="inverter",
        )
    if isinstance(number, bool) or not isinstance(number, int):
        raise CommandRefused(
            "invalid_inverter", _("inverter must be a whole number."), field="inverter"
        )
    inverter = station.inverters.filter(number=number).first()
    if inverter is None:
        raise CommandRefused(
            "unknown_inverter",
            _("Plant %(code)s has no inverter %(number)s.")
            % {"code": station.code, "number": number},
            field="inverter",
        )
    return inverter


def _checked_params(kind: str, params: dict | None) -> dict:
    params = {} if params is None else params
    if not isinstance(params, dict):
        raise CommandRefused("invalid_params", _("params must be an object."), field="params")
    if kind != Command.Kind.SET_POWER_LIMIT:
        if params:
            raise CommandRefused(
                "invalid_params", _("%(kind)s takes no parameters.") % {"kind": _kind_name(kind)},
                field="params",
            )  # fmt: skip
        return {}
    percent = params.get("percent")
    if (
        set(params) != {"percent"}
        or isinstance(percent, bool)
        or not isinstance(percent, int | float)
        or not 0 <= percent <= 100
    ):
        raise CommandRefused(
            "invalid_params",
            _('%(kind)s needs exactly one parameter, "percent", a number from 0 to 100.')
            % {"kind": _kind_name(kind)},
            field="params",
        )
    return {"percent": percent}


def _checked_ttl(ttl_minutes: int | None) -> int:
    if ttl_minutes is None:
        return settings.COMMAND_TTL_MINUTES
    if isinstance(ttl_minutes, bool) or not isinstance(ttl_minutes, int) or not (
        1 <= ttl_minutes <= MAX_TTL_MINUTES
    ):
        raise CommandRefused(
            "invalid_ttl",
            _("ttl_minutes must be a whole number from 1 to %(max)s.") % {"max": MAX_TTL_MINUTES},
            field="ttl_minutes",
        )
    return ttl_minutes


def command_cancel(*, user, command: Command, now: datetime | None = None) -> Command:
    """Cancel a command while it is still queued (a collector may already be carrying out a
    sent one, so that can no longer be taken back)."""
    now = now or timezone.now()
    command_permission_check(user=user)
    with transaction.atomic():
        changed = _transition(
            command, frm=[Command.State.QUEUED], to=Command.State.CANCELLED, now=now, user=user
        )
    if not changed:
        command.refresh_from_db()
        raise CommandRefused(
            "not_cancellable",
            _("Only a queued command can be cancelled; this one is %(state)s.")
            % {"state": command.get_state_display()},
            status=409,
        )
    command.refresh_from_db()
    return command


# --- collectors --------------------------------------------------------------------------------
def commands_hand_out(
    *, collector: Collector, now: datetime | None = None, limit: int = HAND_OUT_LIMIT
) -> list[Command]:
    """The commands this collector should carry out now, each marked sent to it.

    Queued commands of its plants, and sent ones that got no result within
    COMMAND_RESULT_WAIT_SECONDS (the collector that took them died), up to
    COMMAND_MAX_ATTEMPTS. An inverter assigned to another collector is left to that one.
    """
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.COMMAND_RESULT_WAIT_SECONDS)
    candidates = (
        Command.objects.filter(
            station__in=collector.stations.values("id"),
            expires_at__gt=now,
        )
        .filter(
            Q(state=Command.State.QUEUED)
            | Q(
                state=Command.State.SENT,
                sent_at__lte=stale,
                attempts__lt=settings.COMMAND_MAX_ATTEMPTS,
            )
        )
        .filter(
            Q(inverter__isnull=True)
            | Q(inverter__collector__isnull=True)
            | Q(inverter__collector=collector)
        )
        .order_by("created_at", "id")
        .values_list("id", "state", "attempts")[:limit]
    )
    handed = []
    for command_id, state, attempts in candidates:
        with transaction.atomic():
            # The attempts guard makes a re-send claimable once, even by two polls at once.
            claimed = Command.objects.filter(id=command_id, state=state, attempts=attempts).update(
                state=Command.State.SENT, attempts=F("attempts") + 1, sent_at=now,
                collector=collector,
            )  # fmt: skip
            if claimed:
                message = "" if attempts == 0 else _("handed out again (attempt %(n)s)") % {
                    "n": attempts + 1
                }
                CommandEvent.objects.create(
                    command_id=command_id, state=Command.State.SENT, at=now,
                    collector=collector, message=message,
                )  # fmt: skip
                handed.append(command_id)
    return list(
        Command.objects.filter(id__in=handed)
        .select_related("station", "inverter")
        .order_by("created_at", "id")
    )


def command_result(
    *,
    collector: Collector,
    command_id: int,
    succeeded: bool,
    message: str = "",
    now: datetime | None = None,
) -> Command:
    """Record what the collector reports. A second report of the same outcome (the answer to
    the first one got lost) changes nothing and raises nothing."""
    now = now or timezone.now()
    command = (
        Command.objects.filter(id=command_id, station__in=collector.stations.values("id"))
        .select_related("station", "inverter")
        .first()
    )
    if command is None:
        raise CommandRefused(
            "unknown_command",
            _("Command %(id)s is not one of this collector's.") % {"id": command_id},
            status=404,
        )
    outcome = Command.State.SUCCEEDED if succeeded else Command.State.FAILED
    message = message[:MAX_MESSAGE_CHARS]
    with transaction.atomic():
        # A result arriving after the time to live still tells the truth about the device.
        changed = _transition(
            command,
            frm=[Command.State.SENT, Command.State.EXPIRED],
            to=outcome,
            now=now,
            collector=collector,
            message=message,
            extra={"result": message},
            guard=Q(collector=collector, sent_at__isnull=False),
        )
        if changed and succeeded and command.kind in EVENT_KINDS:
            command.state, command.result, command.finished_at = outcome, message, now
            _completion_record(command, now=now)
    command.refresh_from_db()
    if not changed and command.state != outcome:
        raise CommandRefused(
            "not_sent_to_you",
            _("Command %(id)s is %(state)s and not waiting for this collector's result.")
            % {"id": command_id, "state": command.get_state_display()},
            status=409,
        )
    return command


def _completion_record(command: Command, *, now: datetime) -> None:
    """Event 401, told per the event type's channels; a reset also texts the plant's phone."""
    details = {"command": command.pk, "kind": command.kind, "message": command.result}
    entry = event_record(
        code=EventType.COMMAND_COMPLETED,
        station=command.station,
        inverter=command.inverter,
        details=details,
        now=now,
    )
    phone = command.station.sms_phone
    if command.kind != Command.Kind.RESET_INVERTER or not phone:
        return
    event_type = EventType.objects.filter(code=EventType.COMMAND_COMPLETED).first()
    if event_type is None or not event_type.allows(Channel.SMS):
        return
    text = reset_sms_text(command, at=now)
    # The key of the event's own SMS to this number: when the phone is also an owner's, the
    # owner gets one message, not two.
    outbox_enqueue([
        Notification(
            idempotency_key=f"l{entry.id}:{Channel.SMS}:{phone}",
            channel=Channel.SMS,
            recipient=phone,
            station=command.station,
            transition=Notification.Transition.INFO,
            subject=text[:200],
            body=text,
            next_attempt_at=now,
        )
    ])  # fmt: skip


def reset_sms_text(command: Command, *, at: datetime) -> str:
    station = command.station
    local = timezone.localtime(at, station.tz)
    with translation.override(settings.LANGUAGE_CODE):
        return _("[%(station)s] Inverter %(number)s reset completed %(time)s") % {
            "station": station.name,
            "number": command.inverter.number if command.inverter else "-",
            "time": f"{local:%H:%M}",
        }


# --- the job -----------------------------------------------------------------------------------
def commands_expire(*, now: datetime | None = None) -> int:
    """Queued or sent commands past their time to live become expired; returns how many."""
    now = now or timezone.now()
    due = Command.objects.filter(state__in=Command.OPEN, expires_at__lte=now).values_list(
        "id", flat=True
    )
    expired = 0
    for command in Command.objects.filter(id__in=list(due)):
        with transaction.atomic():
            expired += _transition(
                command,
                frm=list(Command.OPEN),
                to=Command.State.EXPIRED,
                now=now,
                message=_("Not carried out within its time to live."),
            )
    return expired


def _transition(
    command: Command,
    *,
    frm: list[str],
    to: str,
    now: datetime,
    user=None,
    collector: Collector | None = None,
    message: str = "",
    extra: dict | None = None,
    guard: Q | None = None,
) -> int:
    """Move the command from one of `frm` to `to` if nobody moved it first; log the change."""
    rows = Command.objects.filter(id=command.pk, state__in=frm)
    if guard is not None:
        rows = rows.filter(guard)
    fields = {"state": to, **(extra or {})}
    if to not in Command.OPEN:
        fields.update(open_key=None, finished_at=now)
    changed = rows.update(**fields)
    if changed:
        CommandEvent.objects.create(
            command=command, state=to, at=now, user=user, collector=collector, message=message
        )
    return changed


# --- reads -------------------------------------------------------------------------------------
def station_commands(station: PowerStation, *, limit: int | None = None) -> QuerySet[Command]:
    """A plant's commands, newest first, with who asked and every state change (the plant
    page's command history and the API's list read this)."""
    commands = (
        Command.objects.filter(station=station)
        .select_related("inverter", "requested_by", "collector")
        .prefetch_related(
            Prefetch("history", queryset=CommandEvent.objects.select_related("user", "collector"))
        )
    )
    return commands[:limit] if limit else commands
