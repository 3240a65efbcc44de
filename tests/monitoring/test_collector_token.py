from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from monitoring.models import Collector


def issue(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("collector_token", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_prints_a_token_that_matches_the_stored_hash_and_replaces_the_old_one(fleet):
    first, note = issue("collector-a")
    second, _ = issue("collector-a")
    collector = Collector.objects.get(name="collector-a")
    assert collector.token_hash == Collector.hash_token(second) != Collector.hash_token(first)
    assert first not in collector.token_hash and collector.token_prefix == second[:8]
    assert "A001" in note and "shown only now" in note


def test_an_unknown_name_is_an_error_unless_asked_to_create(fleet):
    with pytest.raises(CommandError, match="No collector named 'site-9'; add --create"):
        issue("site-9")
    token, note = issue("site-9", "--create", "--station", "B001")
    collector = Collector.objects.get(name="site-9")
    assert collector.token_hash == Collector.hash_token(token)
    assert list(collector.stations.values_list("code", flat=True)) == ["B001"]
    assert "Created collector 'site-9'" in note


def test_an_unknown_plant_code_changes_nothing(fleet):
    with pytest.raises(CommandError, match="No plant with code Z999"):
        issue("site-9", "--create", "--station", "Z999")
    assert not Collector.objects.filter(name="site-9").exists()
