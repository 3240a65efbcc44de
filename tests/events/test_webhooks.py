"""Webhooks call public addresses only: refused when saved (page, API, admin) and again when
sent, after DNS, with the connection pinned to the checked address, no redirects followed, and
one deadline for the whole call."""

from __future__ import annotations

import ipaddress
import socket
import time

import pytest
from django.urls import reverse

from events.escalation import send_notifications
from events.models import Notification, Subscription
from events.webhooks import address_refusal
from tests.conftest import make_user
from tests.events.servers import WebhookReceiver

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])

SECRET = "hook-secret-for-tests"


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "192.168.1.1", "0.0.0.0",
        "169.254.169.254",  # cloud metadata
        "100.100.100.200",  # shared address space (a metadata service lives there too)
        "224.0.0.1", "255.255.255.255", "240.0.0.1",
        "::1", "::", "fe80::1", "fc00::1", "fd00:ec2::254", "ff02::1",
        "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:10.0.0.1",  # IPv4-mapped
        "64:ff9b::a9fe:a9fe", "2002:7f00:1::1",  # NAT64 and 6to4 forms of internal IPv4
    ],
)  # fmt: skip
def test_internal_addresses_are_refused(address):
    assert address_refusal(ipaddress.ip_address(address)) != ""


@pytest.mark.parametrize("address", ["1.2.3.4", "2400:cb00::1", "::ffff:1.2.3.4"])
def test_public_addresses_are_allowed(address):
    assert address_refusal(ipaddress.ip_address(address)) == ""


@pytest.fixture
def owner(fleet):
    user = fleet["owner_a"]
    user.email = "owner-a@example.com"
    user.save()
    return user


def test_the_page_refuses_a_webhook_that_resolves_to_loopback(client_as, owner, settings):
    client = client_as(owner)
    form = {"is_active": "on", "all_stations": "on", "webhook_url": "http://localhost:9/hook"}
    refused = client.post("/events/notifications/new/", form, HTTP_ACCEPT_LANGUAGE="en")
    text = " ".join(refused.content.decode().split())
    assert refused.status_code == 200 and not Subscription.objects.exists()
    assert "localhost points to 127.0.0.1, this server itself (loopback)" in text
    korean = client.post("/events/notifications/new/", form).content.decode()
    assert "공개 인터넷 주소" in korean

    settings.WEBHOOK_ALLOWED_HOSTS = ["localhost"]  # an administrator allows it
    assert client.post("/events/notifications/new/", form).status_code == 302
    assert Subscription.objects.get().webhook_url == "http://localhost:9/hook"


@pytest.mark.parametrize(
    "url, words",
    [
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[::ffff:127.0.0.1]:8080/", "loopback"),
        ("http://[fd00:ec2::254]/", "private"),
        ("ftp://files.example/hook", "http:// or https://"),
        ("https://no-such-host.invalid/hook", "could not be found"),
    ],
)
def test_the_api_refuses_it_in_the_error_shape(client_as, owner, url, words):
    answer = client_as(owner).post(
        "/api/v1/me/notification-settings", {"webhook_url": url, "by_email": True},
        content_type="application/json", HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip
    assert answer.status_code == 400, answer.content
    body = answer.json()
    assert body["error"] and list(body["fields"]) == ["webhook_url"]
    assert words in " ".join(body["fields"]["webhook_url"])
    assert not Subscription.objects.exists()


def test_the_admin_refuses_it_too(client_as, fleet):
    client = client_as(fleet["admin"])
    answer = client.post(
        reverse("admin:events_subscription_add"),
        {"user": fleet["owner_a"].id, "all_stations": "on", "by_email": "on", "is_active": "on",
         "webhook_url": "http://127.0.0.1:6379/"},
        HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip
    assert answer.status_code == 200 and not Subscription.objects.exists()
    assert "127.0.0.1, this server itself" in answer.content.decode()


def webhook_of(user, url: str) -> Subscription:
    """A subscription as it stands in the database, however its address got there."""
    return Subscription.objects.create(user=user, by_email=False, webhook_url=url)


def test_at_send_time_a_host_now_resolving_inside_is_refused(world, settings, monkeypatch):
    """DNS rebinding: the name was public when saved and points to loopback when sent."""
    settings.WEBHOOK_SECRET = SECRET
    receiver = WebhookReceiver(SECRET)
    answers = {"hooks.rebind.test": ["1.2.3.4"]}  # the DNS answer when the owner saves
    real_getaddrinfo = socket.getaddrinfo

    def dns(host, port, *args, **kwargs):  # the network's edge: a DNS server we control
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port or 0))
                    for a in answers[host]]  # fmt: skip
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", dns)
    try:
        operator = make_user("integrator", "operator")
        url = f"http://hooks.rebind.test:{receiver.port}/hook"
        sub = Subscription(user=operator, by_email=False, webhook_url=url)
        sub.full_clean()  # accepted: it resolves to a public address now
        sub.save()
        answers["hooks.rebind.test"] = ["127.0.0.1"]  # ... and to loopback when it is used
        world.grid_outage()
        result = send_notifications(now=world.at(2))
        row = Notification.objects.get(channel="webhook")
        assert receiver.requests == []
        assert (row.status, result.gave_up) == ("gave_up", 1)
        assert "127.0.0.1" in row.last_error
    finally:
        receiver.close()


