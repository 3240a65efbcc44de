"""Every page under the Content-Security-Policy, in a real browser (Debian's chromium): no
violation and no error in the console, and what the pages' scripts do still happens (charts,
htmx search, the day picker, select all, the string bars, Swagger UI, the admin)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.monitoring import test_pages_browser as pages

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "telemetry"])
# The page tests' chromium, fleet with a day of data and an alarm, and their login.
browser, world, log_in = pages.browser, pages.world, pages.log_in


@pytest.fixture
def page(browser, live_server, world):
    """A page that records every CSP violation and every console error or page error."""
    context = browser.new_context(locale="ko-KR", viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    context.expose_binding("reportViolation", lambda source, text: problems.append(text))
    context.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => window.reportViolation("
        "'CSP ' + e.violatedDirective + ' blocked ' + e.blockedURI + ' on ' + location.pathname));"
    )
    page = context.new_page()
    page.on(
        "console",
        lambda m: m.type == "error" and problems.append(f"console: {m.text} {m.location['url']}"),
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.set_default_timeout(15_000)
    page.base_url = live_server.url
    page.problems = problems
    yield page
    context.close()


def visit(page, path: str):
    response = page.goto(page.base_url + path)
    assert response.status == 200, path
    headers = response.all_headers()
    assert "script-src 'self'" in headers["content-security-policy"], path
    assert "camera=()" in headers["permissions-policy"], path
    return response


def test_the_operators_pages_work_under_the_policy(page, world):
    visit(page, "/accounts/login/")
    log_in(page, "operator")

    # htmx: the header search suggests as you type
    page.fill("form.search input[name=q]", "b00")
    expect(page.locator("#suggestions a")).to_have_count(1)

    # Chart.js draws; the string bars get their widths from pages.js
    visit(page, f"/plants/A001/?date={world['yesterday']}")
    page.wait_for_function(
        "() => { const c = document.getElementById('chart-curve');"
        " return c && c.chart && c.chart.data.datasets[0].data.length > 0; }"
    )
    widths = page.eval_on_selector_all(".bar span", "spans => spans.map(s => s.style.width)")
    assert widths and all(width.endswith("%") for width in widths)
    # the day picker submits itself when changed
    page.fill("form.picker input[name=date]", str(world["yesterday"].replace(day=1)))
    page.dispatch_event("form.picker input[name=date]", "change")
    expect(page).to_have_url(re.compile(rf"date={world['yesterday'].replace(day=1)}"))

    visit(page, "/plants/A001/inverters/1/")
    page.wait_for_function("() => document.getElementById('chart-readings')?.chart")

    # the alarm list's "select all" checks every box
    visit(page, "/events/")
    page.check("th input[data-select-all]")
    boxes = page.locator("input[name=alarm]:not([disabled])")
    assert boxes.count() >= 1
    assert all(boxes.nth(i).is_checked() for i in range(boxes.count()))

    for path in (
        f"/events/alarms/{world['alarm'].id}/",
        "/events/notifications/",
        "/events/notifications/new/",
        "/generation/reports/",
        "/search/?q=A",
        "/accounts/password/",
    ):
        visit(page, path)
    assert page.problems == []


def test_an_owners_pages_work_under_the_policy(page):
    log_in(page, "owner_a")
    for path in ("/events/notifications/new/", "/generation/reports/", "/plants/A001/"):
        visit(page, path)
    assert page.problems == []


def test_the_admin_works_under_the_policy(page, world):
    log_in(page, "admin")
    for path in (
        "/admin/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{world['owner_a'].id}/change/",
        "/admin/accounts/loginhistory/",
        "/admin/events/alarm/",
        f"/admin/monitoring/powerstation/{world['station_a'].id}/change/",
        "/admin/monitoring/inverter/",
    ):
        visit(page, path)
    # the admin's own scripts run: "select all" in a change list
    visit(page, "/admin/accounts/user/")
    page.check("#action-toggle")
    expect(page.locator(".action-counter")).to_contain_text("4")
    assert page.problems == []


def test_swagger_ui_works_from_the_sidecars_files_under_the_policy(page):
    visit(page, "/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("solarsite API")
    expect(page.locator(".opblock").first).to_be_visible()
    assert page.problems == []


def test_the_browsable_api_allows_inline_style_but_never_inline_script(page):
    log_in(page, "operator")
    for path in ("/api/v1/stations", "/api/v1/stations/A001", "/api/v1/alarms", "/api/v1/me"):
        policy = visit(page, path).all_headers()["content-security-policy"]
        assert "style-src 'self' 'unsafe-inline'" in policy
    # its own scripts run: the filters dialog of a filtered list opens
    visit(page, "/api/v1/customers")
    page.click('button[data-target="#filtersModal"]')
    expect(page.locator("#filtersModal")).to_be_visible()
    assert page.problems == []
