"""The sending half of a collector: buffer readings, post them in batches, retry, heartbeat.

Shared by every collector program we run (the simulator and the Modbus collector agent). It
talks to the server only through the public HTTP API, so it works the same on a site.

- Readings go into a buffer first (SQLite: in memory, or a file that survives a restart) and
  leave it only when the server has answered 200 for them, so a server or network outage
  loses nothing: they are sent when the server is back.
- What each answer means for the batch that got it:
  1. 200: sent; the items the server rejected one by one are logged, never re-sent.
  2. A 5xx, a timeout or a refused connection: the batch stays and is sent again after an
     exponential backoff with jitter (the server stores nothing twice, so that is safe).
  3. 413 (too large, from the server or a proxy in front of it): the batch is split in halves
     and sent again, down to one item, and the smaller size is kept for the rest of the flush.
  4. Any other 4xx says the batch itself can never be taken (a 400, or one item alone still
     too large): it is never sent again. It moves to the dead letters with the server's
     answer, and the readings behind it go on.
  5. Except the 4xx that are about the collector or the moment, not the batch (WAIT_STATUSES:
     401/403 a token an operator must fix, 404/407 an address or proxy to fix, 408/429 too
     soon): those keep the batch and back off like a 5xx, so a wrong token never sends a
     site's readings to the dead letters.
- Dead letters go to a JSON Lines file beside a file buffer (`buffer.sqlite3` ->
  `buffer.dead-letters.jsonl`), one line per refused batch: when, the HTTP status, the
  server's answer and the batch as it was posted, ready to correct and post again by hand.
  An in-memory buffer keeps them in memory (`ReadingBuffer.dead_letters()`) and in the log.
- Remote commands: `commands_fetch()` asks for the commands to carry out now; the outcome of
  each goes into the same buffer with `command_report()` and is posted until the server has
  it, so a result reached during an outage is told afterwards, once.
"""

from __future__ import annotations

import json
import logging
import os
import random
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

log = logging.getLogger(__name__)

INGEST_PATH = "/api/v1/ingest"
HEARTBEAT_PATH = "/api/v1/collectors/heartbeat"
COMMANDS_PATH = "/api/v1/collectors/commands"
RESULT_PATH = "/api/v1/collectors/commands/{id}/result"
SECTIONS = ("readings", "combiner_boxes", "sensors", "grid")
# 4xx answers about the collector or the moment, not the batch: keep it and try again later.
WAIT_STATUSES = frozenset({401, 403, 404, 407, 408, 429})
IN_MEMORY = ("", ":memory:")


def dead_letter_path(buffer_path: str) -> Path | None:
    """Where a buffer's refused batches go: beside its file; None for an in-memory buffer."""
    if buffer_path in IN_MEMORY:
        return None
    return Path(buffer_path).with_suffix(".dead-letters.jsonl")


class ReadingBuffer:
    """A FIFO of items waiting to be sent, in SQLite (":memory:" or a file path)."""

    def __init__(self, path: str = ":memory:"):
        self.dead_letter_path = dead_letter_path(str(path))
        self._dead_letters: list[dict] = []  # an in-memory buffer's
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS pending "
            "(id INTEGER PRIMARY KEY AUTOINCREMENT, section TEXT NOT NULL, item TEXT NOT NULL)"
        )
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS results (command_id INTEGER PRIMARY KEY, "
            "succeeded INTEGER NOT NULL, message TEXT NOT NULL)"
        )

    def put(self, section: str, items: list[dict]) -> None:
        if section not in SECTIONS:
            raise ValueError(f"unknown section {section!r}")
        with self.db:
            self.db.executemany(
                "INSERT INTO pending (section, item) VALUES (?, ?)",
                [(section, json.dumps(item)) for item in items],
            )

    def peek(self, limit: int) -> list[tuple[int, str, dict]]:
        rows = self.db.execute(
            "SELECT id, section, item FROM pending ORDER BY id LIMIT ?", (limit,)
        ).fetchall()
        return [(row_id, section, json.loads(item)) for row_id, section, item in rows]

    def ack(self, last_id: int) -> None:
        """Forget everything up to and including `last_id` (it reached the server)."""
        with self.db:
            self.db.execute("DELETE FROM pending WHERE id <= ?", (last_id,))

    def __len__(self) -> int:
        return self.db.execute("SELECT count(*) FROM pending").fetchone()[0]

    def dead_letter_put(self, *, batch: dict, status: int, answer: object) -> None:
        """Keep a batch the server refused for good, with its answer (see the module doc)."""
        letter = {"rejected_at": datetime.now(UTC).isoformat(), "status": status,
                  "answer": answer, "items": sum(len(items) for items in batch.values()),
                  "batch": batch}  # fmt: skip
        if self.dead_letter_path is None:
            self._dead_letters.append(letter)
            return
        with open(self.dead_letter_path, "a", encoding="utf-8") as file:
            file.write(json.dumps(letter) + "\n")
            file.flush()
            os.fsync(file.fileno())  # the batch is gone from the buffer once this returns

    def dead_letters(self) -> list[dict]:
        if self.dead_letter_path is None:
            return list(self._dead_letters)
        if not self.dead_letter_path.exists():
            return []
        with open(self.dead_letter_path, encoding="utf-8") as file:
            return [json.loads(line) for line in file if line.strip()]

    def result_put(self, command_id: int, *, succeeded: bool, message: str) -> None:
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO results (command_id, succeeded, message) VALUES (?, ?, ?)",
                (command_id, int(succeeded), message),
            )

    def results(self) -> list[tuple[int, bool, str]]:
        rows = self.db.execute(
            "SELECT command_id, succeeded, message FROM results ORDER BY command_id"
        ).fetchall()
        return [(command_id, bool(succeeded), message) for command_id, succeeded, message in rows]

    def result_done(self, command_id: int) -> None:
        with self.db:
            self.db.execute("DELETE FROM results WHERE command_id = ?", (command_id,))


