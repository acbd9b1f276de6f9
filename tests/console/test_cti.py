"""[CT-1] The PBX's events: authenticated by a token, recorded as calls, and delivered over the real
consumer to the console of the agent whose extension rang — and to no other console."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from console.models import CallRecord, CtiToken
from console.routing import websocket_urlpatterns
from grid.models import User
from tests.servers import socket_connect
from tests.servers import socket_received as received

pytestmark = pytest.mark.django_db

APP = URLRouter(websocket_urlpatterns)


@pytest.fixture(autouse=True)
def _in_the_test_transaction(settings, monkeypatch):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)


def post(token: str | None, body: dict, *, scheme: str = "Bearer"):
    headers = {"HTTP_AUTHORIZATION": f"{scheme} {token}"} if token is not None else {}
    return Client().post("/api/cti/events", body, content_type="application/json", **headers)


def event(kind: str, call_id: str = "c-1", extension: str = "8001", **extra) -> dict:
    return {
        "event": kind,
        "call_id": call_id,
        "caller": "+86 138-1234-1234",
        "callee": "12345",
        "extension": extension,
        **extra,
    }


async def connect(username: str):
    return await socket_connect(APP, "/ws/console/", username)


def test_a_ringing_call_reaches_only_the_console_of_the_extension_that_rang(
    seats, pbx_token, django_capture_on_commit_callbacks
):
    async def scenario():
        mine = await connect("city_calltaker")  # 8001
        neighbour = await connect("city_calltaker2")  # 8002, same center
        ruzhou = await connect("ruzhou_calltaker")  # 8101, a sub-center

        def ring():
            with django_capture_on_commit_callbacks(execute=True):
                return post(pbx_token, event("ringing")), post(pbx_token, event("answered"))

        ringing, answered = await database_sync_to_async(ring)()
        assert ringing.status_code == answered.status_code == 202
        got = await received(mine)
        assert [(m["type"], m["caller"], m["extension"]) for m in got] == [
            ("call.ringing", "13812341234", "8001"),
            ("call.answered", "13812341234", "8001"),
        ]
        assert await received(neighbour) == []
        assert await received(ruzhou) == []
        for comm in (mine, neighbour, ruzhou):
            await comm.disconnect()

    async_to_sync(scenario)()


@pytest.mark.parametrize(
    "token,scheme", [(None, "Bearer"), ("wrong-token", "Bearer"), ("", "Bearer"), ("demo", "Basic")]
)
def test_a_wrong_token_is_refused_and_reaches_no_console(
    seats, pbx_token, token, scheme, django_capture_on_commit_callbacks
):
    async def scenario():
        mine = await connect("city_calltaker")

        def ring():
            with django_capture_on_commit_callbacks(execute=True):
                return post(pbx_token if token == "demo" else token, event("ringing", "c-bad"), scheme=scheme)

        response = await database_sync_to_async(ring)()
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert await received(mine) == []
        await mine.disconnect()

    async_to_sync(scenario)()
    assert not CallRecord.objects.filter(call_id="c-bad").exists()


def test_a_revoked_token_is_refused(seats):
    row, token = CtiToken.issue("old PBX")
    row.is_active = False
    row.save()
    assert post(token, event("ringing")).status_code == 401


def test_the_demo_token_is_refused_where_settings_refuse_it(seats, settings):
    _row, token = CtiToken.issue("demo", token="demo-token-for-test", is_demo=True)
    assert post(token, event("ringing", "c-demo-ok")).status_code == 202
    settings.CTI_ACCEPT_DEMO_TOKEN = False
    assert post(token, event("ringing", "c-demo-refused")).status_code == 401


def test_production_settings_refuse_the_demo_token_whatever_the_environment():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": "q8#Lz2@vN5!rT0^wY7&kD4*hS1(mB9)cF6_gJ3+xP0=uA5-eR8",
            "ALLOWED_HOSTS": "12345.pds.gov.cn",
            "CTI_ACCEPT_DEMO_TOKEN": "1",
        }
    )
    code = "import django; django.setup(); from django.conf import settings as s; print(s.CTI_ACCEPT_DEMO_TOKEN, repr(s.CTI_DEMO_TOKEN))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=django_settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.stdout.strip() == "False ''", out.stderr


def test_every_call_is_a_record_also_without_a_ticket(seats, pbx_token):
    t0 = timezone.now() - dt.timedelta(minutes=5)
    at = lambda s: (t0 + dt.timedelta(seconds=s)).isoformat()  # noqa: E731
    assert post(pbx_token, event("ringing", "c-talk", at=at(0))).status_code == 202
    post(pbx_token, event("answered", "c-talk", at=at(8)))
    post(pbx_token, event("hangup", "c-talk", at=at(98)))
    post(pbx_token, event("recording", "c-talk", recording_url="https://pbx.local/r/c-talk.wav"))
    post(pbx_token, event("ringing", "c-missed", at=at(10)))
    post(pbx_token, event("hangup", "c-missed", at=at(30)))
    talk = CallRecord.objects.get(call_id="c-talk")
    assert (talk.state, talk.talk_seconds, talk.recording_url) == ("ended", 90, "https://pbx.local/r/c-talk.wav")
    assert talk.agent.username == "city_calltaker" and talk.caller == "13812341234"
    assert CallRecord.objects.get(call_id="c-missed").state == "missed"
    # a late, repeated "answered" never re-opens an ended call
    post(pbx_token, event("answered", "c-missed"))
    assert CallRecord.objects.get(call_id="c-missed").state == "missed"


@pytest.mark.parametrize(
    "body,field",
    [
        ({"event": "dialing", "call_id": "x"}, "event"),
        ({"event": "ringing", "call_id": "x"}, "extension"),
        ({"event": "ringing", "call_id": "bad id with spaces", "extension": "8001"}, "call_id"),
        ({"event": "recording", "call_id": "x"}, "recording_url"),
        ({"event": "ringing", "call_id": "x", "extension": "8001", "at": "yesterday"}, "at"),
    ],
)
def test_a_malformed_event_is_a_400_naming_the_field(seats, pbx_token, body, field):
    response = post(pbx_token, body)
    assert response.status_code == 400
    assert field in response.json()


def test_a_grid_worker_and_a_visitor_get_no_console_socket(seats):
    async def scenario():
        for username in ("changqing_grid", "wall_viewer"):
            user = await database_sync_to_async(User.objects.select_related("office").get)(username=username)
            comm = WebsocketCommunicator(APP, "/ws/console/")
            comm.scope["user"] = user
            connected, code = await comm.connect()
            assert not connected and code == 4403

    async_to_sync(scenario)()
