"""The pages in a real browser (Debian's chromium, headless): what an operator and an owner see.

Each test saves a screenshot under test-artifacts/ (git-ignored) to look at after a run.
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect, sync_playwright

from events.models import Alarm, EventType
from monitoring import plant_time
from monitoring.models import PowerStation
from tests.conftest import PASSWORD, dark, make_station
from tests.economics.conftest import put_days
from tests.monitoring.page_data import (
    combiner_box_with_weak_string,
    day_of_readings,
    grid_set,
    rollups_compute,
    status_set,
)

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "telemetry"])
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Flags for a machine without a display and without the internet (see the machine notes).
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="module")
def browser():
    # Playwright's sync API runs an event loop in this thread for the whole module; the ORM
    # calls the tests and fixtures make between browser steps are still plain synchronous code.
    saved = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    assert Path(chromium).exists(), "chromium is missing: scripts/setup.sh installs it"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
    if saved is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def world(fleet):
    """Owner A's plant runs and has yesterday's data; B001 has lost its grid and alarms."""
    now = timezone.now()
    a, b = fleet["station_a"], fleet["station_b"]
    yesterday = plant_time.local_date(now, a.tz) - timedelta(days=1)
    day_of_readings(a, yesterday)
    rollups_compute([a], [yesterday])
    for inverter in a.inverters.all():
        status_set(inverter, at=now - timedelta(minutes=1), ac_kw=31.5, day_kwh=90.0)
    for inverter in b.inverters.all():
        status_set(inverter, at=now, ac_kw=0.0, day_kwh=10.0)
    grid_set(b, at=now, outage=True)
    combiner_box_with_weak_string(a, at=now - timedelta(minutes=1))
    alarm = Alarm.objects.create(
        event_type_id=EventType.GRID_OUTAGE, subject=f"st:{b.id}", station=b,
        raised_at=now - timedelta(minutes=5), open_key=f"201:st:{b.id}",
    )  # fmt: skip
    return {**fleet, "yesterday": yesterday, "alarm": alarm}


@pytest.fixture
def page(browser, live_server, world, request):
    context = browser.new_context(locale="ko-KR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.base_url = live_server.url
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def log_in(page, username: str) -> None:
    page.goto(page.base_url + "/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login button")
    expect(page.locator("h1")).to_have_text("발전소")
    page.wait_for_load_state()  # htmx (deferred) has bound the page: typing is heard


def test_the_overview_lists_the_plants_with_their_states(page):
    log_in(page, "operator")
    rows = page.locator("table.fleet tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("tr[data-code=A001] .badge")).to_have_text("정상")
    expect(page.locator("tr[data-code=B001] .badge")).to_have_text("정전")
    expect(page.locator("tr[data-code=A001]")).to_contain_text("63.0 kW")
    expect(page.locator("ul.counts li.state-grid_outage .n")).to_have_text("1")
    # sorting by current power, descending, without reloading the page
    page.click("th >> text=현재 출력")
    expect(page.locator("th[aria-sort=ascending]")).to_contain_text("현재 출력")
    expect(page).to_have_url(re.compile(r"sort=kw"))
    expect(page.locator("table.fleet tbody tr").first).to_have_attribute("data-code", "B001")
    page.click("th >> text=현재 출력")
    expect(page.locator("th[aria-sort=descending]")).to_contain_text("현재 출력")
    expect(page).to_have_url(re.compile(r"sort=-kw"))
    expect(page.locator("table.fleet tbody tr").first).to_have_attribute("data-code", "A001")


def test_the_plant_page_draws_its_chart_with_data_points(page, world):
    log_in(page, "owner_a")
    page.goto(f"{page.base_url}/plants/A001/?date={world['yesterday']}")
    page.wait_for_function(
        "() => { const c = document.getElementById('chart-curve');"
        " return c && c.chart && c.chart.data.datasets[0].data.length > 0; }"
    )
    points = page.evaluate(
        "() => document.getElementById('chart-curve').chart.data.datasets.map(d => d.data.length)"
    )
    assert points[0] == 144 and len(points) == 4  # total, two inverters, irradiance
    bars = page.evaluate(
        "() => document.getElementById('chart-hourly').chart.data.datasets[0].data"
    )
    assert max(bars) > 70
    expect(page.locator("tr.weak")).to_contain_text("저전류 스트링")


def test_acknowledging_an_alarm_changes_its_row(page, world):
    log_in(page, "operator")
    page.goto(page.base_url + "/events/?status=open")
    row = page.locator(f"#alarm-{world['alarm'].id}")
    expect(row).to_contain_text("201")
    row.get_by_role("button", name="확인").click()
    expect(row.locator(".ack")).to_contain_text("확인됨")
    expect(row.locator(".ack")).to_contain_text("operator")
    assert Alarm.objects.get(id=world["alarm"].id).acknowledged_by.username == "operator"


def test_the_header_search_suggests_a_plant(page):
    log_in(page, "operator")
    page.fill("form.search input[name=q]", "b00")
    suggestion = page.locator("#suggestions a")
    expect(suggestion).to_have_count(1)
    expect(suggestion).to_contain_text("B001")
    suggestion.click()
    expect(page.locator("h1")).to_contain_text("B001 Plant B001")


def test_the_language_switch_turns_the_page_english(page):
    log_in(page, "owner_a")
    page.click("button[value=en]")
    expect(page.locator("h1")).to_have_text("Plants")
    expect(page.locator("tr[data-code=A001] .badge")).to_have_text("Normal")
    expect(page.locator("nav.main")).to_contain_text("My notifications")


def test_an_owner_cannot_reach_another_owners_plant(page):
    log_in(page, "owner_a")
    expect(page.locator("table.fleet tbody tr")).to_have_count(1)
    response = page.goto(page.base_url + "/plants/B001/")
    assert response.status == 404
    page.goto(page.base_url + "/search/?q=B001")
    expect(page.locator("main")).to_contain_text("찾은 발전소가 없습니다.")


def test_on_a_phone_the_overview_is_one_card_per_plant(browser, live_server, world, page):
    log_in(page, "owner_a")
    page.set_viewport_size({"width": 390, "height": 844})
    card = page.locator("tr[data-code=A001]")
    expect(card).to_contain_text("정상")
    cell = "document.querySelector('tr[data-code=A001] td')"
    assert page.evaluate(f"() => getComputedStyle({cell}).display") == "block"
    label = page.evaluate(f"() => getComputedStyle({cell}, '::before').content")
    assert label == '"코드: "'  # each value says what it is
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390  # nothing sticks out sideways


def test_a_plant_asleep_at_night_shows_night_not_stopped(page):
    """N001 stands where it is midnight now; its inverters disconnected at dusk (0 kW, 0 V)
    and have been quiet for four hours: asleep, not stopped, lost or in a grid outage."""
    now = timezone.now()
    asleep = make_station("N001", **dark(now))
    for inverter in asleep.inverters.all():
        status_set(inverter, at=now - timedelta(hours=4), ac_kw=0.0, state="grid_outage")
    log_in(page, "operator")
    expect(page.locator("tr[data-code=N001] .badge")).to_have_text("야간")
    expect(page.locator("ul.counts li.state-night .n")).to_have_text("1")
    expect(page.locator("ul.counts li.state-stopped .n")).to_have_text("0")
    page.click("ul.counts li.state-night a")
    expect(page.locator("table.fleet tbody tr")).to_have_count(1)
    page.click("tr[data-code=N001] a >> nth=0")
    expect(page.locator("h1 .badge")).to_have_text("야간")
    expect(page.locator("table tr.state-night").first).to_contain_text("절전")


def test_the_overview_puts_problems_first_under_the_fleet_figures(page):
    log_in(page, "operator")
    rows = page.locator("table.fleet tbody tr")
    expect(rows.first).to_have_attribute("data-code", "B001")  # its grid outage alarm
    figures = page.locator("dl.figures")
    expect(figures.locator(".fig-power strong")).to_have_text("63.0 kW")
    expect(figures.locator(".fig-power")).to_contain_text("200.0 kWp")
    expect(figures.locator(".fig-alarms .sev-critical .n")).to_have_text("1")
    expect(page.locator("#fleet .revenue-card")).to_be_visible()


def test_an_english_page_has_no_hangul(page, world):
    """The revenue card is cached, with its notes in words; an English page must not get the
    Korean ones. A001 made energy today and no price is published: the card has a note."""
    a = world["station_a"]
    put_days(a, {plant_time.local_date(timezone.now(), a.tz): 100.0})
    log_in(page, "operator")  # Korean first: the card is cached in Korean
    expect(page.locator(".revenue-card .note").first).to_contain_text("공시되지 않았습니다")
    page.click("button[value=en]")
    expect(page.locator("h1")).to_have_text("Plants")
    expect(page.locator(".revenue-card .note").first).to_contain_text("is published")
    text = page.locator("main").inner_text()
    assert not re.search("[\uac00-\ud7a3]", text), text


def test_the_map_has_a_dot_per_plant_coloured_by_state(page, world):
    PowerStation.objects.filter(code="B001").update(latitude=37.5, longitude=127.0)
    asked = []
    page.on("request", lambda r: asked.append(r.url) if "/map/" in r.url else None)
    log_in(page, "operator")
    dots = page.locator("figure.map circle.dot")
    expect(dots).to_have_count(2)
    page.wait_for_load_state("networkidle")
    assert len(asked) == 1, asked  # the dots come apart from the page, asked once
    expect(page.locator("figure.map path.land").first).to_be_attached()  # Korea's outline
    a = page.locator("figure.map a[data-code=A001] circle")
    b = page.locator("figure.map a[data-code=B001] circle")
    expect(a).to_have_class(re.compile("state-normal"))
    expect(b).to_have_class(re.compile("state-grid_outage"))
    fill = "e => getComputedStyle(e).fill"
    assert a.evaluate(fill) == "rgb(40, 167, 69)" and b.evaluate(fill) == "rgb(253, 126, 20)"
    # Seoul stands north of Mokpo: B001's dot is higher up
    assert float(b.get_attribute("cy")) < float(a.get_attribute("cy"))
    expect(a.locator("title")).to_have_text("A001 Plant A001 · 정상")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "overview-with-map.png"), full_page=True)
    a.click()
    expect(page.locator("h1")).to_contain_text("A001 Plant A001")


def test_the_plant_page_shows_strings_as_a_heatmap_with_tables_on_demand(page, world):
    log_in(page, "owner_a")
    page.goto(page.base_url + "/plants/A001/")
    cells = page.locator("table.heatmap tr[data-box='1'] td")
    expect(cells).to_have_count(4)
    expect(cells.nth(0)).to_have_class(re.compile(r"\bheat-5\b"))
    weak = cells.nth(2)
    expect(weak).to_have_class(re.compile(r"\bheat-0\b.*\bweak\b"))
    expect(weak).to_have_text("26")
    assert weak.evaluate("e => getComputedStyle(e).outlineStyle") == "solid"
    assert cells.nth(0).evaluate("e => getComputedStyle(e).outlineStyle") == "none"
    assert weak.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(200, 16, 46)"
    tables = page.locator("details.string-tables table.strings")
    expect(tables).to_be_hidden()
    page.click("details.string-tables summary")
    expect(tables.locator("tr.weak")).to_be_visible()
    expect(tables.locator("tr.weak")).to_contain_text("저전류 스트링")
    expect(page.locator("section.problems li")).to_have_count(0)  # B001's alarm is not A001's
    expect(page.locator("table.yields tr")).to_have_count(2)


@pytest.mark.parametrize("language", ["ko", "en"])
def test_a_screenshot_of_each_page(browser, live_server, world, language):
    """test-artifacts/pages-<language>/<page>.png: each page as an operator sees it, to look
    at after a run (the other tests assert what the pages say)."""
    context = browser.new_context(
        locale="ko-KR" if language == "ko" else "en-US", viewport={"width": 1440, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = live_server.url
    log_in(page, "admin")
    if language == "en":
        page.click("button[value=en]")
        expect(page.locator("h1")).to_have_text("Plants")
    folder = ARTIFACTS / f"pages-{language}"
    folder.mkdir(parents=True, exist_ok=True)
    shown = {
        "overview": "/",
        "plant": "/plants/A001/",
        "plant-yesterday": f"/plants/A001/?date={world['yesterday']}",
        "inverter": f"/plants/A001/inverters/1/?date={world['yesterday']}",
        "events": "/events/",
        "alarm": f"/events/alarms/{world['alarm'].id}/",
        "reports": "/generation/reports/",
        "search": "/search/?q=00",
        "my-notifications": "/events/notifications/",
        "admin": "/admin/",
        "admin-plant": f"/admin/monitoring/powerstation/{world['station_a'].id}/change/",
    }
    for name, path in shown.items():
        response = page.goto(page.base_url + path)
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    context.close()


def test_the_minutely_refresh_swaps_figures_card_and_map(page, world):
    """What the 60 s poll does, asked for at once: the section comes back with the new state,
    the revenue card in it and the map drawn again."""
    log_in(page, "operator")
    expect(page.locator("figure.map circle.dot")).to_have_count(2)
    Alarm.objects.filter(id=world["alarm"].id).update(cleared_at=timezone.now())
    page.evaluate(
        "() => htmx.ajax('GET', document.querySelector('#fleet').getAttribute('hx-get'),"
        " {target: '#fleet', swap: 'outerHTML'})"
    )
    expect(page.locator(".fig-alarms .sev-critical .n")).to_have_text("0")
    expect(page.locator("#fleet .revenue-card")).to_be_visible()
    expect(page.locator("figure.map circle.dot")).to_have_count(2)
    expect(page.locator("h1")).to_have_text("발전소")  # the page itself was not reloaded
