"""Live fan-out to many walls (issue 17, item 7): every message reaches every socket whose user may
see it, once, and no other socket; the scope is decided once per message and office, not per socket.

- In-process (the real consumer, the in-memory layer, the test's transaction): 60 sockets of four
  offices; the scope query runs once per (message, office) however many sockets an office holds.
- Two real daphne processes on one Redis (the scale-out set-up): 100 sockets of five offices spread
  over both, tickets in three counties posted to both; each socket receives exactly the tickets its
  office may see (dispatch's scope rule, asked afterwards), each once.
No timing assertions: bench/fanout.py measures commit → screen.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections import Counter, defaultdict

import pytest
import requests
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from dispatch.models import Ticket
from dispatch.selectors import tickets_visible_to
from grid.models import Area, User
from maps import consumers
from maps.routing import websocket_urlpatterns
from tests.helpers import CHANGQING, XIATANG, make_ticket
from tests.maps.test_two_servers_on_redis import login, two_servers  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db

APP = URLRouter(websocket_urlpatterns)


@pytest.fixture
def _in_the_test_transaction(settings, monkeypatch):
    settings.MAPS_LIVE_TICK_SECONDS = 0
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)


def test_the_scope_is_decided_once_per_message_and_office(
    _in_the_test_transaction, django_capture_on_commit_callbacks, monkeypatch
):
    """60 sockets of four offices, two tickets: four scope queries per ticket, not sixty; each
    socket gets the tickets its office may see, once."""
    calls: list[tuple[str, int]] = []
    real = consumers._may_see

    def counted(user, key, ticket_ids, spike_id=None):
        calls.append((key, user.office_id))
        return real(user, key, ticket_ids, spike_id)

    monkeypatch.setattr(consumers, "_may_see", counted)
    offices = {"wall_viewer": 15, "guangminglu_handler": 15, "xiatang_handler": 15, "changqing_grid": 15}

    async def scenario():
        sockets: list[tuple[str, WebsocketCommunicator]] = []
        for username, n in offices.items():
            user = await database_sync_to_async(User.objects.select_related("office").get)(username=username)
            for _ in range(n):
                comm = WebsocketCommunicator(APP, "/ws/maps/live/")
                comm.scope["user"] = user
                assert (await comm.connect())[0]
                assert (await comm.receive_json_from())["type"] == "hello"
                sockets.append((username, comm))

        def intake():
            with django_capture_on_commit_callbacks(execute=True):
                return make_ticket(code=CHANGQING), make_ticket(code=XIATANG)

        mine, theirs = await database_sync_to_async(intake)()
        got: dict[str, list[list[str]]] = defaultdict(list)
        for username, comm in sockets:
            numbers = []
            while not await comm.receive_nothing(timeout=0.2):
                numbers.append((await comm.receive_json_from())["number"])
            got[username].append(numbers)
            await comm.disconnect()
        return mine.number, theirs.number, got

    mine, theirs, got = async_to_sync(scenario)()
    expected = {
        "wall_viewer": [mine, theirs],
        "guangminglu_handler": [mine],
        "changqing_grid": [mine],
        "xiatang_handler": [theirs],
    }
    for username, per_socket in got.items():
        assert per_socket == [expected[username]] * offices[username], username
    # One query per (message, office) that has sockets in the message's groups: the city wall
    # hears both tickets, 光明路 and 长青 only the first (their groups), 下汤 only the second.
    assert Counter(office for _key, office in calls) == Counter(
        {
            User.objects.get(username="wall_viewer").office_id: 2,
            User.objects.get(username="guangminglu_handler").office_id: 1,
            User.objects.get(username="changqing_grid").office_id: 1,
            User.objects.get(username="xiatang_handler").office_id: 1,
        }
    )


def test_a_process_hears_a_group_once_and_a_lost_layer_closes_its_walls(_in_the_test_transaction):
    """Five wall sockets of one process are one member of the city group (the hub's channel), none
    has a layer channel of its own; when the hub's receive() fails (the layer lost Redis), every wall
    socket of the process is closed (a code daphne accepts from an application), so each wall reconnects and re-fetches its state."""

    async def scenario():
        user = await database_sync_to_async(User.objects.select_related("office").get)(username="wall_viewer")
        comms = []
        for _ in range(5):
            comm = WebsocketCommunicator(APP, "/ws/maps/live/")
            comm.scope["user"] = user
            assert (await comm.connect())[0]
            assert (await comm.receive_json_from())["type"] == "hello"
            comms.append(comm)
        layer = get_channel_layer()
        members = list(layer.groups["maps.city"])
        hub = consumers.hub_for(layer)
        assert members == [hub.channel] and hub.channel.startswith(consumers.HUB_PREFIX)
        assert set(layer.channels) <= {hub.channel}  # no socket waits on a channel of its own

        async def lost(channel):
            raise ConnectionError("the layer lost Redis")

        layer.receive = lost  # the hub's next receive() fails
        await layer.send(hub.channel, {"type": "maps.other"})  # wakes the receive it is waiting in
        return [await c.receive_output(timeout=5) for c in comms]

    closes = async_to_sync(scenario)()
    assert closes == [{"type": "websocket.close", "code": consumers.LAYER_LOST}] * 5


WALLS = {  # username → sockets (100 in all), alternately on the two servers
    "wall_viewer": 30,
    "xinhua_dispatcher": 20,
    "guangminglu_handler": 20,
    "xiatang_handler": 15,
    "ruzhou_dispatcher": 15,
}


def _point_in(code: str) -> tuple[float, float]:
    area = Area.objects.current().filter(code__startswith=code, level="community").order_by("code").first()
    point = area.label_point or area.geom.point_on_surface
    return round(point.x, 6), round(point.y, 6)


@pytest.mark.django_db  # so that the session sets up the test database the servers use
def test_a_hundred_walls_on_two_servers_get_every_message_in_their_scope_and_nothing_else(two_servers):  # noqa: F811
    import websockets

    sessions = {u: login(two_servers[0], u).cookies["sessionid"] for u in WALLS}
    places = [(113.2952, 33.7549), _point_in(XIATANG), _point_in("410482")]  # 光明路 (新华区), 下汤镇, 汝州市
    auth = base64.b64encode(b"city_dispatcher:demo12345").decode()

    async def scenario():
        sockets: list[tuple[str, object]] = []
        i = 0
        for username, n in WALLS.items():
            for _ in range(n):
                base = two_servers[i % 2]
                i += 1
                ws = await websockets.connect(
                    f"ws://{base.removeprefix('http://')}/ws/maps/live/",
                    additional_headers={"Cookie": f"sessionid={sessions[username]}"},
                    origin=base,
                    max_queue=None,
                )
                assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "hello"
                sockets.append((username, ws))
        numbers = []
        for n in range(6):  # two tickets per place, to each server in turn
            lon, lat = places[n % 3]
            posted = await asyncio.to_thread(
                requests.post,
                f"{two_servers[n % 2]}/api/tickets/",
                json={
                    "channel": "phone",
                    "kind": "complaint",
                    "category": "0101",
                    "description": f"扇出测试：下水道堵了，污水溢到路面上（第{n}件）",
                    "lon": lon,
                    "lat": lat,
                    "caller_name": "王芳",
                    "caller_phone": "13812341234",
                },
                headers={"Authorization": f"Basic {auth}"},
                timeout=30,
            )
            assert posted.status_code == 201, posted.text[:500]
            numbers.append(posted.json()["number"])

        async def drain(ws) -> list[dict]:
            """Everything until the socket has been quiet for 3 s (bounded: 60 s in all)."""
            out, deadline = [], time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    out.append(json.loads(await asyncio.wait_for(ws.recv(), 3)))
                except TimeoutError:
                    break
            await ws.close()
            return out

        heard = await asyncio.gather(*(drain(ws) for _u, ws in sockets))
        return numbers, [(u, msgs) for (u, _ws), msgs in zip(sockets, heard)]

    numbers, heard = asyncio.run(scenario())
    visible = {
        u: set(
            tickets_visible_to(User.objects.select_related("office").get(username=u))
            .filter(number__in=numbers)
            .values_list("number", flat=True)
        )
        for u in WALLS
    }
    # The offices see different parts of the six tickets: a wrong socket would show.
    assert visible["wall_viewer"] == set(numbers)
    assert len(visible["xiatang_handler"]) == 2 and len(visible["ruzhou_dispatcher"]) == 2
    assert visible["xiatang_handler"].isdisjoint(visible["guangminglu_handler"] | visible["ruzhou_dispatcher"])
    created = set(Ticket.objects.filter(number__in=numbers).values_list("number", flat=True))
    assert created == set(numbers)
    for username, msgs in heard:
        mine = Counter(m["number"] for m in msgs if m.get("type") == "ticket.created")
        assert set(mine) == visible[username], (username, mine)  # every message in scope, nothing out of it
        assert set(mine.values()) <= {1}, (username, mine)  # each once, though it came through several groups
        others = {m.get("number") for m in msgs if m.get("number")} - visible[username]
        assert not others, (username, others)  # no later change of another's ticket either
