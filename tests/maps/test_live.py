"""Live updates over the wall's WebSocket (Channels, in-memory layer, the real consumer).

The test runs its async part under async_to_sync, so the consumer's database
calls run in the test's thread and see the test's (rolled-back) transaction;
on_commit callbacks are executed by django_capture_on_commit_callbacks.
"""

from __future__ import annotations

import datetime as dt

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from dispatch.models import Ticket
from dispatch.services import sign_for
from grid.models import User
from maps import services
from maps.routing import websocket_urlpatterns
from tests.helpers import CHANGQING, XIATANG, make_ticket
from tests.servers import socket_connect
from tests.servers import socket_received as received

pytestmark = pytest.mark.django_db

APP = URLRouter(websocket_urlpatterns)


@pytest.fixture(autouse=True)
def _in_the_test_transaction(settings, monkeypatch):
    """No ticker thread; and Channels must not close the test's connection between calls
    (it does so to recycle a server's stale connections; here it would end the test transaction)."""
    settings.MAPS_LIVE_TICK_SECONDS = 0
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)


async def connect(username: str):
    return await socket_connect(APP, "/ws/maps/live/", username)


def run(scenario):
    return async_to_sync(scenario)()


def test_a_new_ticket_reaches_the_walls_that_may_see_it_and_no_other(django_capture_on_commit_callbacks):
    """A township's wall never receives another township's tickets; the city wall receives all."""

    async def scenario():
        city = await connect("wall_viewer")
        guangminglu = await connect("guangminglu_handler")
        xiatang = await connect("xiatang_handler")
        changqing = await connect("changqing_grid")

        def intake():
            with django_capture_on_commit_callbacks(execute=True):
                return make_ticket(code=CHANGQING), make_ticket(code=XIATANG)

        mine, theirs = await database_sync_to_async(intake)()
        city_got = await received(city)
        assert [(m["type"], m["number"]) for m in city_got] == [
            ("ticket.created", mine.number),
            ("ticket.created", theirs.number),
        ]
        assert city_got[0]["township_code"] == "410402002" and city_got[0]["lon"] == round(mine.point.x, 6)
        assert "caller_name" not in city_got[0] and "王芳" not in str(city_got)  # [IN-2]
        assert [m["number"] for m in await received(guangminglu)] == [mine.number]
        assert [m["number"] for m in await received(changqing)] == [mine.number]
        assert [m["number"] for m in await received(xiatang)] == [theirs.number]
        for comm in (city, guangminglu, xiatang, changqing):
            await comm.disconnect()

    run(scenario)


def test_a_state_change_is_pushed_with_its_action(django_capture_on_commit_callbacks, users):
    ticket = make_ticket(code=CHANGQING, category="0101")
    signer = next(
        u for u in users.values() if u.office_id and ticket.assignments.filter(office_id=u.office_id).exists()
    )

    async def scenario():
        wall = await connect("guangminglu_handler")

        def sign():
            with django_capture_on_commit_callbacks(execute=True):
                sign_for(ticket=Ticket.objects.get(id=ticket.id), by=signer)

        await database_sync_to_async(sign)()
        [m] = await received(wall)
        assert (m["type"], m["number"], m["action"], m["status"]) == (
            "ticket.changed",
            ticket.number,
            "sign_for",
            "in_progress",
        )
        await wall.disconnect()

    run(scenario)


def test_a_ticket_that_just_became_overdue_is_pushed_once(django_capture_on_commit_callbacks):
    """[SV-1] overdue tickets are shown to the center as they fall due: the supervisor's sweep finds
    them and leaves a notice; a web process's pusher delivers it, once."""
    ticket = make_ticket(code=XIATANG)
    t0 = timezone.now()
    services.sweep_overdue(now=t0)  # the first sweep only sets the watermark
    Ticket.objects.filter(id=ticket.id).update(resolve_by=t0 + dt.timedelta(seconds=30))

    async def scenario():
        wall = await connect("xiatang_handler")
        elsewhere = await connect("guangminglu_handler")

        def sweep_and_push(at):
            found = services.sweep_overdue(now=at)  # the supervisor's job: no push of its own
            with django_capture_on_commit_callbacks(execute=True):
                services.push_notices(now=at)  # the web process's pusher
            return found

        assert await database_sync_to_async(sweep_and_push)(t0 + dt.timedelta(seconds=10)) == []
        assert await database_sync_to_async(services.sweep_overdue)(now=t0 + dt.timedelta(seconds=40)) == [ticket.id]
        assert await received(wall) == []  # recorded, not pushed, by the supervisor
        assert await database_sync_to_async(sweep_and_push)(t0 + dt.timedelta(seconds=50)) == []  # once
        assert [(m["type"], m["number"]) for m in await received(wall)] == [("ticket.overdue", ticket.number)]
        assert await received(elsewhere) == []
        await wall.disconnect()
        await elsewhere.disconnect()

    run(scenario)


def test_a_new_hotspot_is_pushed_to_the_walls_of_its_area(django_capture_on_commit_callbacks):
    from tests.maps.test_api import drain_cluster

    tickets = drain_cluster(CHANGQING, n=5)

    async def scenario():
        city = await connect("wall_viewer")
        mine = await connect("guangminglu_handler")
        other = await connect("xiatang_handler")

        def refresh_and_push():
            changes = services.refresh_hotspots()  # the supervisor's job
            with django_capture_on_commit_callbacks(execute=True):
                services.push_notices()  # a web process's pusher
            return changes

        changes = await database_sync_to_async(refresh_and_push)()
        [h] = changes.formed
        for comm in (city, mine):
            [m] = await received(comm)
            assert (m["type"], m["id"], m["count"]) == ("hotspot.formed", h.id, 5)
            assert m["label"].startswith("光明路街道 · ") and m["label"].endswith("下水道堵塞 · 5 件 · 14 天")
        assert await received(other) == []
        assert set(h.ticket_ids) == {t.id for t in tickets}
        for comm in (city, mine, other):
            await comm.disconnect()

    run(scenario)


def test_a_socket_without_a_login_or_an_office_is_refused():
    async def scenario():
        from django.contrib.auth.models import AnonymousUser

        comm = WebsocketCommunicator(APP, "/ws/maps/live/")
        comm.scope["user"] = AnonymousUser()
        connected, code = await comm.connect()
        assert not connected and code == 4401
        nobody = await database_sync_to_async(User.objects.create_user)("no_office", password="x")
        comm = WebsocketCommunicator(APP, "/ws/maps/live/")
        comm.scope["user"] = nobody
        connected, code = await comm.connect()
        assert not connected and code == 4403

    run(scenario)
