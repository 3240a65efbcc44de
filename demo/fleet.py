"""The demo fleet: believable Korean plants, their owners, operators and collectors.

`demo_fleet_seed` is deterministic (the same seed gives the same fleet, and plant N is the same
whatever the fleet's size) and idempotent (running it again changes nothing). Every name, phone
number and address it makes up is fake: phones are 010-0000-xxxx, e-mails @example.com.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.db import transaction

from accounts.models import Customer, User
from accounts.phones import normalize_phone
from monitoring.models import Collector, CombinerBox, Inverter, PowerStation, Region, Sensor

# For the demo only: printed by seed_demo, never used by anything else.
DEMO_PASSWORD = "solar-demo-2024"

# Province, towns with approximate coordinates, and how many of the fleet's plants go there
# (weighted the way Korean solar capacity is spread: the south-west and the centre lead).
REGIONS: dict[str, tuple[str, int, list[tuple[str, float, float]]]] = {
    Region.JEONNAM: (
        "전라남도",
        20,
        [
            ("영암군", 34.80, 126.70),
            ("해남군", 34.57, 126.60),
            ("나주시", 35.02, 126.71),
            ("신안군", 34.83, 126.35),
            ("고흥군", 34.61, 127.28),
            ("무안군", 34.99, 126.48),
            ("영광군", 35.28, 126.51),
        ],
    ),
    Region.JEONBUK: (
        "전북특별자치도",
        15,
        [
            ("김제시", 35.80, 126.88),
            ("군산시", 35.97, 126.74),
            ("부안군", 35.73, 126.73),
            ("고창군", 35.44, 126.70),
            ("정읍시", 35.57, 126.86),
        ],
    ),
    Region.CHUNGNAM: (
        "충청남도",
        14,
        [
            ("당진시", 36.89, 126.63),
            ("서산시", 36.78, 126.45),
            ("태안군", 36.75, 126.30),
            ("보령시", 36.33, 126.61),
            ("홍성군", 36.60, 126.66),
        ],
    ),
    Region.GYEONGBUK: (
        "경상북도",
        14,
        [
            ("상주시", 36.41, 128.16),
            ("의성군", 36.35, 128.70),
            ("영천시", 35.97, 128.94),
            ("김천시", 36.14, 128.11),
            ("안동시", 36.57, 128.73),
        ],
    ),
    Region.GYEONGNAM: (
        "경상남도",
        8,
        [
            ("합천군", 35.57, 128.17),
            ("밀양시", 35.50, 128.75),
            ("창녕군", 35.54, 128.49),
            ("함안군", 35.27, 128.41),
        ],
    ),
    Region.CHUNGBUK: (
        "충청북도",
        7,
        [("진천군", 36.86, 127.44), ("음성군", 36.94, 127.69), ("괴산군", 36.82, 127.79)],
    ),
    Region.GANGWON: (
        "강원특별자치도",
        7,
        [("홍천군", 37.70, 127.89), ("횡성군", 37.49, 127.99), ("철원군", 38.15, 127.31)],
    ),
    Region.GYEONGGI: (
        "경기도",
        6,
        [("화성시", 37.20, 126.83), ("평택시", 36.99, 127.11), ("안성시", 37.01, 127.28)],
    ),
    Region.JEJU: ("제주특별자치도", 4, [("제주시", 33.45, 126.50), ("서귀포시", 33.28, 126.60)]),
    Region.SEOUL: ("서울특별시", 1, [("마포구", 37.56, 126.90), ("강서구", 37.55, 126.85)]),
    Region.BUSAN: ("부산광역시", 1, [("기장군", 35.24, 129.22), ("강서구", 35.21, 128.98)]),
    Region.DAEGU: ("대구광역시", 1, [("달성군", 35.77, 128.43), ("군위군", 36.24, 128.57)]),
    Region.INCHEON: ("인천광역시", 1, [("강화군", 37.75, 126.49), ("서구", 37.55, 126.68)]),
    Region.GWANGJU: ("광주광역시", 1, [("광산구", 35.14, 126.79)]),
    Region.DAEJEON: ("대전광역시", 1, [("유성구", 36.36, 127.36)]),
    Region.ULSAN: ("울산광역시", 1, [("울주군", 35.56, 129.24)]),
    Region.SEJONG: ("세종특별자치시", 1, [("연기면", 36.53, 127.26)]),
}

INVERTER_MAKERS = [("Hyosung", "HS"), ("Dasstech", "DSP"), ("Ecos", "ECO"), ("Sungrow", "SG")]
SURNAMES = ["김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오", "서", "신"]
GIVEN_NAMES = ["민준", "서연", "도윤", "지우", "하준", "서윤", "지호", "민서", "현우", "수빈"]
COMPANY_WORDS = [
    "햇살",
    "해오름",
    "푸른들",
    "새빛",
    "한빛",
    "가온",
    "누리",
    "다솜",
    "별빛",
    "온누리",
]
COMPANY_FORMS = ["{word}에너지(주)", "{word}솔라", "{word}발전 주식회사", "(주){word}태양광"]
STATUS_WEIGHTS = [
    (PowerStation.Status.OPERATING, 90),
    (PowerStation.Status.UNDER_CONSTRUCTION, 4),
    (PowerStation.Status.NOT_IN_USE, 3),
    (PowerStation.Status.DECOMMISSIONED, 3),
]


@dataclass
class DemoFleet:
    """What a seed made, for seed_demo to print."""

    stations: list[PowerStation] = field(default_factory=list)
    inverters: int = 0
    customers: list[Customer] = field(default_factory=list)
    admin: User | None = None
    operators: list[User] = field(default_factory=list)
    owners: list[User] = field(default_factory=list)
    collectors_file: Path | None = None

    @property
    def capacity_kwp(self) -> Decimal:
        return sum((station.capacity_kwp for station in self.stations), Decimal(0))


def fake_mobile(number: int) -> str:
    """010-0000-xxxx: numbers no Korean carrier hands out."""
    return f"010-0000-{number:04d}"


def demo_fleet_seed(*, stations: int, seed: int, collectors_file: Path) -> DemoFleet:
    fleet = DemoFleet(collectors_file=collectors_file)
    password = make_password(DEMO_PASSWORD)  # hashed once: hashing is slow by design
    with transaction.atomic():
        fleet.admin = _user("admin", User.Role.ADMIN, 1, password, first_name="관리자")
        operator_count = min(3, max(1, stations // 10))
        fleet.operators = [
            _user(
                f"operator{n}",
                User.Role.OPERATOR,
                100 + n,
                password,
                last_name=SURNAMES[n],
                first_name=GIVEN_NAMES[n],
            )
            for n in range(1, operator_count + 1)
        ]
        owner_of = _customer_for_each_station(stations=stations, seed=seed)
        for number in sorted(set(owner_of)):
            customer, owner = _customer_and_owner(number=number, seed=seed, password=password)
            fleet.customers.append(customer)
            fleet.owners.append(owner)
        town_counts: dict[str, int] = {}
        for index in range(1, stations + 1):
            station = _station(
                index=index,
                seed=seed,
                customer=fleet.customers[owner_of[index - 1] - 1],
                manager=fleet.operators[(index - 1) % len(fleet.operators)],
                town_counts=town_counts,
            )
            fleet.stations.append(station)
            fleet.inverters += station.inverters.count()
        tokens = _collectors(fleet.stations, collectors_file)
    _write_tokens(collectors_file, tokens)
    return fleet


def _customer_for_each_station(*, stations: int, seed: int) -> list[int]:
    """Customer number of each station: consecutive plants share an owner, 1 to 4 each."""
    rng = random.Random(f"{seed}:customers")
    numbers: list[int] = []
    customer = 0
    while len(numbers) < stations:
        customer += 1
        numbers.extend([customer] * rng.choice([1, 1, 2, 2, 3, 4]))
    return numbers[:stations]


def _user(username: str, role: str, phone: int, password: str, **fields) -> User:
    user, created = User.objects.update_or_create(
        username=username,
        defaults={
            "role": role,
            "phone": normalize_phone(fake_mobile(phone)),
            "email": f"{username}@example.com",
            "language": "ko",
            **fields,
        },
    )
    if created:
        user.password = password
        user.save(update_fields=["password"])
    return user


def _customer_and_owner(*, number: int, seed: int, password: str) -> tuple[Customer, User]:
    rng = random.Random(f"{seed}:customer:{number}")
    person = rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)
    if rng.random() < 0.4:
        name = f"{person} ({number:03d})"
    else:
        form = rng.choice(COMPANY_FORMS)
        name = f"{form.format(word=rng.choice(COMPANY_WORDS))} ({number:03d})"
    phone = 1000 + number
    username = f"owner{number:02d}"
    # The owner's user id is the natural key: their customer is the one to update.
    existing = User.objects.filter(username=username).select_related("customer").first()
    customer = (existing and existing.customer) or Customer()
    customer.name = name
    customer.contact_person = person
    customer.phone = fake_mobile(phone)
    customer.email = f"{username}@example.com"
    customer.memo = "demo"
    customer.save()
    owner = _user(
        username,
        User.Role.OWNER,
        phone,
        password,
        first_name=person[1:],
        last_name=person[0],
        customer=customer,
    )
    return customer, owner


def _station(
    *, index: int, seed: int, customer: Customer, manager: User, town_counts: dict[str, int]
) -> PowerStation:
    rng = random.Random(f"{seed}:station:{index}")
    region = rng.choices(list(REGIONS), weights=[weight for _, weight, _ in REGIONS.values()])[0]
    province, _, towns = REGIONS[region]
    town, lat, lon = rng.choice(towns)
    short = town[:-1] if len(town) > 2 else town
    town_counts[town] = town_counts.get(town, 0) + 1
    capacity = _capacity(rng)
    statuses, weights = zip(*STATUS_WEIGHTS, strict=True)
    status = rng.choices(statuses, weights=weights)[0]
    if index == 1:
        status = PowerStation.Status.OPERATING  # the first plant always has something to show
    station, _ = PowerStation.objects.update_or_create(
        code=f"D{index:04d}",
        defaults={
            "name": f"{short} 태양광 {town_counts[town]}호",
            "customer": customer,
            "manager": manager,
            "region": region,
            "address": f"{province} {town} 산{rng.randint(1, 399)}-{rng.randint(1, 9)}",
            "latitude": round(lat + rng.uniform(-0.06, 0.06), 5),
            "longitude": round(lon + rng.uniform(-0.06, 0.06), 5),
            "capacity_kwp": capacity,
            "status": status,
            "time_zone": "Asia/Seoul",
            "installed_on": date(rng.randint(2012, 2024), rng.randint(1, 12), rng.randint(1, 28)),
        },
    )
    _equipment(station, rng)
    return station


def _capacity(rng: random.Random) -> Decimal:
    """Korean plant sizes cluster just under 100 kWp (the small-plant tariff line)."""
    band = rng.random()
    if band < 0.4:
        kwp = rng.uniform(95, 99.9)
    elif band < 0.5:
        kwp = rng.uniform(50, 95)
    elif band < 0.8:
        kwp = rng.uniform(100, 500)
    else:
        kwp = rng.uniform(500, 1000)
    return Decimal(f"{kwp:.2f}")


# Inverter sizes on the Korean market (kW AC).
INVERTER_SIZES = (20, 25, 30, 40, 50, 60, 75, 100, 125)


def _inverter_layout(capacity_kwp: float, rng: random.Random) -> tuple[int, int]:
    """(count, kW each): modules over inverters at a DC/AC ratio of 1.1 to 1.3, as plants are
    built: the sizes closest to that, the bigger ones among equals, at most ten."""
    ac_target = capacity_kwp / rng.uniform(1.1, 1.3)

    def miss(size: int) -> tuple[float, int]:
        count = min(10, max(1, round(ac_target / size)))
        return round(abs(count * size - ac_target) / ac_target, 2), -size

    size = min(INVERTER_SIZES, key=miss)
    return min(10, max(1, round(ac_target / size))), size


def _equipment(station: PowerStation, rng: random.Random) -> None:
    """Inverters (AC) with the plant's modules (DC) shared evenly; the plant's AC capacity is
    their sum, so the simulator and the figures use the same two numbers."""
    capacity = float(station.capacity_kwp)
    count, size = _inverter_layout(capacity, rng)
    share = (station.capacity_kwp / count).quantize(Decimal("0.01"))
    maker, prefix = rng.choice(INVERTER_MAKERS)
    for number in range(1, count + 1):
        dc = share if number < count else station.capacity_kwp - share * (count - 1)
        Inverter.objects.update_or_create(
            station=station,
            number=number,
            defaults={
                "maker": maker,
                "model": f"{prefix}-{size}K",
                "serial": f"{prefix}{station.code}{number:02d}",
                "capacity_kw": Decimal(size),
                "capacity_kwp": dc,
                "phases": 3,
                "is_active": True,
            },
        )
    station.inverters.filter(number__gt=count).delete()
    PowerStation.objects.filter(pk=station.pk).update(capacity_kw=Decimal(size * count))
    station.capacity_kw = Decimal(size * count)

    boxes = count if capacity >= 200 and rng.random() < 0.7 else 0
    channels = rng.choice([8, 12, 16])
    for number in range(1, boxes + 1):
        CombinerBox.objects.update_or_create(
            station=station, number=number, defaults={"channels": channels}
        )
    station.combiner_boxes.filter(number__gt=boxes).delete()

    sensors = []
    if rng.random() < 0.5:
        sensors = [
            (Sensor.Kind.POA_IRRADIANCE, "경사면 일사량"),
            (Sensor.Kind.MODULE_TEMP, "모듈 온도"),
        ]
    for kind, name in sensors:
        Sensor.objects.update_or_create(station=station, name=name, defaults={"kind": kind})
    station.sensors.exclude(name__in=[name for _, name in sensors]).delete()


def _collectors(stations: list[PowerStation], collectors_file: Path) -> list[dict]:
    """One collector per plant. A token already in the file (and still valid) is kept, so a
    running simulator is not cut off by a second seed; otherwise a new one is issued."""
    known = {
        entry["name"]: entry["token"]
        for entry in _read_tokens(collectors_file).get("collectors", [])
    }
    entries = []
    for station in stations:
        collector, _ = Collector.objects.get_or_create(name=f"demo-{station.code}")
        collector.stations.set([station])
        station.inverters.update(collector=collector)
        token = known.get(collector.name)
        if not token or Collector.hash_token(token) != collector.token_hash:
            token = collector.issue_token()
        entries.append({"name": collector.name, "token": token, "stations": [station.code]})
    return entries


def _read_tokens(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return {}


def _write_tokens(path: Path, entries: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"collectors": entries}, ensure_ascii=False, indent=1))
    temporary.chmod(0o600)
    temporary.replace(path)
