"""SMS backends, chosen by settings.SMS_BACKEND like Django's e-mail backends.

`console` prints the message (development); `solapi` speaks Solapi's REST API (messages v4,
HMAC-SHA256 authorization). The official `solapi` package fixes its base URL in code, so it
could not be pointed at a test server: this is a small httpx client instead.

A message goes through a Solapi message group, because a group is sent at most once: its id is
the handle that makes a retry safe.

1. Create an empty group and hand its id to `remember` (the outbox saves it on the row) before
   the message can leave.
2. Add the message to the group (with the outbox row in `customFields`), then ask Solapi to send
   the group. Only this last call can make a message leave: if its answer is lost (a timeout,
   a dropped connection, a 5xx), the outcome is unknown (`SmsError.unknown`).
3. The next attempt of a row that has a group first looks the group up (`lookup`): sent or
   sending means the earlier attempt went out, so nothing is sent again; still pending means it
   did not, and the same group is sent (adding the message only if the group is still empty);
   failed, deleted or unknown to Solapi means a fresh group.

Every call of one message shares one deadline (NOTIFY_TIMEOUT_SECONDS).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import secrets
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError

from accounts.phones import domestic_phone, normalize_phone

SMS_MAX_BYTES = 90  # beyond this a Korean carrier message is an LMS
LMS_MAX_BYTES = 2000
LMS_TITLE_MAX_BYTES = 40
SOLAPI_ACCEPTED = "2000"


class SmsError(Exception):
    """A failed attempt; permanent when trying again cannot help, unknown when the message may
    have left (the answer to the sending call was lost)."""

    def __init__(self, message: str, *, permanent: bool = False, unknown: bool = False):
        super().__init__(message)
        self.permanent = permanent
        self.unknown = unknown


@dataclass(frozen=True)
class SmsSent:
    message_id: str
    message_type: str
    result: str


@dataclass(frozen=True)
class SmsEarlier:
    """What the provider knows of an earlier attempt, by its handle."""

    sent: bool
    message_id: str = ""
    result: str = ""
    reusable: bool = False  # the handle can carry this attempt (a group not yet sent)
    holds_message: bool = False  # the message is already in it


def sms_byte_length(text: str) -> int:
    """Bytes as Korean carriers count them: EUC-KR, so a Hangul syllable is 2 bytes."""
    return len(text.encode("euc-kr", errors="replace"))


def sms_type(text: str) -> str:
    return "SMS" if sms_byte_length(text) <= SMS_MAX_BYTES else "LMS"


def sms_shortened(text: str, max_bytes: int) -> str:
    while sms_byte_length(text) > max_bytes:
        text = text[:-1]
    return text


def solapi_authorization(*, api_key: str, api_secret: str, date: str, salt: str) -> str:
    """Solapi's header: signature = hex HMAC-SHA256 of date + salt, keyed by the API secret."""
    signature = hmac.new(api_secret.encode(), (date + salt).encode(), hashlib.sha256).hexdigest()
    return f"HMAC-SHA256 apiKey={api_key}, date={date}, salt={salt}, signature={signature}"


class ConsoleSmsBackend:
    """Prints the message; it keeps no handle, so there is never an earlier attempt to look up."""

    _ids = itertools.count(1)

    def lookup(self, handle: str, *, deadline: float) -> SmsEarlier:
        return SmsEarlier(sent=False)

    def send(self, *, to: str, text: str, title: str = "", reference: str = "",
             earlier: SmsEarlier | None = None, handle: str = "", remember=None,
             deadline: float = 0.0) -> SmsSent:  # fmt: skip
        kind = sms_type(text)
        sys.stdout.write(f"--- {kind} to {to}\n{text}\n---\n")
        sys.stdout.flush()
        return SmsSent(f"console-{next(self._ids)}", kind, "printed")

    def close(self) -> None:
        pass


