"""Who is told: subscriptions, the default for owners and managers, and the administrators.

A user with no subscription of their own gets the default for the stations they own or manage:
every event type, by e-mail, and by SMS when they have a mobile number. A user with
subscriptions gets exactly what those say, for stations they may see. Whether an event type
goes by a channel at all is the event type's choice, applied where the messages are queued
(events/notify.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from django.db.models import Q

from accounts.models import User
from events.models import Channel, Subscription
from monitoring.models import PowerStation
from monitoring.visibility import stations_visible_to


@dataclass(frozen=True)
class Recipient:
    user: User
    channel: str
    address: str
    quiet: tuple[time, time] | None = None


class Audience:
    """The people behind a batch of transitions, read once per batch."""

    def __init__(self, station_ids: set[int]) -> None:
        self.stations = {
            s.id: s
            for s in PowerStation.objects.filter(id__in=station_ids).only(
                "id", "code", "name", "customer_id", "manager_id"
            )
        }
        self.subscriptions = list(
            Subscription.objects.filter(is_active=True, user__is_active=True)
            .select_related("user")
            .prefetch_related("stations", "event_types")
        )
        subscribed = set(Subscription.objects.values_list("user_id", flat=True).distinct())
        customers = {s.customer_id for s in self.stations.values() if s.customer_id}
        managers = {s.manager_id for s in self.stations.values() if s.manager_id}
        people = User.objects.filter(is_active=True).filter(
            Q(customer_id__in=customers) | Q(id__in=managers)
        )
        self.default_people = [p for p in people if p.id not in subscribed]
        self.visible = {
            user.id: set(
                stations_visible_to(user).filter(id__in=station_ids).values_list("id", flat=True)
            )
            for user in {sub.user for sub in self.subscriptions}
        }

    def recipients(self, station_id: int, code: int) -> list[Recipient]:
        station = self.stations[station_id]
        found: list[Recipient] = []
        for person in self.default_people:
            if person.id == station.manager_id or (
                person.customer_id and person.customer_id == station.customer_id
            ):
                found.extend(user_recipients(person))
        for sub in self.subscriptions:
            if station_id not in self.visible.get(sub.user_id, ()):
                continue
            if not sub.all_stations and station_id not in {s.id for s in sub.stations.all()}:
                continue
            codes = {t.code for t in sub.event_types.all()}
            if codes and code not in codes:
                continue
            found.extend(_subscription_recipients(sub))
        unique = {(r.user.id, r.channel, r.address): r for r in found}
        return list(unique.values())


def user_recipients(user: User) -> list[Recipient]:
    """A person told directly (the default, an escalation): e-mail, and SMS to a mobile."""
    found = []
    if user.email:
        found.append(Recipient(user, Channel.EMAIL, user.email))
    if user.phone:
        found.append(Recipient(user, Channel.SMS, user.phone))
    return found


def _subscription_recipients(sub: Subscription) -> list[Recipient]:
    user = sub.user
    quiet = (sub.quiet_start, sub.quiet_end) if sub.quiet_start and sub.quiet_end else None
    found = []
    if sub.by_email and user.email:
        found.append(Recipient(user, Channel.EMAIL, user.email))
    if sub.by_sms and user.phone:
        found.append(Recipient(user, Channel.SMS, user.phone, quiet))
    if sub.webhook_url:
        found.append(Recipient(user, Channel.WEBHOOK, sub.webhook_url))
    return found


def administrators() -> list[User]:
    return list(
        User.objects.filter(is_active=True).filter(Q(is_superuser=True) | Q(role=User.Role.ADMIN))
    )
