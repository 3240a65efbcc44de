"""Lockout after failed logins, counted atomically, so guessing in parallel gains nothing.

Three counts: a user id from one address (the pair), the user id from every address, and one
address whatever user id it tries. The pair locks first (LOGIN_MAX_FAILURES); the other two
only at much higher counts, so a stranger cannot lock the administrator out with a few
guesses, and an office behind one address is not locked for one person's typos.

1. Before a password is checked, `lockout_take` counts the attempt as a failure in advance, in
   each count, with a guarded UPDATE (compare and set) that only goes through while the count
   is not locked. The failure that reaches a limit sets the lock in that same UPDATE, so of N
   parallel attempts at most the limit get past this step; the rest find the lock set.
2. `lockout_settle` gives the advance back when the password was right: the pair's and the
   user id's counts start over (the password is proven), the address's drops the one failure.
   A wrong password keeps it: it was counted already.
3. Locks grow: the limit-th failure locks for LOGIN_LOCKOUT_MINUTES, and each failure after a
   lock ends doubles it, up to LOGIN_LOCKOUT_MAX_MINUTES.
4. Attempts refused while locked do not count, so the time a user is told stays true. A count
   with no failure for FORGET_AFTER starts over (and `lockout_forget` deletes it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, QuerySet

from accounts.models import LoginFailureCount

Scope = LoginFailureCount.Scope
FORGET_AFTER = timedelta(days=1)
# Each lost compare-and-set means another attempt's went through; this bound is never reached
# by people, only by a flood, which is then refused as locked for a minute.
MAX_TRIES = 200


@dataclass(frozen=True)
class Counted:
    scope: str
    counts: QuerySet  # the one row of this count
    lock: datetime | None  # the lock this attempt's advance set, if any


@dataclass
class Taken:
    """What `lockout_take` did. `locked_until` is set when the attempt is refused: the lock that
    stands in its way (and then nothing stays counted)."""

    counted: list[Counted] = field(default_factory=list)
    locked_until: datetime | None = None

    @property
    def earned_lock(self) -> datetime | None:
        """The latest lock this attempt set, should it turn out to be a failure."""
        return max((c.lock for c in self.counted if c.lock), default=None)


def _counts(username: str, address: str | None) -> list[tuple[dict, int]]:
    name = username.lower()[:150]
    counts = [
        ({"scope": Scope.PAIR, "username": name, "address": address or ""},
         settings.LOGIN_MAX_FAILURES),
        ({"scope": Scope.USER, "username": name, "address": ""},
         settings.LOGIN_MAX_FAILURES_PER_USER),
    ]  # fmt: skip
    if address:
        counts.append(
            ({"scope": Scope.ADDRESS, "username": "", "address": address},
             settings.LOGIN_MAX_FAILURES_PER_ADDRESS)
        )  # fmt: skip
    return counts


def lockout_take(*, username: str, address: str | None, now: datetime) -> Taken:
    """Count this attempt as a failure in advance in every count, or find one locked."""
    taken = Taken()
    for key, limit in _counts(username, address):
        counts = LoginFailureCount.objects.filter(**key)
        went_through, lock = _take_one(counts, key=key, limit=limit, now=now)
        if not went_through:
            _give_back(taken.counted)
            return Taken(locked_until=lock)
        taken.counted.append(Counted(scope=key["scope"], counts=counts, lock=lock))
    return taken


def lockout_settle(*, taken: Taken, password_right: bool) -> None:
    """After the password check: a wrong password stays counted; a right one is forgiven."""
    if not password_right:
        return
    _give_back([c for c in taken.counted if c.scope == Scope.ADDRESS])
    for counted in taken.counted:
        if counted.scope != Scope.ADDRESS:
            counted.counts.update(failures=0, locked_until=None)


def lockout_forget(*, now: datetime) -> int:
    """Delete counts with no failure for FORGET_AFTER and no lock standing (the login expiry
    job runs this), so guesses at many user ids from many addresses leave no rows behind."""
    stale = LoginFailureCount.objects.filter(last_failure_at__lt=now - FORGET_AFTER).exclude(
        locked_until__gt=now
    )
    deleted, _ = stale.delete()
    return deleted


def lock_length(*, failures: int, limit: int) -> timedelta:
    """How long the failures-th failure locks a count whose limit is `limit`."""
    first, longest = settings.LOGIN_LOCKOUT_MINUTES, settings.LOGIN_LOCKOUT_MAX_MINUTES
    doublings = min(failures - limit, longest.bit_length())
    return timedelta(minutes=min(first * 2**doublings, longest))


def _take_one(counts: QuerySet, *, key: dict, limit: int, now: datetime):
    for _ in range(MAX_TRIES):
        row = counts.values("failures", "locked_until", "last_failure_at").first()
        if row is None:
            LoginFailureCount.objects.bulk_create([LoginFailureCount(**key)], ignore_conflicts=True)
            continue
        if row["locked_until"] and row["locked_until"] > now:
            return False, row["locked_until"]
        forgotten = row["last_failure_at"] is None or row["last_failure_at"] < now - FORGET_AFTER
        failures = 1 if forgotten else row["failures"] + 1
        lock = now + lock_length(failures=failures, limit=limit) if failures >= limit else None
        # Compare and set: only if nobody changed the count since it was read.
        changed = counts.filter(failures=row["failures"], locked_until=row["locked_until"]).update(
            failures=failures, locked_until=lock, last_failure_at=now
        )
        if changed:
            return True, lock
    return False, now + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


def _give_back(counted: list[Counted]) -> None:
    """Undo failures counted in advance, and the locks they set (no attempt can have counted
    on a count while its lock stood, so a lock still equal to ours is ours)."""
    for c in counted:
        c.counts.filter(failures__gt=0).update(failures=F("failures") - 1)
        if c.lock:
            c.counts.filter(locked_until=c.lock).update(locked_until=None)
