"""The login rules, shared by every way in (web pages now, API tokens later).

A login attempt goes through `login_attempt`, which writes one `LoginHistory` row whatever the
outcome: the exact cause for administrators, a message a user can act on for the user. A
successful attempt leaves its row open; the row ends by logout, idle expiry, a newer login
(`CONCURRENT_LOGIN=replace`) or an administrator, always through `login_end`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _

from accounts.models import LoginHistory, User

# Where a web session keeps the id of its LoginHistory row.
SESSION_LOGIN_ID = "login_history_id"
# last_seen_at is written at most this often per login, not on every request.
TOUCH_INTERVAL = timedelta(seconds=60)

Failure = LoginHistory.Failure
EndReason = LoginHistory.EndReason


@dataclass(frozen=True)
class LoginOutcome:
    """What `login_attempt` decided. On success `login` is the open history row."""

    user: User | None
    login: LoginHistory
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.login.succeeded


def idle_limit() -> timedelta:
    return timedelta(minutes=settings.LOGIN_IDLE_MINUTES)


def clock(when: datetime) -> str:
    """'14:05' in the site's time zone, for messages that tell a user when to come back."""
    return time_format(timezone.localtime(when), "H:i")


def login_attempt(
    *,
    username: str,
    password: str,
    address: str | None,
    user_agent: str = "",
    channel: str = LoginHistory.Channel.WEB,
    now: datetime | None = None,
) -> LoginOutcome:
    """Check one attempt against every rule, record it, and say whether it may log in.

    1. Lockout first, before the password is looked at: a locked user id or address is refused
       even with the right password, so guessing on gains nothing.
    2. Unknown user id and wrong password get the same message, so ids cannot be probed;
       "account disabled" is said only to someone who gave the right password.
    3. Concurrent logins: a login idle past the limit no longer counts (it is ended as expired
       here); a live one refuses this attempt (`refuse`) or is ended (`replace`).
    """
    now = now or timezone.now()
    record = LoginHistory(
        username=username[:150],
        address=address or None,
        user_agent=(user_agent or "")[:300],
        channel=channel,
        logged_in_at=now,
    )
    user = _user_named(username)
    if locked_until := lockout_until(username=username, address=address, now=now):
        return _refuse(record, user, Failure.LOCKED, _locked_message(locked_until))

    if user is None or not user.check_password(password):
        if user is None:
            User().set_password(password)  # spend the hashing time a real user would cost
        failure = Failure.UNKNOWN_USER if user is None else Failure.WRONG_PASSWORD
        outcome = _refuse(record, user, failure, _("Wrong user id or password."))
        # The attempt that reaches the limit already says so, with the time to come back.
        if locked_until := lockout_until(username=username, address=address, now=now):
            outcome = LoginOutcome(user=None, login=record, message=_locked_message(locked_until))
        return outcome
    if not user.is_active:
        return _refuse(
            record,
            user,
            Failure.INACTIVE,
            _("Account disabled: ask an administrator to enable it."),
        )

    expire_logins(now=now, user=user)
    live = [login for login in open_logins().filter(user=user) if not _session_gone(login)]
    if live and settings.CONCURRENT_LOGIN == "refuse":
        until = max(login.last_seen_at for login in live) + idle_limit()
        message = _(
            "You are already logged in elsewhere. Log out there first, or try again after %(time)s."
        ) % {"time": clock(until)}
        return _refuse(record, user, Failure.CONCURRENT, message)
    for login in live:
        login_end(login=login, reason=EndReason.REPLACED, now=now)

    record.user = user
    record.succeeded = True
    record.last_seen_at = now
    record.save()
    User.objects.filter(pk=user.pk).update(last_login=now)
    return LoginOutcome(user=user, login=record)


def _locked_message(until: datetime) -> str:
    return _("Too many failed attempts, try again at %(time)s.") % {"time": clock(until)}


def _user_named(username: str) -> User | None:
    try:
        return get_user_model()._default_manager.get_by_natural_key(username)
    except User.DoesNotExist:
        return None


def _refuse(record: LoginHistory, user: User | None, failure: str, message: str) -> LoginOutcome:
    record.user = user
    record.succeeded = False
    record.failure = failure
    record.save()
    return LoginOutcome(user=None, login=record, message=message)


