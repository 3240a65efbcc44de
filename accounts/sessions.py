"""The login rules, shared by every way in (web pages and API tokens).

A login attempt goes through `login_attempt`, which writes one `LoginHistory` row whatever the
outcome: the exact cause for administrators, a message a user can act on for the user. A
successful attempt leaves its row open; the row ends by logout, idle expiry, a newer login
(`CONCURRENT_LOGIN=replace`, or one that took over), a password change or an administrator,
always through `login_end`.
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

from accounts.lockout import lockout_forget, lockout_settle, lockout_take
from accounts.models import LoginHistory, User

# Where a web session keeps the id of its LoginHistory row.
SESSION_LOGIN_ID = "login_history_id"
# last_seen_at is written at most this often per login, not on every request.
TOUCH_INTERVAL = timedelta(seconds=60)
# How long after a login refused as concurrent its user may still choose to take over.
TAKE_OVER_WITHIN = timedelta(minutes=2)

Failure = LoginHistory.Failure
EndReason = LoginHistory.EndReason


class Refusal:
    """Why an attempt was refused, as a client may be told (the API's `login_<refusal>`
    codes). Unknown user id and wrong password are one refusal, so ids cannot be probed."""

    FAILED = "failed"
    LOCKED = "locked"
    INACTIVE = "inactive"
    CONCURRENT = "concurrent"
    TAKE_OVER_EXPIRED = "take_over_expired"


@dataclass(frozen=True)
class LoginOutcome:
    """What `login_attempt` decided. On success `login` is the open history row."""

    user: User | None
    login: LoginHistory
    message: str = ""
    refusal: str = ""
    # When the refusal ends: the lock's end, or when the other login goes idle.
    until: datetime | None = None

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
    take_over: bool = False,
    replaces: int | None = None,
    now: datetime | None = None,
) -> LoginOutcome:
    """Check one attempt against every rule, record it, and say whether it may log in.

    1. Lockout first, before the password is looked at (accounts/lockout.py): a locked pair,
       user id or address is refused even with the right password, so guessing on gains
       nothing; the attempt is counted before its password is checked, so parallel guesses
       cannot slip past the limit.
    2. Unknown user id and wrong password get the same message and code, so ids cannot be
       probed; "account disabled" is said only to someone who gave the right password.
    3. Concurrent logins (`_login_open`): `take_over` ends the user's other logins instead of
       being refused; `replaces` is the login this one replaces anyway (the same API device's
       previous token), which never counts as another login.
    """
    now = now or timezone.now()
    record = _record(username=username, address=address, user_agent=user_agent,
                     channel=channel, now=now)  # fmt: skip
    user = _user_named(username)
    taken = lockout_take(username=username, address=address, now=now)
    if taken.locked_until:
        return _refuse(record, user, Failure.LOCKED, Refusal.LOCKED, until=taken.locked_until)

    password_right = user is not None and user.check_password(password)
    if user is None:
        User().set_password(password)  # spend the hashing time a real user would cost
    lockout_settle(taken=taken, password_right=password_right)
    if not password_right:
        failure = Failure.UNKNOWN_USER if user is None else Failure.WRONG_PASSWORD
        # The attempt that reaches a limit already says so, with the time to come back.
        if taken.earned_lock:
            return _refuse(record, user, failure, Refusal.LOCKED, until=taken.earned_lock)
        return _refuse(record, user, failure, Refusal.FAILED)
    if not user.is_active:
        return _refuse(record, user, Failure.INACTIVE, Refusal.INACTIVE)
    return _login_open(record, user, take_over=take_over, replaces=replaces, now=now)


def login_take_over(
    *,
    refused_id: int,
    auth_hash: str,
    address: str | None,
    user_agent: str = "",
    now: datetime | None = None,
) -> LoginOutcome:
    """The web page's "end the other login and sign in here": log in on the strength of the
    login `refused_id`, refused as concurrent within TAKE_OVER_WITHIN after its password was
    right, ending the user's other logins. `auth_hash` is the user's session hash as it was
    then, so a password changed since voids the offer. (The API sends `force` with the
    password instead.)"""
    now = now or timezone.now()
    refused = (
        LoginHistory.objects.select_related("user")
        .filter(pk=refused_id, failure=Failure.CONCURRENT, logged_in_at__gt=now - TAKE_OVER_WITHIN)
        .first()
    )
    user = refused.user if refused else None
    record = _record(
        username=refused.username if refused else "",
        address=address,
        user_agent=user_agent,
        channel=LoginHistory.Channel.WEB,
        now=now,
    )
    if user is None or not user.is_active or user.get_session_auth_hash() != auth_hash:
        return _refuse(record, user, Failure.CONCURRENT, Refusal.TAKE_OVER_EXPIRED)
    return _login_open(record, user, take_over=True, replaces=None, now=now)


def _record(*, username: str, address: str | None, user_agent: str, channel: str, now):
    return LoginHistory(
        username=username[:150],
        address=address or None,
        user_agent=(user_agent or "")[:300],
        channel=channel,
        logged_in_at=now,
    )


def _login_open(
    record: LoginHistory, user: User, *, take_over: bool, replaces: int | None, now: datetime
) -> LoginOutcome:
    """One active login per user: a live other login refuses this one (`refuse`), or is ended
    (`replace`, or when this login takes over). A login idle past the limit no longer counts
    (it is ended as expired here)."""
    expire_logins(now=now, user=user)
    live = [login for login in open_logins().filter(user=user) if not _session_gone(login)]
    others = [login for login in live if login.pk != replaces]
    if others and settings.CONCURRENT_LOGIN == "refuse" and not take_over:
        until = max(login.last_seen_at for login in others) + idle_limit()
        return _refuse(record, user, Failure.CONCURRENT, Refusal.CONCURRENT, until=until)
    for login in live:
        if login.pk == replaces:
            reason = EndReason.REPLACED
        else:
            reason = EndReason.TAKEN_OVER if take_over else EndReason.REPLACED
        login_end(login=login, reason=reason, now=now)

    record.user = user
    record.succeeded = True
    record.last_seen_at = now
    record.save()
    User.objects.filter(pk=user.pk).update(last_login=now)
    return LoginOutcome(user=user, login=record)


def refusal_message(*, refusal: str, channel: str, until: datetime | None = None) -> str:
    """The sentence a refused user reads, in their language."""
    if refusal == Refusal.LOCKED:
        return _("Too many failed attempts, try again at %(time)s.") % {"time": clock(until)}
    if refusal == Refusal.INACTIVE:
        return _("Account disabled: ask an administrator to enable it.")
    if refusal == Refusal.CONCURRENT and channel == LoginHistory.Channel.API:
        return _(
            'You are already logged in elsewhere. Send the login again with "force": true to '
            "end that login and log in here, or try again after %(time)s."
        ) % {"time": clock(until)}
    if refusal == Refusal.CONCURRENT:
        return _(
            "You are already logged in elsewhere. End that login and log in here, or try again "
            "after %(time)s."
        ) % {"time": clock(until)}
    if refusal == Refusal.TAKE_OVER_EXPIRED:
        return _("That offer has expired: log in again.")
    return _("Wrong user id or password.")


def _user_named(username: str) -> User | None:
    try:
        return get_user_model()._default_manager.get_by_natural_key(username)
    except User.DoesNotExist:
        return None


def _refuse(
    record: LoginHistory,
    user: User | None,
    failure: str,
    refusal: str,
    *,
    until: datetime | None = None,
) -> LoginOutcome:
    record.user = user
    record.succeeded = False
    record.failure = failure
    record.save()
    message = refusal_message(refusal=refusal, channel=record.channel, until=until)
    return LoginOutcome(user=None, login=record, message=message, refusal=refusal, until=until)


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
    it also drops Django sessions past their expiry date (what `clearsessions` does) and
    failed-login counts nobody added to for a day."""
    now = now or timezone.now()
    idle = open_logins().filter(last_seen_at__lt=now - idle_limit())
    if user is not None:
        idle = idle.filter(user=user)
    ended = sum(login_end(login=login, reason=EndReason.EXPIRED, now=now) for login in idle)
    summary = f"ended {ended} login(s) idle for more than {settings.LOGIN_IDLE_MINUTES} minutes"
    if user is None:
        _session_store().clear_expired()
        summary += f", forgot {lockout_forget(now=now)} old failed-login count(s)"
    return summary


def user_logins_end(*, user: User, reason: str, keep: int | None = None) -> int:
    """End every open login of a user, web and API (a password change does), except `keep`:
    the login that changed its own password. Returns how many ended."""
    logins = open_logins().filter(user=user).exclude(pk=keep)
    return sum(login_end(login=login, reason=reason) for login in logins)


def login_end_message(login: LoginHistory) -> str:
    """What the user is told on their next request after their login ended without them."""
    if login.end_reason == EndReason.EXPIRED:
        return _("You were logged out after %(minutes)s minutes without activity.") % {
            "minutes": settings.LOGIN_IDLE_MINUTES
        }
    if login.end_reason == EndReason.REPLACED:
        return _("You were logged out because the same user id logged in elsewhere.")
    if login.end_reason == EndReason.TAKEN_OVER:
        return _(
            "You were logged out: your user id logged in elsewhere and ended this login. "
            "If that was not you, change your password."
        )
    if login.end_reason == EndReason.PASSWORD_CHANGED:
        return _("You were logged out because your password was changed. Log in with the new one.")
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
