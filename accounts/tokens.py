"""API tokens: issued by a login through the same rules as the web's, ended with it.

A token is only as alive as its LoginHistory row, so logout, idle expiry, a newer login and an
administrator's "end this login" all stop it, through the one `login_end` function.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import ApiToken, LoginHistory
from accounts.sessions import EndReason, LoginOutcome, login_attempt, login_end, login_touch


@dataclass(frozen=True)
class TokenLogin:
    outcome: LoginOutcome
    key: str = ""  # the token itself, shown once; only its hash is stored


def api_login(
    *,
    username: str,
    password: str,
    device: str,
    address: str | None,
    user_agent: str = "",
    force: bool = False,
    now: datetime | None = None,
) -> TokenLogin:
    """Log in through the web login's rules (recorded with channel api) and issue a token.

    A device that logs in again gets a new token; its previous one ends (as replaced) and does
    not count as another login. `force` ends the user's other logins instead of being refused
    as concurrent (only once the password is right)."""
    now = now or timezone.now()
    previous = (
        ApiToken.objects.filter(user__username=username, device=device)
        .values_list("login_id", flat=True)
        .first()
    )
    outcome = login_attempt(
        username=username,
        password=password,
        address=address,
        user_agent=user_agent,
        channel=LoginHistory.Channel.API,
        take_over=force,
        replaces=previous,
        now=now,
    )
    if not outcome.ok:
        return TokenLogin(outcome=outcome)
    key = secrets.token_urlsafe(32)
    token = ApiToken(
        user=outcome.user,
        device=device,
        key_hash=ApiToken.hash_key(key),
        prefix=key[:8],
        login=outcome.login,
        created_at=now,
    )
    # Two logins of one device at once: the later one's token stands, the other's is replaced.
    for last_try in (False, True):
        try:
            with transaction.atomic():
                _device_tokens_end(user=outcome.user, device=device, now=now)
                token.save(force_insert=True)
            break
        except IntegrityError:
            if last_try:
                raise
    return TokenLogin(outcome=outcome, key=key)


def _device_tokens_end(*, user, device: str, now: datetime) -> None:
    for previous in ApiToken.objects.select_related("login").filter(user=user, device=device):
        login_end(login=previous.login, reason=EndReason.REPLACED, now=now)
        previous.delete()


def api_token_check(*, key: str, now: datetime | None = None) -> tuple[ApiToken | None, str]:
    """The token for this key and "" when it may be used (its activity is noted), or the token
    (None when unknown) and why not: "unknown", "inactive" or the login's end reason."""
    token = (
        ApiToken.objects.select_related("user", "login")
        .filter(key_hash=ApiToken.hash_key(key))
        .first()
    )
    if token is None:
        return None, "unknown"
    login = login_touch(login_id=token.login_id, now=now)
    if login is None or login.ended_at is not None:
        token.login = login or token.login
        return token, token.login.end_reason or EndReason.EXPIRED
    if not token.user.is_active:
        return token, "inactive"
    return token, ""


def api_logout(*, token: ApiToken, now: datetime | None = None) -> None:
    login_end(login=token.login, reason=EndReason.LOGOUT, now=now)
    token.delete()


def api_tokens_revoke(*, tokens, now: datetime | None = None) -> int:
    """An administrator ends these tokens (and their logins); returns how many were live."""
    ended = 0
    for token in tokens.select_related("login"):
        ended += login_end(login=token.login, reason=EndReason.ADMIN, now=now)
    return ended
