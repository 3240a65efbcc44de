"""Data versions (monitoring/changes.py): a write changes the versions of the plants it
touched and of no other, in every process, and a version never comes back."""

from __future__ import annotations

import logging

import pytest
import redis
from django.db import transaction

from monitoring import changes
from tests.conftest import SHARED_REDIS_URL

pytestmark = pytest.mark.django_db(transaction=True)
PLANTS = [1, 2, 3]


def another_process() -> changes._Follower:
    """What another server process knows: nothing yet."""
    return changes._Follower()


def versions_in(process: changes._Follower) -> dict[int, str]:
    return process.versions(changes._feed(), PLANTS)


def test_a_write_changes_its_plants_versions_only(shared_cache):
    before = changes.plant_versions(PLANTS)
    changes.plants_changed(station_ids=[2])
    after = changes.plant_versions(PLANTS)
    assert [after[i] == before[i] for i in PLANTS] == [True, False, True]
    assert changes.plant_version(2) == after[2]
    assert versions_in(another_process()) == after


def test_every_plants_version_changes_with_the_registry(shared_cache):
    before = changes.plant_versions(PLANTS)
    changes.plants_changed()
    after = changes.plant_versions(PLANTS)
    assert all(after[i] != before[i] for i in PLANTS)


def test_a_follower_sees_the_writes_made_since_it_last_looked(shared_cache):
    follower = another_process()
    first = versions_in(follower)
    changes.plants_changed(station_ids=[1])
    changes.plants_changed(station_ids=[3])
    second = versions_in(follower)
    assert [second[i] == first[i] for i in PLANTS] == [False, True, False]
    assert second == versions_in(another_process())


def test_a_write_is_seen_only_once_it_commits(shared_cache):
    before = changes.plant_versions(PLANTS)
    with transaction.atomic():
        changes.plants_changed(station_ids=[1])
        assert changes.plant_versions(PLANTS) == before
    assert changes.plant_versions(PLANTS)[1] != before[1]


def test_a_lost_set_of_versions_gives_no_version_back(shared_cache):
    """Redis restarted or flushed: every version is new, even where the steps repeat."""
    follower = another_process()
    changes.plants_changed(station_ids=[1])
    before = versions_in(follower)
    redis.Redis.from_url(SHARED_REDIS_URL).delete(changes._feed().key)
    changes.plants_changed(station_ids=[1])  # step 1 again, of a new set
    after = versions_in(follower)
    assert all(after[i] != before[i] for i in PLANTS)
    assert after == versions_in(another_process())


def test_without_redis_nothing_is_kept_and_the_write_stands(shared_cache, settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "KEY_PREFIX": shared_cache,
        }
    }
    with caplog.at_level(logging.WARNING, logger="monitoring.changes"):
        with transaction.atomic():
            changes.plants_changed(station_ids=[1])
        assert changes.plant_versions(PLANTS) is None
        assert changes.plant_version(1) is None
    assert "not renewed" in caplog.text and "nothing kept" in caplog.text


def test_without_a_shared_cache_there_is_no_version(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    changes.plants_changed(station_ids=[1])
    assert changes.plant_versions(PLANTS) is None


def test_a_rollup_changes_the_version_but_not_its_part_without_rollups(shared_cache):
    before = changes.plant_versions(PLANTS)
    changes.plants_changed(station_ids=[2], rollups=True)
    after = changes.plant_versions(PLANTS)
    assert [after[i] == before[i] for i in PLANTS] == [True, False, True]
    assert changes.without_rollups(after[2]) == changes.without_rollups(before[2])
    assert changes.plant_version(2) == after[2]
    assert versions_in(another_process()) == after
