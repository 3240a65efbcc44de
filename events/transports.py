"""One class per channel, each with the same small interface (as healthchecks' transports).

`send(notification)` returns the provider's message id; `close()` ends the run. A failure
raises TransportError, marked permanent when trying again cannot help (a refused recipient, a
rejected request). `single_peer` says whether every message of the channel goes to one server
(the mail server, the SMS provider): then one failure means the channel is down for this run.
Every network call is bounded by NOTIFY_TIMEOUT_SECONDS (EMAIL_TIMEOUT for SMTP).
"""

from __future__ import annotations

import hashlib
import hmac
import mimetypes
import smtplib
import time

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils import timezone

from events.models import Channel, Notification, SmsLog
from events.sms import SmsEarlier, SmsError, sms_backend, sms_type
from events.webhooks import WebhookError, webhook_post

SIGNATURE_HEADER = "X-Solarsite-Signature"


class TransportError(Exception):
    """A failed attempt: permanent when trying again cannot help; unknown when the message may
    have left, so the next attempt must look it up first."""

    def __init__(self, message: str, *, permanent: bool = False, unknown: bool = False):
        super().__init__(message)
        self.permanent = permanent
        self.unknown = unknown


class EmailTransport:
    """Django's configured e-mail backend (EMAIL_URL), one connection for the whole run.

    The Message-ID is the outbox row's, the same on every attempt: should a retry repeat a
    message whose acceptance was lost, mail systems can tell it is the same message.
    """

    single_peer = True

    def __init__(self) -> None:
        self.connection = None

    def _connection(self):
        if self.connection is None:
            connection = get_connection(fail_silently=False)  # EMAIL_TIMEOUT bounds each step
            try:
                connection.open()
            except (OSError, smtplib.SMTPException) as exc:
                raise TransportError(f"Could not reach the mail server: {exc}") from exc
            self.connection = connection
        return self.connection

    def send(self, notification: Notification) -> str:
        message_id = notification_message_id(notification)
        connection = self._connection()
        message = EmailMultiAlternatives(
            notification.subject,
            notification.body,
            settings.DEFAULT_FROM_EMAIL,
            [notification.recipient],
            connection=connection,
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
            self.close()  # the connection may be half-way through a command
            raise TransportError(f"The mail server failed: {exc}") from exc
        return message_id

    def close(self) -> None:
        if self.connection is None:
            return
        try:
            self.connection.close()
        except (OSError, smtplib.SMTPException):
            pass  # the messages are already accepted or recorded as failed
        self.connection = None


def notification_message_id(notification: Notification) -> str:
    digest = hashlib.sha256(notification.idempotency_key.encode()).hexdigest()[:16]
    return f"<notification-{notification.id}.{digest}@solarsite>"


class SmsTransport:
    """settings.SMS_BACKEND; every attempt lands in the SMS log with the provider's answer.

    A row that already has a provider reference was tried before, perhaps with a lost answer:
    its outcome is looked up first. Sent: the log entries that said "unknown" are settled as
    sent, and nothing is sent again. Not sent: they are settled as not sent, and it is sent.
    """

    single_peer = True

    def __init__(self) -> None:
        self.backend = None

    def send(self, notification: Notification) -> str:
        if self.backend is None:
            try:
                self.backend = sms_backend()
            except SmsError as exc:
                raise TransportError(str(exc), permanent=exc.permanent) from exc
        deadline = time.monotonic() + settings.NOTIFY_TIMEOUT_SECONDS
        earlier = None
        if notification.provider_ref:
            try:
                earlier = self.backend.lookup(notification.provider_ref, deadline=deadline)
            except SmsError as exc:
                raise TransportError(str(exc), permanent=exc.permanent) from exc
            if earlier.sent:
                return sms_log_settle(notification, earlier)
            sms_log_settle(notification, earlier)
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
                to=notification.recipient,
                text=notification.body,
                title=notification.subject,
                reference=f"{notification.id}:{notification.idempotency_key}",
                earlier=earlier,
                handle=notification.provider_ref,
                remember=lambda handle: provider_ref_save(notification, handle),
                deadline=deadline,
            )
        except SmsError as exc:
            log.succeeded = None if exc.unknown else False
            log.result = str(exc)[:300]
            log.save()
            raise TransportError(str(exc), permanent=exc.permanent, unknown=exc.unknown) from exc
        log.succeeded, log.result = True, sent.result[:300]
        log.provider_message_id, log.message_type = sent.message_id, sent.message_type
        log.save()
        return sent.message_id

    def close(self) -> None:
        if self.backend is not None:
            self.backend.close()


def provider_ref_save(notification: Notification, handle: str) -> None:
    """Keep the provider's handle on the row before the message can leave (see events/sms.py)."""
    notification.provider_ref = handle[:100]
    Notification.objects.filter(id=notification.id).update(provider_ref=notification.provider_ref)


def sms_log_settle(notification: Notification, earlier: SmsEarlier) -> str:
    """Settle the log entries whose outcome was unknown by what the provider says; returns the
    provider's message id when the earlier attempt went out."""
    now = timezone.now()
    unknown = SmsLog.objects.filter(notification=notification, succeeded=None)
    if not earlier.sent:
        unknown.update(
            succeeded=False,
            resolved_at=now,
            result="Not sent: the provider shows the earlier attempt unsent; it is sent again.",
        )
        return ""
    result = f"Sent: {earlier.result}"[:300]
    settled = unknown.update(
        succeeded=True, resolved_at=now, result=result, provider_message_id=earlier.message_id
    )
    if not settled:  # the sender stopped before it could log the attempt
        SmsLog.objects.create(
            recipient=notification.recipient,
            text=notification.body,
            message_type=sms_type(notification.body),
            station_id=notification.station_id,
            notification=notification,
            sent_at=now,
            resolved_at=now,
            succeeded=True,
            result=result,
            provider_message_id=earlier.message_id,
        )
    return earlier.message_id


def webhook_signature(body: bytes) -> str:
    digest = hmac.new(settings.WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class WebhookTransport:
    """POST the JSON body, signed with WEBHOOK_SECRET so the receiver can trust it, to a checked
    address only (events/webhooks.py)."""

    single_peer = False  # each webhook is its own receiver

    def send(self, notification: Notification) -> str:
        body = notification.body.encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: webhook_signature(body),
            "Idempotency-Key": notification.idempotency_key,
        }
        try:
            answer = webhook_post(
                notification.recipient,
                body=body,
                headers=headers,
                timeout=settings.NOTIFY_TIMEOUT_SECONDS,
            )
        except WebhookError as exc:
            raise TransportError(exc.message, permanent=exc.permanent) from exc
        if answer.status >= 500 or answer.status in (408, 429):
            raise TransportError(f"The webhook answered {answer.status}")
        if answer.status >= 400:
            raise TransportError(f"The webhook refused: {answer.status}", permanent=True)
        return answer.request_id

    def close(self) -> None:
        pass


TRANSPORTS = {
    Channel.EMAIL: EmailTransport,
    Channel.SMS: SmsTransport,
    Channel.WEBHOOK: WebhookTransport,
}
