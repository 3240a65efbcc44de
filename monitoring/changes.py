"""Data versions: tokens in the shared cache that every write changing what a page or an API
answer shows replaces, so that whatever a process keeps in memory is dropped by the next
request after the change, in every process.

    plants_changed(station_ids=..., using=...)
                                  these plants' data changed (readings, latest state, alarms,
                                  a collector); with no ids: the registry or the rollups, so
                                  every plant's
    plant_version(station_id)     a plant's token now (its own and the every-plant token)
    plant_versions(station_ids)   the same for many plants in one round trip
    kept(key, make)               make() once per key in this process, the last KEPT_VALUES
                                  keys kept

Readers keep what they made under these tokens: a plant's day curve under its own, the
fleet's rows (web/selectors.py) plant by plant, so that under a live fleet a request rebuilds
only the plants that changed since the last one instead of every plant.

A version is None when there is no cache shared between processes: then nothing may be kept
(LocMemCache is one process's own, and a change made in another would go unseen).

Who calls them: the store's upsert of readings (the plants written, telemetry/store.py), the
ingest's latest-state update (every batch), a collector that comes back, detection when it
marks inverters silent, raising and clearing alarms, the rollup jobs (today's daily rows),
and saving or deleting a plant, an inverter, a collector or a customer (signals,
monitoring/apps.py). A plant's state also changes with the clock alone (silence, sunset), so
readers of states keep them for a few seconds at most besides (web/selectors.py).

1. A token is renewed once the write's transaction commits: a reader that looks earlier sees
   the old data under the old token, and one that looks later the new data under the new one.
2. A token is random, never a counter: a cache that lost it (restarted, evicted) hands out a
   new one, and never one that a process still keeps values under.
3. A cache that fails is logged and treated as absent: nothing is kept, and the write that
   changed the data is never refused for it.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction

log = logging.getLogger(__name__)
EVERY_PLANT = "monitoring:version:plants"
PLANT = "monitoring:version:plant:{}"
KEPT_VALUES = 16
T = TypeVar("T")


def plant_version(station_id: int) -> str | None:
    """One plant's token (its readings', and every plant's); None without a shared cache."""
    versions = _versions([EVERY_PLANT, PLANT.format(station_id)])
    return "/".join(versions) if versions else None


def plant_versions(station_ids: Iterable[int]) -> dict[int, str] | None:
    """Each plant's token (as plant_version), for many plants in one round trip."""
    ids = list(station_ids)
    every = _versions([EVERY_PLANT])
    if every is None:
        return None
    cache = _shared_cache()
    try:
        found = cache.get_many([PLANT.format(i) for i in ids])
    except Exception as error:  # noqa: BLE001 - see point 3
        log.warning("data versions unavailable, nothing kept: %s", error)
        return None
    # A plant never written has no token of its own: the every-plant one stands for it (a
    # token is added only by a write, so a fleet of 10,000 is not 10,000 adds).
    return {i: f"{every[0]}/{found.get(PLANT.format(i), '')}" for i in ids}


def plants_changed(*, station_ids: Iterable[int] | None = None, using: str = "default") -> None:
    """These plants' data changed (None: any plant's)."""
    if station_ids is None:
        keys = [EVERY_PLANT]
    else:
        keys = [PLANT.format(i) for i in set(station_ids)]
        if not keys:
            return
    transaction.on_commit(lambda: _renew(keys), using=using)


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


def _shared_cache():
    cache = caches["default"]
    return None if isinstance(cache, LocMemCache | DummyCache) else cache


def _versions(keys: list[str]) -> list[str] | None:
    cache = _shared_cache()
    if cache is None:
        return None
    try:
        found = cache.get_many(keys)
        for key in keys:
            if key not in found:
                cache.add(key, uuid.uuid4().hex, timeout=None)
                found[key] = cache.get(key)
        versions = [found[key] for key in keys]
        return None if None in versions else versions
    except Exception as error:  # noqa: BLE001 - any cache failure means "keep nothing"
        log.warning("data versions unavailable, nothing kept: %s", error)
        return None


def _renew(keys: list[str]) -> None:
    cache = _shared_cache()
    if cache is None:
        return
    try:
        cache.set_many({key: uuid.uuid4().hex for key in keys}, timeout=None)
    except Exception as error:  # noqa: BLE001 - the write stands; see point 3
        log.warning("data versions not renewed: %s", error)
