"""Event types, alarms, the event log, subscriptions, the notification outbox and the SMS log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from events.webhooks import webhook_url_validate


class Severity(models.TextChoices):
    INFO = "info", _("Information")
    WARNING = "warning", _("Warning")
    CRITICAL = "critical", _("Critical")


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    WEBHOOK = "webhook", _("Webhook")


class EventType(models.Model):
    """One event code and how it is told (the old "event type -> mail or SMS" setting)."""

    GENERATION_STARTED = 101
    GENERATION_STOPPED = 102
    GRID_OUTAGE = 201
    COMM_ERROR = 202
    NOT_GENERATING = 203
    INVERTER_FAULT = 204
    WEAK_STRING = 205
    COLLECTOR_DOWN = 301
    COLLECTOR_REFUSALS = 302  # seeded by events/migrations/0006
    COMMAND_COMPLETED = 401
    DUPLICATE_INVERTER = 402  # seeded by events/migrations/0003

    code = models.PositiveSmallIntegerField(_("code"), primary_key=True)
    name_ko = models.CharField(_("Korean name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.WARNING
    )
    by_email = models.BooleanField(_("by e-mail"), default=True)
    by_sms = models.BooleanField(_("by SMS"), default=False)
    by_webhook = models.BooleanField(_("by webhook"), default=True)
    notify_on_raise = models.BooleanField(_("notify when raised"), default=True)
    notify_on_clear = models.BooleanField(_("notify when cleared"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("event type")
        verbose_name_plural = _("event types")

    def __str__(self) -> str:
        return f"{self.code} {self.name_ko}"

    def name_in(self, language: str) -> str:
        return self.name_ko if language.startswith("ko") else self.name_en

    def allows(self, channel: str) -> bool:
        return {
            Channel.EMAIL: self.by_email,
            Channel.SMS: self.by_sms,
            Channel.WEBHOOK: self.by_webhook,
        }[channel]


class Alarm(models.Model):
    """One problem of one subject, from raised to cleared.

    `open_key` is "<code>:<subject>" while the alarm is open and NULL once cleared; its unique
    index is the "at most one open alarm per subject and code" rule, and it works the same on
    SQLite and MariaDB (both let a unique column hold many NULLs).
    """

    event_type = models.ForeignKey(
        EventType,
        verbose_name=_("event type"),
        on_delete=models.PROTECT,
        db_column="code",
        related_name="alarms",
    )
    subject = models.CharField(_("subject"), max_length=40)
    station = models.ForeignKey(
        "monitoring.PowerStation",
        verbose_name=_("station"),
        on_delete=models.CASCADE,
        related_name="alarms",
    )
    inverter = models.ForeignKey(
        "monitoring.Inverter",
        verbose_name=_("inverter"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="alarms",
    )
    collector = models.ForeignKey(
        "monitoring.Collector",
        verbose_name=_("collector"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="alarms",
    )
    open_key = models.CharField(max_length=50, null=True, blank=True, unique=True, editable=False)
    raised_at = models.DateTimeField(_("raised"), db_index=True)
    cleared_at = models.DateTimeField(_("cleared"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    storm = models.BooleanField(
        _("raised in a storm"),
        default=False,
        help_text=_("Raised while much of the fleet alarmed at once: told in one summary."),
    )
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)

    class Meta:
        ordering = ["-raised_at"]
        verbose_name = _("alarm")
        verbose_name_plural = _("alarms")
        indexes = [
            models.Index(fields=["station", "raised_at"]),
            models.Index(fields=["cleared_at", "acknowledged_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.event_type_id} {self.subject} {self.raised_at:%Y-%m-%d %H:%M}"

    @staticmethod
    def key_for(code: int, subject: str) -> str:
        return f"{code}:{subject}"

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None


class EventLog(models.Model):
    """Every state change: alarms raised and cleared, and the informational 101/102/401."""

    class Kind(models.TextChoices):
        RAISED = "raised", _("Raised")
        CLEARED = "cleared", _("Cleared")
        INFO = "info", _("Information")

    event_type = models.ForeignKey(
        EventType,
        verbose_name=_("event type"),
        on_delete=models.PROTECT,
        db_column="code",
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    at = models.DateTimeField(_("at"))
    station = models.ForeignKey(
        "monitoring.PowerStation",
        verbose_name=_("station"),
        on_delete=models.CASCADE,
        related_name="event_log",
    )
    inverter = models.ForeignKey(
        "monitoring.Inverter", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    collector = models.ForeignKey(
        "monitoring.Collector", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    alarm = models.ForeignKey(
        Alarm, null=True, blank=True, on_delete=models.CASCADE, related_name="log"
    )
    subject = models.CharField(_("subject"), max_length=40)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("event log entry")
        verbose_name_plural = _("event log")
        indexes = [
            models.Index(fields=["station", "at"]),
            models.Index(fields=["at"]),
        ]

    def __str__(self) -> str:
        return f"{self.event_type_id} {self.kind} {self.subject}"


class Subscription(models.Model):
    """Who is told of what. Owners and managers without one get the default (events/audience.py)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="subscriptions",
    )
    all_stations = models.BooleanField(
        _("all stations I can see"), default=True, help_text=_("Otherwise only those listed.")
    )
    stations = models.ManyToManyField(
        "monitoring.PowerStation", verbose_name=_("stations"), blank=True, related_name="+"
    )
    event_types = models.ManyToManyField(
        EventType,
        verbose_name=_("event types"),
        blank=True,
        related_name="+",
        help_text=_("Leave empty for every event type."),
    )
    by_email = models.BooleanField(_("by e-mail"), default=True)
    by_sms = models.BooleanField(_("by SMS"), default=False)
    webhook_url = models.URLField(
        _("webhook URL"),
        blank=True,
        validators=[webhook_url_validate],
        help_text=_("A public http(s) address; addresses inside the server's network are refused."),
    )
    quiet_start = models.TimeField(
        _("quiet hours from"),
        null=True,
        blank=True,
        help_text=_("SMS is held until the quiet hours end, except for critical events."),
    )
    quiet_end = models.TimeField(_("quiet hours until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["user", "id"]
        verbose_name = _("notification subscription")
        verbose_name_plural = _("notification subscriptions")

    def __str__(self) -> str:
        return f"{self.user} #{self.pk}"


class Notification(models.Model):
    """The outbox: one message to one recipient, written before it is sent."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        GAVE_UP = "gave_up", _("Gave up")

    class Transition(models.TextChoices):
        RAISED = "raised", _("Raised")
        CLEARED = "cleared", _("Cleared")
        ESCALATED = "escalated", _("Escalated")
        INFO = "info", _("Information")
        STORM = "storm", _("Storm summary")

    channel = models.CharField(
        pgettext_lazy("notification", "channel"), max_length=8, choices=Channel.choices
    )
    recipient = models.CharField(_("recipient"), max_length=300)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    station = models.ForeignKey(
        "monitoring.PowerStation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    alarm = models.ForeignKey(
        Alarm, null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    transition = models.CharField(_("transition"), max_length=10, choices=Transition.choices)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))
    body_html = models.TextField(_("HTML body"), blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=100, blank=True)
    # Saved before the message can leave (Solapi: the message group), so an attempt whose outcome
    # was lost is looked up at the provider instead of being sent again.
    provider_ref = models.CharField(
        _("provider reference"),
        max_length=100,
        blank=True,
        help_text=_("Where the provider keeps this message (Solapi: its message group)."),
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # A file sent with an e-mail, such as the monthly report.
    attachment_name = models.CharField(_("attachment"), max_length=200, blank=True)
    attachment = models.BinaryField(_("attachment content"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications (outbox)")
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.channel} {self.recipient}: {self.subject}"


class SmsLog(models.Model):
    """Every SMS handed to the provider, with what it answered.

    `succeeded` is None while the outcome is unknown (the provider's answer was lost); the next
    attempt looks the message up at the provider and settles it, setting `resolved_at`.
    """

    recipient = models.CharField(_("to"), max_length=20, db_index=True)
    text = models.TextField(_("text"))
    message_type = models.CharField(_("type"), max_length=3)  # SMS or LMS
    station = models.ForeignKey(
        "monitoring.PowerStation",
        verbose_name=_("station"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    notification = models.ForeignKey(
        Notification, null=True, blank=True, on_delete=models.SET_NULL, related_name="sms_log"
    )
    succeeded = models.BooleanField(
        _("succeeded"), null=True, help_text=_("Empty while the outcome is unknown.")
    )
    result = models.CharField(_("provider result"), max_length=300, blank=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=100, blank=True)
    sent_at = models.DateTimeField(_("time"), db_index=True)
    resolved_at = models.DateTimeField(
        _("outcome known"),
        null=True,
        blank=True,
        help_text=_("When an unknown outcome was looked up at the provider."),
    )

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("SMS log entry")
        verbose_name_plural = _("SMS log")

    def __str__(self) -> str:
        return f"{self.recipient} {self.sent_at:%Y-%m-%d %H:%M}"


class PendingFlip(models.Model):
    """A subject whose observed state disagrees with its recorded one, not yet for long enough.

    A state flips only once it has been seen on two consecutive detection passes (and, for a
    weak string, for WEAK_STRING_MINUTES); a row here remembers the first sighting.
    """

    key = models.CharField(max_length=50, unique=True)
    target = models.BooleanField()  # the state being confirmed: True = raise / start
    count = models.PositiveSmallIntegerField(default=1)
    first_seen_at = models.DateTimeField()

    class Meta:
        verbose_name = _("pending state change")
        verbose_name_plural = _("pending state changes")

    def __str__(self) -> str:
        return f"{self.key} -> {self.target} ({self.count})"


class GenerationState(models.Model):
    """Per inverter, whether it is generating as last confirmed (for the 101/102 events)."""

    inverter = models.OneToOneField(
        "monitoring.Inverter", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    generating = models.BooleanField()
    since = models.DateTimeField()

    class Meta:
        verbose_name = _("generation state")
        verbose_name_plural = _("generation states")
