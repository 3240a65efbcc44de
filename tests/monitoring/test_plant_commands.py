"""Remote commands from the plant page: operators send and cancel them, owners only look."""

from __future__ import annotations

import pytest

from field.commands import command_queue
from monitoring.models import Command

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])


def page_as(client, user, code="A001"):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client.get(f"/plants/{code}/")


def test_an_operator_sends_a_reset_and_sees_it_queued_in_the_history(client, fleet):
    page_as(client, fleet["operator"])
    answer = client.post(
        "/plants/A001/commands/", {"kind": "reset_inverter", "inverter": "2"}, follow=True
    )
    text = answer.content.decode()
    assert "The command is queued for the plant&#x27;s collector." in text
    command = Command.objects.get()
    assert (command.kind, command.inverter.number, command.state) == ("reset_inverter", 2, "queued")
    assert command.requested_by == fleet["operator"]
    assert "Reset inverter" in text and "Queued" in text


def test_a_power_limit_carries_its_percent_and_a_second_identical_one_is_refused(client, fleet):
    page_as(client, fleet["admin"])
    body = {"kind": "set_power_limit", "inverter": "1", "percent": "60"}
    client.post("/plants/A001/commands/", body)
    again = client.post("/plants/A001/commands/", body, follow=True).content.decode()
    assert Command.objects.get().params == {"percent": 60.0}
    assert "The same command is already waiting for this target" in again


def test_a_queued_command_can_be_cancelled_from_the_page(client, fleet):
    command = command_queue(user=fleet["operator"], station=fleet["station_a"], kind="read_now")
    page_as(client, fleet["operator"])
    client.post(f"/plants/A001/commands/{command.id}/cancel/")
    command.refresh_from_db()
    assert command.state == Command.State.CANCELLED
    assert "Cancelled" in page_as(client, fleet["operator"]).content.decode()


def test_an_owner_sees_the_history_but_cannot_send(client, fleet):
    command_queue(user=fleet["operator"], station=fleet["station_a"], kind="read_now")
    page = page_as(client, fleet["owner_a"]).content.decode()
    assert "Read now" in page and "Send command" not in page
    refused = client.post("/plants/A001/commands/", {"kind": "read_now"}, follow=True)
    assert "Only operators and administrators can give or cancel remote commands." in (
        refused.content.decode()
    )
    assert Command.objects.count() == 1


def test_another_owners_plant_is_a_404_for_commands_too(client, fleet):
    client.force_login(fleet["owner_b"])
    assert client.post("/plants/A001/commands/", {"kind": "read_now"}).status_code == 404
    assert Command.objects.count() == 0


def test_the_commands_section_speaks_korean_by_default(client, fleet):
    client.force_login(fleet["operator"])
    page = client.get("/plants/A001/").content.decode()
    assert "원격 명령" in page and "명령 보내기" in page


def test_the_forms_default_is_a_command_that_can_be_sent_as_it_stands(client, fleet):
    """"Read now" for the whole plant: the first inverter choice is the whole plant."""
    html = page_as(client, fleet["operator"]).content.decode()
    form = html.split('class="command-form"', 1)[1].split("</form>", 1)[0]
    assert '<option value="read_now" selected>' in form
    answer = client.post("/plants/A001/commands/", {"kind": "read_now", "inverter": ""})
    assert answer.status_code == 302 and Command.objects.get().kind == "read_now"


@pytest.mark.parametrize(
    "body, words",
    [
        ({"kind": "reset_inverter", "inverter": ""}, "Reset inverter needs the inverter number."),
        ({"kind": "restart_collector", "inverter": "1"},
         "Restart collector is for the whole plant; leave out the inverter."),
        ({"kind": "set_power_limit", "inverter": "1", "percent": ""},
         "Set active-power limit needs the limit in per cent."),
    ],
)  # fmt: skip
def test_a_refused_command_is_named_in_words(client, fleet, body, words):
    page_as(client, fleet["operator"])
    text = client.post("/plants/A001/commands/", body, follow=True).content.decode()
    assert words in text
    assert "reset_inverter" not in text.split('class="command-form"')[0].split("<main")[-1]
    assert not Command.objects.exists()
