"""No 500 from input (issue 18, item 2): every finding of the outside probe answers 400/404 in the
caller's format, anonymous and logged in, through one guard (core.input_guard) in front of every view.

Each test here failed before the guard (DataError, TypeError, RecursionError, an HTML 500, a 1011 close).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.test import Client

from core.input_guard import MAX_JSON_DEPTH, json_depth, too_deep
from dispatch.models import Ticket
from grid.models import User
from maps.routing import websocket_urlpatterns
from open311.models import Open311Key
from tests.helpers import CHANGQING, label

pytestmark = pytest.mark.django_db

# The probe's findings, verbatim.
OPEN311 = [
    "/open311/v2/requests/%00.json",
    "/open311/v2/requests/%00.xml",
    "/open311/v2/services/%00.json",
    "/open311/v2/requests.json?service_code=%00",
    "/open311/v2/requests.xml?service_code=%00",
    "/open311/v2/requests.json?api_key=%00",
    "/open311/v2/tokens/%00.json",
]
API = [
    "/api/grid/areas/%00/",
    "/api/tickets/%00/",
    "/api/knowledge/?q=%00",
    "/api/tickets/?page=99999999999999999999",
    "/api/tickets/99999999999999999999/",
]
PAGES = [
    "/w/?q=%00",
    "/w/t/%00/",
    "/w/desk/?community=%00",
    "/briefings/2026-11/?area=%00",
    "/maps/report/%00/",
    "/w/?page=99999999999999999999",
    "/w/?page=-99999999999999999999",
    "/w/report/where?lon=%00&lat=1",
]
ROLES = (None, "city_dispatcher", "changqing_grid", "guangminglu_handler", "xinhua_dispatcher", "admin")


def client_for(username: str | None) -> Client:
    client = Client()
    if username:
        client.force_login(User.objects.get(username=username))
    return client


@pytest.fixture(params=ROLES, ids=lambda r: r or "anonymous")
def someone(request) -> Client:
    return client_for(request.param)


@pytest.mark.parametrize("url", OPEN311)
def test_a_nul_byte_on_open311_is_an_error_list_in_the_spec_format(someone, url):
    resp = someone.get(url)
    assert resp.status_code in (400, 404), resp.content[:300]
    if ".xml" in url:
        root = ET.fromstring(resp.content)
        assert root.tag == "errors" and root.find("error/code").text == str(resp.status_code)
        assert root.find("error/description").text
    else:
        [error] = resp.json()
        assert error["code"] == resp.status_code and error["description"]


@pytest.mark.parametrize("url", API)
def test_a_nul_byte_or_a_huge_number_on_the_api_is_a_json_4xx(someone, url):
    resp = someone.get(url)
    assert resp.status_code in (400, 404), resp.content[:300]
    assert resp["Content-Type"].startswith("application/json")
    assert resp.json()["detail"]


@pytest.mark.parametrize("url", PAGES)
def test_a_nul_byte_or_a_huge_number_on_a_page_is_a_chinese_error_page(someone, url):
    resp = someone.get(url)
    assert resp.status_code in (400, 404), resp.content[:300]
    if url.startswith("/w/report/where"):  # the phone's JSON helper under /w/
        return
    body = resp.content.decode()
    assert resp["Content-Type"].startswith("text/html")
    assert "请求" in body or "页面" in body
    assert "Traceback" not in body and "DataError" not in body


def test_a_nul_byte_in_a_form_field_is_refused_before_the_database():
    """Open311 clients post url-encoded forms: the guard names the field."""
    client = client_for(None)
    form = "api_key=%00&service_code=0701"
    resp = client.post("/open311/v2/requests.json", form, content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 400
    assert "NUL" in resp.json()[0]["description"] and "api_key" in resp.json()[0]["description"]


def test_a_nul_byte_in_a_multipart_field_is_a_400_from_the_database_refusal():
    """Multipart bodies are left to the view (uploads); what the database refuses is still a 400."""
    resp = client_for(None).post("/open311/v2/requests.xml", {"api_key": "\x00", "service_code": "0701"})
    assert resp.status_code == 400
    assert ET.fromstring(resp.content).find("error/code").text == "400"


def test_a_point_with_only_a_longitude_is_a_400_not_a_type_error():
    resp = client_for("changqing_grid").get("/w/report/where", {"lon": "113.29", "address": "x"})
    assert resp.status_code == 400
    assert "经度" in resp.json()["detail"] and "纬度" in resp.json()["detail"]
    resp = client_for("changqing_grid").get("/w/report/where", {"lat": "33.7", "address": "x"})
    assert resp.status_code == 400


def deep_json(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_a_json_body_nested_100000_deep_is_a_400_not_a_recursion_error():
    resp = client_for(None).post("/api/grid/locate", deep_json(100_000), content_type="application/json")
    assert resp.status_code == 400
    assert resp.json()["code"] == "too_deep"


def test_a_deep_body_to_a_view_that_reads_json_itself_is_a_400_too():
    """Not only DRF's parser: a text/plain body that a plain Django view would json.loads."""
    resp = client_for("changqing_grid").post("/w/report/", deep_json(100_000), content_type="text/plain")
    assert resp.status_code == 400


def test_an_ordinary_geojson_body_is_not_too_deep():
    polygon = {"type": "MultiPolygon", "coordinates": [[[[113.2, 33.7], [113.3, 33.7], [113.3, 33.8], [113.2, 33.7]]]]}
    body = json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": polygon}] * 50})
    assert json_depth(body.encode()) == 8 and not too_deep(body.encode())
    assert (
        json_depth(b'{"text": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\"]]"}') == 1
    )
    assert too_deep(deep_json(MAX_JSON_DEPTH + 1).encode()) and not too_deep(deep_json(MAX_JSON_DEPTH).encode())


def test_a_valid_locate_request_still_works():
    lon, lat = label(CHANGQING)
    body = {"points": [[lon, lat]]}
    resp = client_for(None).post("/api/grid/locate", body, content_type="application/json")
    assert resp.status_code == 200, resp.content[:300]
    assert resp.json()["results"][0]


def test_an_open311_idempotency_conflict_is_a_409_in_the_open311_format():
    key = Open311Key.objects.create(name="平顶山便民APP", channel="app")
    before = Ticket.objects.count()  # a server test may have committed tickets before this one
    lon, lat = label(CHANGQING)
    form = {
        "api_key": key.key,
        "service_code": "0701",
        "lat": f"{lat:.6f}",
        "long": f"{lon:.6f}",
        "description": "长青社区19号楼暖气管道漏水，楼道积水",
        "phone": "13812341234",
    }
    client = client_for(None)
    first = client.post("/open311/v2/requests.json", form, HTTP_IDEMPOTENCY_KEY="app-conflict-1")
    assert first.status_code == 200
    other = {**form, "description": "长青社区路灯不亮，晚上很黑，请尽快修理"}
    resp = client.post("/open311/v2/requests.json", other, HTTP_IDEMPOTENCY_KEY="app-conflict-1")
    assert resp.status_code == 409
    [error] = resp.json()
    assert error["code"] == 409 and error["description"]
    resp = client.post("/open311/v2/requests.xml", other, HTTP_IDEMPOTENCY_KEY="app-conflict-1")
    assert resp.status_code == 409 and ET.fromstring(resp.content).find("error/code").text == "409"
    assert Ticket.objects.count() == before + 1


# -- the wall's socket -------------------------------------------------------------------------


@pytest.fixture
def _socket_in_the_test_transaction(settings, monkeypatch):
    settings.MAPS_LIVE_TICK_SECONDS = 0
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)


@pytest.mark.usefixtures("_socket_in_the_test_transaction")
@pytest.mark.parametrize("frame", ["not json{", "[" * 100_000, b"\x00\x01binary"], ids=["malformed", "deep", "binary"])
def test_a_wall_frame_that_is_not_json_closes_the_socket_with_4003(frame):
    async def scenario():
        user = await database_sync_to_async(User.objects.select_related("office").get)(username="city_dispatcher")
        comm = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/maps/live/")
        comm.scope["user"] = user
        connected, _ = await comm.connect()
        assert connected
        assert (await comm.receive_json_from())["type"] == "hello"
        if isinstance(frame, bytes):
            await comm.send_to(bytes_data=frame)
        else:
            await comm.send_to(text_data=frame)
        closed = await comm.receive_output(timeout=2)
        await comm.disconnect()
        return closed

    closed = async_to_sync(scenario)()
    assert closed == {"type": "websocket.close", "code": 4003}  # 1003 is refused from an application


@pytest.mark.usefixtures("_socket_in_the_test_transaction")
def test_a_wall_frame_of_json_that_is_not_a_message_is_ignored_and_ping_still_answers():
    async def scenario():
        user = await database_sync_to_async(User.objects.select_related("office").get)(username="city_dispatcher")
        comm = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/maps/live/")
        comm.scope["user"] = user
        await comm.connect()
        await comm.receive_json_from()
        for frame in ("[1, 2]", '"ping"', "null", '{"type": "dance"}'):
            await comm.send_to(text_data=frame)
        await comm.send_json_to({"type": "ping", "t": 7})
        pong = await comm.receive_json_from(timeout=2)
        await comm.disconnect()
        return pong

    assert async_to_sync(scenario)() == {"type": "pong", "t": 7}
