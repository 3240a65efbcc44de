"""What the console shows: each line once, and not django-q's every scheduled run."""

from __future__ import annotations

import io
import logging

import pytest


@pytest.fixture
def console():
    """The root's console handler, writing to a buffer for the test."""
    handler = next(
        h for h in logging.getLogger().handlers
        if type(h) is logging.StreamHandler  # not pytest's capture handlers
    )  # fmt: skip
    buffer = io.StringIO()
    saved = handler.setStream(buffer)
    yield buffer
    handler.setStream(saved)


def test_a_request_warning_is_printed_once(console, settings):
    settings.DEBUG = True  # Django's own console handler printed only with DEBUG on
    logger = logging.getLogger("django.request")
    record = logger.makeRecord(logger.name, logging.WARNING, "", 1, "Not Found: /x/", (), None)
    printing, current = [], logger
    while current is not None:  # every handler the record reaches, as Logger.callHandlers
        printing += [
            h for h in current.handlers
            if isinstance(h, logging.StreamHandler) and record.levelno >= h.level
            and not type(h).__module__.startswith("_pytest")  # pytest's log capture
            and h.filter(record)
        ]  # fmt: skip
        current = current.parent if current.propagate else None
    assert len(printing) == 1
    logger.handle(record)
    assert console.getvalue().count("Not Found: /x/") == 1


def test_django_q_tells_warnings_not_every_run(console):
    logging.getLogger("django-q").info("Process-1 created a task from schedule [detect_events]")
    logging.getLogger("django-q").warning("a task failed")
    assert "created a task" not in console.getvalue()
    assert "a task failed" in console.getvalue()
