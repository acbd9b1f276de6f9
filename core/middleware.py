"""Middleware of the project's own."""

from __future__ import annotations

import logging

from django.contrib.sessions.exceptions import SessionInterrupted
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.db import InterfaceError, OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)


def caused_by_database_outage(exc: BaseException | None) -> bool:
    """Whether an exception is, or was raised while handling, a lost or refused database connection,
    or Redis (the shared rate-limit counters) unreachable during a Sentinel fail-over."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OperationalError | InterfaceError | RedisConnectionError | RedisTimeoutError):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's session middleware, except when saving the session fails because the database
    connection was lost after the view had answered.

    Django then raises SessionInterrupted (a 400 "Bad Request") on the assumption that someone
    logged out meanwhile. But the view's work has committed (a ticket was taken in): a 400 would
    tell the client its request was wrong and must not be retried. The view's answer stands
    instead; only the session's refreshed expiry is lost. Found by bench/intake_faults.py.
    """

    def process_response(self, request, response):
        try:
            return super().process_response(request, response)
        except SessionInterrupted as exc:
            if not caused_by_database_outage(exc):
                raise
            logger.warning("session not saved (database unavailable); answering %s", response.status_code)
            return response
