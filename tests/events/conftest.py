"""Fixtures for the events tests (the classes live in world.py and servers.py)."""

from __future__ import annotations

import pytest

from accounts.models import User
from tests.conftest import make_user
from tests.events.servers import SmtpServer
from tests.events.world import World, free_port
from tests.faults.peers_solapi import SOLAPI_KEY, SOLAPI_SECRET, SOLAPI_SENDER, SolapiStandIn


@pytest.fixture
def world(db):
    return World()


@pytest.fixture
def admin_user(db):
    return make_user(
        "chief", User.Role.ADMIN, email="chief@example.com", phone="+821099990000", language="ko"
    )


@pytest.fixture
def smtp(settings):
    """An SMTP server on a free port, not yet started: call .start() (tests of a mail server
    that refuses connections first run without it)."""
    server = SmtpServer(free_port())
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()


@pytest.fixture
def solapi(settings):
    stand_in = SolapiStandIn()
    settings.SMS_BACKEND = "solapi"
    settings.SOLAPI_API_KEY = SOLAPI_KEY
    settings.SOLAPI_API_SECRET = SOLAPI_SECRET
    settings.SOLAPI_SENDER = SOLAPI_SENDER
    settings.SOLAPI_BASE_URL = stand_in.url
    yield stand_in
    stand_in.close()
