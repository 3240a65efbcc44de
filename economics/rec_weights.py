"""The REC weight of a solar plant: the table, and the one function that applies it.

Source: Ministry of Trade, Industry and Energy, "Operating guidelines of the Renewable Portfolio
Standard and fuel mixing obligation" (신·재생에너지 공급의무화제도 및 연료 혼합의무화제도
관리·운영지침), annex 2, as revised on 2021-07-28 (solar weights for facilities certified from
that day on). Since the 2018 revision a solar plant's weight is applied band by band over its
capacity and averaged: a 150 kW plant on general land gets (100 x 1.2 + 50 x 1.0) / 150.
A plant certified under earlier rules keeps the weight on its certificate: enter it per plant
(PlantEconomics.rec_weight), which always wins over this table.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from economics.models import InstallationType

# installation type -> bands of (capacity up to kW, or None for "and above"; weight)
REC_WEIGHT_BANDS: dict[str, tuple[tuple[Decimal | None, Decimal], ...]] = {
    InstallationType.GENERAL: (
        (Decimal("100"), Decimal("1.2")),
        (Decimal("3000"), Decimal("1.0")),
        (None, Decimal("0.8")),
    ),
    InstallationType.BUILDING: (
        (Decimal("3000"), Decimal("1.5")),
        (None, Decimal("1.0")),
    ),
    InstallationType.FLOATING: (
        (Decimal("1000"), Decimal("1.6")),
        (Decimal("3000"), Decimal("1.4")),
        (None, Decimal("1.2")),
    ),
    InstallationType.FOREST: ((None, Decimal("0.5")),),
}
PLACES = Decimal("0.0001")


def rec_weight_default(*, capacity_kw: Decimal, installation_type: str) -> Decimal:
    """The capacity-weighted average of the bands' weights, to four places."""
    capacity = Decimal(capacity_kw)
    if capacity <= 0:
        raise ValueError("A plant's capacity must be positive to weigh its RECs.")
    weighted, lower = Decimal(0), Decimal(0)
    for upper, weight in REC_WEIGHT_BANDS[installation_type]:
        top = capacity if upper is None else min(capacity, upper)
        if top > lower:
            weighted += (top - lower) * weight
        if upper is None or capacity <= upper:
            break
        lower = upper
    return (weighted / capacity).quantize(PLACES, rounding=ROUND_HALF_UP)
