"""The "my notifications" form: a user's own subscription, limited to the plants they may see."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from events.models import EventType, Subscription
from monitoring.visibility import stations_visible_to


class SubscriptionForm(forms.ModelForm):
    webhook_url = forms.URLField(
        label=Subscription._meta.get_field("webhook_url").verbose_name,
        required=False,
        assume_scheme="https",
    )

    class Meta:
        model = Subscription
        fields = [
            "is_active", "by_email", "by_sms", "webhook_url", "all_stations", "stations",
            "event_types", "quiet_start", "quiet_end",
        ]  # fmt: skip
        widgets = {
            "stations": forms.CheckboxSelectMultiple,
            "event_types": forms.CheckboxSelectMultiple,
            "quiet_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["stations"].queryset = stations_visible_to(user).order_by("code")
        self.fields["event_types"].queryset = EventType.objects.order_by("code")
        self.fields["event_types"].label_from_instance = lambda t: f"{t.code} {t.name_in(user.language or 'ko')}"  # noqa: E501

    def clean(self):
        data = super().clean()
        start, end = data.get("quiet_start"), data.get("quiet_end")
        if (start is None) != (end is None):
            self.add_error(None, _("Give both ends of the quiet hours, or neither."))
        elif start is not None and start == end:
            self.add_error(None, _("Quiet hours must start and end at different times."))
        if not data.get("all_stations") and not data.get("stations"):
            self.add_error("stations", _("Pick at least one plant, or choose all plants."))
        if data.get("by_sms") and not self.user.phone:
            self.add_error(
                "by_sms",
                _("Your account has no mobile number; ask an administrator to add one first."),
            )
        if data.get("by_email") and not self.user.email:
            self.add_error(
                "by_email",
                _("Your account has no e-mail address; ask an administrator to add one first."),
            )
        if not (data.get("by_email") or data.get("by_sms") or data.get("webhook_url")):
            self.add_error(None, _("Choose at least one channel: e-mail, SMS or a webhook."))
        return data

    def save(self, commit: bool = True) -> Subscription:
        subscription = super().save(commit=False)
        subscription.user = self.user
        if commit:
            subscription.save()
            self.save_m2m()
        return subscription
