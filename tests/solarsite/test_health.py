import pytest
from django.db import connections

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])


def test_healthz_reports_each_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "databases": {"default": "ok", "telemetry": "ok"}}


def test_healthz_is_503_when_a_database_is_down(client, settings):
    telemetry = connections["telemetry"]
    saved = telemetry.settings_dict.copy()
    telemetry.close()
    if telemetry.vendor == "sqlite":
        telemetry.settings_dict["NAME"] = "/nonexistent-dir/telemetry.sqlite3"
    else:
        telemetry.settings_dict["PORT"] = "1"
    try:
        response = client.get("/healthz")
    finally:
        telemetry.close()
        telemetry.settings_dict.update(saved)
    assert response.status_code == 503
    body = response.json()
    assert body["databases"]["default"] == "ok"
    assert body["databases"]["telemetry"].startswith("down")
