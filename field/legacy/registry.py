"""The registry from the old system: customers, users, postal areas, plants, inverters,
collectors' addresses, sensors and their types, key-value settings.

One row at a time through the models, with their validation; a row already imported (or
entered by hand before the import: a customer of the same name, a user of the same id, a
plant of the same code) is updated in place.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import Customer, User
from accounts.phones import normalize_phone
from field.legacy.importer import Importer, Skip, whole
from field.models import ImportedKey
from monitoring.models import (
    Collector,
    CombinerBox,
    Inverter,
    KeyValue,
    PostalArea,
    PowerStation,
    Sensor,
    SensorType,
)


class _CustomerImporter(Importer):
    def row_import(self, row: dict) -> str:
        values = self.fields(row)
        old_key = self.old_key(row)
        known = ImportedKey.objects.filter(table="customer", old_key=old_key).first()
        customer = None
        if known:
            customer = Customer.objects.filter(pk=known.object_id).first()
        if customer is None:  # adopt a customer entered by hand before the import
            customer = Customer.objects.filter(name=values.get("name")).first() or Customer()
        outcome = self.save(customer, values)
        ImportedKey.objects.update_or_create(
            table="customer", old_key=old_key, defaults={"object_id": customer.pk}
        )
        return outcome


class _CustomerOwned(Importer):
    def customer_id(self, old_cno: Any) -> int | None:
        """The customer the old row's cno became; None (with a note) when it is not known."""
        if old_cno in (None, ""):
            return None
        known = ImportedKey.objects.filter(table="customer", old_key=str(old_cno)).first()
        if known is None:
            self.summary.notes[_("customer not found; imported without one")] += 1
        return known.object_id if known else None


class _UserImporter(_CustomerOwned):
    def row_import(self, row: dict) -> str:
        values = self.fields(row)
        values["customer_id"] = self.customer_id(values.pop("customer", None))
        values["phone"] = self._phone(values.get("phone"))
        user = User.objects.filter(username=values["username"]).first()
        if user is None:
            # Old password hashes cannot be carried over: a new user sets a password first.
            user = User(username=values["username"])
            user.set_unusable_password()
            self.summary.notes[_("new users without a password (they must set one)")] += 1
        return self.save(user, values, exclude=("password",))

    def _phone(self, raw: Any) -> str:
        if not raw:
            return ""
        try:
            return normalize_phone(str(raw))
        except ValidationError:
            self.summary.notes[_("phone not a mobile number; left blank")] += 1
            return ""


class _StationImporter(_CustomerOwned):
    def row_import(self, row: dict) -> str:
        values = self.fields(row)
        values["customer_id"] = self.customer_id(values.pop("customer", None))
        manager = values.pop("manager", None)
        values["manager_id"] = None
        if manager:
            found = User.objects.filter(
                username=manager, role__in=[User.Role.OPERATOR, User.Role.ADMIN]
            ).first()
            values["manager_id"] = found.pk if found else None
            if not found:
                self.summary.notes[_("manager not an operator or administrator; left empty")] += 1
        values.update(self._place(values.get("postal_code")))
        station = PowerStation.objects.filter(code=values["code"]).first() or PowerStation()
        return self.save(station, values)

    def _place(self, postal_code: Any) -> dict[str, str]:
        """The structured address: the postal code, and its province and city from the postal
        reference data (imported before the plants); empty where either is unknown."""
        code = str(postal_code or "").strip()
        if not code:
            return {"postal_code": ""}
        area = PostalArea.objects.filter(postal_code=code).order_by("pk").first()
        if area is None:
            self.summary.notes[_("postal code not in the postal reference data")] += 1
            return {"postal_code": code[:7]}
        return {"postal_code": code[:7], "province": area.province, "city": area.city}


class _InverterImporter(Importer):
    def row_import(self, row: dict) -> str:
        values = self.fields(row)
        code = str(values.pop("station"))
        station_id = (
            self.stations.get(code)
            or PowerStation.objects.filter(code=code).values_list("id", flat=True).first()
        )
        if station_id is None:
            raise Skip(_("unknown station"))
        self.stations[code] = station_id
        values["station_id"] = station_id
        inverter = (
            Inverter.objects.filter(station_id=station_id, number=values["number"]).first()
            or Inverter()
        )
        return self.save(inverter, values)


