"""The plant registry, collectors, key-value settings, and the latest state of each device."""

from __future__ import annotations

import hashlib
import secrets
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.phones import normalize_phone


class Region(models.TextChoices):
    """The 17 Korean provinces and metropolitan cities."""

    SEOUL = "seoul", _("Seoul")
    BUSAN = "busan", _("Busan")
    DAEGU = "daegu", _("Daegu")
    INCHEON = "incheon", _("Incheon")
    GWANGJU = "gwangju", _("Gwangju")
    DAEJEON = "daejeon", _("Daejeon")
    ULSAN = "ulsan", _("Ulsan")
    SEJONG = "sejong", _("Sejong")
    GYEONGGI = "gyeonggi", _("Gyeonggi")
    GANGWON = "gangwon", _("Gangwon")
    CHUNGBUK = "chungbuk", _("North Chungcheong")
    CHUNGNAM = "chungnam", _("South Chungcheong")
    JEONBUK = "jeonbuk", _("North Jeolla")
    JEONNAM = "jeonnam", _("South Jeolla")
    GYEONGBUK = "gyeongbuk", _("North Gyeongsang")
    GYEONGNAM = "gyeongnam", _("South Gyeongsang")
    JEJU = "jeju", _("Jeju")


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("%(value)s is not a known time zone; use a name such as Asia/Seoul."),
            params={"value": value},
            code="invalid_time_zone",
        )


def capacity_field(verbose_name, *, max_digits: int, help_text, optional: bool = False):
    """A capacity in kW or kWp: positive, to the hundredth."""
    return models.DecimalField(
        verbose_name,
        max_digits=max_digits,
        decimal_places=2,
        null=optional,
        blank=optional,
        validators=[MinValueValidator(0.01, message=_("Capacity must be positive."))],
        help_text=help_text,
    )


# A DC/AC ratio outside this range is a unit mistake (W for kW, MWp for kWp), not a design.
DC_AC_RATIO_RANGE = (0.5, 3.0)


def dc_ac_ratio_check(dc_kwp, ac_kw, *, field: str) -> None:
    ratio = float(dc_kwp) / float(ac_kw)
    low, high = DC_AC_RATIO_RANGE
    if not low <= ratio <= high:
        raise ValidationError(
            {
                field: _(
                    "A DC/AC ratio of %(ratio)s (%(dc)s kWp over %(ac)s kW) is implausible: "
                    "DC is the modules' peak power in kWp, AC the inverters' output in kW."
                )
                % {"ratio": f"{ratio:.2f}", "dc": dc_kwp, "ac": ac_kw}
            },
            code="implausible_dc_ac_ratio",
        )


