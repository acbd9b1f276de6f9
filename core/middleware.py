"""Middleware of the project's own."""

from __future__ import annotations

import logging
import time

from django.conf import settings
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


# When the session's expiry was last pushed back (epoch seconds), in the session itself.
REFRESHED_KEY = "_refreshed"


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's session middleware, with two changes.

    A session lasts SESSION_COOKIE_AGE of inactivity, but its expiry is pushed back (the row
    written) at most every SESSION_REFRESH_SECONDS, not on every request as
    SESSION_SAVE_EVERY_REQUEST would: that was an UPDATE and a commit on each request (a grid
    worker's poll, a wall's refresh) and a share of a small request's CPU (bench/RESULTS.md
    "Soak"). A session may so end up to SESSION_REFRESH_SECONDS earlier than a shift of inactivity.

    And when saving the session fails because the database connection was lost after the view
    had answered, Django raises SessionInterrupted (a 400 "Bad Request") on the assumption that someone
    logged out meanwhile. But the view's work has committed (a ticket was taken in): a 400 would
    tell the client its request was wrong and must not be retried. The view's answer stands
    instead; only the session's refreshed expiry is lost. Found by bench/intake_faults.py.
    """

    def process_response(self, request, response):
        session = getattr(request, "session", None)
        if session is not None and session.accessed and not session.modified and not session.is_empty():
            now = int(time.time())
            if now - int(session.get(REFRESHED_KEY, 0)) >= settings.SESSION_REFRESH_SECONDS:
                session[REFRESHED_KEY] = now  # modified: Django saves it with a fresh expiry
        try:
            return super().process_response(request, response)
        except SessionInterrupted as exc:
            if not caused_by_database_outage(exc):
                raise
            logger.warning("session not saved (database unavailable); answering %s", response.status_code)
            return response
