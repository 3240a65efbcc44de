"""The registry from the old system: customers, users, plants, inverters, collectors' addresses.

One row at a time through the models, with their validation; a row already imported (or
entered by hand before the import: a customer of the same name, a user of the same id, a
plant of the same code) is updated in place.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.models import Customer, User
from accounts.phones import normalize_phone
from field.legacy.importer import Importer, Skip, model_save
from field.models import ImportedKey
from monitoring.models import Collector, Inverter, PowerStation


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
        outcome = model_save(customer, values)
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
        return model_save(user, values, exclude=("password",))

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
        station = PowerStation.objects.filter(code=values["code"]).first() or PowerStation()
        return model_save(station, values)


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
        return model_save(inverter, values)


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
        outcome = model_save(collector, {"remote_address": values.get("remote_address")})
        collector.stations.add(station)
        return outcome


IMPORTERS: dict[str, type[Importer]] = {
    "customer": _CustomerImporter,
    "user": _UserImporter,
    "station": _StationImporter,
    "inverter": _InverterImporter,
    "collector_address": _CollectorAddressImporter,
}
