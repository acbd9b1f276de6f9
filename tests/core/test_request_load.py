"""What a web process does per request under load: the session's expiry is written at most every
SESSION_REFRESH_SECONDS (core.middleware), and at most HTTP_CONCURRENCY requests run in Django at
once, the others queued, none refused (core.asgi_limit)."""

from __future__ import annotations

import asyncio

import pytest
from django.contrib.sessions.models import Session
from django.test import override_settings

from core.asgi_limit import ConcurrencyLimit
from core.middleware import REFRESHED_KEY

pytestmark = pytest.mark.django_db


def _row(client) -> Session:
    return Session.objects.get(session_key=client.cookies["sessionid"].value)


def test_the_session_expiry_is_written_once_per_refresh_window_not_on_every_request(as_user):
    client = as_user("changqing_grid")
    assert client.get("/api/tickets/?page_size=1").status_code == 200
    first = _row(client)
    assert first.get_decoded()[REFRESHED_KEY] > 0  # a new session is refreshed at once
    for _ in range(3):
        assert client.get("/api/tickets/?page_size=1").status_code == 200
    assert _row(client).expire_date == first.expire_date  # no write within the window

    with override_settings(SESSION_REFRESH_SECONDS=0):  # the window over: written again
        assert client.get("/api/tickets/?page_size=1").status_code == 200
    assert _row(client).expire_date > first.expire_date


def test_an_anonymous_request_writes_no_session(client):
    before = Session.objects.count()
    assert client.get("/api/tickets/").status_code in (401, 403)
    assert Session.objects.count() == before


def test_requests_beyond_the_limit_wait_their_turn_and_are_all_answered():
    inside, most = 0, 0

    async def app(scope, receive, send):
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        await asyncio.sleep(0.01)
        inside -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})

    limited = ConcurrencyLimit(app, 3)
    statuses: list[int] = []

    async def send(message):
        statuses.append(message["status"])

    async def run():
        await asyncio.gather(*(limited({"type": "http"}, None, send) for _ in range(20)))

    asyncio.run(run())
    assert statuses == [200] * 20
    assert most == 3
    assert limited.waiting == 0


def test_websockets_are_not_counted():
    entered = []

    async def app(scope, receive, send):
        entered.append(scope["type"])
        await asyncio.sleep(0.01)

    limited = ConcurrencyLimit(app, 1)

    async def run():
        await asyncio.gather(*(limited({"type": "websocket"}, None, None) for _ in range(5)))

    asyncio.run(run())
    assert entered == ["websocket"] * 5
    assert limited._slots is None  # never made: sockets pass straight through
