from __future__ import annotations

from django.contrib import admin, messages
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from events.acknowledge import alarms_acknowledge
from events.models import Alarm, EventLog, EventType, Notification, SmsLog, Subscription
from events.outbox import notifications_retry


@admin.register(EventType)
class EventTypeAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name_ko",
        "name_en",
        "severity",
        "by_email",
        "by_sms",
        "by_webhook",
        "notify_on_raise",
        "notify_on_clear",
    ]
    list_editable = [
        "severity",
        "by_email",
        "by_sms",
        "by_webhook",
        "notify_on_raise",
        "notify_on_clear",
    ]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # detection raises these codes; switch notifying off instead


@admin.register(Alarm)
class AlarmAdmin(admin.ModelAdmin):
    list_display = [
        "event_type",
        "station",
        "inverter",
        "collector",
        "raised_at",
        "cleared_at",
        "acknowledged_by",
        "acknowledged_at",
        "escalation_level",
        "storm",
    ]
    list_filter = ["event_type", ("cleared_at", admin.EmptyFieldListFilter), "storm"]
    search_fields = ["station__code", "station__name", "subject", "note"]
    date_hierarchy = "raised_at"
    list_select_related = [
        "event_type",
        "station",
        "inverter__station",
        "collector",
        "acknowledged_by",
    ]
    readonly_fields = [
        "event_type",
        "subject",
        "station",
        "inverter",
        "collector",
        "raised_at",
        "cleared_at",
        "acknowledged_by",
        "acknowledged_at",
        "details",
        "storm",
        "escalation_level",
    ]
    actions = ["acknowledge"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Acknowledge the selected alarms"))
    def acknowledge(self, request, queryset):
        count = alarms_acknowledge(
            user=request.user, alarm_ids=queryset.values_list("id", flat=True)
        )
        self.message_user(
            request,
            ngettext("%(count)d alarm acknowledged.", "%(count)d alarms acknowledged.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(EventLog)
class EventLogAdmin(admin.ModelAdmin):
    list_display = ["at", "event_type", "kind", "station", "inverter", "subject"]
    list_filter = ["event_type", "kind"]
    search_fields = ["station__code", "station__name", "subject"]
    date_hierarchy = "at"
    list_select_related = ["event_type", "station", "inverter__station"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["user", "all_stations", "by_email", "by_sms", "webhook_url", "is_active"]
    list_filter = ["is_active", "by_email", "by_sms"]
    search_fields = ["user__username", "user__email"]
    filter_horizontal = ["stations", "event_types"]
    raw_id_fields = ["user"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "channel",
        "recipient",
        "subject",
        "transition",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["status", "channel", "transition"]
    search_fields = ["recipient", "subject", "idempotency_key", "provider_message_id"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Notification._meta.fields if f.name != "attachment"]
    exclude = ["attachment"]
    actions = ["retry_now"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("attachment")  # a PDF per report message

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Send the selected messages again at the next run"))
    def retry_now(self, request, queryset):
        count = notifications_retry(rows=queryset, now=timezone.now())
        self.message_user(
            request,
            ngettext("%(count)d message queued again.", "%(count)d messages queued again.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(SmsLog)
class SmsLogAdmin(admin.ModelAdmin):
    list_display = [
        "sent_at",
        "recipient",
        "text",
        "station",
        "message_type",
        "succeeded",
        "result",
        "provider_message_id",
    ]
    list_filter = ["succeeded", "message_type"]
    search_fields = ["recipient", "text", "station__code", "station__name", "provider_message_id"]
    date_hierarchy = "sent_at"
    list_select_related = ["station"]
    readonly_fields = [f.name for f in SmsLog._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