def test_the_connection_goes_to_the_checked_address_without_a_second_lookup(
    world, settings, monkeypatch
):
    settings.WEBHOOK_SECRET = SECRET
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.0/8"]  # this intranet receiver is allowed
    receiver = WebhookReceiver(SECRET)
    lookups = []
    real_getaddrinfo = socket.getaddrinfo

    def dns(host, port, *args, **kwargs):
        if host == "hooks.intranet.test":  # a name no real DNS knows
            lookups.append(host)
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port or 0))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", dns)
    try:
        webhook_of(make_user("integrator", "operator"),
                   f"http://hooks.intranet.test:{receiver.port}/hook")  # fmt: skip
        world.grid_outage()
        send_notifications(now=world.at(2))
        [(path, headers)] = receiver.requests
        assert path == "/hook" and headers["Host"] == f"hooks.intranet.test:{receiver.port}"
        assert len(receiver.bodies) == 1 and lookups == ["hooks.intranet.test"]
        assert Notification.objects.get(channel="webhook").status == "sent"
    finally:
        receiver.close()


def test_a_redirect_is_not_followed(world, settings):
    settings.WEBHOOK_SECRET = SECRET
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    receiver = WebhookReceiver(SECRET, redirect_to="http://169.254.169.254/latest/meta-data/")
    try:
        webhook_of(make_user("integrator", "operator"), receiver.url)
        world.grid_outage()
        send_notifications(now=world.at(2))
        row = Notification.objects.get(channel="webhook")
        assert len(receiver.requests) == 1 and row.status == "gave_up"
        assert "169.254.169.254" in row.last_error and "redirect" in row.last_error
    finally:
        receiver.close()


def test_one_deadline_covers_a_receiver_that_trickles(world, settings):
    settings.WEBHOOK_SECRET = SECRET
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.NOTIFY_TIMEOUT_SECONDS = 2
    receiver = WebhookReceiver(SECRET, trickle=True)  # a byte every 0.5 s, never finishing
    try:
        webhook_of(make_user("integrator", "operator"), receiver.url)
        world.grid_outage()
        started = time.monotonic()
        send_notifications(now=world.at(2))
        seconds = time.monotonic() - started
        row = Notification.objects.get(channel="webhook")
        print(f"\nwebhook trickling a byte every 0.5 s: given up after {seconds:.1f} s "
              f"(NOTIFY_TIMEOUT_SECONDS=2), {receiver.trickled} bytes read")  # fmt: skip
        assert (row.status, row.attempts) == ("pending", 1)  # tried again later
        assert "did not answer" in row.last_error
        assert 0 < receiver.trickled < 40  # it was still trickling when the sender hung up
    finally:
        receiver.close()
