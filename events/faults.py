"""The fault bit table: SunSpec inverter event bits (models 101-103, register Evt1) by name.

The one place that maps an inverter's fault bits to words. A reading's `fault_bits` carries
Evt1 as sent; `reported_state` carries the SunSpec operating state (St), where 7 is FAULT.
"""

from __future__ import annotations

from dataclasses import dataclass

SUNSPEC_STATE_FAULT = 7


@dataclass(frozen=True)
class Fault:
    bit: int
    slug: str
    name_ko: str
    name_en: str

    def name_in(self, language: str) -> str:
        return self.name_ko if language.startswith("ko") else self.name_en


FAULTS: tuple[Fault, ...] = (
    Fault(0, "ground_fault", "지락", "Ground fault"),
    Fault(1, "dc_over_voltage", "DC 과전압", "DC over-voltage"),
    Fault(2, "ac_disconnect", "AC 차단기 개방", "AC disconnect open"),
    Fault(3, "dc_disconnect", "DC 차단기 개방", "DC disconnect open"),
    Fault(4, "grid_disconnect", "계통 분리", "Grid disconnect"),
    Fault(5, "cabinet_open", "함체 열림", "Cabinet open"),
    Fault(6, "manual_shutdown", "수동 정지", "Manual shutdown"),
    Fault(7, "over_temperature", "과온도", "Over-temperature"),
    Fault(8, "over_frequency", "과주파수", "Over-frequency"),
    Fault(9, "under_frequency", "저주파수", "Under-frequency"),
    Fault(10, "ac_over_voltage", "AC 과전압", "AC over-voltage"),
    Fault(11, "ac_under_voltage", "AC 저전압", "AC under-voltage"),
    Fault(12, "blown_string_fuse", "스트링 퓨즈 단선", "Blown string fuse"),
    Fault(13, "under_temperature", "저온도", "Under-temperature"),
    Fault(14, "memory_loss", "메모리 손실", "Memory loss"),
    Fault(15, "hardware_test_failure", "하드웨어 시험 실패", "Hardware test failure"),
)
_BY_BIT = {fault.bit: fault for fault in FAULTS}
_BY_SLUG = {fault.slug: fault for fault in FAULTS}
UNKNOWN_FAULT = Fault(-1, "unknown", "알 수 없는 고장", "Unknown fault")


def faults_decode(bits: int | None) -> list[Fault]:
    """The faults set in `bits`, lowest bit first; bits outside the table count as unknown."""
    if not bits:
        return []
    found = [_BY_BIT[bit] for bit in range(bits.bit_length()) if bits >> bit & 1 and bit in _BY_BIT]
    if bits >> len(FAULTS):
        found.append(UNKNOWN_FAULT)
    return found


def fault_named(slug: str) -> Fault:
    return _BY_SLUG.get(slug, UNKNOWN_FAULT)


@dataclass(frozen=True)
class OperatingState:
    """A SunSpec operating state (St), as a reading's `reported_state` carries it."""

    code: int
    name_ko: str
    name_en: str

    def name_in(self, language: str) -> str:
        return self.name_ko if language.startswith("ko") else self.name_en


OPERATING_STATES: dict[int, OperatingState] = {
    state.code: state
    for state in (
        OperatingState(1, "꺼짐", "Off"),
        OperatingState(2, "절전", "Sleeping"),
        OperatingState(3, "기동 중", "Starting"),
        OperatingState(4, "정상 발전 (MPPT)", "Generating (MPPT)"),
        OperatingState(5, "출력 제한", "Throttled"),
        OperatingState(6, "정지 중", "Shutting down"),
        OperatingState(SUNSPEC_STATE_FAULT, "고장", "Fault"),
        OperatingState(8, "대기", "Standby"),
    )
}


def operating_state_name(code: int | None, language: str) -> str | None:
    """The device state's name; a code outside the table says so, with its number."""
    if code is None:
        return None
    state = OPERATING_STATES.get(code)
    if state is not None:
        return state.name_in(language)
    unknown = "알 수 없는 상태 %d" if language.startswith("ko") else "Unknown state %d"
    return unknown % code


def inverter_is_faulted(*, reported_state: int | None, fault_bits: int | None) -> bool:
    return reported_state == SUNSPEC_STATE_FAULT or bool(fault_bits)
