"""The Modbus collector's config file: TOML or JSON, checked whole before anything starts.

`collector_config_load(path)` reads and checks the file; every bad field is reported with its
path (`devices[2].port: ...`), one sentence each, in one ConfigError, so a site engineer fixes
them in one go. The poller (field/modbus_poller.py) and the agent (field/modbus_agent.py) take
the checked `CollectorConfig`.

Config file (TOML, or JSON with the same keys)::

    server_url = "https://solar.example.com"
    token_env = "SOLARSITE_COLLECTOR_TOKEN"   # or token = "..." (keep the file private)
    interval_seconds = 60
    timeout_seconds = 3
    max_backoff_seconds = 600
    buffer_file = "/var/lib/solarsite/buffer.sqlite3"   # readings and results kept across restarts

    [commands.reset_inverter]        # vendor specific: a coil or a register to write
    coil = 100                       # or: register = 40300, value = [1]

    [commands.set_power_limit]       # default: SunSpec model 123 WMaxLimPct
    sunspec = true                   # or: register = 40350, scale = 10

    [[devices]]
    host = "192.0.2.10"
    port = 502
    unit_id = 1
    station = "A001"
    inverter = 1
    # [devices.commands.reset_inverter] overrides the mapping above for this device only
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from field.config_file import ConfigFileError

DEVICE_COMMANDS = ("reset_inverter", "set_power_limit")
DEFAULT_COMMANDS = {"set_power_limit": {"sunspec": True}}


class ConfigError(ConfigFileError):
    """The config file is unusable; `problems` lists every bad field, one sentence each."""


@dataclass(frozen=True)
class CommandMapping:
    kind: str  # "sunspec" (model 123), "coil" or "register"
    address: int | None = None
    values: tuple[int, ...] = (1,)
    scale: float = 1.0


@dataclass(frozen=True)
class DeviceConfig:
    host: str
    port: int
    unit_id: int
    station: str
    inverter: int
    commands: dict[str, CommandMapping] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.station}-{self.inverter} ({self.host}:{self.port} unit {self.unit_id})"


@dataclass(frozen=True)
class CollectorConfig:
    server_url: str
    token: str
    interval_seconds: float
    timeout_seconds: float
    max_backoff_seconds: float
    devices: tuple[DeviceConfig, ...]
    buffer_file: str = ""  # empty: kept in memory only


def collector_config_load(path: Path | str) -> CollectorConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(path, [_("cannot read the file: %(error)s") % {"error": exc}]) from exc
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(
            path,
            [
                _("not valid %(format)s: %(error)s")
                % {"format": "JSON" if path.suffix.lower() == ".json" else "TOML", "error": exc}
            ],
        ) from exc
    return collector_config_parse(data, path=path)


def collector_config_parse(data: Any, *, path: Path | str = "config") -> CollectorConfig:
    problems: list[str] = []
    if not isinstance(data, dict):
        raise ConfigError(path, [_("the top level must be a table of settings.")])
    check = _Checker(problems)
    server_url = check.string(data, "server_url", "server_url")
    if server_url and urlsplit(server_url).scheme not in ("http", "https"):
        problems.append(_("server_url: must start with http:// or https://."))
    token = _token(data, problems)
    interval = check.number(data, "interval_seconds", "interval_seconds", default=60, low=1)
    timeout = check.number(data, "timeout_seconds", "timeout_seconds", default=3, low=0.1)
    max_backoff = check.number(
        data, "max_backoff_seconds", "max_backoff_seconds", default=600, low=1
    )
    buffer_file = data.get("buffer_file", "")
    if not isinstance(buffer_file, str):
        problems.append(_("buffer_file: must be a file path (text)."))
        buffer_file = ""
    commands = _commands(data.get("commands", {}), "commands", problems)
    devices = _devices(data.get("devices"), commands, problems)
    known = {
        "server_url",
        "token",
        "token_env",
        "interval_seconds",
        "timeout_seconds",
        "max_backoff_seconds",
        "buffer_file",
        "commands",
        "devices",
    }
    for key in sorted(set(data) - known):
        problems.append(_("%(key)s: unknown setting (check the spelling).") % {"key": key})
    if problems:
        raise ConfigError(path, problems)
    return CollectorConfig(
        server_url=server_url.rstrip("/"),
        token=token,
        interval_seconds=interval,
        timeout_seconds=timeout,
        max_backoff_seconds=max_backoff,
        devices=tuple(devices),
        buffer_file=buffer_file.strip(),
    )


class _Checker:
    def __init__(self, problems: list[str]):
        self.problems = problems

    def string(self, data: dict, key: str, where: str) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            self.problems.append(_("%(where)s: required, a non-empty text.") % {"where": where})
            return ""
        return value.strip()

    def integer(
        self, data: dict, key: str, where: str, *, low: int, high: int, default: int | None = None
    ) -> int:
        value = data.get(key, default)
        if value is None:
            self.problems.append(
                _("%(where)s: required, a whole number from %(low)s to %(high)s.")
                % {"where": where, "low": low, "high": high}
            )
            return low
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.problems.append(
                _("%(where)s: must be a whole number from %(low)s to %(high)s; got %(value)r.")
                % {"where": where, "low": low, "high": high, "value": value}
            )
            return low
        return value

    def number(self, data: dict, key: str, where: str, *, default: float, low: float) -> float:
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < low:
            self.problems.append(
                _("%(where)s: must be a number of at least %(low)s; got %(value)r.")
                % {"where": where, "low": low, "value": value}
            )
            return float(default)
        return float(value)


def _token(data: dict, problems: list[str]) -> str:
    if isinstance(data.get("token"), str) and data["token"].strip():
        return data["token"].strip()
    name = data.get("token_env")
    if not isinstance(name, str) or not name:
        problems.append(
            _(
                "token: set token_env to the name of an environment variable holding the "
                "collector token (or token to the token itself)."
            )
        )
        return ""
    token = os.environ.get(name, "").strip()
    if not token:
        problems.append(
            _("token_env: the environment variable %(name)s is not set or empty.") % {"name": name}
        )
    return token


def _commands(data: Any, where: str, problems: list[str]) -> dict[str, CommandMapping]:
    if not isinstance(data, dict):
        problems.append(_("%(where)s: must be a table of command mappings.") % {"where": where})
        return {}
    mappings: dict[str, CommandMapping] = {}
    for kind, spec in data.items():
        at = f"{where}.{kind}"
        if kind not in DEVICE_COMMANDS:
            problems.append(
                _("%(where)s: unknown command; the ones mapped to registers are: %(known)s.")
                % {"where": at, "known": ", ".join(DEVICE_COMMANDS)}
            )
            continue
        mapping = _command_mapping(kind, spec, at, problems)
        if mapping is not None:
            mappings[kind] = mapping
    return mappings


def _command_mapping(kind: str, spec: Any, at: str, problems: list[str]) -> CommandMapping | None:
    check = _Checker(problems)
    if not isinstance(spec, dict):
        problems.append(_("%(where)s: must be a table.") % {"where": at})
        return None
    targets = [key for key in ("sunspec", "coil", "register") if key in spec]
    if len(targets) != 1:
        problems.append(
            _("%(where)s: give exactly one of sunspec = true, coil = N or register = N.")
            % {"where": at}
        )
        return None
    target = targets[0]
    if target == "sunspec":
        if kind != "set_power_limit" or spec["sunspec"] is not True:
            problems.append(
                _("%(where)s: sunspec = true is only for set_power_limit (model 123).")
                % {"where": at}
            )
            return None
        return CommandMapping(kind="sunspec")
    address = check.integer(spec, target, f"{at}.{target}", low=0, high=0xFFFF)
    if kind == "set_power_limit":
        if target != "register":
            problems.append(_("%(where)s: a power limit is written to a register.") % {"where": at})
        scale = check.number(spec, "scale", f"{at}.scale", default=1, low=0.0001)
        return CommandMapping(kind=target, address=address, scale=scale)
    raw = spec.get("value", 1)
    values = raw if isinstance(raw, list) else [raw]
    if not values or any(
        isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 0xFFFF for v in values
    ):
        problems.append(
            _("%(where)s.value: must be a register value 0-65535 or a list of them.")
            % {"where": at}
        )
        return None
    return CommandMapping(kind=target, address=address, values=tuple(values))


def _devices(data: Any, commands: dict[str, CommandMapping], problems: list[str]) -> list:
    if not isinstance(data, list) or not data:
        problems.append(_("devices: required, a list of at least one device."))
        return []
    check = _Checker(problems)
    devices: list[DeviceConfig] = []
    seen_inverters: dict[tuple[str, int], str] = {}
    seen_units: dict[tuple[str, int, int], str] = {}
    for index, entry in enumerate(data):
        at = f"devices[{index}]"
        if not isinstance(entry, dict):
            problems.append(_("%(where)s: must be a table.") % {"where": at})
            continue
        own = _commands(entry.get("commands", {}), f"{at}.commands", problems)
        device = DeviceConfig(
            host=check.string(entry, "host", f"{at}.host"),
            port=check.integer(entry, "port", f"{at}.port", low=1, high=65535, default=502),
            unit_id=check.integer(entry, "unit_id", f"{at}.unit_id", low=0, high=255, default=1),
            station=check.string(entry, "station", f"{at}.station"),
            inverter=check.integer(entry, "inverter", f"{at}.inverter", low=1, high=32767),
            commands={**_default_commands(), **commands, **own},
        )
        for key in sorted(
            set(entry) - {"host", "port", "unit_id", "station", "inverter", "commands"}
        ):
            problems.append(_("%(where)s.%(key)s: unknown setting.") % {"where": at, "key": key})
        inverter_key = (device.station, device.inverter)
        unit_key = (device.host, device.port, device.unit_id)
        if inverter_key in seen_inverters:
            problems.append(
                _("%(where)s: inverter %(station)s-%(number)s is already polled by %(other)s.")
                % {
                    "where": at,
                    "station": device.station,
                    "number": device.inverter,
                    "other": seen_inverters[inverter_key],
                }
            )
        if unit_key in seen_units:
            problems.append(
                _("%(where)s: %(host)s:%(port)s unit %(unit)s is already listed as %(other)s.")
                % {
                    "where": at,
                    "host": device.host,
                    "port": device.port,
                    "unit": device.unit_id,
                    "other": seen_units[unit_key],
                }
            )
        seen_inverters.setdefault(inverter_key, at)
        seen_units.setdefault(unit_key, at)
        devices.append(device)
    return devices


def _default_commands() -> dict[str, CommandMapping]:
    return {kind: CommandMapping(kind="sunspec") for kind in DEFAULT_COMMANDS}
