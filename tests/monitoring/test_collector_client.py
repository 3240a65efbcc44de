"""The collector client against a real server (gunicorn): what it does with each answer.

A batch the server takes is sent; an item it rejects is logged and never sent again; a batch
it refuses whole goes to the dead letters with the answer and the readings behind it go on; a
batch too large is split. One stand-in (a proxy answering HTML) covers answers our server never
gives but a proxy in front of it may.
"""

from __future__ import annotations

import json
import sys
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from django.utils import timezone

from field.collector_client import CollectorClient, ReadingBuffer, dead_letter_path
from monitoring.models import Inverter
from telemetry.models import InverterReading
from tests.live import Server

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"], transaction=True)


@pytest.fixture
def token(fleet):
    return fleet["collector_a"].issue_token()


def readings(count: int, *, pad: int = 0) -> list[dict]:
    """`count` distinct readings of inverters 1 and 2 of plant A001, a minute apart."""
    start = (timezone.now() - timedelta(days=3)).replace(second=0, microsecond=0)
    return [
        {"station": "A001", "inverter": 1 + i % 2, "ac_kw": 5.0, "note": "x" * pad,
         "ts": (start + timedelta(minutes=i // 2)).isoformat()}
        for i in range(count)
    ]  # fmt: skip


def stored() -> set[tuple[int, datetime]]:
    numbers = dict(Inverter.objects.values_list("pk", "number"))
    return {(numbers[i], ts) for i, ts in InverterReading.objects.values_list("inverter_id", "ts")}


def keys(items: list[dict]) -> set[tuple[int, datetime]]:
    return {(item["inverter"], datetime.fromisoformat(item["ts"])) for item in items}


def test_an_item_the_server_rejects_is_counted_and_the_rest_is_stored(server, token):
    client = CollectorClient(url=server.url, token=token, backoff_base=0)
    good = readings(4)
    client.add("readings", [*good[:2], {**good[2], "ac_kw": 10**308}, good[3]])
    assert client.flush() is True
    assert (client.stats.accepted, client.stats.rejected, client.stats.dead_lettered) == (3, 1, 0)
    assert client.stats.errors[0]["code"] == "out_of_range"
    assert client.pending == 0 and client.buffer.dead_letters() == []
    assert stored() == keys([*good[:2], good[3]])


@pytest.fixture
def deep_recursion():
    """The collector's own program nests deeper than the server's parser can follow."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(10_000)
    yield
    sys.setrecursionlimit(limit)


def test_a_batch_refused_whole_goes_to_the_dead_letters_and_the_rest_goes_on(
    server, token, tmp_path, deep_recursion
):
    buffer_file = tmp_path / "buffer.sqlite3"
    client = CollectorClient(url=server.url, token=token, backoff_base=0, batch_size=3,
                             buffer=ReadingBuffer(str(buffer_file)))  # fmt: skip
    good = readings(8)
    poison = {**good[0], "ac_v": json.loads("[" * 1500 + "]" * 1500)}
    client.add("readings", good[:3])
    client.add("readings", [poison, *good[3:5]])  # the second batch: refused whole (400)
    client.add("readings", good[5:])
    assert client.flush() is True

    assert client.pending == 0 and client.stats.failures == 0
    assert stored() == keys(good[:3] + good[5:])
    assert client.stats.dead_lettered == 3
    (letter,) = client.buffer.dead_letters()
    assert (letter["status"], letter["answer"]["error"], letter["items"]) == (400, "too_deep", 3)
    assert letter["batch"]["readings"][1:] == good[3:5]
    # Kept in a file beside the buffer, one JSON line per batch: it outlives the program.
    assert dead_letter_path(str(buffer_file)) == tmp_path / "buffer.dead-letters.jsonl"
    again = ReadingBuffer(str(buffer_file))
    assert again.dead_letters() == [letter] and len(again) == 0


def test_a_batch_too_large_is_split_and_an_item_too_large_alone_is_a_dead_letter(
    monkeypatch, transactional_db, fleet, token
):
    monkeypatch.setenv("INGEST_MAX_ITEMS", "20")  # and so 20 KiB a body
    server = Server()
    server.start()
    try:
        client = CollectorClient(url=server.url, token=token, backoff_base=0, batch_size=100)
        good = readings(90, pad=300)
        fat = {**readings(91)[90], "note": "x" * 30_000}
        client.add("readings", good[:45] + [fat] + good[45:])
        assert client.flush() is True
    finally:
        server.stop()

    assert stored() == keys(good)
    assert client.stats.split >= 3 and client.stats.failures == 0
    assert (client.stats.accepted, client.stats.dead_lettered) == (90, 1)
    (letter,) = client.buffer.dead_letters()  # an in-memory buffer keeps them in memory
    assert (letter["status"], letter["answer"]["error"]) == (413, "body_too_large")
    assert letter["batch"] == {"readings": [fat]}


def test_the_documented_limit_of_5000_items_of_1_kb_goes_in_one_batch(server, token):
    client = CollectorClient(url=server.url, token=token, backoff_base=0, batch_size=5000)
    client.add("readings", readings(5000, pad=800))
    assert client.flush() is True
    assert (client.stats.sent, client.stats.split, client.stats.accepted) == (5000, 0, 5000)


def test_a_refused_token_keeps_the_batch_out_of_the_dead_letters(server, token):
    client = CollectorClient(url=server.url, token="not-the-token", backoff_base=0)
    client.add("readings", readings(2))
    assert client.flush() is False
    assert client.pending == 2 and client.buffer.dead_letters() == []


def test_a_chunked_body_is_refused_with_411_not_taken_as_empty(server, token):
    body = json.dumps({"readings": readings(2)}).encode()
    response = httpx.post(server.url + "/api/v1/ingest", content=iter([body]),
                          headers={"Authorization": f"Bearer {token}",
                                   "Content-Type": "application/json"})  # fmt: skip
    assert (response.status_code, response.json()["error"]) == (411, "length_required")
    assert InverterReading.objects.count() == 0


class HtmlProxy(BaseHTTPRequestHandler):
    """A proxy in front of the server that answers HTML: `answers` is the status to give,
    one per request, then 502."""

    answers: list[int] = []
    seen: list[int] = []

    def do_POST(self):
        size = int(self.headers["Content-Length"])
        self.rfile.read(size)
        status = self.answers.pop(0) if self.answers else 502
        type(self).seen.append(size)
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<html><body>proxy</body></html>")

    def log_message(self, *args):
        pass


@pytest.fixture
def proxy():
    HtmlProxy.answers, HtmlProxy.seen = [], []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), HtmlProxy)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_an_html_200_from_a_proxy_keeps_the_batch(proxy, db):
    HtmlProxy.answers = [200]
    client = CollectorClient(url=proxy, token="t", backoff_base=0)
    client.add("readings", readings(2))
    assert client.flush() is False
    assert client.pending == 2 and client.stats.failures == 1


def test_an_html_413_from_a_proxy_splits_the_batch(proxy, db):
    HtmlProxy.answers = [413, 413, 502]
    client = CollectorClient(url=proxy, token="t", backoff_base=0, batch_size=8)
    client.add("readings", readings(8))
    assert client.flush() is False  # the 502 that follows: kept for later
    assert client.stats.split == 2 and client.pending == 8
    assert HtmlProxy.seen[1] < HtmlProxy.seen[0] and HtmlProxy.seen[2] < HtmlProxy.seen[1]
