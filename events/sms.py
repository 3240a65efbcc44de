"""SMS backends, chosen by settings.SMS_BACKEND like Django's e-mail backends.

`console` prints the message (development); `solapi` speaks the Solapi REST API
(POST {SOLAPI_BASE_URL}/messages/v4/send with HMAC-SHA256 authorization). The official `solapi`
package fixes its base URL in code, so it could not be pointed at a test server: this is a
small httpx client instead.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import secrets
import sys
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
    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class SmsSent:
    message_id: str
    message_type: str
    result: str


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
    _ids = itertools.count(1)

    def send(self, *, to: str, text: str, title: str = "") -> SmsSent:
        kind = sms_type(text)
        sys.stdout.write(f"--- {kind} to {to}\n{text}\n---\n")
        sys.stdout.flush()
        return SmsSent(f"console-{next(self._ids)}", kind, "printed")


class SolapiSmsBackend:
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

    def send(self, *, to: str, text: str, title: str = "") -> SmsSent:
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
        date = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        headers = {
            "Authorization": solapi_authorization(
                api_key=self.api_key,
                api_secret=self.api_secret,
                date=date,
                salt=secrets.token_hex(16),
            )
        }
        try:
            response = httpx.post(
                f"{self.base_url}/messages/v4/send",
                json={"message": message},
                headers=headers,
                timeout=settings.NOTIFY_TIMEOUT_SECONDS,
            )
        except httpx.HTTPError as exc:
            raise SmsError(f"Solapi did not answer: {exc}") from exc
        return _solapi_result(response, kind)


def _solapi_result(response: httpx.Response, kind: str) -> SmsSent:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code >= 500 or response.status_code in (408, 429):
        raise SmsError(f"Solapi answered {response.status_code}: {response.text[:200]}")
    if response.status_code >= 400:
        code = body.get("errorCode", response.status_code)
        raise SmsError(f"Solapi refused: {code} {body.get('errorMessage', '')}", permanent=True)
    status = str(body.get("statusCode", ""))
    if status != SOLAPI_ACCEPTED:
        raise SmsError(
            f"Solapi did not accept: {status} {body.get('statusMessage', '')}", permanent=True
        )
    return SmsSent(str(body.get("messageId", "")), kind, body.get("statusMessage", status))


def sms_backend() -> ConsoleSmsBackend | SolapiSmsBackend:
    return SolapiSmsBackend() if settings.SMS_BACKEND == "solapi" else ConsoleSmsBackend()
