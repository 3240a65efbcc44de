"""Malformed ingest items of many kinds, and the error each must get: for the fault suite.

A kind turns a good item of its section into a bad one and says which field the server must
name and with which codes. Most kinds are fixed cases (each a way a real collector went wrong,
or an input that once crashed the ingest); the `random ...` kinds draw their value from
hypothesis, so every run also sends text, numbers and objects nobody thought of.

Plant A001 of the suite's `fleet` has inverters 1 and 2 of 50 kW, combiner box 1 of 4 channels
and sensor "poa" (the test adds those two); plant B001 is not served by the collector.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

HUGE_INT = "__HUGE_INT__"  # replaced in the body's text by an integer of 5,000 digits
INF, NAN = float("inf"), float("nan")
ITEM_CODES = {
    "missing_field", "wrong_type", "not_finite", "out_of_range", "too_many_values",
    "invalid_timestamp", "naive_timestamp", "future_timestamp", "too_old", "unknown_station",
    "unknown_device", "not_your_station", "not_your_device", "not_an_object",
}  # fmt: skip
TIMESTAMP_CODES = {"invalid_timestamp", "naive_timestamp", "future_timestamp", "too_old"}


@dataclass(frozen=True)
class Kind:
    name: str
    section: str
    make: Callable[[Callable, dict], Any]  # (draw, good item) -> the bad item
    field: str
    codes: frozenset[str]


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _set(**changes) -> Callable[[Callable, dict], dict]:
    return lambda draw, good: {**good, **changes}


def _without(name: str) -> Callable[[Callable, dict], dict]:
    return lambda draw, good: {k: v for k, v in good.items() if k != name}


def _drawn(name: str, strategy: st.SearchStrategy) -> Callable[[Callable, dict], dict]:
    return lambda draw, good: {**good, name: draw(strategy)}


def _ts_from_now(shift: timedelta, *, as_millis: bool = False) -> Callable[[Callable, dict], dict]:
    """A time relative to the moment the item is made: the suite may collect this module many
    minutes before it runs, and "ten minutes ahead" must still be ahead then."""

    def make(draw, good):
        moment = datetime.now(UTC) + shift
        return {**good, "ts": moment.timestamp() * 1000 if as_millis else _iso(moment)}

    return make


def _constant(value: object) -> Callable[[Callable, dict], object]:
    return lambda draw, good: value


def _nested(depth: int) -> list:
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


def kind(name, section, make, field, *codes) -> Kind:
    return Kind(name, section, make, field, frozenset(codes))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=6,
)
NOT_A_NUMBER = JSON_VALUES.filter(
    lambda v: v is not None and (isinstance(v, bool) or not isinstance(v, int | float))
)
# Text without digits can never be read as a time; surrogates included (category Cs).
ANY_TEXT = st.text(st.characters(exclude_categories=["Nd"]), max_size=30)

READING_KINDS = [
    kind("309-digit ac_kw", "readings", _set(ac_kw=10**308), "ac_kw", "out_of_range"),
    kind("5000-digit state", "readings", _set(state=HUGE_INT), "state", "out_of_range"),
    kind("NaN ac_kw", "readings", _set(ac_kw=NAN), "ac_kw", "not_finite"),
    kind("Infinity dc_kw", "readings", _set(dc_kw=INF), "dc_kw", "not_finite"),
    kind("-Infinity temp_c", "readings", _set(temp_c=-INF), "temp_c", "not_finite"),
    kind("text ac_kw", "readings", _set(ac_kw="12.3"), "ac_kw", "wrong_type"),
    kind("boolean dc_kw", "readings", _set(dc_kw=True), "dc_kw", "wrong_type"),
    kind("list freq_hz", "readings", _set(freq_hz=[60]), "freq_hz", "wrong_type"),
    kind("object pf", "readings", _set(pf={"value": 1}), "pf", "wrong_type"),
    kind("ac_kw over 1.5 capacity", "readings", _set(ac_kw=75.01), "ac_kw", "out_of_range"),
    kind("negative total_kwh", "readings", _set(total_kwh=-1), "total_kwh", "out_of_range"),
    kind("pf 1.5", "readings", _set(pf=1.5), "pf", "out_of_range"),
    kind("fraction state", "readings", _set(state=4.5), "state", "wrong_type"),
    kind("state 70000", "readings", _set(state=70000), "state", "out_of_range"),
    kind("fault_bits 2^63", "readings", _set(fault_bits=2**63), "fault_bits", "out_of_range"),
    kind("negative fault_bits", "readings", _set(fault_bits=-1), "fault_bits", "out_of_range"),
    kind("four phases", "readings", _set(ac_v=[380, 380, 380, 380]), "ac_v",
         "too_many_values"),
    kind("text phase", "readings", _set(ac_v=["380"]), "ac_v[0]", "wrong_type"),
    kind("309-digit phase", "readings", _set(ac_a=[10**308]), "ac_a[0]", "out_of_range"),
    kind("phases as text", "readings", _set(ac_a="18,18,18"), "ac_a", "wrong_type"),
    kind("50 levels in a phase", "readings", _set(ac_v=_nested(50)), "ac_v[0]", "wrong_type"),
    kind("no inverter", "readings", _without("inverter"), "inverter", "missing_field"),
    kind("text inverter", "readings", _set(inverter="1"), "inverter", "wrong_type"),
    kind("float inverter", "readings", _set(inverter=1.0), "inverter", "wrong_type"),
    kind("inverter 0", "readings", _set(inverter=0), "inverter", "out_of_range"),
    kind("309-digit inverter", "readings", _set(inverter=10**308), "inverter", "out_of_range"),
    kind("unknown inverter", "readings", _set(inverter=99), "inverter", "unknown_device"),
    kind("no station", "readings", _without("station"), "station", "missing_field"),
    kind("number station", "readings", _set(station=1), "station", "wrong_type"),
    kind("unknown station", "readings", _set(station="Z999"), "station", "unknown_station"),
    kind("empty station", "readings", _set(station=""), "station", "unknown_station"),
    kind("surrogate station", "readings", _set(station="A\ud800"), "station",
         "unknown_station"),
    kind("10 KB station", "readings", _set(station="A" * 10_000), "station", "unknown_station"),
    kind("station not served", "readings", _set(station="B001"), "inverter", "not_your_device"),
    kind("no ts", "readings", _without("ts"), "ts", "missing_field"),
    kind("naive ts", "readings", _set(ts="2026-11-26T10:00:00"), "ts", "naive_timestamp"),
    kind("word ts", "readings", _set(ts="yesterday"), "ts", "invalid_timestamp"),
    kind("surrogate ts", "readings", _set(ts="\udfff2026"), "ts", "invalid_timestamp"),
    kind("year 1 at +14", "readings", _set(ts="0001-01-01T00:00:00+14:00"), "ts",
         "invalid_timestamp"),
    kind("year 9999 at -14", "readings", _set(ts="9999-12-31T23:59:59-14:00"), "ts",
         "invalid_timestamp"),
    kind("future ts", "readings", _ts_from_now(timedelta(minutes=10)), "ts",
         "future_timestamp"),
    kind("ts past retention", "readings", _ts_from_now(-timedelta(days=401)), "ts",
         "too_old"),
    kind("ts in milliseconds", "readings", _ts_from_now(timedelta(0), as_millis=True), "ts",
         "invalid_timestamp"),
    kind("NaN ts", "readings", _set(ts=NAN), "ts", "not_finite"),
    kind("boolean ts", "readings", _set(ts=True), "ts", "wrong_type"),
    kind("list ts", "readings", _set(ts=[2026, 11, 26]), "ts", "wrong_type"),
    kind("309-digit ts", "readings", _set(ts=10**308), "ts", "invalid_timestamp"),
    kind("epoch before year 1", "readings", _set(ts=-62135596801), "ts", "invalid_timestamp",
         "too_old"),
    kind("item is text", "readings", _constant("reading"), "", "not_an_object"),
    kind("item is null", "readings", _constant(None), "", "not_an_object"),
    kind("item is a list", "readings", _constant([1, 2]), "", "not_an_object"),
    kind("item is a number", "readings", _constant(10**308), "", "not_an_object"),
    kind("random value for ac_kw", "readings", _drawn("ac_kw", NOT_A_NUMBER), "ac_kw",
         "wrong_type"),
    kind("random float for ac_kw", "readings",
         _drawn("ac_kw", st.floats().filter(lambda x: not -2.5 <= x <= 75)), "ac_kw",
         "out_of_range", "not_finite"),
    kind("random integer inverter", "readings",
         _drawn("inverter", st.integers().filter(lambda n: n not in (1, 2))), "inverter",
         "out_of_range", "unknown_device"),
    kind("random text station", "readings",
         _drawn("station", ANY_TEXT.filter(lambda t: t not in ("A001", "B001"))), "station",
         "unknown_station"),
    kind("random text ts", "readings", _drawn("ts", ANY_TEXT), "ts", *TIMESTAMP_CODES),
    kind("random object", "readings",
         lambda draw, good: draw(st.dictionaries(ANY_TEXT.filter(lambda t: t != "station"),
                                                 JSON_VALUES, max_size=4)),
         "station", "missing_field"),
]  # fmt: skip

OTHER_KINDS = [
    kind("no box", "combiner_boxes", _without("box"), "box", "missing_field"),
    kind("unknown box", "combiner_boxes", _set(box=9), "box", "unknown_device"),
    kind("five currents", "combiner_boxes", _set(currents=[1, 1, 1, 1, 1]), "currents",
         "too_many_values"),
    kind("currents as text", "combiner_boxes", _set(currents="8,8"), "currents", "wrong_type"),
    kind("NaN current", "combiner_boxes", _set(currents=[NAN]), "currents[0]", "not_finite"),
    kind("voltage 2000", "combiner_boxes", _set(voltage=2000), "voltage", "out_of_range"),
    kind("no sensor", "sensors", _without("sensor"), "sensor", "missing_field"),
    kind("surrogate sensor", "sensors", _set(sensor="p\ud800"), "sensor", "unknown_device"),
    kind("number sensor", "sensors", _set(sensor=1), "sensor", "wrong_type"),
    kind("irradiance 5000", "sensors", _set(value=5000), "value", "out_of_range"),
    kind("no outage", "grid", _without("outage"), "outage", "missing_field"),
    kind("outage as text", "grid", _set(outage="yes"), "outage", "wrong_type"),
    kind("grid of a plant not served", "grid", _set(station="B001"), "station",
         "not_your_station"),
]  # fmt: skip

KINDS = READING_KINDS + OTHER_KINDS


class GoodItems:
    """Good items of each section, each of a (device, ts) never used before."""

    def __init__(self):
        self.start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=14)
        self.count: dict[str, int] = {}

    def make(self, section: str) -> dict:
        n = self.count[section] = self.count.get(section, 0) + 1
        if section == "readings":
            ts = _iso(self.start + timedelta(minutes=(n + 1) // 2))
            return {"station": "A001", "inverter": 1 + n % 2, "ts": ts, "ac_kw": 12.3,
                    "dc_kw": 12.9, "total_kwh": 1000.0 + n, "ac_v": [380.1, 380.2, 379.9],
                    "state": 4, "fault_bits": 0}  # fmt: skip
        ts = _iso(self.start + timedelta(minutes=n))
        if section == "combiner_boxes":
            return {"station": "A001", "box": 1, "ts": ts, "voltage": 640.2, "currents": [8.1]}
        if section == "sensors":
            return {"station": "A001", "sensor": "poa", "ts": ts, "value": 812.0}
        return {"station": "A001", "ts": ts, "outage": False}
