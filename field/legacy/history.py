"""History from the old system: the SMS log, event types' channels, the event log, the login
history.

Rows with no natural key of ours remember which row each old one became (`ImportedKey`), so a
row read again updates its copy. History opens no alarm: detection decides afresh what is
wrong now.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.db import models
from django.utils.translation import gettext as _

from accounts.models import LoginHistory, User
from accounts.phones import normalize_phone
from events.models import EventLog, EventType, SmsLog
from events.sms import sms_type
from field.legacy.importer import Importer, Skip, whole
from field.models import ImportedKey
from monitoring.models import Inverter


class _KeyedImporter(Importer):
    """Rows with no natural key of ours: ImportedKey remembers which row each old one became."""

    model: type[models.Model]

    def keyed_save(self, old_key: str, values: dict[str, Any]) -> str:
        known = ImportedKey.objects.filter(table=self.identity, old_key=old_key).first()
        obj = self.model.objects.filter(pk=known.object_id).first() if known else None
        obj = obj or self.model()
        outcome = self.save(obj, values)
        ImportedKey.objects.update_or_create(
            table=self.identity, old_key=old_key, defaults={"object_id": obj.pk}
        )
        return outcome


class _SmsLogImporter(_KeyedImporter):
    model = SmsLog

    def row_import(self, row: dict) -> str:
        values = self.fields(row)
        code = values.get("station")
        station_id = self.station_id(code) if code not in (None, "") else None
        sent_at = self.aware(values.get("sent_at"))
        if sent_at is None:
            raise Skip(_("no time"))
        raw = str(values.get("to") or "").strip()
        if not raw:
            raise Skip(_("no phone number"))
        try:
            recipient = normalize_phone(raw)
        except ValidationError:
            recipient = raw[:20]  # logged as the old system wrote it
        text = str(values.get("text") or "")
        succeeded = values.get("succeeded")
        return self.keyed_save(
            self.old_key(row),
            {
                "recipient": recipient,
                "text": text,
                "message_type": sms_type(text),
                "station_id": station_id,
                "succeeded": succeeded if isinstance(succeeded, bool) else True,
                "result": str(values.get("result") or "")[:300],
                "sent_at": sent_at,
            },
        )


# The old notifyType: which channels an event type goes by.
NOTIFY_TYPES = {"mail": (True, False), "sms": (False, True), "both": (True, True),
                "none": (False, False)}  # fmt: skip


class _EventTypeImporter(Importer):
    """The old event types' channel choices; names of the codes we know stay ours."""

    def row_import(self, row: dict) -> str:
        values = self.fields(row)
        code = whole(values.get("code"))
        if code is None or not 1 <= code <= 32767:
            raise Skip(_("invalid code"))
        channels = str(values.get("channels") or "none").strip().lower()
        if channels not in NOTIFY_TYPES:
            raise Skip(_("unknown notify type"), f"code={code}: {channels}")
        by_email, by_sms = NOTIFY_TYPES[channels]
        event_type = EventType.objects.filter(code=code).first()
        name = str(values.get("name") or code)[:100]
        fields: dict[str, Any] = {"by_email": by_email, "by_sms": by_sms}
        if event_type is None:
            event_type = EventType(code=code)
            fields.update(name_ko=name, name_en=name)
        return self.save(event_type, fields)


# Informational codes: a moment, not a state with an end.
INFO_CODES = (EventType.GENERATION_STARTED, EventType.GENERATION_STOPPED,
              EventType.COMMAND_COMPLETED)  # fmt: skip


class _EventLogImporter(_KeyedImporter):
    """An old event becomes event-log entries: raised (or information) at dateAt, cleared at
    clearAt; whether an operator had seen it (userChecked) is kept in the details. History
    only: it opens no alarm, so detection decides afresh what is wrong now."""

    model = EventLog

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inverters = {
            (station_id, number): inverter_id
            for inverter_id, station_id, number in Inverter.objects.values_list(
                "id", "station_id", "number"
            )
        }
        self.codes = set(EventType.objects.values_list("code", flat=True))

    def row_import(self, row: dict) -> str:
        values = self.fields(row)
        station_id = self.station_id(values.get("station"))
        inverter_id = None
        if values.get("inverter") not in (None, "", 0):
            inverter_id = self.inverters.get((station_id, whole(values["inverter"])))
            if inverter_id is None:
                raise Skip(_("unknown inverter"))
        code = whole(values.get("code"))
        if code not in self.codes:
            raise Skip(_("unknown event code (import the event types first)"), f"code={code}")
        raised_at = self.aware(values.get("raised_at"))
        if raised_at is None:
            raise Skip(_("no time"))
        old_key = self.old_key(row)
        common = {
            "event_type_id": code,
            "station_id": station_id,
            "inverter_id": inverter_id,
            "subject": f"inv:{inverter_id}" if inverter_id else f"st:{station_id}",
            "details": {"legacy": old_key, "acknowledged": bool(values.get("acknowledged"))},
        }
        kind = EventLog.Kind.INFO if code in INFO_CODES else EventLog.Kind.RAISED
        outcome = self.keyed_save(old_key, {**common, "kind": kind, "at": raised_at})
        cleared_at = self.aware(values.get("cleared_at"))
        if cleared_at is not None and kind == EventLog.Kind.RAISED:
            cleared = self.keyed_save(
                f"{old_key}/cleared", {**common, "kind": EventLog.Kind.CLEARED, "at": cleared_at}
            )
            if outcome == "unchanged" and cleared != "unchanged":
                outcome = "updated"
        return outcome


ENDED = {True: LoginHistory.EndReason.LOGOUT, False: LoginHistory.EndReason.EXPIRED}


class _LoginHistoryImporter(_KeyedImporter):
    """An old login becomes a login-history row marked as imported, always ended (at its
    logout, or at the login itself when the old system never saw one), so it can never count
    as an open login under the concurrent-login rule."""

    model = LoginHistory

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.users = dict(User.objects.values_list("username", "id"))

    def row_import(self, row: dict) -> str:
        values = self.fields(row)
        username = str(values.get("username") or "").strip()
        user_id = self.users.get(username)
        if user_id is None:
            raise Skip(_("unknown user"), f"uid={username}")
        logged_in_at = self.aware(values.get("logged_in_at"))
        if logged_in_at is None:
            raise Skip(_("no time"))
        logged_out_at = self.aware(values.get("logged_out_at"))
        address = str(values.get("address") or "").strip() or None
        if address is not None:
            try:
                validate_ipv46_address(address)
            except ValidationError:
                self.summary.notes[_("address not an IP address; left blank")] += 1
                address = None
        return self.keyed_save(
            self.old_key(row),
            {
                "user_id": user_id,
                "username": username[:150],
                "address": address,
                "logged_in_at": logged_in_at,
                "last_seen_at": logged_out_at or logged_in_at,
                "ended_at": logged_out_at or logged_in_at,
                "end_reason": ENDED[logged_out_at is not None],
                "succeeded": True,
                "imported": True,
            },
        )


IMPORTERS: dict[str, type[Importer]] = {
    "login_history": _LoginHistoryImporter,
    "sms_log": _SmsLogImporter,
    "event_type": _EventTypeImporter,
    "event_log": _EventLogImporter,
}
