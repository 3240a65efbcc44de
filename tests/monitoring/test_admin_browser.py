"""The admin's plant form in a real browser (Debian's chromium): it fits a 1,440 px screen."""

from __future__ import annotations

import pytest

from tests.monitoring import test_pages_browser as pages

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "telemetry"])
browser, world, log_in = pages.browser, pages.world, pages.log_in


@pytest.fixture
def page(browser, live_server, world, request):
    context = browser.new_context(locale="ko-KR", viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = live_server.url
    yield page
    pages.ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(pages.ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def test_the_plant_form_fits_a_1440_px_screen(page, world):
    log_in(page, "admin")
    page.goto(f"{page.base_url}/admin/monitoring/powerstation/{world['station_a'].id}/change/")
    page.locator("#powerstation_form").wait_for()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 1440, f"the form is {width} px wide"
    for inline in page.locator(".inline-group").all():
        box = inline.bounding_box()
        assert box["x"] + box["width"] <= 1440
