"""Data versions: every write that changes what a page or an API answer shows stamps the
plants it touched, so that whatever a process keeps in memory is dropped by the next request
after the change, in every process.

    plants_changed(station_ids=..., using=..., rollups=False)
                                  these plants' data changed (readings, latest state, alarms,
                                  a collector), or with rollups=True their rolled-up rows;
                                  with no ids: the registry, so every plant's
    plant_version(station_id)     a plant's version now
    plant_versions(station_ids)   the same for many plants: only the plants changed since
                                  this process last asked are read (the feed, below)
    kept(key, make)               make() once per key in this process, the last KEPT_VALUES
                                  keys kept

Readers keep what they made under these versions: a plant's day curve under its own, the
fleet's rows (web/selectors.py) plant by plant, so that under a live fleet a request rebuilds
only the plants that changed since the last one instead of every plant.

The versions are one sorted set on the shared cache's Redis (under the cache's key prefix):

    member "#epoch"   a random negative score, drawn when the set is made
    member "#step"    a counter: one step per write
    member "#every"   the step of the last change to every plant
    member "<id>"     the step of the plant's last change
    member "r<id>"    the step of the last change to the plant's rolled-up rows

and a plant's version is "<epoch>:<every>/<its step>/<its rollups' step>": a reader that
does not read the rollups may keep what it made across a change of the last part
(`without_rollups`). A process that follows many plants (`plant_versions`) remembers the steps
it has seen and asks only for the members whose step is past the last one it saw: under a
fleet of 10,000 plants a request reads the few hundred written since, not 10,000 versions.

A version is None when there is no Redis shared between processes (REDIS_URL unset): then
nothing may be kept (a change made in another process would go unseen).

Who calls them: the store's upsert of readings (the plants written, telemetry/store.py), the
ingest's latest-state update (every batch), a collector that comes back, detection when it
marks inverters silent, raising and clearing alarms, the rollup jobs (today's daily rows),
and saving or deleting a plant, an inverter, a collector or a customer (signals,
monitoring/apps.py). A plant's state also changes with the clock alone (silence, sunset), so
readers of states keep them for a few seconds at most besides (web/selectors.py).

1. Plants are stamped once the write's transaction commits: a reader that looks earlier sees
   the old data under the old version, and one that looks later the new data under the new.
2. One script takes the write's step and stamps its plants at once (Redis runs it alone), so
   no write can take a step lower than one a reader has already seen: following the steps
   misses nothing.
3. A set that is lost (Redis restarted, flushed, evicted) is made again with a new epoch: no
   version comes back, and a follower that sees the epoch change reads every plant again.
4. A Redis that fails is logged and treated as absent: nothing is kept, and the write that
   changed the data is never refused for it. Every call has a timeout (REDIS_TIMEOUT_SECONDS).
"""

from __future__ import annotations

import logging
import random
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import TypeVar

import redis
from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from redis.commands.core import Script

log = logging.getLogger(__name__)
FEED = "monitoring:versions"
EPOCH, STEP, EVERY = "#epoch", "#step", "#every"
KEPT_VALUES = 16
REDIS_TIMEOUT_SECONDS = 2
T = TypeVar("T")

# Item 2: the step and the stamps in one script. ARGV[1] is the epoch of a set made anew.
STAMP = """
local key = KEYS[1]
if not redis.call('ZSCORE', key, '#epoch') then
  redis.call('DEL', key)
  redis.call('ZADD', key, ARGV[1], '#epoch', 0, '#step', 0, '#every')
end
local step = redis.call('ZINCRBY', key, 1, '#step')
for i = 2, #ARGV do redis.call('ZADD', key, step, ARGV[i]) end
return step
"""


def plant_version(station_id: int) -> str | None:
    """One plant's version; None without a shared Redis."""
    feed = _feed()
    if feed is None:
        return None
    try:
        epoch, (every, own, rollups) = feed.steps([EVERY, str(station_id), f"r{station_id}"])
    except redis.RedisError as error:
        log.warning("data versions unavailable, nothing kept: %s", error)
        return None
    return f"{epoch}:{every}/{own}/{rollups}"


def without_rollups(version: str) -> str:
    """The part of a plant's version that the rollups do not change."""
    return version.rpartition("/")[0]


def plant_versions(station_ids: Iterable[int]) -> dict[int, str] | None:
    """Each plant's version (as plant_version), reading only what changed since this process
    last asked (the feed)."""
    feed = _feed()
    if feed is None:
        return None
    try:
        return _follower.versions(feed, list(station_ids))
    except redis.RedisError as error:
        log.warning("data versions unavailable, nothing kept: %s", error)
        return None


