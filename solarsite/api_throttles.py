"""Throttles of the public API. Counters live in the default cache: Redis, shared by every
worker, when REDIS_URL is set; each process's memory otherwise."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, UserRateThrottle


class _SettingsRates:
    """Rates read from settings at each request (DRF reads them once at import otherwise)."""

    def get_rate(self):
        return settings.API_THROTTLE_RATES.get(self.scope)


class AnonThrottle(_SettingsRates, AnonRateThrottle):
    pass


class UserThrottle(_SettingsRates, UserRateThrottle):
    pass


class LoginThrottle(_SettingsRates, ScopedRateThrottle):
    """Per client address, before the login rules (which lock per user id) even run."""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": "login", "ident": self.get_ident(request)}

    def allow_request(self, request, view):
        self.scope = "login"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super(ScopedRateThrottle, self).allow_request(request, view)
