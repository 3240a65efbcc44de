"""manage.py seed_demo --stations N [--seed S]: load the demo fleet and print its logins."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from demo.fleet import DEMO_PASSWORD, demo_fleet_seed
from demo.prices import demo_prices_seed


class Command(BaseCommand):
    help = (
        "Create a believable demo fleet of Korean solar plants with owners, operators, an "
        "administrator and a collector per plant. The same seed gives the same fleet; running "
        "it again changes nothing. Collector tokens go to var/demo-collectors.json. It also "
        "loads a year of made-up SMP and REC prices, so the demo's revenue is not zero."
    )

    def add_arguments(self, parser):
        parser.add_argument("--stations", type=int, default=30, help="how many plants (1-5000)")
        parser.add_argument("--seed", type=int, default=1, help="the fleet's random seed")
        parser.add_argument(
            "--collectors-file",
            type=Path,
            default=settings.VAR_DIR / "demo-collectors.json",
            help="where the collectors' tokens are written for the simulator",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="run even with DEBUG off (it creates accounts with a published password)",
        )

    def handle(self, *args, stations: int, seed: int, collectors_file: Path, force: bool, **_):
        if not 1 <= stations <= 5000:
            raise CommandError("--stations must be between 1 and 5000.")
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts whose password it prints, so it runs only with "
                "DEBUG=true; add --force if this really is a demo site."
            )
        fleet = demo_fleet_seed(stations=stations, seed=seed, collectors_file=collectors_file)
        prices = demo_prices_seed(today=timezone.localdate())
        owner = fleet.owners[0]
        owned = sum(1 for station in fleet.stations if station.customer_id == owner.customer_id)
        self.stdout.write(
            f"Demo fleet (seed {seed}): {len(fleet.stations)} plants, "
            f"{fleet.capacity_kwp / 1000:.1f} MWp, {fleet.inverters} inverters, "
            f"{len(fleet.customers)} customers."
        )
        self.stdout.write(f"Demo logins (password for every one: {DEMO_PASSWORD}):")
        self.stdout.write(f"  {fleet.admin.username:<10} administrator: everything, and /admin/")
        for operator in fleet.operators:
            self.stdout.write(f"  {operator.username:<10} operator: sees every plant")
        self.stdout.write(
            f"  {owner.username:<10} plant owner: sees the {owned} plant(s) of "
            f"{owner.customer.name} (owner02 ... owner{len(fleet.owners):02d} likewise)"
        )
        self.stdout.write(f"Collector tokens for the simulator: {fleet.collectors_file}")
        self.stdout.write(
            f"SMP and REC prices {prices.first} - {prices.last}: made-up figures for the demo, "
            f"not KPX's ({prices.smp_days} daily SMP and {prices.rec_weeks} weekly REC prices "
            "added)."
        )
