"""Two daphne processes share one Redis channel layer: a ticket posted to one server
reaches a wall socket held by the other, within a second, and only walls that may see it."""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
import sys
import time
import uuid
from contextlib import contextmanager

import pytest
import requests
from django.db import connection

from dispatch.models import Ticket
from tests.servers import database_url, free_port, process, run_committed


@contextmanager
def redis_url():
    """A private Redis on a free loopback port when redis-server is installed (nothing shared with
    other runs), else the machine's Redis on a database number of its own with a unique prefix."""
    binary = shutil.which("redis-server")
    if binary is None:
        yield "redis://127.0.0.1:6379/13"
        return
    port = free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    with process(args, port, "redis"):
        yield f"redis://127.0.0.1:{port}/0"


def login(base: str, username: str) -> requests.Session:
    s = requests.Session()
    s.get(f"{base}/accounts/login/", timeout=10)
    r = s.post(
        f"{base}/accounts/login/",
        data={"username": username, "password": "demo12345", "csrfmiddlewaretoken": s.cookies["csrftoken"]},
        headers={"Referer": f"{base}/accounts/login/"},
        timeout=10,
    )
    assert r.ok and "sessionid" in s.cookies, r.text[r.text.find("<main") :][:600]
    return s


@pytest.fixture
def two_servers(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        connection.ensure_connection()
        db_url = database_url()
    with redis_url() as redis:
        env = {
            "DATABASE_URL": db_url,
            "REDIS_URL": redis,
            "CHANNELS_PREFIX": f"test-maps-{uuid.uuid4().hex[:8]}",
            "MAPS_LIVE_TICK_SECONDS": "0",
            "DEBUG": "1",
        }
        ports = [free_port(), free_port()]
        daphne = [sys.executable, "-m", "daphne", "-b", "127.0.0.1"]
        with (
            process([*daphne, "-p", str(ports[0]), "config.asgi:application"], ports[0], "daphne-a", env),
            process([*daphne, "-p", str(ports[1]), "config.asgi:application"], ports[1], "daphne-b", env),
        ):
            yield [f"http://127.0.0.1:{p}" for p in ports]
    # The servers committed a ticket: remove it outside the test's transaction.
    run_committed(lambda: Ticket.objects.filter(created_by__username="city_dispatcher").delete(), django_db_blocker)


@pytest.mark.django_db  # so that the session sets up the test database the servers use
def test_a_ticket_posted_to_one_server_reaches_a_wall_held_by_the_other(two_servers):
    import websockets

    server_a, server_b = two_servers
    city_wall = login(server_b, "wall_viewer")
    xiatang_wall = login(server_b, "xiatang_handler")

    async def scenario():
        host_b = server_b.removeprefix("http://")
        sockets = []
        for session in (city_wall, xiatang_wall):
            ws = await websockets.connect(
                f"ws://{host_b}/ws/maps/live/",
                additional_headers={"Cookie": f"sessionid={session.cookies['sessionid']}"},
                origin=server_b,
            )
            assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "hello"
            sockets.append(ws)
        auth = base64.b64encode(b"city_dispatcher:demo12345").decode()
        posted = await asyncio.to_thread(
            requests.post,
            f"{server_a}/api/tickets/",
            json={
                "channel": "phone",
                "kind": "complaint",
                "category": "0101",
                "description": "长青社区楼下下水道堵了，污水溢到路面上",
                "lon": 113.2952,
                "lat": 33.7549,
                "caller_name": "王芳",
                "caller_phone": "13812341234",
            },
            headers={"Authorization": f"Basic {auth}"},
            timeout=10,
        )
        assert posted.status_code == 201, posted.text[:500]
        number = posted.json()["number"]
        message = json.loads(await asyncio.wait_for(sockets[0].recv(), 5))
        received_at = time.time()
        assert (message["type"], message["number"]) == ("ticket.created", number)
        assert received_at - message["sent_at"] < 1.0  # commit → received within a second
        with pytest.raises((TimeoutError, asyncio.TimeoutError)):  # 下汤镇's wall never sees a 光明路 ticket
            await asyncio.wait_for(sockets[1].recv(), 1.5)
        for ws in sockets:
            await ws.close()

    asyncio.run(scenario())
