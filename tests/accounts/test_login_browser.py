"""The login page in a real browser (Debian's chromium): what a person sees."""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import sync_playwright

from accounts.models import LoginHistory
from tests.conftest import PASSWORD

# The home page after a login is the fleet overview, which reads today's rollups (telemetry).
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "telemetry"])


@pytest.fixture
def page(live_server, fleet, monkeypatch):
    chromium = shutil.which("chromium")
    assert chromium, "chromium is missing: scripts/setup.sh installs it (apt-get install chromium)"
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between browser steps are still plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        context = browser.new_context(locale="ko-KR")
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.base_url = live_server.url
        yield page
        browser.close()


def log_in(page, username, password):
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form.login button")


def test_a_person_logs_in_in_korean_and_switches_to_english(page):
    page.goto(page.base_url + "/")
    assert page.locator("h1").inner_text() == "로그인"
    log_in(page, "owner_a", "wrong")
    assert page.get_by_role("alert").inner_text() == "아이디 또는 비밀번호가 올바르지 않습니다."

    log_in(page, "owner_a", PASSWORD)
    assert page.locator("h1").inner_text() == "발전소"
    rows = page.locator("table.grid tbody tr")
    assert rows.count() == 1 and "A001" in rows.first.inner_text()

    page.click("button[value=en]")
    assert page.locator("h1").inner_text() == "Plants"
    page.get_by_role("button", name="Log out").click()
    assert "You are logged out." in page.locator("main").inner_text()
    assert LoginHistory.objects.get(succeeded=True).end_reason == "logout"


def test_a_second_browser_takes_over_and_the_first_is_told_why(page, settings):
    settings.CONCURRENT_LOGIN = "refuse"
    page.goto(page.base_url + "/")
    log_in(page, "owner_a", PASSWORD)
    assert page.locator("h1").inner_text() == "발전소"

    other = page.context.browser.new_context(locale="ko-KR").new_page()
    other.goto(page.base_url + "/")
    log_in(other, "owner_a", PASSWORD)
    assert other.get_by_role("alert").inner_text().startswith("이미 다른 곳에서 로그인")
    other.get_by_role("button", name="다른 곳의 로그인을 끝내고 여기서 로그인").click()
    assert other.locator("h1").inner_text() == "발전소"

    page.reload()
    assert page.locator("h1").inner_text() == "로그인"
    assert "이 로그인을 끝냈습니다" in page.locator("main").inner_text()