@dataclass
class SendStats:
    sent: int = 0
    accepted: int = 0
    duplicate: int = 0
    updated: int = 0
    rejected: int = 0
    dead_lettered: int = 0  # items of batches the server refused whole, kept as dead letters
    split: int = 0  # times a batch was halved after a 413
    failures: int = 0
    errors: list[dict] = field(default_factory=list)


class CollectorClient:
    def __init__(
        self,
        *,
        url: str,
        token: str,
        buffer: ReadingBuffer | None = None,
        batch_size: int = 500,
        timeout: float = 10.0,
        software_version: str = "",
        backoff_base: float = 1.0,
        backoff_max: float = 120.0,
        heartbeat_every: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,
    ):
        self.url = url.rstrip("/")
        # Not `buffer or ...`: an empty buffer has len 0 and would be replaced.
        self.buffer = buffer if buffer is not None else ReadingBuffer()
        self.batch_size = batch_size
        self.software_version = software_version
        self.backoff_base, self.backoff_max = backoff_base, backoff_max
        self.heartbeat_every = heartbeat_every
        self.clock = clock
        self.started = clock()
        self.stats = SendStats()
        self._failures_in_a_row = 0
        self._retry_at = 0.0
        self._last_heartbeat: float | None = None
        self.http = httpx.Client(
            timeout=timeout,
            headers={"Authorization": f"Bearer {token}"},
            transport=transport,
        )

    def add(self, section: str, items: list[dict]) -> None:
        if items:
            self.buffer.put(section, items)

    @property
    def pending(self) -> int:
        return len(self.buffer)

    @property
    def waiting(self) -> bool:
        """True while backing off after a failure."""
        return self.clock() < self._retry_at

    def flush(self, *, force: bool = False) -> bool:
        """Send what is buffered, batch by batch. False if something is still waiting."""
        if self.waiting and not force:
            return False
        size = self.batch_size
        while True:
            rows = self.buffer.peek(size)
            if not rows:
                return True
            outcome = self._post_batch(rows)
            if outcome == "smaller":
                size = max(1, len(rows) // 2)  # and so on for this flush: the limit holds
                self.stats.split += 1
            elif outcome == "failed":
                return False

    def heartbeat(self, *, force: bool = False) -> bool:
        now = self.clock()
        due = self._last_heartbeat is None or now - self._last_heartbeat >= self.heartbeat_every
        if not (due or force):
            return True
        body = {
            "software_version": self.software_version,
            "uptime_seconds": int(now - self.started),
            "clock": datetime.now(UTC).isoformat(),
        }
        try:
            response = self.http.post(self.url + HEARTBEAT_PATH, json=body)
        except httpx.HTTPError as error:
            log.info("heartbeat to %s failed: %s", self.url, error)
            return False
        self._last_heartbeat = now
        return response.status_code == 200

    def commands_fetch(self) -> list[dict]:
        """The commands to carry out now (the server marks them sent to us); [] on trouble."""
        try:
            response = self.http.get(self.url + COMMANDS_PATH)
        except httpx.HTTPError as error:
            log.info("fetching commands from %s failed: %s", self.url, error)
            return []
        answer = _json_object(response) if response.status_code == 200 else None
        if answer is None:
            log.warning("fetching commands: server answered %s: %s", response.status_code,
                        response.text[:200])  # fmt: skip
            return []
        commands = answer.get("commands", [])
        if not isinstance(commands, list):
            return []
        return [c for c in commands if isinstance(c, dict) and isinstance(c.get("id"), int)]

    def command_report(self, command_id: int, *, succeeded: bool, message: str) -> bool:
        """Keep the outcome, then post it (and any earlier one still waiting)."""
        self.buffer.result_put(command_id, succeeded=succeeded, message=message)
        return self.results_flush()

    def results_flush(self) -> bool:
        """Post the waiting command results. False if some must wait for the server."""
        for command_id, succeeded, message in self.buffer.results():
            url = self.url + RESULT_PATH.format(id=command_id)
            try:
                response = self.http.post(url, json={"succeeded": succeeded, "message": message})
            except httpx.HTTPError as error:
                log.warning("reporting command %s failed: %s; kept for later", command_id, error)
                return False
            if response.status_code >= 500 or response.status_code in (401, 403, 429):
                log.warning("reporting command %s: server answered %s; kept for later",
                            command_id, response.status_code)  # fmt: skip
                return False
            if response.status_code != 200:
                # 404/409: the server will never take this result (the command was withdrawn).
                log.error("server refused the result of command %s: %s", command_id,
                          response.text[:300])  # fmt: skip
            self.buffer.result_done(command_id)
        return True

    def close(self) -> None:
        self.http.close()

    def _post_batch(self, rows: list[tuple[int, str, dict]]) -> str:
        body: dict[str, list] = {}
        for _, section, item in rows:
            body.setdefault(section, []).append(item)
        try:
            response = self.http.post(self.url + INGEST_PATH, json=body)
        except httpx.HTTPError as error:
            return self._failed(f"cannot reach {self.url}: {error}")
        status = response.status_code
        if status == 200:
            answer = _json_object(response)
            if answer is None:  # not the server's answer (a proxy's page): try again later
                return self._failed(f"server answered 200 without its JSON: {response.text[:200]}")
            self._record(answer, sent=len(rows))
            self._done(rows)
            return "sent"
        if status == 413 and len(rows) > 1:
            return "smaller"
        if 400 <= status < 500 and status not in WAIT_STATUSES:
            answer = _json_object(response) or response.text[:2000]
            self.buffer.dead_letter_put(batch=body, status=status, answer=answer)
            log.error("server refused a batch of %d items with %d: %s; kept in %s", len(rows),
                      status, response.text[:300],
                      self.buffer.dead_letter_path or "the in-memory dead letters")  # fmt: skip
            self.stats.dead_lettered += len(rows)
            self._done(rows)
            return "dead_letter"
        return self._failed(f"server answered {status}: {response.text[:200]}")

    def _done(self, rows: list[tuple[int, str, dict]]) -> None:
        self.buffer.ack(rows[-1][0])
        self._failures_in_a_row = 0
        self._retry_at = 0.0

    def _failed(self, reason: str) -> str:
        self._failures_in_a_row += 1
        self.stats.failures += 1
        delay = min(self.backoff_max, self.backoff_base * 2 ** (self._failures_in_a_row - 1))
        delay *= random.uniform(0.5, 1.0)  # jitter: collectors back after an outage spread out
        self._retry_at = self.clock() + delay
        log.warning("%s; %d readings kept, retry in %.0f s", reason, self.pending, delay)
        return "failed"

    def _record(self, answer: dict, *, sent: int) -> None:
        stats = self.stats
        stats.sent += sent
        stats.accepted += answer.get("accepted", 0)
        stats.duplicate += answer.get("duplicate", 0)
        stats.updated += answer.get("updated", 0)
        stats.rejected += answer.get("rejected", 0)
        for error in answer.get("errors", []):
            log.warning("item rejected: %s", error)
        stats.errors = (stats.errors + answer.get("errors", []))[-100:]  # the latest, for a log


def _json_object(response: httpx.Response) -> dict | None:
    try:
        answer = response.json()
    except ValueError:
        return None
    return answer if isinstance(answer, dict) else None