class _CollectorAddressImporter(Importer):
    def row_import(self, row: dict) -> str:
        values = self.fields(row)
        station = PowerStation.objects.filter(code=str(values["station"])).first()
        if station is None:
            raise Skip(_("unknown station"))
        name = self.table.options.get("collector_name", "legacy-{station}").format(
            station=station.code
        )
        collector = Collector.objects.filter(name=name).first() or Collector(name=name)
        outcome = self.save(collector, {"remote_address": values.get("remote_address")})
        collector.stations.add(station)
        return outcome


class _CombinerBoxImporter(Importer):
    """Combiner boxes (the old conn_box): a box per plant and number, with its channels."""

    def row_import(self, row: dict) -> str:
        values = self.fields(row)
        station_id = self.station_id(values.pop("station"))
        number = whole(values.get("number"))
        if number is None:
            raise Skip(_("no box number"))
        box = CombinerBox.objects.filter(station_id=station_id, number=number).first()
        box = box or CombinerBox(station_id=station_id, number=number)
        return self.save(box, {"channels": whole(values.get("channels"))})


class _PostalAreaImporter(Importer):
    def row_import(self, row: dict) -> str:
        values = {k: str(v or "").strip() for k, v in self.fields(row).items()}
        if not values.get("postal_code") or not values.get("province"):
            raise Skip(_("no postal code or province"))
        area = PostalArea.objects.filter(**values).first()
        return "unchanged" if area else self.save(PostalArea(), values)


def sensor_kind_ensure(kind: Any, *, name: Any = None, summary=None) -> str:
    """The sensor kind `kind` stands for: a built-in one, or a SensorType, added if new (a
    site's own type is kept, not dropped)."""
    kind = str(kind or "").strip()
    if kind in Sensor.Kind.values:
        return kind
    code = slugify(kind, allow_unicode=True)[:20] or "other"
    _type, created = SensorType.objects.get_or_create(
        code=code, defaults={"name": str(name or kind).strip()[:50] or code}
    )
    if created and summary is not None:
        summary.notes[_("sensor types added")] += 1
    return code


class _SensorImporter(Importer):
    """The old sensor names and types: a sensor per plant and name."""

    def row_import(self, row: dict) -> str:
        values = self.fields(row)
        station_id = self.station_id(values.pop("station"))
        name = str(values.get("name") or "").strip()
        if not name:
            raise Skip(_("no sensor name"))
        kind = sensor_kind_ensure(values.get("kind"), name=values.get("kind_name"),
                                  summary=self.summary)  # fmt: skip
        sensor = Sensor.objects.filter(station_id=station_id, name=name).first() or Sensor(
            station_id=station_id, name=name
        )
        return self.save(sensor, {"kind": kind})


class _KeyValueImporter(Importer):
    """Key-value settings. A setting made in solarsite is never overwritten: the import only
    changes a value that is still the one it wrote last (ImportedKey keeps a fingerprint of
    that value); any other value already there is a conflict, skipped and reported."""

    def row_import(self, row: dict) -> str:
        values = self.fields(row)
        key = str(values.get("key") or "").strip()
        if not key:
            raise Skip(_("no key"))
        value = "" if values.get("value") is None else str(values["value"])
        current = KeyValue.objects.filter(key=key).first()
        written = ImportedKey.objects.filter(table=self.identity, old_key=key).first()
        if current is not None and current.value == value:
            outcome = "unchanged"
        elif current is not None and (
            written is None or written.object_id != value_fingerprint(current.value)
        ):
            raise Skip(
                _("conflict: kept the value set in solarsite"),
                f"{key}: {_short(current.value)} kept, old {_short(value)}",
            )
        else:
            outcome = self.save(current or KeyValue(key=key), {"value": value})
        if outcome != "disagreed":
            ImportedKey.objects.update_or_create(
                table=self.identity, old_key=key,
                defaults={"object_id": value_fingerprint(value)},
            )  # fmt: skip
        return outcome


def value_fingerprint(value: Any) -> int:
    """A 63-bit fingerprint of a setting's value: tells whether it is still the imported one."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest()) >> 1


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return repr(text[:40] + ("..." if len(text) > 40 else ""))


IMPORTERS: dict[str, type[Importer]] = {
    "postal_area": _PostalAreaImporter,
    "sensor": _SensorImporter,
    "combiner_box": _CombinerBoxImporter,
    "key_value": _KeyValueImporter,
    "customer": _CustomerImporter,
    "user": _UserImporter,
    "station": _StationImporter,
    "inverter": _InverterImporter,
    "collector_address": _CollectorAddressImporter,
}
