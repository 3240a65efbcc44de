"""seed_demo: a believable fleet, the same for the same seed, unchanged by a second run."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Customer, User
from accounts.sessions import login_attempt
from demo.fleet import DEMO_PASSWORD
from monitoring.models import Collector, CombinerBox, Inverter, PowerStation, Region, Sensor
from monitoring.visibility import stations_visible_to


@pytest.fixture
def seed(db, settings, tmp_path):
    settings.DEBUG = True
    tokens = tmp_path / "demo-collectors.json"

    def run(stations=12, seed=1) -> str:
        out = StringIO()
        call_command(
            "seed_demo",
            stations=stations,
            seed=seed,
            collectors_file=tokens,
            stdout=out,
        )
        return out.getvalue()

    run.tokens = tokens
    return run


def fleet_snapshot() -> dict:
    return {
        "stations": list(
            PowerStation.objects.order_by("code").values_list(
                "code",
                "name",
                "region",
                "address",
                "latitude",
                "longitude",
                "capacity_kwp",
                "status",
                "customer__name",
                "manager__username",
                "installed_on",
            )
        ),
        "inverters": list(
            Inverter.objects.order_by("station__code", "number").values_list(
                "station__code", "number", "maker", "model", "capacity_kw", "collector__name"
            )
        ),
        "boxes": list(CombinerBox.objects.values_list("station__code", "number", "channels")),
        "sensors": list(Sensor.objects.values_list("station__code", "kind", "name")),
        "customers": list(Customer.objects.values_list("name", "contact_person", "phone")),
        "users": list(
            User.objects.order_by("username").values_list(
                "username", "role", "customer__name", "phone", "is_staff", "first_name"
            )
        ),
        "collectors": list(
            Collector.objects.order_by("name").values_list("name", "stations__code", "token_hash")
        ),
    }


def test_the_fleet_is_believable(seed):
    printed = seed(stations=30)
    stations = list(PowerStation.objects.prefetch_related("inverters", "collectors"))
    assert len(stations) == 30
    assert {station.region for station in stations} <= set(Region.values)
    assert len({station.region for station in stations}) >= 5
    for station in stations:
        assert 33 < station.latitude < 38.7 and 124.5 < station.longitude < 130, station
        assert 50 <= station.capacity_kwp <= 1000
        assert 1 <= len(station.inverters.all()) <= 10
        assert [c.name for c in station.collectors.all()] == [f"demo-{station.code}"]
        assert {inverter.collector.name for inverter in station.inverters.all()} == {
            f"demo-{station.code}"
        }
    assert Sensor.objects.filter(kind=Sensor.Kind.POA_IRRADIANCE).exists()
    assert CombinerBox.objects.exists()
    roles = dict(User.objects.values_list("username", "role"))
    assert roles["admin"] == "admin" and roles["operator1"] == "operator"
    assert all(
        phone.startswith("+8210000") for phone in User.objects.values_list("phone", flat=True)
    )
    assert f"password for every one: {DEMO_PASSWORD}" in printed
    assert "owner01" in printed and "operator1" in printed and "admin" in printed


def test_each_owner_sees_only_their_customers_plants(seed):
    seed(stations=20)
    for owner in User.objects.filter(role=User.Role.OWNER):
        visible = stations_visible_to(owner)
        assert visible.exists()
        assert set(visible) == set(PowerStation.objects.filter(customer=owner.customer))
    assert stations_visible_to(User.objects.get(username="operator1")).count() == 20


def test_the_printed_logins_work(seed):
    seed()
    for username in ["admin", "operator1", "owner01"]:
        outcome = login_attempt(username=username, password=DEMO_PASSWORD, address=None)
        assert outcome.ok, username


def test_the_collector_tokens_written_for_the_simulator_are_valid(seed):
    seed()
    entries = json.loads(seed.tokens.read_text())["collectors"]
    assert len(entries) == 12
    for entry in entries:
        collector = Collector.objects.get(name=entry["name"])
        assert collector.token_hash == Collector.hash_token(entry["token"])
        assert entry["stations"] == [collector.stations.get().code]


def test_running_it_twice_changes_nothing(seed):
    seed()
    tokens = seed.tokens.read_text()
    before = fleet_snapshot()
    seed()
    assert fleet_snapshot() == before
    assert seed.tokens.read_text() == tokens


def wipe() -> None:
    for model in [PowerStation, Collector, User, Customer]:
        model.objects.all().delete()


def test_the_same_seed_gives_the_same_fleet(seed):
    seed(seed=1)
    first = fleet_snapshot()
    wipe()
    seed(seed=2)
    assert fleet_snapshot()["stations"] != first["stations"]
    wipe()
    seed(seed=1)
    # Tokens are secrets: each new collector gets a fresh one.
    assert fleet_snapshot() | {"collectors": None} == first | {"collectors": None}


def test_seeding_another_seed_and_back_restores_the_plants(seed):
    seed(seed=1)
    first = fleet_snapshot()
    seed(seed=2)
    seed(seed=1)
    after = fleet_snapshot()
    for part in ["stations", "inverters", "boxes", "sensors"]:
        assert sorted(after[part]) == sorted(first[part]), part


def test_a_bigger_fleet_keeps_the_plants_of_a_smaller_one(seed):
    seed(stations=5)
    small = fleet_snapshot()["stations"]
    seed(stations=15)
    assert fleet_snapshot()["stations"][:5] == small


def test_it_refuses_to_run_on_a_production_site(db, settings, tmp_path):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="runs only with DEBUG=true"):
        call_command("seed_demo", stations=3, collectors_file=tmp_path / "t.json")
    assert not PowerStation.objects.exists()
