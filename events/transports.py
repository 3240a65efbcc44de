"""One class per channel, each with the same small interface (as healthchecks' transports).

`open()` before a batch, `send(notification)` per message returning the provider's message id,
`close()` after. A failure raises TransportError, marked permanent when trying again cannot
help (a refused recipient, a rejected request).
"""

from __future__ import annotations

import hashlib
import hmac
import mimetypes
import smtplib

import httpx
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import make_msgid
from django.utils import timezone

from events.models import Channel, Notification, SmsLog
from events.sms import SmsError, sms_backend, sms_type

SIGNATURE_HEADER = "X-Solarsite-Signature"


class TransportError(Exception):
    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class EmailTransport:
    """Django's configured e-mail backend (EMAIL_URL), one connection for the whole batch."""

    def __init__(self) -> None:
        self.connection = get_connection(fail_silently=False)

    def open(self) -> None:
        try:
            self.connection.open()
        except (OSError, smtplib.SMTPException) as exc:
            raise TransportError(f"Could not reach the mail server: {exc}") from exc

    def send(self, notification: Notification) -> str:
        message_id = make_msgid(domain="solarsite")
        message = EmailMultiAlternatives(
            notification.subject,
            notification.body,
            settings.DEFAULT_FROM_EMAIL,
            [notification.recipient],
            connection=self.connection,
            headers={"Message-ID": message_id},
        )
        if notification.body_html:
            message.attach_alternative(notification.body_html, "text/html")
        if notification.attachment_name:
            kind = mimetypes.guess_type(notification.attachment_name)[0]
            message.attach(
                notification.attachment_name,
                bytes(notification.attachment or b""),
                kind or "application/octet-stream",
            )
        try:
            message.send()
        except smtplib.SMTPRecipientsRefused as exc:
            raise TransportError(
                f"The mail server refused the address: {exc}", permanent=True
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise TransportError(f"The mail server failed: {exc}") from exc
        return message_id

    def close(self) -> None:
        try:
            self.connection.close()
        except (OSError, smtplib.SMTPException):
            pass  # the messages are already accepted or recorded as failed


class SmsTransport:
    """settings.SMS_BACKEND; every attempt lands in the SMS log with the provider's answer."""

    def open(self) -> None:
        try:
            self.backend = sms_backend()
        except SmsError as exc:
            raise TransportError(str(exc), permanent=exc.permanent) from exc

    def send(self, notification: Notification) -> str:
        log = SmsLog(
            recipient=notification.recipient,
            text=notification.body,
            message_type=sms_type(notification.body),
            station_id=notification.station_id,
            notification=notification,
            sent_at=timezone.now(),
        )
        try:
            sent = self.backend.send(
                to=notification.recipient, text=notification.body, title=notification.subject
            )
        except SmsError as exc:
            log.succeeded, log.result = False, str(exc)[:300]
            log.save()
            raise TransportError(str(exc), permanent=exc.permanent) from exc
        log.succeeded, log.result = True, sent.result[:300]
        log.provider_message_id, log.message_type = sent.message_id, sent.message_type
        log.save()
        return sent.message_id

    def close(self) -> None:
        pass


def webhook_signature(body: bytes) -> str:
    digest = hmac.new(settings.WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class WebhookTransport:
    """POST the JSON body, signed with WEBHOOK_SECRET so the receiver can trust it."""

    def open(self) -> None:
        self.client = httpx.Client(timeout=settings.NOTIFY_TIMEOUT_SECONDS)

    def send(self, notification: Notification) -> str:
        body = notification.body.encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: webhook_signature(body),
            "Idempotency-Key": notification.idempotency_key,
        }
        try:
            response = self.client.post(notification.recipient, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise TransportError(f"The webhook did not answer: {exc}") from exc
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise TransportError(f"The webhook answered {response.status_code}")
        if response.status_code >= 400:
            raise TransportError(f"The webhook refused: {response.status_code}", permanent=True)
        return response.headers.get("X-Request-Id", "")

    def close(self) -> None:
        self.client.close()


TRANSPORTS = {
    Channel.EMAIL: EmailTransport,
    Channel.SMS: SmsTransport,
    Channel.WEBHOOK: WebhookTransport,
}
