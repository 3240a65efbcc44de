"""End to end with the real clock and the job functions: the site reports a grid outage, the
alarm is raised and the e-mail arrives; the grid returns and the clear e-mail arrives.

The ingest (monitoring/ingest.py) and the simulator land with the telemetry branch; until then
the site's reports are written to the latest-state tables exactly as the ingest contract says.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from events import jobs
from events.models import Alarm
from tests.events.world import World

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])


def site_reports(world: World, *, outage: bool) -> None:
    minute = (timezone.now() - world.start).total_seconds() / 60
    world.grid(minute, outage=outage)
    world.readings(minute, ac_kw=0 if outage else 40, grid_outage=outage)


def test_grid_outage_and_return_reach_the_owner_by_e_mail(smtp):
    smtp.start()
    world = World(start=timezone.now())
    site_reports(world, outage=False)
    jobs.detect_events()
    assert jobs.send_notifications().startswith("0 sent")

    site_reports(world, outage=True)
    jobs.detect_events()
    jobs.detect_events()
    assert Alarm.objects.filter(event_type_id=201, cleared_at=None).count() == 1
    assert jobs.send_notifications().startswith("3 sent")  # owner: e-mail, SMS; manager
    [raised] = smtp.inbox.to("owner-p001@example.com")
    assert raised["Subject"] == "[Plant P001] 계통 정전"

    site_reports(world, outage=False)
    jobs.detect_events()
    jobs.detect_events()
    assert jobs.send_notifications().startswith("3 sent")
    subjects = [m["Subject"] for m in smtp.inbox.to("owner-p001@example.com")]
    assert subjects == ["[Plant P001] 계통 정전", "[Plant P001] 계통 정전: 해제"]
    assert Alarm.objects.get().cleared_at is not None