class SolapiSmsBackend:
    GROUP_SENT = ("SENDING", "COMPLETE", "SCHEDULED")
    GROUP_GONE = ("FAILED", "DELETED")
    GROUP_PENDING = "PENDING"

    def __init__(self) -> None:
        self.base_url = settings.SOLAPI_BASE_URL.rstrip("/")
        self.api_key = settings.SOLAPI_API_KEY
        self.api_secret = settings.SOLAPI_API_SECRET
        self.sender = settings.SOLAPI_SENDER
        if not (self.api_key and self.api_secret and self.sender):
            raise SmsError(
                "SMS_BACKEND is solapi but SOLAPI_API_KEY, SOLAPI_API_SECRET or SOLAPI_SENDER "
                "is empty; set all three.",
                permanent=True,
            )
        self.client = httpx.Client(base_url=self.base_url)

    def close(self) -> None:
        self.client.close()

    # --- looking up an earlier attempt --------------------------------------------------------
    def lookup(self, handle: str, *, deadline: float) -> SmsEarlier:
        """What became of the attempt that used the group `handle`.

        Whether the message is in the group is read from the group's message list, not from
        its counts (Solapi's `count.total` stays 0 until a group is sent).
        """
        try:
            status, group = self._call("GET", f"/messages/v4/groups/{handle}", deadline=deadline)
            if status == 404:
                return SmsEarlier(sent=False)
            _refusal_raise(status, group, doing="looking up the earlier attempt")
            state = str(group.get("status", ""))
            if state in self.GROUP_GONE:
                return SmsEarlier(sent=False)
            if state != self.GROUP_PENDING and state not in self.GROUP_SENT:
                raise SmsError(f"Solapi's group {handle} is in an unexpected state {state!r}.")
            message_id, code = self._group_message(handle, deadline=deadline)
        except httpx.HTTPError as exc:
            raise SmsError(f"Solapi did not answer the look-up of an attempt: {exc}") from exc
        if state in self.GROUP_SENT:
            return SmsEarlier(True, message_id, f"accepted earlier (group {state}, message {code})")
        return SmsEarlier(False, message_id, reusable=True, holds_message=bool(message_id))

    def _group_message(self, handle: str, *, deadline: float) -> tuple[str, str]:
        status, page = self._call(
            "GET", f"/messages/v4/groups/{handle}/messages", deadline=deadline
        )
        _refusal_raise(status, page, doing="reading the group's messages")
        for message_id, message in (page.get("messageList") or {}).items():
            return str(message.get("messageId") or message_id), str(message.get("statusCode", ""))
        return "", ""

    # --- sending ------------------------------------------------------------------------------
    def send(self, *, to: str, text: str, title: str = "", reference: str = "",
             earlier: SmsEarlier | None = None, handle: str = "", remember=None,
             deadline: float) -> SmsSent:  # fmt: skip
        """Send through the group `handle` when `earlier` says it can carry the message, else
        through a new group whose id goes to `remember` before anything can leave."""
        message = self._message(to, text, title, reference)
        kind, message_id = message["type"], ""
        reuse = earlier is not None and earlier.reusable and handle
        try:
            if not reuse:
                handle = self._group_create(deadline=deadline)
                if remember is not None:
                    remember(handle)
            if reuse and earlier.holds_message:
                message_id, accepted = earlier.message_id, "accepted"
            else:
                message_id, accepted = self._group_add(handle, message, deadline=deadline)
        except httpx.HTTPError as exc:
            # Nothing is sent before the group is: trying again is safe.
            raise SmsError(f"Solapi did not answer: {exc}") from exc
        self._group_send(handle, deadline=deadline)
        return SmsSent(message_id, kind, accepted)

    def _message(self, to: str, text: str, title: str, reference: str) -> dict:
        kind = sms_type(text)
        if sms_byte_length(text) > LMS_MAX_BYTES:
            raise SmsError(f"The text is longer than {LMS_MAX_BYTES} bytes.", permanent=True)
        try:
            number = domestic_phone(normalize_phone(to))
        except ValidationError as exc:
            raise SmsError(f"{to!r} is not a mobile number.", permanent=True) from exc
        message = {"to": number, "from": self.sender, "text": text, "type": kind}
        if kind == "LMS" and title:
            message["subject"] = sms_shortened(title, LMS_TITLE_MAX_BYTES)
        if reference:
            message["customFields"] = {"notification": reference[:100]}
        return message

    def _group_create(self, *, deadline: float) -> str:
        status, group = self._call("POST", "/messages/v4/groups", json={}, deadline=deadline)
        _refusal_raise(status, group, doing="creating a message group")
        return str(group["groupId"])

    def _group_add(self, handle: str, message: dict, *, deadline: float) -> tuple[str, str]:
        status, added = self._call(
            "PUT", f"/messages/v4/groups/{handle}/messages", json={"messages": [message]},
            deadline=deadline,
        )  # fmt: skip
        _refusal_raise(status, added, doing="adding the message")
        [result] = added.get("resultList") or [{}]
        code = str(result.get("statusCode", ""))
        if added.get("errorCount") or code != SOLAPI_ACCEPTED:
            raise SmsError(
                f"Solapi did not accept: {code} {result.get('statusMessage', '')}", permanent=True
            )
        return str(result.get("messageId", "")), str(result.get("statusMessage", code))

    def _group_send(self, handle: str, *, deadline: float) -> None:
        try:
            status, group = self._call(
                "POST", f"/messages/v4/groups/{handle}/send", json={}, deadline=deadline
            )
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise SmsError(f"Solapi could not be reached: {exc}") from exc
        except httpx.HTTPError as exc:
            raise SmsError(
                f"Solapi's answer to sending was lost ({type(exc).__name__}): the outcome is "
                "unknown and is looked up before any new attempt.",
                unknown=True,
            ) from exc
        if status >= 500:
            raise SmsError(
                f"Solapi answered {status} to sending: the outcome is unknown and is looked up "
                "before any new attempt.",
                unknown=True,
            )
        if status >= 400:
            # An earlier attempt's sending may have got there first: then this is no failure.
            if self.lookup(handle, deadline=deadline).sent:
                return
            _refusal_raise(status, group, doing="sending the group")

    def _call(self, method: str, path: str, *, deadline: float, json: dict | None = None
              ) -> tuple[int, dict]:  # fmt: skip
        left = deadline - time.monotonic()
        if left <= 0:
            raise SmsError(f"No time was left for this message (NOTIFY_TIMEOUT_SECONDS) at {path}.")
        headers = {
            "Authorization": solapi_authorization(
                api_key=self.api_key,
                api_secret=self.api_secret,
                date=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                salt=secrets.token_hex(16),
            )
        }
        response = self.client.request(method, path, json=json, headers=headers, timeout=left)
        try:
            body = response.json()
        except ValueError:
            body = {}
        return response.status_code, body if isinstance(body, dict) else {}


def _refusal_raise(status: int, body: dict, *, doing: str) -> None:
    """Raise for an answer that is not a 2xx: 5xx, 408 and 429 may pass, other 4xx will not."""
    if status < 400:
        return
    code = body.get("errorCode", status)
    text = f"Solapi answered {status} {code} {body.get('errorMessage', '')} while {doing}".strip()
    raise SmsError(text, permanent=status < 500 and status not in (408, 429))


def sms_backend() -> ConsoleSmsBackend | SolapiSmsBackend:
    return SolapiSmsBackend() if settings.SMS_BACKEND == "solapi" else ConsoleSmsBackend()
