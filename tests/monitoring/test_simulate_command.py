"""manage.py simulate: what it says when it cannot start."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])


def test_without_the_collectors_file_it_says_how_to_get_one(tmp_path):
    with pytest.raises(CommandError, match="run manage.py seed_demo first, or pass --token"):
        call_command("simulate", "--collectors-file", str(tmp_path / "missing.json"))


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "is not valid JSON"), ("[]", "lists no collectors"),
     ('[{"name": "x"}]', "every collector needs a token")],
)  # fmt: skip
def test_a_broken_collectors_file_is_named(tmp_path, content, message):
    path = tmp_path / "collectors.json"
    path.write_text(content)
    with pytest.raises(CommandError, match=message):
        call_command("simulate", "--collectors-file", str(path))


def test_a_bad_fault_or_scenario_is_refused_before_anything_is_sent(fleet, tmp_path):
    token = fleet["collector_a"].issue_token()
    path = tmp_path / "collectors.json"
    path.write_text(json.dumps([{"name": "a", "token": token, "stations": ["A001"]}]))
    with pytest.raises(CommandError, match="Bad fault: fault kind 'meteor' is unknown"):
        call_command("simulate", "--collectors-file", str(path), "--fault", "meteor")
    scenario = tmp_path / "scenario.json"
    scenario.write_text('{"faults": [{"kind": "grid_outage", "start": "tomorrow"}]}')
    with pytest.raises(CommandError, match="neither \\+DURATION nor an ISO 8601 time"):
        call_command("simulate", "--collectors-file", str(path), "--scenario", str(scenario))


def test_stations_nobody_serves_are_refused(fleet, tmp_path):
    token = fleet["collector_a"].issue_token()
    with pytest.raises(CommandError, match="No plant to simulate"):
        call_command("simulate", f"--token={token}", "--stations", "Z999")  # may start with -
