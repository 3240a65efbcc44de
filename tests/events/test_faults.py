from events.faults import FAULTS, faults_decode, inverter_is_faulted


def test_fault_bits_decode_to_named_faults_in_both_languages():
    faults = faults_decode(0b1000_1000_0001)  # bits 0, 7 and 11
    assert [f.slug for f in faults] == ["ground_fault", "over_temperature", "ac_under_voltage"]
    assert [f.name_in("ko") for f in faults] == ["지락", "과온도", "AC 저전압"]
    assert [f.name_in("en") for f in faults] == [
        "Ground fault",
        "Over-temperature",
        "AC under-voltage",
    ]


def test_bits_outside_the_table_are_an_unknown_fault():
    assert [f.slug for f in faults_decode(1 << 20 | 1 << 12)] == ["blown_string_fuse", "unknown"]
    assert faults_decode(0) == [] and faults_decode(None) == []


def test_the_table_names_each_bit_once():
    assert [f.bit for f in FAULTS] == list(range(16))
    assert len({f.slug for f in FAULTS}) == 16


def test_a_fault_is_the_sunspec_fault_state_or_any_bit():
    assert inverter_is_faulted(reported_state=7, fault_bits=None)
    assert inverter_is_faulted(reported_state=4, fault_bits=1 << 7)
    assert not inverter_is_faulted(reported_state=4, fault_bits=0)