def plants_changed(
    *, station_ids: Iterable[int] | None = None, using: str = "default", rollups: bool = False
) -> None:
    """These plants' data changed (None: any plant's); rollups: only their rolled-up rows."""
    if station_ids is None:
        members = [EVERY]
    else:
        members = [f"r{i}" if rollups else str(i) for i in set(station_ids)]
        if not members:
            return
    transaction.on_commit(lambda: _stamp_logged(members), using=using)


def registry_changed(sender, **kwargs) -> None:
    """Signal receiver: a plant, inverter, collector or customer was saved or deleted."""
    plants_changed()


_kept: OrderedDict[Hashable, object] = OrderedDict()
_kept_lock = threading.Lock()


def kept(key: Hashable, make: Callable[[], T]) -> T:
    """make()'s value for `key`, made once in this process while the key is among the last
    KEPT_VALUES used; a key that holds a version is dropped by the next change."""
    with _kept_lock:
        if key in _kept:
            _kept.move_to_end(key)
            return _kept[key]
    value = make()
    with _kept_lock:
        _kept[key] = value
        while len(_kept) > KEPT_VALUES:
            _kept.popitem(last=False)
    return value


@dataclass(frozen=True)
class _Feed:
    client: redis.Redis
    script: Script  # STAMP
    key: str

    def stamp(self, members: list[str]) -> None:
        self.script(keys=[self.key], args=[-random.randrange(1, 2**52), *members])

    def steps(self, members: list[str]) -> tuple[int, list[int]]:
        """The set's epoch and the members' steps (0: never stamped); the set made if lost."""
        found = self.client.zmscore(self.key, [EPOCH, *members])
        if found[0] is None:
            self.stamp([])
            found = self.client.zmscore(self.key, [EPOCH, *members])
            if found[0] is None:
                raise redis.RedisError("the set of versions is lost as soon as it is made")
        return int(found[0]), [int(s or 0) for s in found[1:]]


class _Follower:
    """The steps of the plants this process has asked for, and the last step it saw."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.epoch: int | None = None
        self.seen = 0
        self.steps: dict[int, int] = {}
        self.rollup_steps: dict[int, int] = {}

    def versions(self, feed: _Feed, ids: list[int]) -> dict[int, str]:
        with self.lock:
            pipe = feed.client.pipeline(transaction=True)
            pipe.zmscore(feed.key, [EPOCH, STEP, EVERY])
            pipe.zrangebyscore(feed.key, f"({self.seen}", "+inf", withscores=True)
            (epoch, step, every), changed = pipe.execute()
            if epoch is None:  # no set yet, or lost: made with every plant at step 0
                epoch, (step, every) = feed.steps([STEP, EVERY])
            if int(epoch) != self.epoch:  # item 3: what was seen is of another set
                self.epoch, changed = int(epoch), []
                self.steps.clear()
                self.rollup_steps.clear()
            for member, score in changed:
                if member.startswith(b"r"):
                    self.rollup_steps[int(member[1:])] = int(score)
                elif not member.startswith(b"#"):
                    self.steps[int(member)] = int(score)
            self.seen = int(step)
            unseen = [i for i in ids if i not in self.steps]
            if unseen:
                members = [m for i in unseen for m in (str(i), f"r{i}")]
                found = iter(int(s or 0) for s in feed.client.zmscore(feed.key, members))
                for i, own, rollups in zip(unseen, found, found, strict=False):  # in pairs
                    self.steps[i], self.rollup_steps[i] = own, rollups
            registry = f"{self.epoch}:{int(every)}"
            rollup_steps = self.rollup_steps
            return {i: f"{registry}/{self.steps[i]}/{rollup_steps.get(i, 0)}" for i in ids}


_follower = _Follower()
_scripts: dict[str, Script] = {}  # per Redis URL: its client's STAMP


def _feed() -> _Feed | None:
    """The shared cache's Redis and the set's key under the cache's prefix; None without."""
    config = settings.CACHES.get("default", {})
    if config.get("BACKEND") != "django.core.cache.backends.redis.RedisCache":
        return None
    location = config["LOCATION"]
    # Django's Redis cache writes to the first of its servers.
    url = re.split("[;,]", location)[0] if isinstance(location, str) else location[0]
    if url not in _scripts:
        client = redis.Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        )  # fmt: skip
        _scripts[url] = client.register_script(STAMP)
    script = _scripts[url]
    return _Feed(script.registered_client, script, caches["default"].make_key(FEED))


def _stamp_logged(members: list[str]) -> None:
    feed = _feed()
    if feed is None:
        return
    try:
        feed.stamp(members)
    except redis.RedisError as error:  # the write stands; see item 4
        log.warning("data versions not renewed: %s", error)