class PowerStation(models.Model):
    class Status(models.TextChoices):
        OPERATING = "operating", _("Operating")
        NOT_IN_USE = "not_in_use", _("Not in use")
        UNDER_CONSTRUCTION = "under_construction", _("Under construction")
        DECOMMISSIONED = "decommissioned", _("Decommissioned")

    # Stations in these states are not watched by detection or zero-fill.
    UNWATCHED = (Status.NOT_IN_USE, Status.UNDER_CONSTRUCTION)

    code = models.CharField(
        _("code"),
        max_length=20,
        unique=True,
        help_text=_("The plant number (the old system's mcno)."),
        error_messages={"unique": _("A plant with this code already exists.")},
    )
    name = models.CharField(_("name"), max_length=200)
    customer = models.ForeignKey(
        "accounts.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stations",
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_stations",
        limit_choices_to={"role__in": ["operator", "admin"]},
    )
    region = models.CharField(_("region"), max_length=12, choices=Region.choices)
    address = models.CharField(_("address"), max_length=300, blank=True)
    # The address's structured part, where known (the old system's postal code and the postal
    # reference data's province and city for it).
    postal_code = models.CharField(_("postal code"), max_length=7, blank=True)
    province = models.CharField(_("province"), max_length=30, blank=True)
    city = models.CharField(_("city"), max_length=30, blank=True)
    latitude = models.FloatField(
        _("latitude"), validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        _("longitude"), validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    capacity_kwp = capacity_field(
        _("DC capacity (kWp)"),
        max_digits=10,
        help_text=_("The modules' peak power: specific yield and performance ratio are per kWp."),
    )
    capacity_kw = capacity_field(
        _("AC capacity (kW)"),
        max_digits=10,
        optional=True,
        help_text=_(
            "The inverters' rated AC output (or the grid connection's limit). "
            "Empty: the sum of its active inverters."
        ),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPERATING
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Seoul", validators=[validate_time_zone]
    )
    comm_loss_minutes = models.PositiveIntegerField(
        _("communication-loss minutes"), default=60, validators=[MinValueValidator(1)]
    )
    stop_minutes = models.PositiveIntegerField(
        _("stop minutes"), default=20, validators=[MinValueValidator(1)]
    )
    installed_on = models.DateField(_("installed on"), null=True, blank=True)
    sms_phone = models.CharField(
        _("registered phone for SMS"),
        max_length=16,
        blank=True,
        help_text=_(
            "The plant's own mobile number (the old system's registered phone): it gets the "
            "\"reset completed\" SMS. Korean (010-1234-5678) or international format."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("power station")
        verbose_name_plural = _("power stations")
        indexes = [models.Index(fields=["region", "status"])]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        super().clean()
        if self.capacity_kw and self.capacity_kwp:
            dc_ac_ratio_check(self.capacity_kwp, self.capacity_kw, field="capacity_kw")
        if self.sms_phone:
            try:
                self.sms_phone = normalize_phone(self.sms_phone)
            except ValidationError as exc:
                raise ValidationError({"sms_phone": exc.messages}) from None

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def is_watched(self) -> bool:
        return self.status not in self.UNWATCHED

    @property
    def is_operating(self) -> bool:
        return self.status == self.Status.OPERATING

    def ac_kw(self, inverters_kw: float | None = None) -> float | None:
        """AC capacity: as entered, else the sum of the active inverters' (None without any).

        `inverters_kw` is that sum where the caller has it (the fleet's rows read it for every
        plant in one query); else `self.inverters.all()` is read, which a prefetch makes free."""
        if self.capacity_kw:
            return float(self.capacity_kw)
        if inverters_kw is None:
            inverters_kw = sum(float(i.capacity_kw) for i in self.inverters.all() if i.is_active)
        return inverters_kw or None

    def dc_ac_ratio(self, inverters_kw: float | None = None) -> float | None:
        ac = self.ac_kw(inverters_kw)
        return round(float(self.capacity_kwp) / ac, 2) if ac else None


class Collector(models.Model):
    """An on-site data collector program (site logger, Modbus poller or the simulator)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    stations = models.ManyToManyField(
        PowerStation, verbose_name=_("stations"), related_name="collectors", blank=True
    )
    token_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    token_prefix = models.CharField(_("token starts with"), max_length=8, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    last_seen = models.DateTimeField(_("last seen"), null=True, blank=True)
    remote_address = models.GenericIPAddressField(_("remote address"), null=True, blank=True)
    software_version = models.CharField(_("software version"), max_length=50, blank=True)
    uptime_seconds = models.BigIntegerField(_("uptime (s)"), null=True, blank=True)
    clock_offset_seconds = models.FloatField(
        _("clock offset (s)"),
        null=True,
        blank=True,
        help_text=_("The site's clock minus the server's, at the last heartbeat."),
    )
    reading_interval_seconds = models.PositiveIntegerField(
        _("reading interval (s)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(3600)],
        help_text=_(
            "How often it sends each inverter's reading. Empty: learned from each inverter's "
            "own readings (the usual spacing between them)."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("collector")
        verbose_name_plural = _("collectors")

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def issue_token(self) -> str:
        """Store a new token's hash and return the token itself, which is shown only once."""
        token = secrets.token_urlsafe(32)
        self.token_hash = self.hash_token(token)
        self.token_prefix = token[:8]
        self.save(update_fields=["token_hash", "token_prefix"])
        return token


class Inverter(models.Model):
    station = models.ForeignKey(
        PowerStation, verbose_name=_("station"), on_delete=models.CASCADE, related_name="inverters"
    )
    number = models.PositiveSmallIntegerField(_("number"), validators=[MinValueValidator(1)])
    maker = models.CharField(_("maker"), max_length=100, blank=True)
    model = models.CharField(_("model"), max_length=100, blank=True)
    serial = models.CharField(_("serial"), max_length=100, blank=True, db_index=True)
    capacity_kw = capacity_field(
        _("AC capacity (kW)"),
        max_digits=8,
        help_text=_("Rated AC output: what its power readings are bounded by."),
    )
    capacity_kwp = capacity_field(
        _("DC capacity (kWp)"),
        max_digits=8,
        optional=True,
        help_text=_(
            "The modules wired to it. Empty: the plant's DC capacity shared among its active "
            "inverters by AC capacity."
        ),
    )
    phases = models.PositiveSmallIntegerField(
        _("phases"), default=3, choices=[(1, _("single phase")), (3, _("three phase"))]
    )
    collector = models.ForeignKey(
        Collector,
        verbose_name=_("collector"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inverters",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["station", "number"]
        verbose_name = _("inverter")
        verbose_name_plural = _("inverters")
        constraints = [
            models.UniqueConstraint(
                fields=["station", "number"],
                name="inverter_number_unique_in_station",
                violation_error_message=_("This inverter number is already taken in the plant."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.station.code}-{self.number}"

    def clean(self) -> None:
        super().clean()
        if self.capacity_kwp and self.capacity_kw:
            dc_ac_ratio_check(self.capacity_kwp, self.capacity_kw, field="capacity_kwp")

    def dc_kwp(self) -> float:
        """DC capacity: as entered, else its AC share of the plant's DC capacity.

        Reads the plant's inverters (`station.inverters.all()`: prefetch them for a list)."""
        if self.capacity_kwp:
            return float(self.capacity_kwp)
        station = self.station
        ac_total = sum(float(i.capacity_kw) for i in station.inverters.all() if i.is_active)
        if not ac_total:
            return float(station.capacity_kwp)
        return float(station.capacity_kwp) * float(self.capacity_kw) / ac_total

    def dc_ac_ratio(self) -> float:
        return round(self.dc_kwp() / float(self.capacity_kw), 2)


class CombinerBox(models.Model):
    station = models.ForeignKey(
        PowerStation,
        verbose_name=_("station"),
        on_delete=models.CASCADE,
        related_name="combiner_boxes",
    )
    number = models.PositiveSmallIntegerField(_("number"), validators=[MinValueValidator(1)])
    channels = models.PositiveSmallIntegerField(
        _("channels"), default=8, validators=[MinValueValidator(1), MaxValueValidator(64)]
    )

    class Meta:
        ordering = ["station", "number"]
        verbose_name = _("combiner box")
        verbose_name_plural = _("combiner boxes")
        constraints = [
            models.UniqueConstraint(
                fields=["station", "number"],
                name="combiner_box_number_unique_in_station",
                violation_error_message=_("This combiner box number is already taken."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.station.code}-CB{self.number}"


class SensorType(models.Model):
    """A sensor type beyond Sensor.Kind's built-in ones: a site's own (wind speed, a second
    irradiance meter...), added by hand or by the legacy import so that no sensor is dropped.
    The ingest takes its values with wide bounds (telemetry/ingest.py SENSOR_BOUNDS)."""

    code = models.SlugField(_("code"), max_length=20, primary_key=True)
    name = models.CharField(_("name"), max_length=50)

    class Meta:
        ordering = ["code"]
        verbose_name = _("sensor type")
        verbose_name_plural = _("sensor types")

    def __str__(self) -> str:
        return self.name or self.code


def sensor_kinds() -> list[tuple[str, str]]:
    """Every sensor kind a sensor may have: the built-in ones, then the added ones."""
    added = [(t.code, t.name or t.code) for t in SensorType.objects.all()]
    return [*Sensor.Kind.choices, *added]


def validate_sensor_kind(value: str) -> None:
    if value in Sensor.Kind.values or SensorType.objects.filter(code=value).exists():
        return
    raise ValidationError(
        _("%(kind)s is no sensor type; add it under Sensor types first.") % {"kind": value},
        code="unknown_sensor_type",
    )


class PostalArea(models.Model):
    """Postal code reference data: which province and city a postal code lies in."""

    postal_code = models.CharField(_("postal code"), max_length=7, db_index=True)
    province = models.CharField(_("province"), max_length=30)
    city = models.CharField(_("city"), max_length=30, blank=True)
    district = models.CharField(_("district"), max_length=50, blank=True)

    class Meta:
        ordering = ["postal_code", "province", "city", "district"]
        verbose_name = _("postal area")
        verbose_name_plural = _("postal areas")
        constraints = [
            models.UniqueConstraint(
                fields=["postal_code", "province", "city", "district"], name="postal_area_unique"
            )
        ]

    def __str__(self) -> str:
        return " ".join(part for part in (self.postal_code, self.province, self.city,
                                          self.district) if part)  # fmt: skip


class Sensor(models.Model):
    class Kind(models.TextChoices):
        POA_IRRADIANCE = "poa_irradiance", _("Plane-of-array irradiance (W/m²)")
        GHI_IRRADIANCE = "ghi_irradiance", _("Horizontal irradiance (W/m²)")
        MODULE_TEMP = "module_temp", _("Module temperature (°C)")
        AMBIENT_TEMP = "ambient_temp", _("Ambient temperature (°C)")

    station = models.ForeignKey(
        PowerStation, verbose_name=_("station"), on_delete=models.CASCADE, related_name="sensors"
    )
    # One of Kind, or a SensorType added beside them (by hand or by the legacy import).
    kind = models.CharField(_("kind"), max_length=20, validators=[validate_sensor_kind])
    name = models.CharField(_("name"), max_length=50)

    class Meta:
        ordering = ["station", "name"]
        verbose_name = _("sensor")
        verbose_name_plural = _("sensors")
        constraints = [
            models.UniqueConstraint(
                fields=["station", "name"],
                name="sensor_name_unique_in_station",
                violation_error_message=_("A sensor with this name already exists in the plant."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.station.code} {self.name}"

    @property
    def kind_label(self) -> str:
        """The kind in the user's language: a built-in kind's label, else the added type's name."""
        if self.kind in Sensor.Kind.values:
            return str(Sensor.Kind(self.kind).label)
        added = SensorType.objects.filter(code=self.kind).values_list("name", flat=True).first()
        return added or self.kind


class KeyValue(models.Model):
    key = models.CharField(_("key"), max_length=100, primary_key=True)
    value = models.JSONField(_("value"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["key"]
        verbose_name = _("key-value setting")
        verbose_name_plural = _("key-value settings")

    def __str__(self) -> str:
        return self.key


class InverterState(models.TextChoices):
    RUNNING = "running", _("Running")
    STOPPED = "stopped", _("Stopped")
    GRID_OUTAGE = "grid_outage", _("Grid outage")
    COMM_LOST = "comm_lost", _("Communication lost")
    UNKNOWN = "unknown", _("Unknown")
    # Never stored: the state an inverter is in now when the sun is down and it is silent or
    # produces nothing (monitoring/night.py decides).
    NIGHT = "night", _("Asleep (night)")


class InverterStatus(models.Model):
    """The latest reading of one inverter and the state it is in, kept current by the ingest."""

    inverter = models.OneToOneField(
        Inverter, on_delete=models.CASCADE, primary_key=True, related_name="status"
    )
    station = models.ForeignKey(PowerStation, on_delete=models.CASCADE, related_name="+")
    last_ts = models.DateTimeField(_("last reading"), null=True, blank=True)
    ac_kw = models.FloatField(null=True, blank=True)
    dc_kw = models.FloatField(null=True, blank=True)
    day_kwh = models.FloatField(null=True, blank=True)
    total_kwh = models.FloatField(null=True, blank=True)
    temp_c = models.FloatField(null=True, blank=True)
    ac_v_min = models.FloatField(null=True, blank=True)
    reported_state = models.SmallIntegerField(null=True, blank=True)
    fault_bits = models.BigIntegerField(null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=12, choices=InverterState.choices, default=InverterState.UNKNOWN
    )
    state_since = models.DateTimeField(_("in this state since"), null=True, blank=True)

    class Meta:
        verbose_name = _("inverter status")
        verbose_name_plural = _("inverter statuses")


class StationStatus(models.Model):
    """Per station, the last grid status the site reported."""

    station = models.OneToOneField(
        PowerStation, on_delete=models.CASCADE, primary_key=True, related_name="live"
    )
    grid_ts = models.DateTimeField(_("grid reported at"), null=True, blank=True)
    grid_outage = models.BooleanField(_("grid outage"), null=True)
    last_ts = models.DateTimeField(_("last data"), null=True, blank=True)

    class Meta:
        verbose_name = _("station status")
        verbose_name_plural = _("station statuses")


# --- Remote commands ----------------------------------------------------------------------------
class Command(models.Model):
    """A remote command for a plant or one of its inverters, from the operator to the collector.

    queued -> sent (a collector fetched it) -> succeeded / failed (the collector reported), or
    expired (nobody carried it out within its time to live), or cancelled (while queued).
    Every change is also a CommandEvent, with its time and who caused it.
    """

    class Kind(models.TextChoices):
        RESET_INVERTER = "reset_inverter", _("Reset inverter")
        RESTART_COLLECTOR = "restart_collector", _("Restart collector")
        SET_POWER_LIMIT = "set_power_limit", _("Set active-power limit")
        READ_NOW = "read_now", _("Read now")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN = (State.QUEUED, State.SENT)
    # Kinds aimed at one inverter; the others are for the whole plant's collector.
    INVERTER_KINDS = (Kind.RESET_INVERTER, Kind.SET_POWER_LIMIT, Kind.READ_NOW)

    station = models.ForeignKey(
        PowerStation, verbose_name=_("station"), on_delete=models.CASCADE, related_name="commands"
    )
    inverter = models.ForeignKey(
        Inverter,
        verbose_name=_("inverter"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="commands",
    )
    kind = models.CharField(_("command"), max_length=20, choices=Kind.choices)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.QUEUED
    )
    # "<station>:<inverter or ->:<kind>" while queued or sent, NULL afterwards: its unique index
    # is the "one open command of a kind per target" rule, so a double click queues one reset.
    open_key = models.CharField(max_length=60, null=True, blank=True, unique=True, editable=False)
    attempts = models.PositiveSmallIntegerField(
        _("attempts"), default=0, help_text=_("How many times a collector fetched it.")
    )
    collector = models.ForeignKey(
        Collector,
        verbose_name=_("collector"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="commands",
        help_text=_("The collector that fetched it last."),
    )
    created_at = models.DateTimeField(_("requested"), db_index=True)
    expires_at = models.DateTimeField(_("expires"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    result = models.TextField(_("result"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("command")
        verbose_name_plural = _("commands")
        indexes = [
            models.Index(fields=["state", "station"]),
            models.Index(fields=["station", "created_at"]),
        ]

    def __str__(self) -> str:
        target = self.inverter if self.inverter_id else self.station.code
        return f"#{self.pk} {self.kind} {target} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN

    @staticmethod
    def key_for(station_id: int, inverter_id: int | None, kind: str) -> str:
        return f"{station_id}:{inverter_id or '-'}:{kind}"


class CommandEvent(models.Model):
    """One state change of a command: when, to what, by whom, and the message that came with it."""

    command = models.ForeignKey(Command, on_delete=models.CASCADE, related_name="history")
    state = models.CharField(_("state"), max_length=10, choices=Command.State.choices)
    at = models.DateTimeField(_("at"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    collector = models.ForeignKey(
        Collector, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.TextField(_("message"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("command state change")
        verbose_name_plural = _("command state changes")

    def __str__(self) -> str:
        return f"#{self.command_id} {self.state} {self.at:%Y-%m-%d %H:%M:%S}"
