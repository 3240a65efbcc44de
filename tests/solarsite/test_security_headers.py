"""Content-Security-Policy and Permissions-Policy on every response, and page templates that
need no exception to them (the browser proves the pages work: test_pages_csp_browser.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.mark.parametrize(
    "path", ["/accounts/login/", "/api/v1/stations", "/healthz", "/api/docs/", "/no-such-page/"]
)
def test_every_response_carries_both_policies(client, path):
    response = client.get(path)
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert "frame-ancestors 'none'" in policy
    assert "geolocation=()" in response["Permissions-Policy"]


def test_the_browsable_api_may_style_inline_but_never_script_inline(client, fleet):
    client.force_login(fleet["operator"])
    policy = client.get("/api/v1/stations", HTTP_ACCEPT="text/html")["Content-Security-Policy"]
    assert "style-src 'self' 'unsafe-inline'" in policy
    assert "script-src 'self';" in policy


@pytest.mark.parametrize(
    "template", sorted(TEMPLATES.glob("**/*.html")), ids=lambda p: str(p.relative_to(TEMPLATES))
)
def test_no_page_template_has_inline_script_handlers_or_styles(template):
    text = template.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline <script>"
    assert not re.search(r"\son[a-z]+\s*=", text), "an on...= handler"
    assert not re.search(r"\sstyle\s*=", text) and "<style" not in text, "inline style"
    assert "javascript:" not in text