def lockout_until(*, username: str, address: str | None, now: datetime) -> datetime | None:
    """When a lockout of this user id or this address ends, or None when neither is locked.

    A user id is locked while it has LOGIN_MAX_FAILURES failed attempts (since its last
    successful login) within the last LOGIN_LOCKOUT_MINUTES; an address while it has
    LOGIN_MAX_FAILURES_PER_ADDRESS, whichever user ids were tried. Refusals during a lockout
    are not counted, so the time a user is told stays true.
    """
    window = timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    failures = LoginHistory.objects.filter(
        succeeded=False,
        failure__in=[Failure.UNKNOWN_USER, Failure.WRONG_PASSWORD],
        logged_in_at__gt=now - window,
        logged_in_at__lte=now,
    )
    last_success = (
        LoginHistory.objects.filter(username__iexact=username, succeeded=True)
        .order_by("-logged_in_at")
        .values_list("logged_in_at", flat=True)
        .first()
    )
    by_user = failures.filter(username__iexact=username)
    if last_success:
        by_user = by_user.filter(logged_in_at__gt=last_success)
    candidates = [_lock_end(by_user, settings.LOGIN_MAX_FAILURES, window)]
    if address:
        by_address = failures.filter(address=address)
        candidates.append(_lock_end(by_address, settings.LOGIN_MAX_FAILURES_PER_ADDRESS, window))
    ends = [end for end in candidates if end and end > now]
    return max(ends) if ends else None


def _lock_end(failures: QuerySet, limit: int, window: timedelta) -> datetime | None:
    """The lock lasts until the limit-th newest failure leaves the window."""
    times = list(failures.order_by("-logged_in_at").values_list("logged_in_at", flat=True)[:limit])
    if len(times) < limit:
        return None
    return times[-1] + window


def open_logins() -> QuerySet[LoginHistory]:
    return LoginHistory.objects.filter(succeeded=True, ended_at__isnull=True)


def login_bind_session(*, login: LoginHistory, session) -> None:
    """Tie a web login to its Django session, so ending one ends the other."""
    session[SESSION_LOGIN_ID] = login.pk
    session.save()
    LoginHistory.objects.filter(pk=login.pk).update(session_key=session.session_key)
    login.session_key = session.session_key


def login_end(*, login: LoginHistory, reason: str, now: datetime | None = None) -> bool:
    """End a login once. True when this call ended it, False when it had already ended.

    The session is left alone on purpose: on the browser's next request the middleware finds
    the ended row, logs the browser out and tells the user why."""
    now = now or timezone.now()
    if reason == EndReason.EXPIRED:
        # An expired login ended when it went idle, not when the sweep noticed.
        now = min(now, (login.last_seen_at or login.logged_in_at) + idle_limit())
    ended = open_logins().filter(pk=login.pk).update(ended_at=now, end_reason=reason)
    if ended:
        login.ended_at, login.end_reason = now, reason
    return bool(ended)


def login_touch(
    *, login_id: int, session_key: str | None = None, now: datetime | None = None
) -> LoginHistory | None:
    """Record activity on a login. Returns the row; it has `ended_at` set when the login is
    over (ended elsewhere, or idle past the limit, which this call then ends as expired).

    `session_key` keeps the row pointing at its session after Django changes the key (as it
    does on a password change), so ending the login still ends the right session."""
    now = now or timezone.now()
    login = LoginHistory.objects.filter(pk=login_id).first()
    if login is None or login.ended_at:
        return login
    if login.last_seen_at and now - login.last_seen_at > idle_limit():
        login_end(login=login, reason=EndReason.EXPIRED, now=now)
        return login
    changes = {}
    if login.last_seen_at is None or now - login.last_seen_at >= TOUCH_INTERVAL:
        changes["last_seen_at"] = now
    if session_key and session_key != login.session_key:
        changes["session_key"] = session_key
    if changes:
        open_logins().filter(pk=login.pk).update(**changes)
        for field, value in changes.items():
            setattr(login, field, value)
    return login


def expire_logins(*, now: datetime | None = None, user: User | None = None) -> str:
    """End every login idle for longer than LOGIN_IDLE_MINUTES. The job table runs this, and
    it also drops Django sessions past their expiry date (what `clearsessions` does)."""
    now = now or timezone.now()
    idle = open_logins().filter(last_seen_at__lt=now - idle_limit())
    if user is not None:
        idle = idle.filter(user=user)
    ended = sum(login_end(login=login, reason=EndReason.EXPIRED, now=now) for login in idle)
    if user is None:
        _session_store().clear_expired()
    return f"ended {ended} login(s) idle for more than {settings.LOGIN_IDLE_MINUTES} minutes"


def login_end_message(login: LoginHistory) -> str:
    """What the user is told on their next request after their login ended without them."""
    if login.end_reason == EndReason.EXPIRED:
        return _("You were logged out after %(minutes)s minutes without activity.") % {
            "minutes": settings.LOGIN_IDLE_MINUTES
        }
    if login.end_reason == EndReason.REPLACED:
        return _("You were logged out because the same user id logged in elsewhere.")
    if login.end_reason == EndReason.ADMIN:
        return _("An administrator ended your login.")
    return _("You are logged out.")


def _session_gone(login: LoginHistory) -> bool:
    """A web login whose session no longer exists (flushed by Django after a password reset,
    or deleted by hand) is over: end it so it does not hold the user out."""
    if login.channel != LoginHistory.Channel.WEB or not login.session_key:
        return False
    if _session_store()().exists(login.session_key):
        return False
    login_end(login=login, reason=EndReason.EXPIRED)
    return True


def _session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore
