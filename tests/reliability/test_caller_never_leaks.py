"""[IN-2] A caller's name, phone and e-mail reach only the office that calls back. One sweep plants a caller
no other data shares, then for every role that may not see it walks every route of the access matrix on
that ticket (pages, API, Open311, exports, the briefing map), takes the ticket through the workflow, holds
a live-map socket, and captures every log record: the caller appears in none of it. The office that calls
back does see it, so the sweep would notice a caller that never shows at all."""

from __future__ import annotations

import io
import logging
import subprocess
import zipfile

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.test import Client

from dispatch.models import Ticket
from dispatch.selectors import can_see_caller
from grid.models import Role, User
from maps.routing import websocket_urlpatterns
from tests.dispatch.test_workflow_api import CO_REPLY
from tests.helpers import CHANGQING, label

from .test_access_matrix import MATRIX, ROLES, ask, world  # noqa: F401  (world: the fixture)

pytestmark = pytest.mark.django_db

NAME, PHONE, EMAIL = "欧阳测漏", "13987654321", "leak-probe@example.cn"
SECRETS = (NAME, PHONE, EMAIL, PHONE[3:7] + PHONE[7:])  # the middle digits too: a masked phone hides them
# The planted ticket is a central-district one: the city command center calls back [ORG-1], the
# dispatchers of 新华区's dispatch center act for it on the district's townships [ORG-3], and the
# center's call-takers take its calls, so they see the callers too [CT-1].
MAY_SEE = {Role.CITY_DISPATCHER, Role.CENTER_VIEWER, Role.ADMIN, Role.COUNTY_DISPATCHER, Role.CALL_TAKER}
APP = URLRouter(websocket_urlpatterns)
# Who sweeps for each role: users who see the planted ticket (masked), so a leak would have a way out;
# the heating company leads it, 光明路街道 co-handles it, 长青社区 and 新华区 see their area's tickets.
SWEEPERS = {**ROLES, Role.DEPARTMENT_HANDLER: "heating_handler"}


def login(username: str | None) -> Client:
    client = Client()
    if username:
        client.force_login(User.objects.get(username=username))
    return client


def leaked(content: bytes | str) -> list[str]:
    text = content if isinstance(content, str) else content.decode("utf-8", "replace")
    return [s for s in SECRETS if s in text]


def body_of(resp) -> str:
    raw = b"".join(resp.streaming_content) if resp.streaming else resp.content
    if raw[:2] == b"PK":  # an xlsx: read the workbook's XML parts
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    if raw[:5] == b"%PDF-":  # a PDF: its text as poppler extracts it (the page streams are compressed)
        return subprocess.run(["pdftotext", "-", "-"], input=raw, capture_output=True, check=True).stdout.decode()
    return raw.decode("utf-8", "replace")


@pytest.fixture
def planted(world, settings, django_capture_on_commit_callbacks):  # noqa: F811
    """A heating leak in 长青社区 taken in through the API by the city dispatcher, with the probe caller."""
    settings.MAPS_LIVE_TICK_SECONDS = 0
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    lon, lat = label(CHANGQING)
    body = {
        "channel": "phone",
        "kind": "complaint",
        "category": "0701",
        "description": "长青社区19号楼暖气管道漏水，楼道积水",
        "lon": lon,
        "lat": lat,
        "caller_name": NAME,
        "caller_phone": PHONE,
        "caller_email": EMAIL,
    }
    resp = login("city_dispatcher").post("/api/tickets/", body, content_type="application/json")
    assert resp.status_code == 201, resp.content
    ticket = Ticket.objects.get(number=resp.json()["number"])
    return {**world, "ticket": ticket.number, "ticket_id": ticket.id, "token": str(ticket.token)}


def sweep(role: str, planted: dict) -> list[str]:
    client = login(SWEEPERS[role])
    user = User.objects.filter(username=SWEEPERS[role]).first()
    found = []
    for (route, method), row in MATRIX.items():
        resp = ask(client, method, row, planted)
        # The matrix signs for the ticket on the way: from then on its lead unit handles it and may see
        # the caller [HD-1]; an answer that shows them is a leak only when the rule says no at that moment.
        ticket = Ticket.objects.prefetch_related("assignments").get(id=planted["ticket_id"])
        if leaked(body_of(resp)) and not can_see_caller(user, ticket):
            found.append(f"{method} {route} ({resp.status_code})")
    extra = [
        f"/assessment/{planted['month']}/?format=xlsx",
        f"/assessment/{planted['month']}/?format=pdf",
        f"/assessment/{planted['month']}/accountability/?format=csv",
        f"/briefings/{planted['month']}/?format=xlsx",
        f"/briefings/{planted['month']}/?format=pdf",
        "/maps/report/410402002/",  # the downloaded briefing map
        f"/open311/v2/requests/{planted['ticket']}.xml",
        "/open311/v2/requests.json?service_code=0701",
        f"/api/tickets/?area={CHANGQING}",
        # The citizen's side: the public record, its feeds and the center's list of businesses' requests.
        "/m/public/?area=410402",
        "/api/public/cases?area=410402002",
        "/m/public/410402/rss/",
        "/m/center/business/",
        f"/m/r/{planted['ticket']}/",
        "/m/mine/",
        f"/api/console/caller?phone={PHONE}",  # the console's screen pop: for a center's console users only
    ]
    for path in extra:
        resp = client.get(path)
        if leaked(body_of(resp)):
            found.append(f"GET {path} ({resp.status_code})")
    return found


@pytest.mark.parametrize("role", [r for r in ROLES if r not in MAY_SEE])
def test_no_response_or_log_record_shows_the_caller_to_a_role_that_may_not_see_it(role, planted, caplog):
    caplog.set_level(logging.DEBUG)
    if SWEEPERS[role]:
        sees = login(SWEEPERS[role]).get(f"/api/tickets/{planted['ticket']}/")
        assert sees.status_code == 200 and sees.json()["caller"]["masked"] is True  # in scope, masked
    assert sweep(role, planted) == []
    assert leaked(caplog.text) == [], "a log record carries the caller"


def test_the_office_that_calls_back_does_see_the_caller(planted):
    client = login("city_dispatcher")
    caller = client.get(f"/api/tickets/{planted['ticket']}/").json()["caller"]
    assert (caller["name"], caller["phone"], caller["email"], caller["masked"]) == (NAME, PHONE, EMAIL, False)
    assert PHONE in client.get(f"/w/t/{planted['ticket']}/").content.decode()
    assert sweep(Role.CITY_DISPATCHER, planted)  # the sweep finds the caller where it is shown


def test_the_workflow_and_the_live_socket_never_carry_the_caller(
    planted, caplog, monkeypatch, django_capture_on_commit_callbacks
):
    """Sign for, contact, co-reply and reply: the lead unit sees the caller only while it handles the ticket
    (its sign-for and contact answers) [HD-1]; the co-handler's answers, the lead's answer to its own reply
    (its turn is over) and every socket message are masked."""
    caplog.set_level(logging.DEBUG)
    number = planted["ticket"]
    steps = [
        ("heating_handler", "sign-for", {}),
        ("guangminglu_handler", "sign-for", {}),
        ("heating_handler", "contact", {"note": "已电话联系来电人，约定上门时间"}),
        ("guangminglu_handler", "reply", CO_REPLY),
        (
            "heating_handler",
            "reply",
            {
                "facts": "19号楼暖气主管道接口老化破裂，楼道积水约5平方米。",
                "result": "已更换破损管段并恢复供热，积水已清理，居民室温恢复正常。",
                "basis": "《平顶山市城市供热管理办法》",
                "signer": "热力公司 李明",
                "handler_name": "吴刚",
            },
        ),
    ]

    async def scenario():
        comms = []
        for username in ("guangminglu_handler", "changqing_grid", "heating_handler", "xinhua_dispatcher"):
            user = await database_sync_to_async(User.objects.select_related("office").get)(username=username)
            comm = WebsocketCommunicator(APP, "/ws/maps/live/")
            comm.scope["user"] = user
            connected, _ = await comm.connect()
            assert connected
            comms.append(comm)

        def act():
            answers = []
            for username, action, body in steps:
                client = login(username)
                with django_capture_on_commit_callbacks(execute=True):
                    resp = client.post(f"/api/tickets/{number}/{action}/", body, content_type="application/json")
                assert resp.status_code == 200, (username, action, resp.content)
                answers.append(resp.content)
            return answers

        answers = await database_sync_to_async(act)()
        messages = []
        for comm in comms:
            while not await comm.receive_nothing(timeout=0.3):
                messages.append(await comm.receive_from())
            await comm.disconnect()
        return answers, messages

    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)  # keep the test's transaction
    answers, messages = async_to_sync(scenario)()
    lead_handling = [
        username == "heating_handler" and action in ("sign-for", "contact") for username, action, _ in steps
    ]
    assert [bool(leaked(a)) for a in answers] == lead_handling
    assert len(messages) >= 4 and all(leaked(m) == [] for m in messages)  # the changes did reach the sockets
    assert leaked(caplog.text) == []


def test_the_citizens_side_never_shows_a_caller_but_to_their_own_browser(world, users):  # noqa: F811
    """[IN-2][PUB-2] A caller files a public business request on /m/ with the probe name and phone; it is
    closed. Every role and an anonymous visitor walk every citizen route (the public record, its feeds,
    the follow pages, the center's business list): the caller is in none of it. The caller's own browser,
    which proved the phone, sees their request."""
    from citizen.models import CitizenReport
    from tests.citizen.helpers import file_report, make_public_closed

    own = Client()
    ticket = make_public_closed(
        file_report(
            own,
            phone=PHONE,
            name=NAME,
            description="长青路路灯不亮，晚上很黑，请尽快修理",
            is_business="on",
            business_name="平顶山市测漏商贸有限公司",
            credit_code="91110000802100433B",
        ),
        users,
    )
    assert CitizenReport.objects.get(ticket=ticket).public
    routes = [
        "/m/public/",
        "/m/public/?area=410402",
        "/m/public/map/",
        "/api/public/cases",
        "/api/public/cases?area=410402002",
        "/m/public/410402/rss/",
        "/m/public/410402002/rss/",
        "/m/center/business/",
        f"/m/r/{ticket.number}/",
        f"/m/track/?number={ticket.number}",
        "/m/mine/",
        "/m/",
    ]
    found = []
    for role, username in ROLES.items():
        client = login(username)
        for path in routes:
            resp = client.get(path, follow=True)
            if leaked(body_of(resp)):
                found.append(f"{role}: GET {path} ({resp.status_code})")
    assert found == []
    assert ticket.number in Client().get("/m/public/").content.decode()  # the case is public: the sweep saw it
    mine = own.get(f"/m/r/{ticket.number}/").content.decode()
    assert ticket.number in mine
